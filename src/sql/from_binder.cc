// Binding FROM: tables, views, CTE references, subqueries, explicit joins (ON, USING,
// NATURAL) and comma lists joined on their WHERE equalities; table functions:
// table_function_binder.cc.
#include <algorithm>
#include <cctype>
#include <limits>

#include <arrow/array/util.h>
#include <arrow/compute/api.h>
#include <arrow/table.h>
#include <arrow/util/string.h>

#include "engine/physical_planner.h"
#include "engine/table_function.h"
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

Result<BoundRelation> Binder::Disambiguate(BoundRelation right,
                                           const std::set<std::string>& taken) {
  bool collides = false;
  for (const auto& f : right.plan->schema->fields()) collides |= taken.count(f->name()) > 0;
  if (!collides) return right;
  std::vector<ExprPtr> exprs;
  std::map<std::string, std::string> renamed;
  std::set<std::string> used = taken;
  for (const auto& f : right.plan->schema->fields()) used.insert(f->name());
  for (const auto& f : right.plan->schema->fields()) {
    std::string name = f->name();
    if (taken.count(name)) {
      int k = 1;
      std::string candidate;
      do {
        candidate = name + ":" + std::to_string(k++);
      } while (used.count(candidate));
      used.insert(candidate);
      renamed[name] = candidate;
      exprs.push_back(engine::Alias(engine::Column(name), candidate));
    } else {
      exprs.push_back(engine::Column(name));
    }
  }
  CA_ASSIGN_OR_RAISE(right.plan, engine::plan::Projection(right.plan, std::move(exprs), fr_));
  for (auto& c : right.columns) {
    if (auto it = renamed.find(c.field); it != renamed.end()) c.field = it->second;
  }
  return right;
}

Result<BoundRelation> Binder::JoinRelations(BoundRelation left, BoundRelation right, JoinType type,
                                            std::vector<std::string> left_keys,
                                            std::vector<std::string> right_keys, ExprPtr filter) {
  BoundRelation out;
  CA_ASSIGN_OR_RAISE(out.plan, engine::plan::Join(left.plan, right.plan, type, std::move(left_keys),
                                                  std::move(right_keys), filter, fr_));
  out.columns = std::move(left.columns);
  if (type != JoinType::kLeftSemi && type != JoinType::kLeftAnti) {
    for (auto& c : right.columns) out.columns.push_back(std::move(c));
  }
  return out;
}

Result<BoundRelation> Binder::BindViewDefinition(const std::string& name,
                                                 const engine::ViewProvider& view,
                                                 const JsonValue& node) {
  static thread_local int depth = 0;
  if (depth >= 32) {
    return ErrorAt("VIEW_RECURSION", "view \"" + name + "\" refers to itself (directly or not)",
                   node, "\"view\":" + JsonQuote(name));
  }
  CA_ASSIGN_OR_RAISE(auto statements, ParseStatements(view.definition()));
  if (statements.size() != 1 || NodeType(statements[0].node) != "ViewStmt") {
    return ErrorAt("INVALID_VIEW", "view \"" + name + "\" has an unreadable definition", node);
  }
  const JsonValue& body = NodeBody(statements[0].node);
  Binder inner(state_, view.definition());
  ++depth;
  auto bound = inner.BindQuery(NodeBody(Member(body, "query")));
  --depth;
  if (!bound.ok()) {
    return ErrorAt("INVALID_VIEW",
                   "view \"" + name + "\" no longer binds: " + bound.status().message(), node,
                   "\"view\":" + JsonQuote(name));
  }
  BoundRelation rel = std::move(*bound);
  auto aliases = StringList(Member(body, "aliases"));
  for (size_t i = 0; i < aliases.size() && i < rel.columns.size(); ++i) {
    rel.columns[i].name = aliases[i];
  }
  // Fields of the inner binder may collide with this one's fresh names: give them ours.
  std::vector<ExprPtr> exprs;
  for (auto& c : rel.columns) {
    std::string field = FreshName("view_");
    exprs.push_back(engine::Alias(engine::Column(c.field), field));
    c.field = field;
    c.merged = false;
  }
  CA_ASSIGN_OR_RAISE(rel.plan, engine::plan::Projection(rel.plan, std::move(exprs), fr_));
  return rel;
}

