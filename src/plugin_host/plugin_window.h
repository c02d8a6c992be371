// A plugin's window function (CaWindowUdf) as an engine window function: the window operator
// hands it each sorted partition through the Arrow C Data Interface, and whatever comes back is
// checked before the engine uses it.
#pragma once

#include <memory>

#include "codeanatomy/plugin_abi.h"
#include "common/status.h"
#include "engine/window_udf.h"

namespace codeanatomy::plugin_host {

class Plugin;

/// Takes `*udf` out of a plugin's bundle (its release is set to NULL: the bridge releases it,
/// also when this fails) and returns it as a window function that keeps `plugin` loaded while
/// it lives. Refuses a struct that is too small (PLUGIN_STRUCT_TOO_SMALL), a missing name or
/// bad aliases (PLUGIN_INVALID_MANIFEST) and NULL function pointers (PLUGIN_INVALID_MODULE).
///
/// At run time: a plugin's failure keeps the stage and code a plugin built on the core reports
/// and is otherwise stage "execution", code PLUGIN_CALL_FAILED (the plugin's CaStatusCode in
/// the details' plugin_code); a result of the wrong length or an invalid array of the declared
/// type is PLUGIN_BAD_RESULT. Argument arrays are lent to the plugin for the call only.
Result<std::shared_ptr<const engine::WindowUdf>> BridgeWindowUdf(std::shared_ptr<Plugin> plugin,
                                                                 CaWindowUdf* udf);

}  // namespace codeanatomy::plugin_host
