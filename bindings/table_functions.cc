// Table functions: call one into a DataFrame, list a session's names. Conversion only.
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings/bindings.h"
#include "engine/dataframe.h"
#include "engine/session_context.h"
#include "engine/table_function.h"

namespace codeanatomy::bindings {

void BindTableFunctions(nb::module_& m) {
  m.def(
      "table_function",
      [](engine::SessionContext& ctx, const std::string& name,
         const std::vector<nb::handle>& args) {
        engine::TableFunctionArgs scalars;
        for (nb::handle a : args) scalars.push_back(ImportArrowScalar(a));
        auto fn = Unwrap(ctx.state()->LookupTableFunction(name));
        auto plan = Unwrap(WithoutGil([&] { return engine::PlanTableFunctionCall(*fn, scalars); }));
        return engine::DataFrame(ctx.state(), std::move(plan));
      },
      nb::arg("ctx"), nb::arg("name"), nb::arg("args"),
      "A DataFrame scanning table function `name` called with `args` (length-1 Arrow arrays).");
  m.def("table_function_names",
        [](engine::SessionContext& ctx) { return ctx.state()->TableFunctionNames(); });
}

}  // namespace codeanatomy::bindings
