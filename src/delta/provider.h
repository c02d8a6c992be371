// A Delta snapshot as a table provider: a dataset of the snapshot's data files, with partition
// values from the log, file pruning by partition values and statistics, and deletion vectors
// applied.
#pragma once

#include <memory>
#include <string>

#include "delta/snapshot.h"
#include "engine/table_provider.h"

namespace codeanatomy::delta {

class DeltaTableProvider : public engine::TableProvider {
 public:
  static Result<std::shared_ptr<DeltaTableProvider>> Make(std::shared_ptr<const Snapshot> snapshot);

  std::shared_ptr<arrow::Schema> schema() const override { return snapshot_->schema(); }
  std::string kind() const override { return "delta"; }
  int64_t estimated_rows() const override { return estimated_rows_; }
  bool prunes_with_filter() const override { return true; }
  Result<arrow::acero::Declaration> Scan(const engine::ScanRequest& request) override;

  const std::shared_ptr<const Snapshot>& snapshot() const { return snapshot_; }
  /// The files a scan with `filter` (over the logical schema, unbound) would read.
  Result<std::vector<const FileAction*>> PrunedFiles(
      const arrow::compute::Expression& filter) const;

  /// The rows of one data file (`path`: its filesystem path) without those its deletion
  /// vector deletes, as `columns` of the logical schema (partition values filled in, columns
  /// the file predates NULL).
  Result<std::shared_ptr<arrow::Table>> ReadFile(const FileAction& f, const std::string& path,
                                                 const std::vector<int>& columns) const;

 private:
  explicit DeltaTableProvider(std::shared_ptr<const Snapshot> snapshot)
      : snapshot_(std::move(snapshot)) {}
  std::shared_ptr<const Snapshot> snapshot_;
  std::shared_ptr<arrow::Schema> physical_;             // file schema (column-mapped names)
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
