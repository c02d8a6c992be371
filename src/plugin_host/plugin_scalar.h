// Scalar functions through the ABI: a plugin's CaScalarUdf bridged to an Arrow ScalarFunction
// in a session's registry, usable from DataFrames and SQL like a native function. Result types
// are asked of the plugin (once per argument types, or per call when the function wants its
// constants: ABI 1.1's return_type_with_constants); batches cross as Arrow C Data arrays.
#pragma once

#include <memory>
#include <string>

#include <arrow/compute/registry.h>

#include "codeanatomy/plugin_abi.h"
#include "common/status.h"
#include "plugin_host/plugin_host.h"

namespace codeanatomy::plugin_host {

/// One plugin scalar function, shared by its Arrow kernel; keeps the library loaded.
struct ScalarBridge;

/// Takes `entry` (element of a bundle array of `stride` bytes; its release is set to NULL,
/// the bridge releases it) and checks it: PLUGIN_STRUCT_TOO_SMALL when its size is not the
/// array's, PLUGIN_INVALID_MANIFEST for a bad name, PLUGIN_INVALID_MODULE for NULL functions.
Result<std::shared_ptr<ScalarBridge>> TakeScalarUdf(std::shared_ptr<Plugin> plugin,
                                                    CaScalarUdf* entry, size_t stride);

/// Registers the bridged function (replacing one of its name) and its aliases in `registry`;
/// its name.
Result<std::string> RegisterScalarUdf(const std::shared_ptr<ScalarBridge>& bridge,
                                      arrow::compute::FunctionRegistry* registry,
                                      const std::string& plugin_name);

}  // namespace codeanatomy::plugin_host
