#include "functions/registry_snapshot.h"

#include <algorithm>
#include <set>

#include "common/hash.h"
#include "engine/session_state.h"
#include "functions/registry_tables.h"
#include "functions/window_functions.h"

namespace codeanatomy::functions {

namespace {

constexpr const char* kKinds[] = {"scalar", "aggregate", "window", "table"};

Status BadDescriptor(const std::string& name, std::string_view member, const std::string& why) {
  return InvalidError(stage::kValidation, "INVALID_FUNCTION_DESCRIPTOR",
                      "function descriptor" + (name.empty() ? "" : " '" + name + "'") + ": " +
                          std::string(member) + " " + why,
                      "{\"function\":" + JsonQuote(name) + ",\"field\":" + JsonQuote(member) + "}");
}

/// Member `key` of `d`, required to have type `type` (any type when kNull is passed).
Result<const JsonValue*> Member(const JsonValue& d, const std::string& name, std::string_view key,
                                JsonType type) {
  const JsonValue* v = d.Get(key);
  if (v == nullptr) return BadDescriptor(name, key, "is missing");
  if (type != JsonType::kNull && v->type() != type) {
    return BadDescriptor(name, key,
                         "must be a " + std::string(JsonTypeName(type)) + ", got " +
                             std::string(JsonTypeName(v->type())));
  }
  return v;
}

/// `name` and `kind` of a descriptor, checked.
Result<std::pair<std::string, std::string>> NameAndKind(const JsonValue& d) {
  if (!d.is_object()) return BadDescriptor("", "$", "must be an object");
  CA_ASSIGN_OR_RAISE(auto name, Member(d, "", "name", JsonType::kString));
  if (name->string_value().empty()) return BadDescriptor("", "name", "must not be empty");
  CA_ASSIGN_OR_RAISE(auto kind, Member(d, name->string_value(), "kind", JsonType::kString));
  const std::string& k = kind->string_value();
  if (std::find(std::begin(kKinds), std::end(kKinds), k) == std::end(kKinds)) {
    return BadDescriptor(name->string_value(), "kind",
                         "must be scalar, aggregate, window or table, got '" + k + "'");
  }
  return std::make_pair(name->string_value(), k);
}

}  // namespace

Status FunctionCatalog::Put(JsonValue descriptor) {
  CA_ASSIGN_OR_RAISE(auto name_kind, NameAndKind(descriptor));
  std::lock_guard<std::mutex> lock(mutex_);
  by_name_[name_kind.first] = std::move(descriptor);
  return Status::OK();
}

std::vector<JsonValue> FunctionCatalog::Descriptors() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<JsonValue> out;
  out.reserve(by_name_.size());
  for (const auto& [name, d] : by_name_) out.push_back(d);
  return out;
}

std::shared_ptr<FunctionCatalog> SessionFunctionCatalog(engine::SessionState* state) {
  return state->Extension<FunctionCatalog>("functions.catalog");
}

std::vector<JsonValue> SessionDescriptors(engine::SessionState* state) {
  std::vector<JsonValue> out = SessionFunctionCatalog(state)->Descriptors();
  for (const auto& fn : state->table_functions().Functions()) {
    out.push_back(engine::TableFunctionDescriptor(*fn));
  }
  return out;
}

JsonValue DescriptorJson(const FunctionDescriptor& descriptor, const FunctionConfig& config) {
  JsonValue out = FunctionDescriptorsToJson({descriptor}).array_value()[0];
  JsonValue all = FunctionConfigToJson(config);
  JsonValue defaults = JsonValue::MakeObject();
  for (const auto& key : descriptor.config_keys) {
    const JsonValue* v = all.Get(key);
    defaults.Set(key, v != nullptr ? *v : JsonValue());
  }
  out.mutable_object().erase("config_keys");
  out.Set("config_defaults", std::move(defaults));
  return out;
}

