// Generic adaptors from an AggregateSpec to Arrow's aggregate kernels: the ungrouped kernel runs
// one accumulator (partial accumulators of parallel work merge through State()); the grouped
// kernel keeps one accumulator per group id and hands each a batch's rows of its group.
#include <algorithm>
#include <numeric>

#include <arrow/array/builder_base.h>
#include <arrow/array/util.h>
#include <arrow/buffer.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/kernel.h>
#include <arrow/util/checked_cast.h>

#include "functions/aggregate_functions.h"
#include "functions/function_kernel.h"

namespace codeanatomy::functions {

namespace {

namespace cp = arrow::compute;
using arrow::internal::checked_cast;

/// Kernel data: the spec and the name the function was registered under.
struct AggregateKernelData : public cp::KernelState {
  AggregateKernelData(AggregateSpec s, std::string n) : spec(std::move(s)), name(std::move(n)) {}
  AggregateSpec spec;
  std::string name;
};

const AggregateKernelData& DataOf(const cp::Kernel* kernel) {
  return checked_cast<const AggregateKernelData&>(*kernel->data);
}

/// The first `n` input types (a grouped kernel's last input is the group id).
TypeList ArgTypesOf(const std::vector<arrow::TypeHolder>& inputs, size_t n) {
  TypeList out;
  for (size_t i = 0; i < n && i < inputs.size(); ++i) out.push_back(inputs[i].GetSharedPtr());
  return out;
}

/// The result type for `types`, after checking the argument count (Arrow's dispatch checks it
/// too; this guards direct callers).
Result<std::shared_ptr<arrow::DataType>> Bind(const AggregateKernelData& data,
                                              const TypeList& types) {
  if (types.size() != data.spec.params.size()) {
    return InvalidError(stage::kPlanning, "WRONG_ARITY",
                        "aggregate " + data.name + " takes " +
                            std::to_string(data.spec.params.size()) + " argument(s), got " +
                            std::to_string(types.size()),
                        "{\"function\":" + JsonQuote(data.name) + "}");
  }
  return data.spec.return_type(types);
}

cp::OutputType ResultType(std::shared_ptr<AggregateKernelData> data, size_t num_args) {
  return cp::OutputType(
      [data = std::move(data), num_args](
          cp::KernelContext*,
          const std::vector<arrow::TypeHolder>& inputs) -> Result<arrow::TypeHolder> {
        CA_ASSIGN_OR_RAISE(auto type, Bind(*data, ArgTypesOf(inputs, num_args)));
        return arrow::TypeHolder(std::move(type));
      });
}

/// The first `n` values of `batch` as arrays of the batch's length (constants repeated).
Result<ArrayList> ArgsOf(const cp::ExecSpan& batch, size_t n, arrow::MemoryPool* pool) {
  ArrayList out;
  for (size_t i = 0; i < n; ++i) {
    const cp::ExecValue& v = batch[static_cast<int>(i)];
    if (v.is_scalar()) {
      CA_ASSIGN_OR_RAISE(auto array, arrow::MakeArrayFromScalar(*v.scalar, batch.length, pool));
      out.push_back(std::move(array));
    } else {
      out.push_back(v.array.ToArray());
    }
  }
  return out;
}

/// Checks an accumulator's result before it reaches Arrow.
Status CheckResult(const AggregateKernelData& data, const arrow::Array& result,
                   const arrow::DataType& expected) {
  if (result.length() == 1 && result.type()->Equals(expected)) return Status::OK();
  return internal::FunctionError(data.name, "INTERNAL",
                                 "the accumulator returned " + std::to_string(result.length()) +
                                     " row(s) of " + result.type()->ToString() +
                                     ", expected one row of " + expected.ToString());
}

// ---- ungrouped

struct UngroupedState : public cp::KernelState {
  const AggregateKernelData* data = nullptr;
  std::shared_ptr<arrow::DataType> out_type;
  std::unique_ptr<AggregateAccumulator> accumulator;
};

Result<std::unique_ptr<cp::KernelState>> InitUngrouped(cp::KernelContext*,
                                                       const cp::KernelInitArgs& args) {
  const auto& data = DataOf(args.kernel);
  auto types = ArgTypesOf(args.inputs, args.inputs.size());
  auto state = std::make_unique<UngroupedState>();
  state->data = &data;
  CA_ASSIGN_OR_RAISE(state->out_type, Bind(data, types));
  state->accumulator = data.spec.make_accumulator(types);
  return state;
}

Status ConsumeUngrouped(cp::KernelContext* ctx, const cp::ExecSpan& batch) {
  auto& state = checked_cast<UngroupedState&>(*ctx->state());
  if (batch.length == 0) return Status::OK();
  CA_ASSIGN_OR_RAISE(auto args, ArgsOf(batch, state.data->spec.params.size(), ctx->memory_pool()));
  return state.accumulator->Update(args);
}

Status MergeUngrouped(cp::KernelContext*, cp::KernelState&& src, cp::KernelState* dst) {
  auto& from = checked_cast<UngroupedState&>(src);
  auto& into = checked_cast<UngroupedState&>(*dst);
  CA_ASSIGN_OR_RAISE(auto states, from.accumulator->State());
  return into.accumulator->Merge(states);
}

Status FinalizeUngrouped(cp::KernelContext* ctx, arrow::Datum* out) {
  auto& state = checked_cast<UngroupedState&>(*ctx->state());
  CA_ASSIGN_OR_RAISE(auto result, state.accumulator->Finalize());
  CA_RETURN_NOT_OK(CheckResult(*state.data, *result, *state.out_type));
  CA_ASSIGN_OR_RAISE(auto scalar, result->GetScalar(0));
  *out = std::move(scalar);
  return Status::OK();
}

// ---- grouped

struct GroupedState : public cp::KernelState {
  const AggregateKernelData* data = nullptr;
  TypeList arg_types;
  std::shared_ptr<arrow::DataType> out_type;
  std::vector<std::unique_ptr<AggregateAccumulator>> groups;

