// Binding function calls: built-ins by their PostgreSQL names, aggregates (DISTINCT, FILTER),
// window calls, and SQL macros.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <functional>

#include <arrow/compute/api.h>
#include <arrow/scalar.h>
#include <arrow/util/decimal.h>
#include <arrow/util/string.h>

#include "common/suggest.h"
#include "sql/binder.h"
#include "sql/binder_util.h"
#include "sql/parse_tree.h"
#include "sql/sql_types.h"

namespace codeanatomy::sql {

using arrow::internal::AsciiToLower;
namespace cp = arrow::compute;
using engine::Expr;
using engine::ExprKind;

using internal::IsStringLiteral;

Result<ExprPtr> Binder::BindFuncCall(const JsonValue& node, ExprScope& scope) {
  const JsonValue& body = NodeBody(node);
  std::vector<std::string> qualified = StringList(Member(body, "funcname"));
  std::string name = AsciiToLower(qualified.back());
  if (!Member(body, "agg_order").is_null()) {
    return ErrorAt("NOT_SUPPORTED", "not supported: ORDER BY inside an aggregate call", node);
  }
  if (Member(body, "agg_within_group").is_bool() && Member(body, "agg_within_group").bool_value()) {
    return ErrorAt("NOT_SUPPORTED", "not supported: WITHIN GROUP", node);
  }
  bool star = Member(body, "agg_star").is_bool() && Member(body, "agg_star").bool_value();
  bool distinct =
      Member(body, "agg_distinct").is_bool() && Member(body, "agg_distinct").bool_value();
  std::vector<ExprPtr> args;
  const JsonValue& raw_args = Member(body, "args");
  // extract(field FROM x) / date_part('field', x): the field is a keyword, not a value.
  if ((name == "extract" || name == "date_part") && raw_args.is_array() &&
      raw_args.array_value().size() == 2) {
    const JsonValue& field_node = raw_args.array_value()[0];
    const JsonValue& sval = Member(Member(NodeBody(field_node), "sval"), "sval");
    if (!sval.is_string()) {
      return ErrorAt("NOT_SUPPORTED", name + " needs a constant field name", field_node);
    }
    CA_ASSIGN_OR_RAISE(auto value, BindExpr(raw_args.array_value()[1], scope));
    auto fn = ExtractFunction(AsciiToLower(sval.string_value()));
    if (!fn.ok()) return ErrorAt("NOT_SUPPORTED", fn.status().message(), field_node);
    return engine::Call(*fn, {value});
  }
  if (raw_args.is_array()) {
    for (const JsonValue& a : raw_args.array_value()) {
      CA_ASSIGN_OR_RAISE(auto e, BindExpr(a, scope));
      args.push_back(std::move(e));
    }
  }
  // SQL macros shadow nothing built in; they are looked up first only by exact name.
  {
    auto sql_state = SqlStateOf(*state_);
    std::shared_ptr<const SqlMacro> macro;
    {
      std::lock_guard<std::mutex> lock(sql_state->mutex);
      if (auto it = sql_state->macros.find(name); it != sql_state->macros.end()) macro = it->second;
    }
    if (macro) return BindMacro(*macro, name, std::move(args), node);
  }
  // PostgreSQL spellings of functions the engine knows by other names.
  if (name == "position" && args.size() == 2) {  // position(sub IN s): 1-based, 0 if absent
    auto found = engine::Call("find_substring", {args[1]},
                              nullptr);  // options bound below
    (void)found;
    return ErrorAt("NOT_SUPPORTED", "not supported: position()", node);
  }
  if (name == "round" && !args.empty() && args.size() <= 2 && scope.rel) {
    auto t = TypeOf(args[0], *scope.rel);
    if (t.ok() && arrow::is_floating((*t)->id())) {  // PostgreSQL's round(float8) is rint
      return engine::Call("round", std::move(args),
                          std::make_shared<arrow::compute::RoundOptions>(
                              0, arrow::compute::RoundMode::HALF_TO_EVEN));
    }
  }
  if (name == "replace" && args.size() == 3) {
    if (!IsStringLiteral(*args[1]) || !IsStringLiteral(*args[2])) {
      return ErrorAt("NOT_SUPPORTED", "not supported: replace() with non-constant patterns", node);
    }
    auto text = [](const ExprPtr& e) {
      return static_cast<const arrow::StringScalar&>(*e->literal).ToString();
    };
    return engine::Call(
        "replace_substring", {args[0]},
        std::make_shared<arrow::compute::ReplaceSubstringOptions>(text(args[1]), text(args[2])));
  }
  if ((name == "btrim" || name == "ltrim" || name == "rtrim") && args.size() == 2) {
    if (!IsStringLiteral(*args[1])) {
      return ErrorAt("NOT_SUPPORTED", "not supported: trim() with non-constant characters", node);
    }
    std::string chars = static_cast<const arrow::StringScalar&>(*args[1]->literal).ToString();
    std::string fn = name == "btrim" ? "utf8_trim" : name == "ltrim" ? "utf8_ltrim" : "utf8_rtrim";
    return engine::Call(fn, {args[0]}, std::make_shared<arrow::compute::TrimOptions>(chars));
  }
  if (name == "nullif" && args.size() == 2) {
    CA_ASSIGN_OR_RAISE(auto eq, Compare("=", args[0], args[1], scope, node));
    return engine::Case({{eq, engine::Literal(std::make_shared<arrow::NullScalar>())}}, args[0]);
  }
  if (name == "count" && star) args.clear();
  if (!Member(body, "over").is_null()) {
    if (name == "avg" || name == "mean") {
      for (auto& a : args) {
        if (scope.rel) {
          CA_ASSIGN_OR_RAISE(auto t, TypeOf(a, *scope.rel));
          if (arrow::is_decimal(t->id())) a = engine::Cast(a, arrow::float64());
        }
      }
    }
    return BindWindowCall(node, scope, name, std::move(args), star);
  }
  bool aggregate = fr_.IsAggregate(name);
  if (!aggregate) {
    if (distinct || star || !Member(body, "agg_filter").is_null()) {
      return ErrorAt("NOT_AN_AGGREGATE", name + " is not an aggregate function", node,
                     "\"function\":" + JsonQuote(name));
    }
    auto resolved = fr_.Resolve(name);
    if (!resolved.ok()) {
      return ErrorAt("UNKNOWN_FUNCTION", resolved.status().message(), node,
                     "\"function\":" + JsonQuote(name));
    }
    return engine::Call(name, std::move(args));
  }
  if (!scope.allow_aggregates) {
    return ErrorAt("AGGREGATE_NOT_ALLOWED",
                   std::string("aggregate functions are not allowed in ") + scope.clause, node,
                   "\"function\":" + JsonQuote(name));
  }
  if (name == "avg" || name == "mean") {
    // DuckDB and PostgreSQL average decimals without rounding to the input scale.
    for (auto& a : args) {
      if (scope.rel) {
        CA_ASSIGN_OR_RAISE(auto t, TypeOf(a, *scope.rel));
        if (arrow::is_decimal(t->id())) a = engine::Cast(a, arrow::float64());
      }
    }
  }
  if (const JsonValue& filter = Member(body, "agg_filter"); !filter.is_null()) {
    ExprScope filter_scope = scope;
    filter_scope.allow_aggregates = false;
    filter_scope.clause = "FILTER";
    CA_ASSIGN_OR_RAISE(auto cond, BindExpr(filter, filter_scope));
    if (args.empty()) {
      args.push_back(engine::Case({{cond, engine::Literal(arrow::MakeScalar(true))}}, nullptr));
      name = "count";
    } else {
      for (auto& a : args) a = engine::Case({{cond, a}}, nullptr);
    }
  }
  return engine::AggregateCall(name, std::move(args), distinct);
}

Result<ExprPtr> Binder::BindMacro(const SqlMacro& macro, const std::string& name,
                                  std::vector<ExprPtr> args, const JsonValue& node) {
  if (args.size() != macro.params.size()) {
    return ErrorAt("WRONG_ARITY",
                   "function " + name + " takes " + std::to_string(macro.params.size()) +
                       " argument(s), got " + std::to_string(args.size()),
                   node, "\"function\":" + JsonQuote(name));
  }
  // The body is bound over a one-row relation whose columns are the parameters; the result
  // is then rewritten with the call's argument expressions.
  Binder body_binder(state_, macro.body_text);
  BoundRelation params = MacroParameters(macro);
  std::vector<std::pair<std::string, ExprPtr>> substitution;
  for (size_t i = 0; i < macro.params.size(); ++i) {
    substitution.emplace_back(params.columns[i].field, engine::Cast(args[i], macro.param_types[i]));
  }
  ExprScope scope;
  scope.rel = &params;
  scope.clause = "a function body";
  CA_ASSIGN_OR_RAISE(auto bound, body_binder.BindExpr(macro.body, scope));
  return engine::Cast(engine::ReplaceColumns(bound, substitution), macro.return_type);
}

}  // namespace codeanatomy::sql
