#include "delta/log_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>

#include <arrow/filesystem/localfs.h>

#include "delta/delta_error.h"

namespace codeanatomy::delta {

namespace {

class LocalLogStore : public LogStore {
 public:
  Status PutIfAbsent(const std::string& path, const std::string& content) override {
    std::string dir = path.substr(0, path.rfind('/'));
    static std::atomic<uint64_t> counter{0};
    std::random_device rd;
    std::string tmp = dir + "/.tmp-" + std::to_string(::getpid()) + "-" +
                      std::to_string(counter.fetch_add(1)) + "-" + std::to_string(rd());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return IoError("create", tmp);
    size_t written = 0;
    while (written < content.size()) {
      ssize_t n = ::write(fd, content.data() + written, content.size() - written);
      if (n < 0) {
        if (errno == EINTR) continue;
        Status st = IoError("write", tmp);
        ::close(fd);
        ::unlink(tmp.c_str());
        return st;
      }
      written += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
      Status st = IoError("sync", tmp);
      ::unlink(tmp.c_str());
      return st;
    }
    // link(2) is atomic and refuses an existing target: exactly one writer wins a version.
    int rc = ::link(tmp.c_str(), path.c_str());
    int link_errno = errno;
    ::unlink(tmp.c_str());
    if (rc != 0) {
      if (link_errno == EEXIST) {
        return DeltaError("COMMIT_CONFLICT", "another writer committed '" + path + "' first",
                          "\"file\":" + JsonQuote(path));
      }
      errno = link_errno;
      return IoError("link", path);
    }
    return Status::OK();
  }

 private:
  static Status IoError(const char* what, const std::string& path) {
    return DeltaError("LOG_WRITE_FAILED",
                      std::string("cannot ") + what + " '" + path + "': " + std::strerror(errno),
                      "\"file\":" + JsonQuote(path));
  }
};

}  // namespace

Result<std::unique_ptr<LogStore>> LogStoreFor(const std::shared_ptr<arrow::fs::FileSystem>& fs) {
  if (fs->type_name() == "local") return std::unique_ptr<LogStore>(new LocalLogStore());
  return DeltaError("NOT_SUPPORTED", "not supported: committing to a '" + fs->type_name() +
                                         "' filesystem (no put-if-absent log store for it yet)");
}

}  // namespace codeanatomy::delta