Result<BoundRelation> Binder::BindRangeVar(const JsonValue& node) {
  const JsonValue& body = NodeBody(node);
  std::string relname = Member(body, "relname").string_value();
  std::string qualified = relname;
  if (Member(body, "schemaname").is_string()) {
    qualified = Member(body, "schemaname").string_value() + "." + qualified;
  }
  if (Member(body, "catalogname").is_string()) {
    qualified = Member(body, "catalogname").string_value() + "." + qualified;
  }
  BoundRelation rel;
  bool found = false;
  if (qualified == relname) {
    for (auto it = ctes_.rbegin(); it != ctes_.rend() && !found; ++it) {
      if (auto c = it->find(relname); c != it->end()) {
        rel = c->second;
        found = true;
      }
    }
  }
  if (!found) {
    auto provider = state_->catalog().Lookup(qualified);
    if (!provider.ok()) {
      return ErrorAt("UNKNOWN_TABLE", provider.status().message(), node,
                     "\"table\":" + JsonQuote(qualified));
    }
    auto view = std::dynamic_pointer_cast<engine::ViewProvider>(*provider);
    if (view && !view->definition().empty()) {
      // Views bind late, from their SQL: a view over a replaced view sees the new one.
      CA_ASSIGN_OR_RAISE(rel, BindViewDefinition(qualified, *view, node));
    } else {
      CA_ASSIGN_OR_RAISE(rel.plan, engine::PlanForProvider(qualified, *provider));
      for (const auto& f : rel.plan->schema->fields()) {
        rel.columns.push_back({relname, f->name(), f->name(), false});
      }
    }
  }
  std::string alias = relname;
  const JsonValue& alias_node = Member(body, "alias");
  if (alias_node.is_object()) {
    alias = Member(alias_node, "aliasname").string_value();
    auto colnames = StringList(Member(alias_node, "colnames"));
    if (colnames.size() > rel.columns.size()) {
      return ErrorAt("TOO_MANY_COLUMN_ALIASES",
                     "table \"" + relname + "\" has " + std::to_string(rel.columns.size()) +
                         " columns available but " + std::to_string(colnames.size()) +
                         " columns specified",
                     node);
    }
    for (size_t i = 0; i < colnames.size(); ++i) rel.columns[i].name = colnames[i];
  }
  for (auto& c : rel.columns) c.qualifier = alias;
  return rel;
}

