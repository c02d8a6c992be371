// Delta maintenance from Python: VACUUM and expired log cleanup.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include "bindings/bindings.h"
#include "delta/log_cleanup.h"
#include "delta/vacuum.h"

namespace codeanatomy::bindings {

void BindDeltaMaintenance(nb::module_& m) {
  m.def("delta_vacuum", [](const std::string& uri, std::optional<double> retention_hours,
                           bool dry_run, bool enforce_retention_duration, bool full) {
    delta::VacuumOptions options{retention_hours, dry_run, enforce_retention_duration, full};
    auto result = Unwrap(WithoutGil([&] { return delta::Vacuum(uri, options); }));
    return std::make_tuple(result.files, result.bytes, result.version);
  });
  m.def("delta_cleanup_metadata", [](const std::string& uri, std::optional<int64_t> cutoff_ms) {
    auto result = Unwrap(WithoutGil([&] { return delta::CleanupMetadata(uri, cutoff_ms); }));
    return std::make_tuple(result.files, result.safe_checkpoint_version);
  });
}

}  // namespace codeanatomy::bindings
