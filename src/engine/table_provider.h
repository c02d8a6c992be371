// Table providers: the sources a session can scan. Each produces an Acero source declaration
// for a projection of its columns; a filter is passed as a pruning hint that the planner
// always re-applies, so providers never have to be exact.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <arrow/acero/exec_plan.h>
#include <arrow/compute/expression.h>
#include <arrow/compute/registry.h>
#include <arrow/record_batch.h>
#include <arrow/table.h>

#include "common/status.h"

namespace codeanatomy::engine {

/// What a scan must produce.
struct ScanRequest {
  std::vector<int> columns;  ///< provider schema indices to produce, in this order
  /// Conjunction of filters over the provider schema (unbound); a pruning hint.
  arrow::compute::Expression filter = arrow::compute::literal(true);
  int64_t batch_size = 8192;
  /// Planning for explain only: nothing will run, and nothing may be consumed.
  bool explain_only = false;
  /// The table's name in the catalog (for error messages).
  std::string table_name;
  /// The session's function registry (expressions in the declaration bind against it).
  arrow::compute::FunctionRegistry* registry = nullptr;
};

/// The conjuncts of `filter` that bind against `schema` with Arrow's own function registry,
/// ANDed (literal true when none does). A filter hint may call session functions (the
/// codeanatomy bundle, plugins' functions), which a provider binding with Arrow's registry
/// cannot resolve; the engine applies the whole filter after the scan anyway.
arrow::compute::Expression PortableFilter(const arrow::compute::Expression& filter,
                                          const arrow::Schema& schema);

/// A named source of record batches with a schema known up front.
class TableProvider {
 public:
  virtual ~TableProvider() = default;
  /// Full schema of the table.
  virtual std::shared_ptr<arrow::Schema> schema() const = 0;
  /// Short provider kind for explain output ("memory", "stream", "parquet").
  virtual std::string kind() const = 0;
  /// Rows in the table when cheaply known, else -1.
  virtual int64_t estimated_rows() const { return -1; }
  /// Distinct non-null values of a column when cheaply known (or computed once and cached),
  /// else -1. Join-size estimates use it.
  virtual int64_t DistinctCount(int column) const { return -1; }
  /// Whether the provider uses the filter hint to skip data (reported by explain).
  virtual bool prunes_with_filter() const { return false; }
  /// An Acero declaration producing exactly `request.columns`, in order.
  virtual Result<arrow::acero::Declaration> Scan(const ScanRequest& request) = 0;
};

/// `type` with view types replaced by their classic layouts (string_view -> string,
/// binary_view -> binary, list_view -> list), recursively. Arrow C++'s compute kernels mostly
/// lack view kernels (take, hash join, many string functions), so data enters the engine in
/// the classic layouts.
std::shared_ptr<arrow::DataType> WithoutViewTypes(const std::shared_ptr<arrow::DataType>& type);
std::shared_ptr<arrow::Schema> WithoutViewTypes(const std::shared_ptr<arrow::Schema>& schema);

/// An in-memory Arrow table; scannable any number of times.
class MemoryTableProvider : public TableProvider {
 public:
  /// Takes the table, converting view-typed columns (see WithoutViewTypes).
  static Result<std::shared_ptr<MemoryTableProvider>> Make(std::shared_ptr<arrow::Table> table);
  explicit MemoryTableProvider(std::shared_ptr<arrow::Table> table) : table_(std::move(table)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return table_->schema(); }
  std::string kind() const override { return "memory"; }
  int64_t estimated_rows() const override { return table_->num_rows(); }
  /// Counted exactly on first use (a hash pass over the column) and cached: the table is
  /// immutable.
  int64_t DistinctCount(int column) const override;
  Result<arrow::acero::Declaration> Scan(const ScanRequest& request) override;
  const std::shared_ptr<arrow::Table>& table() const { return table_; }

 private:
  std::shared_ptr<arrow::Table> table_;
  mutable std::mutex distinct_mutex_;
  mutable std::map<int, int64_t> distinct_;
};

/// A record batch stream; it can be scanned once, a second scan is a typed error.
class StreamTableProvider : public TableProvider {
 public:
  explicit StreamTableProvider(std::shared_ptr<arrow::RecordBatchReader> reader)
      : source_schema_(reader->schema()),
        schema_(WithoutViewTypes(source_schema_)),
        reader_(std::move(reader)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  std::string kind() const override { return "stream"; }
  Result<arrow::acero::Declaration> Scan(const ScanRequest& request) override;

 private:
  std::shared_ptr<arrow::Schema> source_schema_;
  std::shared_ptr<arrow::Schema> schema_;
  std::mutex mutex_;
  std::shared_ptr<arrow::RecordBatchReader> reader_;  // null once consumed
};

/// A Parquet file or a directory of Parquet files (Arrow Dataset), with projection and
/// row-group pruning by the filter.
class ParquetTableProvider : public TableProvider {
 public:
  /// Discovers the files under `path` (a file or a directory, recursively; hidden files and
  /// files starting with '_' are skipped) and unifies their schema.
  static Result<std::shared_ptr<ParquetTableProvider>> Open(const std::string& path);
  std::shared_ptr<arrow::Schema> schema() const override;
  std::string kind() const override { return "parquet"; }
  bool prunes_with_filter() const override { return true; }
  Result<arrow::acero::Declaration> Scan(const ScanRequest& request) override;

 private:
  explicit ParquetTableProvider(std::shared_ptr<void> dataset) : dataset_(std::move(dataset)) {}
  std::shared_ptr<void> dataset_;  // arrow::dataset::Dataset, kept out of this header
};

/// A projection declaration that keeps `columns` of `input` (by index) in order.
arrow::acero::Declaration SelectColumnsDeclaration(arrow::acero::Declaration input,
                                                   const arrow::Schema& schema,
                                                   const std::vector<int>& columns);

}  // namespace codeanatomy::engine
