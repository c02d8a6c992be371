#include "engine/expr.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <arrow/array/util.h>
#include <arrow/compute/api.h>
#include <arrow/compute/exec.h>

#include "common/suggest.h"

namespace codeanatomy::engine {

namespace cp = arrow::compute;

// ---------------------------------------------------------------- construction

namespace {
std::shared_ptr<Expr> NewExpr(ExprKind kind) {
  auto e = std::make_shared<Expr>();
  e->kind = kind;
  return e;
}
}  // namespace

ExprPtr Column(std::string name) {
  auto e = NewExpr(ExprKind::kColumn);
  e->name = std::move(name);
  return e;
}

ExprPtr Literal(std::shared_ptr<arrow::Scalar> value) {
  auto e = NewExpr(ExprKind::kLiteral);
  e->literal = value ? std::move(value) : std::make_shared<arrow::NullScalar>();
  return e;
}

ExprPtr Call(std::string function, std::vector<ExprPtr> args,
             std::shared_ptr<cp::FunctionOptions> options) {
  auto e = NewExpr(ExprKind::kCall);
  e->name = std::move(function);
  e->args = std::move(args);
  e->options = std::move(options);
  return e;
}

ExprPtr Alias(ExprPtr expr, std::string name) {
  auto e = NewExpr(ExprKind::kAlias);
  e->name = std::move(name);
  e->args = {std::move(expr)};
  return e;
}

ExprPtr Cast(ExprPtr expr, std::shared_ptr<arrow::DataType> type) {
  auto e = NewExpr(ExprKind::kCast);
  e->type = std::move(type);
  e->args = {std::move(expr)};
  return e;
}

ExprPtr Case(std::vector<std::pair<ExprPtr, ExprPtr>> when_then, ExprPtr otherwise) {
  auto e = NewExpr(ExprKind::kCase);
  for (auto& [w, t] : when_then) {
    e->args.push_back(std::move(w));
    e->args.push_back(std::move(t));
  }
  if (otherwise) {
    e->args.push_back(std::move(otherwise));
    e->has_else = true;
  }
  return e;
}

ExprPtr InList(ExprPtr value, std::vector<ExprPtr> list, bool negated) {
  auto e = NewExpr(ExprKind::kInList);
  e->args.push_back(std::move(value));
  for (auto& item : list) e->args.push_back(std::move(item));
  e->negated = negated;
  return e;
}

ExprPtr Between(ExprPtr value, ExprPtr low, ExprPtr high, bool negated) {
  auto both =
      Call("and", {Call(">=", {value, std::move(low)}), Call("<=", {value, std::move(high)})});
  return negated ? Call("not", {both}) : both;
}

ExprPtr Like(ExprPtr value, std::string pattern, bool case_insensitive, bool negated) {
  auto e = NewExpr(ExprKind::kCall);
  e->name = case_insensitive ? "ilike" : "like";
  e->args = {std::move(value), Literal(arrow::MakeScalar(pattern))};
  e->options = std::make_shared<cp::MatchSubstringOptions>(pattern, case_insensitive);
  return negated ? Call("not", {e}) : ExprPtr(e);
}

ExprPtr AggregateCall(std::string function, std::vector<ExprPtr> args, bool distinct) {
  auto e = NewExpr(ExprKind::kCall);
  e->name = std::move(function);
  e->args = std::move(args);
  e->distinct = distinct;
  return e;
}

// ---------------------------------------------------------------- printing

namespace {

const std::unordered_map<std::string, std::string>& InfixOperators() {
  static const std::unordered_map<std::string, std::string> ops = {
      {"+", "+"},          {"add", "+"},         {"-", "-"},
      {"subtract", "-"},   {"*", "*"},           {"multiply", "*"},
      {"/", "/"},          {"divide", "/"},      {"=", "="},
      {"equal", "="},      {"!=", "!="},         {"<>", "!="},
      {"not_equal", "!="}, {"<", "<"},           {"less", "<"},
      {"<=", "<="},        {"less_equal", "<="}, {">", ">"},
      {"greater", ">"},    {">=", ">="},         {"greater_equal", ">="},
      {"and", "AND"},      {"or", "OR"},         {"||", "||"},
      {"like", "LIKE"},    {"ilike", "ILIKE"}};
  return ops;
}

std::string LiteralText(const arrow::Scalar& s) {
  if (!s.is_valid) return "NULL";
  if (s.type->id() == arrow::Type::STRING || s.type->id() == arrow::Type::LARGE_STRING ||
      s.type->id() == arrow::Type::STRING_VIEW) {
    return "'" + s.ToString() + "'";
  }
  return s.ToString();
}

}  // namespace

std::string ToString(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kColumn:
      return e.name;
    case ExprKind::kLiteral:
      return LiteralText(*e.literal);
    case ExprKind::kAlias:
      return ToString(*e.args[0]) + " AS " + e.name;
    case ExprKind::kCast:
      return "CAST(" + ToString(*e.args[0]) + " AS " + e.type->ToString() + ")";
    case ExprKind::kCase: {
      std::string out = "CASE";
      size_t pairs = (e.args.size() - (e.has_else ? 1 : 0)) / 2;
      for (size_t i = 0; i < pairs; ++i) {
        out += " WHEN " + ToString(*e.args[2 * i]) + " THEN " + ToString(*e.args[2 * i + 1]);
      }
      if (e.has_else) out += " ELSE " + ToString(*e.args.back());
      return out + " END";
    }
    case ExprKind::kInList: {
      std::string out = ToString(*e.args[0]) + (e.negated ? " NOT IN (" : " IN (");
      for (size_t i = 1; i < e.args.size(); ++i) {
        if (i > 1) out += ", ";
        out += ToString(*e.args[i]);
      }
      return out + ")";
    }
    case ExprKind::kCall: {
      const auto& ops = InfixOperators();
      if (auto it = ops.find(e.name); it != ops.end() && e.args.size() == 2) {
        return "(" + ToString(*e.args[0]) + " " + it->second + " " + ToString(*e.args[1]) + ")";
      }
      if (e.name == "not" && e.args.size() == 1) return "NOT " + ToString(*e.args[0]);
      if (e.name == "is_null" && e.args.size() == 1) return ToString(*e.args[0]) + " IS NULL";
      if (e.name == "is_not_null" && e.args.size() == 1) {
        return ToString(*e.args[0]) + " IS NOT NULL";
      }
      if (e.name == "count_all" && e.args.empty()) return "count(*)";
      std::string out = e.name + "(" + (e.distinct ? "DISTINCT " : "");
      for (size_t i = 0; i < e.args.size(); ++i) {
        if (i > 0) out += ", ";
        out += ToString(*e.args[i]);
      }
      return out + ")";
    }
  }
  return "?";
}

