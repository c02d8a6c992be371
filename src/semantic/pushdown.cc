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

}  // namespace codeanatomy::semantic