  void Grow(size_t n) {
    while (groups.size() < n) groups.push_back(data->spec.make_accumulator(arg_types));
  }
};

Result<std::unique_ptr<cp::KernelState>> InitGrouped(cp::KernelContext*,
                                                     const cp::KernelInitArgs& args) {
  const auto& data = DataOf(args.kernel);
  auto state = std::make_unique<GroupedState>();
  state->data = &data;
  state->arg_types = ArgTypesOf(args.inputs, data.spec.params.size());
  CA_ASSIGN_OR_RAISE(state->out_type, Bind(data, state->arg_types));
  return state;
}

Status ResizeGrouped(cp::KernelContext* ctx, int64_t num_groups) {
  checked_cast<GroupedState&>(*ctx->state()).Grow(static_cast<size_t>(num_groups));
  return Status::OK();
}

Status GroupOutOfRange(const GroupedState& state, uint32_t group) {
  return internal::FunctionError(state.data->name, "INTERNAL",
                                 "group id " + std::to_string(group) + " out of range (" +
                                     std::to_string(state.groups.size()) + " groups)");
}

Status ConsumeGrouped(cp::KernelContext* ctx, const cp::ExecSpan& batch) {
  auto& state = checked_cast<GroupedState&>(*ctx->state());
  const size_t num_args = state.arg_types.size();
  const int64_t length = batch.length;
  if (length == 0) return Status::OK();
  CA_ASSIGN_OR_RAISE(auto args, ArgsOf(batch, num_args, ctx->memory_pool()));
  const cp::ExecValue& ids = batch[static_cast<int>(num_args)];
  if (ids.is_scalar()) {
    uint32_t group = checked_cast<const arrow::UInt32Scalar&>(*ids.scalar).value;
    if (group >= state.groups.size()) return GroupOutOfRange(state, group);
    return state.groups[group]->Update(args);
  }
  const uint32_t* group_of = ids.array.GetValues<uint32_t>(1);
  // Bring each group's rows together (stable, so every accumulator sees its rows in input
  // order), then hand each group its run as zero-copy slices.
  std::vector<uint32_t> sorted_groups(group_of, group_of + length);
  if (!std::is_sorted(sorted_groups.begin(), sorted_groups.end())) {
    std::vector<int64_t> order(static_cast<size_t>(length));
    std::iota(order.begin(), order.end(), int64_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return group_of[a] < group_of[b]; });
    for (int64_t i = 0; i < length; ++i) sorted_groups[i] = group_of[order[i]];
    auto indices =
        std::make_shared<arrow::Int64Array>(length, arrow::Buffer::FromVector(std::move(order)));
    for (auto& arg : args) {
      CA_ASSIGN_OR_RAISE(auto taken, cp::Take(arg, indices, cp::TakeOptions::NoBoundsCheck(),
                                              ctx->exec_context()));
      arg = taken.make_array();
    }
  }
  ArrayList slice(num_args);
  for (int64_t start = 0; start < length;) {
    uint32_t group = sorted_groups[start];
    int64_t end = start + 1;
    while (end < length && sorted_groups[end] == group) ++end;
    if (group >= state.groups.size()) return GroupOutOfRange(state, group);
    for (size_t i = 0; i < num_args; ++i) slice[i] = args[i]->Slice(start, end - start);
    CA_RETURN_NOT_OK(state.groups[group]->Update(slice));
    start = end;
  }
  return Status::OK();
}

Status MergeGrouped(cp::KernelContext* ctx, cp::KernelState&& other,
                    const arrow::ArrayData& group_id_mapping) {
  auto& into = checked_cast<GroupedState&>(*ctx->state());
  auto& from = checked_cast<GroupedState&>(other);
  const uint32_t* target = group_id_mapping.GetValues<uint32_t>(1);
  const size_t n = std::min(from.groups.size(), static_cast<size_t>(group_id_mapping.length));
  for (size_t i = 0; i < n; ++i) {
    into.Grow(static_cast<size_t>(target[i]) + 1);
    CA_ASSIGN_OR_RAISE(auto states, from.groups[i]->State());
    CA_RETURN_NOT_OK(into.groups[target[i]]->Merge(states));
  }
  return Status::OK();
}

Status FinalizeGrouped(cp::KernelContext* ctx, arrow::Datum* out) {
  auto& state = checked_cast<GroupedState&>(*ctx->state());
  CA_ASSIGN_OR_RAISE(auto builder, arrow::MakeBuilder(state.out_type, ctx->memory_pool()));
  CA_RETURN_NOT_OK(builder->Reserve(static_cast<int64_t>(state.groups.size())));
  for (auto& group : state.groups) {
    CA_ASSIGN_OR_RAISE(auto result, group->Finalize());
    CA_RETURN_NOT_OK(CheckResult(*state.data, *result, *state.out_type));
    CA_RETURN_NOT_OK(builder->AppendArraySlice(arrow::ArraySpan(*result->data()), 0, 1));
  }
  CA_ASSIGN_OR_RAISE(auto array, builder->Finish());
  *out = std::move(array);
  return Status::OK();
}

cp::FunctionDoc DocOf(const AggregateSpec& spec, bool grouped) {
  std::vector<std::string> arg_names;
  for (const auto& p : spec.params) arg_names.push_back(p.name);
  if (grouped) arg_names.push_back("group_id_array");
  return cp::FunctionDoc(spec.doc, "", std::move(arg_names));
}

}  // namespace