std::string OutputName(const Expr& e) {
  if (e.kind == ExprKind::kAlias || e.kind == ExprKind::kColumn) return e.name;
  return ToString(e);
}

const Expr& Unaliased(const Expr& e) {
  return e.kind == ExprKind::kAlias ? Unaliased(*e.args[0]) : e;
}

namespace {
void CollectColumns(const Expr& e, std::vector<std::string>* out,
                    std::unordered_set<std::string>* seen) {
  if (e.kind == ExprKind::kColumn) {
    if (seen->insert(e.name).second) out->push_back(e.name);
    return;
  }
  for (const auto& a : e.args) CollectColumns(*a, out, seen);
}
}  // namespace

std::vector<std::string> ReferencedColumns(const Expr& expr) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  CollectColumns(expr, &out, &seen);
  return out;
}

ExprPtr ReplaceColumns(const ExprPtr& expr,
                       const std::vector<std::pair<std::string, ExprPtr>>& rename) {
  if (expr->kind == ExprKind::kColumn) {
    for (const auto& [from, to] : rename) {
      if (from == expr->name) return to;
    }
    return expr;
  }
  if (expr->args.empty()) return expr;
  auto copy = std::make_shared<Expr>(*expr);
  for (auto& a : copy->args) a = ReplaceColumns(a, rename);
  return copy;
}

// ---------------------------------------------------------------- functions

