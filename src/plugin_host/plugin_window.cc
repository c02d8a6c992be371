#include "plugin_host/plugin_window.h"

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <arrow/c/bridge.h>

#include "plugin_host/plugin_host.h"
#include "plugin_host/plugin_values.h"

namespace codeanatomy::plugin_host {

namespace {

// Schemas and arrays exported for one call; whatever the plugin did not take is released when
// the call is over.
struct ExportedArgs {
  ExportedSchemas types;
  std::vector<ArrowArray> arrays;
  std::vector<ArrowArray*> array_pointers;

  ~ExportedArgs() {
    for (auto& a : arrays) {
      if (a.release != nullptr) a.release(&a);
    }
  }

  Status ExportTypes(const std::vector<std::shared_ptr<arrow::DataType>>& values) {
    return types.Export(std::vector<arrow::TypeHolder>(values.begin(), values.end()));
  }

  Status ExportArrays(const std::vector<std::shared_ptr<arrow::Array>>& values) {
    arrays.resize(values.size());
    for (auto& a : arrays) a.release = nullptr;
    for (size_t i = 0; i < values.size(); ++i) {
      CA_RETURN_NOT_OK(arrow::ExportArray(*values[i], &arrays[i]));
      array_pointers.push_back(&arrays[i]);
    }
    return Status::OK();
  }
};

class PluginWindowUdf final : public engine::WindowUdf {
 public:
  PluginWindowUdf(std::shared_ptr<Plugin> plugin, const CaWindowUdf& udf)
      : plugin_(std::move(plugin)), udf_(udf) {}
  ~PluginWindowUdf() override {
    if (udf_.release != nullptr) udf_.release(&udf_);
  }

  /// Checks the struct and copies its name and aliases.
  Status Validate() {
    const std::string& path = plugin_->path();
    if (udf_.struct_size < CA_WINDOW_UDF_SIZE_1_0) {
      return PluginError("PLUGIN_STRUCT_TOO_SMALL", path, "window udf struct is too small");
    }
    CA_ASSIGN_OR_RAISE(name_, PluginString(udf_.name, path, "window udf name"));
    CA_ASSIGN_OR_RAISE(aliases_,
                       PluginStrings(udf_.aliases, udf_.n_aliases, path, "window udf aliases"));
    if (udf_.return_type == nullptr || udf_.evaluate_partition == nullptr) {
      return PluginError("PLUGIN_INVALID_MODULE", path,
                         "window udf '" + name_ + "' has a NULL function pointer");
    }
    return Status::OK();
  }

  const std::string& name() const override { return name_; }
  const std::vector<std::string>& aliases() const override { return aliases_; }

  Result<std::shared_ptr<arrow::Field>> ReturnField(
      const std::vector<std::shared_ptr<arrow::DataType>>& arg_types) const override {
    // Asked of the plugin once per signature, not per partition.
    std::string key;
    for (const auto& t : arg_types) key += t->fingerprint() + '\x1f';
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (auto it = return_fields_.find(key); it != return_fields_.end()) return it->second;
    }
    CA_ASSIGN_OR_RAISE(auto field, AskReturnField(arg_types));
    std::lock_guard<std::mutex> lock(mutex_);
    return_fields_.emplace(std::move(key), field);
    return field;
  }

