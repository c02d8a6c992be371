// Binding SQL queries: FROM (tables, views, CTEs, subqueries, joins), WHERE, GROUP BY, HAVING,
// the select list, DISTINCT, ORDER BY, LIMIT/OFFSET, set operations and VALUES.
#include <algorithm>
#include <cctype>

#include <arrow/array/util.h>
#include <arrow/compute/api.h>
#include <arrow/table.h>

#include "engine/table_provider.h"
#include "engine/view.h"
#include "sql/binder.h"
#include "sql/parse_tree.h"

namespace codeanatomy::sql {

namespace cp = arrow::compute;
using engine::Expr;
using engine::ExprKind;
using engine::JoinType;

namespace {

bool Flag(const JsonValue& body, std::string_view key) {
  const JsonValue& v = Member(body, key);
  return v.is_bool() && v.bool_value();
}

const JsonArray& Items(const JsonValue& list) {
  static const JsonArray kEmpty;
  return list.is_array() ? list.array_value() : kEmpty;
}

// The PostgreSQL default name of a select-list item without an alias.
std::string DefaultName(const JsonValue& node) {
  std::string_view type = NodeType(node);
  const JsonValue& body = NodeBody(node);
  if (type == "ColumnRef") {
    auto parts = StringList(Member(body, "fields"));
    return parts.empty() ? "?column?" : parts.back();
  }
  if (type == "FuncCall") {
    auto parts = StringList(Member(body, "funcname"));
    return parts.empty() ? "?column?" : parts.back();
  }
  if (type == "TypeCast") {
    const JsonValue& arg = Member(body, "arg");
    if (NodeType(arg) == "ColumnRef" || NodeType(arg) == "FuncCall") return DefaultName(arg);
    auto names = StringList(Member(Member(body, "typeName"), "names"));
    return names.empty() ? "?column?" : names.back();
  }
  if (type == "CaseExpr") return "case";
  if (type == "CoalesceExpr") return "coalesce";
  if (type == "SubLink") {
    if (Member(body, "subLinkType").string_value() == "EXISTS_SUBLINK") return "exists";
    return "?column?";
  }
  return "?column?";
}

// Whether a parse tree contains an aggregate call of this query level (not inside a subquery
// or a window call).
bool ContainsAggregateNode(const JsonValue& node, const engine::FunctionResolver& fr) {
  if (node.is_array()) {
    for (const auto& v : node.array_value()) {
      if (ContainsAggregateNode(v, fr)) return true;
    }
    return false;
  }
  if (!node.is_object()) return false;
  std::string_view type = NodeType(node);
  if (type == "SubLink") return false;
  if (type == "FuncCall") {
    const JsonValue& body = NodeBody(node);
    auto name = StringList(Member(body, "funcname"));
    if (Member(body, "over").is_null() && !name.empty()) {
      std::string lowered = name.back();
      std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (fr.IsAggregate(lowered)) return true;
    }
  }
  for (const auto& [key, child] : node.object_value()) {
    if (ContainsAggregateNode(child, fr)) return true;
  }
  return false;
}

bool ContainsSubLink(const JsonValue& node) {
  if (node.is_array()) {
    for (const auto& v : node.array_value()) {
      if (ContainsSubLink(v)) return true;
    }
    return false;
  }
  if (!node.is_object()) return false;
  if (NodeType(node) == "SubLink") return true;
  for (const auto& [key, child] : node.object_value()) {
    if (ContainsSubLink(child)) return true;
  }
  return false;
}

// The conjuncts of a WHERE parse tree.
void SplitAndNodes(const JsonValue& node, std::vector<const JsonValue*>* out) {
  if (NodeType(node) == "BoolExpr" &&
      Member(NodeBody(node), "boolop").string_value() == "AND_EXPR") {
    for (const auto& a : Items(Member(NodeBody(node), "args"))) SplitAndNodes(a, out);
  } else {
    out->push_back(&node);
  }
}

// The field name of a set operation's i-th column.
std::string PositionalName(size_t i) {
  std::string name = std::to_string(i);
  name.insert(name.begin(), 'c');
  return name;
}

// Rebuilds an expression with new arguments.
ExprPtr WithArgs(const ExprPtr& e, std::vector<ExprPtr> args) {
  auto copy = std::make_shared<Expr>(*e);
  copy->args = std::move(args);
  return copy;
}

}  // namespace

// ------------------------------------------------------------------ relations

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

// Splits ON-style conjuncts into equi-join keys (a left column = a right column) and a residual.
static void SplitJoinCondition(const std::vector<ExprPtr>& conjuncts,
                               const std::set<std::string>& left,
                               const std::set<std::string>& right, std::vector<std::string>* lkeys,
                               std::vector<std::string>* rkeys, std::vector<ExprPtr>* residual) {
  for (const auto& c : conjuncts) {
    if (c->kind == ExprKind::kCall && (c->name == "=" || c->name == "equal") &&
        c->args.size() == 2 && c->args[0]->kind == ExprKind::kColumn &&
        c->args[1]->kind == ExprKind::kColumn) {
      const std::string& a = c->args[0]->name;
      const std::string& b = c->args[1]->name;
      if (left.count(a) && right.count(b)) {
        lkeys->push_back(a), rkeys->push_back(b);
        continue;
      }
      if (left.count(b) && right.count(a)) {
        lkeys->push_back(b), rkeys->push_back(a);
        continue;
      }
    }
    residual->push_back(c);
  }
}

static std::set<std::string> FieldSet(const BoundRelation& rel) {
  std::set<std::string> out;
  for (const auto& f : rel.plan->schema->fields()) out.insert(f->name());
  return out;
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
    CA_ASSIGN_OR_RAISE(rel.plan, engine::PlanForProvider(qualified, *provider));
    for (const auto& f : rel.plan->schema->fields()) {
      rel.columns.push_back({relname, f->name(), f->name(), false});
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
    for (size_t i = 0; i < rel.columns.size(); ++i) {
      rel.columns[i].qualifier = name;
      if (i < colnames.size()) rel.columns[i].name = colnames[i];
    }
    return rel;
  }
  if (type == "RangeFunction") {
    return ErrorAt("NOT_SUPPORTED", "not supported: table functions in FROM", item);
  }
  return ErrorAt("NOT_SUPPORTED", "not supported: FROM item " + std::string(type), item);
}

// ------------------------------------------------------------------ queries

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

static std::shared_ptr<arrow::DataType> CommonType(const std::shared_ptr<arrow::DataType>& a,
                                                   const std::shared_ptr<arrow::DataType>& b) {
  if (a->Equals(*b)) return a;
  if (a->id() == arrow::Type::NA) return b;
  if (b->id() == arrow::Type::NA) return a;
  if (arrow::is_integer(a->id()) && arrow::is_integer(b->id())) {
    return arrow::bit_width(a->id()) >= arrow::bit_width(b->id()) ? a : b;
  }
  if (arrow::is_decimal(a->id()) && arrow::is_integer(b->id())) return a;
  if (arrow::is_decimal(b->id()) && arrow::is_integer(a->id())) return b;
  if (arrow::is_decimal(a->id()) && arrow::is_decimal(b->id())) {
    const auto& da = static_cast<const arrow::Decimal128Type&>(*a);
    const auto& db = static_cast<const arrow::Decimal128Type&>(*b);
    int32_t scale = std::max(da.scale(), db.scale());
    int32_t whole = std::max(da.precision() - da.scale(), db.precision() - db.scale());
    return arrow::decimal128(std::min(38, whole + scale), scale);
  }
  if (arrow::is_numeric(a->id()) || arrow::is_decimal(a->id())) {
    if (arrow::is_numeric(b->id()) || arrow::is_decimal(b->id())) return arrow::float64();
  }
  return nullptr;
}

Result<BoundRelation> Binder::CastColumns(
    BoundRelation rel, const std::vector<std::shared_ptr<arrow::DataType>>& types) {
  std::vector<ExprPtr> exprs;
  bool changed = false;
  for (size_t i = 0; i < rel.columns.size(); ++i) {
    const auto& f = rel.plan->schema->GetFieldByName(rel.columns[i].field);
    if (!f->type()->Equals(*types[i])) {
      std::string name = FreshName("cast_");
      exprs.push_back(
          engine::Alias(engine::Cast(engine::Column(rel.columns[i].field), types[i]), name));
      rel.columns[i].field = name;
      changed = true;
    } else {
      exprs.push_back(engine::Column(rel.columns[i].field));
    }
  }
  if (changed) {
    CA_ASSIGN_OR_RAISE(rel.plan, engine::plan::Projection(rel.plan, exprs, fr_));
  }
  return rel;
}

Result<BoundRelation> Binder::BindSetOp(const JsonValue& select, const ExprScope* outer) {
  std::string op = Member(select, "op").string_value();
  bool all = Flag(select, "all");
  CA_ASSIGN_OR_RAISE(auto left, BindQuery(Member(select, "larg"), outer));
  CA_ASSIGN_OR_RAISE(auto right, BindQuery(Member(select, "rarg"), outer));
  if (left.columns.size() != right.columns.size()) {
    return ErrorAt("SET_OPERATION_COLUMN_MISMATCH",
                   "each " + op.substr(6) + " query must have the same number of columns (" +
                       std::to_string(left.columns.size()) + " vs " +
                       std::to_string(right.columns.size()) + ")",
                   select);
  }
  std::vector<std::shared_ptr<arrow::DataType>> types;
  for (size_t i = 0; i < left.columns.size(); ++i) {
    auto lt = left.plan->schema->GetFieldByName(left.columns[i].field)->type();
    auto rt = right.plan->schema->GetFieldByName(right.columns[i].field)->type();
    auto common = CommonType(lt, rt);
    if (!common) {
      return ErrorAt("TYPE_MISMATCH",
                     op.substr(6) + " types " + lt->ToString() + " and " + rt->ToString() +
                         " cannot be matched (column " + std::to_string(i + 1) + ")",
                     select);
    }
    types.push_back(common);
  }
  CA_ASSIGN_OR_RAISE(left, CastColumns(std::move(left), types));
  CA_ASSIGN_OR_RAISE(right, CastColumns(std::move(right), types));
  // Both sides as plain column lists in output order.
  auto normalize = [&](const BoundRelation& rel, std::vector<ExprPtr> extra) -> Result<PlanPtr> {
    std::vector<ExprPtr> exprs;
    for (size_t i = 0; i < rel.columns.size(); ++i) {
      exprs.push_back(engine::Alias(engine::Column(rel.columns[i].field), PositionalName(i)));
    }
    for (auto& e : extra) exprs.push_back(std::move(e));
    return engine::plan::Projection(rel.plan, std::move(exprs), fr_);
  };
  BoundRelation out;
  if (op == "SETOP_UNION") {
    CA_ASSIGN_OR_RAISE(auto l, normalize(left, {}));
    CA_ASSIGN_OR_RAISE(auto r, normalize(right, {}));
    CA_ASSIGN_OR_RAISE(out.plan, engine::plan::Union({l, r}, !all));
  } else {
    if (all) {
      return ErrorAt("NOT_SUPPORTED", "not supported: " + op.substr(6) + " ALL", select);
    }
    // INTERSECT / EXCEPT (set semantics, NULLs equal): tag each side, group by every column.
    auto one = engine::Literal(arrow::MakeScalar(int32_t{1}));
    auto zero = engine::Literal(arrow::MakeScalar(int32_t{0}));
    CA_ASSIGN_OR_RAISE(auto l,
                       normalize(left, {engine::Alias(one, "in_l"), engine::Alias(zero, "in_r")}));
    CA_ASSIGN_OR_RAISE(auto r,
                       normalize(right, {engine::Alias(zero, "in_l"), engine::Alias(one, "in_r")}));
    CA_ASSIGN_OR_RAISE(auto both, engine::plan::Union({l, r}, false));
    std::vector<ExprPtr> keys;
    for (size_t i = 0; i < left.columns.size(); ++i)
      keys.push_back(engine::Column(PositionalName(i)));
    CA_ASSIGN_OR_RAISE(
        auto agg,
        engine::plan::Aggregate(
            both, keys,
            {engine::Alias(engine::AggregateCall("max", {engine::Column("in_l")}), "in_l"),
             engine::Alias(engine::AggregateCall("max", {engine::Column("in_r")}), "in_r")},
            fr_));
    ExprPtr keep = engine::Call(
        "and", {engine::Call("=", {engine::Column("in_l"), one}),
                engine::Call("=", {engine::Column("in_r"), op == "SETOP_INTERSECT" ? one : zero})});
    CA_ASSIGN_OR_RAISE(auto filtered, engine::plan::Filter(agg, keep, fr_));
    CA_ASSIGN_OR_RAISE(out.plan, engine::plan::Projection(filtered, keys, fr_));
  }
  for (size_t i = 0; i < left.columns.size(); ++i) {
    out.columns.push_back({"", left.columns[i].name, PositionalName(i), false});
  }
  CA_RETURN_NOT_OK(ApplyOrderByOutputs(select, &out));
  CA_RETURN_NOT_OK(ApplyLimit(select, &out));
  return out;
}

Status Binder::ApplyOrderByOutputs(const JsonValue& select, BoundRelation* rel) {
  // ORDER BY over a set operation or VALUES: output names and ordinals only.
  const JsonValue& sort = Member(select, "sortClause");
  if (!sort.is_array()) return Status::OK();
  std::vector<engine::SortKey> keys;
  for (const JsonValue& s : sort.array_value()) {
    const JsonValue& node = Member(NodeBody(s), "node");
    ExprScope scope;
    scope.rel = rel;
    scope.clause = "ORDER BY";
    ExprPtr e;
    if (NodeType(node) == "A_Const" && Member(NodeBody(node), "ival").is_object()) {
      CA_ASSIGN_OR_RAISE(int64_t pos, ConstantInt(node, "ORDER BY position"));
      if (pos < 1 || pos > static_cast<int64_t>(rel->columns.size())) {
        return ErrorAt("INVALID_ORDER_BY",
                       "ORDER BY position " + std::to_string(pos) + " is not in select list", node);
      }
      e = engine::Column(rel->columns[pos - 1].field);
    } else {
      CA_ASSIGN_OR_RAISE(e, BindExpr(node, scope));
    }
    CA_ASSIGN_OR_RAISE(auto key, SortKeyOf(s, e));
    keys.push_back(std::move(key));
  }
  CA_ASSIGN_OR_RAISE(rel->plan, engine::plan::Sort(rel->plan, std::move(keys), fr_));
  return Status::OK();
}

Result<BoundRelation> Binder::BindValues(const JsonValue& select) {
  const JsonArray& rows = Items(Member(select, "valuesLists"));
  size_t width = 0;
  std::vector<std::vector<std::shared_ptr<arrow::Scalar>>> cells;
  for (const JsonValue& row : rows) {
    const JsonArray& items = Items(Member(NodeBody(row), "items"));
    if (width == 0) width = items.size();
    if (items.size() != width) {
      return ErrorAt("VALUES_WIDTH_MISMATCH", "VALUES lists must all be the same length", row);
    }
    std::vector<std::shared_ptr<arrow::Scalar>> values;
    for (const JsonValue& item : items) {
      ExprScope scope;
      scope.clause = "VALUES";
      CA_ASSIGN_OR_RAISE(auto e, BindExpr(item, scope));
      e = engine::FoldConstants(e, fr_);
      if (e->kind != ExprKind::kLiteral) {
        return ErrorAt("NOT_SUPPORTED", "not supported: non-constant VALUES items", item);
      }
      values.push_back(e->literal);
    }
    cells.push_back(std::move(values));
  }
  std::vector<std::shared_ptr<arrow::Field>> fields;
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  BoundRelation rel;
  for (size_t c = 0; c < width; ++c) {
    std::shared_ptr<arrow::DataType> type = arrow::null();
    for (const auto& row : cells) {
      auto common = CommonType(type, row[c]->type);
      if (!common) {
        return ErrorAt("TYPE_MISMATCH",
                       "VALUES column " + std::to_string(c + 1) + " mixes types " +
                           type->ToString() + " and " + row[c]->type->ToString(),
                       select);
      }
      type = common;
    }
    std::unique_ptr<arrow::ArrayBuilder> builder;
    CA_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), type, &builder));
    for (const auto& row : cells) {
      auto value = row[c];
      if (!value->type->Equals(*type)) {
        if (value->is_valid) {
          CA_ASSIGN_OR_RAISE(value, value->CastTo(type));
        } else {
          value = arrow::MakeNullScalar(type);
        }
      }
      CA_RETURN_NOT_OK(builder->AppendScalar(*value));
    }
    std::shared_ptr<arrow::Array> array;
    CA_RETURN_NOT_OK(builder->Finish(&array));
    std::string name = "column" + std::to_string(c + 1);
    fields.push_back(arrow::field(name, type));
    arrays.push_back(array);
    rel.columns.push_back({"", name, name, false});
  }
  auto table =
      arrow::Table::Make(arrow::schema(fields), arrays, static_cast<int64_t>(cells.size()));
  CA_ASSIGN_OR_RAISE(auto provider, engine::MemoryTableProvider::Make(table));
  CA_ASSIGN_OR_RAISE(rel.plan, engine::plan::Scan("(values)", provider));
  CA_RETURN_NOT_OK(ApplyOrderByOutputs(select, &rel));
  CA_RETURN_NOT_OK(ApplyLimit(select, &rel));
  return rel;
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
  if (rels.size() == 1) return std::move(rels[0]);
  // Equalities between plain columns of two different items, from the WHERE conjuncts.
  std::vector<std::pair<std::string, std::string>> edges;
  if (!where.is_null()) {
    BoundRelation all;
    std::vector<std::shared_ptr<arrow::Field>> fields;
    for (const auto& r : rels) {
      for (const auto& f : r.plan->schema->fields()) fields.push_back(f);
      all.columns.insert(all.columns.end(), r.columns.begin(), r.columns.end());
    }
    auto holder = std::make_shared<engine::PlanNode>();
    holder->kind = engine::PlanKind::kScan;
    holder->schema = arrow::schema(fields);
    all.plan = holder;
    std::vector<const JsonValue*> conjuncts;
    SplitAndNodes(where, &conjuncts);
    for (const JsonValue* c : conjuncts) {
      if (ContainsSubLink(*c) || NodeType(*c) != "A_Expr") continue;
      ExprScope scope;
      scope.rel = &all;
      scope.outer = outer;
      bool uses_outer = false;
      scope.uses_outer = &uses_outer;
      auto bound = BindExpr(*c, scope);
      if (!bound.ok() || uses_outer) continue;  // errors surface when WHERE is bound
      const ExprPtr& e = *bound;
      if (e->kind == ExprKind::kCall && e->name == "=" && e->args[0]->kind == ExprKind::kColumn &&
          e->args[1]->kind == ExprKind::kColumn) {
        edges.emplace_back(e->args[0]->name, e->args[1]->name);
      }
    }
  }
  std::vector<std::set<std::string>> item_fields;
  for (const auto& r : rels) item_fields.push_back(FieldSet(r));
  std::vector<bool> used(rels.size(), false);
  BoundRelation current = std::move(rels[0]);
  std::set<std::string> current_fields = item_fields[0];
  used[0] = true;
  for (size_t step = 1; step < rels.size(); ++step) {
    size_t pick = rels.size();
    std::vector<std::string> lkeys, rkeys;
    for (size_t i = 0; i < rels.size() && pick == rels.size(); ++i) {
      if (used[i]) continue;
      for (const auto& [a, b] : edges) {
        if (current_fields.count(a) && item_fields[i].count(b)) {
          lkeys.push_back(a), rkeys.push_back(b);
        } else if (current_fields.count(b) && item_fields[i].count(a)) {
          lkeys.push_back(b), rkeys.push_back(a);
        }
      }
      if (!lkeys.empty()) pick = i;
    }
    if (pick == rels.size()) {  // nothing connects: cross join the next item
      for (size_t i = 0; i < rels.size(); ++i) {
        if (!used[i]) {
          pick = i;
          break;
        }
      }
    }
    used[pick] = true;
    current_fields.insert(item_fields[pick].begin(), item_fields[pick].end());
    CA_ASSIGN_OR_RAISE(current, JoinRelations(std::move(current), std::move(rels[pick]),
                                              JoinType::kInner, lkeys, rkeys, nullptr));
  }
  // Keys are also kept in WHERE (applied again; cheap and always correct).
  return current;
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
      filters.push_back(e);
    }
  }
  if (!filters.empty()) {
    CA_ASSIGN_OR_RAISE(scope.rel->plan,
                       engine::plan::Filter(scope.rel->plan, Conjunction(filters), fr_));
  }
  return Status::OK();
}