namespace {

// User-facing names that differ from Arrow's. Checked arithmetic: overflow is an error.
const std::unordered_map<std::string, std::string>& FunctionAliases() {
  static const std::unordered_map<std::string, std::string> aliases = {
      {"+", "add_checked"},
      {"add", "add_checked"},
      {"-", "subtract_checked"},
      {"subtract", "subtract_checked"},
      {"*", "multiply_checked"},
      {"multiply", "multiply_checked"},
      {"/", "divide_checked"},
      {"divide", "divide_checked"},
      {"negate", "negate_checked"},
      {"abs", "abs_checked"},
      {"=", "equal"},
      {"!=", "not_equal"},
      {"<>", "not_equal"},
      {"<", "less"},
      {"<=", "less_equal"},
      {">", "greater"},
      {">=", "greater_equal"},
      {"and", "and_kleene"},
      {"or", "or_kleene"},
      {"not", "invert"},
      {"is_not_null", "is_valid"},
      {"lower", "utf8_lower"},
      {"upper", "utf8_upper"},
      {"length", "utf8_length"},
      {"char_length", "utf8_length"},
      {"character_length", "utf8_length"},
      {"octet_length", "binary_length"},
      {"trim", "utf8_trim_whitespace"},
      {"btrim", "utf8_trim_whitespace"},
      {"ltrim", "utf8_ltrim_whitespace"},
      {"rtrim", "utf8_rtrim_whitespace"},
      {"reverse", "utf8_reverse"},
      {"substr", "utf8_slice_codeunits"},
      {"substring", "utf8_slice_codeunits"},
      {"like", "match_like"},
      {"ilike", "match_like"},
      {"concat", "binary_join_element_wise"},
      {"||", "binary_join_element_wise"},
      {"avg", "mean"},
      {"ceiling", "ceil"},
      {"count_all", "count_all"},
      {"stddev_pop", "stddev"},
      {"var_pop", "variance"},
      {"bool_and", "all"},
      {"bool_or", "any"},
  };
  return aliases;
}

bool IsAggregateKind(cp::Function::Kind kind) {
  return kind == cp::Function::SCALAR_AGGREGATE || kind == cp::Function::HASH_AGGREGATE;
}

Status PlanningError(std::string_view code, std::string message, std::string details) {
  return InvalidError(stage::kPlanning, code, std::move(message), std::move(details));
}

}  // namespace

Result<std::string> FunctionResolver::Resolve(const std::string& name) const {
  std::string lowered = name;
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto& aliases = FunctionAliases();
  if (auto it = aliases.find(lowered); it != aliases.end()) return it->second;
  if (registry_->GetFunction(name).ok()) return name;
  if (registry_->GetFunction(lowered).ok()) return lowered;
  std::vector<std::string> names = registry_->GetFunctionNames();
  for (const auto& [alias, target] : aliases) names.push_back(alias);
  auto candidates = ClosestNames(lowered, names, 3);
  return PlanningError(
      "UNKNOWN_FUNCTION", "unknown function '" + name + "'" + SuggestionText(candidates),
      "{\"function\":" + JsonQuote(name) + ",\"candidates\":" + JsonStringArray(candidates) + "}");
}

bool FunctionResolver::IsAggregate(const std::string& name) const {
  auto resolved = Resolve(name);
  if (!resolved.ok()) return false;
  auto fn = registry_->GetFunction(*resolved);
  return fn.ok() && IsAggregateKind((*fn)->kind());
}

Result<cp::Expression> MakeCast(cp::Expression arg, const std::shared_ptr<arrow::DataType>& type,
                                cp::FunctionRegistry* registry, bool safe) {
  (void)registry;  // sessions shadow "cast" with a bindable function (arrow_cast.h)
  auto options = safe ? cp::CastOptions::Safe(type) : cp::CastOptions::Unsafe(type);
  return cp::call("cast", {std::move(arg)}, options);
}

bool ContainsAggregate(const Expr& expr, const FunctionResolver& resolver) {
  if (expr.kind == ExprKind::kCall && resolver.IsAggregate(expr.name)) return true;
  for (const auto& a : expr.args) {
    if (ContainsAggregate(*a, resolver)) return true;
  }
  return false;
}

Result<int> ResolveColumn(const arrow::Schema& schema, const std::string& name) {
  auto indices = schema.GetAllFieldIndices(name);
  if (indices.size() == 1) return indices[0];
  if (indices.empty()) {
    auto candidates = ClosestNames(name, schema.field_names(), 3);
    return PlanningError(
        "UNKNOWN_COLUMN", "unknown column '" + name + "'" + SuggestionText(candidates),
        "{\"column\":" + JsonQuote(name) + ",\"candidates\":" + JsonStringArray(candidates) + "}");
  }
  return PlanningError("AMBIGUOUS_COLUMN", "column reference '" + name + "' is ambiguous",
                       "{\"column\":" + JsonQuote(name) + "}");
}

}  // namespace codeanatomy::engine
