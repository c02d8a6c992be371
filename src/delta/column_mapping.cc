#include "delta/column_mapping.h"

#include <mutex>

#include <arrow/compute/api.h>
#include <arrow/compute/kernel.h>
#include <arrow/compute/registry.h>

#include "delta/delta_error.h"

namespace codeanatomy::delta {

namespace cp = arrow::compute;

namespace {

// ---- column mapping: physical columns under their logical names ----

// Relabels a value with a type that differs from its own only in field names (see
// DiffersOnlyInNames). Arrow's cast cannot rename fields inside lists and maps, and renaming
// needs no copy: the buffers stay, only the types change. The target type comes from
// CastOptions::to_type.
constexpr const char* kRenameFunction = "codeanatomy_delta_rename";

// The types whose children are named fields, and so may be renamed by column mapping.
bool HasMappedChildren(arrow::Type::type id) {
  switch (id) {
    case arrow::Type::STRUCT:
    case arrow::Type::LIST:
    case arrow::Type::LARGE_LIST:
    case arrow::Type::FIXED_SIZE_LIST:
    case arrow::Type::MAP:
      return true;
    default:
      return false;
  }
}

struct RenameState : public cp::KernelState {
  explicit RenameState(std::shared_ptr<arrow::DataType> type) : to_type(std::move(type)) {}
  std::shared_ptr<arrow::DataType> to_type;
};

Result<std::unique_ptr<cp::KernelState>> InitRename(cp::KernelContext*,
                                                    const cp::KernelInitArgs& args) {
  const auto* options = dynamic_cast<const cp::CastOptions*>(args.options);
  if (options == nullptr || options->to_type.type == nullptr) {
    return Status::Invalid(kRenameFunction, " requires CastOptions with a target type");
  }
  return std::make_unique<RenameState>(options->to_type.GetSharedPtr());
}

Result<arrow::TypeHolder> ResolveRenamed(cp::KernelContext* ctx,
                                         const std::vector<arrow::TypeHolder>& args) {
  const auto& to = static_cast<const RenameState*>(ctx->state())->to_type;
  if (!DiffersOnlyInNames(*args[0], *to)) return RenameMismatch(*args[0], *to);
  return arrow::TypeHolder(to);
}

Status ExecRename(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  // Unary scalar kernels get arrays only (the executor promotes an all-scalar batch).
  const auto& to = static_cast<const RenameState*>(ctx->state())->to_type;
  const arrow::ArraySpan& input = batch[0].array;
  // Binding checked the declared input type; check the batch's too, as relabeling a layout
  // that differs would misread the buffers.
  if (!DiffersOnlyInNames(*input.type, *to)) return RenameMismatch(*input.type, *to);
  out->value = Relabel(input.ToArrayData(), to);
  return Status::OK();
}

Status EnsureRenameFunction() {
  static std::once_flag once;
  static Status status;
  std::call_once(once, [] {
    cp::FunctionRegistry* registry = cp::GetFunctionRegistry();
    if (registry->GetFunction(kRenameFunction).ok()) return;  // another copy of this library
    auto fn = std::make_shared<cp::ScalarFunction>(
        kRenameFunction, cp::Arity::Unary(),
        cp::FunctionDoc("Relabel a value with a type that differs only in field names",
                        "Zero-copy: the target type (CastOptions::to_type) must have the same "
                        "layout as the value's type, up to the names of fields at any depth.",
                        {"value"}, "CastOptions", /*options_required=*/true));
    cp::ScalarKernel kernel({cp::InputType::Any()}, cp::OutputType(ResolveRenamed), ExecRename,
                            InitRename);
    kernel.null_handling = cp::NullHandling::COMPUTED_NO_PREALLOCATE;
    kernel.mem_allocation = cp::MemAllocation::NO_PREALLOCATE;
    kernel.can_write_into_slices = false;
    status = fn->AddKernel(std::move(kernel));
    if (status.ok()) status = registry->AddFunction(std::move(fn), /*allow_overwrite=*/false);
    if (!status.ok() && registry->GetFunction(kRenameFunction).ok()) status = Status::OK();
  });
  return status;
}

}  // namespace

// Whether `from` and `to` differ at most in the names (and metadata, nullability) of fields at
// any depth, so that an array of `from` is one of `to` once relabeled.
bool DiffersOnlyInNames(const arrow::DataType& from, const arrow::DataType& to) {
  if (!HasMappedChildren(from.id())) return from.Equals(to);
  if (from.id() != to.id() || from.num_fields() != to.num_fields()) return false;
  if (from.id() == arrow::Type::FIXED_SIZE_LIST &&
      static_cast<const arrow::FixedSizeListType&>(from).list_size() !=
          static_cast<const arrow::FixedSizeListType&>(to).list_size()) {
    return false;
  }
  for (int i = 0; i < from.num_fields(); ++i) {
    if (!DiffersOnlyInNames(*from.field(i)->type(), *to.field(i)->type())) return false;
  }
  return true;
}

// `data` typed as `type` (which DiffersOnlyInNames from its type), sharing its buffers.
std::shared_ptr<arrow::ArrayData> Relabel(const std::shared_ptr<arrow::ArrayData>& data,
                                          const std::shared_ptr<arrow::DataType>& type) {
  auto out = data->Copy();
  out->type = type;
  if (HasMappedChildren(type->id())) {
    for (size_t i = 0; i < out->child_data.size(); ++i) {
      out->child_data[i] = Relabel(out->child_data[i], type->field(static_cast<int>(i))->type());
    }
  }
  return out;
}

Status RenameMismatch(const arrow::DataType& from, const arrow::DataType& to) {
  return DeltaError("COLUMN_MAPPING_TYPE_MISMATCH",
                    "cannot rename " + from.ToString() + " to " + to.ToString() +
                        ": the types differ in more than field names");
}

// Column mapping renames nested fields too. A type that differs only in names is relabeled
// (at any depth, in lists and maps too); a struct whose leaves differ as well is rebuilt under
// its logical names (a null struct stays null); other types are cast.
Result<cp::Expression> ToLogical(cp::Expression value, const arrow::DataType& physical,
                                 const std::shared_ptr<arrow::DataType>& logical) {
  if (physical.Equals(*logical)) return value;
  if (DiffersOnlyInNames(physical, *logical)) {
    CA_RETURN_NOT_OK(EnsureRenameFunction());
    return cp::call(kRenameFunction, {std::move(value)}, cp::CastOptions::Safe(logical));
  }
  if (arrow::is_nested(physical.id()) && physical.id() != arrow::Type::STRUCT) {
    // Arrow's cast cannot rename fields inside lists and maps (it crashes on struct elements).
    return DeltaError("NOT_SUPPORTED",
                      "not supported: column mapping inside list or map columns whose element "
                      "types differ (" +
                          physical.ToString() + " to " + logical->ToString() + ")");
  }
  if (physical.id() == arrow::Type::STRUCT && logical->id() == arrow::Type::STRUCT &&
      physical.num_fields() == logical->num_fields()) {
    std::vector<cp::Expression> children;
    std::vector<std::string> names;
    std::vector<bool> nullable;
    for (int i = 0; i < logical->num_fields(); ++i) {
      CA_ASSIGN_OR_RAISE(auto child,
                         ToLogical(cp::call("struct_field", {value}, cp::StructFieldOptions({i})),
                                   *physical.field(i)->type(), logical->field(i)->type()));
      children.push_back(std::move(child));
      names.push_back(logical->field(i)->name());
      nullable.push_back(logical->field(i)->nullable());
    }
    auto rebuilt =
        cp::call("make_struct", std::move(children),
                 cp::MakeStructOptions(
                     names, nullable,
                     std::vector<std::shared_ptr<const arrow::KeyValueMetadata>>(names.size())));
    return cp::call("if_else", {cp::is_null(value), cp::literal(arrow::MakeNullScalar(logical)),
                                std::move(rebuilt)});
  }
  return cp::call("cast", {value}, cp::CastOptions::Safe(logical));
}

}  // namespace codeanatomy::delta
