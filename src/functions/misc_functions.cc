// Functions of §5 "nested" and "misc" that need the call's bind-time facts: struct_pick (its
// result type follows its constant field names) and arrow_metadata (a field's metadata, which
// kernels never see); and cpg_score.
#include <algorithm>
#include <map>
#include <set>

#include <arrow/array/util.h>
#include <arrow/builder.h>
#include <arrow/compute/exec.h>
#include <arrow/util/bitmap_ops.h>
#include <arrow/util/checked_cast.h>

#include "common/suggest.h"
#include "engine/bind_time_arguments.h"
#include "functions/function_kernel.h"

namespace codeanatomy::functions::internal {

namespace {

using arrow::internal::checked_cast;

Status PlanningError(std::string_view function, std::string_view code, const std::string& message,
                     const std::string& extra) {
  return InvalidError(
      stage::kPlanning, code, std::string(function) + ": " + message,
      "{\"function\":" + JsonQuote(function) + (extra.empty() ? "" : "," + extra) + "}");
}

/// struct_pick's picked fields: (index in the input struct, name), from the constant names.
Result<std::vector<std::pair<int, std::string>>> PickedFields(cp::KernelContext* ctx,
                                                              const arrow::DataType& input,
                                                              size_t n_args) {
  const auto* bound = engine::BindTimeArgumentsOf(ctx);
  const auto& st = checked_cast<const arrow::StructType&>(input);
  std::vector<std::pair<int, std::string>> out;
  std::set<std::string> seen;
  for (size_t i = 1; i < n_args; ++i) {
    auto value = bound != nullptr ? bound->constant(i) : nullptr;
    if (value == nullptr || !value->is_valid || !arrow::is_base_binary_like(value->type->id())) {
      return PlanningError(
          "struct_pick", "ARGUMENT_NOT_CONSTANT",
          "field name " + std::to_string(i) + " must be a non-NULL constant string",
          "\"argument\":\"names\"");
    }
    std::string name(checked_cast<const arrow::BaseBinaryScalar&>(*value).view());
    int index = st.GetFieldIndex(name);
    if (index < 0) {
      std::vector<std::string> names;
      for (const auto& f : st.fields()) names.push_back(f->name());
      std::string hint = SuggestionText(ClosestNames(name, names, 3));
      return PlanningError("struct_pick", "FIELD_NOT_FOUND",
                           "no field '" + name + "' in " + input.ToString() + hint,
                           "\"field\":" + JsonQuote(name));
    }
    if (!seen.insert(name).second) {
      return PlanningError("struct_pick", "DUPLICATE_FIELD", "field '" + name + "' picked twice",
                           "\"field\":" + JsonQuote(name));
    }
    out.emplace_back(index, std::move(name));
  }
  return out;
}

Result<arrow::TypeHolder> StructPickType(cp::KernelContext* ctx,
                                         const std::vector<arrow::TypeHolder>& types) {
  if (types[0].type->id() == arrow::Type::NA) return arrow::TypeHolder(arrow::null());
  CA_ASSIGN_OR_RAISE(auto picked, PickedFields(ctx, *types[0].type, types.size()));
  const auto& st = checked_cast<const arrow::StructType&>(*types[0].type);
  arrow::FieldVector fields;
  for (const auto& [index, name] : picked) fields.push_back(st.field(index));
  return arrow::TypeHolder(arrow::struct_(std::move(fields)));
}

Status ExecStructPick(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  auto args = ArgsOf(batch);
  std::shared_ptr<arrow::Array> input;
  if (args[0].is_scalar()) {
    CA_ASSIGN_OR_RAISE(
        input, arrow::MakeArrayFromScalar(*args[0].scalar(), batch.length, ctx->memory_pool()));
  } else {
    input = args[0].array();
  }
  if (input->type_id() == arrow::Type::NA) return Emit(input, out);
  CA_ASSIGN_OR_RAISE(auto picked, PickedFields(ctx, *input->type(), batch.num_values()));
  const auto& structs = checked_cast<const arrow::StructArray&>(*input);
  arrow::ArrayVector children;
  arrow::FieldVector fields;
  for (const auto& [index, name] : picked) {
    children.push_back(structs.field(index));  // sliced to the struct's offset and length
    fields.push_back(structs.struct_type()->field(index));
  }
  std::shared_ptr<arrow::Buffer> validity;
  if (structs.null_count() > 0) {
    CA_ASSIGN_OR_RAISE(validity,
                       arrow::internal::CopyBitmap(ctx->memory_pool(), structs.null_bitmap_data(),
                                                   structs.offset(), structs.length()));
  }
  auto result = std::make_shared<arrow::StructArray>(arrow::struct_(std::move(fields)),
                                                     structs.length(), std::move(children),
                                                     std::move(validity), structs.null_count());
  return Emit(result, out);
}

Result<arrow::TypeHolder> ArrowMetadataType(cp::KernelContext*,
                                            const std::vector<arrow::TypeHolder>& types) {
  if (types.size() >= 2) return arrow::TypeHolder(arrow::utf8());
  return arrow::TypeHolder(arrow::map(arrow::utf8(), arrow::utf8()));
}

Status ExecArrowMetadata(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  auto args = ArgsOf(batch);
  const auto* bound = engine::BindTimeArgumentsOf(ctx);
  std::map<std::string, std::string> entries;  // sorted by key; the last of equal keys kept
  if (auto metadata = bound != nullptr ? bound->metadata_of(0) : nullptr) {
    for (int64_t i = 0; i < metadata->size(); ++i) entries[metadata->key(i)] = metadata->value(i);
  }
  const int64_t n = batch.length;
  if (args.size() >= 2) {
    arrow::StringBuilder builder(ctx->memory_pool());
    CA_RETURN_NOT_OK(builder.Reserve(n));
    for (int64_t row = 0; row < n; ++row) {
      if (args[1].IsNull(row)) {
        CA_RETURN_NOT_OK(builder.AppendNull());
        continue;
      }
      auto it = entries.find(std::string(args[1].Str(row)));
      CA_RETURN_NOT_OK(it == entries.end() ? builder.AppendNull() : builder.Append(it->second));
    }
    CA_ASSIGN_OR_RAISE(auto array, builder.Finish());
    return Emit(array, out);
  }
  auto keys = std::make_shared<arrow::StringBuilder>(ctx->memory_pool());
  auto items = std::make_shared<arrow::StringBuilder>(ctx->memory_pool());
  arrow::MapBuilder builder(ctx->memory_pool(), keys, items);
  for (int64_t row = 0; row < n; ++row) {
    CA_RETURN_NOT_OK(builder.Append());
    for (const auto& [k, v] : entries) {
      CA_RETURN_NOT_OK(keys->Append(k));
      CA_RETURN_NOT_OK(items->Append(v));
    }
  }
  CA_ASSIGN_OR_RAISE(auto array, builder.Finish());
  return Emit(array, out);
}

Status ExecCpgScore(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  auto args = ArgsOf(batch);
  if (args[0].is_scalar()) {
    CA_ASSIGN_OR_RAISE(auto array, arrow::MakeArrayFromScalar(*args[0].scalar(), batch.length,
                                                              ctx->memory_pool()));
    return Emit(array, out);
  }
  return Emit(args[0].array(), out);
}

}  // namespace

std::vector<FunctionSpec> MiscFunctionSpecs() {
  std::vector<FunctionSpec> specs;
  FunctionSpec pick{"struct_pick",
                    {"struct_select"},
                    {{"struct", ParamType::kStruct}, {"names", ParamType::kText}},
                    2,
                    true,
                    nullptr,
                    -1,
                    ExecStructPick,
                    "A struct of the named fields of struct, in the order named (each field "
                    "keeps its type, nullability and metadata); NULL where struct is NULL. The "
                    "names must be non-NULL constant strings (ARGUMENT_NOT_CONSTANT), each a "
                    "field of the struct (FIELD_NOT_FOUND, with a suggestion) and named once "
                    "(DUPLICATE_FIELD); all are planning errors.",
                    {}};
  pick.result_resolver = StructPickType;
  pick.bind_time_arguments = true;
  pick.result_type_name = "struct<the named fields>";
  specs.push_back(std::move(pick));
  FunctionSpec metadata{"arrow_metadata",
                        {},
                        {{"expr", ParamType::kAny}, {"key", ParamType::kText}},
                        1,
                        false,
                        nullptr,
                        -1,
                        ExecArrowMetadata,
                        "The Arrow field metadata of expr when it is a column: without key, "
                        "every entry as map<utf8, utf8> sorted by key (empty when there is "
                        "none, or when expr is not a column); with key, that entry's value as "
                        "utf8 (NULL when absent or key is NULL). The same for every row, NULL "
                        "values of expr included: metadata belongs to the field, not the value.",
                        {}};
  metadata.result_resolver = ArrowMetadataType;
  metadata.bind_time_arguments = true;
  metadata.result_type_name = "map<utf8, utf8> | utf8 (with key)";
  specs.push_back(std::move(metadata));
  specs.push_back({"cpg_score",
                   {},
                   {{"value", ParamType::kFloat64}},
                   1,
                   false,
                   arrow::float64(),
                   -1,
                   ExecCpgScore,
                   "The score as float64, unchanged (the original's scoring hook is the "
                   "identity); integers, decimals and numeric strings are cast, a string that "
                   "is not a number is a cast error; NULL stays NULL.",
                   {}});
  return specs;
}

}  // namespace codeanatomy::functions::internal
