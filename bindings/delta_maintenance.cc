// Delta maintenance from Python: VACUUM.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include "bindings/bindings.h"
#include "delta/vacuum.h"

namespace codeanatomy::bindings {

void BindDeltaMaintenance(nb::module_& m) {
  m.def("delta_vacuum", [](const std::string& uri, std::optional<double> retention_hours,
                           bool dry_run, bool enforce_retention_duration, bool full) {
    delta::VacuumOptions options{retention_hours, dry_run, enforce_retention_duration, full};
    auto result = Unwrap(WithoutGil([&] { return delta::Vacuum(uri, options); }));
    return std::make_tuple(result.files, result.bytes, result.version);
  });
}

}  // namespace codeanatomy::bindings