// Rewrites a bound expression over the aggregate's input to one over its output: group
// expressions and aggregate calls become columns of the aggregate.
Result<ExprPtr> Binder::RewriteGrouped(const ExprPtr& e, AggregateState& agg,
                                       const JsonValue& node) {
  std::string text = engine::ToString(*e);
  for (size_t i = 0; i < agg.group_text.size(); ++i) {
    if (agg.group_text[i] == text) return engine::Column(agg.group_fields[i]);
  }
  if (e->kind == ExprKind::kCall && fr_.IsAggregate(e->name)) {
    for (size_t i = 0; i < agg.agg_text.size(); ++i) {
      if (agg.agg_text[i] == text) return engine::Column(agg.agg_fields[i]);
    }
    std::string name = FreshName("agg_");
    agg.agg_text.push_back(text);
    agg.agg_fields.push_back(name);
    agg.aggregates.push_back(engine::Alias(e, name));
    return engine::Column(name);
  }
  if (e->kind == ExprKind::kColumn) {
    if (agg.constant_fields.count(e->name)) {
      // A scalar subquery's value: constant, so grouping by it changes nothing.
      agg.group_text.push_back(text);
      agg.group_fields.push_back(e->name);
      agg.group_exprs.push_back(e);
      return engine::Column(e->name);
    }
    std::string shown = e->name;
    for (const auto& c : agg.input_columns) {
      if (c.field == e->name) shown = c.qualifier.empty() ? c.name : c.qualifier + "." + c.name;
    }
    return ErrorAt("NOT_GROUPED",
                   "column \"" + shown +
                       "\" must appear in the GROUP BY clause or be used in an aggregate function",
                   node, "\"column_name\":" + JsonQuote(shown));
  }
  std::vector<ExprPtr> args;
  for (const auto& a : e->args) {
    CA_ASSIGN_OR_RAISE(auto r, RewriteGrouped(a, agg, node));
    args.push_back(std::move(r));
  }
  return WithArgs(e, std::move(args));
}

Result<BoundRelation> Binder::BindSelectBlock(const JsonValue& select, const ExprScope* outer,
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
      CA_ASSIGN_OR_RAISE(auto h, BindExpr(having, hscope));
      CA_ASSIGN_OR_RAISE(having_expr, RewriteGrouped(h, agg, having));
    }
    for (auto& o : orders) {
      if (o.expr) {
        CA_ASSIGN_OR_RAISE(o.expr,
                           RewriteGrouped(o.expr, agg, Member(NodeBody(*o.sortby), "node")));
      }
    }
    if (agg.group_exprs.empty() && agg.aggregates.empty()) {
      // e.g. SELECT 1 FROM t HAVING true: one group over everything.
      agg.aggregates.push_back(
          engine::Alias(engine::AggregateCall("count", {}), FreshName("agg_")));
    }
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
    exprs.push_back(engine::Alias(t.expr, field));
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
