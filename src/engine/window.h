// The window operator. Acero has no window node: this stream operator reads its whole input,
// sorts the rows by partition and order keys, computes the window functions partition by
// partition (chunks of partitions run as tasks on the session's executor) and streams the
// rows back out in sorted order.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <arrow/memory_pool.h>
#include <arrow/record_batch.h>
#include <arrow/scalar.h>
#include <arrow/type.h>
#include <arrow/util/cancel.h>
#include <arrow/util/thread_pool.h>

#include "common/status.h"
#include "engine/logical_plan.h"
#include "engine/window_function.h"

namespace codeanatomy::engine {

/// An ORDER BY key of a window: an input column with direction and null placement.
struct WindowOrderColumn {
  int column = 0;
  bool ascending = true;
  bool nulls_first = false;
};

/// One window function over columns of the operator's input.
struct WindowCall {
  WindowKind kind = WindowKind::kRowNumber;
  int value = -1;     ///< input column of the value argument; -1: none
  int64_t param = 1;  ///< lag/lead offset, ntile bucket count, nth_value position
  /// lag/lead default, of the value column's type; null: SQL NULL
  std::shared_ptr<arrow::Scalar> default_value;
  std::vector<int> partition_by;  ///< input columns
  std::vector<WindowOrderColumn> order_by;
  WindowFrame frame;  ///< effective frame (ignored by ranking functions and lag/lead)
  std::shared_ptr<arrow::DataType> type;  ///< output type
  std::shared_ptr<const WindowUdf> udf;   ///< kUdf: the function
  std::vector<int> args;                  ///< kUdf: input columns of its arguments
};

/// Execution settings of the window operator.
struct WindowExecOptions {
  /// Pool for every buffer the operator allocates.
  arrow::MemoryPool* pool = arrow::default_memory_pool();
  /// Runs chunks of partitions as tasks; null: everything runs on the calling thread.
  arrow::internal::Executor* executor = nullptr;
  /// Rows per output batch; must be positive.
  int64_t batch_size = 8192;
  /// Checked between partitions and batches; when stopped, reads return the token's Status.
  arrow::StopToken stop_token = arrow::StopToken::Unstoppable();
};

/// Reads all of `input` and yields its first `keep_columns` columns followed by one column per
/// call (typed `call.type`), labelled with `schema`. Rows come out sorted by the first call's
/// partition and order keys (stable: ties keep their input order); calls with other keys are
/// computed over their own sort order. Peers are rows equal on every order key (nulls equal).
Result<std::shared_ptr<arrow::RecordBatchReader>> WindowStream(
    std::shared_ptr<arrow::RecordBatchReader> input, int keep_columns,
    std::vector<WindowCall> calls, std::shared_ptr<arrow::Schema> schema,
    WindowExecOptions options);

}  // namespace codeanatomy::engine
