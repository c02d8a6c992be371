#include "functions/function_kernel.h"

#include "engine/bind_time_arguments.h"

#include <arrow/array/util.h>
#include <arrow/compute/exec.h>
#include <arrow/util/checked_cast.h>
#include <arrow/util/utf8.h>

namespace codeanatomy::functions::internal {

namespace {

using arrow::internal::checked_cast;

std::string TypeText(const arrow::DataType& type) {
  return type.id() == arrow::Type::STRING ? "utf8" : type.ToString();
}

std::string ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kText:
      return "utf8";
    case ParamType::kAnyAsText:
      return "any";
    case ParamType::kInt64:
      return "int64";
    case ParamType::kInt32:
      return "int32";
    case ParamType::kBool:
      return "bool";
    case ParamType::kSpan:
      return "span";
    case ParamType::kList:
      return "list";
    case ParamType::kMap:
      return "map";
    case ParamType::kFloat64:
      return "float64";
    case ParamType::kStruct:
      return "struct";
    case ParamType::kAny:
      return "any";
  }
  return "any";
}

bool IsStringLike(arrow::Type::type id) {
  return id == arrow::Type::STRING || id == arrow::Type::LARGE_STRING ||
         id == arrow::Type::STRING_VIEW;
}

bool IsRenderable(arrow::Type::type id) {
  return IsStringLike(id) || id == arrow::Type::NA || id == arrow::Type::BOOL ||
         arrow::is_integer(id) || arrow::is_floating(id) || arrow::is_decimal(id) ||
         id == arrow::Type::DATE32 || id == arrow::Type::DATE64 || id == arrow::Type::TIMESTAMP ||
         id == arrow::Type::TIME32 || id == arrow::Type::TIME64;
}

// A span struct: integer bstart and bend, and end_exclusive (if present) boolean.
bool IsSpanStruct(const arrow::DataType& type) {
  if (type.id() != arrow::Type::STRUCT) return false;
  const auto& st = checked_cast<const arrow::StructType&>(type);
  auto bstart = st.GetFieldByName("bstart");
  auto bend = st.GetFieldByName("bend");
  if (!bstart || !bend || !arrow::is_integer(bstart->type()->id()) ||
      !arrow::is_integer(bend->type()->id())) {
    return false;
  }
  auto exclusive = st.GetFieldByName("end_exclusive");
  return !exclusive || exclusive->type()->id() == arrow::Type::BOOL;
}

// The type an argument of `param` type must have for the kernel; nullptr = any.
std::shared_ptr<arrow::DataType> CanonicalType(ParamType type) {
  switch (type) {
    case ParamType::kText:
    case ParamType::kAnyAsText:
      return arrow::utf8();
    case ParamType::kInt64:
      return arrow::int64();
    case ParamType::kInt32:
      return arrow::int32();
    case ParamType::kBool:
      return arrow::boolean();
    case ParamType::kList:
      return arrow::list(arrow::utf8());
    case ParamType::kMap:
      return arrow::map(arrow::utf8(), arrow::utf8());
    case ParamType::kFloat64:
      return arrow::float64();
    case ParamType::kSpan:
    case ParamType::kStruct:
    case ParamType::kAny:
      return nullptr;
  }
  return nullptr;
}

bool Exact(ParamType param, const arrow::DataType& type) {
  if (param == ParamType::kAny) return true;
  // NULL literals of nested parameters reach the kernel as they are: no cast of nested types.
  if (param == ParamType::kSpan) return IsSpanStruct(type) || type.id() == arrow::Type::NA;
  if (param == ParamType::kStruct) {
    return type.id() == arrow::Type::STRUCT || type.id() == arrow::Type::NA;
  }
  if (param == ParamType::kList || param == ParamType::kMap) {  // rendered by the kernel
    if (type.id() == arrow::Type::NA) return true;
    if (param == ParamType::kMap) {
      if (type.id() != arrow::Type::MAP) return false;
      const auto& map = checked_cast<const arrow::MapType&>(type);
      return IsRenderable(map.key_type()->id()) && IsRenderable(map.item_type()->id());
    }
    return (type.id() == arrow::Type::LIST || type.id() == arrow::Type::LARGE_LIST) &&
           IsRenderable(checked_cast<const arrow::BaseListType&>(type).value_type()->id());
  }
  return CanonicalType(param)->Equals(type);
}

