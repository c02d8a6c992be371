#include "plugin_host/plugin_aggregate.h"

#include <cstring>
#include <map>
#include <mutex>
#include <utility>

#include <arrow/c/bridge.h>

#include "plugin_host/plugin_host.h"
#include "plugin_host/plugin_values.h"

namespace codeanatomy::plugin_host {

namespace {

using functions::ArrayList;
using functions::TypeList;

// The most state arrays an aggregate may declare.
constexpr int64_t kMaxState = 64;

std::vector<arrow::TypeHolder> Holders(const TypeList& types) {
  return std::vector<arrow::TypeHolder>(types.begin(), types.end());
}

// Arrays lent for one call: released when the call is over.
struct LentArrays {
  std::vector<ArrowArray> arrays;
  std::vector<ArrowArray*> pointers;
  ~LentArrays() {
    for (auto& a : arrays) {
      if (a.release != nullptr) a.release(&a);
    }
  }
  Status Export(const ArrayList& values) {
    arrays.resize(values.size());
    for (auto& a : arrays) a.release = nullptr;
    for (size_t i = 0; i < values.size(); ++i) {
      CA_RETURN_NOT_OK(arrow::ExportArray(*values[i], &arrays[i]));
      pointers.push_back(&arrays[i]);
    }
    return Status::OK();
  }
};

// Arrays the plugin handed over: each released unless imported.
struct ReturnedArrays {
  std::vector<ArrowArray> arrays;
  explicit ReturnedArrays(size_t n) : arrays(n) {
    for (auto& a : arrays) a.release = nullptr;
  }
  ~ReturnedArrays() {
    for (auto& a : arrays) {
      if (a.release != nullptr) a.release(&a);
    }
  }
};

// An untyped plugin failure happened while executing a query: stage "execution".
Status ExecutionFailure(Status st) {
  ErrorInfo info = DescribeError(st);
  if (info.stage != stage::kPlugin) return st;
  return EngineError(st.code(), stage::kExecution, info.code, info.message, info.details_json);
}

std::string KeyOf(const TypeList& types) {
  std::string key;
  for (const auto& t : types) key += t->fingerprint() + '\x1f';
  return key;
}

/// One plugin aggregate, shared by its spec's functions and accumulators; keeps the library
/// loaded and releases the struct with the last of them.
class AggregateBridge {
 public:
  AggregateBridge(std::shared_ptr<Plugin> plugin, const CaAggregateUdf& udf)
      : plugin_(std::move(plugin)), udf_(udf) {}
  ~AggregateBridge() {
    if (udf_.release != nullptr) udf_.release(&udf_);
  }

  /// Checks the struct and copies its name, aliases and parameter names.
  Status Validate() {
    const std::string& path = plugin_->path();
    if (udf_.struct_size < CA_AGGREGATE_UDF_SIZE_1_0) {
      return PluginError("PLUGIN_STRUCT_TOO_SMALL", path, "aggregate udf struct is too small");
    }
    CA_ASSIGN_OR_RAISE(name_, PluginString(udf_.name, path, "aggregate udf name"));
    CA_ASSIGN_OR_RAISE(aliases_,
                       PluginStrings(udf_.aliases, udf_.n_aliases, path, "aggregate udf aliases"));
    if (udf_.return_type == nullptr || udf_.state_types == nullptr ||
        udf_.new_accumulator == nullptr) {
      return PluginError("PLUGIN_INVALID_MODULE", path,
                         "aggregate udf '" + name_ + "' has a NULL function pointer");
    }
    params_ = {"value"};
    if (CA_HAS_MEMBER(CaAggregateUdf, udf_.struct_size, descriptor_json) &&
        udf_.descriptor_json != nullptr) {
      // Malformed descriptors are reported with the registry snapshot; here they only lack
      // parameter names.
      auto parsed = JsonValue::Parse(
          std::string_view(udf_.descriptor_json, strnlen(udf_.descriptor_json, size_t{1} << 16)));
      const JsonValue* names = parsed.ok() ? parsed->Get("parameter_names") : nullptr;
      if (names != nullptr && names->is_array()) {
        std::vector<std::string> params;
        for (const auto& n : names->array_value()) {
          if (n.is_string()) params.push_back(n.string_value());
        }
        if (params.size() == names->array_value().size()) params_ = std::move(params);
      }
    }
    return Status::OK();
  }

