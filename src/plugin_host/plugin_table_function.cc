#include "plugin_host/plugin_table_function.h"

#include <cstring>
#include <vector>

#include <arrow/array/util.h>
#include <arrow/c/bridge.h>

#include "plugin_host/plugin_host.h"
#include "plugin_host/plugin_provider.h"
#include "plugin_host/plugin_values.h"

namespace codeanatomy::plugin_host {

namespace {

struct TableFunctionBridge {
  std::shared_ptr<Plugin> plugin;
  CaTableFunction fn;  // owned: released with the bridge
  std::string name;
  ~TableFunctionBridge() {
    if (fn.release != nullptr) fn.release(&fn);
  }
};

Result<std::shared_ptr<engine::TableProvider>> CallBridge(const TableFunctionBridge& b,
                                                          const engine::TableFunctionArgs& args) {
  const std::string& path = b.plugin->path();
  std::vector<ArrowSchema> types(args.size());
  std::vector<ArrowArray> values(args.size());
  for (auto& t : types) t.release = nullptr;
  for (auto& v : values) v.release = nullptr;
  auto release_all = [&] {
    for (auto& t : types) {
      if (t.release != nullptr) t.release(&t);
    }
    for (auto& v : values) {
      if (v.release != nullptr) v.release(&v);
    }
  };
  std::vector<ArrowSchema*> type_pointers;
  std::vector<ArrowArray*> value_pointers;
  Status exported = Status::OK();
  for (size_t i = 0; i < args.size() && exported.ok(); ++i) {
    auto array = arrow::MakeArrayFromScalar(*args[i], 1);
    exported = array.ok() ? arrow::ExportType(*args[i]->type, &types[i]) : array.status();
    if (exported.ok()) exported = arrow::ExportArray(**array, &values[i]);
    type_pointers.push_back(&types[i]);
    value_pointers.push_back(&values[i]);
  }
  if (!exported.ok()) {
    release_all();
    return exported;
  }
  CaTableProvider provider;
  std::memset(&provider, 0, sizeof(provider));
  CaPluginError error = NewError();
  int rc = b.fn.call(&b.fn, type_pointers.data(), value_pointers.data(),
                     static_cast<int64_t>(args.size()), &provider, &error);
  release_all();  // lent for the call only
  if (rc != CA_OK) {
    if (provider.release != nullptr) provider.release(&provider);
    return CallFailed(path, "table function '" + b.name + "'", error);
  }
  if (provider.release == nullptr) {
    return PluginError("PLUGIN_BAD_RESULT", path,
                       "table function '" + b.name + "' returned no table provider");
  }
  return WrapPluginProvider(b.plugin, &provider, b.name);
}

}  // namespace

Result<engine::TableFunction> BridgeTableFunction(std::shared_ptr<Plugin> plugin,
                                                  CaTableFunction* entry) {
  auto bridge = std::make_shared<TableFunctionBridge>();
  bridge->plugin = std::move(plugin);
  bridge->fn = CopyPluginStruct(entry);
  entry->release = nullptr;  // taken: released by the bridge
  const std::string& path = bridge->plugin->path();
  CA_ASSIGN_OR_RAISE(bridge->name, PluginString(bridge->fn.name, path, "table function name"));
  if (bridge->fn.call == nullptr) {
    return PluginError("PLUGIN_INVALID_MODULE", path,
                       "table function '" + bridge->name + "' has a NULL call");
  }
  engine::TableFunction out;
  out.name = bridge->name;
  out.any_arguments = true;
  if (CA_HAS_MEMBER(CaTableFunction, bridge->fn.struct_size, descriptor_json) &&
      bridge->fn.descriptor_json != nullptr) {
    CA_ASSIGN_OR_RAISE(auto text,
                       PluginString(bridge->fn.descriptor_json, path, "table function descriptor"));
    auto bad = [&](const std::string& why) {
      return PluginError("PLUGIN_BAD_RESULT", path,
                         "table function '" + bridge->name + "': descriptor " + why);
    };
    auto json = JsonValue::Parse(text);
    if (!json.ok()) return bad("is not JSON: " + json.status().message());
    auto described = engine::TableFunctionFromDescriptor(*json);
    if (!described.ok()) return bad(described.status().message());
    if (described->name != bridge->name) {
      return bad("names '" + described->name + "', not '" + bridge->name + "'");
    }
    out = std::move(*described);
  } else {
    out.doc = "Table function from plugin " + path;
  }
  out.invoke = [bridge](const engine::TableFunctionArgs& args) {
    return CallBridge(*bridge, args);
  };
  return out;
}

}  // namespace codeanatomy::plugin_host
