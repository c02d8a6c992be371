// The codeanatomy function bundle through the plugin ABI.
#pragma once

#include <vector>

#include "codeanatomy/plugin_abi.h"

namespace codeanatomy::plugin {

/// The bundle's scalar function names (static storage).
const std::vector<const char*>& ExportedFunctionNames();

/// udf_bundle_with_options: the bundle's scalar, aggregate and window functions bound to the
/// options' udf_config (CONTRACTS §4 options; INVALID_UDF_OPTIONS / INVALID_UDF_CONFIG name the
/// field).
int ExportFunctionBundle(const char* options_json, CaUdfBundle* out, CaPluginError* error);

}  // namespace codeanatomy::plugin
