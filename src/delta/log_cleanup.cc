#include "delta/log_cleanup.h"

#include <algorithm>
#include <chrono>
#include <regex>

#include <arrow/filesystem/filesystem.h>

#include "delta/checkpoint.h"
#include "delta/commit_log.h"
#include "delta/log_files.h"
#include "delta/snapshot.h"

namespace codeanatomy::delta {

namespace {

struct LogEntry {
  arrow::fs::FileInfo info;
  std::string name;
  int64_t version = 0;
  bool commit = false;      ///< <version>.json
  bool checkpoint = false;  ///< <version>.checkpoint[...].parquet
  bool deletable = false;   ///< <version>.json, .checkpoint..., .json.tmp...
  int64_t mtime_ms = 0;
};

Result<int64_t> LogRetentionMs(const Snapshot& snapshot) {
  const auto& conf = snapshot.metadata().configuration;
  auto it = conf.find("delta.logRetentionDuration");
  if (it == conf.end()) return int64_t{30} * 24 * 3'600'000;
  return ParseIntervalMs(it->second);
}

}  // namespace

Result<CleanupResult> CleanupMetadata(const std::string& uri, std::optional<int64_t> cutoff_ms) {
  CA_ASSIGN_OR_RAISE(auto snapshot, Snapshot::Load(uri, TableVersion{LatestVersion{}}));
  int64_t cutoff = 0;
  if (cutoff_ms) {
    cutoff = *cutoff_ms;
  } else {
    CA_ASSIGN_OR_RAISE(int64_t retention, LogRetentionMs(*snapshot));
    cutoff = NowMs() - retention;
  }
  const auto& fs = snapshot->filesystem();
  arrow::fs::FileSelector selector;
  selector.base_dir = snapshot->root() + "/" + std::string(kLogDir);
  CA_ASSIGN_OR_RAISE(auto infos, fs->GetFileInfo(selector));
  static const std::regex kName(R"((\d{20})\.(json|checkpoint|json\.tmp).*)");
  static const std::regex kCommit(R"(\d{20}\.json)");
  static const std::regex kCheckpoint(R"(\d{20}\.checkpoint.*\.parquet)");
  std::vector<LogEntry> entries;
  for (const auto& info : infos) {
    if (info.type() != arrow::fs::FileType::File) continue;
    std::string name = info.base_name();
    std::smatch m;
    if (!std::regex_match(name, m, kName)) continue;
    LogEntry e{info, name, std::stoll(m[1].str())};
    e.commit = std::regex_match(name, kCommit);
    e.checkpoint = std::regex_match(name, kCheckpoint);
    e.deletable = true;
    e.mtime_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(info.mtime().time_since_epoch())
            .count();
    entries.push_back(std::move(e));
  }
  // Every version whose commit is younger than the cutoff stays readable: keep from the
  // newest checkpoint at or before the oldest of them (or before the current version).
  int64_t keep = snapshot->version();
  for (const auto& e : entries) {
    if (e.commit && e.mtime_ms >= cutoff) keep = std::min(keep, e.version);
  }
  CleanupResult result;
  for (const auto& e : entries) {
    if (e.checkpoint && e.version <= keep) {
      result.safe_checkpoint_version = std::max(result.safe_checkpoint_version, e.version);
    }
  }
  if (result.safe_checkpoint_version < 0) return result;
  for (const auto& e : entries) {
    if (!e.deletable || e.version >= result.safe_checkpoint_version || e.mtime_ms > cutoff) {
      continue;
    }
    CA_RETURN_NOT_OK(fs->DeleteFile(e.info.path()));
    result.files.push_back(e.name);
  }
  std::sort(result.files.begin(), result.files.end());
  return result;
}

}  // namespace codeanatomy::delta
