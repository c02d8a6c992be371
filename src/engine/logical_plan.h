// The logical plan: an immutable tree of relational operators whose output schemas are
// computed (and every name and type checked) when a node is built, before any execution.
#pragma once

#include <memory>
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
  kDistinct
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
