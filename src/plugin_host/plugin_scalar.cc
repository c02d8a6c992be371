#include "plugin_host/plugin_scalar.h"

#include <map>
#include <mutex>
#include <optional>

#include <arrow/array/util.h>
#include <arrow/c/bridge.h>
#include <arrow/compute/api.h>

#include "engine/bind_time_arguments.h"
#include "plugin_host/plugin_values.h"

namespace codeanatomy::plugin_host {

namespace cp = arrow::compute;

namespace {}  // namespace

struct ScalarBridge {
  std::shared_ptr<Plugin> plugin;
  CaScalarUdf udf;  // owned: released with the bridge
  std::string name;
  // Result types by argument types: asked of the plugin once per signature, not per batch.
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<arrow::DataType>> return_types;
  ~ScalarBridge() {
    if (udf.release != nullptr) udf.release(&udf);
  }
};

namespace {

struct BridgeState : public cp::KernelState {
  std::shared_ptr<ScalarBridge> bridge;
  // For a function with return_type_with_constants: the call's constants and field metadata.
  std::optional<engine::BindTimeArguments> bound;
  // The call's result type, resolved once when the kernel is initialized for the call (never
  // written after: the state is shared by every execution, on any thread), so batches pay no
  // type lookup.
  std::shared_ptr<arrow::DataType> result_type;
};

bool WantsConstants(const ScalarBridge& b) {
  return CA_HAS_MEMBER(CaScalarUdf, b.udf.struct_size, return_type_with_constants) &&
         b.udf.return_type_with_constants != nullptr;
}

// The plugin's result type; with `bound` (and return_type_with_constants) given the call's
// constants and field metadata.
Result<std::shared_ptr<arrow::DataType>> AskReturnType(
    const ScalarBridge& b, const std::vector<arrow::TypeHolder>& types,
    const engine::BindTimeArguments* bound = nullptr) {
  ExportedSchemas exported;
  CA_RETURN_NOT_OK(exported.Export(types, bound != nullptr ? &bound->metadata : nullptr));
  ArrowSchema out;
  out.release = nullptr;
  CaPluginError error = NewError();
  int rc = CA_ERR_INTERNAL;
  if (bound != nullptr) {
    std::vector<ArrowArray> constants(types.size());
    std::vector<ArrowArray*> pointers(types.size(), nullptr);
    for (auto& c : constants) c.release = nullptr;
    Status exported_all = Status::OK();
    for (size_t i = 0; i < types.size() && exported_all.ok(); ++i) {
      auto value = bound->constant(i);
      if (value == nullptr) continue;
      auto array = arrow::MakeArrayFromScalar(*value, 1);
      exported_all = array.ok() ? arrow::ExportArray(**array, &constants[i]) : array.status();
      if (exported_all.ok()) pointers[i] = &constants[i];
    }
    if (exported_all.ok()) {
      rc = b.udf.return_type_with_constants(&b.udf, exported.data(), pointers.data(),
                                            static_cast<int64_t>(types.size()), &out, &error);
    }
    for (auto& c : constants) {
      if (c.release != nullptr) c.release(&c);
    }
    CA_RETURN_NOT_OK(exported_all);
  } else {
    rc = b.udf.return_type(&b.udf, exported.data(), exported.size(), &out, &error);
  }
  if (rc != CA_OK) {
    if (out.release != nullptr) out.release(&out);
    return CallFailed(b.plugin->path(), "return_type of '" + b.name + "'", error);
  }
  if (out.release == nullptr) {
    return PluginError("PLUGIN_BAD_RESULT", b.plugin->path(),
                       "return_type of '" + b.name + "' returned no type");
  }
  auto type = arrow::ImportType(&out);
  if (!type.ok()) {
    return PluginError(
        "PLUGIN_BAD_RESULT", b.plugin->path(),
        "return_type of '" + b.name + "' returned an invalid type: " + type.status().message());
  }
  return *type;
}

Result<std::shared_ptr<arrow::DataType>> ReturnType(ScalarBridge& b,
                                                    const std::vector<arrow::TypeHolder>& types) {
  std::string key;
  for (const auto& t : types) key += t.type->fingerprint() + '\x1f';
  {
    std::lock_guard<std::mutex> lock(b.mutex);
    if (auto it = b.return_types.find(key); it != b.return_types.end()) return it->second;
  }
  CA_ASSIGN_OR_RAISE(auto type, AskReturnType(b, types));
  std::lock_guard<std::mutex> lock(b.mutex);
  b.return_types.emplace(std::move(key), type);
  return type;
}

Result<arrow::TypeHolder> ResolveBridge(cp::KernelContext* ctx,
                                        const std::vector<arrow::TypeHolder>& types) {
  // The state is the call's, shared by every execution of it (Arrow resolves the type again
  // each time an expression runs, on any thread): read it, never write it here.
  const auto* state = static_cast<const BridgeState*>(ctx->state());
  auto& bridge = *state->bridge;
  if (state->result_type != nullptr) return arrow::TypeHolder(state->result_type);
  if (state->bound.has_value()) {
    CA_ASSIGN_OR_RAISE(auto type, AskReturnType(bridge, types, &*state->bound));
    return arrow::TypeHolder(std::move(type));
  }
  CA_ASSIGN_OR_RAISE(auto type, ReturnType(bridge, types));
  return arrow::TypeHolder(std::move(type));
}

Result<std::unique_ptr<cp::KernelState>> InitBridge(std::shared_ptr<ScalarBridge> bridge,
                                                    const cp::KernelInitArgs& args) {
  auto state = std::make_unique<BridgeState>();
  if (WantsConstants(*bridge)) {
    const auto* bound = args.options != nullptr && std::string_view(args.options->type_name()) ==
                                                       engine::BindTimeArguments::kTypeName
                            ? static_cast<const engine::BindTimeArguments*>(args.options)
                            : nullptr;
    state->bound = bound != nullptr ? *bound : engine::BindTimeArguments();
    CA_ASSIGN_OR_RAISE(state->result_type, AskReturnType(*bridge, args.inputs, &*state->bound));
  } else {
    CA_ASSIGN_OR_RAISE(state->result_type, ReturnType(*bridge, args.inputs));
  }
  state->bridge = std::move(bridge);
  return std::unique_ptr<cp::KernelState>(std::move(state));
}

const engine::BindTimeArguments& DefaultBindTimeArguments() {
  static const engine::BindTimeArguments defaults;
  return defaults;
}

Status ExecBridge(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  const auto* state = static_cast<const BridgeState*>(ctx->state());
  auto& b = *state->bridge;
  const engine::BindTimeArguments* bound = state->bound ? &*state->bound : nullptr;
  const std::string& path = b.plugin->path();
  std::vector<arrow::TypeHolder> types;
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  for (int i = 0; i < batch.num_values(); ++i) {
    const cp::ExecValue& v = batch[i];
    if (v.is_scalar()) {  // a constant: one row for all (the ABI's convention for literals)
      CA_ASSIGN_OR_RAISE(auto a, arrow::MakeArrayFromScalar(*v.scalar, 1, ctx->memory_pool()));
      arrays.push_back(std::move(a));
    } else {
      arrays.push_back(v.array.ToArray());
    }
    types.push_back(arrays.back()->type());
  }
  std::shared_ptr<arrow::DataType> result_type = state->result_type;
  if (result_type == nullptr) {
    CA_ASSIGN_OR_RAISE(result_type,
                       bound != nullptr ? AskReturnType(b, types, bound) : ReturnType(b, types));
  }
  ExportedSchemas exported;
  CA_RETURN_NOT_OK(exported.Export(types, bound != nullptr ? &bound->metadata : nullptr));
  std::vector<ArrowArray> args(arrays.size());
  std::vector<ArrowArray*> arg_pointers;
  for (auto& a : args) a.release = nullptr;
  auto release_args = [&] {
    for (auto& a : args) {
      if (a.release != nullptr) a.release(&a);
    }
  };
  for (size_t i = 0; i < arrays.size(); ++i) {
    Status st = arrow::ExportArray(*arrays[i], &args[i]);
    if (!st.ok()) {
      release_args();
      return st;
    }
    arg_pointers.push_back(&args[i]);
  }
  ArrowArray result;
  result.release = nullptr;
  CaPluginError error = NewError();
  int rc = b.udf.invoke(&b.udf, exported.data(), arg_pointers.data(),
                        static_cast<int64_t>(arg_pointers.size()), batch.length, &result, &error);
  release_args();
  if (rc != CA_OK) {
    if (result.release != nullptr) result.release(&result);
    return CallFailed(path, "'" + b.name + "'", error);
  }
  if (result.release == nullptr) {
    return PluginError("PLUGIN_BAD_RESULT", path, "'" + b.name + "' returned no array");
  }
  if (result.length != batch.length) {
    int64_t got = result.length;
    result.release(&result);
    return PluginError("PLUGIN_BAD_RESULT", path,
                       "'" + b.name + "' returned " + std::to_string(got) + " rows for " +
                           std::to_string(batch.length));
  }
  auto imported = arrow::ImportArray(&result, result_type);  // releases `result` either way
  if (!imported.ok()) {
    return PluginError("PLUGIN_BAD_RESULT", path,
                       "'" + b.name + "' returned an invalid " + result_type->ToString() +
                           " array: " + imported.status().message());
  }
  Status valid = (*imported)->Validate();
  if (!valid.ok()) {
    return PluginError("PLUGIN_BAD_RESULT", path,
                       "'" + b.name + "' returned an invalid " + result_type->ToString() +
                           " array: " + valid.message());
  }
  out->value = (*imported)->data();
  return Status::OK();
}

}  // namespace

Result<std::shared_ptr<ScalarBridge>> TakeScalarUdf(std::shared_ptr<Plugin> plugin,
                                                    CaScalarUdf* entry, size_t stride) {
  const std::string& path = plugin->path();
  if (entry->struct_size != stride) {
    return PluginError("PLUGIN_STRUCT_TOO_SMALL", path,
                       "scalar udf structs of one bundle differ in size");
  }
  auto bridge = std::make_shared<ScalarBridge>();
  bridge->plugin = std::move(plugin);
  bridge->udf = CopyPluginStruct(entry);
  entry->release = nullptr;  // taken: released by the bridge
  CA_ASSIGN_OR_RAISE(bridge->name, PluginString(bridge->udf.name, path, "scalar udf name"));
  if (bridge->udf.return_type == nullptr || bridge->udf.invoke == nullptr) {
    return PluginError("PLUGIN_INVALID_MODULE", path,
                       "scalar udf '" + bridge->name + "' has a NULL function pointer");
  }
  return bridge;
}

Result<std::string> RegisterScalarUdf(const std::shared_ptr<ScalarBridge>& bridge,
                                      cp::FunctionRegistry* registry,
                                      const std::string& plugin_name) {
  CA_ASSIGN_OR_RAISE(auto aliases, PluginStrings(bridge->udf.aliases, bridge->udf.n_aliases,
                                                 bridge->plugin->path(), "scalar udf aliases"));
  // A function whose result type needs its constants asks the engine for them.
  auto fn = std::make_shared<cp::ScalarFunction>(
      bridge->name, cp::Arity::VarArgs(0),
      cp::FunctionDoc("Plugin function from " + plugin_name, "", {}),
      WantsConstants(*bridge) ? &DefaultBindTimeArguments() : nullptr);
  cp::ScalarKernel kernel(
      cp::KernelSignature::Make({cp::InputType::Any()}, cp::OutputType(ResolveBridge),
                                /*is_varargs=*/true),
      ExecBridge, [bridge](cp::KernelContext*, const cp::KernelInitArgs& args) {
        return InitBridge(bridge, args);
      });
  kernel.null_handling = cp::NullHandling::COMPUTED_NO_PREALLOCATE;
  kernel.mem_allocation = cp::MemAllocation::NO_PREALLOCATE;
  kernel.can_write_into_slices = false;
  CA_RETURN_NOT_OK(fn->AddKernel(std::move(kernel)));
  CA_RETURN_NOT_OK(registry->AddFunction(std::move(fn), /*allow_overwrite=*/true));
  for (const auto& alias : aliases) CA_RETURN_NOT_OK(registry->AddAlias(alias, bridge->name));
  return bridge->name;
}

}  // namespace codeanatomy::plugin_host
