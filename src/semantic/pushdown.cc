#include "semantic/pushdown.h"

#include <map>

#include "engine/cached_view.h"

namespace codeanatomy::semantic {

namespace {

using FiltersByTable = std::map<std::string, std::set<std::string>>;

// Whether `filter` (over the scan's output) reaches the provider: it lowers against the
// provider's full schema and binds there with Arrow's default registry, as the physical
// planner and engine::PortableFilter decide.
bool ReachesProvider(const engine::PlanNode& scan, const engine::Expr& filter,
                     const engine::FunctionResolver& resolver) {
  if (!scan.provider->prunes_with_filter()) return false;
  auto full = scan.provider->schema();
  auto lowered = engine::LowerScalar(filter, *full, resolver);
  return lowered.ok() && lowered->Bind(*full).ok();
}

void Collect(const engine::PlanNode& node, const std::set<std::string>& tables,
             const engine::FunctionResolver& resolver, FiltersByTable& out) {
  if (node.kind == engine::PlanKind::kScan) {
    // A cached view's scan reads the view's own plan once: check that plan's scans.
    if (auto cached = std::dynamic_pointer_cast<engine::CachedViewProvider>(node.provider)) {
      if (auto optimized = cached->frame().OptimizedPlan(); optimized.ok()) {
        Collect(**optimized, tables, resolver, out);
      }
    }
  }
  if (node.kind == engine::PlanKind::kScan && tables.count(node.table_name) > 0) {
    for (const auto& f : node.filters) {
      if (!ReachesProvider(node, *f, resolver)) out[node.table_name].insert(engine::ToString(*f));
    }
  }
  for (const auto& input : node.inputs) Collect(*input, tables, resolver, out);
}

std::vector<PushdownViolation> ToList(const FiltersByTable& by_table) {
  std::vector<PushdownViolation> out;
  for (const auto& [table, filters] : by_table) {
    if (!filters.empty()) out.push_back({table, {filters.begin(), filters.end()}});
  }
  return out;
}

}  // namespace

std::vector<PushdownViolation> FindPushdownViolations(const engine::PlanNode& optimized,
                                                      const std::set<std::string>& tables,
                                                      const engine::FunctionResolver& resolver) {
  FiltersByTable by_table;
  Collect(optimized, tables, resolver, by_table);
  return ToList(by_table);
}

void MergeViolations(std::vector<PushdownViolation>& into,
                     const std::vector<PushdownViolation>& more) {
  FiltersByTable by_table;
  for (const auto* list : {static_cast<const std::vector<PushdownViolation>*>(&into), &more}) {
    for (const auto& v : *list) by_table[v.table_name].insert(v.filters.begin(), v.filters.end());
  }
  into = ToList(by_table);
}

// The pushdown contracts of every output's optimized plan, enforced as the profile and
// runtime.pushdown_enforcement_mode say.
Status EnforcePushdownContracts(engine::SessionContext& ctx, CompiledPlan& plan,
                                const std::map<std::string, std::string>& input_locations) {
  const auto& spec = plan.spec;
  bool strict = spec.rulepack_profile == RulepackProfile::kStrict ||
                spec.runtime.pushdown_enforcement_mode == PushdownEnforcementMode::kStrict;
  if (!strict && spec.runtime.pushdown_enforcement_mode == PushdownEnforcementMode::kDisabled) {
    return Status::OK();
  }
  std::set<std::string> tables;
  for (const auto& [name, location] : input_locations) tables.insert(name);
  std::vector<PushdownViolation> violations;
  std::set<std::string> checked;
  for (const auto& target : spec.output_targets) {
    const CompiledView* view = plan.view(target.source_view);
    if (view == nullptr || !checked.insert(view->name).second) continue;
    CA_ASSIGN_OR_RAISE(auto optimized, view->df.OptimizedPlan());
    MergeViolations(violations,
                    FindPushdownViolations(*optimized, tables, ctx.state()->resolver()));
  }
  for (const auto& v : violations) {
    JsonValue filters = JsonValue::MakeArray();
    for (const auto& f : v.filters) filters.Append(f);
    JsonValue context = JsonValue::MakeObject();
    context.Set("table_name", v.table_name)
        .Set("violation_count", static_cast<int64_t>(v.filters.size()))
        .Set("filters", std::move(filters));
    std::string message = std::to_string(v.filters.size()) + " filter(s) on '" + v.table_name +
                          "' do not reach its Delta provider (pruning): " + Join(v.filters, "; ");
    if (strict) {
      return InvalidError(stage::kCompliance, "PUSHDOWN_CONTRACT_VIOLATION", message,
                          context.ToJson());
    }
    plan.warnings.push_back({"PUSHDOWN_CONTRACT_VIOLATION", std::string(stage::kCompliance),
                             message, std::move(context)});
  }
  return Status::OK();
}

}  // namespace codeanatomy::semantic
