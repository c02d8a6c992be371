// The bundle's aggregate functions through the plugin ABI: each AggregateSpec of
// functions::AggregateFunctionSpecs() becomes a CaAggregateUdf whose accumulators wrap the core's
// own AggregateAccumulator, so an aggregate gives the same result natively and through the plugin.
#pragma once

#include <vector>

#include "codeanatomy/plugin_abi.h"
#include "functions/functions.h"

namespace codeanatomy::plugin {

/// The bundle's aggregate function names (static storage).
const std::vector<const char*>& ExportedAggregateFunctionNames();

/// Fills out->aggregate and out->n_aggregate with the bundle's aggregates, their descriptors
/// bound to `config`. Called inside an ABI entry point's Guarded body (it may throw
/// std::bad_alloc).
void ExportAggregateFunctions(CaUdfBundle* out, const functions::FunctionConfig& config);

/// Releases the aggregate entries the host did not take (release != NULL) and frees the array.
void ReleaseAggregateFunctions(CaUdfBundle* bundle);

}  // namespace codeanatomy::plugin
