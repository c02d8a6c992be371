// Window functions over one sorted partition: the layout of sorted rows, each call's prepared
// input and output buffers, and the per-partition computation the window operator schedules.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <arrow/array.h>
#include <arrow/buffer.h>
#include <arrow/memory_pool.h>
#include <arrow/util/cancel.h>
#include <arrow/util/decimal.h>

#include "common/status.h"
#include "engine/window.h"

namespace codeanatomy::engine::internal {

/// A fixed-size array of `T` allocated from a memory pool.
template <typename T>
struct PoolArray {
  std::shared_ptr<arrow::Buffer> buffer;
  T* data = nullptr;
};

template <typename T>
Result<PoolArray<T>> Allocate(int64_t n, arrow::MemoryPool* pool) {
  CA_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> buffer,
                     arrow::AllocateBuffer(std::max<int64_t>(n, 1) * sizeof(T), pool));
  PoolArray<T> out;
  out.data = reinterpret_cast<T*>(buffer->mutable_data());
  out.buffer = std::move(buffer);
  return out;
}

/// The rows of the input sorted by one (partition keys, order keys) specification. Keys are
/// compared through their dense ranks, so equality is type-independent and nulls are equal.
struct Layout {
  int64_t rows = 0;
  std::shared_ptr<arrow::Array> perm_array;  ///< sorted position -> input row; null: identity
  const uint64_t* perm = nullptr;
  std::vector<std::shared_ptr<arrow::Array>> ranks;  ///< keeps the rank arrays alive
  std::vector<const uint64_t*> partition_ranks;      ///< by input row
  std::vector<const uint64_t*> order_ranks;          ///< by input row
  PoolArray<int64_t> partition_starts;               ///< num_partitions + 1 entries
  int64_t num_partitions = 0;

  int64_t Row(int64_t k) const { return perm ? static_cast<int64_t>(perm[k]) : k; }
  bool SamePartition(int64_t a, int64_t b) const { return Same(partition_ranks, a, b); }
  bool SamePeer(int64_t a, int64_t b) const { return Same(order_ranks, a, b); }

 private:
  bool Same(const std::vector<const uint64_t*>& keys, int64_t a, int64_t b) const {
    int64_t ra = Row(a), rb = Row(b);
    for (const uint64_t* k : keys) {
      if (k[ra] != k[rb]) return false;
    }
    return true;
  }
};

/// How sum and avg accumulate their argument.
enum class SumMode { kNone, kInt, kFloat, kDecimal };

/// One call's prepared input and its output, both indexed by input row.
struct CallState {
  const WindowCall* call = nullptr;
  std::shared_ptr<arrow::Array> value;    ///< the value column as read (for the final take)
  std::shared_ptr<arrow::Array> numeric;  ///< sum/avg argument as int64 / float64 / decimal128
  SumMode sum_mode = SumMode::kNone;
  int32_t decimal_scale = 0;
  const uint64_t* value_ranks = nullptr;  ///< min/max: dense rank of each value
  // Outputs.
  PoolArray<int64_t> ints;   ///< integer results, or take indices (-1: null, -2: default)
  PoolArray<double> floats;  ///< floating results
  PoolArray<arrow::Decimal128> decimals;
  PoolArray<uint8_t> valid;  ///< 1 where a numeric result is valid
  // kUdf: the argument columns (by input row) and each partition's result (by partition
  // index, in sorted order); `ints` maps each input row to its position in the sorted results.
  std::vector<std::shared_ptr<arrow::Array>> udf_args;
  arrow::MemoryPool* pool = nullptr;  ///< for gathering a partition's arguments
  bool udf_nullable = true;           ///< false: a result with nulls is invalid
  std::vector<std::shared_ptr<arrow::Array>> udf_results;

  bool IsNull(int64_t row) const { return value->IsNull(row); }
};

/// Cancellation shared by the tasks of one operator run, and the first error a task met.
struct StopState {
  arrow::StopToken token;
  mutable std::atomic<bool> failed{false};
  bool Stopped() const { return failed.load(std::memory_order_relaxed) || token.IsStopRequested(); }
  /// Records `st` (the first one wins) and stops the other tasks.
  void Fail(Status st) const {
    std::lock_guard<std::mutex> lock(mutex);
    if (error.ok()) error = std::move(st);
    failed = true;
  }
  /// The first recorded error; OK when none.
  Status Error() const {
    std::lock_guard<std::mutex> lock(mutex);
    return error;
  }

 private:
  mutable std::mutex mutex;
  mutable Status error;
};

/// Computes `st` over the sorted positions [ps, pe) of `layout`, one whole partition, writing
/// results at the rows' input positions; false when stopped midway or failed (a window UDF's
/// error is recorded in `stop`).
bool ComputePartition(const Layout& layout, CallState& st, int64_t ps, int64_t pe,
                      const StopState& stop);

}  // namespace codeanatomy::engine::internal
