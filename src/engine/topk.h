// Streaming top-k: ORDER BY ... LIMIT k without sorting the whole input.
#pragma once

#include <memory>
#include <vector>

#include <arrow/compute/ordering.h>
#include <arrow/record_batch.h>

#include "common/status.h"

namespace codeanatomy::engine {

/// Reads `input` once, keeping only the best `offset + fetch` rows by `keys` (column refs,
/// with direction and null placement), and yields rows offset .. offset+fetch in order.
/// Memory is O(offset + fetch + one batch).
Result<std::shared_ptr<arrow::RecordBatchReader>> TopK(
    std::shared_ptr<arrow::RecordBatchReader> input, std::vector<arrow::compute::SortKey> keys,
    int64_t offset, int64_t fetch, arrow::MemoryPool* pool);

}  // namespace codeanatomy::engine
