// Running an Acero declaration as a pull-based, cancellable record batch stream.
#pragma once

#include <functional>
#include <memory>

#include <arrow/acero/exec_plan.h>
#include <arrow/record_batch.h>
#include <arrow/util/cancel.h>

#include "common/status.h"
#include "engine/session_state.h"

namespace codeanatomy::engine {

/// How a query may be stopped while it runs.
struct ExecuteOptions {
  /// Cancelled from any thread: the running plan stops and reads return Cancelled.
  arrow::StopToken stop_token = arrow::StopToken::Unstoppable();
  /// Called every `poll_seconds` while waiting for a batch; a non-OK result stops the plan
  /// and is returned (the Python bindings check for Ctrl-C here).
  std::function<Status()> interrupt_check;
  double poll_seconds = 0.05;
};

/// Starts `declaration` on the session's executor and memory pool. The returned reader
/// owns the running plan; closing or destroying it stops the plan.
Result<std::shared_ptr<arrow::RecordBatchReader>> ExecuteDeclaration(
    arrow::acero::Declaration declaration, const std::shared_ptr<SessionState>& state,
    const ExecuteOptions& options);

/// A reader that skips `offset` rows of `input` and then yields at most `fetch` rows
/// (-1: all); it stops reading its input as soon as the limit is reached.
std::shared_ptr<arrow::RecordBatchReader> MakeLimitReader(
    std::shared_ptr<arrow::RecordBatchReader> input, int64_t offset, int64_t fetch);

/// A reader over a generator of batches that is only started on the first read.
std::shared_ptr<arrow::RecordBatchReader> MakeLazyReader(
    std::shared_ptr<arrow::Schema> schema,
    std::function<Result<std::shared_ptr<arrow::RecordBatchReader>>()> start);

/// Relabels each batch of `input` with `schema` (same column count and types; names and
/// nullability may differ). A type mismatch is an internal error naming the column.
Result<std::shared_ptr<arrow::RecordBatchReader>> RenameStream(
    std::shared_ptr<arrow::RecordBatchReader> input, std::shared_ptr<arrow::Schema> schema);

}  // namespace codeanatomy::engine
