// A plugin's table provider (CaTableProvider) as an engine table provider: scans call the
// plugin's scan with the projection and the pushable filters (Substrait), and the stream it
// returns is checked against the projected schema before the engine reads it.
#pragma once

#include <memory>
#include <string>

#include "codeanatomy/plugin_abi.h"
#include "common/status.h"
#include "engine/table_provider.h"

namespace codeanatomy::plugin_host {

class Plugin;

/// Takes `*provider` (a plugin's result: its release is set to NULL, the engine provider
/// releases it, also when this fails) and returns it as an engine provider named `name` (kind
/// "plugin:<name>") that keeps `plugin` loaded while it lives. An incomplete struct or an
/// invalid schema is PLUGIN_BAD_RESULT; a failing schema call keeps the plugin's error.
Result<std::shared_ptr<engine::TableProvider>> WrapPluginProvider(std::shared_ptr<Plugin> plugin,
                                                                  CaTableProvider* provider,
                                                                  const std::string& name);

}  // namespace codeanatomy::plugin_host
