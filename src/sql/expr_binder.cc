// Binding SQL expressions: column references, constants, operators, functions, CASE, CAST.
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

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool IsStringLiteral(const Expr& e) {
  return e.kind == ExprKind::kLiteral && e.literal && e.literal->type->id() == arrow::Type::STRING;
}

// The aggregate names whose empty-input value is not NULL (used by FILTER rewriting).
bool IsCountAggregate(const std::string& name) {
  return name == "count" || name == "count_all" || name == "count_distinct";
}

}  // namespace

std::shared_ptr<SqlSessionState> SqlStateOf(engine::SessionState& state) {
  return state.Extension<SqlSessionState>("sql");
}

std::vector<ExprPtr> SplitConjunction(const ExprPtr& expr) {
  std::vector<ExprPtr> out;
  std::vector<ExprPtr> stack{expr};
  while (!stack.empty()) {
    ExprPtr e = stack.back();
    stack.pop_back();
    if (e->kind == ExprKind::kCall && Lower(e->name) == "and" && e->args.size() == 2) {
      stack.push_back(e->args[1]);
      stack.push_back(e->args[0]);
    } else {
      out.push_back(e);
    }
  }
  return out;
}

ExprPtr Conjunction(const std::vector<ExprPtr>& conjuncts) {
  ExprPtr out;
  for (const auto& c : conjuncts) out = out ? engine::Call("and", {out, c}) : c;
  return out;
}

bool HasOuterReference(const Expr& expr) {
  if (expr.kind == ExprKind::kColumn) return expr.name.rfind(kOuterPrefix, 0) == 0;
  for (const auto& a : expr.args) {
    if (HasOuterReference(*a)) return true;
  }
  return false;
}

Status Binder::ErrorAt(std::string_view code, std::string message, const JsonValue& node,
                       std::string extra) const {
  return SqlError(code, std::move(message), text_, LocationOf(node), std::move(extra));
}

std::string Binder::FreshName(std::string_view base) {
  return "__" + std::string(base) + std::to_string(fresh_counter_++);
}

Result<std::shared_ptr<arrow::DataType>> Binder::TypeOf(const ExprPtr& expr,
                                                        const BoundRelation& rel) {
  bool placeholders = false;
  for (const auto& name : engine::ReferencedColumns(*expr)) {
    placeholders |= name.rfind("__win_", 0) == 0 || name.rfind(kOuterPrefix, 0) == 0;
  }
  if (!placeholders && !engine::ContainsAggregate(*expr, fr_)) {
    CA_ASSIGN_OR_RAISE(auto field, engine::ScalarField(*expr, *rel.plan->schema, fr_));
    return field->type();
  }
  // Aggregate calls stand in as NULLs of their output type.
  std::function<Result<ExprPtr>(const ExprPtr&)> typed = [&](const ExprPtr& e) -> Result<ExprPtr> {
    if (e->kind == ExprKind::kCall && fr_.IsAggregate(e->name)) {
      CA_ASSIGN_OR_RAISE(auto agg, engine::plan::Aggregate(rel.plan, {}, {e}, fr_));
      return engine::Literal(arrow::MakeNullScalar(agg->schema->field(0)->type()));
    }
    if (e->kind == ExprKind::kColumn && e->name.rfind("__win_", 0) == 0) {
      size_t i = std::stoul(e->name.substr(6));
      if (i < windows_.size()) {
        CA_ASSIGN_OR_RAISE(auto win, engine::plan::Window(rel.plan, {windows_[i]}, fr_));
        return engine::Literal(arrow::MakeNullScalar(win->schema->fields().back()->type()));
      }
    }
    if (e->kind == ExprKind::kColumn && e->name.rfind(kOuterPrefix, 0) == 0) {
      // A column of the enclosing block: its type comes from the outer scopes.
      std::string field = e->name.substr(kOuterPrefix.size());
      for (const BoundRelation* outer : outer_relations_) {
        if (auto f = outer->plan->schema->GetFieldByName(field)) {
          return engine::Literal(arrow::MakeNullScalar(f->type()));
        }
      }
    }
    if (e->args.empty()) return e;
    std::vector<ExprPtr> args;
    for (const auto& a : e->args) {
      CA_ASSIGN_OR_RAISE(auto t, typed(a));
      args.push_back(std::move(t));
    }
    return internal::WithArgs(e, std::move(args));
  };
  CA_ASSIGN_OR_RAISE(auto stand_in, typed(expr));
  CA_ASSIGN_OR_RAISE(auto field, engine::ScalarField(*stand_in, *rel.plan->schema, fr_));
  return field->type();
}

