// The logical plan: an immutable tree of relational operators whose output schemas are
// computed (and every name and type checked) when a node is built, before any execution.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/type.h>

#include "common/status.h"
#include "engine/expr.h"
#include "engine/join_ops.h"
#include "engine/table_provider.h"

namespace codeanatomy::engine {

enum class PlanKind {
  kScan,
  kProjection,
  kFilter,
  kAggregate,
  kJoin,
  kSort,
  kLimit,
  kUnion,
  kDistinct,
  kWindow
};

enum class WindowFrameUnits { kRows, kRange };

/// One end of a window frame.
struct WindowFrameBound {
  enum class Kind { kUnboundedPreceding, kPreceding, kCurrentRow, kFollowing, kUnboundedFollowing };
  Kind kind = Kind::kCurrentRow;
  /// kPreceding / kFollowing: number of rows (ROWS) or of order-key units (RANGE)
  int64_t offset = 0;
};

/// ROWS | RANGE BETWEEN start AND end.
struct WindowFrame {
  WindowFrameUnits units = WindowFrameUnits::kRange;
  WindowFrameBound start{WindowFrameBound::Kind::kUnboundedPreceding, 0};
  WindowFrameBound end{WindowFrameBound::Kind::kCurrentRow, 0};
};

/// One window function call:
/// function(args) OVER (PARTITION BY partition_by ORDER BY order_by frame)
struct WindowFunction {
  /// row_number, rank, dense_rank, percent_rank, cume_dist, ntile, lag, lead, first_value,
  /// last_value, nth_value, or an aggregate: count, count_all (count(*)), sum, min, max, avg/mean
  std::string function;
  std::vector<ExprPtr> args;  ///< lag/lead(value [, offset [, default]]) — offset/default literals
  std::vector<ExprPtr> partition_by;
  std::vector<SortKey> order_by;
  /// unset: SQL default (RANGE UNBOUNDED PRECEDING..CURRENT ROW with ORDER BY — peers of the
  /// current row included; the whole partition without ORDER BY)
  std::optional<WindowFrame> frame;
  bool distinct = false;  ///< rejected (NOT_SUPPORTED)
  std::string output_name;
};

struct PlanNode;
using PlanPtr = std::shared_ptr<const PlanNode>;

/// One operator. Fields beyond `kind`, `schema` and `inputs` are used by the kinds noted.
struct PlanNode {
  PlanKind kind;
  std::shared_ptr<arrow::Schema> schema;  ///< output schema
  std::vector<PlanPtr> inputs;

  // kScan
  std::string table_name;
  std::shared_ptr<TableProvider> provider;
  std::vector<int> projection;   ///< provider columns produced, in order
  std::vector<ExprPtr> filters;  ///< conjuncts over the scan's output, applied exactly
  // kProjection
  std::vector<ExprPtr> exprs;
  // kFilter
  ExprPtr predicate;
  // kAggregate
  std::vector<ExprPtr> group_by;
  std::vector<ExprPtr> aggregates;
  // kJoin
  JoinType join_type = JoinType::kInner;
  std::vector<std::string> left_keys;
  std::vector<std::string> right_keys;
  ExprPtr join_filter;                   ///< residual condition over left + renamed right, or null
  std::vector<std::string> right_names;  ///< output names of the right input's columns
  // kSort
  std::vector<SortKey> sort_keys;
  // kLimit
  int64_t offset = 0;
  int64_t fetch = -1;  ///< -1: no limit
  // kUnion
  bool distinct = false;
  // kWindow
  std::vector<WindowFunction> windows;
};

/// Builders: each validates its arguments against the input schemas and derives the output
/// schema; failures are planning errors naming the culprit.
namespace plan {

Result<PlanPtr> Scan(std::string table_name, std::shared_ptr<TableProvider> provider);
Result<PlanPtr> Projection(PlanPtr input, std::vector<ExprPtr> exprs, const FunctionResolver& fr);
Result<PlanPtr> Filter(PlanPtr input, ExprPtr predicate, const FunctionResolver& fr);
Result<PlanPtr> Aggregate(PlanPtr input, std::vector<ExprPtr> group_by,
                          std::vector<ExprPtr> aggregates, const FunctionResolver& fr);
/// Equi-join on key column pairs plus an optional residual filter. Right columns whose
/// names collide with left ones are renamed with `suffix` (repeated until unique).
Result<PlanPtr> Join(PlanPtr left, PlanPtr right, JoinType type, std::vector<std::string> left_keys,
                     std::vector<std::string> right_keys, ExprPtr filter,
                     const FunctionResolver& fr, const std::string& suffix = "_right");
Result<PlanPtr> Sort(PlanPtr input, std::vector<SortKey> keys, const FunctionResolver& fr);
Result<PlanPtr> Limit(PlanPtr input, int64_t offset, int64_t fetch);
/// UNION [ALL]: inputs must have the same number of columns with the same types; names come
/// from the first input.
Result<PlanPtr> Union(std::vector<PlanPtr> inputs, bool distinct);
Result<PlanPtr> Distinct(PlanPtr input);
/// The input's columns followed by one column per window function, named by its output_name.
Result<PlanPtr> Window(PlanPtr input, std::vector<WindowFunction> windows,
                       const FunctionResolver& fr);

/// Copies `node` with new inputs (schemas are kept: the caller guarantees they are equal).
PlanPtr WithInputs(const PlanNode& node, std::vector<PlanPtr> inputs);

}  // namespace plan

/// The output type of an aggregate call over arguments of `arg_types` (grouped or not).
Result<std::shared_ptr<arrow::DataType>> AggregateOutputType(
    const std::string& arrow_function,
    const std::vector<std::shared_ptr<arrow::DataType>>& arg_types, const FunctionResolver& fr);

/// Indented text of the logical plan, one operator per line.
std::string ExplainLogical(const PlanNode& plan);

/// Parses "inner", "left", "right", "full"/"outer", "semi", "anti" (case-insensitive).
Result<JoinType> ParseJoinType(const std::string& name);

}  // namespace codeanatomy::engine
