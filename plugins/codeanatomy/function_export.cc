// The codeanatomy function bundle exported through the plugin ABI: each scalar function of
// functions::CodeanatomyFunctions() becomes a CaScalarUdf that runs the core's own kernel, so a
// function gives the same result natively and through the plugin.
#include "function_export.h"

#include <cstring>
#include <exception>
#include <memory>
#include <vector>

#include <arrow/array/util.h>
#include <arrow/c/bridge.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/registry.h>

#include "abi_export.h"
#include "aggregate_export.h"
#include "engine/bind_time_arguments.h"
#include "functions/functions.h"
#include "functions/registry_snapshot.h"
#include "table_function_export.h"
#include "window_export.h"

namespace codeanatomy::plugin {

namespace cp = arrow::compute;

namespace {

// The registry one bundle's functions live in (bound to its udf_config), shared by its UDFs.
struct BundleState {
  std::unique_ptr<cp::FunctionRegistry> registry;
};

struct UdfData {
  std::shared_ptr<BundleState> bundle;
  const functions::FunctionDescriptor* descriptor;
  std::vector<const char*> aliases;  // into the descriptor's strings
  std::vector<const char*> parameter_names;
  std::string descriptor_json;
  // Looked up once: every batch runs it without a registry lookup (the registry locks).
  std::shared_ptr<cp::Function> function;
  bool wants_constants = false;  // it reads its call's constants and field metadata
};

const UdfData& Data(const CaScalarUdf* self) {
  return *static_cast<const UdfData*>(self->private_data);
}

Result<arrow::Datum> Call(const UdfData& d, std::vector<arrow::Datum> args,
                          const cp::FunctionOptions* options = nullptr) {
  cp::ExecContext ctx(arrow::default_memory_pool(), nullptr, d.bundle->registry.get());
  return d.function->Execute(args, options, &ctx);
}

// Whether the core function reads its call's constants and field metadata (struct_pick,
// arrow_metadata): exported with return_type_with_constants.
bool WantsConstants(const UdfData& d) { return d.wants_constants; }

// The result type given the constants (one-row arrays, borrowed; NULL where not constant) and
// the metadata the argument schemas carry.
int ReturnTypeWithConstants(const CaScalarUdf* self, ArrowSchema* const* arg_types,
                            ArrowArray* const* constants, int64_t n_args, ArrowSchema* out,
                            CaPluginError* error) {
  return Guarded(error, [&]() -> int {
    std::vector<arrow::Datum> args;
    engine::BindTimeArguments bound;
    for (int64_t i = 0; i < n_args; ++i) {
      auto field = arrow::ImportField(arg_types[i]);
      if (!field.ok()) return SetError(field.status(), error);
      bound.metadata.push_back((*field)->metadata());
      std::shared_ptr<arrow::Scalar> constant;
      if (constants[i] != nullptr) {
        // Borrowed: import a copy of the struct with a no-op release, so the host's stays.
        ArrowArray view = *constants[i];
        view.release = [](ArrowArray* a) { a->release = nullptr; };
        auto array = arrow::ImportArray(&view, (*field)->type());
        if (!array.ok()) return SetError(array.status(), error);
        auto scalar = (*array)->GetScalar(0);
        if (!scalar.ok()) return SetError(scalar.status(), error);
        constant = *scalar;
      }
      bound.constants.push_back(std::move(constant));
      auto empty = arrow::MakeEmptyArray((*field)->type());
      if (!empty.ok()) return SetError(empty.status(), error);
      args.emplace_back(*empty);
    }
    auto result = Call(Data(self), std::move(args), &bound);
    if (!result.ok()) return SetError(result.status(), error);
    return SetError(arrow::ExportType(*result->type(), out), error);
  });
}

int ReturnType(const CaScalarUdf* self, ArrowSchema* const* arg_types, int64_t n_args,
               ArrowSchema* out, CaPluginError* error) {
  return Guarded(error, [&]() -> int {
    // The result type of a call on empty arrays of these types (moved into the call).
    std::vector<arrow::Datum> args;
    for (int64_t i = 0; i < n_args; ++i) {
      auto type = arrow::ImportType(arg_types[i]);
      if (!type.ok()) return SetError(type.status(), error);
      auto empty = arrow::MakeEmptyArray(*type);
      if (!empty.ok()) return SetError(empty.status(), error);
      args.emplace_back(*empty);
    }
    auto result = Call(Data(self), std::move(args));
    if (!result.ok()) return SetError(result.status(), error);
    return SetError(arrow::ExportType(*result->type(), out), error);
  });
}

int Invoke(const CaScalarUdf* self, ArrowSchema* const* arg_types, ArrowArray* const* args,
           int64_t n_args, int64_t num_rows, ArrowArray* out, CaPluginError* error) {
  return Guarded(error, [&]() -> int {
    std::vector<arrow::Datum> values;
    engine::BindTimeArguments bound;  // for functions that read constants and metadata
    for (int64_t i = 0; i < n_args; ++i) {
      // Arguments are moved into the call: importing takes them.
      auto field = arrow::ImportField(arg_types[i]);
      if (!field.ok()) return SetError(field.status(), error);
      bound.metadata.push_back((*field)->metadata());
      auto array = arrow::ImportArray(args[i], (*field)->type());
      if (!array.ok()) return SetError(array.status(), error);
      std::shared_ptr<arrow::Scalar> constant;
      if ((*array)->length() == 1) {  // a constant argument (or a one-row batch)
        auto scalar = (*array)->GetScalar(0);
        if (!scalar.ok()) return SetError(scalar.status(), error);
        constant = *scalar;
      }
      bound.constants.push_back(constant);
      if (constant != nullptr && num_rows != 1) {
        values.emplace_back(constant);
      } else {
        values.emplace_back(*array);
      }
    }
    const UdfData& d = Data(self);
    auto result = Call(d, std::move(values), WantsConstants(d) ? &bound : nullptr);
    if (!result.ok()) return SetError(result.status(), error);
    std::shared_ptr<arrow::Array> array;
    if (result->is_scalar()) {
      auto made = arrow::MakeArrayFromScalar(*result->scalar(), num_rows);
      if (!made.ok()) return SetError(made.status(), error);
      array = *made;
    } else {
      array = result->make_array();
    }
    return SetError(arrow::ExportArray(*array, out), error);
  });
}

void ReleaseUdf(CaScalarUdf* self) {
  delete static_cast<UdfData*>(self->private_data);
  self->private_data = nullptr;
  self->release = nullptr;
}

void ReleaseBundle(CaUdfBundle* bundle) {
  // Entries the host took have release == NULL; release the rest, then the array.
  for (uint64_t i = 0; i < bundle->n_scalar; ++i) {
    if (bundle->scalar[i].release != nullptr) bundle->scalar[i].release(&bundle->scalar[i]);
  }
  delete[] bundle->scalar;
  bundle->scalar = nullptr;
  ReleaseAggregateFunctions(bundle);
  ReleaseWindowFunctions(bundle);
  ReleaseTableFunctions(bundle);
  bundle->release = nullptr;
}

// CONTRACTS §4's options: {enable_async?, async_udf_timeout_ms?, async_udf_batch_size?,
// udf_config?}; async on needs a positive timeout and batch size, async off neither.
Result<functions::FunctionConfig> ParseOptions(const char* options_json) {
  std::string text = options_json == nullptr ? "" : options_json;
  if (text.empty()) return functions::FunctionConfig{};
  auto bad = [](const std::string& field, const std::string& why) {
    return InvalidError(stage::kValidation, "INVALID_UDF_OPTIONS", field + ": " + why,
                        "{\"field\":" + JsonQuote(field) + "}");
  };
  CA_ASSIGN_OR_RAISE(auto json, JsonValue::Parse(text));
  if (!json.is_object()) return bad("(options)", "must be a JSON object");
  for (const auto& [key, value] : json.object_value()) {
    if (key != "enable_async" && key != "async_udf_timeout_ms" && key != "async_udf_batch_size" &&
        key != "udf_config") {
      return bad(key, "unknown option");
    }
  }
  const JsonValue* async = json.Get("enable_async");
  bool on = async != nullptr && async->is_bool() && async->bool_value();
  if (async != nullptr && !async->is_null() && !async->is_bool()) {
    return bad("enable_async", "must be true or false");
  }
  for (const char* key : {"async_udf_timeout_ms", "async_udf_batch_size"}) {
    const JsonValue* v = json.Get(key);
    bool present = v != nullptr && !v->is_null();
    if (on && (!present || !v->is_int() || v->int_value() <= 0)) {
      return bad(key, "must be a positive integer when enable_async is true");
    }
    if (!on && present) return bad(key, "must be absent when enable_async is not true");
  }
  if (on) {
    return InvalidError(stage::kValidation, "NOT_SUPPORTED",
                        "not supported: enable_async (the bundle's functions are synchronous)",
                        "{\"field\":\"enable_async\"}");
  }
  const JsonValue* config = json.Get("udf_config");
  if (config == nullptr || config->is_null()) return functions::FunctionConfig{};
  return functions::FunctionConfigFromJson(*config);
}

}  // namespace

const std::vector<const char*>& ExportedFunctionNames() {
  static const std::vector<const char*> names = [] {
    std::vector<const char*> out;
    for (const auto& d : functions::CodeanatomyFunctions()) {
      if (d.kind == "scalar") out.push_back(d.name.c_str());
    }
    return out;
  }();
  return names;
}

int ExportFunctionBundle(const char* options_json, CaUdfBundle* out, CaPluginError* error) {
  return Guarded(error, [&]() -> int {
    std::memset(out, 0, sizeof(*out));
    auto config = ParseOptions(options_json);
    if (!config.ok()) return SetError(config.status(), error);
    auto bundle = std::make_shared<BundleState>();
    bundle->registry = cp::FunctionRegistry::Make(cp::GetFunctionRegistry());
    Status installed = functions::InstallCodeanatomyFunctions(bundle->registry.get(), *config);
    if (!installed.ok()) return SetError(installed, error);
    // The scalar functions of the bundle (aggregates and windows are exported apart).
    static const auto descriptors = [] {
      std::vector<functions::FunctionDescriptor> scalar;
      for (const auto& d : functions::CodeanatomyFunctions()) {
        if (d.kind == "scalar") scalar.push_back(d);
      }
      return scalar;
    }();
    // Looked up before anything is allocated, so a failure leaves nothing to release.
    std::vector<std::shared_ptr<cp::Function>> found;
    for (const auto& d : descriptors) {
      auto function = bundle->registry->GetFunction(d.name);
      if (!function.ok()) return SetError(function.status(), error);
      found.push_back(*function);
    }
    out->struct_size = sizeof(CaUdfBundle);
    out->n_scalar = descriptors.size();
    out->scalar = new CaScalarUdf[descriptors.size()];
    out->release = ReleaseBundle;
    for (size_t i = 0; i < descriptors.size(); ++i) {
      auto* data = new UdfData{
          bundle, &descriptors[i], {}, {}, {}, found[i], engine::WantsBindTimeArguments(*found[i])};
      for (const auto& a : descriptors[i].aliases) data->aliases.push_back(a.c_str());
      for (const auto& p : descriptors[i].parameter_names) {
        data->parameter_names.push_back(p.c_str());
      }
      data->descriptor_json = functions::DescriptorJson(descriptors[i], *config).ToJson();
      CaScalarUdf& u = out->scalar[i];
      std::memset(&u, 0, sizeof(u));
      u.struct_size = sizeof(CaScalarUdf);
      u.name = descriptors[i].name.c_str();
      u.aliases = data->aliases.data();
      u.n_aliases = data->aliases.size();
      u.parameter_names = data->parameter_names.data();
      u.n_parameter_names = data->parameter_names.size();
      u.volatility = CA_VOLATILITY_IMMUTABLE;
      u.descriptor_json = data->descriptor_json.c_str();
      u.return_type = ReturnType;
      if (WantsConstants(*data)) u.return_type_with_constants = ReturnTypeWithConstants;
      u.invoke = Invoke;
      u.release = ReleaseUdf;
      u.private_data = data;
    }
    ExportAggregateFunctions(out, *config);
    ExportWindowFunctions(out, *config);
    ExportTableFunctions(out);
    return CA_OK;
  });
}

}  // namespace codeanatomy::plugin
