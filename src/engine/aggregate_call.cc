#include "engine/aggregate_call.h"

#include <arrow/compute/api_aggregate.h>
#include <arrow/compute/registry.h>

namespace codeanatomy::engine {

namespace cp = arrow::compute;

std::shared_ptr<cp::FunctionOptions> DefaultAggregateOptions(const std::string& function) {
  if (function == "count" || function == "count_distinct") {
    return std::make_shared<cp::CountOptions>(cp::CountOptions::ONLY_VALID);
  }
  return nullptr;
}

Result<ResolvedAggregate> ResolveAggregateCall(const Expr& expr, const arrow::Schema& input,
                                               const FunctionResolver& fr) {
  const Expr& call = Unaliased(expr);
  std::string text = ToString(expr);
  if (call.kind != ExprKind::kCall || !fr.IsAggregate(call.name)) {
    return InvalidError(stage::kPlanning, "NOT_AN_AGGREGATE",
                        "expected an aggregate function call, got " + text,
                        "{\"expression\":" + JsonQuote(text) + "}");
  }
  ResolvedAggregate out;
  CA_ASSIGN_OR_RAISE(out.function, fr.Resolve(call.name));
  if (out.function == "count" && call.args.empty()) out.function = "count_all";
  if (call.distinct) {
    if (out.function != "count") {
      return InvalidError(stage::kPlanning, "NOT_SUPPORTED",
                          "not supported: DISTINCT in aggregate " + call.name,
                          "{\"expression\":" + JsonQuote(text) + "}");
    }
    out.function = "count_distinct";
  }
  auto fn = fr.registry()->GetFunction("hash_" + out.function);
  if (!fn.ok()) {
    return InvalidError(stage::kPlanning, "NOT_SUPPORTED",
                        "aggregate " + call.name + " has no grouped implementation",
                        "{\"expression\":" + JsonQuote(text) + "}");
  }
  size_t expected = static_cast<size_t>((*fn)->arity().num_args) - 1;  // minus the group id
  if (call.args.size() != expected) {
    return InvalidError(stage::kPlanning, "WRONG_ARITY",
                        "aggregate " + call.name + " takes " + std::to_string(expected) +
                            " argument(s), got " + std::to_string(call.args.size()),
                        "{\"function\":" + JsonQuote(call.name) +
                            ",\"expected\":" + JsonQuote(std::to_string(expected)) +
                            ",\"actual\":" + std::to_string(call.args.size()) + "}");
  }
  for (const auto& a : call.args) {
    if (ContainsAggregate(*a, fr)) {
      return InvalidError(stage::kPlanning, "AGGREGATE_NOT_ALLOWED", "nested aggregate in " + text,
                          "{\"expression\":" + JsonQuote(text) + "}");
    }
    CA_ASSIGN_OR_RAISE(auto field, ScalarField(*a, input, fr));
    out.args.push_back(a);
    out.arg_types.push_back(field->type());
  }
  out.options = call.options ? call.options : DefaultAggregateOptions(out.function);
  return out;
}

}  // namespace codeanatomy::engine
