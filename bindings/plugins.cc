// Plugins from Python: a loaded plugin is a PyCapsule named "codeanatomy.plugin" holding the
// host's Plugin; capsules of any other name are refused.
#include <Python.h>

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings/bindings.h"
#include "engine/session_context.h"
#include "plugin_host/plugin_descriptors.h"
#include "plugin_host/plugin_host.h"

namespace codeanatomy::bindings {

namespace {

constexpr const char* kCapsuleName = "codeanatomy.plugin";

using PluginPtr = std::shared_ptr<plugin_host::Plugin>;

const PluginPtr& FromCapsule(nb::handle capsule) {
  if (!PyCapsule_CheckExact(capsule.ptr())) {
    throw nb::type_error("expected a plugin capsule from codeanatomy.plugins.load_plugin");
  }
  const char* name = PyCapsule_GetName(capsule.ptr());
  if (name == nullptr || std::string_view(name) != kCapsuleName) {
    PyErr_Clear();
    throw nb::type_error(("a capsule named '" + std::string(name ? name : "(null)") +
                          "' is not a codeanatomy plugin (expected '" + kCapsuleName + "')")
                             .c_str());
  }
  auto* plugin = static_cast<PluginPtr*>(PyCapsule_GetPointer(capsule.ptr(), kCapsuleName));
  if (plugin == nullptr) throw nb::python_error();
  return *plugin;
}

constexpr const char* kProviderCapsuleName = "codeanatomy.table_provider";

using ProviderPtr = std::shared_ptr<engine::TableProvider>;

const ProviderPtr& ProviderFromCapsule(nb::handle capsule) {
  const char* name =
      PyCapsule_CheckExact(capsule.ptr()) ? PyCapsule_GetName(capsule.ptr()) : nullptr;
  if (name == nullptr || std::string_view(name) != kProviderCapsuleName) {
    PyErr_Clear();
    throw nb::type_error(
        "expected a table provider capsule from SessionContext.create_plugin_table_provider");
  }
  auto* provider =
      static_cast<ProviderPtr*>(PyCapsule_GetPointer(capsule.ptr(), kProviderCapsuleName));
  if (provider == nullptr) throw nb::python_error();
  return *provider;
}

}  // namespace

void BindPlugins(nb::module_& m) {
  m.def("create_plugin_table_provider",
        [](nb::handle capsule, const std::string& provider_name, const std::string& options_json) {
          const PluginPtr& plugin = FromCapsule(capsule);
          auto provider = Unwrap(
              WithoutGil([&] { return plugin->CreateTableProvider(provider_name, options_json); }));
          auto* holder = new ProviderPtr(std::move(provider));
          PyObject* out = PyCapsule_New(holder, kProviderCapsuleName, [](PyObject* self) {
            delete static_cast<ProviderPtr*>(PyCapsule_GetPointer(self, kProviderCapsuleName));
          });
          if (out == nullptr) {
            delete holder;
            throw nb::python_error();
          }
          return nb::steal<nb::object>(out);
        });
  m.def("register_provider_capsule",
        [](engine::SessionContext& ctx, const std::string& table_name, nb::handle capsule) {
          Check(ctx.RegisterProvider(table_name, ProviderFromCapsule(capsule)));
        });
  m.def("plugin_load", [](const std::string& path) {
    auto plugin = Unwrap(WithoutGil([&] { return plugin_host::Plugin::Load(path); }));
    auto* holder = new PluginPtr(std::move(plugin));
    PyObject* capsule = PyCapsule_New(holder, kCapsuleName, [](PyObject* self) {
      delete static_cast<PluginPtr*>(PyCapsule_GetPointer(self, kCapsuleName));
    });
    if (capsule == nullptr) {
      delete holder;
      throw nb::python_error();
    }
    return nb::steal<nb::object>(capsule);
  });
  m.def("plugin_manifest_json",
        [](nb::handle capsule) { return FromCapsule(capsule)->manifest().ToJson().ToJson(); });
  m.def("plugin_exports", [](nb::handle capsule) {
    const auto& e = FromCapsule(capsule)->exports();
    nb::dict out;
    out["table_providers"] = e.table_providers;
    out["scalar_functions"] = e.scalar_functions;
    out["aggregate_functions"] = e.aggregate_functions;
    out["window_functions"] = e.window_functions;
    out["table_functions"] = e.table_functions;
    return out;
  });
  m.def("plugin_path", [](nb::handle capsule) { return FromCapsule(capsule)->path(); });
  m.def("register_plugin_udfs", [](engine::SessionContext& ctx, nb::handle capsule,
                                   const std::string& options_json) {
    const PluginPtr& plugin = FromCapsule(capsule);
    return Unwrap(WithoutGil([&]() -> Result<std::vector<std::string>> {
      CA_ASSIGN_OR_RAISE(auto names, plugin->RegisterUdfs(ctx.state()->registry(), options_json,
                                                          ctx.state()->mutable_table_functions()));
      CA_RETURN_NOT_OK(
          plugin_host::RecordPluginFunctions(*plugin, ctx.state().get(), options_json));
      return names;
    }));
  });
  m.def("register_plugin_table_provider",
        [](engine::SessionContext& ctx, nb::handle capsule, const std::string& table_name,
           const std::string& provider_name, const std::string& options_json) {
          const PluginPtr& plugin = FromCapsule(capsule);
          auto provider = Unwrap(
              WithoutGil([&] { return plugin->CreateTableProvider(provider_name, options_json); }));
          Check(ctx.RegisterProvider(table_name, std::move(provider)));
        });
}

}  // namespace codeanatomy::bindings
