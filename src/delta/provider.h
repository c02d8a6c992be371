// A Delta snapshot as a table provider: a dataset of the snapshot's data files, with partition
// values from the log, file pruning by partition values and statistics, and deletion vectors
// applied.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "delta/snapshot.h"
#include "engine/table_provider.h"

namespace codeanatomy::delta {

/// Scan config version 1 (CONTRACTS §7).
struct ScanConfig {
  /// When set, a string column of this name (after the table's) holds each row's data file:
  /// its path as in the log.
  std::optional<std::string> file_column_name;
  /// Filters also skip Parquet row groups (file pruning by the log's statistics is always on).
  bool enable_parquet_pushdown = true;
  /// View types (string_view, binary_view) and dictionary-wrapped partition values are
  /// refused: the engine computes on the classic layouts (engine/table_provider.h).
  bool schema_force_view_types = false;
  bool wrap_partition_values = false;
};

class DeltaTableProvider : public engine::TableProvider {
 public:
  /// A provider of the snapshot's files, or only of `files` (log paths of its adds; a path
  /// that is not an active file is FILE_NOT_IN_SNAPSHOT).
  static Result<std::shared_ptr<DeltaTableProvider>> Make(
      std::shared_ptr<const Snapshot> snapshot, ScanConfig config = {},
      std::optional<std::vector<std::string>> files = std::nullopt);

  /// The logical schema, plus the file column when configured.
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  std::string kind() const override { return "delta"; }
  int64_t estimated_rows() const override { return estimated_rows_; }
  bool prunes_with_filter() const override { return true; }
  Result<arrow::acero::Declaration> Scan(const engine::ScanRequest& request) override;

  const std::shared_ptr<const Snapshot>& snapshot() const { return snapshot_; }
  /// The files a scan with `filter` (over the logical schema, unbound) would read.
  Result<std::vector<const FileAction*>> PrunedFiles(
      const arrow::compute::Expression& filter) const;

  /// The files this provider scans (all the snapshot's, or the explicit list).
  const std::vector<const FileAction*>& files() const { return files_; }

  /// The rows of one data file (`path`: its filesystem path) without those its deletion
  /// vector deletes, as `columns` of schema() (partition values filled in, columns the file
  /// predates NULL).
  Result<std::shared_ptr<arrow::Table>> ReadFile(const FileAction& f, const std::string& path,
                                                 const std::vector<int>& columns) const;

 private:
  explicit DeltaTableProvider(std::shared_ptr<const Snapshot> snapshot)
      : snapshot_(std::move(snapshot)) {}
  std::shared_ptr<const Snapshot> snapshot_;
  ScanConfig config_;
  std::shared_ptr<arrow::Schema> schema_;               // logical (+ file column)
  std::shared_ptr<arrow::Schema> physical_;             // file schema (column-mapped names)
  std::vector<const FileAction*> files_;                // the files scanned
  std::vector<arrow::compute::Expression> guarantees_;  // per file: partition values and stats
  int64_t estimated_rows_ = -1;
};

/// Whether `f` may hold rows matching `filter` (over the snapshot's logical schema, unbound),
/// judged by its partition values and statistics (a missing statistic means unknown).
Result<bool> FileMayMatch(const FileAction& f, const Snapshot& snapshot,
                          const arrow::compute::Expression& filter);

/// Registers "DELTA" for SQL's CREATE EXTERNAL TABLE ... STORED AS DELTA LOCATION '...' (the
/// latest version). Idempotent.
void RegisterDeltaSqlFormat();

/// The snapshot's active files as a table (path, size_bytes, modification_time, data_change,
/// num_records, then one column per partition column named "partition.<name>").
Result<std::shared_ptr<arrow::Table>> AddActionsTable(const Snapshot& snapshot);

}  // namespace codeanatomy::delta
