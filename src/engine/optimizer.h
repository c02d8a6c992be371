// Logical optimizations: constant folding, filter pushdown (into scans, below projections,
// joins, sorts, aggregates and unions) and projection pushdown into scans.
#pragma once

#include "common/status.h"
#include "engine/logical_plan.h"

namespace codeanatomy::engine {

/// Returns an equivalent plan with the same output schema.
Result<PlanPtr> Optimize(const PlanPtr& plan, const FunctionResolver& fr);

}  // namespace codeanatomy::engine
