// The first-party plugin: the codeanatomy function bundle and the core's table providers
// ("delta", "delta_cdf", with the options of shared/CONTRACTS.md §4) through the plugin ABI. It
// links its own copy of the core (hidden; only the entry symbol is exported) against the process's
// one Arrow.
#include <cstring>
#include <exception>

#include <arrow/util/config.h>

#include "abi_export.h"
#include "aggregate_export.h"
#include "codeanatomy/plugin_abi.h"
#include "delta/provider_options.h"
#include "engine/session_state.h"
#include "function_export.h"
#include "table_function_export.h"
#include "window_export.h"

namespace codeanatomy::plugin {
namespace {

const char* const kFeatures[] = {"delta", "delta_cdf", "codeanatomy_functions"};
const char* const kProviders[] = {"delta", "delta_cdf"};

const CaPluginManifest kManifest = {
    static_cast<uint32_t>(sizeof(CaPluginManifest)),
    CA_PLUGIN_ABI_MAJOR,
    CA_PLUGIN_ABI_MINOR,
    /*engine_major=*/0,
    static_cast<uint16_t>(ARROW_VERSION_MAJOR),
    "codeanatomy",
    "0.1.0",
    CODEANATOMY_PLUGIN_BUILD_ID,
    CA_CAP_TABLE_PROVIDER | CA_CAP_SCALAR_UDF | CA_CAP_AGGREGATE_UDF | CA_CAP_WINDOW_UDF |
        CA_CAP_TABLE_FUNCTION,
    kFeatures,
    3,
};

const CaPluginManifest* Manifest() { return &kManifest; }

const CaPluginExports* Exports() {
  static const CaPluginExports exports = {
      static_cast<uint32_t>(sizeof(CaPluginExports)),
      kProviders,
      2,
      ExportedFunctionNames().data(),
      ExportedFunctionNames().size(),
      ExportedAggregateFunctionNames().data(),
      ExportedAggregateFunctionNames().size(),
      ExportedWindowFunctionNames().data(),
      ExportedWindowFunctionNames().size(),
      ExportedTableFunctionNames().data(),
      ExportedTableFunctionNames().size(),
  };
  return &exports;
}

int CreateTableProvider(const char* name, const char* options_json, CaTableProvider* out,
                        CaPluginError* error) {
  return Guarded(error, [&]() -> int {
    Status init = engine::InitializeArrow();
    if (!init.ok()) return SetError(init, error);
    auto provider = delta::MakeDeltaProvider(name == nullptr ? "" : name,
                                             options_json == nullptr ? "{}" : options_json);
    if (!provider.ok()) return SetError(provider.status(), error);
    ExportTableProvider(std::move(*provider), out);
    return CA_OK;
  });
}

const CaPluginModule kModule = {
    static_cast<uint32_t>(sizeof(CaPluginModule)),
    Manifest,
    Exports,
    ExportFunctionBundle,
    CreateTableProvider,
};

}  // namespace
}  // namespace codeanatomy::plugin

extern "C" __attribute__((visibility("default"))) const CaPluginModule* codeanatomy_plugin_entry() {
  return &codeanatomy::plugin::kModule;
}
