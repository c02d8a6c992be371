#include "plugin_host/plugin_host.h"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include <arrow/acero/options.h>
#include <arrow/array/util.h>
#include <arrow/c/bridge.h>
#include <arrow/compute/api.h>
#include <arrow/io/interfaces.h>
#include <arrow/util/config.h>
#include <arrow/util/utf8.h>

#include "plugin_host/plugin_aggregate.h"
#include "plugin_host/plugin_provider.h"
#include "plugin_host/plugin_scalar.h"
#include "plugin_host/plugin_table_function.h"
#include "plugin_host/plugin_values.h"
#include "plugin_host/plugin_window.h"

namespace codeanatomy::plugin_host {

namespace cp = arrow::compute;
namespace ac = arrow::acero;

namespace {

constexpr std::string_view kStage = "plugin";

// The capability bits by name, in bit order.
const std::vector<std::pair<uint64_t, const char*>>& CapabilityNames() {
  static const std::vector<std::pair<uint64_t, const char*>> kNames = {
      {CA_CAP_TABLE_PROVIDER, "table_provider"},
      {CA_CAP_SCALAR_UDF, "scalar_udf"},
      {CA_CAP_AGGREGATE_UDF, "aggregate_udf"},
      {CA_CAP_WINDOW_UDF, "window_udf"},
      {CA_CAP_TABLE_FUNCTION, "table_function"}};
  return kNames;
}

}  // namespace

Status PluginError(std::string_view code, const std::string& path, std::string message) {
  return EngineError(arrow::StatusCode::Invalid, kStage, code, std::move(message),
                     "{\"path\":" + JsonQuote(path) + "}");
}

JsonValue ManifestInfo::ToJson() const {
  JsonValue out = JsonValue::MakeObject();
  out.Set("plugin_name", plugin_name);
  out.Set("plugin_version", plugin_version);
  out.Set("build_id", build_id);
  out.Set("plugin_abi_major", int64_t{abi_major});
  out.Set("plugin_abi_minor", int64_t{abi_minor});
  out.Set("engine_major", int64_t{engine_major});
  out.Set("arrow_major", int64_t{arrow_major});
  JsonValue caps = JsonValue::MakeArray();
  for (const auto& [bit, name] : CapabilityNames()) {
    if (capabilities & bit) caps.Append(name);
  }
  out.Set("capabilities", std::move(caps));
  JsonValue fs = JsonValue::MakeArray();
  for (const auto& f : features) fs.Append(f);
  out.Set("features", std::move(fs));
  return out;
}

Result<std::shared_ptr<Plugin>> Plugin::Load(const std::string& path) {
  if (path.find('/') == std::string::npos) {
    return PluginError(
        "PLUGIN_LOAD_FAILED", path,
        "plugins load by explicit path (with a '/'), not by library search: '" + path + "'");
  }
  std::shared_ptr<Plugin> p(new Plugin());
  p->path_ = path;
  // RTLD_LOCAL: the plugin's symbols (its own copy of the core) never bind to the host's.
  p->handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (p->handle_ == nullptr) {
    const char* why = dlerror();
    return PluginError("PLUGIN_LOAD_FAILED", path,
                       "cannot load plugin '" + path + "': " + (why ? why : "unknown error"));
  }
  void* entry = dlsym(p->handle_, CA_PLUGIN_ENTRY_SYMBOL);
  if (entry == nullptr) {
    return PluginError("PLUGIN_ENTRY_MISSING", path,
                       "'" + path + "' does not export " CA_PLUGIN_ENTRY_SYMBOL);
  }
  const CaPluginModule* module = reinterpret_cast<CaPluginEntryFn>(entry)();
  auto invalid = [&](const std::string& why) {
    return PluginError("PLUGIN_INVALID_MODULE", path, "plugin '" + path + "': " + why);
  };
  if (module == nullptr) return invalid("the entry point returned no module");
  if (module->struct_size < sizeof(CaPluginModule)) {
    return PluginError("PLUGIN_STRUCT_TOO_SMALL", path,
                       "plugin '" + path + "': module struct is " +
                           std::to_string(module->struct_size) + " bytes, the ABI needs " +
                           std::to_string(sizeof(CaPluginModule)));
  }
  if (module->manifest == nullptr) return invalid("manifest() is NULL");
  const CaPluginManifest* m = module->manifest();
  if (m == nullptr) return invalid("manifest() returned NULL");
  if (m->struct_size < sizeof(CaPluginManifest)) {
    return PluginError("PLUGIN_STRUCT_TOO_SMALL", path,
                       "plugin '" + path + "': manifest struct is " +
                           std::to_string(m->struct_size) + " bytes, the ABI needs " +
                           std::to_string(sizeof(CaPluginManifest)));
  }
  if (m->abi_major != kHostAbiMajor) {
    return PluginError("PLUGIN_ABI_MAJOR_MISMATCH", path,
                       "plugin '" + path + "' is built for plugin ABI " +
                           std::to_string(m->abi_major) + ".x; this host implements " +
                           std::to_string(kHostAbiMajor) + "." + std::to_string(kHostAbiMinor));
  }
  if (m->abi_minor > kHostAbiMinor) {
    return PluginError("PLUGIN_ABI_MINOR_TOO_NEW", path,
                       "plugin '" + path + "' needs plugin ABI " + std::to_string(m->abi_major) +
                           "." + std::to_string(m->abi_minor) + "; this host implements " +
                           std::to_string(kHostAbiMajor) + "." + std::to_string(kHostAbiMinor));
  }
  if (m->engine_major != kEngineMajor) {
    return PluginError("PLUGIN_ENGINE_MAJOR_MISMATCH", path,
                       "plugin '" + path + "' is built for engine major " +
                           std::to_string(m->engine_major) + ", this engine is " +
                           std::to_string(kEngineMajor));
  }
  if (m->arrow_major != ARROW_VERSION_MAJOR) {
    return PluginError("PLUGIN_ARROW_MAJOR_MISMATCH", path,
                       "plugin '" + path + "' is built for Arrow " +
                           std::to_string(m->arrow_major) + ", this host runs Arrow " +
                           std::to_string(ARROW_VERSION_MAJOR));
  }
  ManifestInfo& info = p->manifest_;
  CA_ASSIGN_OR_RAISE(info.plugin_name, PluginString(m->plugin_name, path, "plugin_name"));
  CA_ASSIGN_OR_RAISE(info.plugin_version, PluginString(m->plugin_version, path, "plugin_version"));
  CA_ASSIGN_OR_RAISE(info.build_id, PluginString(m->build_id, path, "build_id"));
  CA_ASSIGN_OR_RAISE(info.features, PluginStrings(m->features, m->n_features, path, "features"));
  if (info.plugin_name.empty()) return invalid("plugin_name is empty");
  info.abi_major = m->abi_major;
  info.abi_minor = m->abi_minor;
  info.engine_major = m->engine_major;
  info.arrow_major = m->arrow_major;
  info.capabilities = m->capabilities;
  if (module->exports == nullptr) return invalid("exports() is NULL");
  const CaPluginExports* e = module->exports();
  if (e == nullptr) return invalid("exports() returned NULL");
  if (e->struct_size < sizeof(CaPluginExports)) {
    return PluginError("PLUGIN_STRUCT_TOO_SMALL", path,
                       "plugin '" + path + "': exports struct is " +
                           std::to_string(e->struct_size) + " bytes, the ABI needs " +
                           std::to_string(sizeof(CaPluginExports)));
  }
  ExportsInfo& x = p->exports_;
  CA_ASSIGN_OR_RAISE(x.table_providers, PluginStrings(e->table_providers, e->n_table_providers,
                                                      path, "table_providers"));
  CA_ASSIGN_OR_RAISE(x.scalar_functions, PluginStrings(e->scalar_functions, e->n_scalar_functions,
                                                       path, "scalar_functions"));
  CA_ASSIGN_OR_RAISE(
      x.aggregate_functions,
      PluginStrings(e->aggregate_functions, e->n_aggregate_functions, path, "aggregate_functions"));
  CA_ASSIGN_OR_RAISE(x.window_functions, PluginStrings(e->window_functions, e->n_window_functions,
                                                       path, "window_functions"));
  CA_ASSIGN_OR_RAISE(x.table_functions, PluginStrings(e->table_functions, e->n_table_functions,
                                                      path, "table_functions"));
  p->module_ = module;
  return p;
}

Plugin::~Plugin() {
  // Objects made from the plugin hold a shared_ptr to it: none is alive here.
  if (handle_ != nullptr) dlclose(handle_);
}

Result<std::vector<std::string>> Plugin::RegisterUdfs(
    arrow::compute::FunctionRegistry* registry, const std::string& options_json,
    engine::TableFunctionRegistry* table_functions) {
  if (module_->udf_bundle_with_options == nullptr) {
    return PluginError("PLUGIN_INVALID_MODULE", path_,
                       "plugin '" + path_ + "': udf_bundle_with_options is NULL");
  }
  CaUdfBundle bundle;
  std::memset(&bundle, 0, sizeof(bundle));
  CaPluginError error = NewError();
  int rc = module_->udf_bundle_with_options(options_json.c_str(), &bundle, &error);
  if (rc != CA_OK) {
    if (bundle.release != nullptr) bundle.release(&bundle);
    return CallFailed(path_, "udf_bundle_with_options", error);
  }
  // The bundle's entries are taken one by one (each released by its bridge); the bundle
  // itself is released when done.
  struct BundleGuard {
    CaUdfBundle* b;
    ~BundleGuard() {
      // Aggregates not taken (a failure before them) are released here, strided by the
      // plugin's struct size.
      if (b->aggregate != nullptr && b->n_aggregate > 0 &&
          b->aggregate[0].struct_size >= CA_AGGREGATE_UDF_SIZE_1_0) {
        size_t stride = b->aggregate[0].struct_size;
        for (uint64_t i = 0; i < b->n_aggregate; ++i) {
          CaAggregateUdf* entry = PluginElement(b->aggregate, stride, i);
          if (entry->struct_size == stride && entry->release != nullptr) entry->release(entry);
        }
      }
      if (b->table_functions != nullptr && b->n_table_functions > 0 &&
          b->table_functions[0].struct_size >= CA_TABLE_FUNCTION_SIZE_1_0) {
        size_t stride = b->table_functions[0].struct_size;
        for (uint64_t i = 0; i < b->n_table_functions; ++i) {
          CaTableFunction* entry = PluginElement(b->table_functions, stride, i);
          if (entry->struct_size == stride && entry->release != nullptr) entry->release(entry);
        }
      }
      if (b->release != nullptr) b->release(b);
    }
  } guard{&bundle};
  if (bundle.struct_size < sizeof(CaUdfBundle)) {
    return PluginError("PLUGIN_STRUCT_TOO_SMALL", path_, "udf bundle struct is too small");
  }
  if (bundle.n_scalar > 0 && bundle.scalar == nullptr) {
    return PluginError("PLUGIN_BAD_RESULT", path_, "udf bundle lists scalar functions but none");
  }
  if (bundle.n_scalar > 0 && !(manifest_.capabilities & CA_CAP_SCALAR_UDF)) {
    return PluginError("PLUGIN_CAPABILITY_MISSING", path_,
                       "plugin '" + path_ +
                           "' offers scalar functions without the "
                           "scalar_udf capability");
  }
  if (bundle.n_window > 0 && bundle.window == nullptr) {
    return PluginError("PLUGIN_BAD_RESULT", path_, "udf bundle lists window functions but none");
  }
  if (bundle.n_window > 0 && !(manifest_.capabilities & CA_CAP_WINDOW_UDF)) {
    return PluginError("PLUGIN_CAPABILITY_MISSING", path_,
                       "plugin '" + path_ +
                           "' offers window functions without the window_udf "
                           "capability");
  }
  if (bundle.n_aggregate > 0 && bundle.aggregate == nullptr) {
    return PluginError("PLUGIN_BAD_RESULT", path_, "udf bundle lists aggregate functions but none");
  }
  if (bundle.n_aggregate > 0 && !(manifest_.capabilities & CA_CAP_AGGREGATE_UDF)) {
    return PluginError("PLUGIN_CAPABILITY_MISSING", path_,
                       "plugin '" + path_ +
                           "' offers aggregate functions without the aggregate_udf "
                           "capability");
  }
  if (bundle.n_table_functions > 0 && bundle.table_functions == nullptr) {
    return PluginError("PLUGIN_BAD_RESULT", path_, "udf bundle lists table functions but none");
  }
  if (bundle.n_table_functions > 0 && !(manifest_.capabilities & CA_CAP_TABLE_FUNCTION)) {
    return PluginError(
        "PLUGIN_CAPABILITY_MISSING", path_,
        "plugin '" + path_ + "' offers table functions without the table_function capability");
  }
  if (bundle.n_table_functions > 0 && table_functions == nullptr) {
    return PluginError("PLUGIN_CALL_FAILED", path_,
                       "plugin '" + path_ + "' offers table functions and no session takes them");
  }
  std::vector<std::shared_ptr<ScalarBridge>> bridges;
  if (bundle.n_scalar > 0) {
    CA_ASSIGN_OR_RAISE(auto stride,
                       PluginStride(bundle.scalar, CA_SCALAR_UDF_SIZE_1_0, path_, "scalar udf"));
    for (uint64_t i = 0; i < bundle.n_scalar; ++i) {
      CA_ASSIGN_OR_RAISE(
          auto bridge,
          TakeScalarUdf(shared_from_this(), PluginElement(bundle.scalar, stride, i), stride));
      bridges.push_back(std::move(bridge));
    }
  }
  std::vector<std::shared_ptr<const engine::WindowUdf>> windows;
  size_t window_stride = 0;
  if (bundle.n_window > 0) {
    CA_ASSIGN_OR_RAISE(window_stride,
                       PluginStride(bundle.window, CA_WINDOW_UDF_SIZE_1_0, path_, "window udf"));
  }
  for (uint64_t i = 0; i < bundle.n_window; ++i) {
    CA_ASSIGN_OR_RAISE(
        auto window,
        BridgeWindowUdf(shared_from_this(), PluginElement(bundle.window, window_stride, i)));
    windows.push_back(std::move(window));
  }
  std::vector<functions::AggregateSpec> aggregates;
  if (bundle.n_aggregate > 0) {
    CA_ASSIGN_OR_RAISE(auto agg_stride, PluginStride(bundle.aggregate, CA_AGGREGATE_UDF_SIZE_1_0,
                                                     path_, "aggregate udf"));
    for (uint64_t i = 0; i < bundle.n_aggregate; ++i) {
      CaAggregateUdf* entry = PluginElement(bundle.aggregate, agg_stride, i);
      if (entry->struct_size != agg_stride) {
        return PluginError("PLUGIN_STRUCT_TOO_SMALL", path_,
                           "aggregate udf structs of one bundle differ in size");
      }
      CA_ASSIGN_OR_RAISE(auto spec, BridgeAggregateUdf(shared_from_this(), entry));
      aggregates.push_back(std::move(spec));
    }
  }
  std::vector<engine::TableFunction> bridged_tables;
  if (bundle.n_table_functions > 0) {
    CA_ASSIGN_OR_RAISE(auto stride, PluginStride(bundle.table_functions, CA_TABLE_FUNCTION_SIZE_1_0,
                                                 path_, "table function"));
    for (uint64_t i = 0; i < bundle.n_table_functions; ++i) {
      CaTableFunction* entry = PluginElement(bundle.table_functions, stride, i);
      if (entry->struct_size != stride) {
        return PluginError("PLUGIN_STRUCT_TOO_SMALL", path_,
                           "table function structs of one bundle differ in size");
      }
      CA_ASSIGN_OR_RAISE(auto fn, BridgeTableFunction(shared_from_this(), entry));
      bridged_tables.push_back(std::move(fn));
    }
  }
  std::vector<std::string> names;
  for (const auto& bridge : bridges) {
    CA_ASSIGN_OR_RAISE(auto name, RegisterScalarUdf(bridge, registry, manifest_.plugin_name));
    names.push_back(std::move(name));
  }
  for (const auto& spec : aggregates) {
    CA_RETURN_NOT_OK(RegisterAggregateSpec(registry, spec));
    names.push_back(spec.name);
  }
  for (const auto& window : windows) {
    CA_RETURN_NOT_OK(engine::RegisterWindowUdf(registry, window));
    names.push_back(window->name());
  }
  for (auto& fn : bridged_tables) {
    names.push_back(fn.name);
    CA_RETURN_NOT_OK(table_functions->Register(std::move(fn)));
  }
  return names;
}

Result<std::shared_ptr<engine::TableProvider>> Plugin::CreateTableProvider(
    const std::string& name, const std::string& options_json) {
  if (!(manifest_.capabilities & CA_CAP_TABLE_PROVIDER)) {
    return PluginError("PLUGIN_CAPABILITY_MISSING", path_,
                       "plugin '" + path_ + "' has no table_provider capability");
  }
  const auto& names = exports_.table_providers;
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    return PluginError("PLUGIN_PROVIDER_NOT_EXPORTED", path_,
                       "plugin '" + path_ + "' exports no table provider '" + name + "'");
  }
  if (module_->create_table_provider == nullptr) {
    return PluginError("PLUGIN_INVALID_MODULE", path_,
                       "plugin '" + path_ + "': create_table_provider is NULL");
  }
  CaTableProvider provider;
  std::memset(&provider, 0, sizeof(provider));
  CaPluginError error = NewError();
  int rc = module_->create_table_provider(name.c_str(), options_json.c_str(), &provider, &error);
  if (rc != CA_OK) {
    if (provider.release != nullptr) provider.release(&provider);
    return CallFailed(path_, "create_table_provider('" + name + "')", error);
  }
  return WrapPluginProvider(shared_from_this(), &provider, name);
}

}  // namespace codeanatomy::plugin_host