  const std::string& name() const { return name_; }
  const std::vector<std::string>& aliases() const { return aliases_; }
  const std::vector<std::string>& params() const { return params_; }
  const std::string& path() const { return plugin_->path(); }
  const CaAggregateUdf& udf() const { return udf_; }

  /// The result type for `types`, asked of the plugin once per signature.
  Result<std::shared_ptr<arrow::DataType>> ReturnType(const TypeList& types) {
    std::string key = KeyOf(types);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (auto it = return_types_.find(key); it != return_types_.end()) return it->second;
    }
    ExportedSchemas exported;
    CA_RETURN_NOT_OK(exported.Export(Holders(types)));
    ArrowSchema out;
    out.release = nullptr;
    CaPluginError error = NewError();
    int rc =
        udf_.return_type(&udf_, exported.data(), static_cast<int64_t>(types.size()), &out, &error);
    if (rc != CA_OK) {
      if (out.release != nullptr) out.release(&out);
      return CallFailed(path(), "return_type of aggregate function '" + name_ + "'", error);
    }
    if (out.release == nullptr) {
      return PluginError("PLUGIN_BAD_RESULT", path(),
                         "return_type of aggregate function '" + name_ + "' returned no type");
    }
    auto type = arrow::ImportType(&out);  // releases `out` either way
    if (!type.ok()) {
      return PluginError("PLUGIN_BAD_RESULT", path(),
                         "return_type of aggregate function '" + name_ +
                             "' returned an invalid type: " + type.status().message());
    }
    std::lock_guard<std::mutex> lock(mutex_);
    return_types_.emplace(std::move(key), *type);
    return *type;
  }

  /// The state's types for `types`, asked of the plugin once per signature.
  Result<TypeList> StateTypes(const TypeList& types) {
    std::string key = KeyOf(types);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (auto it = state_types_.find(key); it != state_types_.end()) return it->second;
    }
    ExportedSchemas exported;
    CA_RETURN_NOT_OK(exported.Export(Holders(types)));
    std::vector<ArrowSchema> out(static_cast<size_t>(kMaxState));
    for (auto& s : out) s.release = nullptr;
    auto release_all = [&] {
      for (auto& s : out) {
        if (s.release != nullptr) s.release(&s);
      }
    };
    int64_t n_state = -1;
    CaPluginError error = NewError();
    int rc = udf_.state_types(&udf_, exported.data(), static_cast<int64_t>(types.size()),
                              out.data(), kMaxState, &n_state, &error);
    if (rc != CA_OK) {
      release_all();
      return CallFailed(path(), "state_types of aggregate function '" + name_ + "'", error);
    }
    if (n_state < 0 || n_state > kMaxState) {
      release_all();
      return PluginError("PLUGIN_BAD_RESULT", path(),
                         "state_types of aggregate function '" + name_ + "' returned " +
                             std::to_string(n_state) + " types (at most " +
                             std::to_string(kMaxState) + ")");
    }
    TypeList states;
    Status bad = Status::OK();
    for (int64_t i = 0; i < n_state && bad.ok(); ++i) {
      if (out[i].release == nullptr) {
        bad = PluginError("PLUGIN_BAD_RESULT", path(),
                          "state_types of aggregate function '" + name_ + "' returned no type " +
                              std::to_string(i));
        break;
      }
      auto type = arrow::ImportType(&out[i]);  // releases it either way
      if (!type.ok()) {
        bad = PluginError("PLUGIN_BAD_RESULT", path(),
                          "state_types of aggregate function '" + name_ +
                              "' returned an invalid type: " + type.status().message());
      } else {
        states.push_back(std::move(*type));
      }
    }
    release_all();  // any the plugin wrote beyond n_state, or left after a failure
    CA_RETURN_NOT_OK(bad);
    std::lock_guard<std::mutex> lock(mutex_);
    state_types_.emplace(std::move(key), states);
    return states;
  }

 private:
  std::shared_ptr<Plugin> plugin_;
  CaAggregateUdf udf_;  // owned: released with the bridge
  std::string name_;
  std::vector<std::string> aliases_;
  std::vector<std::string> params_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<arrow::DataType>> return_types_;
  std::map<std::string, TypeList> state_types_;
};

