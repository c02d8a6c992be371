// The semantic engine: spec validation and hashing, run_build. JSON text in, JSON text out; the
// GIL is released while the core works.
#include <nanobind/stl/string.h>

#include "bindings/bindings.h"
#include "engine/session_config.h"
#include "semantic/run_build.h"
#include "semantic/spec.h"

namespace codeanatomy::bindings {

void BindSemantic(nb::module_& m) {
  m.def("parse_and_validate_spec_json", [](const std::string& spec_json) {
    return Unwrap(WithoutGil([&]() -> Result<std::string> {
      CA_ASSIGN_OR_RAISE(auto spec, semantic::ParseAndValidateSpec(spec_json));
      return semantic::SpecToJson(spec).ToJson();
    }));
  });
  m.def("spec_hash_hex", [](const std::string& spec_json) {
    return Unwrap(WithoutGil([&]() -> Result<std::string> {
      CA_ASSIGN_OR_RAISE(auto spec, semantic::ParseAndValidateSpec(spec_json));
      return semantic::SpecHashHex(spec);
    }));
  });
  m.def("compile_metadata_json",
        [](const engine::SessionFactory& factory, const std::string& spec_json) {
          return Unwrap(WithoutGil([&]() -> Result<std::string> {
            CA_ASSIGN_OR_RAISE(auto metadata, semantic::CompileMetadata(factory, spec_json));
            return metadata.ToJson();
          }));
        });
  m.def("execute_spec_json", [](const engine::SessionFactory& factory, const std::string& spec_json,
                                bool include_manifest, bool include_run_bundle) {
    return Unwrap(WithoutGil([&]() -> Result<std::string> {
      CA_ASSIGN_OR_RAISE(
          auto response,
          semantic::ExecuteSpec(factory, spec_json, {include_manifest, include_run_bundle}));
      return response.ToJson();
    }));
  });
  m.def("run_build_json", [](const std::string& request_json) {
    return Unwrap(WithoutGil([&]() -> Result<std::string> {
      CA_ASSIGN_OR_RAISE(auto response, semantic::RunBuild(request_json));
      return response.ToJson();
    }));
  });
}

}  // namespace codeanatomy::bindings