Result<std::shared_ptr<arrow::DataType>> Binder::BindType(const JsonValue& type_name) {
  const JsonValue& body = NodeBody(type_name).is_object() ? NodeBody(type_name) : type_name;
  std::vector<std::string> names = StringList(Member(body, "names"));
  std::vector<int64_t> mods;
  for (const JsonValue& m :
       Member(body, "typmods").is_array() ? Member(body, "typmods").array_value() : JsonArray{}) {
    const JsonValue& ival = Member(Member(NodeBody(m), "ival"), "ival");
    mods.push_back(ival.is_int() ? ival.int_value() : 0);
  }
  if (!Member(body, "arrayBounds").is_null()) {
    return ErrorAt("NOT_SUPPORTED", "not supported: array types", type_name);
  }
  std::string name = names.empty() ? "" : names.back();
  if (name == "interval") return arrow::month_day_nano_interval();
  auto type = SqlTypeFromName(name, mods);
  if (!type.ok()) {
    return ErrorAt("UNKNOWN_TYPE", type.status().message(), type_name,
                   "\"type\":" + JsonQuote(name));
  }
  return *type;
}

Result<ExprPtr> Binder::BindExpr(const JsonValue& node, ExprScope& scope) {
  std::string_view type = NodeType(node);
  const JsonValue& body = NodeBody(node);
  if (type == "ColumnRef") return BindColumnRef(node, scope);
  if (type == "A_Const") return BindConst(body);
  if (type == "A_Expr") return BindAExpr(node, scope);
  if (type == "FuncCall") return BindFuncCall(node, scope);
  if (type == "TypeCast") return BindTypeCast(node, scope);
  if (type == "CaseExpr") return BindCase(node, scope);
  if (type == "SubLink") return BindSubLink(node, scope);
  if (type == "BoolExpr") {
    std::string op = Member(body, "boolop").string_value();
    std::vector<ExprPtr> args;
    for (const JsonValue& a : Member(body, "args").array_value()) {
      CA_ASSIGN_OR_RAISE(auto e, BindExpr(a, scope));
      args.push_back(std::move(e));
    }
    if (op == "NOT_EXPR") return engine::Call("not", {args[0]});
    ExprPtr out = args[0];
    for (size_t i = 1; i < args.size(); ++i) {
      out = engine::Call(op == "AND_EXPR" ? "and" : "or", {out, args[i]});
    }
    return out;
  }
  if (type == "NullTest") {
    CA_ASSIGN_OR_RAISE(auto arg, BindExpr(Member(body, "arg"), scope));
    bool is_null = Member(body, "nulltesttype").string_value() == "IS_NULL";
    return engine::Call(is_null ? "is_null" : "is_valid", {arg});
  }
  if (type == "BooleanTest") {
    CA_ASSIGN_OR_RAISE(auto arg, BindExpr(Member(body, "arg"), scope));
    std::string test = Member(body, "booltesttype").string_value();
    auto t = engine::Literal(arrow::MakeScalar(true));
    auto f = engine::Literal(arrow::MakeScalar(false));
    auto is_true = engine::Call("and_kleene", {engine::Call("is_valid", {arg}), arg});
    auto is_false =
        engine::Call("and_kleene", {engine::Call("is_valid", {arg}), engine::Call("not", {arg})});
    if (test == "IS_TRUE") return engine::Call("coalesce", {arg, f});
    if (test == "IS_NOT_TRUE") return engine::Call("not", {engine::Call("coalesce", {arg, f})});
    if (test == "IS_FALSE") return engine::Call("not", {engine::Call("coalesce", {arg, t})});
    if (test == "IS_NOT_FALSE") return engine::Call("coalesce", {arg, t});
    if (test == "IS_UNKNOWN") return engine::Call("is_null", {arg});
    if (test == "IS_NOT_UNKNOWN") return engine::Call("is_valid", {arg});
    (void)is_true;
    (void)is_false;
    return ErrorAt("NOT_SUPPORTED", "not supported: boolean test " + test, node);
  }
  if (type == "CoalesceExpr" || type == "MinMaxExpr") {
    std::vector<ExprPtr> args;
    for (const JsonValue& a : Member(body, "args").array_value()) {
      CA_ASSIGN_OR_RAISE(auto e, BindExpr(a, scope));
      args.push_back(std::move(e));
    }
    // Arguments of different types meet in a common one (greatest(1, 2.5) is numeric).
    if (scope.rel && args.size() > 1) {
      std::shared_ptr<arrow::DataType> common;
      bool differ = false;
      for (const auto& a : args) {
        CA_ASSIGN_OR_RAISE(auto t, TypeOf(a, *scope.rel));
        if (!common) {
          common = t;
        } else if (!common->Equals(*t)) {
          differ = true;
          auto c = internal::CommonType(common, t);
          if (c) common = c;
        }
      }
      if (differ && common) {
        for (auto& a : args) a = engine::Cast(a, common);
      }
    }
    std::string fn = "coalesce";
    if (type == "MinMaxExpr") {
      fn = Member(body, "op").string_value() == "IS_GREATEST" ? "max_element_wise"
                                                              : "min_element_wise";
    }
    return engine::Call(fn, std::move(args));
  }
  if (type == "ParamRef") {
    return ErrorAt("NOT_SUPPORTED", "not supported: query parameters ($n)", node);
  }
  if (type == "SQLValueFunction") {
    return ErrorAt("NOT_SUPPORTED",
                   "not supported: " + Member(body, "op").string_value() +
                       " (results would depend on the clock)",
                   node);
  }
  return ErrorAt("NOT_SUPPORTED", "not supported: expression " + std::string(type), node,
                 "\"construct\":" + JsonQuote(type));
}