/// One group's state, held by the plugin. A failure to make it (the adaptors' make_accumulator
/// cannot fail) is reported by the first call.
class PluginAccumulator final : public functions::AggregateAccumulator {
 public:
  PluginAccumulator(std::shared_ptr<AggregateBridge> bridge, TypeList arg_types)
      : bridge_(std::move(bridge)), arg_types_(std::move(arg_types)) {
    std::memset(&acc_, 0, sizeof(acc_));
    created_ = Create();
  }
  ~PluginAccumulator() override {
    if (acc_.release != nullptr) acc_.release(&acc_);
  }

  Status Update(const ArrayList& args) override {
    CA_RETURN_NOT_OK(created_);
    if (args.empty() || args[0]->length() == 0) return Status::OK();
    ExportedSchemas types;
    CA_RETURN_NOT_OK(types.Export(Holders(arg_types_)));
    LentArrays lent;
    CA_RETURN_NOT_OK(lent.Export(args));
    CaPluginError error = NewError();
    int rc = acc_.update(&acc_, types.data(), lent.pointers.data(),
                         static_cast<int64_t>(args.size()), args[0]->length(), &error);
    if (rc != CA_OK) return Failed("update", error);
    return Status::OK();
  }

  Result<ArrayList> State() const override {
    CA_RETURN_NOT_OK(created_);
    ReturnedArrays out(state_types_.size());
    CaPluginError error = NewError();
    int rc = acc_.state(&acc_, out.arrays.data(), static_cast<int64_t>(out.arrays.size()), &error);
    if (rc != CA_OK) return Failed("state", error);
    ArrayList states;
    for (size_t i = 0; i < out.arrays.size(); ++i) {
      CA_ASSIGN_OR_RAISE(auto array, ImportOneRow(&out.arrays[i], state_types_[i], "state"));
      states.push_back(std::move(array));
    }
    return states;
  }

  Status Merge(const ArrayList& states) override {
    CA_RETURN_NOT_OK(created_);
    if (states.size() != state_types_.size()) {
      return BadResult("merge got " + std::to_string(states.size()) + " state arrays, not " +
                       std::to_string(state_types_.size()));
    }
    if (states.empty() || states[0]->length() == 0) return Status::OK();
    LentArrays lent;
    CA_RETURN_NOT_OK(lent.Export(states));
    CaPluginError error = NewError();
    int rc = acc_.merge(&acc_, lent.pointers.data(), static_cast<int64_t>(states.size()), &error);
    if (rc != CA_OK) return Failed("merge", error);
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::Array>> Finalize() override {
    CA_RETURN_NOT_OK(created_);
    ReturnedArrays out(1);
    CaPluginError error = NewError();
    int rc = acc_.finalize(&acc_, out.arrays.data(), &error);
    if (rc != CA_OK) return Failed("finalize", error);
    return ImportOneRow(&out.arrays[0], return_type_, "finalize");
  }

 private:
  Status Create() {
    AggregateBridge& b = *bridge_;
    CA_ASSIGN_OR_RAISE(return_type_, b.ReturnType(arg_types_));
    CA_ASSIGN_OR_RAISE(state_types_, b.StateTypes(arg_types_));
    ExportedSchemas types;
    CA_RETURN_NOT_OK(types.Export(Holders(arg_types_)));
    CaPluginError error = NewError();
    const CaAggregateUdf& udf = b.udf();
    int rc = udf.new_accumulator(&udf, types.data(), static_cast<int64_t>(arg_types_.size()), &acc_,
                                 &error);
    if (rc != CA_OK) {
      if (acc_.release != nullptr) acc_.release(&acc_);
      acc_.release = nullptr;
      return Failed("new_accumulator", error);
    }
    if (acc_.release == nullptr) return BadResult("new_accumulator returned no accumulator");
    if (acc_.struct_size < sizeof(CaAccumulator)) {
      return PluginError("PLUGIN_STRUCT_TOO_SMALL", b.path(),
                         "accumulator of aggregate function '" + b.name() + "' is too small");
    }
    if (acc_.update == nullptr || acc_.state == nullptr || acc_.merge == nullptr ||
        acc_.finalize == nullptr) {
      return PluginError(
          "PLUGIN_INVALID_MODULE", b.path(),
          "accumulator of aggregate function '" + b.name() + "' has a NULL function pointer");
    }
    return Status::OK();
  }

  Status Failed(const char* call, const CaPluginError& error) const {
    return ExecutionFailure(
        CallFailed(bridge_->path(),
                   std::string(call) + " of aggregate function '" + bridge_->name() + "'", error));
  }

  Status BadResult(const std::string& why) const {
    return PluginError("PLUGIN_BAD_RESULT", bridge_->path(),
                       "aggregate function '" + bridge_->name() + "': " + why);
  }

  /// A one-row array of `type` the plugin handed over (released either way).
  Result<std::shared_ptr<arrow::Array>> ImportOneRow(ArrowArray* array,
                                                     const std::shared_ptr<arrow::DataType>& type,
                                                     const char* call) const {
    if (array->release == nullptr) return BadResult(std::string(call) + " returned no array");
    if (array->length != 1) {
      int64_t got = array->length;
      array->release(array);
      return BadResult(std::string(call) + " returned " + std::to_string(got) + " rows, not one");
    }
    auto imported = arrow::ImportArray(array, type);  // releases `array` either way
    Status valid = imported.ok() ? (*imported)->ValidateFull() : imported.status();
    if (!valid.ok()) {
      return BadResult(std::string(call) + " returned an invalid " + type->ToString() +
                       " array: " + valid.message());
    }
    return *imported;
  }

  std::shared_ptr<AggregateBridge> bridge_;
  TypeList arg_types_;
  std::shared_ptr<arrow::DataType> return_type_;
  TypeList state_types_;
  mutable CaAccumulator acc_;  // owned; the ABI's state() takes a non-const accumulator
  Status created_;
};

}  // namespace

