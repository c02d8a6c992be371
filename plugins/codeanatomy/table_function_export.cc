#include "table_function_export.h"

#include <cstring>
#include <memory>
#include <string>

#include <arrow/c/bridge.h>
#include <arrow/device.h>

#include "abi_export.h"
#include "delta/table_functions.h"

namespace codeanatomy::plugin {

namespace {

struct TableFunctionData {
  std::shared_ptr<const engine::TableFunction> function;
  std::string descriptor_json;
};

const std::vector<std::shared_ptr<const engine::TableFunction>>& Functions() {
  static const auto functions = [] {
    std::vector<std::shared_ptr<const engine::TableFunction>> out;
    for (auto& fn : delta::DeltaTableFunctions()) {
      out.push_back(std::make_shared<const engine::TableFunction>(std::move(fn)));
    }
    return out;
  }();
  return functions;
}

// The host's arguments are borrowed: each is imported from a copy of its struct whose release
// leaves the host's alone, then deep-copied so nothing of ours points into the host's buffers
// after the call.
Result<std::shared_ptr<arrow::Scalar>> BorrowedArgument(ArrowSchema* type, ArrowArray* value) {
  CA_ASSIGN_OR_RAISE(auto field, arrow::ImportField(type));
  if (value == nullptr) return arrow::MakeNullScalar(field->type());
  ArrowArray view = *value;
  view.release = [](ArrowArray* a) { a->release = nullptr; };
  CA_ASSIGN_OR_RAISE(auto array, arrow::ImportArray(&view, field->type()));
  if (array->length() != 1) {
    return InvalidError(stage::kPlanning, "INVALID_TABLE_FUNCTION_ARGUMENT",
                        "a table function argument must be one value, got " +
                            std::to_string(array->length()) + " rows",
                        "{}");
  }
  CA_ASSIGN_OR_RAISE(auto owned, array->CopyTo(arrow::default_cpu_memory_manager()));
  return owned->GetScalar(0);
}

int Call(const CaTableFunction* self, ArrowSchema* const* arg_types, ArrowArray* const* args,
         int64_t n_args, CaTableProvider* out, CaPluginError* error) {
  return Guarded(error, [&]() -> int {
    const auto& fn = *static_cast<const TableFunctionData*>(self->private_data)->function;
    engine::TableFunctionArgs values;
    for (int64_t i = 0; i < n_args; ++i) {
      auto value = BorrowedArgument(arg_types[i], args[i]);
      if (!value.ok()) return SetError(value.status(), error);
      values.push_back(std::move(*value));
    }
    // The host checked them against our descriptor; checking again keeps a host that did not
    // (a 1.0 host) from reaching the function with wrong types.
    auto checked = engine::CheckArguments(fn, values);
    if (!checked.ok()) return SetError(checked.status(), error);
    auto provider = fn.invoke(*checked);
    if (!provider.ok()) return SetError(provider.status(), error);
    ExportTableProvider(std::move(*provider), out);
    return CA_OK;
  });
}

void ReleaseFunction(CaTableFunction* self) {
  delete static_cast<TableFunctionData*>(self->private_data);
  self->private_data = nullptr;
  self->release = nullptr;
}

}  // namespace

const std::vector<const char*>& ExportedTableFunctionNames() {
  static const std::vector<const char*> names = [] {
    std::vector<const char*> out;
    for (const auto& fn : Functions()) out.push_back(fn->name.c_str());
    return out;
  }();
  return names;
}

void ExportTableFunctions(CaUdfBundle* out) {
  const auto& functions = Functions();
  out->table_functions = new CaTableFunction[functions.size()];
  for (size_t i = 0; i < functions.size(); ++i) {
    CaTableFunction& f = out->table_functions[i];
    std::memset(&f, 0, sizeof(f));
    out->n_table_functions = i + 1;  // entries so far, for ReleaseTableFunctions on failure
    auto* data = new TableFunctionData{functions[i], {}};
    data->descriptor_json = engine::TableFunctionDescriptor(*functions[i]).ToJson();
    f.struct_size = sizeof(CaTableFunction);
    f.name = functions[i]->name.c_str();
    f.call = Call;
    f.release = ReleaseFunction;
    f.private_data = data;
    f.descriptor_json = data->descriptor_json.c_str();
  }
}

void ReleaseTableFunctions(CaUdfBundle* bundle) {
  for (uint64_t i = 0; i < bundle->n_table_functions; ++i) {
    CaTableFunction& f = bundle->table_functions[i];
    if (f.release != nullptr) f.release(&f);
  }
  delete[] bundle->table_functions;
  bundle->table_functions = nullptr;
  bundle->n_table_functions = 0;
}

}  // namespace codeanatomy::plugin
