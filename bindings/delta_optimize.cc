// Delta OPTIMIZE compact from Python: options in, the metrics (JSON) out.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings/bindings.h"
#include "common/json.h"
#include "delta/optimize.h"

namespace codeanatomy::bindings {

namespace {

// A JSON object of string members (commit properties); other JSON is an argument error.
Result<std::map<std::string, std::string>> ParseStringMap(const std::string& json,
                                                          const std::string& what) {
  std::map<std::string, std::string> out;
  if (json.empty()) return out;
  auto parsed = JsonValue::Parse(json);
  if (!parsed.ok() || !parsed->is_object()) {
    return ArgumentError(what + " must be a JSON object of strings");
  }
  for (const auto& [key, value] : parsed->object_value()) {
    if (!value.is_string()) return ArgumentError(what + "['" + key + "'] must be a string");
    out[key] = value.string_value();
  }
  return out;
}

}  // namespace

void BindDeltaOptimize(nb::module_& m) {
  m.def(
      "delta_optimize_compact",
      [](const std::string& uri, std::optional<int64_t> target_size,
         std::vector<std::pair<std::string, std::string>> partition_filters,
         const std::string& commit_properties_json, std::optional<int64_t> read_version,
         std::vector<std::string> z_order_columns) {
        delta::OptimizeOptions options;
        options.target_size = target_size;
        options.partition_filters = std::move(partition_filters);
        options.commit_properties =
            Unwrap(ParseStringMap(commit_properties_json, "commit_properties"));
        options.read_version = read_version;
        options.z_order_columns = std::move(z_order_columns);
        auto result = Unwrap(WithoutGil([&] { return delta::Compact(uri, options); }));
        return delta::OptimizeResultJson(result);
      },
      nb::arg("uri"), nb::arg("target_size").none() = nb::none(),
      nb::arg("partition_filters") = std::vector<std::pair<std::string, std::string>>{},
      nb::arg("commit_properties_json") = "", nb::arg("read_version").none() = nb::none(),
      nb::arg("z_order_columns") = std::vector<std::string>{});
}

}  // namespace codeanatomy::bindings