Result<std::shared_ptr<cp::ScalarAggregateFunction>> MakeScalarAggregateFunction(
    const AggregateSpec& spec, const std::string& name) {
  const int num_args = static_cast<int>(spec.params.size());
  auto fn = std::make_shared<cp::ScalarAggregateFunction>(name, cp::Arity(num_args),
                                                          DocOf(spec, /*grouped=*/false));
  auto data = std::make_shared<AggregateKernelData>(spec, name);
  std::vector<cp::InputType> inputs(static_cast<size_t>(num_args), cp::InputType::Any());
  cp::ScalarAggregateKernel kernel(std::move(inputs), ResultType(data, spec.params.size()),
                                   InitUngrouped, ConsumeUngrouped, MergeUngrouped,
                                   FinalizeUngrouped, /*ordered=*/false);
  kernel.data = data;
  CA_RETURN_NOT_OK(fn->AddKernel(std::move(kernel)));
  return fn;
}

Result<std::shared_ptr<cp::HashAggregateFunction>> MakeHashAggregateFunction(
    const AggregateSpec& spec, const std::string& name) {
  const int num_args = static_cast<int>(spec.params.size());
  auto fn = std::make_shared<cp::HashAggregateFunction>("hash_" + name, cp::Arity(num_args + 1),
                                                        DocOf(spec, /*grouped=*/true));
  auto data = std::make_shared<AggregateKernelData>(spec, name);
  std::vector<cp::InputType> inputs(static_cast<size_t>(num_args), cp::InputType::Any());
  inputs.emplace_back(arrow::uint32());
  cp::HashAggregateKernel kernel(
      cp::KernelSignature::Make(std::move(inputs), ResultType(data, spec.params.size())),
      InitGrouped, ResizeGrouped, ConsumeGrouped, MergeGrouped, FinalizeGrouped,
      /*ordered=*/false);
  kernel.data = data;
  CA_RETURN_NOT_OK(fn->AddKernel(std::move(kernel)));
  return fn;
}

}  // namespace codeanatomy::functions
