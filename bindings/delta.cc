// Delta entry points: snapshots, their metadata, and Delta tables in a session.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <arrow/table.h>

#include "bindings/bindings.h"
#include "delta/change_feed.h"
#include "delta/checkpoint.h"
#include "delta/provider.h"
#include "delta/provider_options.h"
#include "delta/snapshot.h"
#include "engine/session_context.h"

namespace codeanatomy::bindings {

namespace {

struct PySnapshot {
  std::shared_ptr<const delta::Snapshot> snapshot;
};

Result<delta::TableVersion> VersionOf(std::optional<int64_t> version,
                                      std::optional<int64_t> timestamp_ms) {
  if (version && timestamp_ms) {
    return ArgumentError("give a version or a timestamp, not both");
  }
  if (version) return delta::TableVersion(delta::VersionNumber{*version});
  if (timestamp_ms) return delta::TableVersion(delta::VersionAtTime{*timestamp_ms});
  return delta::TableVersion(delta::LatestVersion{});
}

ArrowStreamHolder TableStream(std::shared_ptr<arrow::Table> table) {
  return ArrowStreamHolder{std::make_shared<arrow::TableBatchReader>(std::move(table))};
}

}  // namespace

void BindDelta(nb::module_& m) {
  nb::class_<PySnapshot>(m, "DeltaSnapshot")
      .def_prop_ro("version", [](const PySnapshot& s) { return s.snapshot->version(); })
      .def_prop_ro("timestamp_ms", [](const PySnapshot& s) { return s.snapshot->timestamp_ms(); })
      .def("info_json", [](const PySnapshot& s) { return s.snapshot->InfoJson(); })
      .def("schema",
           [](const PySnapshot& s) {
             return TableStream(arrow::Table::MakeEmpty(s.snapshot->schema()).ValueOrDie());
           })
      .def("create_checkpoint",
           [](const PySnapshot& s) {
             Check(WithoutGil([&] { return delta::WriteCheckpoint(*s.snapshot); }));
           })
      .def("add_actions", [](const PySnapshot& s) {
        return TableStream(Unwrap(delta::AddActionsTable(*s.snapshot)));
      });
  m.def(
      "delta_load",
      [](const std::string& uri, std::optional<int64_t> version,
         std::optional<int64_t> timestamp_ms) {
        auto at = Unwrap(VersionOf(version, timestamp_ms));
        return PySnapshot{Unwrap(WithoutGil([&] { return delta::Snapshot::Load(uri, at); }))};
      },
      nb::arg("uri"), nb::arg("version").none(), nb::arg("timestamp_ms").none());
  m.def("delta_history", [](const std::string& uri, int64_t limit) {
    auto entries = Unwrap(WithoutGil([&] { return delta::History(uri, limit); }));
    JsonValue out = JsonValue::MakeArray();
    for (const auto& e : entries) {
      JsonValue item = JsonValue::MakeObject();
      item.Set("version", e.version);
      item.Set("timestamp", e.timestamp_ms);
      item.Set("commit_info", e.commit_info);
      out.Append(std::move(item));
    }
    return out.ToJson();
  });
  m.def(
      "delta_load_cdf",
      [](const std::string& uri, std::optional<int64_t> starting_version,
         std::optional<int64_t> ending_version, std::optional<int64_t> starting_timestamp_ms,
         std::optional<int64_t> ending_timestamp_ms, bool allow_out_of_range) {
        delta::ChangeFeedOptions o{starting_version, ending_version, starting_timestamp_ms,
                                   ending_timestamp_ms, allow_out_of_range};
        return TableStream(Unwrap(WithoutGil([&] { return delta::ReadChangeFeed(uri, o); })));
      },
      nb::arg("uri"), nb::arg("starting_version").none(), nb::arg("ending_version").none(),
      nb::arg("starting_timestamp_ms").none(), nb::arg("ending_timestamp_ms").none(),
      nb::arg("allow_out_of_range"));
  m.def(
      "register_delta",
      [](engine::SessionContext& ctx, const std::string& name, const PySnapshot& s,
         std::optional<std::vector<std::string>> files, std::optional<std::string> file_column_name,
         bool enable_parquet_pushdown) {
        delta::ScanConfig config;
        config.file_column_name = std::move(file_column_name);
        config.enable_parquet_pushdown = enable_parquet_pushdown;
        auto provider = Unwrap(delta::DeltaTableProvider::Make(s.snapshot, config, files));
        Check(ctx.RegisterProvider(name, std::move(provider)));
      },
      nb::arg("ctx"), nb::arg("name"), nb::arg("snapshot"), nb::arg("files").none() = nb::none(),
      nb::arg("file_column_name").none() = nb::none(), nb::arg("enable_parquet_pushdown") = true);
  m.def("register_table_provider", [](engine::SessionContext& ctx, const std::string& name,
                                      const std::string& kind, const std::string& options_json) {
    auto provider =
        Unwrap(WithoutGil([&] { return delta::MakeDeltaProvider(kind, options_json); }));
    Check(ctx.RegisterProvider(name, std::move(provider)));
  });
  m.def("delta_check_protocol_gate", [](const PySnapshot& s, const std::string& gate_json) {
    auto json = Unwrap(JsonValue::Parse(gate_json));
    auto gate = Unwrap(delta::ParseProtocolGate(json, "gate"));
    Check(delta::CheckProtocolGate(*s.snapshot, gate));
  });
}

}  // namespace codeanatomy::bindings
