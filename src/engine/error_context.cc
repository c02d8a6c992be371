#include "engine/error_context.h"

#include <set>
#include <string_view>

#include "common/suggest.h"

namespace codeanatomy::engine {

namespace {

bool IsArithmetic(const Expr& e, std::string_view kind) {
  if (e.kind != ExprKind::kCall) return false;
  static const std::set<std::string, std::less<>> kOverflow = {
      "+", "-", "*", "/", "add", "subtract", "multiply", "divide", "negate", "abs", "sum"};
  static const std::set<std::string, std::less<>> kDivision = {"/", "divide"};
  return kind == "overflow" ? kOverflow.count(e.name) > 0 : kDivision.count(e.name) > 0;
}

void Collect(const Expr& e, std::string_view kind, std::set<std::string>* out) {
  if (IsArithmetic(e, kind)) out->insert(ToString(e));
  for (const auto& a : e.args) Collect(*a, kind, out);
}

void CollectPlan(const PlanNode& p, std::string_view kind, std::set<std::string>* out) {
  auto visit = [&](const ExprPtr& e) {
    if (e) Collect(*e, kind, out);
  };
  for (const auto& e : p.exprs) visit(e);
  for (const auto& e : p.filters) visit(e);
  for (const auto& e : p.group_by) visit(e);
  for (const auto& e : p.aggregates) visit(e);
  for (const auto& k : p.sort_keys) visit(k.expr);
  for (const auto& w : p.windows) {
    for (const auto& e : w.args) visit(e);
    for (const auto& e : w.partition_by) visit(e);
    for (const auto& k : w.order_by) visit(k.expr);
  }
  visit(p.predicate);
  visit(p.join_filter);
  for (const auto& in : p.inputs) CollectPlan(*in, kind, out);
}

class AttributingReader : public arrow::RecordBatchReader {
 public:
  AttributingReader(std::shared_ptr<arrow::RecordBatchReader> input, PlanPtr plan)
      : input_(std::move(input)), plan_(std::move(plan)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return input_->schema(); }
  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    return AttributeRuntimeError(input_->ReadNext(out), *plan_);
  }
  Status Close() override { return input_->Close(); }

 private:
  std::shared_ptr<arrow::RecordBatchReader> input_;
  PlanPtr plan_;
};

}  // namespace

Status AttributeRuntimeError(Status status, const PlanNode& plan) {
  if (status.ok() || status.code() != arrow::StatusCode::Invalid || status.detail() != nullptr) {
    return status;
  }
  const std::string& message = status.message();
  std::string_view kind;
  std::string code;
  if (message.find("divide by zero") != std::string::npos) {
    kind = "division";
    code = "DIVISION_BY_ZERO";
  } else if (message.find("overflow") != std::string::npos &&
             message.find("cast") == std::string::npos &&
             message.find("Integer value") == std::string::npos) {
    kind = "overflow";
    code = "ARITHMETIC_OVERFLOW";
  } else {
    return status;
  }
  std::set<std::string> candidates;
  CollectPlan(plan, kind, &candidates);
  std::vector<std::string> list(candidates.begin(), candidates.end());
  std::string where;
  for (size_t i = 0; i < list.size(); ++i) where += (i ? ", " : "") + list[i];
  return EngineError(arrow::StatusCode::Invalid, stage::kExecution, code,
                     message + (list.empty() ? "" : " in " + where),
                     "{\"expressions\":" + JsonStringArray(list) + "}");
}

std::shared_ptr<arrow::RecordBatchReader> MakeAttributingReader(
    std::shared_ptr<arrow::RecordBatchReader> input, PlanPtr plan) {
  return std::make_shared<AttributingReader>(std::move(input), std::move(plan));
}

}  // namespace codeanatomy::engine