// The type to cast an argument to, or an error when the argument cannot stand for the param.
Result<arrow::TypeHolder> Coerce(const FunctionSpec& spec, size_t index, const Param& param,
                                 const arrow::TypeHolder& actual) {
  const arrow::DataType& type = *actual.type;
  auto id = type.id();
  if (Exact(param.type, type)) return actual;
  bool ok = false;
  switch (param.type) {
    // Lenient like the original's coercions, and because the SQL layer types a NULL literal
    // after its first typed sibling (col_to_byte(NULL, 3, 'BYTE') passes an int32 NULL).
    case ParamType::kText:
    case ParamType::kAnyAsText:
      ok = IsRenderable(id);
      break;
    case ParamType::kInt64:
    case ParamType::kInt32:
    case ParamType::kBool:
      ok = arrow::is_integer(id) || IsStringLike(id) || id == arrow::Type::NA;
      break;
    case ParamType::kFloat64:
      ok = arrow::is_integer(id) || arrow::is_floating(id) || arrow::is_decimal(id) ||
           IsStringLike(id) || id == arrow::Type::NA;
      break;
    case ParamType::kStruct:
    case ParamType::kSpan:
    case ParamType::kList:
    case ParamType::kMap:
      break;
    case ParamType::kAny:
      ok = true;
      break;
  }
  if (ok) return arrow::TypeHolder(CanonicalType(param.type));
  std::string expected = param.type == ParamType::kSpan
                             ? "a span struct with integer bstart and bend"
                         : param.type == ParamType::kStruct ? "a struct"
                         : param.type == ParamType::kList   ? "a list of scalar values"
                         : param.type == ParamType::kMap    ? "a map of scalar keys and values"
                                                            : ParamTypeName(param.type);
  return InvalidError(
      stage::kPlanning, "TYPE_MISMATCH",
      spec.name + ": argument " + std::to_string(index + 1) + " (" + param.name + ") must be " +
          expected + ", got " + TypeText(type),
      "{\"function\":" + JsonQuote(spec.name) + ",\"argument\":" + JsonQuote(param.name) + "}");
}

std::string ArityText(const FunctionSpec& spec) {
  if (spec.variadic) return std::to_string(spec.min_args) + " or more";
  if (spec.min_args == spec.params.size()) return std::to_string(spec.min_args);
  return std::to_string(spec.min_args) + " to " + std::to_string(spec.params.size());
}

const engine::BindTimeArguments& DefaultBindTimeArguments() {
  static const engine::BindTimeArguments defaults;
  return defaults;
}

// A scalar function whose dispatch coerces arguments to the spec's parameter types, so one
// kernel serves every accepted input type and arity.
class BundleFunction : public cp::ScalarFunction {
 public:
  BundleFunction(std::string name, const cp::Arity& arity, cp::FunctionDoc doc, FunctionSpec spec)
      : cp::ScalarFunction(std::move(name), arity, std::move(doc),
                           spec.bind_time_arguments ? &DefaultBindTimeArguments() : nullptr),
        spec_(std::move(spec)) {}

  Result<const cp::Kernel*> DispatchExact(
      const std::vector<arrow::TypeHolder>& types) const override {
    CA_RETURN_NOT_OK(CheckCount(types.size()));
    for (size_t i = 0; i < types.size(); ++i) {
      if (!Exact(ParamAt(i).type, *types[i].type)) {
        return Status::NotImplemented(spec_.name, ": argument ", i + 1, " needs a cast");
      }
    }
    return &kernels_[0];
  }

  Result<const cp::Kernel*> DispatchBest(std::vector<arrow::TypeHolder>* types) const override {
    CA_RETURN_NOT_OK(CheckCount(types->size()));
    for (size_t i = 0; i < types->size(); ++i) {
      CA_ASSIGN_OR_RAISE((*types)[i], Coerce(spec_, i, ParamAt(i), (*types)[i]));
    }
    return &kernels_[0];
  }

 private:
  const Param& ParamAt(size_t i) const {
    return i < spec_.params.size() ? spec_.params[i] : spec_.params.back();
  }

