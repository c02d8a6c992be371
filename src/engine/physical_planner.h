// Lowering a logical plan onto Acero declarations. Operators Acero lacks (joins without an
// equality key, joins carrying nested columns, limits on unordered input, windows) run as stream
// operators fed back into Acero through record_batch_reader_source.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <arrow/acero/exec_plan.h>

#include "common/status.h"
#include "engine/execution.h"
#include "engine/logical_plan.h"
#include "engine/session_state.h"

namespace codeanatomy::engine {

class PhysicalPlanner {
 public:
  /// `execute` is false for explain: sub-streams are then shown, not started.
  PhysicalPlanner(std::shared_ptr<SessionState> state, ExecuteOptions options, bool execute = true)
      : state_(std::move(state)), options_(std::move(options)), execute_(execute) {}

  /// A declaration whose output columns are exactly `plan.schema`'s, in order and by name.
  Result<arrow::acero::Declaration> Plan(const PlanNode& plan);

  /// For explain: "label input N" and the Acero plan of each stream operator's inputs.
  const std::vector<std::pair<std::string, std::string>>& sub_plans() const { return sub_plans_; }

 private:
  Result<arrow::acero::Declaration> PlanScan(const PlanNode& node);
  Result<arrow::acero::Declaration> PlanProjection(const PlanNode& node);
  Result<arrow::acero::Declaration> PlanFilter(const PlanNode& node);
  Result<arrow::acero::Declaration> PlanAggregate(const PlanNode& node);
  Result<arrow::acero::Declaration> PlanJoin(const PlanNode& node);
  Result<arrow::acero::Declaration> PlanHashJoin(const PlanNode& node);
  Result<arrow::acero::Declaration> PlanGatherJoin(const PlanNode& node);
  Result<arrow::acero::Declaration> PlanNestedLoopJoin(const PlanNode& node);
  Result<arrow::acero::Declaration> PlanSort(const PlanNode& node);
  Result<arrow::acero::Declaration> PlanLimit(const PlanNode& node);
  Result<arrow::acero::Declaration> PlanUnion(const PlanNode& node);
  Result<arrow::acero::Declaration> PlanDistinct(const PlanNode& node);
  Result<arrow::acero::Declaration> PlanWindow(const PlanNode& node);

  /// Feeds a lazily started stream back into Acero. For explain, a labelled placeholder, and
  /// the Acero plans of `inputs` (the stream's own inputs) are recorded in sub_plans().
  Result<arrow::acero::Declaration> StreamSource(
      std::shared_ptr<arrow::Schema> schema, std::string label, std::vector<const PlanNode*> inputs,
      std::function<Result<std::shared_ptr<arrow::RecordBatchReader>>()> start);
  /// Runs a sub-plan to a stream / to a table.
  Result<std::shared_ptr<arrow::RecordBatchReader>> RunToReader(const PlanNode& node);
  Result<std::shared_ptr<arrow::Table>> RunToTable(const PlanNode& node);

  std::shared_ptr<SessionState> state_;
  ExecuteOptions options_;
  bool execute_;
  std::vector<std::pair<std::string, std::string>> sub_plans_;
};

/// A rough output row count of a plan (for choosing join build sides and join orders); -1 when
/// unknown. Equi-joins use the keys' distinct counts when known: |L| * |R| / max(ndv).
int64_t EstimateRows(const PlanNode& node);

/// A rough count of the distinct non-null values of `field` in a plan's output, traced to a
/// provider column through filters, projections and joins; -1 when unknown.
int64_t EstimateDistinct(const PlanNode& node, const std::string& field);

/// Whether Acero's hash join can carry a column of this type as payload.
bool IsHashJoinPayloadType(const arrow::DataType& type);

}  // namespace codeanatomy::engine
