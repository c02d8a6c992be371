// A plugin's table function (CaTableFunction) as an engine table function: its signature comes
// from the descriptor the plugin gives (ABI 1.1), so arguments are checked and cast as for a
// native one; a call lends them to the plugin as one-row arrays and scans the provider it
// returns through WrapPluginProvider.
#pragma once

#include <memory>

#include "codeanatomy/plugin_abi.h"
#include "common/status.h"
#include "engine/table_function.h"

namespace codeanatomy::plugin_host {

class Plugin;

/// Takes `*fn` out of a plugin's bundle (its release is set to NULL: the bridge releases it,
/// also when this fails) and returns it as an engine table function that keeps `plugin` loaded
/// while it lives. Without a descriptor (a 1.0 plugin) the function takes any arguments and
/// checks them itself. A NULL name or call is PLUGIN_INVALID_MODULE; a descriptor that is not
/// valid JSON, names another function or has no usable signature is PLUGIN_BAD_RESULT.
Result<engine::TableFunction> BridgeTableFunction(std::shared_ptr<Plugin> plugin,
                                                  CaTableFunction* fn);

}  // namespace codeanatomy::plugin_host
