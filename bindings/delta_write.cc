// Delta writes from Python: any Arrow stream in, the new version and metrics out.
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include "bindings/bindings.h"
#include "delta/writer.h"

namespace codeanatomy::bindings {

void BindDeltaWrite(nb::module_& m) {
  m.def("delta_update",
        [](const std::string& uri, const std::string& predicate,
           const std::map<std::string, std::string>& updates, std::optional<int64_t> read_version) {
          auto result = Unwrap(
              WithoutGil([&] { return delta::UpdateRows(uri, predicate, updates, read_version); }));
          return std::make_tuple(result.version, result.files_added, result.files_removed,
                                 result.rows_written, result.read_version);
        });
  m.def("delta_delete", [](const std::string& uri, const std::string& predicate,
                           std::optional<int64_t> read_version) {
    auto result =
        Unwrap(WithoutGil([&] { return delta::DeleteRows(uri, predicate, read_version); }));
    return std::make_tuple(result.version, result.files_added, result.files_removed,
                           result.rows_written, result.read_version);
  });
  m.def(
      "delta_write",
      [](const std::string& uri, nb::handle data, const std::string& mode,
         std::vector<std::string> partition_by, std::optional<int64_t> max_rows_per_file,
         std::optional<std::string> app_id, std::optional<int64_t> app_version,
         const std::string& schema_mode, const std::string& predicate,
         std::optional<int64_t> read_version, std::map<std::string, std::string> configuration,
         std::optional<int64_t> target_file_size, const std::string& compression) {
        delta::WriteOptions options;
        options.compression = Unwrap(delta::ParseCompression(compression));
        if (target_file_size) {
          if (*target_file_size <= 0) Check(ArgumentError("target_file_size must be positive"));
          options.target_file_size = *target_file_size;
        }
        options.read_version = read_version;
        options.configuration = std::move(configuration);
        options.predicate = predicate;
        options.schema_mode = Unwrap(delta::ParseSchemaMode(schema_mode));
        if (app_id.has_value() != app_version.has_value()) {
          Check(ArgumentError("app_id and app_version go together"));
        }
        if (app_id) options.app_transaction = std::make_pair(*app_id, *app_version);
        options.mode = Unwrap(delta::ParseWriteMode(mode));
        options.partition_by = std::move(partition_by);
        if (max_rows_per_file) options.max_rows_per_file = *max_rows_per_file;
        auto reader = ImportArrowStream(data);
        auto result = Unwrap(WithoutGil([&] { return delta::WriteDelta(uri, reader, options); }));
        return std::make_tuple(result.version, result.files_added, result.files_removed,
                               result.rows_written, result.attempts, result.skipped,
                               result.read_version);
      },
      nb::arg("uri"), nb::arg("data"), nb::arg("mode"), nb::arg("partition_by"),
      nb::arg("max_rows_per_file").none(), nb::arg("app_id").none(), nb::arg("app_version").none(),
      nb::arg("schema_mode") = "", nb::arg("predicate") = "",
      nb::arg("read_version").none() = nb::none(),
      nb::arg("configuration") = std::map<std::string, std::string>{},
      nb::arg("target_file_size").none() = nb::none(), nb::arg("compression") = "snappy");
}

}  // namespace codeanatomy::bindings
