// Pushdown contracts (CONTRACTS §3 compliance): every filter the optimizer places on a scan of
// an input relation must reach its provider as a pruning hint (a conjunct Arrow's own function
// registry can bind, so the Delta provider can skip files and row groups with it). A filter that
// only the engine can evaluate after the scan (one calling a session UDF, say) is a violation.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/expr.h"
#include "engine/logical_plan.h"
#include "engine/session_context.h"
#include "semantic/compiler.h"

namespace codeanatomy::semantic {

/// The filters on one table's scans that its provider does not receive.
struct PushdownViolation {
  std::string table_name;
  std::vector<std::string> filters;  ///< their SQL-style text, sorted, without duplicates
};

/// The violations in an optimized plan, for scans of `tables`, sorted by table name. A
/// provider that does not prune with filters violates with every filter on its scans.
std::vector<PushdownViolation> FindPushdownViolations(const engine::PlanNode& optimized,
                                                      const std::set<std::string>& tables,
                                                      const engine::FunctionResolver& resolver);

/// Merges `more` into `into` (per table, filters united).
void MergeViolations(std::vector<PushdownViolation>& into,
                     const std::vector<PushdownViolation>& more);

/// Checks every output's optimized plan of `plan` (its views compiled on `ctx`) for violations
/// on scans of the input relations (`input_locations` keys): under the Strict rulepack profile
/// or runtime.pushdown_enforcement_mode Strict the first fails with stage "compliance",
/// PUSHDOWN_CONTRACT_VIOLATION {table_name, violation_count, filters}; under Warn each is a run
/// warning; Disabled skips the check.
Status EnforcePushdownContracts(engine::SessionContext& ctx, CompiledPlan& plan,
                                const std::map<std::string, std::string>& input_locations);

}  // namespace codeanatomy::semantic
