// Where commits go: the log-store interface. A commit file is created only if absent, so two
// writers of the same version cannot both succeed and a log entry is never overwritten.
#pragma once

#include <memory>
#include <string>

#include <arrow/filesystem/filesystem.h>

#include "common/status.h"

namespace codeanatomy::delta {

class LogStore {
 public:
  virtual ~LogStore() = default;
  /// Writes `content` to `path` if no file is there; COMMIT_CONFLICT if one is.
  virtual Status PutIfAbsent(const std::string& path, const std::string& content) = 0;
};

/// The log store for a filesystem: local files use link(2) from a temporary file (atomic,
/// fails if the target exists); other filesystems have none yet (NOT_SUPPORTED).
Result<std::unique_ptr<LogStore>> LogStoreFor(const std::shared_ptr<arrow::fs::FileSystem>& fs);

}  // namespace codeanatomy::delta