Result<ExprPtr> Binder::BindColumnRef(const JsonValue& node, ExprScope& scope) {
  std::vector<std::string> parts = StringList(Member(NodeBody(node), "fields"));
  if (!parts.empty() && parts.back() == "*") {
    return ErrorAt("NOT_SUPPORTED", "'*' is only allowed in a select list or count(*)", node);
  }
  std::string name = parts.back();
  std::string qualifier = parts.size() >= 2 ? parts[parts.size() - 2] : "";
  if (parts.size() > 2) {
    // catalog.schema.table.column: the table part qualifies.
  }
  std::string display = qualifier.empty() ? name : qualifier + "." + name;
  auto lookup = [&](const BoundRelation& rel,
                    bool case_insensitive) -> std::vector<const BoundColumn*> {
    std::vector<const BoundColumn*> hits;
    for (const BoundColumn& c : rel.columns) {
      bool name_ok = case_insensitive ? Lower(c.name) == Lower(name) : c.name == name;
      if (!name_ok) continue;
      if (qualifier.empty()) {
        if (c.merged) continue;
      } else if (case_insensitive ? Lower(c.qualifier) != Lower(qualifier)
                                  : c.qualifier != qualifier) {
        continue;
      }
      hits.push_back(&c);
    }
    return hits;
  };
  // Quoted identifiers ("A") match exactly; unquoted ones, which the parser folds to lower
  // case, also match a column of any case when no exact match exists.
  int loc = LocationOf(node);
  size_t name_at = loc >= 0 ? text_.find(name, static_cast<size_t>(loc)) : std::string::npos;
  bool quoted = name_at != std::string::npos && name_at > 0 && text_[name_at - 1] == '"';
  for (const ExprScope* s = &scope; s != nullptr; s = s->outer) {
    if (s->rel == nullptr) continue;
    auto hits = lookup(*s->rel, false);
    if (hits.empty() && !quoted) hits = lookup(*s->rel, true);
    if (hits.size() > 1) {
      return ErrorAt("AMBIGUOUS_COLUMN", "column reference \"" + display + "\" is ambiguous", node,
                     "\"column_name\":" + JsonQuote(display));
    }
    if (hits.size() == 1) {
      if (s == &scope) return engine::Column(hits[0]->field);
      if (s != scope.outer) {
        return ErrorAt("NOT_SUPPORTED",
                       "not supported: correlated reference to \"" + display +
                           "\" more than one query level up",
                       node);
      }
      if (scope.uses_outer) *scope.uses_outer = true;
      return engine::Column(std::string(kOuterPrefix) + hits[0]->field);
    }
  }
  // Unknown: suggest visible names.
  std::vector<std::string> candidates;
  bool qualifier_known = qualifier.empty();
  for (const ExprScope* s = &scope; s != nullptr; s = s->outer) {
    if (s->rel == nullptr) continue;
    bool here = false;
    for (const BoundColumn& c : s->rel->columns)
      here |= !qualifier.empty() && c.qualifier == qualifier;
    if (!qualifier.empty() && !here) continue;
    qualifier_known = true;
    for (const BoundColumn& c : s->rel->columns) {
      if (qualifier.empty() || c.qualifier == qualifier) candidates.push_back(c.name);
    }
    if (!qualifier.empty()) break;  // the innermost block with that table name
  }
  if (!qualifier_known) {
    std::vector<std::string> tables;
    if (scope.rel) {
      for (const BoundColumn& c : scope.rel->columns) {
        if (!c.qualifier.empty() &&
            std::find(tables.begin(), tables.end(), c.qualifier) == tables.end()) {
          tables.push_back(c.qualifier);
        }
      }
    }
    auto close = ClosestNames(qualifier, tables, 3);
    return ErrorAt(
        "UNKNOWN_TABLE",
        "missing FROM-clause entry for table \"" + qualifier + "\"" + SuggestionText(close), node,
        "\"table\":" + JsonQuote(qualifier) + ",\"candidates\":" + JsonStringArray(close));
  }
  auto close = ClosestNames(name, candidates, 3);
  return ErrorAt(
      "UNKNOWN_COLUMN", "column \"" + display + "\" does not exist" + SuggestionText(close), node,
      "\"column_name\":" + JsonQuote(display) + ",\"candidates\":" + JsonStringArray(close));
}

