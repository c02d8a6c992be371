// DataFrame: an immutable logical plan bound to a session. Every transformation checks names
// and types immediately and returns a new DataFrame; execution streams through Acero.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/table.h>

#include "common/status.h"
#include "engine/execution.h"
#include "engine/logical_plan.h"
#include "engine/session_state.h"

namespace codeanatomy::engine {

class DataFrame {
 public:
  DataFrame(std::shared_ptr<SessionState> state, PlanPtr plan)
      : state_(std::move(state)), plan_(std::move(plan)) {}

  const PlanPtr& plan() const { return plan_; }
  const std::shared_ptr<SessionState>& state() const { return state_; }
  std::shared_ptr<arrow::Schema> schema() const { return plan_->schema; }

  Result<DataFrame> Select(std::vector<ExprPtr> exprs) const;
  Result<DataFrame> Filter(ExprPtr predicate) const;
  /// Adds a column, or replaces the column of the same name in place.
  Result<DataFrame> WithColumn(const std::string& name, ExprPtr expr) const;
  Result<DataFrame> Aggregate(std::vector<ExprPtr> group_by, std::vector<ExprPtr> aggregates) const;
  Result<DataFrame> Join(const DataFrame& right, JoinType type, std::vector<std::string> left_keys,
                         std::vector<std::string> right_keys, ExprPtr filter = nullptr,
                         const std::string& suffix = "_right") const;
  Result<DataFrame> Sort(std::vector<SortKey> keys) const;
  /// At most `fetch` rows (-1: no limit) after skipping `offset`.
  Result<DataFrame> Limit(int64_t fetch, int64_t offset = 0) const;
  Result<DataFrame> Union(const DataFrame& other, bool distinct) const;
  Result<DataFrame> Distinct() const;
  /// Adds one column per window function (named by its output_name) after the existing ones.
  /// Rows come out in the order of the first function's partition and order keys.
  Result<DataFrame> Window(std::vector<WindowFunction> windows) const;

  /// The optimized logical plan.
  Result<PlanPtr> OptimizedPlan() const;
  /// Logical, optimized logical and Acero plans as text.
  Result<std::string> Explain() const;
  /// Starts the query; the reader streams its result.
  Result<std::shared_ptr<arrow::RecordBatchReader>> ExecuteStream(
      const ExecuteOptions& options = {}) const;
  /// Runs the query to a table.
  Result<std::shared_ptr<arrow::Table>> Collect(const ExecuteOptions& options = {}) const;

 private:
  Status CheckSameSession(const DataFrame& other) const;
  std::shared_ptr<SessionState> state_;
  PlanPtr plan_;
};

}  // namespace codeanatomy::engine
