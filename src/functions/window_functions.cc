#include "functions/window_functions.h"

#include <limits>

#include <arrow/array/concatenate.h>
#include <arrow/array/util.h>
#include <arrow/builder.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/cast.h>

#include "engine/session_state.h"

namespace codeanatomy::functions {

namespace cp = arrow::compute;

namespace {

Status PlanningError(std::string_view code, const std::string& function, std::string message) {
  return InvalidError(stage::kPlanning, code, std::move(message),
                      "{\"function\":" + JsonQuote(function) + "}");
}

Status CheckArity(const std::string& name, size_t n, size_t min_args, size_t max_args) {
  if (n >= min_args && n <= max_args) return Status::OK();
  std::string expected = std::to_string(min_args);
  if (max_args != min_args) expected += ".." + std::to_string(max_args);
  return InvalidError(
      stage::kPlanning, "WRONG_ARITY",
      "window function " + name + " takes " + expected + " argument(s), got " + std::to_string(n),
      "{\"function\":" + JsonQuote(name) + ",\"expected\":" + JsonQuote(expected) +
          ",\"actual\":" + std::to_string(n) + "}");
}

class BundleWindowFunction : public engine::WindowUdf {
 public:
  BundleWindowFunction(std::string name, std::vector<std::string> aliases)
      : name_(std::move(name)), aliases_(std::move(aliases)) {}
  const std::string& name() const override { return name_; }
  const std::vector<std::string>& aliases() const override { return aliases_; }

 private:
  std::string name_;
  std::vector<std::string> aliases_;
};

class RowNumber final : public BundleWindowFunction {
 public:
  RowNumber() : BundleWindowFunction("row_number", {"row_number_window", "dedupe_best_by_score"}) {}

  Result<std::shared_ptr<arrow::Field>> ReturnField(
      const std::vector<std::shared_ptr<arrow::DataType>>& arg_types) const override {
    CA_RETURN_NOT_OK(CheckArity(name(), arg_types.size(), 0, 0));
    return arrow::field("", arrow::int64(), /*nullable=*/false);
  }

  Result<std::shared_ptr<arrow::Array>> EvaluatePartition(
      const std::vector<std::shared_ptr<arrow::Array>>&, int64_t num_rows, const int64_t*,
      const int64_t*) const override {
    CA_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> values,
                       arrow::AllocateBuffer(num_rows * static_cast<int64_t>(sizeof(int64_t))));
    auto* out = reinterpret_cast<int64_t*>(values->mutable_data());
    for (int64_t i = 0; i < num_rows; ++i) out[i] = i + 1;
    return arrow::MakeArray(
        arrow::ArrayData::Make(arrow::int64(), num_rows, {nullptr, std::move(values)}, 0));
  }
};

/// lag and lead: a take of the value column at each row's shifted position.
class Shift final : public BundleWindowFunction {
 public:
  explicit Shift(bool lag)
      : BundleWindowFunction(lag ? "lag" : "lead", {lag ? "lag_window" : "lead_window"}),
        lag_(lag) {}

  Result<std::shared_ptr<arrow::Field>> ReturnField(
      const std::vector<std::shared_ptr<arrow::DataType>>& arg_types) const override {
    CA_RETURN_NOT_OK(CheckArity(name(), arg_types.size(), 1, 3));
    const auto& value = arg_types[0];
    if (arg_types.size() >= 2 && !arrow::is_integer(arg_types[1]->id()) &&
        arg_types[1]->id() != arrow::Type::NA) {
      return PlanningError(
          "INVALID_WINDOW_ARGUMENT", name(),
          "the offset of " + name() + " must be an integer, got " + arg_types[1]->ToString());
    }
    if (arg_types.size() == 3 && !cp::CanCast(*arg_types[2], *value)) {
      return PlanningError("TYPE_MISMATCH", name(),
                           "the default of " + name() + " (" + arg_types[2]->ToString() +
                               ") cannot be converted to " + value->ToString());
    }
    return arrow::field("", value, /*nullable=*/true);
  }

