// Reading a table's _delta_log: the listing of commits and checkpoints, a commit's text, and a
// checkpoint's (or sidecar's) Parquet rows as actions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/filesystem/filesystem.h>

#include "common/status.h"
#include "delta/actions.h"

namespace codeanatomy::delta {

inline constexpr std::string_view kLogDir = "_delta_log";

struct CheckpointFile {
  std::string path;
  int part = 1;
  int parts = 1;
  bool v2 = false;
  bool json = false;
};

struct LogListing {
  std::map<int64_t, arrow::fs::FileInfo> commits;
  std::map<int64_t, std::vector<CheckpointFile>> checkpoints;
  bool log_dir_exists = false;
};

/// The `_delta_log` of the table at `root` (a path of `fs`); NOT_A_DELTA_TABLE without one.
/// Local directories are listed by name only (commit times are fetched when needed).
Result<LogListing> ListLog(arrow::fs::FileSystem& fs, const std::string& root,
                           const std::string& uri);

/// The whole text of a log file.
Result<std::string> ReadText(arrow::fs::FileSystem& fs, const std::string& path);

/// Adds the actions held by a checkpoint or sidecar Parquet file to `out`; CORRUPT_CHECKPOINT
/// when it cannot be read.
Status ReadParquetActions(arrow::fs::FileSystem& fs, const std::string& path, ActionSet* out);

}  // namespace codeanatomy::delta
