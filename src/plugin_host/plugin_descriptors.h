// The descriptors of a plugin's functions, for the session's function catalog and its registry
// snapshot (functions/registry_snapshot.h): a plugin's snapshot is built from what the plugin
// says of its functions, exactly as the native one is built from the bundle's descriptors.
#pragma once

#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "plugin_host/plugin_host.h"

namespace codeanatomy::engine {
class SessionState;
}

namespace codeanatomy::plugin_host {

/// The descriptors of the functions `plugin` offers with `options_json` (one bundle is made and
/// released): each function's `descriptor_json` parsed, or, where a function gives none, what
/// the ABI structs say (name, kind, aliases, parameter names, volatility; return_type
/// "unknown", no signatures). A descriptor that is not a JSON object, or whose name or kind
/// disagrees with the struct, is PLUGIN_BAD_RESULT.
Result<std::vector<JsonValue>> PluginFunctionDescriptors(Plugin& plugin,
                                                         const std::string& options_json);

/// Records the descriptors above in the session's function catalog.
Status RecordPluginFunctions(Plugin& plugin, engine::SessionState* state,
                             const std::string& options_json);

}  // namespace codeanatomy::plugin_host
