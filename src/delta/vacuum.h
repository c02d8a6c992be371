// VACUUM: deleting the files a table no longer references, once they are older than the
// retention period (delta-rs' DeltaTable.vacuum). By default ("lite", as delta-rs) only the files
// of removed (tombstoned) files whose removal is older than the retention; `full` also deletes
// files the log never mentions. Kept in either mode: the active files and their deletion
// vectors, the files of tombstones younger than the retention, `_delta_log`, and hidden paths
// (a first path component starting with '.' or '_', except `_change_data` and partition
// directories). A file is deleted only when its modification time is older than the cutoff
// (now - retention), so files of a commit in flight are never touched.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace codeanatomy::delta {

struct VacuumOptions {
  /// Default: the table's delta.deletedFileRetentionDuration (one week when unset).
  std::optional<double> retention_hours;
  bool dry_run = true;
  /// A retention shorter than the table's is refused (RETENTION_TOO_SHORT) unless this is false.
  bool enforce_retention_duration = true;
  /// Also files the log never mentions (delta-rs' full=True).
  bool full = false;
};

struct VacuumResult {
  int64_t version = 0;             ///< the snapshot vacuumed
  std::vector<std::string> files;  ///< deleted (or, dry run, to delete), relative to the root
  int64_t bytes = 0;
  bool dry_run = true;
};

Result<VacuumResult> Vacuum(const std::string& uri, const VacuumOptions& options);

}  // namespace codeanatomy::delta
