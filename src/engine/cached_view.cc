#include "engine/cached_view.h"

#include <arrow/table.h>

namespace codeanatomy::engine {

int64_t CachedViewProvider::estimated_rows() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return table_ ? table_->estimated_rows() : -1;
}

bool CachedViewProvider::materialized() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return table_ != nullptr;
}

Result<arrow::acero::Declaration> CachedViewProvider::Scan(const ScanRequest& request) {
  std::shared_ptr<MemoryTableProvider> table;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!table_ && !request.explain_only) {
      CA_ASSIGN_OR_RAISE(auto rows, df_.Collect());
      CA_ASSIGN_OR_RAISE(table_, MemoryTableProvider::Make(std::move(rows)));
    }
    table = table_;
  }
  if (!table) {  // explain before the first run: the shape of the scan, no rows
    CA_ASSIGN_OR_RAISE(auto empty, arrow::Table::MakeEmpty(schema()));
    CA_ASSIGN_OR_RAISE(table, MemoryTableProvider::Make(std::move(empty)));
  }
  return table->Scan(request);
}

}  // namespace codeanatomy::engine