Result<ExprPtr> Binder::BindConst(const JsonValue& body) {
  if (Member(body, "isnull").is_bool() && Member(body, "isnull").bool_value()) {
    return engine::Literal(std::make_shared<arrow::NullScalar>());
  }
  if (const JsonValue& i = Member(body, "ival"); i.is_object()) {
    const JsonValue& v = Member(i, "ival");
    int64_t value = v.is_int() ? v.int_value() : 0;
    // libpg_query's JSON leaves negative integers out ({"ival": {}}); read them from the text.
    const JsonValue& loc = Member(body, "location");
    if (!v.is_int() && loc.is_int() && loc.int_value() >= 0 &&
        static_cast<size_t>(loc.int_value()) < text_.size()) {
      size_t p = static_cast<size_t>(loc.int_value());
      bool negative = false;
      while (p < text_.size() &&
             (text_[p] == '-' || std::isspace(static_cast<unsigned char>(text_[p])))) {
        if (text_[p] == '-') negative = !negative;
        ++p;
      }
      value = std::strtoll(text_.c_str() + p, nullptr, 10);
      if (negative) value = -value;
    }
    return engine::Literal(arrow::MakeScalar(static_cast<int32_t>(value)));
  }
  if (const JsonValue& b = Member(body, "boolval"); b.is_object()) {
    const JsonValue& v = Member(b, "boolval");
    return engine::Literal(arrow::MakeScalar(v.is_bool() && v.bool_value()));
  }
  if (const JsonValue& s = Member(body, "sval"); s.is_object()) {
    const JsonValue& v = Member(s, "sval");
    return engine::Literal(arrow::MakeScalar(v.is_string() ? v.string_value() : std::string()));
  }
  if (const JsonValue& f = Member(body, "fval"); f.is_object()) {
    std::string text = Member(f, "fval").string_value();
    CA_ASSIGN_OR_RAISE(auto scalar, NumericLiteral(text));
    return engine::Literal(std::move(scalar));
  }
  if (const JsonValue& b = Member(body, "bsval"); b.is_object()) {
    return SqlError("NOT_SUPPORTED", "not supported: bit string constants", text_,
                    LocationOf(JsonValue(JsonObject{{"x", body}})));
  }
  return SqlError("NOT_SUPPORTED", "not supported: this constant", text_, -1);
}

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

