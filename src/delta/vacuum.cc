#include "delta/vacuum.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

#include <arrow/filesystem/filesystem.h>

#include "delta/checkpoint.h"
#include "delta/commit_log.h"
#include "delta/deletion_vector.h"
#include "delta/delta_error.h"
#include "delta/snapshot.h"

namespace codeanatomy::delta {

namespace {

// delta-rs' is_hidden_directory: the path relative to the root.
bool IsHidden(const std::string& relative, const std::vector<std::string>& partition_columns) {
  if (relative.empty() || (relative[0] != '.' && relative[0] != '_')) return false;
  if (relative.rfind("_delta_index", 0) == 0 || relative.rfind("_change_data", 0) == 0) {
    return false;
  }
  for (const auto& c : partition_columns) {
    if (relative.rfind(c, 0) == 0) return false;
  }
  return true;
}

// The absolute paths a vacuum must keep: a file's data and its deletion vector.
Status Keep(const Snapshot& snapshot, const FileAction& file, std::set<std::string>& keep) {
  CA_ASSIGN_OR_RAISE(auto data, snapshot.DataFilePath(file.path));
  keep.insert(data);
  if (file.deletion_vector) {
    CA_ASSIGN_OR_RAISE(auto dv, ParseDeletionVector(*file.deletion_vector));
    if (dv.storage_type != "i") {
      CA_ASSIGN_OR_RAISE(auto dv_path, DeletionVectorPath(dv, snapshot.root(), true));
      keep.insert(dv_path);
    }
  }
  return Status::OK();
}

}  // namespace

Result<VacuumResult> Vacuum(const std::string& uri, const VacuumOptions& options) {
  CA_ASSIGN_OR_RAISE(auto snapshot, Snapshot::Load(uri, TableVersion{LatestVersion{}}));
  CA_ASSIGN_OR_RAISE(int64_t table_retention, TombstoneRetentionMs(*snapshot));
  int64_t retention = table_retention;
  if (options.retention_hours) {
    if (!(*options.retention_hours >= 0) || !std::isfinite(*options.retention_hours)) {
      return DeltaError("INVALID_RETENTION", "retention_hours must be a non-negative number");
    }
    retention = static_cast<int64_t>(*options.retention_hours * 3'600'000.0);
  }
  if (options.enforce_retention_duration && retention < table_retention) {
    return DeltaError(
        "RETENTION_TOO_SHORT",
        "vacuum retention of " + std::to_string(retention / 3'600'000.0) +
            " hours is shorter than the table's delta.deletedFileRetentionDuration (" +
            std::to_string(table_retention / 3'600'000.0) +
            " hours); set enforce_retention_duration=false to vacuum anyway",
        "\"table\":" + JsonQuote(uri) + ",\"retention_ms\":" + std::to_string(retention) +
            ",\"minimum_ms\":" + std::to_string(table_retention));
  }
  const int64_t cutoff = NowMs() - retention;
  std::set<std::string> keep, expired;
  for (const auto& f : snapshot->files()) CA_RETURN_NOT_OK(Keep(*snapshot, f, keep));
  for (const auto& t : snapshot->tombstones()) {
    CA_RETURN_NOT_OK(
        Keep(*snapshot, t, t.deletion_timestamp.value_or(0) > cutoff ? keep : expired));
  }
  const auto& fs = snapshot->filesystem();
  const std::string& root = snapshot->root();
  arrow::fs::FileSelector selector;
  selector.base_dir = root;
  selector.recursive = true;
  CA_ASSIGN_OR_RAISE(auto infos, fs->GetFileInfo(selector));
  VacuumResult result;
  result.version = snapshot->version();
  result.dry_run = options.dry_run;
  std::vector<arrow::fs::FileInfo> doomed;
  for (const auto& info : infos) {
    if (info.type() != arrow::fs::FileType::File || keep.count(info.path()) > 0) continue;
    if (!options.full && expired.count(info.path()) == 0) continue;
    std::string relative = info.path().substr(std::min(info.path().size(), root.size() + 1));
    if (IsHidden(relative, snapshot->metadata().partition_columns)) continue;
    int64_t mtime =
        std::chrono::duration_cast<std::chrono::milliseconds>(info.mtime().time_since_epoch())
            .count();
    if (mtime >= cutoff) continue;
    doomed.push_back(info);
  }
  std::sort(doomed.begin(), doomed.end(),
            [](const auto& a, const auto& b) { return a.path() < b.path(); });
  for (const auto& info : doomed) {
    if (!options.dry_run) CA_RETURN_NOT_OK(fs->DeleteFile(info.path()));
    result.files.push_back(info.path().substr(root.size() + 1));
    result.bytes += info.size();
  }
  return result;
}

}  // namespace codeanatomy::delta