Status InstallCodeanatomyBundle(engine::SessionState* state, const FunctionConfig& config) {
  CA_RETURN_NOT_OK(InstallCodeanatomyFunctions(state->registry(), config));
  auto catalog = SessionFunctionCatalog(state);
  for (const auto& d : CodeanatomyFunctions()) {
    CA_RETURN_NOT_OK(catalog->Put(DescriptorJson(d, config)));
  }
  // The window functions too (their aliases are installed apart, with the window operator):
  // the first-party plugin lists them, so the native snapshot does as well.
  for (const auto& d : WindowFunctionDescriptors()) {
    CA_RETURN_NOT_OK(catalog->Put(DescriptorJson(d, config)));
  }
  return RegisterRegistryTableFunctions(state);
}

std::string NamesHash(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  std::string text;
  for (const auto& n : names) {
    text += n;
    text.push_back('\0');
  }
  return Blake2bHex(text, 16);
}

Result<JsonValue> RegistrySnapshot(const std::vector<JsonValue>& descriptors) {
  std::map<std::string, const JsonValue*> by_name;
  for (const auto& d : descriptors) {
    CA_ASSIGN_OR_RAISE(auto name_kind, NameAndKind(d));
    if (!by_name.emplace(name_kind.first, &d).second) {
      return BadDescriptor(name_kind.first, "name", "appears twice");
    }
  }
  std::map<std::string, JsonValue> names_by_kind;
  for (const char* k : kKinds) names_by_kind[k] = JsonValue::MakeArray();
  JsonValue aliases = JsonValue::MakeObject(), parameter_names = JsonValue::MakeObject(),
            volatility = JsonValue::MakeObject(), signatures = JsonValue::MakeObject(),
            variadic = JsonValue::MakeArray(), return_types = JsonValue::MakeObject(),
            config_defaults = JsonValue::MakeObject();
  std::vector<std::string> names;
  for (const auto& [name, d] : by_name) {  // sorted by name
    names.push_back(name);
    names_by_kind[d->Get("kind")->string_value()].Append(name);
    CA_ASSIGN_OR_RAISE(auto a, Member(*d, name, "aliases", JsonType::kArray));
    for (const auto& alias : a->array_value()) {
      if (!alias.is_string()) return BadDescriptor(name, "aliases", "must hold strings");
      if (by_name.count(alias.string_value()) > 0 || aliases.Get(alias.string_value())) {
        return BadDescriptor(name, "aliases",
                             "'" + alias.string_value() + "' names another function too");
      }
      aliases.Set(alias.string_value(), name);
    }
    CA_ASSIGN_OR_RAISE(auto p, Member(*d, name, "parameter_names", JsonType::kArray));
    parameter_names.Set(name, *p);
    CA_ASSIGN_OR_RAISE(auto v, Member(*d, name, "volatility", JsonType::kString));
    volatility.Set(name, *v);
    CA_ASSIGN_OR_RAISE(auto s, Member(*d, name, "signatures", JsonType::kArray));
    signatures.Set(name, *s);
    if (const JsonValue* var = d->Get("variadic");
        var != nullptr && var->is_bool() && var->bool_value()) {
      variadic.Append(name);
    }
    CA_ASSIGN_OR_RAISE(auto r, Member(*d, name, "return_type", JsonType::kString));
    return_types.Set(name, *r);
    if (const JsonValue* c = d->Get("config_defaults"); c != nullptr) {
      if (!c->is_object()) return BadDescriptor(name, "config_defaults", "must be an object");
      if (!c->object_value().empty()) config_defaults.Set(name, *c);
    }
  }
  JsonValue out = JsonValue::MakeObject();
  out.Set("version", kRegistrySnapshotVersion);
  for (auto& [kind, list] : names_by_kind) out.Set(kind, std::move(list));
  out.Set("aliases", std::move(aliases))
      .Set("parameter_names", std::move(parameter_names))
      .Set("volatility", std::move(volatility))
      .Set("signatures", std::move(signatures))
      .Set("variadic", std::move(variadic))
      .Set("return_types", std::move(return_types))
      .Set("config_defaults", std::move(config_defaults))
      .Set("names_hash", NamesHash(std::move(names)));
  std::string hash = Blake2bHex(out.ToJson(), 32);
  out.Set("snapshot_hash", std::move(hash));
  return out;
}

}  // namespace codeanatomy::functions
