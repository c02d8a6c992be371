// Engine objects exported through the plugin ABI (the reverse of the host's bridge): a table
// provider becomes a CaTableProvider whose scans are Arrow C streams. Every entry point catches
// everything: no C++ exception crosses the ABI.
#pragma once

#include <memory>
#include <string>

#include "codeanatomy/plugin_abi.h"
#include "common/status.h"
#include "engine/table_provider.h"

namespace codeanatomy::plugin {

/// Copies `status` into `error` (truncated to fit) and returns its CaStatusCode.
int SetError(const Status& status, CaPluginError* error);

/// Fills `out` with `provider` (shared; released through out->release).
void ExportTableProvider(std::shared_ptr<engine::TableProvider> provider, CaTableProvider* out);

}  // namespace codeanatomy::plugin