  Result<std::shared_ptr<arrow::Array>> EvaluatePartition(
      const std::vector<std::shared_ptr<arrow::Array>>& args, int64_t num_rows, const int64_t*,
      const int64_t*) const override {
    if (args.empty() || args.size() > 3) {
      return CheckArity(name(), args.size(), 1, 3);
    }
    const auto& value = args[0];
    std::shared_ptr<arrow::Int64Array> offsets;
    if (args.size() >= 2 && args[1]->type_id() != arrow::Type::NA) {
      CA_ASSIGN_OR_RAISE(auto cast, cp::Cast(args[1], arrow::int64()));
      offsets = std::static_pointer_cast<arrow::Int64Array>(cast.make_array());
    }
    bool null_offsets = args.size() >= 2 && args[1]->type_id() == arrow::Type::NA;
    std::shared_ptr<arrow::Array> values = value;
    bool has_default = args.size() == 3;
    if (has_default) {
      // Rows without a target take the default of their own row, appended after the values.
      CA_ASSIGN_OR_RAISE(auto defaults, cp::Cast(args[2], value->type()));
      CA_ASSIGN_OR_RAISE(values, arrow::Concatenate({value, defaults.make_array()}));
    }
    arrow::Int64Builder indices;
    CA_RETURN_NOT_OK(indices.Reserve(num_rows));
    for (int64_t i = 0; i < num_rows; ++i) {
      if (null_offsets || (offsets && offsets->IsNull(i))) {
        indices.UnsafeAppendNull();
        continue;
      }
      int64_t offset = offsets ? offsets->Value(i) : 1;
      if (lag_) {  // as the built-in: lag by INT64_MIN looks INT64_MAX rows ahead
        offset = offset == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max()
                                                               : -offset;
      }
      int64_t target = Shifted(i, offset, num_rows);
      if (target >= 0) {
        indices.UnsafeAppend(target);
      } else if (has_default) {
        indices.UnsafeAppend(num_rows + i);
      } else {
        indices.UnsafeAppendNull();
      }
    }
    CA_ASSIGN_OR_RAISE(auto index_array, indices.Finish());
    CA_ASSIGN_OR_RAISE(auto taken, cp::Take(values, index_array));
    return taken.make_array();
  }

 private:
  /// The position `offset` rows after i (before, when negative) within [0, n), or -1.
  static int64_t Shifted(int64_t i, int64_t offset, int64_t n) {
    if (offset >= 0) return offset < n - i ? i + offset : -1;
    return offset >= -i ? i + offset : -1;  // -offset <= i, without negating INT64_MIN
  }

  bool lag_;
};

FunctionDescriptor Descriptor(const engine::WindowUdf& f, std::vector<std::string> parameters,
                              std::vector<std::vector<std::string>> signatures,
                              std::string return_type, std::string doc) {
  FunctionDescriptor d;
  d.name = f.name();
  d.kind = "window";
  d.aliases = f.aliases();
  d.parameter_names = std::move(parameters);
  d.volatility = "immutable";
  d.signatures = std::move(signatures);
  d.return_type = std::move(return_type);
  d.doc = std::move(doc);
  return d;
}

}  // namespace

std::shared_ptr<const engine::WindowUdf> RowNumberWindowFunction() {
  static const auto f = std::make_shared<const RowNumber>();
  return f;
}

std::shared_ptr<const engine::WindowUdf> LagWindowFunction() {
  static const auto f = std::make_shared<const Shift>(/*lag=*/true);
  return f;
}

std::shared_ptr<const engine::WindowUdf> LeadWindowFunction() {
  static const auto f = std::make_shared<const Shift>(/*lag=*/false);
  return f;
}

const std::vector<std::shared_ptr<const engine::WindowUdf>>& CodeanatomyWindowFunctions() {
  static const std::vector<std::shared_ptr<const engine::WindowUdf>> functions = {
      LagWindowFunction(), LeadWindowFunction(), RowNumberWindowFunction()};
  return functions;
}

std::vector<FunctionDescriptor> WindowFunctionDescriptors() {
  const std::vector<std::vector<std::string>> shift_signatures = {
      {"any"}, {"any", "int64"}, {"any", "int64", "any"}};
  const std::string shift_doc =
      " rows in the partition's order, else the default (cast to the value's type) or NULL; "
      "the result has the value's type. A negative offset shifts the other way, a NULL offset "
      "gives NULL.";
  return {
      Descriptor(*LagWindowFunction(), {"value", "offset", "default"}, shift_signatures, "any",
                 "The value `offset` (default 1) rows before the row" + shift_doc),
      Descriptor(*LeadWindowFunction(), {"value", "offset", "default"}, shift_signatures, "any",
                 "The value `offset` (default 1) rows after the row" + shift_doc),
      Descriptor(*RowNumberWindowFunction(), {}, {{}}, "int64",
                 "The row's 1-based position in its partition's order (ties keep their input "
                 "order); dedupe_best_by_score keeps rank 1 of ORDER BY score DESC."),
  };
}

Status InstallWindowFunctions(engine::SessionState* state) {
  for (const auto& f : CodeanatomyWindowFunctions()) {
    for (const auto& alias : f->aliases()) {
      CA_RETURN_NOT_OK(engine::RegisterWindowAlias(state->registry(), alias, f->name()));
    }
  }
  return Status::OK();
}

}  // namespace codeanatomy::functions
