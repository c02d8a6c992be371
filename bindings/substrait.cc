// Substrait plans of DataFrames: export to bytes, replay into a session, lineage reports (as
// JSON text; the Python module parses it). The GIL is released while the core works.
#include <nanobind/stl/string.h>

#include "bindings/bindings.h"
#include "semantic/lineage.h"
#include "semantic/substrait.h"

namespace codeanatomy::bindings {

namespace {

std::shared_ptr<arrow::Buffer> BufferOf(const nb::bytes& data) {
  return arrow::Buffer::FromString(std::string(data.c_str(), data.size()));
}

}  // namespace

void BindSubstrait(nb::module_& m) {
  m.def("substrait_from_dataframe", [](const engine::DataFrame& df) {
    auto plan = Unwrap(WithoutGil([&] { return semantic::DataFrameToSubstrait(df); }));
    return nb::bytes(reinterpret_cast<const char*>(plan->data()),
                     static_cast<size_t>(plan->size()));
  });
  m.def("replay_substrait_plan", [](engine::SessionContext& ctx, const nb::bytes& data) {
    auto plan = BufferOf(data);
    return Unwrap(WithoutGil([&] { return semantic::ReplaySubstraitPlan(ctx, *plan); }));
  });
  m.def("lineage_from_substrait_json", [](const nb::bytes& data) {
    auto plan = BufferOf(data);
    return Unwrap(WithoutGil([&]() -> Result<std::string> {
      CA_ASSIGN_OR_RAISE(auto report, semantic::LineageFromSubstrait(*plan));
      return report.ToJson().ToJson();
    }));
  });
  m.def("lineage_of_dataframe_json", [](const engine::DataFrame& df) {
    return Unwrap(WithoutGil([&]() -> Result<std::string> {
      CA_ASSIGN_OR_RAISE(auto report, semantic::LineageOfDataFrame(df));
      return report.ToJson().ToJson();
    }));
  });
}

}  // namespace codeanatomy::bindings
