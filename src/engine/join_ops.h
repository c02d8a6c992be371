// Join operators that complement Acero's hash join.
//
// Acero's hash join needs at least one equality key and carries only
// fixed-width and binary-like payload columns. The planner covers the gaps
// with the two pull-based operators declared here: a nested-loop join for
// conditions without equality keys, and a gather step that re-attaches nested
// payload columns after a join on keys plus a row index.

#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/compute/expression.h>
#include <arrow/memory_pool.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/table.h>
#include <arrow/util/cancel.h>

namespace codeanatomy::engine {

/// The kinds of join the engine's own join operators implement.
enum class JoinType { kInner, kLeft, kRight, kFull, kLeftSemi, kLeftAnti };

/// Returns a stable lower-case name for `type` ("inner", "left_semi", ...).
const char* JoinTypeName(JoinType type);

/// Execution settings shared by the join operators.
struct JoinExecOptions {
  /// Pool for every buffer the operators allocate.
  arrow::MemoryPool* pool = arrow::default_memory_pool();
  /// Upper bound on the rows of any batch the nested-loop join emits; it is
  /// also the size of the candidate-pair batches the filter is evaluated on.
  /// Must be positive.
  int64_t max_output_rows_per_batch = 64 * 1024;
  /// Checked between batches; when stopped, ReadNext returns the token's
  /// Status (Cancelled).
  arrow::StopToken stop_token = arrow::StopToken::Unstoppable();
};

/// Joins every left row with every right row for which `filter` is true
/// (null = false, SQL semantics).
///
/// `filter` is an unbound expression over the combined schema: left fields
/// followed by right fields (the caller guarantees field names are unique
/// across both sides). A literal(true) filter is a cross join; the filter must
/// bind to a boolean expression.
///
/// Output schema: left fields then right fields for kInner/kLeft/kRight/kFull
/// (fields of a side that may be unmatched become nullable; unmatched rows get
/// nulls); left fields only for kLeftSemi/kLeftAnti, where each left row
/// appears at most once.
///
/// `right` is fully materialized (build side); `left` is streamed. Rows are
/// emitted per left batch: matched pairs first, then (kLeft/kFull) the
/// unmatched left rows of that batch; semi/anti rows keep their left order.
/// For kRight/kFull, unmatched right rows are emitted after the left input is
/// exhausted. No emitted batch exceeds `options.max_output_rows_per_batch`.
arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> NestedLoopJoin(
    std::shared_ptr<arrow::RecordBatchReader> left, std::shared_ptr<arrow::Table> right,
    JoinType type, arrow::compute::Expression filter, JoinExecOptions options = {});

/// A materialized join side whose columns are gathered by row index.
struct GatherSource {
  /// Integer column of the input batches holding row indices into `table`
  /// (null index => null output value).
  std::string index_column;
  /// The materialized side holding the columns to gather.
  std::shared_ptr<arrow::Table> table;
};

/// One output column of GatherJoinedColumns.
struct GatherOutput {
  /// -1: a column of the input batch; k >= 0: a column of sources[k].table.
  int source;
  /// Column index in the input batch schema or in sources[k].table.
  int column;
  /// Output field name.
  std::string name;
};

/// Streams `input`, and for each batch builds an output batch whose columns
/// are `outputs` in order: input columns are passed through, source columns
/// are taken (arrow::compute::Take) at the row indices. Output fields taken
/// from a source are nullable. Index columns not named in outputs are dropped.
/// An index outside its table fails the batch with IndexError.
arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> GatherJoinedColumns(
    std::shared_ptr<arrow::RecordBatchReader> input, std::vector<GatherSource> sources,
    std::vector<GatherOutput> outputs, JoinExecOptions options = {});

}  // namespace codeanatomy::engine
