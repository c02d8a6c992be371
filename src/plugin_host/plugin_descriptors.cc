#include "plugin_host/plugin_descriptors.h"

#include <cstddef>
#include <cstring>
#include <type_traits>

#include <arrow/util/utf8.h>

#include "functions/registry_snapshot.h"
#include "functions/registry_tables.h"
#include "plugin_host/plugin_values.h"

namespace codeanatomy::plugin_host {

namespace {

constexpr size_t kMaxDescriptorBytes = 1 << 16;

const char* VolatilityName(int32_t v) {
  switch (v) {
    case CA_VOLATILITY_STABLE:
      return "stable";
    case CA_VOLATILITY_VOLATILE:
      return "volatile";
    default:
      return "immutable";
  }
}

JsonValue Strings(const std::vector<std::string>& values) {
  JsonValue out = JsonValue::MakeArray();
  for (const auto& v : values) out.Append(v);
  return out;
}

/// What a function's ABI struct says of it, for descriptors of functions without
/// descriptor_json.
struct StructFacts {
  const char* kind;
  const char* name;
  const char* const* aliases;
  uint64_t n_aliases;
  const char* const* parameter_names;
  uint64_t n_parameter_names;
  int32_t volatility;
  const char* descriptor_json;  // NULL: none
};

/// One function's descriptor: its descriptor_json checked, or one made from its struct.
Result<JsonValue> Descriptor(const StructFacts& f, const std::string& path) {
  const std::string what = std::string(f.kind) + " udf";
  CA_ASSIGN_OR_RAISE(auto name, PluginString(f.name, path, (what + " name").c_str()));
  if (f.descriptor_json == nullptr) {
    CA_ASSIGN_OR_RAISE(auto aliases,
                       PluginStrings(f.aliases, f.n_aliases, path, (what + " aliases").c_str()));
    CA_ASSIGN_OR_RAISE(auto params, PluginStrings(f.parameter_names, f.n_parameter_names, path,
                                                  (what + " parameter names").c_str()));
    JsonValue d = JsonValue::MakeObject();
    d.Set("name", name)
        .Set("kind", f.kind)
        .Set("aliases", Strings(aliases))
        .Set("parameter_names", Strings(params))
        .Set("volatility", VolatilityName(f.volatility))
        .Set("signatures", JsonValue::MakeArray())
        .Set("variadic", false)
        .Set("return_type", "unknown")
        .Set("config_defaults", JsonValue::MakeObject());
    return d;
  }
  size_t n = strnlen(f.descriptor_json, kMaxDescriptorBytes);
  std::string_view text(f.descriptor_json, n);
  auto bad = [&](const std::string& why) {
    return PluginError("PLUGIN_BAD_RESULT", path,
                       "descriptor of " + what + " '" + name + "' " + why);
  };
  if (n == kMaxDescriptorBytes) return bad("is over 64 KiB");
  arrow::util::InitializeUTF8();
  if (!arrow::util::ValidateUTF8(reinterpret_cast<const uint8_t*>(text.data()),
                                 static_cast<int64_t>(n))) {
    return bad("is not valid UTF-8");
  }
  auto parsed = JsonValue::Parse(text);
  if (!parsed.ok()) return bad("is not JSON: " + parsed.status().message());
  if (!parsed->is_object()) return bad("is not a JSON object");
  const JsonValue* dn = parsed->Get("name");
  if (dn == nullptr || !dn->is_string() || dn->string_value() != name) {
    return bad("names another function");
  }
  const JsonValue* kind = parsed->Get("kind");
  if (kind == nullptr || !kind->is_string() || kind->string_value() != f.kind) {
    return bad("does not say kind \"" + std::string(f.kind) + "\"");
  }
  return std::move(*parsed);
}

/// The descriptors of a bundle's array of `T` (strided by the plugin's struct size), each
/// described by `facts`.
template <typename T, typename Facts>
Status AppendDescriptors(T* items, uint64_t n, size_t min_size, const std::string& path,
                         const char* what, Facts facts, std::vector<JsonValue>* out) {
  if (n == 0) return Status::OK();
  if (items == nullptr) {
    return PluginError("PLUGIN_BAD_RESULT", path,
                       std::string("udf bundle lists ") + what + "s but none");
  }
  CA_ASSIGN_OR_RAISE(auto stride, PluginStride(items, min_size, path, what));
  for (uint64_t i = 0; i < n; ++i) {
    auto item = CopyPluginStruct(PluginElement(items, stride, i));
    CA_ASSIGN_OR_RAISE(auto d, Descriptor(facts(item), path));
    out->push_back(std::move(d));
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<JsonValue>> PluginFunctionDescriptors(Plugin& plugin,
                                                         const std::string& options_json) {
  const CaPluginModule& module = plugin.module();
  if (module.udf_bundle_with_options == nullptr) return std::vector<JsonValue>{};
  CaUdfBundle bundle;
  std::memset(&bundle, 0, sizeof(bundle));
  CaPluginError error = NewError();
  int rc = module.udf_bundle_with_options(options_json.c_str(), &bundle, &error);
  // Every entry is released, then the bundle, whatever happens below.
  struct BundleGuard {
    CaUdfBundle* b;
    ~BundleGuard() {
      // Arrays are strided by the plugin's struct size (smaller for an older minor).
      auto release_all = [](auto* items, uint64_t n) {
        using T = std::remove_pointer_t<decltype(items)>;
        if (items == nullptr || n == 0 || items[0].struct_size < offsetof(T, private_data)) return;
        size_t stride = items[0].struct_size;
        for (uint64_t i = 0; i < n; ++i) {
          auto* item = PluginElement(items, stride, i);
          if (item->release != nullptr) item->release(item);
        }
      };
      release_all(b->scalar, b->n_scalar);
      release_all(b->aggregate, b->n_aggregate);
      release_all(b->window, b->n_window);
      release_all(b->table_functions, b->n_table_functions);
      if (b->release != nullptr) b->release(b);
    }
  } guard{&bundle};
  if (rc != CA_OK) return CallFailed(plugin.path(), "udf_bundle_with_options", error);
  if (bundle.struct_size < sizeof(CaUdfBundle)) {
    return PluginError("PLUGIN_STRUCT_TOO_SMALL", plugin.path(), "udf bundle struct is too small");
  }
  std::vector<JsonValue> out;
  const std::string& path = plugin.path();
  CA_RETURN_NOT_OK(AppendDescriptors(
      bundle.scalar, bundle.n_scalar, CA_SCALAR_UDF_SIZE_1_0, path, "scalar udf",
      [](const CaScalarUdf& u) {
        return StructFacts{"scalar",          u.name,
                           u.aliases,         u.n_aliases,
                           u.parameter_names, u.n_parameter_names,
                           u.volatility,      u.descriptor_json};
      },
      &out));
  // descriptor_json of aggregate and window functions is a 1.1 member: CopyPluginStruct leaves
  // it NULL for a 1.0 plugin, whose functions are then described by their structs.
  CA_RETURN_NOT_OK(AppendDescriptors(
      bundle.aggregate, bundle.n_aggregate, CA_AGGREGATE_UDF_SIZE_1_0, path, "aggregate udf",
      [](const CaAggregateUdf& u) {
        const char* json = CA_HAS_MEMBER(CaAggregateUdf, u.struct_size, descriptor_json)
                               ? u.descriptor_json
                               : nullptr;
        return StructFacts{"aggregate", u.name, u.aliases,    u.n_aliases,
                           nullptr,     0,      u.volatility, json};
      },
      &out));
  CA_RETURN_NOT_OK(AppendDescriptors(
      bundle.window, bundle.n_window, CA_WINDOW_UDF_SIZE_1_0, path, "window udf",
      [](const CaWindowUdf& u) {
        const char* json = CA_HAS_MEMBER(CaWindowUdf, u.struct_size, descriptor_json)
                               ? u.descriptor_json
                               : nullptr;
        return StructFacts{"window", u.name, u.aliases,    u.n_aliases,
                           nullptr,  0,      u.volatility, json};
      },
      &out));
  return out;
}

Status RecordPluginFunctions(Plugin& plugin, engine::SessionState* state,
                             const std::string& options_json) {
  CA_ASSIGN_OR_RAISE(auto descriptors, PluginFunctionDescriptors(plugin, options_json));
  auto catalog = functions::SessionFunctionCatalog(state);
  for (auto& d : descriptors) {
    auto put = catalog->Put(std::move(d));
    if (!put.ok()) {
      return PluginError("PLUGIN_BAD_RESULT", plugin.path(), put.message());
    }
  }
  return functions::RegisterRegistryTableFunctions(state);
}

}  // namespace codeanatomy::plugin_host
