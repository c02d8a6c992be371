// The codeanatomy function bundle: install into a session, list the descriptors.
#include <nanobind/stl/string.h>

#include "bindings/bindings.h"
#include "engine/session_context.h"
#include "functions/functions.h"

namespace codeanatomy::bindings {

void BindFunctions(nb::module_& m) {
  m.def(
      "install_codeanatomy_functions",
      [](engine::SessionContext& ctx, const std::string& config_json) {
        auto config = Unwrap(functions::ParseFunctionConfig(config_json));
        Check(functions::InstallCodeanatomyFunctions(ctx.state()->registry(), config));
      },
      nb::arg("ctx"), nb::arg("config_json") = "");
  m.def("codeanatomy_function_descriptors_json", []() {
    return functions::FunctionDescriptorsToJson(functions::CodeanatomyFunctions()).ToJson();
  });
}

}  // namespace codeanatomy::bindings
