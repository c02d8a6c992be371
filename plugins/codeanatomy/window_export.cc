#include "window_export.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include <arrow/c/bridge.h>
#include <arrow/device.h>

#include "abi_export.h"
#include "functions/registry_snapshot.h"
#include "functions/window_functions.h"

namespace codeanatomy::plugin {

namespace {

struct WindowData {
  std::shared_ptr<const engine::WindowUdf> udf;
  std::vector<const char*> aliases;  // into the function's own strings
  std::string descriptor_json;
};

const engine::WindowUdf& Udf(const CaWindowUdf* self) {
  return *static_cast<const WindowData*>(self->private_data)->udf;
}

Result<std::vector<std::shared_ptr<arrow::DataType>>> ImportTypes(ArrowSchema* const* arg_types,
                                                                  int64_t n_args) {
  std::vector<std::shared_ptr<arrow::DataType>> types;
  for (int64_t i = 0; i < n_args; ++i) {
    CA_ASSIGN_OR_RAISE(auto type, arrow::ImportType(arg_types[i]));
    types.push_back(std::move(type));
  }
  return types;
}

/// A view of an array the host lends for the call: the importer's release does nothing, so the
/// host's array stays the host's.
Result<std::shared_ptr<arrow::Array>> ImportBorrowed(const ArrowArray* array,
                                                     const std::shared_ptr<arrow::DataType>& type) {
  ArrowArray view = *array;
  view.release = [](ArrowArray* a) { a->release = nullptr; };
  view.private_data = nullptr;
  return arrow::ImportArray(&view, type);
}

using Range = std::pair<const uint8_t*, const uint8_t*>;

void CollectRanges(const arrow::ArrayData& data, std::vector<Range>* out) {
  for (const auto& b : data.buffers) {
    if (b != nullptr && b->size() > 0) out->emplace_back(b->data(), b->data() + b->size());
  }
  for (const auto& c : data.child_data) CollectRanges(*c, out);
  if (data.dictionary != nullptr) CollectRanges(*data.dictionary, out);
}

/// Whether `result` refers to memory of the lent arguments (a dictionary the Take kept, say):
/// such a result must be copied before the host gets it and frees the arguments.
bool SharesMemory(const arrow::Array& result,
                  const std::vector<std::shared_ptr<arrow::Array>>& args) {
  std::vector<Range> inputs, outputs;
  for (const auto& a : args) CollectRanges(*a->data(), &inputs);
  if (inputs.empty()) return false;
  CollectRanges(*result.data(), &outputs);
  return std::any_of(outputs.begin(), outputs.end(), [&](const Range& o) {
    return std::any_of(inputs.begin(), inputs.end(),
                       [&](const Range& i) { return o.first < i.second && i.first < o.second; });
  });
}

int ReturnType(const CaWindowUdf* self, ArrowSchema* const* arg_types, int64_t n_args,
               ArrowSchema* out, CaPluginError* error) {
  return Guarded(error, [&]() -> int {
    auto types = ImportTypes(arg_types, n_args);
    if (!types.ok()) return SetError(types.status(), error);
    auto field = Udf(self).ReturnField(*types);
    if (!field.ok()) return SetError(field.status(), error);
    return SetError(arrow::ExportField(**field, out), error);
  });
}

int EvaluatePartition(const CaWindowUdf* self, ArrowSchema* const* arg_types,
                      ArrowArray* const* args, int64_t n_args, int64_t num_rows,
                      const int64_t* frame_start, const int64_t* frame_end, ArrowArray* out,
                      CaPluginError* error) {
  return Guarded(error, [&]() -> int {
    auto types = ImportTypes(arg_types, n_args);
    if (!types.ok()) return SetError(types.status(), error);
    std::vector<std::shared_ptr<arrow::Array>> arrays;
    for (int64_t i = 0; i < n_args; ++i) {
      auto array = ImportBorrowed(args[i], (*types)[i]);
      if (!array.ok()) return SetError(array.status(), error);
      arrays.push_back(std::move(*array));
    }
    auto result = Udf(self).EvaluatePartition(arrays, num_rows, frame_start, frame_end);
    if (!result.ok()) return SetError(result.status(), error);
    std::shared_ptr<arrow::Array> array = std::move(*result);
    if (SharesMemory(*array, arrays)) {
      auto copy = array->CopyTo(arrow::default_cpu_memory_manager());
      if (!copy.ok()) return SetError(copy.status(), error);
      array = std::move(*copy);
    }
    return SetError(arrow::ExportArray(*array, out), error);
  });
}

void ReleaseUdf(CaWindowUdf* self) {
  delete static_cast<WindowData*>(self->private_data);
  self->private_data = nullptr;
  self->release = nullptr;
}

}  // namespace

const std::vector<const char*>& ExportedWindowFunctionNames() {
  static const std::vector<const char*> names = [] {
    std::vector<const char*> out;
    for (const auto& f : functions::CodeanatomyWindowFunctions()) out.push_back(f->name().c_str());
    return out;
  }();
  return names;
}

void ExportWindowFunctions(CaUdfBundle* out, const functions::FunctionConfig& config) {
  const auto& functions = functions::CodeanatomyWindowFunctions();
  const auto descriptors = functions::WindowFunctionDescriptors();
  out->window = new CaWindowUdf[functions.size()];
  for (size_t i = 0; i < functions.size(); ++i) {
    CaWindowUdf& u = out->window[i];
    std::memset(&u, 0, sizeof(u));
    out->n_window = i + 1;  // entries so far, for ReleaseWindowFunctions on failure
    auto* data = new WindowData{functions[i], {}, {}};
    for (const auto& a : functions[i]->aliases()) data->aliases.push_back(a.c_str());
    for (const auto& d : descriptors) {
      if (d.name == functions[i]->name()) {
        data->descriptor_json = functions::DescriptorJson(d, config).ToJson();
      }
    }
    u.struct_size = sizeof(CaWindowUdf);
    u.name = functions[i]->name().c_str();
    u.aliases = data->aliases.data();
    u.n_aliases = data->aliases.size();
    u.volatility = CA_VOLATILITY_IMMUTABLE;
    u.return_type = ReturnType;
    u.evaluate_partition = EvaluatePartition;
    u.release = ReleaseUdf;
    u.private_data = data;
    u.descriptor_json = data->descriptor_json.empty() ? nullptr : data->descriptor_json.c_str();
  }
}

void ReleaseWindowFunctions(CaUdfBundle* bundle) {
  for (uint64_t i = 0; i < bundle->n_window; ++i) {
    if (bundle->window[i].release != nullptr) bundle->window[i].release(&bundle->window[i]);
  }
  delete[] bundle->window;
  bundle->window = nullptr;
  bundle->n_window = 0;
}

}  // namespace codeanatomy::plugin
