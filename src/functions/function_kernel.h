// Internal machinery shared by the bundle's function families: how a function is specified
// (parameters, arity, result, kernel), how its arguments are coerced at bind time, how a kernel
// reads broadcast arguments, and the errors kernels raise.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/array.h>
#include <arrow/compute/function.h>
#include <arrow/compute/kernel.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

#include "common/status.h"
#include "functions/functions.h"

namespace codeanatomy::functions::internal {

namespace cp = arrow::compute;

/// What a parameter accepts, and the type its argument is cast to before the kernel runs.
enum class ParamType {
  kText,       ///< utf8; other scalar types are cast to their text (Arrow's cast to string)
  kAnyAsText,  ///< the same, described as "any" (the value's text is what counts)
  kInt64,      ///< int64; other integers, strings (parsed) and NULL are cast
  kInt32,      ///< int32; as kInt64, range-checked
  kBool,       ///< boolean; integers (non-zero), strings (parsed) and NULL are cast
  kSpan,       ///< a struct with integer fields bstart and bend (end_exclusive optional)
  kList,       ///< a list or large_list of scalar types; the kernel renders elements as text
               ///< (not an implicit cast: the session's "cast" cannot cast nested types)
  kMap,        ///< a map of scalar key and value types; rendered as text by the kernel
  kFloat64,    ///< float64; integers, decimals, strings (parsed) and NULL are cast
  kStruct,     ///< any struct (NULL passes as it is)
  kAny,        ///< anything, unchanged
};

struct Param {
  std::string name;
  ParamType type;
};

/// One function of the bundle: its descriptor data plus the kernel that computes it.
struct FunctionSpec {
  std::string name;
  std::vector<std::string> aliases;
  std::vector<Param> params;
  size_t min_args = 0;
  bool variadic = false;  ///< the last parameter repeats
  /// The result type; nullptr means "the type of argument `result_from_arg`".
  std::shared_ptr<arrow::DataType> result_type;
  int result_from_arg = -1;
  cp::ArrayKernelExec exec = nullptr;
  std::string doc;
  std::vector<std::string> config_keys;
  /// The result type when it depends on more than the argument types (e.g. on a constant
  /// argument, read from the bind-time arguments); overrides result_type.
  cp::OutputType::Resolver result_resolver = nullptr;
  /// Calls carry their constants and field metadata (engine/bind_time_arguments.h), read by
  /// the kernel with engine::BindTimeArgumentsOf(ctx).
  bool bind_time_arguments = false;
  /// How the descriptor spells the result type when result_resolver decides it.
  std::string result_type_name = {};
};

/// Kernel data: the config the function was installed with and its canonical name.
struct FunctionState : public cp::KernelState {
  FunctionState(std::string n, FunctionConfig c) : name(std::move(n)), config(std::move(c)) {}
  std::string name;
  FunctionConfig config;
};

/// The state of the running kernel.
inline const FunctionState& StateOf(cp::KernelContext* ctx) {
  return static_cast<const FunctionState&>(*ctx->kernel()->data);
}

/// Builds the Arrow function named `name` (the spec's name or one of its aliases).
Result<std::shared_ptr<cp::ScalarFunction>> MakeScalarFunction(const FunctionSpec& spec,
                                                               const std::string& name,
                                                               const FunctionConfig& config);

/// Descriptor of a spec (signatures derived from the parameters).
FunctionDescriptor DescribeSpec(const FunctionSpec& spec);

/// The struct a span is: {bstart, bend, line_base, col_unit, end_exclusive}.
std::shared_ptr<arrow::DataType> SpanType();

// The families.
std::vector<FunctionSpec> HashFunctionSpecs();
std::vector<FunctionSpec> SpanFunctionSpecs();
std::vector<FunctionSpec> StringFunctionSpecs();
std::vector<FunctionSpec> NestedFunctionSpecs();
std::vector<FunctionSpec> MiscFunctionSpecs();

/// One kernel argument, scalar or array, read row by row (a scalar repeats for every row).
/// The bind-time coercion guarantees the physical type the accessor expects.
class Arg {
 public:
  explicit Arg(const cp::ExecValue& value);

  bool is_scalar() const { return scalar_ != nullptr; }
  bool IsNull(int64_t row) const;
  std::string_view Str(int64_t row) const;  ///< utf8
  int64_t Int64(int64_t row) const;         ///< int64
  int32_t Int32(int64_t row) const;         ///< int32
  bool Bool(int64_t row) const;             ///< boolean
  const std::shared_ptr<arrow::Array>& array() const { return array_; }
  const std::shared_ptr<arrow::Scalar>& scalar() const { return scalar_; }

 private:
  std::shared_ptr<arrow::Scalar> scalar_;
  std::shared_ptr<arrow::Array> array_;
};

/// The arguments of a batch, one Arg each.
std::vector<Arg> ArgsOf(const cp::ExecSpan& batch);

/// Multi-part values (CONTRACTS §5): parts joined by \x1f, a NULL part written __NULL__.
inline constexpr std::string_view kPartSeparator = "\x1f";
inline constexpr std::string_view kNullPart = "__NULL__";

/// Row `row` of args[first..] joined as above into `out` (cleared first); utf8 parts as they
/// are, int64 parts in decimal.
void JoinParts(const std::vector<Arg>& args, size_t first, int64_t row, std::string* out);

/// A runtime error of a function: stage "execution", `code`, details {function, ...}.
Status FunctionError(std::string_view function, std::string_view code, const std::string& message,
                     std::string extra_details = "");

/// Requires argument `index` of `function` to be a constant (a scalar, or the single row of a
/// one-row batch); ARGUMENT_NOT_CONSTANT naming the parameter otherwise.
Status RequireConstant(std::string_view function, const std::vector<Arg>& args, size_t index,
                       std::string_view param);

/// Checks that `text` is valid UTF-8; INVALID_UTF8 naming the row otherwise.
Status CheckUtf8(std::string_view function, std::string_view text, int64_t row);

/// Sets the kernel output.
inline Status Emit(const std::shared_ptr<arrow::Array>& array, cp::ExecResult* out) {
  out->value = array->data();
  return Status::OK();
}

}  // namespace codeanatomy::functions::internal