  Result<std::shared_ptr<arrow::Array>> EvaluatePartition(
      const std::vector<std::shared_ptr<arrow::Array>>& args, int64_t num_rows,
      const int64_t* frame_start, const int64_t* frame_end) const override {
    const std::string& path = plugin_->path();
    std::vector<std::shared_ptr<arrow::DataType>> types;
    for (const auto& a : args) types.push_back(a->type());
    CA_ASSIGN_OR_RAISE(auto field, ReturnField(types));
    const auto& type = field->type();
    ArrowArray result;
    result.release = nullptr;
    CaPluginError error = NewError();
    int rc;
    {
      ExportedArgs exported;  // lent for the call: released right after it
      CA_RETURN_NOT_OK(exported.ExportTypes(types));
      CA_RETURN_NOT_OK(exported.ExportArrays(args));
      rc = udf_.evaluate_partition(&udf_, exported.types.data(), exported.array_pointers.data(),
                                   static_cast<int64_t>(args.size()), num_rows, frame_start,
                                   frame_end, &result, &error);
    }
    if (rc != CA_OK) {
      if (result.release != nullptr) result.release(&result);
      return ExecutionFailure(CallFailed(path, "window function '" + name_ + "'", error));
    }
    if (result.release == nullptr) {
      return PluginError("PLUGIN_BAD_RESULT", path,
                         "window function '" + name_ + "' returned no array");
    }
    if (result.length != num_rows) {
      int64_t got = result.length;
      result.release(&result);
      return PluginError("PLUGIN_BAD_RESULT", path,
                         "window function '" + name_ + "' returned " + std::to_string(got) +
                             " rows for a partition of " + std::to_string(num_rows));
    }
    auto imported = arrow::ImportArray(&result, type);  // releases `result` either way
    Status valid = imported.ok() ? (*imported)->ValidateFull() : imported.status();
    if (!valid.ok()) {
      return PluginError("PLUGIN_BAD_RESULT", path,
                         "window function '" + name_ + "' returned an invalid " + type->ToString() +
                             " array: " + valid.message());
    }
    if (!field->nullable() && (*imported)->null_count() > 0) {
      return PluginError("PLUGIN_BAD_RESULT", path,
                         "window function '" + name_ + "' returned nulls for a non-nullable " +
                             type->ToString() + " result");
    }
    return *imported;
  }

 private:
  Result<std::shared_ptr<arrow::Field>> AskReturnField(
      const std::vector<std::shared_ptr<arrow::DataType>>& arg_types) const {
    const std::string& path = plugin_->path();
    ExportedArgs exported;
    CA_RETURN_NOT_OK(exported.ExportTypes(arg_types));
    ArrowSchema out;
    out.release = nullptr;
    CaPluginError error = NewError();
    int rc = udf_.return_type(&udf_, exported.types.data(), static_cast<int64_t>(arg_types.size()),
                              &out, &error);
    if (rc != CA_OK) {
      if (out.release != nullptr) out.release(&out);
      return CallFailed(path, "return_type of window function '" + name_ + "'", error);
    }
    if (out.release == nullptr) {
      return PluginError("PLUGIN_BAD_RESULT", path,
                         "return_type of window function '" + name_ + "' returned no type");
    }
    auto field = arrow::ImportField(&out);  // releases `out` either way
    if (!field.ok()) {
      return PluginError("PLUGIN_BAD_RESULT", path,
                         "return_type of window function '" + name_ +
                             "' returned an invalid type: " + field.status().message());
    }
    return *field;
  }

  // An untyped plugin failure happened while executing a query: stage "execution".
  static Status ExecutionFailure(Status st) {
    ErrorInfo info = DescribeError(st);
    if (info.stage != stage::kPlugin) return st;
    return EngineError(st.code(), stage::kExecution, info.code, info.message, info.details_json);
  }

  std::shared_ptr<Plugin> plugin_;
  CaWindowUdf udf_;  // owned: released with the bridge
  std::string name_;
  std::vector<std::string> aliases_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::shared_ptr<arrow::Field>> return_fields_;
};

}  // namespace

Result<std::shared_ptr<const engine::WindowUdf>> BridgeWindowUdf(std::shared_ptr<Plugin> plugin,
                                                                 CaWindowUdf* udf) {
  // A struct below the 1.0 size may not even have `release`: refused and left to the
  // bundle's release, not taken.
  if (udf->struct_size < CA_WINDOW_UDF_SIZE_1_0) {
    return PluginError("PLUGIN_STRUCT_TOO_SMALL", plugin->path(), "window udf struct is too small");
  }
  // A copy of what the plugin's struct has (a 1.0 plugin's lacks descriptor_json).
  auto bridge = std::make_shared<PluginWindowUdf>(std::move(plugin), CopyPluginStruct(udf));
  udf->release = nullptr;  // taken: released by the bridge
  CA_RETURN_NOT_OK(bridge->Validate());
  return std::shared_ptr<const engine::WindowUdf>(std::move(bridge));
}

}  // namespace codeanatomy::plugin_host