Result<ExprPtr> Binder::BindTypeCast(const JsonValue& node, ExprScope& scope) {
  const JsonValue& body = NodeBody(node);
  CA_ASSIGN_OR_RAISE(auto type, BindType(Member(body, "typeName")));
  CA_ASSIGN_OR_RAISE(auto arg, BindExpr(Member(body, "arg"), scope));
  if (type->id() == arrow::Type::INTERVAL_MONTH_DAY_NANO && IsStringLiteral(*arg)) {
    int64_t typmod = 0;
    const JsonValue& mods =
        Member(NodeBody(Member(body, "typeName")).is_object() ? NodeBody(Member(body, "typeName"))
                                                              : Member(body, "typeName"),
               "typmods");
    if (mods.is_array() && !mods.array_value().empty()) {
      const JsonValue& v = Member(Member(NodeBody(mods.array_value()[0]), "ival"), "ival");
      if (v.is_int()) typmod = v.int_value();
    }
    auto interval =
        IntervalLiteral(static_cast<const arrow::StringScalar&>(*arg->literal).ToString(), typmod);
    if (!interval.ok()) return ErrorAt("INVALID_INTERVAL", interval.status().message(), node);
    return *interval;
  }
  if (IsStringLiteral(*arg)) {  // typed literals: DATE '...'
    auto cast = CastLiteral(arg, type);
    if (!cast.ok()) return ErrorAt("INVALID_LITERAL", cast.status().message(), node);
    return *cast;
  }
  if (scope.rel) {
    auto from = TypeOf(arg, *scope.rel);
    if (from.ok()) {
      const auto& src = **from;
      bool temporal_target =
          type->id() == arrow::Type::DATE32 || type->id() == arrow::Type::TIMESTAMP;
      if (temporal_target && (arrow::is_integer(src.id()) || arrow::is_floating(src.id()) ||
                              arrow::is_decimal(src.id()))) {
        return ErrorAt("INVALID_CAST",
                       "cannot cast type " + SqlTypeName(src) + " to " + SqlTypeName(*type), node);
      }
      // Arrow refuses integer -> DECIMAL(p, s) unless p covers every value of the integer
      // type; go through DECIMAL(38, s), whose cast to (p, s) checks the actual values.
      if (arrow::is_decimal(type->id()) && arrow::is_integer(src.id())) {
        const auto& d = static_cast<const arrow::Decimal128Type&>(*type);
        return engine::Cast(engine::Cast(arg, arrow::decimal128(38, d.scale())), type);
      }
      // To an integer, PostgreSQL rounds: numerics half away from zero, floats half to even.
      if (arrow::is_integer(type->id()) &&
          (arrow::is_floating(src.id()) || arrow::is_decimal(src.id()))) {
        auto mode = arrow::is_floating(src.id()) ? arrow::compute::RoundMode::HALF_TO_EVEN
                                                 : arrow::compute::RoundMode::HALF_TOWARDS_INFINITY;
        return engine::Cast(
            engine::Call("round", {arg}, std::make_shared<arrow::compute::RoundOptions>(0, mode)),
            type);
      }
    }
  }
  if (type->id() == arrow::Type::INTERVAL_MONTH_DAY_NANO) {
    return ErrorAt("NOT_SUPPORTED", "not supported: casting a non-constant to INTERVAL", node);
  }
  return engine::Cast(arg, type);
}

