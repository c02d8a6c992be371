// Binding aggregation: rewriting expressions over a block's aggregate output (group
// expressions and aggregate calls become its columns) and DISTINCT aggregates.
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
    if (e->name.rfind("__win_", 0) == 0) return e;  // a window's output: computed later
    if (agg.constant_fields.count(e->name) || constant_fields_.count(e->name)) {
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

// sum(DISTINCT x), avg(DISTINCT x), ...: when every aggregate is DISTINCT over the same
// argument (or is min/max of it, which duplicates do not change), aggregate the distinct
// (group keys, x) rows instead. Other mixes are refused by name.
Status Binder::PlanDistinctAggregates(BoundRelation* rel, AggregateState* agg,
                                      const JsonValue& node) {
  bool needed = false;
  for (const auto& a : agg->aggregates) {
    const Expr& call = engine::Unaliased(*a);
    CA_ASSIGN_OR_RAISE(auto fn, fr_.Resolve(call.name));
    needed |= call.distinct && fn != "count";
  }
  if (!needed) return Status::OK();
  std::string arg_text;
  ExprPtr arg;
  for (const auto& a : agg->aggregates) {
    const Expr& call = engine::Unaliased(*a);
    CA_ASSIGN_OR_RAISE(auto fn, fr_.Resolve(call.name));
    bool invariant = call.distinct || fn == "min" || fn == "max";
    std::string text = call.args.size() == 1 ? engine::ToString(*call.args[0]) : "";
    if (!invariant || text.empty() || (!arg_text.empty() && text != arg_text)) {
      return ErrorAt("NOT_SUPPORTED",
                     "not supported: DISTINCT aggregates mixed with other aggregates or over "
                     "different arguments",
                     node);
    }
    arg_text = text;
    arg = call.args[0];
  }
  std::vector<ExprPtr> keys = agg->group_exprs;
  std::string dx = FreshName("distinct_");
  keys.push_back(engine::Alias(arg, dx));
  CA_ASSIGN_OR_RAISE(rel->plan, engine::plan::Aggregate(rel->plan, keys, {}, fr_));
  for (size_t i = 0; i < agg->group_exprs.size(); ++i) {
    agg->group_exprs[i] = engine::Column(agg->group_fields[i]);
  }
  for (auto& a : agg->aggregates) {
    const Expr& call = engine::Unaliased(*a);
    a = engine::Alias(engine::AggregateCall(call.name, {engine::Column(dx)}, false),
                      engine::OutputName(*a));
  }
  return Status::OK();
}

}  // namespace codeanatomy::sql
