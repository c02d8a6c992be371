// Subqueries: EXISTS and IN as semi/anti joins at the top of WHERE; elsewhere IN as a mark
// join with PostgreSQL's three-valued result; scalar subqueries as a one-row cross join
// (uncorrelated) or a grouped left join (correlated, decorrelated on its equalities).
#include <arrow/array/util.h>
#include <arrow/compute/api.h>
#include <arrow/compute/registry.h>

#include "sql/binder.h"
#include "sql/parse_tree.h"

namespace codeanatomy::sql {

namespace cp = arrow::compute;
using engine::ExprKind;
using engine::JoinType;

namespace {

constexpr const char* kScalarSubqueryFunction = "sql_scalar_subquery";

// sql_scalar_subquery(row_count, value): the value, or an error when the subquery produced
// more than one row.
Status ScalarSubqueryExec(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  auto too_many = [] {
    return InvalidError(stage::kExecution, "SUBQUERY_MULTIPLE_ROWS",
                        "more than one row returned by a subquery used as an expression");
  };
  if (batch[0].is_scalar()) {
    const auto& n = static_cast<const arrow::Int64Scalar&>(*batch[0].scalar);
    if (n.is_valid && n.value > 1) return too_many();
  } else {
    const arrow::ArraySpan& n = batch[0].array;
    const int64_t* values = n.GetValues<int64_t>(1);
    for (int64_t i = 0; i < n.length; ++i) {
      if (n.IsValid(i) && values[i] > 1) return too_many();
    }
  }
  if (batch[1].is_array()) {
    out->value = batch[1].array.ToArrayData();
  } else {
    CA_ASSIGN_OR_RAISE(
        auto array, arrow::MakeArrayFromScalar(*batch[1].scalar, batch.length, ctx->memory_pool()));
    out->value = array->data();
  }
  return Status::OK();
}

Status EnsureScalarSubqueryFunction(cp::FunctionRegistry* registry) {
  if (registry->GetFunction(kScalarSubqueryFunction).ok()) return Status::OK();
  auto fn = std::make_shared<cp::ScalarFunction>(
      kScalarSubqueryFunction, cp::Arity::Binary(),
      cp::FunctionDoc("The value of a scalar subquery", "Errors when row_count > 1",
                      {"row_count", "value"}));
  cp::ScalarKernel kernel(
      {cp::InputType(arrow::Type::INT64), cp::InputType::Any()},
      cp::OutputType([](cp::KernelContext*, const std::vector<arrow::TypeHolder>& types)
                         -> Result<arrow::TypeHolder> { return types[1]; }),
      ScalarSubqueryExec);
  kernel.null_handling = cp::NullHandling::COMPUTED_NO_PREALLOCATE;
  kernel.mem_allocation = cp::MemAllocation::NO_PREALLOCATE;
  CA_RETURN_NOT_OK(fn->AddKernel(std::move(kernel)));
  auto st = registry->AddFunction(std::move(fn), /*allow_overwrite=*/false);
  if (!st.ok() && !registry->GetFunction(kScalarSubqueryFunction).ok()) return st;
  return Status::OK();
}

std::set<std::string> FieldsOf(const BoundRelation& rel) {
  std::set<std::string> out;
  for (const auto& f : rel.plan->schema->fields()) out.insert(f->name());
  return out;
}

ExprPtr NullBool() { return engine::Literal(arrow::MakeNullScalar(arrow::boolean())); }
ExprPtr Bool(bool v) { return engine::Literal(arrow::MakeScalar(v)); }

bool IsBareCount(const JsonValue& select) {
  const JsonValue& targets = Member(select, "targetList");
  if (!targets.is_array() || targets.array_value().size() != 1) return false;
  const JsonValue& val = Member(NodeBody(targets.array_value()[0]), "val");
  if (NodeType(val) != "FuncCall") return false;
  auto name = StringList(Member(NodeBody(val), "funcname"));
  return !name.empty() && (name.back() == "count");
}

}  // namespace

bool Binder::EqualityCorrelation(const Correlation& corr) const {
  std::set<std::string> exposed(corr.exposed.begin(), corr.exposed.end());
  for (const auto& c : corr.conjuncts) {
    if (!(c->kind == ExprKind::kCall && c->name == "=" && c->args.size() == 2)) return false;
    auto inner_only = [&](const ExprPtr& e) {
      return e->kind == ExprKind::kColumn && exposed.count(e->name);
    };
    auto outer_only = [&](const ExprPtr& e) {
      auto refs = engine::ReferencedColumns(*e);
      if (refs.empty()) return false;
      for (const auto& r : refs) {
        if (r.rfind(kOuterPrefix, 0) != 0) return false;
      }
      return true;
    };
    if (!((inner_only(c->args[0]) && outer_only(c->args[1])) ||
          (inner_only(c->args[1]) && outer_only(c->args[0])))) {
      return false;
    }
  }
  return true;
}

Result<std::string> Binder::Materialize(const ExprPtr& expr, BoundRelation* rel) {
  if (expr->kind == ExprKind::kColumn) return expr->name;
  std::vector<ExprPtr> exprs;
  for (const auto& f : rel->plan->schema->fields()) exprs.push_back(engine::Column(f->name()));
  std::string name = FreshName("key_");
  exprs.push_back(engine::Alias(expr, name));
  CA_ASSIGN_OR_RAISE(rel->plan, engine::plan::Projection(rel->plan, std::move(exprs), fr_));
  return name;
}

Result<BoundRelation> Binder::BindSubquery(const JsonValue& sublink, ExprScope& scope,
                                           Correlation* corr, size_t expected_columns) {
  const JsonValue& select = NodeBody(Member(NodeBody(sublink), "subselect"));
  outer_relations_.insert(outer_relations_.begin(), scope.rel);
  auto bound = BindQuery(select, &scope, corr);
  outer_relations_.erase(outer_relations_.begin());
  CA_ASSIGN_OR_RAISE(auto rel, std::move(bound));
  if (expected_columns > 0 && rel.columns.size() != expected_columns) {
    return ErrorAt("SUBQUERY_COLUMN_COUNT",
                   "subquery must return only one column (it returns " +
                       std::to_string(rel.columns.size()) + ")",
                   sublink);
  }
  return rel;
}

// Joins a correlated subquery `sub` into `scope.rel`, its correlation conjuncts becoming join
// keys (equalities of plain columns) and a residual filter. `extra` adds key pairs.
Status Binder::JoinCorrelated(BoundRelation sub, Correlation& corr, ExprScope& scope, JoinType type,
                              std::vector<std::pair<ExprPtr, std::string>> extra,
                              std::vector<std::string>* visible) {
  BoundRelation& rel = *scope.rel;
  std::vector<std::string> before;
  for (const auto& f : sub.plan->schema->fields()) before.push_back(f->name());
  CA_ASSIGN_OR_RAISE(sub, Disambiguate(std::move(sub), FieldsOf(rel)));
  if (visible) {
    visible->clear();
    for (const auto& c : sub.columns) visible->push_back(c.field);
  }
  // Disambiguate keeps the field order: map renamed inner fields by position.
  std::vector<std::pair<std::string, ExprPtr>> rename;
  std::map<std::string, std::string> renamed;
  for (int i = 0; i < sub.plan->schema->num_fields(); ++i) {
    const std::string& now = sub.plan->schema->field(i)->name();
    if (now != before[i]) {
      rename.emplace_back(before[i], engine::Column(now));
      renamed[before[i]] = now;
    }
  }
  std::vector<std::string> lkeys, rkeys;
  std::vector<ExprPtr> residual;
  for (const auto& c : corr.conjuncts) {
    ExprPtr e = engine::ReplaceColumns(c, rename);
    // $outer.f -> f
    std::vector<std::pair<std::string, ExprPtr>> outer;
    for (const auto& name : engine::ReferencedColumns(*e)) {
      if (name.rfind(kOuterPrefix, 0) == 0) {
        outer.emplace_back(name, engine::Column(name.substr(kOuterPrefix.size())));
      }
    }
    e = engine::ReplaceColumns(e, outer);
    bool is_eq = e->kind == ExprKind::kCall && e->name == "=" && e->args.size() == 2;
    if (is_eq) {
      auto sub_set = FieldsOf(sub);
      const ExprPtr& a = e->args[0];
      const ExprPtr& b = e->args[1];
      auto only_in = [](const ExprPtr& x, const std::set<std::string>& fields) {
        auto refs = engine::ReferencedColumns(*x);
        if (refs.empty()) return false;
        for (const auto& r : refs) {
          if (!fields.count(r)) return false;
        }
        return true;
      };
      ExprPtr inner, outer_side;
      if (a->kind == ExprKind::kColumn && sub_set.count(a->name) && !only_in(b, sub_set) &&
          only_in(b, FieldsOf(rel))) {
        inner = a, outer_side = b;
      } else if (b->kind == ExprKind::kColumn && sub_set.count(b->name) && !only_in(a, sub_set) &&
                 only_in(a, FieldsOf(rel))) {
        inner = b, outer_side = a;
      }
      if (inner) {
        CA_ASSIGN_OR_RAISE(auto lk, Materialize(outer_side, &rel));
        lkeys.push_back(lk);
        rkeys.push_back(inner->name);
        continue;
      }
    }
    if (corr.grouped) {
      return InvalidError(stage::kSql, "NOT_SUPPORTED",
                          "not supported: non-equality correlation in an aggregate subquery: " +
                              engine::ToString(*e));
    }
    residual.push_back(e);
  }
  for (auto& [outer_expr, inner_field] : extra) {
    CA_ASSIGN_OR_RAISE(auto lk, Materialize(outer_expr, &rel));
    std::string rk = inner_field;
    if (auto it = renamed.find(rk); it != renamed.end()) rk = it->second;
    lkeys.push_back(lk);
    rkeys.push_back(rk);
  }
  sub.columns.clear();  // nothing of the subquery becomes visible by name
  std::vector<BoundColumn> keep = rel.columns;
  CA_ASSIGN_OR_RAISE(rel, JoinRelations(std::move(rel), std::move(sub), type, lkeys, rkeys,
                                        Conjunction(residual)));
  rel.columns = std::move(keep);
  return Status::OK();
}

Result<bool> Binder::PlanSubqueryPredicate(const JsonValue& node, ExprScope& scope) {
  bool negated = false;
  const JsonValue* link = &node;
  if (NodeType(node) == "BoolExpr" &&
      Member(NodeBody(node), "boolop").string_value() == "NOT_EXPR") {
    const JsonValue& args = Member(NodeBody(node), "args");
    if (args.is_array() && args.array_value().size() == 1) {
      link = &args.array_value()[0];
      negated = true;
    }
  }
  if (NodeType(*link) != "SubLink") return false;
  const JsonValue& body = NodeBody(*link);
  std::string kind = Member(body, "subLinkType").string_value();
  if (kind != "EXISTS_SUBLINK" && kind != "ANY_SUBLINK") return false;
  auto oper = StringList(Member(body, "operName"));
  if (kind == "ANY_SUBLINK" && !(oper.empty() || oper.back() == "=")) return false;
  if (kind == "ANY_SUBLINK" && negated) return false;  // NOT IN: three-valued, see BindSubLink
  Correlation corr;
  CA_ASSIGN_OR_RAISE(auto sub, BindSubquery(*link, scope, &corr, kind == "ANY_SUBLINK" ? 1 : 0));
  if (corr.grouped && !corr.conjuncts.empty()) {
    return ErrorAt("NOT_SUPPORTED", "not supported: correlated EXISTS/IN over an aggregate", *link);
  }
  if (kind == "EXISTS_SUBLINK" && corr.conjuncts.empty()) return false;  // a constant: count
  std::vector<std::pair<ExprPtr, std::string>> extra;
  if (kind == "ANY_SUBLINK") {
    ExprScope vscope = scope;
    CA_ASSIGN_OR_RAISE(auto value, BindExpr(Member(body, "testexpr"), vscope));
    extra.emplace_back(value, sub.columns[0].field);
  }
  CA_RETURN_NOT_OK(JoinCorrelated(std::move(sub), corr, scope,
                                  negated ? JoinType::kLeftAnti : JoinType::kLeftSemi,
                                  std::move(extra), nullptr));
  return true;
}

Result<ExprPtr> Binder::BindSubLink(const JsonValue& node, ExprScope& scope) {
  const JsonValue& body = NodeBody(node);
  std::string kind = Member(body, "subLinkType").string_value();
  if (scope.rel == nullptr || scope.rel->plan == nullptr ||
      (scope.rel->plan->kind == engine::PlanKind::kScan && !scope.rel->plan->provider)) {
    return ErrorAt("NOT_SUPPORTED", std::string("not supported: subquery in ") + scope.clause,
                   node);
  }
  BoundRelation& rel = *scope.rel;
  auto cross_join = [&](BoundRelation one_row) -> Status {
    CA_ASSIGN_OR_RAISE(one_row, Disambiguate(std::move(one_row), FieldsOf(rel)));
    std::vector<BoundColumn> keep = rel.columns;
    CA_ASSIGN_OR_RAISE(
        rel, JoinRelations(std::move(rel), std::move(one_row), JoinType::kInner, {}, {}, nullptr));
    rel.columns = std::move(keep);
    return Status::OK();
  };
  if (kind == "EXISTS_SUBLINK") {
    Correlation corr;
    CA_ASSIGN_OR_RAISE(auto sub, BindSubquery(node, scope, &corr, 0));
    if (!corr.conjuncts.empty()) {
      // A mark join: distinct correlation keys with a marker, left-joined.
      if (corr.grouped || !EqualityCorrelation(corr)) {
        return ErrorAt("NOT_SUPPORTED",
                       "not supported: correlated EXISTS outside a top-level WHERE condition "
                       "unless its correlation is equalities",
                       node);
      }
      std::vector<ExprPtr> keys;
      for (const auto& f : corr.exposed) keys.push_back(engine::Column(f));
      CA_ASSIGN_OR_RAISE(sub.plan, engine::plan::Projection(sub.plan, keys, fr_));
      CA_ASSIGN_OR_RAISE(sub.plan, engine::plan::Distinct(sub.plan));
      std::string m = FreshName("exists_");
      std::vector<ExprPtr> with_marker{engine::Alias(Bool(true), m)};
      with_marker.insert(with_marker.end(), keys.begin(), keys.end());
      CA_ASSIGN_OR_RAISE(sub.plan, engine::plan::Projection(sub.plan, with_marker, fr_));
      sub.columns = {{"", m, m, false}};
      std::vector<std::string> visible;
      CA_RETURN_NOT_OK(JoinCorrelated(std::move(sub), corr, scope, JoinType::kLeft, {}, &visible));
      return engine::Call("is_valid", {engine::Column(visible[0])});
    }
    std::string n = FreshName("exists_");
    BoundRelation stats;
    CA_ASSIGN_OR_RAISE(
        stats.plan, engine::plan::Aggregate(
                        sub.plan, {}, {engine::Alias(engine::AggregateCall("count", {}), n)}, fr_));
    CA_RETURN_NOT_OK(cross_join(std::move(stats)));
    std::string field = rel.plan->schema->field(rel.plan->schema->num_fields() - 1)->name();
    constant_fields_.insert(field);
    return engine::Call(">",
                        {engine::Column(field), engine::Literal(arrow::MakeScalar(int64_t{0}))});
  }
  if (kind == "ANY_SUBLINK") {
    auto oper = StringList(Member(body, "operName"));
    if (!(oper.empty() || oper.back() == "=")) {
      return ErrorAt("NOT_SUPPORTED", "not supported: " + oper.back() + " ANY (subquery)", node);
    }
    Correlation corr;
    CA_ASSIGN_OR_RAISE(auto sub, BindSubquery(node, scope, &corr, 1));
    if (!corr.conjuncts.empty()) {
      return ErrorAt("NOT_SUPPORTED",
                     "not supported: correlated IN outside a top-level WHERE condition", node);
    }
    ExprScope vscope = scope;
    CA_ASSIGN_OR_RAISE(auto value, BindExpr(Member(body, "testexpr"), vscope));
    std::string y = sub.columns[0].field;
    // Distinct non-null values with a match marker; NULL and emptiness from counts.
    std::string k = FreshName("in_key_"), m = FreshName("in_match_");
    std::string n = FreshName("in_rows_"), nn = FreshName("in_values_");
    BoundRelation values;
    CA_ASSIGN_OR_RAISE(values.plan, engine::plan::Projection(
                                        sub.plan, {engine::Alias(engine::Column(y), k)}, fr_));
    CA_ASSIGN_OR_RAISE(
        values.plan,
        engine::plan::Filter(values.plan, engine::Call("is_valid", {engine::Column(k)}), fr_));
    CA_ASSIGN_OR_RAISE(values.plan, engine::plan::Distinct(values.plan));
    CA_ASSIGN_OR_RAISE(values.plan,
                       engine::plan::Projection(
                           values.plan, {engine::Column(k), engine::Alias(Bool(true), m)}, fr_));
    BoundRelation stats;
    CA_ASSIGN_OR_RAISE(stats.plan,
                       engine::plan::Aggregate(
                           sub.plan, {},
                           {engine::Alias(engine::AggregateCall("count", {}), n),
                            engine::Alias(engine::AggregateCall("count", {engine::Column(y)}), nn)},
                           fr_));
    CA_ASSIGN_OR_RAISE(auto key, Materialize(value, &rel));
    CA_ASSIGN_OR_RAISE(values, Disambiguate(std::move(values), FieldsOf(rel)));
    std::string k2 = values.plan->schema->field(0)->name();
    std::string m2 = values.plan->schema->field(1)->name();
    std::vector<BoundColumn> keep = rel.columns;
    CA_ASSIGN_OR_RAISE(rel, JoinRelations(std::move(rel), std::move(values), JoinType::kLeft, {key},
                                          {k2}, nullptr));
    rel.columns = keep;
    CA_RETURN_NOT_OK(cross_join(std::move(stats)));
    int nf = rel.plan->schema->num_fields();
    std::string n2 = rel.plan->schema->field(nf - 2)->name();
    std::string nn2 = rel.plan->schema->field(nf - 1)->name();
    constant_fields_.insert(n2);
    constant_fields_.insert(nn2);
    auto zero = engine::Literal(arrow::MakeScalar(int64_t{0}));
    return engine::Case(
        {{engine::Call("is_valid", {engine::Column(m2)}), Bool(true)},
         {engine::Call("=", {engine::Column(n2), zero}), Bool(false)},
         {engine::Call("or", {engine::Call("is_null", {engine::Column(key)}),
                              engine::Call("<", {engine::Column(nn2), engine::Column(n2)})}),
          NullBool()}},
        Bool(false));
  }
  if (kind == "EXPR_SUBLINK") {
    Correlation corr;
    CA_ASSIGN_OR_RAISE(auto sub, BindSubquery(node, scope, &corr, 1));
    if (corr.conjuncts.empty()) {
      CA_RETURN_NOT_OK(EnsureScalarSubqueryFunction(fr_.registry()));
      std::string n = FreshName("sq_rows_"), v = FreshName("sq_value_");
      BoundRelation stats;
      CA_ASSIGN_OR_RAISE(
          stats.plan,
          engine::plan::Aggregate(
              sub.plan, {},
              {engine::Alias(engine::AggregateCall("count", {}), n),
               engine::Alias(engine::AggregateCall("min", {engine::Column(sub.columns[0].field)}),
                             v)},
              fr_));
      CA_RETURN_NOT_OK(cross_join(std::move(stats)));
      int nf = rel.plan->schema->num_fields();
      std::string n2 = rel.plan->schema->field(nf - 2)->name();
      std::string v2 = rel.plan->schema->field(nf - 1)->name();
      constant_fields_.insert(n2);
      constant_fields_.insert(v2);
      return engine::Call(kScalarSubqueryFunction, {engine::Column(n2), engine::Column(v2)});
    }
    if (!corr.grouped) {
      // One value per correlation key: group by the keys, count the rows, and fail at run time
      // if a row of the outer query meets more than one.
      if (!EqualityCorrelation(corr)) {
        return ErrorAt("NOT_SUPPORTED",
                       "not supported: correlated scalar subquery without an aggregate whose "
                       "correlation is not equalities",
                       node);
      }
      CA_RETURN_NOT_OK(EnsureScalarSubqueryFunction(fr_.registry()));
      std::vector<ExprPtr> keys;
      for (const auto& f : corr.exposed) keys.push_back(engine::Column(f));
      std::string n = FreshName("sq_rows_"), v = FreshName("sq_value_");
      CA_ASSIGN_OR_RAISE(
          sub.plan,
          engine::plan::Aggregate(
              sub.plan, keys,
              {engine::Alias(engine::AggregateCall("count", {}), n),
               engine::Alias(engine::AggregateCall("min", {engine::Column(sub.columns[0].field)}),
                             v)},
              fr_));
      std::vector<ExprPtr> order{engine::Column(v), engine::Column(n)};
      order.insert(order.end(), keys.begin(), keys.end());
      CA_ASSIGN_OR_RAISE(sub.plan, engine::plan::Projection(sub.plan, order, fr_));
      sub.columns = {{"", v, v, false}, {"", n, n, false}};
      std::vector<std::string> visible;
      CA_RETURN_NOT_OK(JoinCorrelated(std::move(sub), corr, scope, JoinType::kLeft, {}, &visible));
      auto zero = engine::Literal(arrow::MakeScalar(int64_t{0}));
      return engine::Call(kScalarSubqueryFunction,
                          {engine::Call("coalesce", {engine::Column(visible[1]), zero}),
                           engine::Column(visible[0])});
    }
    std::vector<std::string> visible;
    CA_RETURN_NOT_OK(JoinCorrelated(std::move(sub), corr, scope, JoinType::kLeft, {}, &visible));
    ExprPtr out = engine::Column(visible[0]);
    if (IsBareCount(NodeBody(Member(body, "subselect")))) {
      out = engine::Call("coalesce", {out, engine::Literal(arrow::MakeScalar(int64_t{0}))});
    }
    return out;
  }
  return ErrorAt("NOT_SUPPORTED", "not supported: " + kind + " subquery", node);
}

}  // namespace codeanatomy::sql
