// Engine objects exported through the plugin ABI (the reverse of the host's bridge): a table
// provider becomes a CaTableProvider whose scans are Arrow C streams. Every entry point catches
// everything: no C++ exception crosses the ABI.
#pragma once

#include <exception>
#include <memory>
#include <string>

#include "codeanatomy/plugin_abi.h"
#include "common/status.h"
#include "engine/table_provider.h"

namespace codeanatomy::plugin {

/// Copies `status` into `error` (truncated to fit) and returns its CaStatusCode.
int SetError(const Status& status, CaPluginError* error);

/// Runs an ABI entry point's body (returning a CaStatusCode); an escaping C++ exception becomes
/// CA_ERR_INTERNAL in `error` instead of unwinding into the caller.
template <typename F>
int Guarded(CaPluginError* error, F&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return SetError(Status::UnknownError(e.what()), error);
  } catch (...) {
    return SetError(Status::UnknownError("unknown exception"), error);
  }
}

/// Fills `out` with `provider` (shared; released through out->release).
void ExportTableProvider(std::shared_ptr<engine::TableProvider> provider, CaTableProvider* out);

}  // namespace codeanatomy::plugin
