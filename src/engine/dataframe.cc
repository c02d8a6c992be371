#include "engine/dataframe.h"

#include <arrow/acero/exec_plan.h>

#include "common/tracing.h"
#include "engine/error_context.h"
#include "engine/optimizer.h"
#include "engine/physical_planner.h"

namespace codeanatomy::engine {

Status DataFrame::CheckSameSession(const DataFrame& other) const {
  if (other.state_ != state_) {
    return InvalidError(stage::kPlanning, "SESSION_MISMATCH",
                        "cannot combine DataFrames from different sessions");
  }
  return Status::OK();
}

Result<DataFrame> DataFrame::Select(std::vector<ExprPtr> exprs) const {
  tracing::Span span("DataFrame.select");
  CA_ASSIGN_OR_RAISE(auto p, plan::Projection(plan_, std::move(exprs), state_->resolver()));
  return DataFrame(state_, std::move(p));
}

Result<DataFrame> DataFrame::Filter(ExprPtr predicate) const {
  tracing::Span span("DataFrame.filter");
  CA_ASSIGN_OR_RAISE(auto p, plan::Filter(plan_, std::move(predicate), state_->resolver()));
  return DataFrame(state_, std::move(p));
}

Result<DataFrame> DataFrame::WithColumn(const std::string& name, ExprPtr expr) const {
  tracing::Span span("DataFrame.with_column");
  std::vector<ExprPtr> exprs;
  bool replaced = false;
  for (const auto& f : plan_->schema->fields()) {
    if (f->name() == name) {
      exprs.push_back(Alias(expr, name));
      replaced = true;
    } else {
      exprs.push_back(Column(f->name()));
    }
  }
  if (!replaced) exprs.push_back(Alias(std::move(expr), name));
  return Select(std::move(exprs));
}

Result<DataFrame> DataFrame::Aggregate(std::vector<ExprPtr> group_by,
                                       std::vector<ExprPtr> aggregates) const {
  tracing::Span span("DataFrame.aggregate");
  CA_ASSIGN_OR_RAISE(auto p, plan::Aggregate(plan_, std::move(group_by), std::move(aggregates),
                                             state_->resolver()));
  return DataFrame(state_, std::move(p));
}

Result<DataFrame> DataFrame::Join(const DataFrame& right, JoinType type,
                                  std::vector<std::string> left_keys,
                                  std::vector<std::string> right_keys, ExprPtr filter,
                                  const std::string& suffix) const {
  tracing::Span span("DataFrame.join");
  CA_RETURN_NOT_OK(CheckSameSession(right));
  CA_ASSIGN_OR_RAISE(
      auto p, plan::Join(plan_, right.plan_, type, std::move(left_keys), std::move(right_keys),
                         std::move(filter), state_->resolver(), suffix));
  return DataFrame(state_, std::move(p));
}

Result<DataFrame> DataFrame::Sort(std::vector<SortKey> keys) const {
  tracing::Span span("DataFrame.sort");
  CA_ASSIGN_OR_RAISE(auto p, plan::Sort(plan_, std::move(keys), state_->resolver()));
  return DataFrame(state_, std::move(p));
}

Result<DataFrame> DataFrame::Limit(int64_t fetch, int64_t offset) const {
  tracing::Span span("DataFrame.limit");
  CA_ASSIGN_OR_RAISE(auto p, plan::Limit(plan_, offset, fetch));
  return DataFrame(state_, std::move(p));
}

Result<DataFrame> DataFrame::Union(const DataFrame& other, bool distinct) const {
  tracing::Span span("DataFrame.union");
  CA_RETURN_NOT_OK(CheckSameSession(other));
  CA_ASSIGN_OR_RAISE(auto p, plan::Union({plan_, other.plan_}, distinct));
  return DataFrame(state_, std::move(p));
}

Result<DataFrame> DataFrame::Distinct() const {
  tracing::Span span("DataFrame.distinct");
  CA_ASSIGN_OR_RAISE(auto p, plan::Distinct(plan_));
  return DataFrame(state_, std::move(p));
}

Result<DataFrame> DataFrame::Window(std::vector<WindowFunction> windows) const {
  tracing::Span span("DataFrame.window");
  CA_ASSIGN_OR_RAISE(auto p, plan::Window(plan_, std::move(windows), state_->resolver()));
  return DataFrame(state_, std::move(p));
}

Result<PlanPtr> DataFrame::OptimizedPlan() const { return Optimize(plan_, state_->resolver()); }

Result<std::string> DataFrame::Explain() const {
  tracing::Span span("DataFrame.explain");
  CA_ASSIGN_OR_RAISE(auto optimized, OptimizedPlan());
  PhysicalPlanner planner(state_, ExecuteOptions{}, /*execute=*/false);
  CA_ASSIGN_OR_RAISE(auto decl, planner.Plan(*optimized));
  CA_ASSIGN_OR_RAISE(auto physical, arrow::acero::DeclarationToString(decl, state_->registry()));
  std::string out = "== Logical Plan ==\n" + ExplainLogical(*plan_) +
                    "\n== Optimized Logical Plan ==\n" + ExplainLogical(*optimized) +
                    "\n== Physical Plan (Acero) ==\n" + physical + "\n";
  for (const auto& [label, text] : planner.sub_plans()) {
    out += "\n== Stream operator " + label + " (Acero) ==\n" + text + "\n";
  }
  return out;
}

Result<std::shared_ptr<arrow::RecordBatchReader>> DataFrame::ExecuteStream(
    const ExecuteOptions& options) const {
  tracing::Span span("DataFrame.execute_stream");
  CA_ASSIGN_OR_RAISE(auto optimized, OptimizedPlan());
  PhysicalPlanner planner(state_, options);
  CA_ASSIGN_OR_RAISE(auto decl, planner.Plan(*optimized));
  CA_ASSIGN_OR_RAISE(auto reader, ExecuteDeclaration(std::move(decl), state_, options));
  // Acero names some columns itself; the logical schema is the contract.
  CA_ASSIGN_OR_RAISE(reader, RenameStream(std::move(reader), plan_->schema));
  return MakeAttributingReader(std::move(reader), optimized);
}

Result<std::shared_ptr<arrow::Table>> DataFrame::Collect(const ExecuteOptions& options) const {
  tracing::Span span("DataFrame.collect");
  CA_ASSIGN_OR_RAISE(auto reader, ExecuteStream(options));
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    CA_RETURN_NOT_OK(reader->ReadNext(&batch));
    if (!batch) break;
    batches.push_back(std::move(batch));
  }
  span.SetAttribute("batches", static_cast<int64_t>(batches.size()));
  return arrow::Table::FromRecordBatches(reader->schema(), std::move(batches));
}

}  // namespace codeanatomy::engine
