#include "semantic/lineage.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "common/tracing.h"
#include "semantic/substrait.h"
#include "semantic/substrait_internal.h"

namespace codeanatomy::semantic {

namespace {

using engine::ExprPtr;
using namespace substrait_internal;  // NOLINT(build/namespaces)

void SortUnique(std::vector<std::string>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

/// Accumulates a report; Finish() puts it in canonical order.
class ReportBuilder {
 public:
  void Scan(const std::string& table, std::vector<std::string> projected,
            const std::vector<ExprPtr>& filters) {
    ScanLineage scan;
    scan.table_name = table;
    auto& required = required_[table];
    required.insert(projected.begin(), projected.end());
    for (const auto& f : filters) {
      std::vector<ExprPtr> conjuncts;
      SplitConjunction(NormalizeExpr(f), &conjuncts);
      for (const auto& c : conjuncts) {
        scan.pushed_filters.push_back(engine::ToString(*c));
        for (const auto& col : engine::ReferencedColumns(*c)) required.insert(col);
        Functions(*c);
      }
    }
    SortUnique(&scan.pushed_filters);
    scan.projected_columns = std::move(projected);
    report_.scans.push_back(std::move(scan));
  }

  /// The functions an expression calls.
  void Functions(const engine::Expr& e) {
    if (e.kind == engine::ExprKind::kCall) {
      report_.referenced_functions.push_back(
          CanonicalFunctionName(e.name, e.args.size(), e.distinct));
    }
    for (const auto& a : e.args) Functions(*a);
  }

  /// The functions of a condition's conjuncts (the conjunction itself is structure).
  void ConditionFunctions(const ExprPtr& condition) {
    std::vector<ExprPtr> conjuncts;
    SplitConjunction(NormalizeExpr(condition), &conjuncts);
    for (const auto& c : conjuncts) Functions(*c);
  }

  void Function(const std::string& name, size_t num_args, bool distinct) {
    report_.referenced_functions.push_back(CanonicalFunctionName(name, num_args, distinct));
  }

  LineageReport Finish() {
    for (auto& [table, columns] : required_) {
      report_.required_columns[table] = std::vector<std::string>(columns.begin(), columns.end());
      report_.referenced_tables.push_back(table);
    }
    SortUnique(&report_.referenced_functions);
    auto key = [](const ScanLineage& s) {
      return std::tie(s.table_name, s.projected_columns, s.pushed_filters);
    };
    std::sort(report_.scans.begin(), report_.scans.end(),
              [&](const ScanLineage& a, const ScanLineage& b) { return key(a) < key(b); });
    return std::move(report_);
  }

 private:
  LineageReport report_;
  std::map<std::string, std::set<std::string>> required_;
};

// ---------------------------------------------------------------- from a logical plan

void WalkPlan(const engine::PlanNode& p, ReportBuilder* b) {
  using engine::PlanKind;
  switch (p.kind) {
    case PlanKind::kScan: {
      std::vector<std::string> projected;
      auto full = p.provider->schema();
      for (int i : p.projection) projected.push_back(full->field(i)->name());
      b->Scan(p.table_name, std::move(projected), p.filters);
      break;
    }
    case PlanKind::kProjection:
      for (const auto& e : p.exprs) b->Functions(*e);
      break;
    case PlanKind::kFilter:
      b->ConditionFunctions(p.predicate);
      break;
    case PlanKind::kAggregate:
      for (const auto& g : p.group_by) b->Functions(*g);
      for (const auto& a : p.aggregates) b->Functions(engine::Unaliased(*a));
      break;
    case PlanKind::kJoin:
      if (p.join_filter) b->ConditionFunctions(p.join_filter);
      break;
    case PlanKind::kSort:
      for (const auto& k : p.sort_keys) b->Functions(*k.expr);
      break;
    case PlanKind::kWindow:
      for (const auto& w : p.windows) {
        b->Function(w.function, w.args.size(), w.distinct);
        for (const auto& a : w.args) b->Functions(*a);
        for (const auto& e : w.partition_by) b->Functions(*e);
        for (const auto& k : w.order_by) b->Functions(*k.expr);
      }
      break;
    case PlanKind::kLimit:
    case PlanKind::kUnion:
    case PlanKind::kDistinct:
      break;
  }
  for (const auto& in : p.inputs) WalkPlan(*in, b);
}

// ---------------------------------------------------------------- from a Substrait plan

/// Walks relations and returns each one's output column names (the names are only needed to
/// decode expressions; columns the plan computes get placeholder names).
class SubstraitWalker {
 public:
  SubstraitWalker(const ExtensionReader& ext, ReportBuilder* b) : ext_(ext), b_(b) {}

  Result<std::vector<std::string>> Rel(const JsonValue& rel, const std::string& path) {
    static const std::vector<std::string> kKinds = {"read", "filter",  "fetch", "aggregate", "sort",
                                                    "join", "project", "set",   "window"};
    CA_ASSIGN_OR_RAISE(auto kind, OneOf(rel, kKinds, path, "relation"));
    const auto& [name, body] = kind;
    std::string at = JsonPathAppendKey(path, name);
    std::vector<std::string> out;
    if (name == "read") return Read(*body, at);
    if (name == "filter" || name == "sort" || name == "fetch") {
      CA_ASSIGN_OR_RAISE(out, Input(*body, "input", at));
      if (name == "filter") {
        const JsonValue* condition = Member(*body, "condition");
        if (!condition) return InvalidPlan(at, "a filter needs a condition");
        CA_ASSIGN_OR_RAISE(
            auto e, ExprFromSubstrait(*condition, out, ext_, JsonPathAppendKey(at, "condition")));
        b_->ConditionFunctions(e);
      } else if (name == "sort") {
        CA_RETURN_NOT_OK(SortFunctions(*body, out, at));
      }
    } else if (name == "project") {
      CA_ASSIGN_OR_RAISE(out, Input(*body, "input", at));
      CA_ASSIGN_OR_RAISE(auto exprs, ArrayMember(*body, "expressions", at));
      for (size_t i = 0; i < exprs.size(); ++i) {
        CA_ASSIGN_OR_RAISE(auto e, ExprFromSubstrait(*exprs[i], out, ext_, at));
        b_->Functions(*e);
      }
      for (size_t i = 0; i < exprs.size(); ++i) out.push_back(Placeholder());
    } else if (name == "aggregate") {
      CA_ASSIGN_OR_RAISE(auto in, Input(*body, "input", at));
      CA_ASSIGN_OR_RAISE(auto groupings, ArrayMember(*body, "groupings", at));
      for (const auto* g : groupings) {
        CA_ASSIGN_OR_RAISE(auto keys, ArrayMember(*g, "groupingExpressions", at));
        for (const auto* k : keys) {
          CA_ASSIGN_OR_RAISE(auto e, ExprFromSubstrait(*k, in, ext_, at));
          b_->Functions(*e);
          if (groupings.size() == 1) out.push_back(Placeholder());
        }
      }
      CA_ASSIGN_OR_RAISE(auto measures, ArrayMember(*body, "measures", at));
      for (const auto* m : measures) {
        const JsonValue* measure = Member(*m, "measure");
        if (!measure) return InvalidPlan(at, "a measure needs an aggregate function");
        CA_ASSIGN_OR_RAISE(auto call, CallFromSubstrait(*measure, ext_, at));
        CA_ASSIGN_OR_RAISE(auto args, ArgumentsFromSubstrait(*measure, in, ext_, at));
        CA_ASSIGN_OR_RAISE(auto invocation, StringMember(*measure, "invocation", at));
        CA_ASSIGN_OR_RAISE(
            auto e, AggregateCallFromSubstrait(call, std::move(args),
                                               invocation == "AGGREGATION_INVOCATION_DISTINCT"));
        b_->Functions(*e);
        out.push_back(Placeholder());
      }
    } else if (name == "join") {
      CA_ASSIGN_OR_RAISE(out, Join(*body, at));
    } else if (name == "set") {
      CA_ASSIGN_OR_RAISE(auto inputs, ArrayMember(*body, "inputs", at));
      for (size_t i = 0; i < inputs.size(); ++i) {
        CA_ASSIGN_OR_RAISE(
            auto names, Rel(*inputs[i], JsonPathAppendIndex(JsonPathAppendKey(at, "inputs"), i)));
        if (i == 0) out = std::move(names);
      }
    } else if (name == "window") {
      CA_ASSIGN_OR_RAISE(out, Input(*body, "input", at));
      CA_ASSIGN_OR_RAISE(auto partitions, ArrayMember(*body, "partitionExpressions", at));
      for (const auto* p : partitions) {
        CA_ASSIGN_OR_RAISE(auto e, ExprFromSubstrait(*p, out, ext_, at));
        b_->Functions(*e);
      }
      CA_RETURN_NOT_OK(SortFunctions(*body, out, at));
      CA_ASSIGN_OR_RAISE(auto functions, ArrayMember(*body, "windowFunctions", at));
      auto in = out;
      for (const auto* fn : functions) {
        CA_ASSIGN_OR_RAISE(auto call, CallFromSubstrait(*fn, ext_, at));
        CA_ASSIGN_OR_RAISE(auto args, ArgumentsFromSubstrait(*fn, in, ext_, at));
        CA_ASSIGN_OR_RAISE(auto wname, WindowNameFromSubstrait(call, args.size()));
        b_->Function(wname, args.size(), false);
        for (const auto& a : args) b_->Functions(*a);
        out.push_back(Placeholder());
      }
    }
    return Emitted(*body, std::move(out), at);
  }

 private:
  // (Built with insert: GCC 12 warns falsely on "$" + std::to_string(...) at -O3.)
  std::string Placeholder() { return std::to_string(next_++).insert(0, 1, '$'); }

  Result<std::vector<std::string>> Input(const JsonValue& body, std::string_view key,
                                         const std::string& path) {
    const JsonValue* input = Member(body, key);
    if (!input) return InvalidPlan(path, "missing '" + std::string(key) + "'");
    return Rel(*input, JsonPathAppendKey(path, key));
  }

  static Result<std::vector<int>> Mapping(const JsonValue& body, size_t width,
                                          const std::string& path) {
    std::vector<int> out;
    const JsonValue* common = Member(body, "common");
    const JsonValue* emit = common ? Member(*common, "emit") : nullptr;
    if (!emit) return out;
    CA_ASSIGN_OR_RAISE(auto mapping, ArrayMember(*emit, "outputMapping", path));
    for (const auto* m : mapping) {
      if (!m->is_int() || m->int_value() < 0 || m->int_value() >= static_cast<int64_t>(width)) {
        return InvalidPlan(path, "output mapping entry out of range");
      }
      out.push_back(static_cast<int>(m->int_value()));
    }
    return out;
  }

  static Result<std::vector<std::string>> Emitted(const JsonValue& body,
                                                  std::vector<std::string> names,
                                                  const std::string& path) {
    CA_ASSIGN_OR_RAISE(auto mapping, Mapping(body, names.size(), path));
    if (mapping.empty()) return names;
    std::vector<std::string> out;
    for (int i : mapping) out.push_back(names[static_cast<size_t>(i)]);
    return out;
  }

  Status SortFunctions(const JsonValue& body, const std::vector<std::string>& names,
                       const std::string& path) {
    CA_ASSIGN_OR_RAISE(auto sorts, ArrayMember(body, "sorts", path));
    for (const auto* s : sorts) {
      const JsonValue* e = Member(*s, "expr");
      if (!e) return InvalidPlan(path, "a sort field needs an expression");
      CA_ASSIGN_OR_RAISE(auto expr, ExprFromSubstrait(*e, names, ext_, path));
      b_->Functions(*expr);
    }
    return Status::OK();
  }

  Result<std::vector<std::string>> Read(const JsonValue& body, const std::string& path) {
    const JsonValue* named = Member(body, "namedTable");
    if (!named) {
      return NotSupported("relation", "read", "lineage of reads other than named tables");
    }
    CA_ASSIGN_OR_RAISE(auto parts, ArrayMember(*named, "names", path));
    std::string table;
    for (const auto* p : parts) {
      if (!p->is_string()) return InvalidPlan(path, "a table name must be a string");
      table += (table.empty() ? "" : ".") + p->string_value();
    }
    const JsonValue* base_json = Member(body, "baseSchema");
    if (!base_json) return InvalidPlan(path, "a read needs a base schema");
    CA_ASSIGN_OR_RAISE(
        auto base, SchemaFromNamedStruct(*base_json, ext_, JsonPathAppendKey(path, "baseSchema")));
    auto names = base->field_names();
    CA_ASSIGN_OR_RAISE(auto mapping, Mapping(body, names.size(), path));
    if (const JsonValue* mask = Member(body, "projection")) {
      const JsonValue* select = Member(*mask, "select");
      CA_ASSIGN_OR_RAISE(auto items,
                         ArrayMember(select ? *select : JsonValue(), "structItems", path));
      for (const auto* item : items) {
        CA_ASSIGN_OR_RAISE(int64_t field, IntMember(*item, "field", path));
        if (field < 0 || field >= static_cast<int64_t>(names.size())) {
          return InvalidPlan(path, "projected field out of range");
        }
        mapping.push_back(static_cast<int>(field));
      }
    }
    if (mapping.empty()) {
      for (size_t i = 0; i < names.size(); ++i) mapping.push_back(static_cast<int>(i));
    }
    std::vector<std::string> projected;
    for (int i : mapping) projected.push_back(names[static_cast<size_t>(i)]);
    std::vector<ExprPtr> filters;
    if (const JsonValue* filter = Member(body, "filter")) {
      CA_ASSIGN_OR_RAISE(
          auto e, ExprFromSubstrait(*filter, names, ext_, JsonPathAppendKey(path, "filter")));
      filters.push_back(std::move(e));
    }
    b_->Scan(table, projected, filters);
    return projected;
  }

  // Key equalities between the sides are the join's structure, the rest are calls.
  Result<std::vector<std::string>> Join(const JsonValue& body, const std::string& path) {
    CA_ASSIGN_OR_RAISE(auto left, Input(body, "left", path));
    CA_ASSIGN_OR_RAISE(auto right, Input(body, "right", path));
    std::vector<std::string> combined;
    for (size_t i = 0; i < left.size() + right.size(); ++i) {
      combined.push_back(std::to_string(i).insert(0, 1, '#'));
    }
    auto side = [&](const engine::Expr& e) -> int {
      if (e.kind != engine::ExprKind::kColumn) return -1;
      size_t index = std::stoul(e.name.substr(1));
      return index < left.size() ? 0 : 1;
    };
    for (const char* key : {"expression", "postJoinFilter"}) {
      const JsonValue* expression = Member(body, key);
      if (!expression) continue;
      CA_ASSIGN_OR_RAISE(
          auto e, ExprFromSubstrait(*expression, combined, ext_, JsonPathAppendKey(path, key)));
      std::vector<ExprPtr> terms;
      SplitConjunction(NormalizeExpr(e), &terms);
      for (const auto& t : terms) {
        bool is_key = std::string(key) == "expression" && t->kind == engine::ExprKind::kCall &&
                      t->name == "=" && t->args.size() == 2 && side(*t->args[0]) >= 0 &&
                      side(*t->args[1]) >= 0 && side(*t->args[0]) != side(*t->args[1]);
        if (!is_key) b_->Functions(*t);
      }
    }
    CA_ASSIGN_OR_RAISE(auto type, StringMember(body, "type", path));
    std::vector<std::string> out = left;
    if (type != "JOIN_TYPE_SEMI" && type != "JOIN_TYPE_ANTI" && type != "JOIN_TYPE_LEFT_SEMI" &&
        type != "JOIN_TYPE_LEFT_ANTI") {
      out.insert(out.end(), right.begin(), right.end());
    }
    return out;
  }

  const ExtensionReader& ext_;
  ReportBuilder* b_;
  int next_ = 0;
};

}  // namespace

JsonValue LineageReport::ToJson() const {
  auto strings = [](const std::vector<std::string>& v) {
    JsonValue out = JsonValue::MakeArray();
    for (const auto& s : v) out.Append(s);
    return out;
  };
  JsonValue scan_list = JsonValue::MakeArray();
  for (const auto& s : scans) {
    JsonValue scan = JsonValue::MakeObject();
    scan.Set("table_name", s.table_name);
    scan.Set("projected_columns", strings(s.projected_columns));
    scan.Set("pushed_filters", strings(s.pushed_filters));
    scan_list.Append(std::move(scan));
  }
  JsonValue required = JsonValue::MakeObject();
  for (const auto& [table, columns] : required_columns) required.Set(table, strings(columns));
  JsonValue out = JsonValue::MakeObject();
  out.Set("version", kLineageVersion);
  out.Set("scans", std::move(scan_list));
  out.Set("required_columns", std::move(required));
  out.Set("referenced_tables", strings(referenced_tables));
  out.Set("referenced_functions", strings(referenced_functions));
  return out;
}

Result<LineageReport> LineageFromPlan(const engine::PlanNode& plan) {
  tracing::Span span("lineage.from_plan");
  ReportBuilder builder;
  WalkPlan(plan, &builder);
  return builder.Finish();
}

Result<LineageReport> LineageOfDataFrame(const engine::DataFrame& df) {
  CA_ASSIGN_OR_RAISE(auto plan, df.OptimizedPlan());
  return LineageFromPlan(*plan);
}

Result<LineageReport> LineageFromSubstrait(const arrow::Buffer& plan) {
  tracing::Span span("lineage.from_substrait");
  CA_ASSIGN_OR_RAISE(auto json, SubstraitPlanToJson(plan));
  CA_ASSIGN_OR_RAISE(auto ext, ExtensionReader::Parse(json));
  ReportBuilder builder;
  SubstraitWalker walker(ext, &builder);
  CA_ASSIGN_OR_RAISE(auto relations, ArrayMember(json, "relations", "$"));
  if (relations.empty()) return InvalidPlan("$.relations", "the plan has no relations");
  for (size_t i = 0; i < relations.size(); ++i) {
    std::string at = JsonPathAppendIndex("$.relations", i);
    const JsonValue* root = Member(*relations[i], "root");
    const JsonValue* rel = root ? Member(*root, "input") : Member(*relations[i], "rel");
    if (!rel) return InvalidPlan(at, "a relation without input");
    CA_RETURN_NOT_OK(walker.Rel(*rel, at).status());
  }
  return builder.Finish();
}

}  // namespace codeanatomy::semantic
