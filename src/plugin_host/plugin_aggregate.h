// A plugin's aggregate function (CaAggregateUdf) as an engine aggregate: an AggregateSpec whose
// accumulators are the plugin's (CaAccumulator), so the generic adaptors of
// functions/aggregate_functions.h make its `f` and `hash_f` as they make the native ones. Rows,
// states and results cross through the Arrow C Data Interface, and whatever comes back is
// checked before the engine uses it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/compute/registry.h>

#include "codeanatomy/plugin_abi.h"
#include "common/status.h"
#include "functions/aggregate_functions.h"

namespace codeanatomy::plugin_host {

class Plugin;

/// Takes `*udf` out of a plugin's bundle (its release is set to NULL: the spec's functions
/// release it when the last of them goes, also when this fails) and returns it as an
/// AggregateSpec that keeps `plugin` loaded while it lives. Refuses a struct smaller than ABI
/// 1.0's (PLUGIN_STRUCT_TOO_SMALL; not taken, as it may have no release member), a missing name
/// or bad aliases (PLUGIN_INVALID_MANIFEST) and NULL function pointers (PLUGIN_INVALID_MODULE). The
/// parameters are the descriptor_json's parameter_names when it has them, else one, "value".
///
/// Types (return and state) are asked of the plugin once per argument types. At run time: a
/// plugin's failure keeps the stage and code a plugin built on the core reports and is
/// otherwise stage "execution", code PLUGIN_CALL_FAILED; a state or result of the wrong length,
/// count or type, or an accumulator with NULL function pointers, is PLUGIN_BAD_RESULT.
/// Argument and state arrays are lent to the plugin for the call only.
Result<functions::AggregateSpec> BridgeAggregateUdf(std::shared_ptr<Plugin> plugin,
                                                    CaAggregateUdf* udf);

/// Registers `f` and `hash_f` for the spec's name and each alias in `registry`, replacing
/// functions of those names.
Status RegisterAggregateSpec(arrow::compute::FunctionRegistry* registry,
                             const functions::AggregateSpec& spec);

}  // namespace codeanatomy::plugin_host
