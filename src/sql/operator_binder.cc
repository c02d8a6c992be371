// Binding SQL operators: comparisons with PostgreSQL's literal typing, arithmetic on decimals
// and dates, IN, BETWEEN, LIKE/ILIKE with ESCAPE, IS [NOT] DISTINCT FROM, NULLIF.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <functional>

#include <arrow/compute/api.h>
#include <arrow/scalar.h>
#include <arrow/util/decimal.h>

#include "common/suggest.h"
#include "sql/binder.h"
#include "sql/binder_util.h"
#include "sql/parse_tree.h"
#include "sql/sql_types.h"

namespace codeanatomy::sql {

namespace cp = arrow::compute;
using engine::Expr;
using engine::ExprKind;

using internal::IsStringLiteral;

Result<ExprPtr> Binder::Coerce(ExprPtr literal_side, const ExprPtr& other,
                               const BoundRelation& rel) {
  if (literal_side->kind != ExprKind::kLiteral || !literal_side->literal) return literal_side;
  const auto& lit_type = literal_side->literal->type;
  bool untyped_null = lit_type->id() == arrow::Type::NA;
  bool is_string = IsStringLiteral(*literal_side);
  bool is_int = arrow::is_integer(lit_type->id()) && literal_side->literal->is_valid;
  if (!untyped_null && !is_string && !is_int) return literal_side;
  auto typed = TypeOf(other, rel);
  if (!typed.ok()) return literal_side;  // the other side's own error surfaces later
  auto other_type = *typed;
  if (other_type->id() == arrow::Type::NA) {
    // NULL next to NULL: compare as booleans (the result is NULL either way).
    return untyped_null ? engine::Literal(arrow::MakeNullScalar(arrow::boolean())) : literal_side;
  }
  if (untyped_null) return engine::Literal(arrow::MakeNullScalar(other_type));
  if (is_int) {
    // An integer constant next to a decimal becomes a decimal of its own digits, so that the
    // comparison needs no wider precision than the column's.
    if (!arrow::is_decimal(other_type->id())) return literal_side;
    auto as_int = literal_side->literal->CastTo(arrow::int64());
    if (!as_int.ok()) return literal_side;
    int64_t value = static_cast<const arrow::Int64Scalar&>(**as_int).value;
    std::string digits = std::to_string(value);
    int32_t precision = static_cast<int32_t>(digits.size() - (value < 0 ? 1 : 0));
    return engine::Literal(std::make_shared<arrow::Decimal128Scalar>(
        arrow::Decimal128(value), arrow::decimal128(precision, 0)));
  }
  // An untyped string constant takes the type of the other operand, as in PostgreSQL
  // ('2020-01-01' next to a date column is a date).
  if (other_type->id() == arrow::Type::STRING || other_type->id() == arrow::Type::LARGE_STRING) {
    return literal_side;
  }
  return CastLiteral(literal_side, other_type);
}

Result<ExprPtr> Binder::TemporalArithmetic(const std::string& op, const ExprPtr& l,
                                           const ExprPtr& r, const BoundRelation& rel,
                                           const JsonValue& node) {
  CA_ASSIGN_OR_RAISE(auto lt, TypeOf(l, rel));
  CA_ASSIGN_OR_RAISE(auto rt, TypeOf(r, rel));
  auto is_date = [](const arrow::DataType& t) { return t.id() == arrow::Type::DATE32; };
  auto is_ts = [](const arrow::DataType& t) { return t.id() == arrow::Type::TIMESTAMP; };
  auto days = [](const ExprPtr& e) { return engine::Cast(e, arrow::int32()); };
  // date ± integer days -> date; date - date -> integer days (PostgreSQL).
  if (is_date(*lt) && arrow::is_integer(rt->id())) {
    return engine::Cast(engine::Call(op, {days(l), days(r)}), arrow::date32());
  }
  if (op == "+" && arrow::is_integer(lt->id()) && is_date(*rt)) {
    return engine::Cast(engine::Call(op, {days(l), days(r)}), arrow::date32());
  }
  if (op == "-" && is_date(*lt) && is_date(*rt)) return engine::Call("-", {days(l), days(r)});
  // date/timestamp ± a constant interval of days and time -> timestamp.
  const ExprPtr* interval = nullptr;
  const ExprPtr* base = nullptr;
  if ((is_date(*lt) || is_ts(*lt)) && rt->id() == arrow::Type::INTERVAL_MONTH_DAY_NANO) {
    interval = &r, base = &l;
  } else if (op == "+" && (is_date(*rt) || is_ts(*rt)) &&
             lt->id() == arrow::Type::INTERVAL_MONTH_DAY_NANO) {
    interval = &l, base = &r;
  }
  if (interval == nullptr) return ExprPtr();
  if ((*interval)->kind != ExprKind::kLiteral || !(*interval)->literal->is_valid) {
    return ErrorAt("NOT_SUPPORTED", "not supported: arithmetic with a non-constant interval", node);
  }
  auto iv = static_cast<const arrow::MonthDayNanoIntervalScalar&>(*(*interval)->literal).value;
  if (iv.months != 0) {
    return ErrorAt("NOT_SUPPORTED",
                   "not supported: adding months or years to a non-constant date or timestamp",
                   node);
  }
  int64_t micros = static_cast<int64_t>(iv.days) * 86400LL * 1000000LL + iv.nanoseconds / 1000;
  auto duration =
      engine::Literal(std::make_shared<arrow::DurationScalar>(micros, arrow::TimeUnit::MICRO));
  auto ts = engine::Cast(*base, arrow::timestamp(arrow::TimeUnit::MICRO));
  return engine::Call(op, {ts, duration});
}

Result<ExprPtr> Binder::Compare(std::string op, ExprPtr l, ExprPtr r, ExprScope& scope,
                                const JsonValue& node) {
  if (scope.rel) {
    // Constant sides first become constants (1 + 10 -> 11), so they adapt like literals.
    if (engine::ReferencedColumns(*l).empty()) l = engine::FoldConstants(l, fr_);
    if (engine::ReferencedColumns(*r).empty()) r = engine::FoldConstants(r, fr_);
    CA_ASSIGN_OR_RAISE(l, Coerce(l, r, *scope.rel));
    CA_ASSIGN_OR_RAISE(r, Coerce(r, l, *scope.rel));
    CA_ASSIGN_OR_RAISE(auto fitted, FitDecimalPrecision("compare", l, r, *scope.rel));
    l = fitted.first;
    r = fitted.second;
  }
  return engine::Call(op, {l, r});
}

Result<std::pair<ExprPtr, ExprPtr>> Binder::FitDecimalPrecision(const std::string& op, ExprPtr l,
                                                                ExprPtr r,
                                                                const BoundRelation& rel) {
  // Arrow derives decimal result precision exactly and refuses anything over 38 when it binds.
  // Like DuckDB, cap at 38: narrow the wider operand so the result fits; its values are then
  // checked when cast, so an actual overflow is an error, never a wrong answer.
  auto lt = TypeOf(l, rel);
  auto rt = TypeOf(r, rel);
  if (!lt.ok() || !rt.ok() || !arrow::is_decimal((*lt)->id()) || !arrow::is_decimal((*rt)->id())) {
    return std::make_pair(l, r);
  }
  const auto& a = static_cast<const arrow::Decimal128Type&>(**lt);
  const auto& b = static_cast<const arrow::Decimal128Type&>(**rt);
  int32_t needed;
  if (op == "*") {
    needed = a.precision() + b.precision() + 1;
  } else if (op == "compare") {  // both sides meet in one decimal type
    needed = std::max(a.precision() - a.scale(), b.precision() - b.scale()) +
             std::max(a.scale(), b.scale());
  } else {
    needed = std::max(a.precision() - a.scale(), b.precision() - b.scale()) +
             std::max(a.scale(), b.scale()) + 1;
  }
  int32_t excess = needed - 38;
  if (excess <= 0) return std::make_pair(l, r);
  bool narrow_left = a.precision() >= b.precision();
  const auto& wide = narrow_left ? a : b;
  int32_t precision = std::max(wide.precision() - excess, wide.scale() + 1);
  auto narrowed = engine::Cast(narrow_left ? l : r, arrow::decimal128(precision, wide.scale()));
  return narrow_left ? std::make_pair(narrowed, r) : std::make_pair(l, narrowed);
}

Result<ExprPtr> Binder::BindAExpr(const JsonValue& node, ExprScope& scope) {
  const JsonValue& body = NodeBody(node);
  std::string kind = Member(body, "kind").string_value();
  std::vector<std::string> names = StringList(Member(body, "name"));
  std::string op = names.empty() ? "" : names.back();
  const JsonValue& lexpr = Member(body, "lexpr");
  const JsonValue& rexpr = Member(body, "rexpr");

  auto bind_list = [&](const JsonValue& list) -> Result<std::vector<ExprPtr>> {
    std::vector<ExprPtr> out;
    const JsonValue& items = NodeType(list) == "List" ? Member(NodeBody(list), "items") : list;
    if (!items.is_array()) {
      return ErrorAt("NOT_SUPPORTED", "not supported: this list form", list);
    }
    for (const JsonValue& item : items.array_value()) {
      CA_ASSIGN_OR_RAISE(auto e, BindExpr(item, scope));
      out.push_back(std::move(e));
    }
    return out;
  };

  if (kind == "AEXPR_IN") {
    CA_ASSIGN_OR_RAISE(auto value, BindExpr(lexpr, scope));
    CA_ASSIGN_OR_RAISE(auto items, bind_list(rexpr));
    if (scope.rel) {
      for (auto& item : items) {
        CA_ASSIGN_OR_RAISE(item, Coerce(item, value, *scope.rel));
      }
      // Value and items meet in a common type (x IN (1, 2.5) with an integer x).
      auto vt = TypeOf(value, *scope.rel);
      std::shared_ptr<arrow::DataType> common = vt.ok() ? *vt : nullptr;
      bool differ = false;
      for (const auto& item : items) {
        auto it = TypeOf(item, *scope.rel);
        if (!common || !it.ok()) {
          common = nullptr;
          break;
        }
        if (!(*it)->Equals(*common)) {
          differ = true;
          common = internal::CommonType(common, *it);
        }
      }
      if (differ && common) {
        if (!(*vt)->Equals(*common)) value = engine::Cast(value, common);
        for (auto& item : items) {
          if (item->kind == ExprKind::kLiteral) {
            auto cast = arrow::compute::Cast(item->literal, common);
            if (cast.ok()) {
              item = engine::Literal(cast->scalar());
              continue;
            }
          }
          item = engine::Cast(item, common);
        }
      }
    }
    return engine::InList(value, std::move(items), op == "<>");
  }
  if (kind == "AEXPR_BETWEEN" || kind == "AEXPR_NOT_BETWEEN") {
    CA_ASSIGN_OR_RAISE(auto value, BindExpr(lexpr, scope));
    CA_ASSIGN_OR_RAISE(auto bounds, bind_list(rexpr));
    if (scope.rel) {
      for (auto& b : bounds) {
        CA_ASSIGN_OR_RAISE(b, Coerce(b, value, *scope.rel));
      }
    }
    return engine::Between(value, bounds[0], bounds[1], kind == "AEXPR_NOT_BETWEEN");
  }
  if (kind == "AEXPR_BETWEEN_SYM" || kind == "AEXPR_NOT_BETWEEN_SYM") {
    return ErrorAt("NOT_SUPPORTED", "not supported: BETWEEN SYMMETRIC", node);
  }
  if (kind == "AEXPR_LIKE" || kind == "AEXPR_ILIKE") {
    CA_ASSIGN_OR_RAISE(auto value, BindExpr(lexpr, scope));
    if (value->kind == ExprKind::kLiteral && value->literal->type->id() == arrow::Type::NA) {
      value = engine::Literal(arrow::MakeNullScalar(arrow::utf8()));
    }
    // LIKE ... ESCAPE 'c' arrives as like_escape(pattern, 'c'): rewrite to backslash escapes.
    const JsonValue* pattern_node = &rexpr;
    std::string escape = "\\";
    if (NodeType(rexpr) == "FuncCall" &&
        StringList(Member(NodeBody(rexpr), "funcname")).back() == "like_escape") {
      const JsonArray& a = Member(NodeBody(rexpr), "args").array_value();
      pattern_node = &a[0];
      ExprScope escope = scope;
      CA_ASSIGN_OR_RAISE(auto esc, BindExpr(a[1], escope));
      if (!IsStringLiteral(*esc)) {
        return ErrorAt("NOT_SUPPORTED", "not supported: a non-constant ESCAPE", a[1]);
      }
      escape = static_cast<const arrow::StringScalar&>(*esc->literal).ToString();
      if (escape.size() > 1) {
        return ErrorAt("INVALID_ESCAPE", "invalid escape string: must be empty or one character",
                       a[1]);
      }
    }
    CA_ASSIGN_OR_RAISE(auto pattern, BindExpr(*pattern_node, scope));
    if (pattern->kind != ExprKind::kLiteral || !IsStringLiteral(*pattern)) {
      return ErrorAt("NOT_SUPPORTED", "not supported: LIKE with a non-constant pattern", rexpr);
    }
    std::string text = static_cast<const arrow::StringScalar&>(*pattern->literal).ToString();
    if (escape != "\\") {
      std::string rewritten;
      for (size_t i = 0; i < text.size(); ++i) {
        if (!escape.empty() && text[i] == escape[0] && i + 1 < text.size()) {
          rewritten += '\\';
          rewritten += text[++i];
        } else if (text[i] == '\\') {
          rewritten += "\\\\";
        } else {
          rewritten += text[i];
        }
      }
      text = std::move(rewritten);
    }
    return engine::Like(value, text, kind == "AEXPR_ILIKE", op.rfind("!", 0) == 0);
  }
  if (kind == "AEXPR_SIMILAR") {
    return ErrorAt("NOT_SUPPORTED", "not supported: SIMILAR TO", node);
  }
  if (kind == "AEXPR_DISTINCT" || kind == "AEXPR_NOT_DISTINCT") {
    CA_ASSIGN_OR_RAISE(auto l, BindExpr(lexpr, scope));
    CA_ASSIGN_OR_RAISE(auto r, BindExpr(rexpr, scope));
    CA_ASSIGN_OR_RAISE(auto eq, Compare("=", l, r, scope, node));
    // NOT DISTINCT: both null, or both non-null and equal.
    auto both_null =
        engine::Call("and", {engine::Call("is_null", {l}), engine::Call("is_null", {r})});
    auto both_valid =
        engine::Call("and", {engine::Call("is_valid", {l}), engine::Call("is_valid", {r})});
    auto same = engine::Call(
        "or",
        {both_null,
         engine::Call(
             "and", {both_valid,
                     engine::Call("coalesce", {eq, engine::Literal(arrow::MakeScalar(false))})})});
    return kind == "AEXPR_NOT_DISTINCT" ? same : engine::Call("not", {same});
  }
  if (kind == "AEXPR_NULLIF") {
    CA_ASSIGN_OR_RAISE(auto l, BindExpr(lexpr, scope));
    CA_ASSIGN_OR_RAISE(auto r, BindExpr(rexpr, scope));
    CA_ASSIGN_OR_RAISE(auto eq, Compare("=", l, r, scope, node));
    return engine::Case({{eq, engine::Literal(std::make_shared<arrow::NullScalar>())}}, l);
  }
  if (kind == "AEXPR_OP_ANY" || kind == "AEXPR_OP_ALL") {
    return ErrorAt("NOT_SUPPORTED",
                   "not supported: " + op + (kind == "AEXPR_OP_ANY" ? " ANY" : " ALL") + " (array)",
                   node);
  }
  if (kind != "AEXPR_OP") {
    return ErrorAt("NOT_SUPPORTED", "not supported: operator kind " + kind, node);
  }
  if (lexpr.is_null()) {  // prefix operator
    CA_ASSIGN_OR_RAISE(auto r, BindExpr(rexpr, scope));
    if (op == "-") return engine::Call("negate", {r});
    if (op == "+") return r;
    return ErrorAt("NOT_SUPPORTED", "not supported: prefix operator " + op, node,
                   "\"operator\":" + JsonQuote(op));
  }
  CA_ASSIGN_OR_RAISE(auto l, BindExpr(lexpr, scope));
  CA_ASSIGN_OR_RAISE(auto r, BindExpr(rexpr, scope));
  static const std::map<std::string, std::string> kComparisons = {
      {"=", "="}, {"<>", "!="}, {"!=", "!="}, {"<", "<"}, {"<=", "<="}, {">", ">"}, {">=", ">="}};
  if (auto it = kComparisons.find(op); it != kComparisons.end()) {
    return Compare(it->second, l, r, scope, node);
  }
  if (op == "+" || op == "-") {
    CA_ASSIGN_OR_RAISE(auto folded, FoldDateArithmetic(op, l, r));
    if (folded) return folded;
    if (scope.rel) {
      CA_ASSIGN_OR_RAISE(auto temporal, TemporalArithmetic(op, l, r, *scope.rel, node));
      if (temporal) return temporal;
    }
  }
  if (scope.rel && (op == "+" || op == "-" || op == "*" || op == "/")) {
    CA_ASSIGN_OR_RAISE(auto lt, TypeOf(l, *scope.rel));
    CA_ASSIGN_OR_RAISE(auto rt, TypeOf(r, *scope.rel));
    bool ld = arrow::is_decimal(lt->id()), rd = arrow::is_decimal(rt->id());
    if (op == "/" && (ld || rd)) {
      // Decimal division yields a double (as in DuckDB), not a decimal of runaway precision.
      l = engine::Cast(l, arrow::float64());
      r = engine::Cast(r, arrow::float64());
    } else if (ld && arrow::is_floating(rt->id())) {
      l = engine::Cast(l, arrow::float64());
    } else if (rd && arrow::is_floating(lt->id())) {
      r = engine::Cast(r, arrow::float64());
    } else if (ld || rd) {
      CA_ASSIGN_OR_RAISE(l, Coerce(l, r, *scope.rel));
      CA_ASSIGN_OR_RAISE(r, Coerce(r, l, *scope.rel));
      CA_ASSIGN_OR_RAISE(auto fitted, FitDecimalPrecision(op, l, r, *scope.rel));
      l = fitted.first;
      r = fitted.second;
    }
  }
  if (op == "+" || op == "-" || op == "*" || op == "/") return engine::Call(op, {l, r});
  if (op == "%") {
    // PostgreSQL's remainder takes the dividend's sign: a - trunc(a / b) * b.
    ExprPtr quotient = engine::Call("/", {l, r});
    if (scope.rel) {
      CA_ASSIGN_OR_RAISE(auto lt, TypeOf(l, *scope.rel));
      CA_ASSIGN_OR_RAISE(auto rt, TypeOf(r, *scope.rel));
      if (arrow::is_floating(lt->id()) || arrow::is_floating(rt->id()) ||
          arrow::is_decimal(lt->id()) || arrow::is_decimal(rt->id())) {
        quotient = engine::Call("trunc", {quotient});
      }
    }
    return engine::Call("-", {l, engine::Call("*", {quotient, r})});
  }
  if (op == "||") {
    if (scope.rel) {
      CA_ASSIGN_OR_RAISE(auto lt, TypeOf(l, *scope.rel));
      CA_ASSIGN_OR_RAISE(auto rt, TypeOf(r, *scope.rel));
      if (lt->id() != arrow::Type::STRING) l = engine::Cast(l, arrow::utf8());
      if (rt->id() != arrow::Type::STRING) r = engine::Cast(r, arrow::utf8());
    }
    return engine::Call("||", {l, r});
  }
  if (op == "^")
    return engine::Call("power",
                        {engine::Cast(l, arrow::float64()), engine::Cast(r, arrow::float64())});
  return ErrorAt("NOT_SUPPORTED", "not supported: operator " + op, node,
                 "\"operator\":" + JsonQuote(op));
}

}  // namespace codeanatomy::sql
