// The codeanatomy function bundle: install into a session, list the descriptors, snapshot what
// a session has installed and what the build offers.
#include <nanobind/stl/string.h>

#include "bindings/bindings.h"
#include "delta/table_functions.h"
#include "engine/session_context.h"
#include "functions/functions.h"
#include "functions/registry_snapshot.h"
#include "functions/window_functions.h"
#include "plugin_host/capabilities.h"

namespace codeanatomy::bindings {

void BindFunctions(nb::module_& m) {
  m.def(
      "install_codeanatomy_functions",
      [](engine::SessionContext& ctx, const std::string& config_json) {
        auto config = Unwrap(functions::ParseFunctionConfig(config_json));
        Check(functions::InstallCodeanatomyBundle(ctx.state().get(), config));
        Check(delta::RegisterDeltaTableFunctions(ctx.state().get()));
        Check(functions::InstallWindowFunctions(ctx.state().get()));
      },
      nb::arg("ctx"), nb::arg("config_json") = "");
  m.def("registry_snapshot_json", [](engine::SessionContext& ctx) {
    return Unwrap(functions::RegistrySnapshot(functions::SessionDescriptors(ctx.state().get())))
        .ToJson();
  });
  m.def("capabilities_snapshot_json",
        []() { return plugin_host::CapabilitiesSnapshot().ToJson(); });
  m.def("codeanatomy_function_descriptors_json", []() {
    return functions::FunctionDescriptorsToJson(functions::CodeanatomyFunctions()).ToJson();
  });
}

}  // namespace codeanatomy::bindings