Result<ExprPtr> Binder::BindCase(const JsonValue& node, ExprScope& scope) {
  const JsonValue& body = NodeBody(node);
  ExprPtr subject;
  if (!Member(body, "arg").is_null()) {
    CA_ASSIGN_OR_RAISE(subject, BindExpr(Member(body, "arg"), scope));
  }
  std::vector<std::pair<ExprPtr, ExprPtr>> branches;
  for (const JsonValue& w : Member(body, "args").array_value()) {
    const JsonValue& wb = NodeBody(w);
    CA_ASSIGN_OR_RAISE(auto cond, BindExpr(Member(wb, "expr"), scope));
    if (subject) {
      CA_ASSIGN_OR_RAISE(cond, Compare("=", subject, cond, scope, w));
    }
    CA_ASSIGN_OR_RAISE(auto result, BindExpr(Member(wb, "result"), scope));
    branches.emplace_back(std::move(cond), std::move(result));
  }
  ExprPtr otherwise;
  if (!Member(body, "defresult").is_null()) {
    CA_ASSIGN_OR_RAISE(otherwise, BindExpr(Member(body, "defresult"), scope));
  }
  return engine::Case(std::move(branches), std::move(otherwise));
}

Result<ExprPtr> Binder::BindFuncCall(const JsonValue& node, ExprScope& scope) {
  const JsonValue& body = NodeBody(node);
  std::vector<std::string> qualified = StringList(Member(body, "funcname"));
  std::string name = Lower(qualified.back());
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
    auto fn = ExtractFunction(Lower(sval.string_value()));
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
  (void)IsCountAggregate;
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
  BoundRelation params;
  std::vector<std::shared_ptr<arrow::Field>> fields;
  std::vector<std::pair<std::string, ExprPtr>> substitution;
  for (size_t i = 0; i < macro.params.size(); ++i) {
    std::string field = "$param." + macro.params[i];
    fields.push_back(arrow::field(field, macro.param_types[i]));
    params.columns.push_back({"", macro.params[i], field, false});
    substitution.emplace_back(field, engine::Cast(args[i], macro.param_types[i]));
  }
  auto holder = std::make_shared<engine::PlanNode>();
  holder->kind = engine::PlanKind::kScan;
  holder->schema = arrow::schema(fields);
  params.plan = holder;
  ExprScope scope;
  scope.rel = &params;
  scope.clause = "a function body";
  CA_ASSIGN_OR_RAISE(auto bound, body_binder.BindExpr(macro.body, scope));
  return engine::Cast(engine::ReplaceColumns(bound, substitution), macro.return_type);
}

Result<ExprPtr> ParseSqlExpression(const std::string& text, const arrow::Schema& schema,
                                   std::shared_ptr<engine::SessionState> state) {
  CA_ASSIGN_OR_RAISE(JsonValue node, ParseExpression(text));
  Binder binder(state, text);
  BoundRelation rel;
  auto holder = std::make_shared<engine::PlanNode>();
  holder->kind = engine::PlanKind::kScan;
  holder->schema = std::make_shared<arrow::Schema>(schema.fields());
  rel.plan = holder;
  for (const auto& f : schema.fields()) rel.columns.push_back({"", f->name(), f->name(), false});
  ExprScope scope;
  scope.rel = &rel;
  scope.clause = "a standalone expression";
  CA_ASSIGN_OR_RAISE(auto expr, binder.BindExpr(node, scope));
  // Type-check now so errors surface here, with the text.
  auto field = engine::ScalarField(*expr, schema, binder.resolver());
  if (!field.ok()) return WithStage(field.status(), stage::kSql, "TYPE_ERROR");
  return expr;
}

}  // namespace codeanatomy::sql