  Status CheckCount(size_t n) const {
    bool ok = n >= spec_.min_args && (spec_.variadic || n <= spec_.params.size());
    if (ok) return Status::OK();
    return InvalidError(stage::kPlanning, "WRONG_ARITY",
                        "function " + spec_.name + " takes " + ArityText(spec_) +
                            " argument(s), got " + std::to_string(n),
                        "{\"function\":" + JsonQuote(spec_.name) + ",\"expected\":" +
                            JsonQuote(ArityText(spec_)) + ",\"actual\":" + std::to_string(n) + "}");
  }

  FunctionSpec spec_;
};

}  // namespace

std::shared_ptr<arrow::DataType> SpanType() {
  static const auto type = arrow::struct_(
      {arrow::field("bstart", arrow::int64()), arrow::field("bend", arrow::int64()),
       arrow::field("line_base", arrow::int32()), arrow::field("col_unit", arrow::utf8()),
       arrow::field("end_exclusive", arrow::boolean())});
  return type;
}

Result<std::shared_ptr<cp::ScalarFunction>> MakeScalarFunction(const FunctionSpec& spec,
                                                               const std::string& name,
                                                               const FunctionConfig& config) {
  bool fixed = !spec.variadic && spec.min_args == spec.params.size();
  cp::Arity arity = fixed ? cp::Arity(static_cast<int>(spec.min_args))
                          : cp::Arity::VarArgs(static_cast<int>(spec.min_args));
  // Arrow's doc check wants as many argument names as the minimum arity.
  std::vector<std::string> doc_args;
  for (size_t i = 0; i < spec.min_args && i < spec.params.size(); ++i) {
    doc_args.push_back(spec.params[i].name);
  }
  cp::FunctionDoc doc(spec.doc, "", doc_args);
  auto fn = std::make_shared<BundleFunction>(name, arity, std::move(doc), spec);

  cp::OutputType out =
      spec.result_resolver ? cp::OutputType(spec.result_resolver)
      : spec.result_type
          ? cp::OutputType(spec.result_type)
          : cp::OutputType(
                [index = spec.result_from_arg](
                    cp::KernelContext*,
                    const std::vector<arrow::TypeHolder>& types) -> Result<arrow::TypeHolder> {
                  return types[static_cast<size_t>(index)];
                });
  std::vector<cp::InputType> inputs(std::max<size_t>(spec.min_args, 1), cp::InputType::Any());
  if (fixed) inputs.resize(spec.min_args, cp::InputType::Any());
  cp::ScalarKernel kernel(cp::KernelSignature::Make(std::move(inputs), out, !fixed), spec.exec);
  kernel.null_handling = cp::NullHandling::COMPUTED_NO_PREALLOCATE;
  kernel.mem_allocation = cp::MemAllocation::NO_PREALLOCATE;
  kernel.can_write_into_slices = false;
  kernel.data = std::make_shared<FunctionState>(spec.name, config);
  if (spec.bind_time_arguments) kernel.init = engine::BindTimeArgumentsInit;
  CA_RETURN_NOT_OK(fn->AddKernel(std::move(kernel)));
  return fn;
}

FunctionDescriptor DescribeSpec(const FunctionSpec& spec) {
  FunctionDescriptor d;
  d.name = spec.name;
  d.kind = "scalar";
  d.aliases = spec.aliases;
  for (const auto& p : spec.params) d.parameter_names.push_back(p.name);
  d.volatility = "immutable";
  size_t max_args = spec.variadic ? spec.min_args : spec.params.size();
  for (size_t n = spec.min_args; n <= max_args; ++n) {
    std::vector<std::string> sig;
    for (size_t i = 0; i < n; ++i) sig.push_back(ParamTypeName(spec.params[i].type));
    d.signatures.push_back(std::move(sig));
  }
  d.variadic = spec.variadic;
  if (spec.result_type) {
    d.return_type = TypeText(*spec.result_type);
    if (spec.result_type->id() == arrow::Type::STRUCT) {
      std::string text = "struct<";
      const auto& st = checked_cast<const arrow::StructType&>(*spec.result_type);
      for (int i = 0; i < st.num_fields(); ++i) {
        if (i > 0) text += ", ";
        text += st.field(i)->name() + ": " + TypeText(*st.field(i)->type());
      }
      d.return_type = text + ">";
    } else if (spec.result_type->id() == arrow::Type::LIST) {
      d.return_type = "list<utf8>";
    } else if (spec.result_type->id() == arrow::Type::MAP) {
      d.return_type = "map<utf8, utf8>";
    } else if (spec.result_type->id() == arrow::Type::BOOL) {
      d.return_type = "bool";
    } else if (spec.result_type->id() == arrow::Type::DOUBLE) {
      d.return_type = "float64";
    }
  } else {
    d.return_type = "any";
  }
  if (!spec.result_type_name.empty()) d.return_type = spec.result_type_name;
  d.doc = spec.doc;
  d.config_keys = spec.config_keys;
  return d;
}

