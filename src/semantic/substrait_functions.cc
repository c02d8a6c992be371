// How engine functions are named in Substrait and back. Functions Arrow's Substrait consumer
// knows by a standard name (substrait-io's extension YAMLs) use it; other Arrow functions keep
// their Arrow name under Arrow's own extension URI (its consumer calls them by that name);
// a session's functions (the codeanatomy bundle, plugins') use kCodeanatomyFunctionsUri. Arrow
// FunctionOptions travel exactly, serialized, as one function option.
#include <algorithm>

#include <arrow/compute/api.h>
#include <arrow/engine/substrait/extension_set.h>
#include <arrow/util/base64.h>
#include <arrow/util/string.h>

#include "engine/window_udf.h"
#include "semantic/substrait_internal.h"

namespace codeanatomy::semantic::substrait_internal {

namespace {

namespace cp = arrow::compute;
namespace ae = arrow::engine;

/// One engine function with a standard Substrait name.
struct StandardFunction {
  const char* canonical;  ///< the Arrow function the engine resolves the call to
  const char* uri;
  const char* substrait;  ///< its name in `uri`
  const char* expr_name;  ///< the engine name the consumer writes back
  const char* option;     ///< a standard option written with it, or nullptr
  const char* value;
};

const std::vector<StandardFunction>& ScalarFunctions() {
  static const std::vector<StandardFunction> table = {
      {"add_checked", ae::kSubstraitArithmeticFunctionsUri, "add", "+", "overflow", "ERROR"},
      {"subtract_checked", ae::kSubstraitArithmeticFunctionsUri, "subtract", "-", "overflow",
       "ERROR"},
      {"multiply_checked", ae::kSubstraitArithmeticFunctionsUri, "multiply", "*", "overflow",
       "ERROR"},
      {"divide_checked", ae::kSubstraitArithmeticFunctionsUri, "divide", "/", "overflow", "ERROR"},
      {"negate_checked", ae::kSubstraitArithmeticFunctionsUri, "negate", "negate", "overflow",
       "ERROR"},
      {"abs_checked", ae::kSubstraitArithmeticFunctionsUri, "abs", "abs", "overflow", "ERROR"},
      {"power", ae::kSubstraitArithmeticFunctionsUri, "power", "power", "overflow", "SILENT"},
      {"sqrt", ae::kSubstraitArithmeticFunctionsUri, "sqrt", "sqrt", "overflow", "SILENT"},
      {"exp", ae::kSubstraitArithmeticFunctionsUri, "exp", "exp", nullptr, nullptr},
      {"sign", ae::kSubstraitArithmeticFunctionsUri, "sign", "sign", nullptr, nullptr},
      {"ln", ae::kSubstraitLogarithmicFunctionsUri, "ln", "ln", nullptr, nullptr},
      {"log10", ae::kSubstraitLogarithmicFunctionsUri, "log10", "log10", nullptr, nullptr},
      {"log2", ae::kSubstraitLogarithmicFunctionsUri, "log2", "log2", nullptr, nullptr},
      {"log1p", ae::kSubstraitLogarithmicFunctionsUri, "log1p", "log1p", nullptr, nullptr},
      {"ceil", ae::kSubstraitRoundingFunctionsUri, "ceil", "ceil", nullptr, nullptr},
      {"floor", ae::kSubstraitRoundingFunctionsUri, "floor", "floor", nullptr, nullptr},
      {"round", ae::kSubstraitRoundingFunctionsUri, "round", "round", nullptr, nullptr},
      {"equal", ae::kSubstraitComparisonFunctionsUri, "equal", "=", nullptr, nullptr},
      {"not_equal", ae::kSubstraitComparisonFunctionsUri, "not_equal", "!=", nullptr, nullptr},
      {"less", ae::kSubstraitComparisonFunctionsUri, "lt", "<", nullptr, nullptr},
      {"less_equal", ae::kSubstraitComparisonFunctionsUri, "lte", "<=", nullptr, nullptr},
      {"greater", ae::kSubstraitComparisonFunctionsUri, "gt", ">", nullptr, nullptr},
      {"greater_equal", ae::kSubstraitComparisonFunctionsUri, "gte", ">=", nullptr, nullptr},
      {"is_null", ae::kSubstraitComparisonFunctionsUri, "is_null", "is_null", nullptr, nullptr},
      {"is_valid", ae::kSubstraitComparisonFunctionsUri, "is_not_null", "is_not_null", nullptr,
       nullptr},
      {"is_nan", ae::kSubstraitComparisonFunctionsUri, "is_nan", "is_nan", nullptr, nullptr},
      {"coalesce", ae::kSubstraitComparisonFunctionsUri, "coalesce", "coalesce", nullptr, nullptr},
      {"and_kleene", ae::kSubstraitBooleanFunctionsUri, "and", "and", nullptr, nullptr},
      {"or_kleene", ae::kSubstraitBooleanFunctionsUri, "or", "or", nullptr, nullptr},
      {"invert", ae::kSubstraitBooleanFunctionsUri, "not", "not", nullptr, nullptr},
      {"xor", ae::kSubstraitBooleanFunctionsUri, "xor", "xor", nullptr, nullptr},
      {"utf8_lower", ae::kSubstraitStringFunctionsUri, "lower", "lower", nullptr, nullptr},
      {"utf8_upper", ae::kSubstraitStringFunctionsUri, "upper", "upper", nullptr, nullptr},
      {"utf8_length", ae::kSubstraitStringFunctionsUri, "char_length", "length", nullptr, nullptr},
      {"starts_with", ae::kSubstraitStringFunctionsUri, "starts_with", "starts_with", nullptr,
       nullptr},
      {"ends_with", ae::kSubstraitStringFunctionsUri, "ends_with", "ends_with", nullptr, nullptr},
      {"utf8_slice_codeunits", ae::kSubstraitStringFunctionsUri, "substring", "substr", nullptr,
       nullptr},
      // LIKE/ILIKE and ||/concat differ by an option, see below.
      {"match_like", ae::kSubstraitStringFunctionsUri, "like", "like", nullptr, nullptr},
      {"binary_join_element_wise", ae::kSubstraitStringFunctionsUri, "concat", "concat", nullptr,
       nullptr},
  };
  return table;
}

const std::vector<StandardFunction>& AggregateFunctions() {
  static const std::vector<StandardFunction> table = {
      {"sum", ae::kSubstraitArithmeticFunctionsUri, "sum", "sum", nullptr, nullptr},
      {"min", ae::kSubstraitArithmeticFunctionsUri, "min", "min", nullptr, nullptr},
      {"max", ae::kSubstraitArithmeticFunctionsUri, "max", "max", nullptr, nullptr},
      {"mean", ae::kSubstraitArithmeticFunctionsUri, "avg", "avg", nullptr, nullptr},
      {"count", ae::kSubstraitAggregateGenericFunctionsUri, "count", "count", nullptr, nullptr},
      {"count_all", ae::kSubstraitAggregateGenericFunctionsUri, "count", "count_all", nullptr,
       nullptr},
  };
  return table;
}

// Window functions Substrait defines (functions_arithmetic.yaml's window functions).
const std::vector<std::string>& RankingWindowFunctions() {
  static const std::vector<std::string> names = {
      "row_number", "rank", "dense_rank",  "percent_rank", "cume_dist", "ntile",
      "lag",        "lead", "first_value", "last_value",   "nth_value"};
  return names;
}

const StandardFunction* ByCanonical(const std::vector<StandardFunction>& table,
                                    const std::string& canonical) {
  for (const auto& f : table) {
    if (canonical == f.canonical) return &f;
  }
  return nullptr;
}

const StandardFunction* BySubstrait(const std::vector<StandardFunction>& table,
                                    const ExtensionId& id) {
  for (const auto& f : table) {
    if (id.uri == f.uri && id.name == f.substrait) return &f;
  }
  return nullptr;
}

std::string Lower(const std::string& s) { return arrow::internal::AsciiToLower(s); }

engine::FunctionResolver GlobalResolver() {
  return engine::FunctionResolver(cp::GetFunctionRegistry());
}

// Arrow's own function (not a session's, which may shadow a built-in name).
bool IsArrowBuiltin(const std::string& canonical, const engine::FunctionResolver& fr) {
  auto global = cp::GetFunctionRegistry()->GetFunction(canonical);
  if (!global.ok()) return false;
  auto session = fr.registry()->GetFunction(canonical);
  return session.ok() && session->get() == global->get();
}

const std::vector<std::string>* OptionValues(const SubstraitCall& call, std::string_view name) {
  for (const auto& [n, values] : call.options) {
    if (n == name) return &values;
  }
  return nullptr;
}

bool OptionIs(const SubstraitCall& call, std::string_view name, std::string_view value) {
  const auto* values = OptionValues(call, name);
  return values && !values->empty() && (*values)[0] == value;
}

// Substrait's rounding option values, in arrow::compute::RoundMode order.
const std::vector<std::string>& RoundingNames() {
  static const std::vector<std::string> names = {
      "FLOOR",  "CEILING",          "TRUNCATE",           "AWAY_FROM_ZERO", "TIE_DOWN",
      "TIE_UP", "TIE_TOWARDS_ZERO", "TIE_AWAY_FROM_ZERO", "TIE_TO_EVEN",    "TIE_TO_ODD"};
  return names;
}

// Whether the standard form already says everything the options say: LIKE's pattern is its
// literal argument and its case sensitivity an option; round's mode is the "rounding" option.
bool OptionsImplied(const engine::Expr& call, const std::string& canonical) {
  if (auto* like = dynamic_cast<const cp::MatchSubstringOptions*>(call.options.get())) {
    return canonical == "match_like" && call.args.size() == 2 &&
           call.args[1]->kind == engine::ExprKind::kLiteral && call.args[1]->literal->is_valid &&
           call.args[1]->literal->ToString() == like->pattern;
  }
  if (auto* round = dynamic_cast<const cp::RoundOptions*>(call.options.get())) {
    return canonical == "round" && round->ndigits == 0;
  }
  return false;
}

Status AddArrowOptions(const engine::Expr& call, SubstraitCall* out) {
  if (!call.options) return Status::OK();
  auto buffer = call.options->Serialize();
  if (!buffer.ok()) {
    return NotSupported("expression", engine::ToString(call),
                        "the options of " + engine::ToString(call) + " (" +
                            call.options->type_name() + ") cannot be serialized");
  }
  out->options.push_back({std::string(kArrowOptionsPrefix) + call.options->type_name(),
                          {arrow::util::base64_encode((*buffer)->ToString())}});
  return Status::OK();
}

// The options a call carried exactly, or null.
Result<std::shared_ptr<cp::FunctionOptions>> ArrowOptions(const SubstraitCall& call) {
  for (const auto& [name, values] : call.options) {
    if (name.rfind(kArrowOptionsPrefix, 0) != 0) continue;
    std::string type_name = name.substr(kArrowOptionsPrefix.size());
    auto bytes = values.size() == 1 ? arrow::util::base64_decode(values[0])
                                    : Result<std::string>(Status::Invalid("one value"));
    if (!bytes.ok()) {
      return InvalidPlan(
          "$", "function option " + name + " of " + call.id.name + " must have one base64 value");
    }
    auto options = cp::FunctionOptions::Deserialize(type_name, *arrow::Buffer::FromString(*bytes));
    if (!options.ok()) {
      return InvalidPlan("$", "function option " + name + " of " + call.id.name +
                                  " does not decode: " + options.status().message());
    }
    return std::shared_ptr<cp::FunctionOptions>(std::move(*options));
  }
  return nullptr;
}

bool IsEngineUri(const std::string& uri) {
  return uri == kCodeanatomyFunctionsUri || uri == ae::kArrowSimpleExtensionFunctionsUri;
}

// The engine name of a scalar call to a standard function, given its options.
Result<std::string> ScalarExprName(const SubstraitCall& call) {
  if (IsEngineUri(call.id.uri)) return call.id.name;
  const StandardFunction* f = BySubstrait(ScalarFunctions(), call.id);
  if (!f) return UnknownFunction(call.id.uri, call.id.name, "no engine function has this name");
  std::string canonical = f->canonical;
  if (canonical == "match_like") {
    return OptionIs(call, "case_sensitivity", "CASE_INSENSITIVE") ? "ilike" : "like";
  }
  if (canonical == "binary_join_element_wise") {
    return OptionIs(call, "null_handling", "ACCEPT_NULLS") ? "||" : "concat";
  }
  return std::string(f->expr_name);
}

// The engine name a scalar call gets back from its Substrait form (see ScalarExprName).
std::string RoundTripName(const engine::Expr& call, const std::string& canonical, bool builtin) {
  if (!builtin) return canonical;
  std::string lname = Lower(call.name);
  if (canonical == "match_like") {
    bool insensitive = lname == "ilike";
    if (auto* o = dynamic_cast<const cp::MatchSubstringOptions*>(call.options.get())) {
      insensitive = o->ignore_case;
    }
    return insensitive ? "ilike" : "like";
  }
  if (canonical == "binary_join_element_wise") return lname == "||" ? "||" : "concat";
  const StandardFunction* f = ByCanonical(ScalarFunctions(), canonical);
  return f ? f->expr_name : canonical;
}

}  // namespace

Result<SubstraitCall> ScalarCallToSubstrait(const engine::Expr& call,
                                            const engine::FunctionResolver& fr) {
  CA_ASSIGN_OR_RAISE(std::string canonical, fr.Resolve(call.name));
  SubstraitCall out;
  std::string lname = Lower(call.name);
  if (!IsArrowBuiltin(canonical, fr)) {
    out.id = {kCodeanatomyFunctionsUri, canonical};
  } else if (const StandardFunction* f = ByCanonical(ScalarFunctions(), canonical)) {
    out.id = {f->uri, f->substrait};
    if (f->option) out.options.push_back({f->option, {f->value}});
    if (canonical == "match_like") {
      std::string name = RoundTripName(call, canonical, true);
      out.options.push_back(
          {"case_sensitivity", {name == "ilike" ? "CASE_INSENSITIVE" : "CASE_SENSITIVE"}});
    } else if (canonical == "binary_join_element_wise") {
      out.options.push_back({"null_handling", {lname == "||" ? "ACCEPT_NULLS" : "IGNORE_NULLS"}});
    } else if (canonical == "round") {
      auto mode = cp::RoundMode::HALF_TOWARDS_INFINITY;  // the engine's default (see lowering)
      if (auto* o = dynamic_cast<const cp::RoundOptions*>(call.options.get())) {
        mode = o->round_mode;
      }
      out.options.push_back({"rounding", {RoundingNames()[static_cast<size_t>(mode)]}});
    }
    if (OptionsImplied(call, canonical)) return out;
  } else {
    out.id = {ae::kArrowSimpleExtensionFunctionsUri, canonical};
  }
  CA_RETURN_NOT_OK(AddArrowOptions(call, &out));
  return out;
}

Result<SubstraitCall> AggregateCallToSubstrait(const engine::Expr& call,
                                               const engine::FunctionResolver& fr) {
  CA_ASSIGN_OR_RAISE(std::string canonical, fr.Resolve(call.name));
  if (canonical == "count" && call.args.empty()) canonical = "count_all";
  SubstraitCall out;
  if (!IsArrowBuiltin(canonical, fr)) {
    out.id = {kCodeanatomyFunctionsUri, canonical};
  } else if (const StandardFunction* f = ByCanonical(AggregateFunctions(), canonical)) {
    out.id = {f->uri, f->substrait};
  } else {
    out.id = {ae::kArrowSimpleExtensionFunctionsUri, canonical};
  }
  CA_RETURN_NOT_OK(AddArrowOptions(call, &out));
  return out;
}

Result<SubstraitCall> WindowCallToSubstrait(const engine::WindowFunction& w,
                                            const engine::FunctionResolver& fr) {
  std::string name = Lower(w.function);
  SubstraitCall out;
  if (engine::LookupWindowUdf(fr.registry(), name)) {
    out.id = {kCodeanatomyFunctionsUri, name};
    return out;
  }
  const auto& ranking = RankingWindowFunctions();
  if (std::find(ranking.begin(), ranking.end(), name) != ranking.end()) {
    out.id = {ae::kSubstraitArithmeticFunctionsUri, name};
    return out;
  }
  if (name == "mean") name = "avg";
  if (name == "count_all") name = "count";
  for (const auto& f : AggregateFunctions()) {
    if (name == f.substrait) {
      out.id = {f.uri, f.substrait};
      return out;
    }
  }
  return NotSupported("function", w.function,
                      "window function " + w.function + " has no Substrait name");
}

Result<engine::ExprPtr> ScalarCallFromSubstrait(const SubstraitCall& call,
                                                std::vector<engine::ExprPtr> args) {
  CA_ASSIGN_OR_RAISE(std::string name, ScalarExprName(call));
  CA_ASSIGN_OR_RAISE(auto options, ArrowOptions(call));
  if (!options && name == "round") {
    if (const auto* values = OptionValues(call, "rounding"); values && !values->empty()) {
      const auto& names = RoundingNames();
      auto it = std::find(names.begin(), names.end(), (*values)[0]);
      if (it != names.end()) {
        options =
            std::make_shared<cp::RoundOptions>(0, static_cast<cp::RoundMode>(it - names.begin()));
      }
    }
  }
  return engine::Call(std::move(name), std::move(args), std::move(options));
}

Result<engine::ExprPtr> AggregateCallFromSubstrait(const SubstraitCall& call,
                                                   std::vector<engine::ExprPtr> args,
                                                   bool distinct) {
  std::string name;
  if (IsEngineUri(call.id.uri)) {
    name = call.id.name;
  } else if (const StandardFunction* f = BySubstrait(AggregateFunctions(), call.id)) {
    name = f->expr_name;
    if (name == "count" && args.empty()) name = "count_all";
  } else {
    return UnknownFunction(call.id.uri, call.id.name, "no engine aggregate has this name");
  }
  CA_ASSIGN_OR_RAISE(auto options, ArrowOptions(call));
  auto out = std::make_shared<engine::Expr>(
      *engine::AggregateCall(std::move(name), std::move(args), distinct));
  out->options = std::move(options);
  return engine::ExprPtr(out);
}

Result<std::string> WindowNameFromSubstrait(const SubstraitCall& call, size_t num_args) {
  if (IsEngineUri(call.id.uri)) return call.id.name;
  const auto& ranking = RankingWindowFunctions();
  if (call.id.uri == ae::kSubstraitArithmeticFunctionsUri &&
      std::find(ranking.begin(), ranking.end(), call.id.name) != ranking.end()) {
    return call.id.name;
  }
  if (const StandardFunction* f = BySubstrait(AggregateFunctions(), call.id)) {
    if (std::string(f->substrait) == "count") return num_args == 0 ? "count_all" : "count";
    return std::string(f->expr_name);
  }
  return UnknownFunction(call.id.uri, call.id.name, "no engine window function has this name");
}

std::string CanonicalFunctionName(const std::string& name, size_t num_args, bool distinct) {
  auto resolved = GlobalResolver().Resolve(name);
  std::string canonical = resolved.ok() ? *resolved : Lower(name);
  if (canonical == "count" && num_args == 0) return "count_all";
  if (canonical == "count" && distinct) return "count_distinct";
  return canonical;
}

engine::ExprPtr NormalizeExpr(const engine::ExprPtr& expr) {
  if (expr->kind == engine::ExprKind::kAlias) return NormalizeExpr(expr->args[0]);
  if (expr->args.empty() && expr->kind != engine::ExprKind::kCall) return expr;
  auto copy = std::make_shared<engine::Expr>(*expr);
  for (auto& a : copy->args) a = NormalizeExpr(a);
  if (copy->kind == engine::ExprKind::kCall) {
    auto fr = GlobalResolver();
    auto resolved = fr.Resolve(copy->name);
    std::string canonical = resolved.ok() ? *resolved : Lower(copy->name);
    bool builtin = cp::GetFunctionRegistry()->GetFunction(canonical).ok();
    copy->name = RoundTripName(*expr, canonical, builtin);
    // NOT (x IN list) reads back as x NOT IN list (see substrait_expr.cc).
    if (copy->name == "not" && copy->args.size() == 1 &&
        copy->args[0]->kind == engine::ExprKind::kInList && !copy->args[0]->negated) {
      auto negated = std::make_shared<engine::Expr>(*copy->args[0]);
      negated->negated = true;
      return negated;
    }
  }
  return copy;
}

}  // namespace codeanatomy::semantic::substrait_internal
