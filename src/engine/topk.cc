#include "engine/topk.h"

#include <arrow/compute/api_scalar.h>
#include <arrow/compute/api_vector.h>
#include <arrow/table.h>

namespace codeanatomy::engine {

namespace cp = arrow::compute;

namespace {

/// The first `k` rows of `batch` in `keys` order (stable sort).
Result<std::shared_ptr<arrow::RecordBatch>> Best(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                 const std::vector<cp::SortKey>& keys, int64_t k,
                                                 cp::ExecContext* ctx) {
  CA_ASSIGN_OR_RAISE(auto indices,
                     cp::SortIndices(arrow::Datum(batch), cp::SortOptions(keys), ctx));
  if (indices->length() > k) indices = indices->Slice(0, k);
  CA_ASSIGN_OR_RAISE(auto taken, cp::Take(arrow::Datum(batch), arrow::Datum(indices),
                                          cp::TakeOptions::NoBoundsCheck(), ctx));
  return taken.record_batch();
}

}  // namespace

Result<std::shared_ptr<arrow::RecordBatchReader>> TopK(
    std::shared_ptr<arrow::RecordBatchReader> input, std::vector<cp::SortKey> keys, int64_t offset,
    int64_t fetch, arrow::MemoryPool* pool) {
  const int64_t k = offset + fetch;
  if (keys.empty()) return Status::Invalid("top-k needs at least one sort key");
  cp::ExecContext ctx(pool);
  auto schema = input->schema();
  std::shared_ptr<arrow::RecordBatch> best;
  std::vector<std::shared_ptr<arrow::RecordBatch>> pending;
  int64_t pending_rows = 0;
  // Candidates accumulate until there are at least 2k (or 64k) of them, then shrink to k.
  const int64_t flush_at = std::max<int64_t>(2 * k, 64 * 1024);
  auto flush = [&]() -> Status {
    if (pending.empty()) return Status::OK();
    if (best) pending.push_back(best);
    CA_ASSIGN_OR_RAISE(auto table, arrow::Table::FromRecordBatches(schema, pending));
    CA_ASSIGN_OR_RAISE(auto combined, table->CombineChunksToBatch(pool));
    CA_ASSIGN_OR_RAISE(best, Best(combined, keys, k, &ctx));
    pending.clear();
    pending_rows = 0;
    return Status::OK();
  };
  // Once k rows are known, a row whose first key is strictly worse than the k-th best
  // can never enter the result: drop such rows before they are buffered.
  const auto& first = keys[0];
  CA_ASSIGN_OR_RAISE(auto first_path, first.target.FindOne(*schema));
  int first_column = first_path[0];
  auto prefilter = [&](std::shared_ptr<arrow::RecordBatch> batch)
      -> Result<std::shared_ptr<arrow::RecordBatch>> {
    if (!best || best->num_rows() < k || k == 0) return batch;
    CA_ASSIGN_OR_RAISE(auto threshold, best->column(first_column)->GetScalar(k - 1));
    if (!threshold->is_valid) return batch;  // nulls rank last here: anything may enter
    const char* op = first.order == cp::SortOrder::Descending ? "greater_equal" : "less_equal";
    CA_ASSIGN_OR_RAISE(auto keep,
                       cp::CallFunction(op, {batch->column(first_column), threshold}, &ctx));
    // A null key is better than the threshold only when nulls sort first.
    bool nulls_first = first.null_placement == cp::NullPlacement::AtStart;
    CA_ASSIGN_OR_RAISE(keep, cp::CallFunction("coalesce", {keep, arrow::Datum(nulls_first)}, &ctx));
    CA_ASSIGN_OR_RAISE(auto kept,
                       cp::Filter(arrow::Datum(batch), keep, cp::FilterOptions::Defaults(), &ctx));
    return kept.record_batch();
  };
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    CA_RETURN_NOT_OK(input->ReadNext(&batch));
    if (!batch) break;
    CA_ASSIGN_OR_RAISE(batch, prefilter(std::move(batch)));
    if (batch->num_rows() == 0) continue;
    pending.push_back(batch);
    pending_rows += batch->num_rows();
    if (pending_rows >= flush_at) CA_RETURN_NOT_OK(flush());
  }
  CA_RETURN_NOT_OK(flush());
  std::vector<std::shared_ptr<arrow::RecordBatch>> out;
  if (best && best->num_rows() > offset) out.push_back(best->Slice(offset, fetch));
  return arrow::RecordBatchReader::Make(std::move(out), schema);
}

}  // namespace codeanatomy::engine