// ---------------------------------------------------------------- kernel arguments

Arg::Arg(const cp::ExecValue& value) {
  if (value.is_scalar()) {
    scalar_ = value.scalar->GetSharedPtr();
  } else {
    array_ = arrow::MakeArray(value.array.ToArrayData());
  }
}

bool Arg::IsNull(int64_t row) const { return scalar_ ? !scalar_->is_valid : array_->IsNull(row); }

std::string_view Arg::Str(int64_t row) const {
  if (scalar_) return checked_cast<const arrow::StringScalar&>(*scalar_).view();
  return checked_cast<const arrow::StringArray&>(*array_).GetView(row);
}

int64_t Arg::Int64(int64_t row) const {
  if (scalar_) return checked_cast<const arrow::Int64Scalar&>(*scalar_).value;
  return checked_cast<const arrow::Int64Array&>(*array_).Value(row);
}

int32_t Arg::Int32(int64_t row) const {
  if (scalar_) return checked_cast<const arrow::Int32Scalar&>(*scalar_).value;
  return checked_cast<const arrow::Int32Array&>(*array_).Value(row);
}

bool Arg::Bool(int64_t row) const {
  if (scalar_) return checked_cast<const arrow::BooleanScalar&>(*scalar_).value;
  return checked_cast<const arrow::BooleanArray&>(*array_).Value(row);
}

void JoinParts(const std::vector<Arg>& args, size_t first, int64_t row, std::string* out) {
  out->clear();
  for (size_t p = first; p < args.size(); ++p) {
    if (p > first) *out += kPartSeparator;
    const Arg& a = args[p];
    if (a.IsNull(row)) {
      *out += kNullPart;
      continue;
    }
    const auto& type = a.is_scalar() ? a.scalar()->type : a.array()->type();
    if (type->id() == arrow::Type::INT64) {
      *out += std::to_string(a.Int64(row));
    } else {
      *out += a.Str(row);
    }
  }
}

std::vector<Arg> ArgsOf(const cp::ExecSpan& batch) {
  std::vector<Arg> args;
  args.reserve(batch.values.size());
  for (const auto& v : batch.values) args.emplace_back(v);
  return args;
}

Status FunctionError(std::string_view function, std::string_view code, const std::string& message,
                     std::string extra_details) {
  std::string details = "{\"function\":" + JsonQuote(function);
  if (!extra_details.empty()) details += "," + extra_details;
  details += "}";
  return InvalidError(stage::kExecution, code, std::string(function) + ": " + message, details);
}

Status RequireConstant(std::string_view function, const std::vector<Arg>& args, size_t index,
                       std::string_view param) {
  // Arrow hands all-scalar batches over as arrays of length 1: one row is a constant too.
  if (index >= args.size() || args[index].is_scalar() || args[index].array()->length() <= 1) {
    return Status::OK();
  }
  return FunctionError(function, "ARGUMENT_NOT_CONSTANT",
                       "argument " + std::string(param) + " must be a constant",
                       "\"argument\":" + JsonQuote(param));
}

Status CheckUtf8(std::string_view function, std::string_view text, int64_t row) {
  if (arrow::util::ValidateUTF8(text)) return Status::OK();
  return FunctionError(function, "INVALID_UTF8", "invalid UTF-8 in row " + std::to_string(row),
                       "\"row\":" + std::to_string(row));
}

}  // namespace codeanatomy::functions::internal
