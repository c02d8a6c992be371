// A cached view (DataFusion's DataFrame::cache, made lazy): a named plan that is computed once,
// on its first scan, into an in-memory table that every later scan reads. Views that several
// queries read (a build's shared intermediate results) are then computed once instead of once
// per query; the price is the table's memory for the session's life.
#pragma once

#include <memory>
#include <mutex>

#include "engine/dataframe.h"
#include "engine/table_provider.h"

namespace codeanatomy::engine {

class CachedViewProvider : public TableProvider {
 public:
  explicit CachedViewProvider(DataFrame df) : df_(std::move(df)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return df_.schema(); }
  std::string kind() const override { return "cached_view"; }
  /// The cached rows once computed, else -1.
  int64_t estimated_rows() const override;
  /// Computes the view on the first scan that will run (not for explain), then scans the table.
  Result<arrow::acero::Declaration> Scan(const ScanRequest& request) override;
  /// Whether the view has been computed.
  bool materialized() const;
  /// The view's query.
  const DataFrame& frame() const { return df_; }

 private:
  DataFrame df_;
  mutable std::mutex mutex_;
  std::shared_ptr<MemoryTableProvider> table_;  // null until the first scan that runs
};

}  // namespace codeanatomy::engine