Result<BoundRelation> Binder::BindJoinExpr(const JsonValue& node, const ExprScope* outer) {
  const JsonValue& body = NodeBody(node);
  CA_ASSIGN_OR_RAISE(auto left, BindFromItem(Member(body, "larg"), outer));
  CA_ASSIGN_OR_RAISE(auto right_raw, BindFromItem(Member(body, "rarg"), outer));
  CA_ASSIGN_OR_RAISE(auto right, Disambiguate(std::move(right_raw), FieldSet(left)));
  std::string jt = Member(body, "jointype").string_value();
  JoinType type = JoinType::kInner;
  if (jt == "JOIN_LEFT") {
    type = JoinType::kLeft;
  } else if (jt == "JOIN_RIGHT") {
    type = JoinType::kRight;
  } else if (jt == "JOIN_FULL") {
    type = JoinType::kFull;
  } else if (jt != "JOIN_INNER") {
    return ErrorAt("NOT_SUPPORTED", "not supported: join type " + jt, node);
  }
  std::vector<std::string> lkeys, rkeys;
  std::vector<ExprPtr> residual;
  std::vector<std::string> using_names = StringList(Member(body, "usingClause"));
  if (Flag(body, "isNatural")) {
    for (const auto& lc : left.columns) {
      if (lc.merged) continue;
      for (const auto& rc : right.columns) {
        if (!rc.merged && rc.name == lc.name) using_names.push_back(lc.name);
      }
    }
  }
  std::vector<std::pair<const BoundColumn*, const BoundColumn*>> using_pairs;
  for (const auto& name : using_names) {
    auto find = [&](const BoundRelation& r) -> const BoundColumn* {
      const BoundColumn* hit = nullptr;
      for (const auto& c : r.columns) {
        if (!c.merged && c.name == name) hit = &c;
      }
      return hit;
    };
    const BoundColumn* l = find(left);
    const BoundColumn* r = find(right);
    if (!l || !r) {
      return ErrorAt("UNKNOWN_COLUMN",
                     "column \"" + name + "\" specified in USING clause does not exist in " +
                         (l ? "right" : "left") + " table",
                     node, "\"column_name\":" + JsonQuote(name));
    }
    lkeys.push_back(l->field);
    rkeys.push_back(r->field);
    using_pairs.emplace_back(l, r);
  }
  if (const JsonValue& quals = Member(body, "quals"); !quals.is_null()) {
    BoundRelation combined;
    CA_ASSIGN_OR_RAISE(combined.plan, engine::plan::Join(left.plan, right.plan, JoinType::kInner,
                                                         {}, {}, nullptr, fr_));
    combined.columns = left.columns;
    combined.columns.insert(combined.columns.end(), right.columns.begin(), right.columns.end());
    ExprScope scope;
    scope.rel = &combined;
    scope.outer = outer;
    scope.clause = "JOIN conditions";
    if (ContainsSubLink(quals)) {
      return ErrorAt("NOT_SUPPORTED", "not supported: subquery in a JOIN condition", quals);
    }
    bool uses_outer = false;
    scope.uses_outer = &uses_outer;
    CA_ASSIGN_OR_RAISE(auto cond, BindExpr(quals, scope));
    if (uses_outer) {
      return ErrorAt("NOT_SUPPORTED", "not supported: correlated reference in a JOIN condition",
                     quals);
    }
    SplitJoinCondition(SplitConjunction(cond), FieldSet(left), FieldSet(right), &lkeys, &rkeys,
                       &residual);
  }
  // Build: the engine's join plans need keys, or run as a nested-loop join.
  CA_ASSIGN_OR_RAISE(auto joined,
                     JoinRelations(left, right, type, lkeys, rkeys, Conjunction(residual)));
  if (!using_pairs.empty()) {
    // USING/NATURAL: one visible key column; under FULL JOIN it is COALESCE(l, r).
    std::vector<ExprPtr> exprs;
    bool project = type == JoinType::kFull || type == JoinType::kRight;
    std::map<std::string, std::string> merged_field;  // left key field -> visible field
    std::set<std::string> right_fields;
    for (const auto& [l, r] : using_pairs) right_fields.insert(r->field);
    if (project) {
      for (const auto& f : joined.plan->schema->fields())
        exprs.push_back(engine::Column(f->name()));
      for (const auto& [l, r] : using_pairs) {
        std::string name = FreshName("using_");
        ExprPtr value =
            type == JoinType::kFull
                ? engine::Call("coalesce", {engine::Column(l->field), engine::Column(r->field)})
                : engine::Column(r->field);
        exprs.push_back(engine::Alias(value, name));
        merged_field[l->field] = name;
      }
      CA_ASSIGN_OR_RAISE(joined.plan, engine::plan::Projection(joined.plan, exprs, fr_));
    }
    std::vector<BoundColumn> columns;
    // The merged keys come first, in USING order, then the other columns (PostgreSQL order).
    for (const auto& [l, r] : using_pairs) {
      BoundColumn c{"", l->name, l->field, false};
      if (auto it = merged_field.find(l->field); it != merged_field.end()) c.field = it->second;
      columns.push_back(c);
    }
    for (auto c : joined.columns) {
      bool is_key = false;
      for (const auto& [l, r] : using_pairs) is_key |= (c.field == l->field || c.field == r->field);
      c.merged = is_key;
      columns.push_back(c);
    }
    joined.columns = std::move(columns);
  }
  if (const JsonValue& alias = Member(body, "alias"); alias.is_object()) {
    std::string name = Member(alias, "aliasname").string_value();
    std::vector<BoundColumn> visible;
    for (auto& c : joined.columns) {
      if (!c.merged) visible.push_back({name, c.name, c.field, false});
    }
    joined.columns = std::move(visible);
  }
  return joined;
}

