#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings/bindings.h"
#include "bindings/py_types.h"

namespace codeanatomy::bindings {

void BindSession(nb::module_& m) {
  nb::class_<engine::SessionFactory>(m, "SessionFactory")
      .def_static(
          "from_profile",
          [](const std::string& name) { return Unwrap(engine::SessionFactory::FromProfile(name)); })
      .def(
          "with_overrides",
          [](const engine::SessionFactory& f, std::optional<int> partitions,
             std::optional<int64_t> batch_size, std::optional<int64_t> memory_limit_bytes) {
            return Unwrap(f.WithOverrides(partitions, batch_size, memory_limit_bytes));
          },
          nb::arg("target_partitions").none(), nb::arg("batch_size").none(),
          nb::arg("memory_limit_bytes").none())
      .def("profile_json", &engine::SessionFactory::ProfileJson)
      .def("profile_hash", &engine::SessionFactory::ProfileHash)
      .def("settings_hash", &engine::SessionFactory::SettingsHash)
      .def("settings_json", [](const engine::SessionFactory& f) { return f.config().ToJson(); })
      .def("create_session", [](const engine::SessionFactory& f) {
        return Unwrap(WithoutGil([&] { return engine::SessionContext::Make(f); }));
      });

  nb::class_<engine::SessionContext>(m, "SessionContext")
      .def_static("make", []() { return Unwrap(engine::SessionContext::Make()); })
      .def(
          "register_arrow",
          [](engine::SessionContext& ctx, const std::string& name, nb::handle obj, bool stream) {
            auto reader = ImportArrowStream(obj);
            if (stream) {
              Check(ctx.RegisterReader(name, std::move(reader)));
              return;
            }
            auto table = WithoutGil([&] { return reader->ToTable(); });
            if (!table.ok()) {
              RaiseStatus(WithStage(table.status(), stage::kExecution, "ARROW_STREAM_READ_FAILED"));
            }
            Check(ctx.RegisterTable(name, *table));
          },
          nb::arg("name"), nb::arg("obj").none(), nb::arg("stream") = false)
      .def("register_parquet",
           [](engine::SessionContext& ctx, const std::string& name, const std::string& path) {
             Check(WithoutGil([&] { return ctx.RegisterParquet(name, path); }));
           })
      .def("deregister", [](engine::SessionContext& ctx,
                            const std::string& name) { Check(ctx.Deregister(name)); })
      .def("tables", &engine::SessionContext::Tables)
      .def("table",
           [](const engine::SessionContext& ctx, const std::string& name) {
             return Unwrap(WithoutGil([&] { return ctx.Table(name); }));
           })
      .def("set_option", [](engine::SessionContext& ctx, const std::string& key,
                            const std::string& value) { ctx.state()->SetOption(key, value); })
      .def("get_option", [](engine::SessionContext& ctx,
                            const std::string& key) { return Unwrap(ctx.state()->GetOption(key)); })
      .def("config_json",
           [](engine::SessionContext& ctx) { return ctx.state()->config().ToJson(); })
      .def("bytes_allocated",
           [](engine::SessionContext& ctx) { return ctx.state()->bytes_allocated(); });
}

}  // namespace codeanatomy::bindings
