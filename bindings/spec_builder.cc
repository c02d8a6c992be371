// build_spec_json and the schema runtime (semantic/build_spec.h, semantic/schema_runtime.h).
// JSON text in, JSON text out; the GIL is released while the core works.
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings/bindings.h"
#include "engine/session_config.h"
#include "semantic/build_spec.h"
#include "semantic/schema_runtime.h"

namespace codeanatomy::bindings {

void BindSpecBuilder(nb::module_& m) {
  m.def("build_spec_json", [](const std::string& ir_json, const std::string& request_json) {
    return Unwrap(WithoutGil([&] { return semantic::BuildSpecJson(ir_json, request_json); }));
  });
  m.def("schema_runtime_json", [](const engine::SessionFactory& factory,
                                  const std::string& spec_json) {
    return Unwrap(WithoutGil([&] { return semantic::SchemaRuntimeJson(factory, spec_json); }));
  });
  m.def("dataset_schema_json", [](const std::string& runtime_json, const std::string& name) {
    return Unwrap(WithoutGil([&] { return semantic::DatasetSchemaJson(runtime_json, name); }));
  });
  m.def("dataset_names", [](const std::string& runtime_json) {
    return Unwrap(WithoutGil([&] { return semantic::DatasetNames(runtime_json); }));
  });
}

}  // namespace codeanatomy::bindings