Result<BoundRelation> Binder::BindFromItem(const JsonValue& item, const ExprScope* outer) {
  std::string_view type = NodeType(item);
  const JsonValue& body = NodeBody(item);
  if (type == "RangeVar") return BindRangeVar(item);
  if (type == "JoinExpr") return BindJoinExpr(item, outer);
  if (type == "RangeSubselect") {
    if (Flag(body, "lateral")) {
      return ErrorAt("NOT_SUPPORTED", "not supported: LATERAL subqueries", item);
    }
    CA_ASSIGN_OR_RAISE(auto rel, BindQuery(NodeBody(Member(body, "subquery")), nullptr));
    const JsonValue& alias = Member(body, "alias");
    std::string name = alias.is_object() ? Member(alias, "aliasname").string_value() : "";
    auto colnames = StringList(Member(alias, "colnames"));
    if (colnames.size() > rel.columns.size()) {
      return ErrorAt("TOO_MANY_COLUMN_ALIASES",
                     "table \"" + name + "\" has " + std::to_string(rel.columns.size()) +
                         " columns available but " + std::to_string(colnames.size()) +
                         " columns specified",
                     item);
    }
    for (size_t i = 0; i < rel.columns.size(); ++i) {
      rel.columns[i].qualifier = name;
      if (i < colnames.size()) rel.columns[i].name = colnames[i];
    }
    return rel;
  }
  if (type == "RangeFunction") return BindRangeFunction(item);
  return ErrorAt("NOT_SUPPORTED", "not supported: FROM item " + std::string(type), item);
}

Result<BoundRelation> Binder::OneRow() {
  auto table = arrow::Table::Make(arrow::schema({arrow::field("__one", arrow::int8())}),
                                  {*arrow::MakeArrayFromScalar(arrow::Int8Scalar(1), 1)}, 1);
  CA_ASSIGN_OR_RAISE(auto provider, engine::MemoryTableProvider::Make(table));
  BoundRelation rel;
  CA_ASSIGN_OR_RAISE(rel.plan, engine::plan::Scan("(one row)", provider));
  return rel;
}

