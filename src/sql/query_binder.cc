// Binding query blocks: WITH, WHERE, GROUP BY, HAVING, the select list, DISTINCT, ORDER BY
// and LIMIT/OFFSET.
#include <algorithm>
#include <cctype>

#include <arrow/array/util.h>
#include <arrow/compute/api.h>
#include <arrow/table.h>

#include "engine/table_provider.h"
#include "engine/view.h"
#include "sql/binder.h"
#include "sql/binder_util.h"
#include "sql/parse_tree.h"

namespace codeanatomy::sql {

using engine::Expr;
using engine::ExprKind;
using engine::JoinType;
using namespace internal;  // NOLINT(build/namespaces)

Status Binder::BindWithClause(const JsonValue& with_clause) {
  if (Flag(with_clause, "recursive")) {
    const JsonArray& ctes = Items(Member(with_clause, "ctes"));
    return ErrorAt("NOT_SUPPORTED", "not supported: recursive CTE",
                   ctes.empty() ? with_clause : ctes[0], "\"construct\":\"recursive CTE\"");
  }
  ctes_.emplace_back();
  for (const JsonValue& cte_node : Items(Member(with_clause, "ctes"))) {
    const JsonValue& cte = NodeBody(cte_node);
    std::string name = Member(cte, "ctename").string_value();
    CA_ASSIGN_OR_RAISE(auto rel, BindQuery(NodeBody(Member(cte, "ctequery")), nullptr));
    auto colnames = StringList(Member(cte, "aliascolnames"));
    if (colnames.size() > rel.columns.size()) {
      return ErrorAt("TOO_MANY_COLUMN_ALIASES",
                     "WITH query \"" + name + "\" has " + std::to_string(rel.columns.size()) +
                         " columns available but " + std::to_string(colnames.size()) +
                         " columns specified",
                     cte_node);
    }
    for (size_t i = 0; i < colnames.size(); ++i) rel.columns[i].name = colnames[i];
    for (auto& c : rel.columns) c.qualifier = name;
    if (ctes_.back().count(name)) {
      return ErrorAt("DUPLICATE_CTE", "WITH query name \"" + name + "\" specified more than once",
                     cte_node, "\"cte\":" + JsonQuote(name));
    }
    ctes_.back()[name] = std::move(rel);
  }
  return Status::OK();
}

Result<BoundRelation> Binder::BindQuery(const JsonValue& select, const ExprScope* outer,
                                        Correlation* corr) {
  bool pushed = false;
  if (const JsonValue& with = Member(select, "withClause"); with.is_object()) {
    CA_RETURN_NOT_OK(BindWithClause(with));
    pushed = true;
  }
  Result<BoundRelation> out;
  std::string op = Member(select, "op").string_value();
  if (!op.empty() && op != "SETOP_NONE") {
    out = BindSetOp(select, outer);
  } else if (Member(select, "valuesLists").is_array()) {
    out = BindValues(select);
  } else {
    out = BindSelectBlock(select, outer, corr);
  }
  if (pushed) ctes_.pop_back();
  return out;
}

Result<PlanPtr> Binder::PlanQuery(const JsonValue& select_node) {
  CA_ASSIGN_OR_RAISE(auto rel, BindQuery(NodeBody(select_node), nullptr));
  return OutputPlan(rel);
}

Result<PlanPtr> Binder::OutputPlan(const BoundRelation& rel) {
  // Field names become the SQL output names; duplicates get _1, _2, ... as in DuckDB.
  std::vector<ExprPtr> exprs;
  std::set<std::string> used;
  for (const auto& c : rel.columns) {
    std::string name = c.name;
    for (int k = 1; used.count(name); ++k) name = c.name + "_" + std::to_string(k);
    used.insert(name);
    exprs.push_back(engine::Alias(engine::Column(c.field), name));
  }
  if (exprs.empty()) {
    return InvalidError(stage::kSql, "EMPTY_SELECT", "a query must produce at least one column");
  }
  bool identity = static_cast<size_t>(rel.plan->schema->num_fields()) == exprs.size();
  for (size_t i = 0; identity && i < exprs.size(); ++i) {
    identity = rel.plan->schema->field(static_cast<int>(i))->name() == exprs[i]->name &&
               exprs[i]->args[0]->name == exprs[i]->name;
  }
  if (identity) return rel.plan;
  return engine::plan::Projection(rel.plan, std::move(exprs), fr_);
}

Result<int64_t> Binder::ConstantInt(const JsonValue& node, const char* clause) {
  ExprScope scope;
  scope.clause = clause;
  CA_ASSIGN_OR_RAISE(auto e, BindExpr(node, scope));
  e = engine::FoldConstants(e, fr_);
  if (e->kind == ExprKind::kLiteral && !e->literal->is_valid) return -1;  // LIMIT NULL / ALL
  if (e->kind != ExprKind::kLiteral || !arrow::is_integer(e->literal->type->id())) {
    return ErrorAt("INVALID_LIMIT", std::string(clause) + " must be an integer constant", node);
  }
  auto cast = e->literal->CastTo(arrow::int64());
  if (!cast.ok()) return ErrorAt("INVALID_LIMIT", cast.status().message(), node);
  int64_t v = static_cast<const arrow::Int64Scalar&>(**cast).value;
  if (v < 0) {
    return ErrorAt("INVALID_LIMIT", std::string(clause) + " must not be negative", node);
  }
  return v;
}

Status Binder::ApplyLimit(const JsonValue& select, BoundRelation* rel) {
  const JsonValue& count = Member(select, "limitCount");
  const JsonValue& offset = Member(select, "limitOffset");
  if (Member(select, "limitOption").string_value() == "LIMIT_OPTION_WITH_TIES") {
    return ErrorAt("NOT_SUPPORTED", "not supported: FETCH ... WITH TIES", count);
  }
  if (count.is_null() && offset.is_null()) return Status::OK();
  int64_t fetch = -1, skip = 0;
  if (!count.is_null()) {
    CA_ASSIGN_OR_RAISE(fetch, ConstantInt(count, "LIMIT"));
  }
  if (!offset.is_null()) {
    CA_ASSIGN_OR_RAISE(skip, ConstantInt(offset, "OFFSET"));
    skip = std::max<int64_t>(skip, 0);
  }
  CA_ASSIGN_OR_RAISE(rel->plan, engine::plan::Limit(rel->plan, skip, fetch));
  return Status::OK();
}

Result<engine::SortKey> Binder::SortKeyOf(const JsonValue& sortby, ExprPtr expr) {
  const JsonValue& body = NodeBody(sortby);
  std::string dir = Member(body, "sortby_dir").string_value();
  std::string nulls = Member(body, "sortby_nulls").string_value();
  if (dir == "SORTBY_USING") {
    return ErrorAt("NOT_SUPPORTED", "not supported: ORDER BY ... USING", sortby);
  }
  engine::SortKey key;
  key.expr = std::move(expr);
  key.ascending = dir != "SORTBY_DESC";
  // PostgreSQL: NULLS LAST ascending, NULLS FIRST descending, unless stated.
  key.nulls_first =
      nulls == "SORTBY_NULLS_FIRST" || (nulls != "SORTBY_NULLS_LAST" && !key.ascending);
  return key;
}

Status Binder::ApplyWhere(const JsonValue& where, ExprScope& scope, Correlation* corr) {
  if (where.is_null()) return Status::OK();
  std::vector<const JsonValue*> conjuncts;
  SplitAndNodes(where, &conjuncts);
  std::vector<ExprPtr> filters;
  for (const JsonValue* c : conjuncts) {
    CA_ASSIGN_OR_RAISE(bool planned, PlanSubqueryPredicate(*c, scope));
    if (planned) continue;
    bool uses_outer = false;
    ExprScope s = scope;
    s.uses_outer = &uses_outer;
    CA_ASSIGN_OR_RAISE(auto e, BindExpr(*c, s));
    if (uses_outer) {
      if (corr == nullptr) {
        return ErrorAt("NOT_SUPPORTED", "not supported: correlated reference here", *c);
      }
      corr->conjuncts.push_back(e);
      corr->nodes.push_back(c);
    } else {
      // Conjuncts the FROM list already applied (join keys, filters on one item) are done.
      for (const auto& piece : FactorCommonConjuncts(e)) {
        if (!consumed_where_.count(engine::ToString(*piece))) filters.push_back(piece);
      }
    }
  }
  if (!filters.empty()) {
    CA_ASSIGN_OR_RAISE(scope.rel->plan,
                       engine::plan::Filter(scope.rel->plan, Conjunction(filters), fr_));
  }
  return Status::OK();
}

Result<BoundRelation> Binder::BindSelectBlock(const JsonValue& select, const ExprScope* outer,
                                              Correlation* corr) {
  // Window calls and consumed WHERE conjuncts belong to their own block.
  std::vector<engine::WindowFunction> enclosing = std::move(windows_);
  std::set<std::string> enclosing_consumed = std::move(consumed_where_);
  windows_.clear();
  consumed_where_.clear();
  auto out = BindSelectBlockImpl(select, outer, corr);
  windows_ = std::move(enclosing);
  consumed_where_ = std::move(enclosing_consumed);
  return out;
}

Result<BoundRelation> Binder::BindSelectBlockImpl(const JsonValue& select, const ExprScope* outer,
                                                  Correlation* corr) {
  if (Member(select, "distinctClause").is_array()) {
    const JsonArray& d = Member(select, "distinctClause").array_value();
    if (!(d.size() == 1 && d[0].is_object() && d[0].object_value().empty())) {
      return ErrorAt("NOT_SUPPORTED", "not supported: DISTINCT ON", select);
    }
  }
  if (!Member(select, "intoClause").is_null()) {
    return ErrorAt("NOT_SUPPORTED", "not supported: SELECT INTO", select);
  }
  if (!Member(select, "lockingClause").is_null()) {
    return ErrorAt("NOT_SUPPORTED", "not supported: FOR UPDATE/SHARE", select);
  }
  if (!Member(select, "windowClause").is_null()) {
    return ErrorAt("NOT_SUPPORTED", "not supported: WINDOW clause", select);
  }
  const JsonValue& where = Member(select, "whereClause");
  CA_ASSIGN_OR_RAISE(BoundRelation rel, BindFromList(Member(select, "fromClause"), where, outer));
  ExprScope scope;
  scope.rel = &rel;
  scope.outer = outer;
  scope.clause = "WHERE";
  CA_RETURN_NOT_OK(ApplyWhere(where, scope, corr));
  const BoundRelation input = rel;  // FROM + WHERE: names for GROUP BY and errors

  // The select list, with * expanded.
  struct Target {
    const JsonValue* node = nullptr;  // expression node (null for expanded columns)
    ExprPtr expr;
    std::string name;
  };
  std::vector<Target> targets;
  for (const JsonValue& t : Items(Member(select, "targetList"))) {
    const JsonValue& body = NodeBody(t);
    const JsonValue& val = Member(body, "val");
    if (NodeType(val) == "ColumnRef") {
      auto parts = StringList(Member(NodeBody(val), "fields"));
      if (!parts.empty() && parts.back() == "*") {
        std::string qualifier = parts.size() >= 2 ? parts[parts.size() - 2] : "";
        bool any = false;
        for (const auto& c : rel.columns) {
          if (qualifier.empty() ? c.merged : c.qualifier != qualifier) continue;
          targets.push_back({nullptr, engine::Column(c.field), c.name});
          any = true;
        }
        if (!any && !qualifier.empty()) {
          return ErrorAt("UNKNOWN_TABLE",
                         "missing FROM-clause entry for table \"" + qualifier + "\"", val,
                         "\"table\":" + JsonQuote(qualifier));
        }
        if (!any && qualifier.empty() && Items(Member(select, "fromClause")).empty()) {
          return ErrorAt("EMPTY_SELECT", "SELECT * with no tables specified is not valid", val);
        }
        continue;
      }
    }
    std::string name =
        Member(body, "name").is_string() ? Member(body, "name").string_value() : DefaultName(val);
    targets.push_back({&val, nullptr, name});
  }

  const JsonValue& group_clause = Member(select, "groupClause");
  const JsonValue& having = Member(select, "havingClause");
  const JsonValue& sort_clause = Member(select, "sortClause");
  bool aggregating = !Items(group_clause).empty() || !having.is_null() ||
                     ContainsAggregateNode(Member(select, "targetList"), fr_) ||
                     ContainsAggregateNode(sort_clause, fr_);
  bool distinct = Member(select, "distinctClause").is_array();

  // Bind targets (aggregates allowed when aggregating).
  ExprScope tscope;
  tscope.rel = &rel;
  tscope.outer = outer;
  tscope.allow_aggregates = aggregating;
  tscope.allow_windows = true;
  tscope.clause = "the select list";
  for (auto& t : targets) {
    if (t.node) {
      bool uses_outer = false;
      tscope.uses_outer = &uses_outer;
      CA_ASSIGN_OR_RAISE(t.expr, BindExpr(*t.node, tscope));
      if (uses_outer) {
        return ErrorAt("NOT_SUPPORTED", "not supported: correlated reference in a select list",
                       *t.node);
      }
    }
  }
  tscope.uses_outer = nullptr;
  // ORDER BY items: output position, output name, or an expression.
  struct Order {
    const JsonValue* sortby;
    int target = -1;  // index into targets, or -1 for an extra expression
    ExprPtr expr;
  };
  std::vector<Order> orders;
  for (const JsonValue& s : Items(sort_clause)) {
    const JsonValue& node = Member(NodeBody(s), "node");
    Order o{&s, -1, nullptr};
    if (NodeType(node) == "A_Const" && Member(NodeBody(node), "ival").is_object()) {
      CA_ASSIGN_OR_RAISE(int64_t pos, ConstantInt(node, "ORDER BY position"));
      if (pos < 1 || pos > static_cast<int64_t>(targets.size())) {
        return ErrorAt("INVALID_ORDER_BY",
                       "ORDER BY position " + std::to_string(pos) + " is not in select list", node);
      }
      o.target = static_cast<int>(pos - 1);
    } else if (NodeType(node) == "ColumnRef" &&
               StringList(Member(NodeBody(node), "fields")).size() == 1) {
      std::string name = StringList(Member(NodeBody(node), "fields"))[0];
      int hits = 0;
      for (size_t i = 0; i < targets.size(); ++i) {
        if (targets[i].name == name) {
          if (hits == 0) o.target = static_cast<int>(i);
          ++hits;
        }
      }
      if (hits > 1) {
        // Several outputs share the name: fine if they are the same expression.
        for (size_t i = 0; i < targets.size(); ++i) {
          if (targets[i].name == name &&
              engine::ToString(*targets[i].expr) != engine::ToString(*targets[o.target].expr)) {
            return ErrorAt("AMBIGUOUS_COLUMN", "ORDER BY \"" + name + "\" is ambiguous", node);
          }
        }
      }
    }
    if (o.target < 0) {
      ExprScope oscope = tscope;
      oscope.clause = "ORDER BY";
      CA_ASSIGN_OR_RAISE(o.expr, BindExpr(node, oscope));
    }
    orders.push_back(std::move(o));
  }

  if (aggregating) {
    AggregateState agg;
    agg.input_columns = input.columns;
    agg.constant_fields = constant_fields_;
    ExprScope gscope;
    gscope.rel = &rel;
    gscope.outer = outer;
    gscope.clause = "GROUP BY";
    for (const JsonValue& g : Items(group_clause)) {
      std::string_view gt = NodeType(g);
      if (gt == "GroupingSet") {
        return ErrorAt("NOT_SUPPORTED", "not supported: GROUPING SETS / ROLLUP / CUBE", g);
      }
      ExprPtr e;
      if (gt == "A_Const" && Member(NodeBody(g), "ival").is_object()) {
        CA_ASSIGN_OR_RAISE(int64_t pos, ConstantInt(g, "GROUP BY position"));
        if (pos < 1 || pos > static_cast<int64_t>(targets.size())) {
          return ErrorAt("INVALID_GROUP_BY",
                         "GROUP BY position " + std::to_string(pos) + " is not in select list", g);
        }
        e = targets[pos - 1].expr;
        if (ContainsAggregate(*e, fr_)) {
          return ErrorAt("AGGREGATE_NOT_ALLOWED", "aggregate functions are not allowed in GROUP BY",
                         g);
        }
      } else {
        auto bound = BindExpr(g, gscope);
        if (!bound.ok() && gt == "ColumnRef") {
          // PostgreSQL also accepts an output column name.
          auto parts = StringList(Member(NodeBody(g), "fields"));
          for (const auto& t : targets) {
            if (parts.size() == 1 && t.name == parts[0] && t.expr &&
                !ContainsAggregate(*t.expr, fr_)) {
              bound = t.expr;
              break;
            }
          }
        }
        CA_ASSIGN_OR_RAISE(e, std::move(bound));
      }
      std::string text = engine::ToString(*e);
      if (std::find(agg.group_text.begin(), agg.group_text.end(), text) != agg.group_text.end()) {
        continue;
      }
      agg.group_text.push_back(text);
      if (e->kind == ExprKind::kColumn) {
        agg.group_fields.push_back(e->name);
        agg.group_exprs.push_back(e);
      } else {
        std::string name = FreshName("group_");
        agg.group_fields.push_back(name);
        agg.group_exprs.push_back(engine::Alias(e, name));
      }
    }
    // Correlated aggregate subquery: group by the inner side of each correlation equality.
    if (corr && !corr->conjuncts.empty()) {
      for (size_t i = 0; i < corr->conjuncts.size(); ++i) {
        const ExprPtr& c = corr->conjuncts[i];
        bool ok = c->kind == ExprKind::kCall && c->name == "=" && c->args.size() == 2;
        ExprPtr inner;
        if (ok) {
          bool l_outer = HasOuterReference(*c->args[0]);
          bool r_outer = HasOuterReference(*c->args[1]);
          inner = l_outer ? c->args[1] : c->args[0];
          ok = (l_outer != r_outer) && inner->kind == ExprKind::kColumn;
        }
        if (!ok) {
          return ErrorAt("NOT_SUPPORTED",
                         "not supported: correlated aggregate subquery whose correlation is not "
                         "an equality between an inner column and outer values",
                         *corr->nodes[i]);
        }
        std::string text = engine::ToString(*inner);
        if (std::find(agg.group_text.begin(), agg.group_text.end(), text) == agg.group_text.end()) {
          agg.group_text.push_back(text);
          agg.group_fields.push_back(inner->name);
          agg.group_exprs.push_back(inner);
        }
      }
    }
    for (auto& t : targets) {
      CA_ASSIGN_OR_RAISE(t.expr, RewriteGrouped(t.expr, agg, t.node ? *t.node : select));
    }
    ExprPtr having_expr;
    if (!having.is_null()) {
      ExprScope hscope = tscope;
      hscope.clause = "HAVING";
      hscope.allow_windows = false;
      CA_ASSIGN_OR_RAISE(auto h, BindExpr(having, hscope));
      CA_ASSIGN_OR_RAISE(having_expr, RewriteGrouped(h, agg, having));
    }
    for (auto& o : orders) {
      if (o.expr) {
        CA_ASSIGN_OR_RAISE(o.expr,
                           RewriteGrouped(o.expr, agg, Member(NodeBody(*o.sortby), "node")));
      }
    }
    for (auto& w : windows_) {  // windows run after grouping, over its output
      for (auto& a : w.args) {
        CA_ASSIGN_OR_RAISE(a, RewriteGrouped(a, agg, select));
      }
      for (auto& p : w.partition_by) {
        CA_ASSIGN_OR_RAISE(p, RewriteGrouped(p, agg, select));
      }
      for (auto& k : w.order_by) {
        CA_ASSIGN_OR_RAISE(k.expr, RewriteGrouped(k.expr, agg, select));
      }
    }
    if (agg.group_exprs.empty() && agg.aggregates.empty()) {
      // e.g. SELECT 1 FROM t HAVING true: one group over everything.
      agg.aggregates.push_back(
          engine::Alias(engine::AggregateCall("count", {}), FreshName("agg_")));
    }
    CA_RETURN_NOT_OK(PlanDistinctAggregates(&rel, &agg, select));
    CA_ASSIGN_OR_RAISE(rel.plan,
                       engine::plan::Aggregate(rel.plan, agg.group_exprs, agg.aggregates, fr_));
    // Grouped columns stay addressable by their names (for correlation and ORDER BY).
    std::vector<BoundColumn> columns;
    for (const auto& c : input.columns) {
      if (std::find(agg.group_fields.begin(), agg.group_fields.end(), c.field) !=
          agg.group_fields.end()) {
        columns.push_back(c);
      }
    }
    rel.columns = std::move(columns);
    if (having_expr) {
      CA_ASSIGN_OR_RAISE(rel.plan, engine::plan::Filter(rel.plan, having_expr, fr_));
    }
    if (corr) {
      // The correlation now compares the grouped inner columns.
      corr->grouped = true;
    }
  }

  if (!windows_.empty()) {
    if (corr && !corr->conjuncts.empty()) {
      return ErrorAt("NOT_SUPPORTED", "not supported: window functions in a correlated subquery",
                     select);
    }
    CA_ASSIGN_OR_RAISE(rel.plan, engine::plan::Window(rel.plan, windows_, fr_));
  }

  // Projection: targets, then ORDER BY expressions not in the select list, then the inner
  // columns a correlated subquery is joined on.
  std::vector<ExprPtr> exprs;
  BoundRelation out;
  std::set<std::string> used_fields;
  for (const auto& t : targets) {
    std::string field = t.name;
    if (used_fields.count(field) || field.rfind("__", 0) == 0 ||
        field.find(':') != std::string::npos) {
      field = FreshName("col_");
    }
    used_fields.insert(field);
    bool same = t.expr->kind == ExprKind::kColumn && t.expr->name == field;
    exprs.push_back(same ? t.expr : engine::Alias(t.expr, field));
    out.columns.push_back({"", t.name, field, false});
  }
  std::vector<engine::SortKey> sort_keys;
  size_t visible = exprs.size();
  for (auto& o : orders) {
    ExprPtr key;
    if (o.target >= 0) {
      key = engine::Column(out.columns[o.target].field);
    } else {
      std::string text = engine::ToString(*o.expr);
      for (size_t i = 0; i < targets.size() && !key; ++i) {
        if (engine::ToString(*targets[i].expr) == text) key = engine::Column(out.columns[i].field);
      }
      if (!key) {
        if (distinct) {
          return ErrorAt("INVALID_ORDER_BY",
                         "for SELECT DISTINCT, ORDER BY expressions must appear in select list",
                         *o.sortby);
        }
        std::string field = FreshName("sort_");
        exprs.push_back(engine::Alias(o.expr, field));
        key = engine::Column(field);
      }
    }
    CA_ASSIGN_OR_RAISE(auto sk, SortKeyOf(*o.sortby, key));
    sort_keys.push_back(std::move(sk));
  }
  if (corr && !corr->conjuncts.empty()) {
    // Expose the inner columns of the correlation and point the conjuncts at them.
    std::vector<std::pair<std::string, ExprPtr>> rename;
    std::set<std::string> inner_fields;
    for (const auto& c : corr->conjuncts) {
      for (const auto& name : engine::ReferencedColumns(*c)) {
        if (name.rfind(kOuterPrefix, 0) != 0) inner_fields.insert(name);
      }
    }
    for (const auto& f : inner_fields) {
      std::string field = FreshName("corr_");
      exprs.push_back(engine::Alias(engine::Column(f), field));
      rename.emplace_back(f, engine::Column(field));
      corr->exposed.push_back(field);
    }
    for (auto& c : corr->conjuncts) c = engine::ReplaceColumns(c, rename);
  }
  CA_ASSIGN_OR_RAISE(rel.plan, engine::plan::Projection(rel.plan, exprs, fr_));
  if (distinct) {
    CA_ASSIGN_OR_RAISE(rel.plan, engine::plan::Distinct(rel.plan));
  }
  if (!sort_keys.empty()) {
    CA_ASSIGN_OR_RAISE(rel.plan, engine::plan::Sort(rel.plan, std::move(sort_keys), fr_));
  }
  out.plan = rel.plan;
  CA_RETURN_NOT_OK(ApplyLimit(select, &out));
  size_t exposed = corr ? corr->exposed.size() : 0;
  if (exprs.size() > visible + exposed) {
    // Drop the ORDER BY helpers (keeping correlation columns, which come last).
    std::vector<ExprPtr> keep;
    for (const auto& c : out.columns) keep.push_back(engine::Column(c.field));
    if (corr) {
      for (const auto& f : corr->exposed) keep.push_back(engine::Column(f));
    }
    CA_ASSIGN_OR_RAISE(out.plan, engine::plan::Projection(out.plan, keep, fr_));
  }
  return out;
}

}  // namespace codeanatomy::sql
