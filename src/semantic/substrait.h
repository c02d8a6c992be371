// Substrait for the engine's logical plans: export (our own producer writes the plan in
// Substrait's protobuf JSON mapping; Arrow turns it into the binary form) and replay (our own
// consumer builds a logical plan from a binary plan against a session's catalog and
// functions).
//
// Relations: read (a named table with its base schema; the scan's projection as the read's
// emit and its pushed filters as the read's filter, repeated in a filter relation above it
// because Arrow's consumer does not apply a named table's filter), filter, project (with an
// emit keeping only the projected expressions), join (equality keys and a residual condition
// in one expression), aggregate (one grouping set; DISTINCT is an aggregate without measures),
// sort, fetch, set (UNION ALL / UNION DISTINCT) and window (one consistent-partition window
// relation per window function). Functions: standard Substrait names for what Arrow's consumer
// knows, Arrow's own names under "urn:arrow:substrait_simple_extension_function", session
// functions (UDFs) under "urn:codeanatomy:functions"; Arrow FunctionOptions ride along exactly.
//
// Errors have stage "substrait": SUBSTRAIT_NOT_SUPPORTED {relation | expression | type |
// function | literal}, SUBSTRAIT_INVALID_PLAN {path}, SUBSTRAIT_UNKNOWN_TABLE {table},
// SUBSTRAIT_UNKNOWN_FUNCTION {function, uri}, SUBSTRAIT_SCHEMA_MISMATCH {table, column}.
#pragma once

#include <memory>
#include <string>

#include <arrow/buffer.h>

#include "common/json.h"
#include "common/status.h"
#include "engine/dataframe.h"
#include "engine/logical_plan.h"
#include "engine/session_context.h"

namespace codeanatomy::semantic {

/// The plan as a Substrait Plan in the protobuf JSON mapping (canonical JSON: the same plan
/// gives the same bytes). `functions` is the session's resolver: it types expressions and
/// tells Arrow's functions from the session's own.
Result<std::string> PlanToSubstraitJson(const engine::PlanNode& plan,
                                        const engine::FunctionResolver& functions);

/// The plan as a binary Substrait Plan (PlanToSubstraitJson, serialized by Arrow).
Result<std::shared_ptr<arrow::Buffer>> PlanToSubstrait(const engine::PlanNode& plan,
                                                       const engine::FunctionResolver& functions);

/// The DataFrame's optimized plan (scans carry their pushed projection and filters) as a
/// binary Substrait Plan.
Result<std::shared_ptr<arrow::Buffer>> DataFrameToSubstrait(const engine::DataFrame& df);

/// A binary Substrait Plan as protobuf JSON (parsed); SUBSTRAIT_INVALID_PLAN when the bytes
/// are not a plan.
Result<JsonValue> SubstraitPlanToJson(const arrow::Buffer& plan);

/// A DataFrame of `ctx` computing the plan: named tables resolve in the session's catalog (their
/// base schema must match), functions in its registry.
Result<engine::DataFrame> ReplaySubstraitPlan(engine::SessionContext& ctx,
                                              const arrow::Buffer& plan);

}  // namespace codeanatomy::semantic