// FROM a, b, c WHERE ...: items are joined in order, each on the WHERE equalities that
// connect it to the items joined so far (a cross join when none does).
Result<BoundRelation> Binder::BindFromList(const JsonValue& from, const JsonValue& where,
                                           const ExprScope* outer) {
  const JsonArray& items = Items(from);
  if (items.empty()) return OneRow();
  std::vector<BoundRelation> rels;
  std::set<std::string> taken;
  for (const JsonValue& item : items) {
    CA_ASSIGN_OR_RAISE(auto rel, BindFromItem(item, outer));
    CA_ASSIGN_OR_RAISE(rel, Disambiguate(std::move(rel), taken));
    for (const auto& f : rel.plan->schema->fields()) taken.insert(f->name());
    rels.push_back(std::move(rel));
  }
  // A table name (alias) may appear once per FROM list.
  std::map<std::string, size_t> owner;
  for (size_t i = 0; i < rels.size(); ++i) {
    for (const auto& c : rels[i].columns) {
      if (c.qualifier.empty()) continue;
      auto [it, inserted] = owner.emplace(c.qualifier, i);
      if (!inserted && it->second != i) {
        return ErrorAt("DUPLICATE_ALIAS",
                       "table name \"" + c.qualifier + "\" specified more than once", items[i],
                       "\"table\":" + JsonQuote(c.qualifier));
      }
    }
  }
  if (rels.size() == 1) return std::move(rels[0]);
  // The WHERE conjuncts (OR branches' common conjuncts factored out): equalities between
  // columns of two items become join edges, conjuncts over one item filter it before the joins.
  std::vector<std::set<std::string>> item_fields;
  for (const auto& r : rels) item_fields.push_back(FieldSet(r));
  auto owner_of = [&](const std::vector<std::string>& refs) -> int {
    int found = -1;
    for (const auto& ref : refs) {
      int hit = -1;
      for (size_t i = 0; i < rels.size(); ++i) {
        if (item_fields[i].count(ref)) hit = static_cast<int>(i);
      }
      if (hit < 0 || (found >= 0 && hit != found)) return -1;
      found = hit;
    }
    return found;
  };
  struct Edge {
    std::string a, b;
    std::string text;
  };
  std::vector<Edge> edges;
  std::vector<std::vector<ExprPtr>> item_filters(rels.size());
  if (!where.is_null()) {
    std::vector<std::shared_ptr<arrow::Field>> fields;
    std::vector<BoundColumn> columns;
    for (const auto& r : rels) {
      for (const auto& f : r.plan->schema->fields()) fields.push_back(f);
      columns.insert(columns.end(), r.columns.begin(), r.columns.end());
    }
    BoundRelation all = SchemaRelation(std::move(fields), std::move(columns));
    std::vector<const JsonValue*> conjuncts;
    SplitAndNodes(where, &conjuncts);
    for (const JsonValue* c : conjuncts) {
      if (ContainsSubLink(*c)) continue;
      ExprScope scope;
      scope.rel = &all;
      scope.outer = outer;
      bool uses_outer = false;
      scope.uses_outer = &uses_outer;
      auto bound = BindExpr(*c, scope);
      if (!bound.ok() || uses_outer) continue;  // errors surface when WHERE is bound
      for (const ExprPtr& e : FactorCommonConjuncts(*bound)) {
        std::string text = engine::ToString(*e);
        if (e->kind == ExprKind::kCall && e->name == "=" && e->args[0]->kind == ExprKind::kColumn &&
            e->args[1]->kind == ExprKind::kColumn) {
          int ia = owner_of({e->args[0]->name});
          int ib = owner_of({e->args[1]->name});
          if (ia >= 0 && ib >= 0 && ia != ib) {
            edges.push_back({e->args[0]->name, e->args[1]->name, text});
            continue;
          }
        }
        auto refs = engine::ReferencedColumns(*e);
        int item = owner_of(refs);
        if (item >= 0 && !refs.empty()) {
          item_filters[item].push_back(e);
          consumed_where_.insert(text);
          continue;
        }
        // (a1 AND b1) OR (a2 AND b2) over items A and B implies (a1 OR a2) on A: filter A
        // early with it; the whole OR stays in WHERE.
        for (size_t i = 0; i < rels.size(); ++i) {
          auto implied = ImpliedDisjunction(e, [&](const ExprPtr& part) {
            auto part_refs = engine::ReferencedColumns(*part);
            return !part_refs.empty() && owner_of(part_refs) == static_cast<int>(i);
          });
          if (implied) item_filters[i].push_back(implied);
        }
      }
    }
  }
  for (size_t i = 0; i < rels.size(); ++i) {
    if (item_filters[i].empty()) continue;
    CA_ASSIGN_OR_RAISE(rels[i].plan,
                       engine::plan::Filter(rels[i].plan, Conjunction(item_filters[i]), fr_));
  }
  // Greedy join order: start from the smallest item (by the engine's estimate, filters
  // included), then add the smallest item connected to what is joined so far.
  std::vector<int64_t> estimate;
  for (const auto& r : rels) {
    int64_t e = engine::EstimateRows(*r.plan);
    estimate.push_back(e < 0 ? std::numeric_limits<int64_t>::max() / 4 : e);
  }
  std::vector<bool> used(rels.size(), false);
  auto connected = [&](size_t i, const std::set<std::string>& fields) {
    for (const auto& e : edges) {
      if ((fields.count(e.a) && item_fields[i].count(e.b)) ||
          (fields.count(e.b) && item_fields[i].count(e.a))) {
        return true;
      }
    }
    return false;
  };
  size_t first = 0;
  for (size_t i = 1; i < rels.size(); ++i) {
    if (estimate[i] < estimate[first]) first = i;
  }
  std::vector<size_t> order{first};
  std::vector<BoundColumn> from_order_columns;
  for (const auto& r : rels) {
    from_order_columns.insert(from_order_columns.end(), r.columns.begin(), r.columns.end());
  }
  BoundRelation current = std::move(rels[first]);
  std::set<std::string> current_fields = item_fields[first];
  used[first] = true;
  auto keys_to = [&](size_t i, std::vector<std::string>* lkeys, std::vector<std::string>* rkeys,
                     std::vector<std::string>* texts) {
    for (const auto& e : edges) {
      if (current_fields.count(e.a) && item_fields[i].count(e.b)) {
        lkeys->push_back(e.a), rkeys->push_back(e.b);
      } else if (current_fields.count(e.b) && item_fields[i].count(e.a)) {
        lkeys->push_back(e.b), rkeys->push_back(e.a);
      } else {
        continue;
      }
      if (texts) texts->push_back(e.text);
    }
  };
  for (size_t step = 1; step < rels.size(); ++step) {
    // Next: the connected item whose join with what is joined so far is estimated smallest
    // (distinct counts of the keys where known), so many-to-many joins come last.
    size_t pick = rels.size();
    int64_t pick_rows = 0;
    for (size_t i = 0; i < rels.size(); ++i) {
      if (used[i] || !connected(i, current_fields)) continue;
      std::vector<std::string> lk, rk;
      keys_to(i, &lk, &rk, nullptr);
      int64_t rows = estimate[i];
      auto candidate =
          engine::plan::Join(current.plan, rels[i].plan, JoinType::kInner, lk, rk, nullptr, fr_);
      if (candidate.ok()) {
        int64_t e = engine::EstimateRows(**candidate);
        if (e >= 0) rows = e;
      }
      // Prefer key/foreign-key joins: when no key is (nearly) unique on either side, the join
      // multiplies rows, and later joins usually shrink the input more; defer it.
      bool unique_side = false, known = false;
      auto unique = [&](const engine::PlanNode& side, const std::string& key) {
        int64_t ndv = engine::EstimateDistinct(side, key);
        int64_t n = engine::EstimateRows(side);
        if (ndv > 0 && n > 0) known = true;
        return ndv > 0 && n > 0 && ndv * 10 >= n * 9;
      };
      for (size_t k = 0; k < lk.size(); ++k) {
        unique_side |= unique(*current.plan, lk[k]) || unique(*rels[i].plan, rk[k]);
      }
      if (known && !unique_side && rows < std::numeric_limits<int64_t>::max() / 16) rows *= 16;
      if (pick == rels.size() || rows < pick_rows) pick = i, pick_rows = rows;
    }
    if (pick == rels.size()) {  // nothing connects: cross join the smallest remaining item
      for (size_t i = 0; i < rels.size(); ++i) {
        if (!used[i] && (pick == rels.size() || estimate[i] < estimate[pick])) pick = i;
      }
    }
    std::vector<std::string> lkeys, rkeys, texts;
    keys_to(pick, &lkeys, &rkeys, &texts);
    consumed_where_.insert(texts.begin(), texts.end());
    used[pick] = true;
    current_fields.insert(item_fields[pick].begin(), item_fields[pick].end());
    CA_ASSIGN_OR_RAISE(current, JoinRelations(std::move(current), std::move(rels[pick]),
                                              JoinType::kInner, lkeys, rkeys, nullptr));
  }
  // Names keep the FROM order (SELECT * lists items as written), whatever the join order.
  current.columns = std::move(from_order_columns);
  return current;
}

}  // namespace codeanatomy::sql