Result<functions::AggregateSpec> BridgeAggregateUdf(std::shared_ptr<Plugin> plugin,
                                                    CaAggregateUdf* udf) {
  if (udf->struct_size < CA_AGGREGATE_UDF_SIZE_1_0) {
    // Not taken: a struct this small does not say it has a release member.
    return PluginError("PLUGIN_STRUCT_TOO_SMALL", plugin->path(),
                       "aggregate udf struct is too small");
  }
  auto bridge = std::make_shared<AggregateBridge>(std::move(plugin), CopyPluginStruct(udf));
  udf->release = nullptr;  // taken: released by the bridge
  CA_RETURN_NOT_OK(bridge->Validate());
  functions::AggregateSpec spec;
  spec.name = bridge->name();
  spec.aliases = bridge->aliases();
  for (const auto& p : bridge->params()) spec.params.push_back({p, "unknown"});
  spec.return_type_name = "unknown";
  spec.doc = "Plugin aggregate from " + bridge->path();
  spec.return_type = [bridge](const TypeList& types) { return bridge->ReturnType(types); };
  spec.state_types = [bridge](const TypeList& types) {
    auto states = bridge->StateTypes(types);  // a failure shows when an accumulator is made
    return states.ok() ? *states : TypeList{};
  };
  spec.make_accumulator = [bridge](const TypeList& types) {
    return std::unique_ptr<functions::AggregateAccumulator>(
        std::make_unique<PluginAccumulator>(bridge, types));
  };
  return spec;
}

Status RegisterAggregateSpec(arrow::compute::FunctionRegistry* registry,
                             const functions::AggregateSpec& spec) {
  std::vector<std::string> names = {spec.name};
  names.insert(names.end(), spec.aliases.begin(), spec.aliases.end());
  for (const auto& name : names) {
    CA_ASSIGN_OR_RAISE(auto ungrouped, functions::MakeScalarAggregateFunction(spec, name));
    CA_RETURN_NOT_OK(registry->AddFunction(std::move(ungrouped), /*allow_overwrite=*/true));
    CA_ASSIGN_OR_RAISE(auto grouped, functions::MakeHashAggregateFunction(spec, name));
    CA_RETURN_NOT_OK(registry->AddFunction(std::move(grouped), /*allow_overwrite=*/true));
  }
  return Status::OK();
}

}  // namespace codeanatomy::plugin_host
