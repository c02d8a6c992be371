#include "aggregate_export.h"

#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include <arrow/c/bridge.h>
#include <arrow/device.h>

#include "abi_export.h"
#include "functions/aggregate_functions.h"
#include "functions/registry_snapshot.h"

namespace codeanatomy::plugin {

namespace {

using functions::AggregateSpec;
using functions::ArrayList;
using functions::TypeList;

struct AggregateData {
  const AggregateSpec* spec;
  std::vector<const char*> aliases;  // into the spec's strings
  std::string descriptor_json;
};

const AggregateSpec& Spec(const CaAggregateUdf* self) {
  return *static_cast<const AggregateData*>(self->private_data)->spec;
}

/// One accumulator's core object and the types it was made for.
struct AccumulatorData {
  TypeList state_types;
  std::unique_ptr<functions::AggregateAccumulator> accumulator;
};

AccumulatorData& Acc(CaAccumulator* self) {
  return *static_cast<AccumulatorData*>(self->private_data);
}

/// A type the host lends for the call: the importer's release does nothing.
Result<std::shared_ptr<arrow::DataType>> ImportBorrowedType(const ArrowSchema* schema) {
  ArrowSchema view = *schema;
  view.release = [](ArrowSchema* s) { s->release = nullptr; };
  view.private_data = nullptr;
  return arrow::ImportType(&view);
}

Result<TypeList> ImportTypes(ArrowSchema* const* arg_types, int64_t n_args) {
  TypeList types;
  for (int64_t i = 0; i < n_args; ++i) {
    CA_ASSIGN_OR_RAISE(auto type, ImportBorrowedType(arg_types[i]));
    types.push_back(std::move(type));
  }
  return types;
}

/// Arrays the host lends for the call, copied: an accumulator may keep values (scalars over
/// the input's buffers) beyond the call, when the host has freed its arrays.
Result<ArrayList> ImportBorrowedArrays(ArrowArray* const* arrays, const TypeList& types) {
  ArrayList out;
  for (size_t i = 0; i < types.size(); ++i) {
    ArrowArray view = *arrays[i];
    view.release = [](ArrowArray* a) { a->release = nullptr; };
    view.private_data = nullptr;
    CA_ASSIGN_OR_RAISE(auto borrowed, arrow::ImportArray(&view, types[i]));
    CA_ASSIGN_OR_RAISE(auto copy, borrowed->CopyTo(arrow::default_cpu_memory_manager()));
    out.push_back(std::move(copy));
  }
  return out;
}

Status WrongCount(const char* what, int64_t got, size_t expected) {
  return ArgumentError(std::string(what) + ": " + std::to_string(got) + " given, " +
                       std::to_string(expected) + " expected");
}

int Update(CaAccumulator* self, ArrowSchema* const* arg_types, ArrowArray* const* args,
           int64_t n_args, int64_t num_rows, CaPluginError* error) {
  (void)num_rows;  // every argument array has the batch's length
  return Guarded(error, [&]() -> int {
    AccumulatorData& d = Acc(self);
    auto types = ImportTypes(arg_types, n_args);
    if (!types.ok()) return SetError(types.status(), error);
    auto arrays = ImportBorrowedArrays(args, *types);
    if (!arrays.ok()) return SetError(arrays.status(), error);
    return SetError(d.accumulator->Update(*arrays), error);
  });
}

int State(CaAccumulator* self, ArrowArray* out, int64_t n_state, CaPluginError* error) {
  return Guarded(error, [&]() -> int {
    AccumulatorData& d = Acc(self);
    if (n_state < 0 || static_cast<size_t>(n_state) != d.state_types.size()) {
      return SetError(WrongCount("state arrays", n_state, d.state_types.size()), error);
    }
    auto states = d.accumulator->State();
    if (!states.ok()) return SetError(states.status(), error);
    for (int64_t i = 0; i < n_state; ++i) out[i].release = nullptr;
    for (int64_t i = 0; i < n_state; ++i) {
      Status exported = arrow::ExportArray(*(*states)[static_cast<size_t>(i)], &out[i]);
      if (!exported.ok()) {
        for (int64_t j = 0; j < i; ++j) out[j].release(&out[j]);
        return SetError(exported, error);
      }
    }
    return CA_OK;
  });
}

int Merge(CaAccumulator* self, ArrowArray* const* states, int64_t n_state, CaPluginError* error) {
  return Guarded(error, [&]() -> int {
    AccumulatorData& d = Acc(self);
    if (n_state < 0 || static_cast<size_t>(n_state) != d.state_types.size()) {
      return SetError(WrongCount("state arrays", n_state, d.state_types.size()), error);
    }
    auto arrays = ImportBorrowedArrays(states, d.state_types);
    if (!arrays.ok()) return SetError(arrays.status(), error);
    return SetError(d.accumulator->Merge(*arrays), error);
  });
}

int Finalize(CaAccumulator* self, ArrowArray* out, CaPluginError* error) {
  return Guarded(error, [&]() -> int {
    auto result = Acc(self).accumulator->Finalize();
    if (!result.ok()) return SetError(result.status(), error);
    return SetError(arrow::ExportArray(**result, out), error);
  });
}

void ReleaseAccumulator(CaAccumulator* self) {
  delete static_cast<AccumulatorData*>(self->private_data);
  self->private_data = nullptr;
  self->release = nullptr;
}

int ReturnType(const CaAggregateUdf* self, ArrowSchema* const* arg_types, int64_t n_args,
               ArrowSchema* out, CaPluginError* error) {
  return Guarded(error, [&]() -> int {
    auto types = ImportTypes(arg_types, n_args);
    if (!types.ok()) return SetError(types.status(), error);
    auto type = Spec(self).return_type(*types);
    if (!type.ok()) return SetError(type.status(), error);
    return SetError(arrow::ExportType(**type, out), error);
  });
}

int StateTypes(const CaAggregateUdf* self, ArrowSchema* const* arg_types, int64_t n_args,
               ArrowSchema* out, int64_t max_state, int64_t* n_state, CaPluginError* error) {
  return Guarded(error, [&]() -> int {
    auto types = ImportTypes(arg_types, n_args);
    if (!types.ok()) return SetError(types.status(), error);
    const AggregateSpec& spec = Spec(self);
    auto accepted = spec.return_type(*types);
    if (!accepted.ok()) return SetError(accepted.status(), error);
    TypeList states = spec.state_types(*types);
    if (static_cast<int64_t>(states.size()) > max_state) {
      return SetError(WrongCount("state types (room for)", max_state, states.size()), error);
    }
    for (size_t i = 0; i < states.size(); ++i) {
      Status exported = arrow::ExportType(*states[i], &out[i]);
      if (!exported.ok()) {
        for (size_t j = 0; j < i; ++j) out[j].release(&out[j]);
        return SetError(exported, error);
      }
    }
    *n_state = static_cast<int64_t>(states.size());
    return CA_OK;
  });
}

int NewAccumulator(const CaAggregateUdf* self, ArrowSchema* const* arg_types, int64_t n_args,
                   CaAccumulator* out, CaPluginError* error) {
  return Guarded(error, [&]() -> int {
    auto types = ImportTypes(arg_types, n_args);
    if (!types.ok()) return SetError(types.status(), error);
    const AggregateSpec& spec = Spec(self);
    // The core makes accumulators only for argument types its return_type accepted.
    auto accepted = spec.return_type(*types);
    if (!accepted.ok()) return SetError(accepted.status(), error);
    auto data = std::make_unique<AccumulatorData>();
    data->state_types = spec.state_types(*types);
    data->accumulator = spec.make_accumulator(*types);
    std::memset(out, 0, sizeof(*out));
    out->struct_size = sizeof(CaAccumulator);
    out->update = Update;
    out->state = State;
    out->merge = Merge;
    out->finalize = Finalize;
    out->release = ReleaseAccumulator;
    out->private_data = data.release();
    return CA_OK;
  });
}

void ReleaseUdf(CaAggregateUdf* self) {
  delete static_cast<AggregateData*>(self->private_data);
  self->private_data = nullptr;
  self->release = nullptr;
}

}  // namespace

const std::vector<const char*>& ExportedAggregateFunctionNames() {
  static const std::vector<const char*> names = [] {
    std::vector<const char*> out;
    for (const auto& spec : functions::AggregateFunctionSpecs()) out.push_back(spec.name.c_str());
    return out;
  }();
  return names;
}

void ExportAggregateFunctions(CaUdfBundle* out, const functions::FunctionConfig& config) {
  const auto& specs = functions::AggregateFunctionSpecs();
  const auto descriptors = functions::AggregateFunctionDescriptors();
  out->aggregate = new CaAggregateUdf[specs.size()];
  for (size_t i = 0; i < specs.size(); ++i) {
    CaAggregateUdf& u = out->aggregate[i];
    std::memset(&u, 0, sizeof(u));
    out->n_aggregate = i + 1;  // entries so far, for ReleaseAggregateFunctions on failure
    auto* data = new AggregateData{&specs[i], {}, {}};
    u.private_data = data;
    u.release = ReleaseUdf;
    for (const auto& a : specs[i].aliases) data->aliases.push_back(a.c_str());
    for (const auto& d : descriptors) {
      if (d.name == specs[i].name)
        data->descriptor_json = functions::DescriptorJson(d, config).ToJson();
    }
    u.struct_size = sizeof(CaAggregateUdf);
    u.name = specs[i].name.c_str();
    u.aliases = data->aliases.data();
    u.n_aliases = data->aliases.size();
    u.volatility = CA_VOLATILITY_IMMUTABLE;
    u.return_type = ReturnType;
    u.state_types = StateTypes;
    u.new_accumulator = NewAccumulator;
    u.descriptor_json = data->descriptor_json.empty() ? nullptr : data->descriptor_json.c_str();
  }
}

void ReleaseAggregateFunctions(CaUdfBundle* bundle) {
  for (uint64_t i = 0; i < bundle->n_aggregate; ++i) {
    CaAggregateUdf& u = bundle->aggregate[i];
    if (u.release != nullptr) u.release(&u);
  }
  delete[] bundle->aggregate;
  bundle->aggregate = nullptr;
  bundle->n_aggregate = 0;
}

}  // namespace codeanatomy::plugin
