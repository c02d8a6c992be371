// Binding SQL expressions: the dispatch over node types, column references (with correlation),
// constants, CAST, CASE, expression types, and standalone SQL expressions.
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

std::shared_ptr<SqlSessionState> SqlStateOf(engine::SessionState& state) {
  return state.Extension<SqlSessionState>("sql");
}

BoundRelation SchemaRelation(std::vector<std::shared_ptr<arrow::Field>> fields,
                             std::vector<BoundColumn> columns) {
  auto holder = std::make_shared<engine::PlanNode>();
  holder->kind = engine::PlanKind::kScan;  // no provider: planning it is refused
  holder->schema = arrow::schema(std::move(fields));
  return BoundRelation{holder, std::move(columns)};
}

BoundRelation MacroParameters(const SqlMacro& macro) {
  std::vector<std::shared_ptr<arrow::Field>> fields;
  std::vector<BoundColumn> columns;
  for (size_t i = 0; i < macro.params.size(); ++i) {
    std::string field = "$param." + macro.params[i];
    fields.push_back(arrow::field(field, macro.param_types[i]));
    columns.push_back({"", macro.params[i], field, false});
  }
  return SchemaRelation(std::move(fields), std::move(columns));
}

std::vector<ExprPtr> SplitConjunction(const ExprPtr& expr) {
  std::vector<ExprPtr> out;
  std::vector<ExprPtr> stack{expr};
  while (!stack.empty()) {
    ExprPtr e = stack.back();
    stack.pop_back();
    if (e->kind == ExprKind::kCall && AsciiToLower(e->name) == "and" && e->args.size() == 2) {
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
    int64_t number = Member(body, "number").is_int() ? Member(body, "number").int_value() : 0;
    size_t given = params_ == nullptr ? 0 : params_->size();
    if (number < 1 || static_cast<size_t>(number) > given || (*params_)[number - 1] == nullptr) {
      return ErrorAt("PARAMETER_MISSING",
                     "no value for parameter $" + std::to_string(number) + " (" +
                         std::to_string(given) + " given)",
                     node, "\"parameter\":" + std::to_string(number));
    }
    return engine::Literal((*params_)[number - 1]);
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
      bool name_ok = case_insensitive ? AsciiToLower(c.name) == AsciiToLower(name) : c.name == name;
      if (!name_ok) continue;
      if (qualifier.empty()) {
        if (c.merged) continue;
      } else if (case_insensitive ? AsciiToLower(c.qualifier) != AsciiToLower(qualifier)
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

Result<ExprPtr> ParseSqlExpression(const std::string& text, const arrow::Schema& schema,
                                   std::shared_ptr<engine::SessionState> state) {
  CA_ASSIGN_OR_RAISE(JsonValue node, ParseExpression(text));
  Binder binder(state, text);
  std::vector<BoundColumn> columns;
  for (const auto& f : schema.fields()) columns.push_back({"", f->name(), f->name(), false});
  BoundRelation rel = SchemaRelation(schema.fields(), std::move(columns));
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
