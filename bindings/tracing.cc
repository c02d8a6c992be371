#include <nanobind/stl/string.h>

#include "bindings/bindings.h"
#include "common/tracing.h"

namespace codeanatomy::bindings {

void BindTracing(nb::module_& m) {
  m.def("enable_tracing", &tracing::EnableTracing, nb::arg("on"));
  m.def("tracing_enabled", &tracing::TracingEnabled);
  m.def("clear_spans", &tracing::ClearSpans);
  m.def("export_chrome_trace", &tracing::ExportChromeTrace);
  m.def("export_otlp_json", &tracing::ExportOtlpJson);
}

}  // namespace codeanatomy::bindings
