// The bundle's aggregates (CONTRACTS.md §5): their accumulators, specs, descriptors and
// installation. Every result is a function of the group's multiset of rows alone, never of
// batch boundaries or merge order: sets are ordered, ties are broken by value.
#include "functions/aggregate_functions.h"

#include <algorithm>
#include <optional>
#include <set>

#include <arrow/array/util.h>
#include <arrow/scalar.h>
#include <arrow/util/checked_cast.h>

#include "functions/function_kernel.h"
#include "functions/ordered_value.h"

namespace codeanatomy::functions {

namespace {

using arrow::internal::checked_cast;
using internal::OrderedValue;

// ---- argument checks (at bind time: stage "planning")

Status ArgTypeError(const std::string& function, const std::string& param,
                    const arrow::DataType& type, const std::string& expected) {
  return InvalidError(
      stage::kPlanning, "TYPE_MISMATCH",
      function + ": argument " + param + " must be " + expected + ", got " + type.ToString(),
      "{\"function\":" + JsonQuote(function) + ",\"argument\":" + JsonQuote(param) +
          ",\"type\":" + JsonQuote(type.ToString()) + "}");
}

Status RequireOrderable(const std::string& function, const std::string& param,
                        const arrow::DataType& type) {
  if (internal::IsOrderable(type)) return Status::OK();
  return ArgTypeError(function, param, type, "of an orderable type");
}

bool IsText(const arrow::DataType& type) {
  return type.id() == arrow::Type::STRING || type.id() == arrow::Type::LARGE_STRING ||
         type.id() == arrow::Type::NA;
}

Result<std::shared_ptr<arrow::Array>> Int64Row(int64_t value) {
  return arrow::MakeArrayFromScalar(arrow::Int64Scalar(value), 1);
}

// ---- list_unique, collect_set, count_distinct_agg

/// The set of distinct non-null values; the result is the set as a sorted list (NULL when
/// empty) or its size.
class DistinctValues final : public AggregateAccumulator {
 public:
  enum class Output { kSortedList, kCount };

  DistinctValues(std::shared_ptr<arrow::DataType> value_type, Output output)
      : list_type_(arrow::list(std::move(value_type))), output_(output) {}

  Status Update(const ArrayList& args) override {
    const arrow::Array& values = *args[0];
    for (int64_t row = 0; row < values.length(); ++row) {
      if (!values.IsNull(row)) values_.insert(OrderedValue::At(values, row));
    }
    return Status::OK();
  }

  Result<ArrayList> State() const override {
    CA_ASSIGN_OR_RAISE(auto list, internal::OneRowList(list_type_, Sorted()));
    return ArrayList{std::move(list)};
  }

  Status Merge(const ArrayList& states) override {
    for (int64_t row = 0; row < states[0]->length(); ++row) {
      internal::ForEachListElement(*states[0], row, [&](OrderedValue v) {
        if (!v.is_null()) values_.insert(std::move(v));
      });
    }
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::Array>> Finalize() override {
    if (output_ == Output::kCount) return Int64Row(static_cast<int64_t>(values_.size()));
    return internal::OneRowList(list_type_, Sorted(), /*is_null=*/values_.empty());
  }

 private:
  std::vector<OrderedValue> Sorted() const { return {values_.begin(), values_.end()}; }

  std::shared_ptr<arrow::DataType> list_type_;
  Output output_;
  std::set<OrderedValue> values_;
};

// ---- count_if

class CountTrue final : public AggregateAccumulator {
 public:
  Status Update(const ArrayList& args) override {
    if (args[0]->type_id() == arrow::Type::BOOL) {
      count_ += checked_cast<const arrow::BooleanArray&>(*args[0]).true_count();
    }
    return Status::OK();
  }

  Result<ArrayList> State() const override {
    CA_ASSIGN_OR_RAISE(auto count, Int64Row(count_));
    return ArrayList{std::move(count)};
  }

  Status Merge(const ArrayList& states) override {
    const auto& counts = checked_cast<const arrow::Int64Array&>(*states[0]);
    for (int64_t row = 0; row < counts.length(); ++row) {
      if (counts.IsValid(row)) count_ += counts.Value(row);
    }
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::Array>> Finalize() override { return Int64Row(count_); }

 private:
  int64_t count_ = 0;
};

// ---- any_value_det

/// The smallest non-null value.
class MinValue final : public AggregateAccumulator {
 public:
  explicit MinValue(std::shared_ptr<arrow::DataType> type) : type_(std::move(type)) {}

  Status Update(const ArrayList& args) override {
    Fold(*args[0]);
    return Status::OK();
  }

  Result<ArrayList> State() const override {
    CA_ASSIGN_OR_RAISE(auto best, internal::OneRowArray(type_, best_));
    return ArrayList{std::move(best)};
  }

  Status Merge(const ArrayList& states) override {
    Fold(*states[0]);
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::Array>> Finalize() override {
    return internal::OneRowArray(type_, best_);
  }

 private:
  void Fold(const arrow::Array& values) {
    for (int64_t row = 0; row < values.length(); ++row) {
      if (values.IsNull(row)) continue;
      auto v = OrderedValue::At(values, row);
      if (best_.is_null() || v < best_) best_ = std::move(v);
    }
  }

  std::shared_ptr<arrow::DataType> type_;
  OrderedValue best_;
};

// ---- arg_max, arg_min, asof_select, first_value, last_value

/// Which row ExtremeRow keeps.
struct ExtremeRule {
  bool largest_key = true;       ///< the row with the largest (else the smallest) key
  bool skip_null_values = true;  ///< rows whose value is NULL do not count
  bool bounded = false;          ///< only rows whose key is <= their bound (argument 2) count
};

/// The value of the row with the extreme non-null key; among rows with that key, the smallest
/// value (NULL after every value). State: the best key and its value (key NULL: no row yet).
class ExtremeRow final : public AggregateAccumulator {
 public:
  ExtremeRow(std::shared_ptr<arrow::DataType> value_type, std::shared_ptr<arrow::DataType> key_type,
             ExtremeRule rule)
      : value_type_(std::move(value_type)), key_type_(std::move(key_type)), rule_(rule) {}

  Status Update(const ArrayList& args) override {
    const arrow::Array& values = *args[0];
    const arrow::Array& keys = *args[1];
    for (int64_t row = 0; row < keys.length(); ++row) {
      if (keys.IsNull(row)) continue;
      auto key = OrderedValue::At(keys, row);
      if (rule_.bounded) {
        auto bound = OrderedValue::At(*args[2], row);
        if (bound.is_null() || key > bound) continue;
      }
      Offer(std::move(key), values, row);
    }
    return Status::OK();
  }

  Result<ArrayList> State() const override {
    CA_ASSIGN_OR_RAISE(auto key, internal::OneRowArray(key_type_, best_key_));
    CA_ASSIGN_OR_RAISE(auto value, internal::OneRowArray(value_type_, best_value_));
    return ArrayList{std::move(key), std::move(value)};
  }

  Status Merge(const ArrayList& states) override {
    for (int64_t row = 0; row < states[0]->length(); ++row) {
      if (states[0]->IsNull(row)) continue;
      Offer(OrderedValue::At(*states[0], row), *states[1], row);
    }
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::Array>> Finalize() override {
    return internal::OneRowArray(value_type_, best_value_);
  }

 private:
  // Row `row` of `values` under the non-null `key`.
  void Offer(OrderedValue key, const arrow::Array& values, int64_t row) {
    if (rule_.skip_null_values && values.IsNull(row)) return;
    if (!best_key_.is_null()) {
      auto order = key <=> best_key_;
      if (order != 0 && (order > 0) != rule_.largest_key) return;  // a worse key
      if (order == 0) {
        if (values.IsNull(row)) return;  // NULL never beats a tied value
        auto value = OrderedValue::At(values, row);
        if (!best_value_.is_null() && !(value < best_value_)) return;
        best_value_ = std::move(value);
        return;
      }
    }
    best_key_ = std::move(key);
    best_value_ = OrderedValue::At(values, row);
  }

  std::shared_ptr<arrow::DataType> value_type_;
  std::shared_ptr<arrow::DataType> key_type_;
  ExtremeRule rule_;
  OrderedValue best_key_;
  OrderedValue best_value_;
};

// ---- string_agg

/// The non-null values, joined in ascending byte order by the group's one separator.
class SortedJoin final : public AggregateAccumulator {
 public:
  explicit SortedJoin(std::shared_ptr<arrow::DataType> text_type)
      : text_type_(std::move(text_type)) {}

  Status Update(const ArrayList& args) override {
    const arrow::Array& values = *args[0];
    const arrow::Array& separators = *args[1];
    for (int64_t row = 0; row < values.length(); ++row) {
      CA_RETURN_NOT_OK(UseSeparator(internal::BytesAt(separators, row)));  // NULL reads as ""
      if (!values.IsNull(row)) values_.emplace_back(internal::BytesAt(values, row));
    }
    return Status::OK();
  }

  Result<ArrayList> State() const override {
    std::vector<OrderedValue> sorted;
    for (auto& v : SortedValues()) sorted.push_back(OrderedValue::Bytes(std::move(v)));
    CA_ASSIGN_OR_RAISE(auto values, internal::OneRowList(arrow::list(text_type_), sorted));
    std::shared_ptr<arrow::Scalar> sep = separator_
                                             ? std::make_shared<arrow::StringScalar>(*separator_)
                                             : arrow::MakeNullScalar(arrow::utf8());
    CA_ASSIGN_OR_RAISE(auto separator, arrow::MakeArrayFromScalar(*sep, 1));
    return ArrayList{std::move(values), std::move(separator)};
  }

  Status Merge(const ArrayList& states) override {
    for (int64_t row = 0; row < states[0]->length(); ++row) {
      if (states[1]->IsNull(row)) continue;  // a partial that saw no rows
      CA_RETURN_NOT_OK(UseSeparator(internal::BytesAt(*states[1], row)));
      internal::ForEachListElement(*states[0], row, [&](OrderedValue v) {
        if (!v.is_null()) values_.push_back(v.bytes());
      });
    }
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::Array>> Finalize() override {
    if (values_.empty()) return arrow::MakeArrayOfNull(text_type_, 1);
    std::string joined;
    bool first = true;
    for (const auto& v : SortedValues()) {
      if (!first) joined += *separator_;
      joined += v;
      first = false;
    }
    CA_ASSIGN_OR_RAISE(auto scalar, arrow::MakeScalar(text_type_, std::move(joined)));
    return arrow::MakeArrayFromScalar(*scalar, 1);
  }

 private:
  Status UseSeparator(std::string_view sep) {
    if (!separator_) {
      separator_ = std::string(sep);
    } else if (*separator_ != sep) {
      return internal::FunctionError(
          "string_agg", "ARGUMENT_NOT_CONSTANT",
          "argument separator must be the same in every row of a group (got " +
              JsonQuote(*separator_) + " and " + JsonQuote(sep) + ")",
          "\"argument\":\"separator\"");
    }
    return Status::OK();
  }

  std::vector<std::string> SortedValues() const {
    std::vector<std::string> sorted = values_;
    std::sort(sorted.begin(), sorted.end());
    return sorted;
  }

  std::shared_ptr<arrow::DataType> text_type_;
  std::optional<std::string> separator_;  ///< NULL separators count as ""; unset: no rows yet
  std::vector<std::string> values_;
};

// ---- specs

using ReturnType = std::function<Result<std::shared_ptr<arrow::DataType>>(const TypeList&)>;

/// The checks and result type of a one-argument aggregate over an orderable value.
ReturnType OrderableValue(
    std::string function,
    std::function<std::shared_ptr<arrow::DataType>(const std::shared_ptr<arrow::DataType>&)>
        result) {
  return [function = std::move(function), result = std::move(result)](
             const TypeList& types) -> Result<std::shared_ptr<arrow::DataType>> {
    CA_RETURN_NOT_OK(RequireOrderable(function, "value", *types[0]));
    return result(types[0]);
  };
}

AggregateSpec DistinctSpec(std::string name, DistinctValues::Output output, std::string doc) {
  bool count = output == DistinctValues::Output::kCount;
  AggregateSpec spec;
  spec.name = name;
  spec.params = {{"value", "orderable"}};
  spec.return_type_name = count ? "int64" : "list<value>";
  spec.doc = std::move(doc);
  spec.return_type = OrderableValue(
      name, [count](const auto& t) { return count ? arrow::int64() : arrow::list(t); });
  spec.state_types = [](const TypeList& t) { return TypeList{arrow::list(t[0])}; };
  spec.make_accumulator = [output](const TypeList& t) -> std::unique_ptr<AggregateAccumulator> {
    return std::make_unique<DistinctValues>(t[0], output);
  };
  return spec;
}

AggregateSpec ExtremeSpec(std::string name, std::vector<std::string> aliases, std::string key_param,
                          ExtremeRule rule, std::string doc) {
  AggregateSpec spec;
  spec.name = name;
  spec.aliases = std::move(aliases);
  spec.params = {{"value", "orderable"}, {key_param, "orderable"}};
  if (rule.bounded) spec.params.push_back({"bound", "comparable with key"});
  spec.return_type_name = "same as value";
  spec.doc = std::move(doc);
  spec.return_type = [name, key_param,
                      rule](const TypeList& t) -> Result<std::shared_ptr<arrow::DataType>> {
    CA_RETURN_NOT_OK(RequireOrderable(name, "value", *t[0]));
    CA_RETURN_NOT_OK(RequireOrderable(name, key_param, *t[1]));
    if (rule.bounded && !internal::AreComparable(*t[1], *t[2])) {
      return ArgTypeError(name, "bound", *t[2], "comparable with key (" + t[1]->ToString() + ")");
    }
    return t[0];
  };
  spec.state_types = [](const TypeList& t) { return TypeList{t[1], t[0]}; };
  spec.make_accumulator = [rule](const TypeList& t) -> std::unique_ptr<AggregateAccumulator> {
    return std::make_unique<ExtremeRow>(t[0], t[1], rule);
  };
  return spec;
}

std::shared_ptr<arrow::DataType> TextTypeOf(const arrow::DataType& value_type) {
  return value_type.id() == arrow::Type::LARGE_STRING ? arrow::large_utf8() : arrow::utf8();
}

std::vector<AggregateSpec> BuildSpecs() {
  std::vector<AggregateSpec> specs;
  specs.push_back(DistinctSpec(
      "list_unique", DistinctValues::Output::kSortedList,
      "The distinct non-null values of the group as a list sorted ascending (NULLs skipped; NaN "
      "last); NULL when the group has no non-null value."));
  specs.push_back(DistinctSpec(
      "collect_set", DistinctValues::Output::kSortedList,
      "The set of non-null values of the group, as list_unique does: a list of the distinct "
      "values sorted ascending, NULL when the group has no non-null value."));
  specs.push_back(DistinctSpec(
      "count_distinct_agg", DistinctValues::Output::kCount,
      "The number of distinct non-null values of the group (int64; 0 for none). -0.0 and 0.0 "
      "count as one value, as do all NaNs."));

  AggregateSpec count_if;
  count_if.name = "count_if";
  count_if.params = {{"condition", "bool"}};
  count_if.return_type_name = "int64";
  count_if.doc =
      "The number of rows whose condition is true (NULL and false rows do not count; "
      "int64; 0 for an empty group).";
  count_if.return_type = [](const TypeList& t) -> Result<std::shared_ptr<arrow::DataType>> {
    if (t[0]->id() != arrow::Type::BOOL && t[0]->id() != arrow::Type::NA) {
      return ArgTypeError("count_if", "condition", *t[0], "bool");
    }
    return arrow::int64();
  };
  count_if.state_types = [](const TypeList&) { return TypeList{arrow::int64()}; };
  count_if.make_accumulator = [](const TypeList&) -> std::unique_ptr<AggregateAccumulator> {
    return std::make_unique<CountTrue>();
  };
  specs.push_back(std::move(count_if));

  AggregateSpec any_value;
  any_value.name = "any_value_det";
  any_value.params = {{"value", "orderable"}};
  any_value.return_type_name = "same as value";
  any_value.doc =
      "A deterministic any_value: the smallest non-null value of the group (NaN "
      "after every number); NULL when there is none.";
  any_value.return_type = OrderableValue("any_value_det", [](const auto& t) { return t; });
  any_value.state_types = [](const TypeList& t) { return TypeList{t[0]}; };
  any_value.make_accumulator = [](const TypeList& t) -> std::unique_ptr<AggregateAccumulator> {
    return std::make_unique<MinValue>(t[0]);
  };
  specs.push_back(std::move(any_value));

  specs.push_back(ExtremeSpec(
      "arg_max", {}, "key", {.largest_key = true, .skip_null_values = true},
      "The value at the row with the largest key (DuckDB's arg_max(arg, val) order). Rows whose "
      "key or value is NULL are skipped; among rows tied on the key, the smallest value wins; "
      "NULL when no row remains."));
  specs.push_back(ExtremeSpec(
      "arg_min", {}, "key", {.largest_key = false, .skip_null_values = true},
      "The value at the row with the smallest key. Rows whose key or value is NULL are skipped; "
      "among rows tied on the key, the smallest value wins; NULL when no row remains."));
  specs.push_back(ExtremeSpec(
      "asof_select", {}, "key", {.largest_key = true, .skip_null_values = true, .bounded = true},
      "arg_max(value, key) over the rows whose key is <= that row's bound (normally a constant): "
      "the value as of the bound. Rows whose key, value or bound is NULL are skipped; ties on "
      "the key take the smallest value; NULL when no row qualifies."));
  specs.push_back(ExtremeSpec(
      "first_value", {"first_value_agg"}, "order_key",
      {.largest_key = false, .skip_null_values = false},
      "The value of the first row in order_key order (smallest key), which may be NULL. Rows "
      "whose order_key is NULL are skipped; among rows tied on the key, the smallest value wins "
      "(NULL only when every tied value is NULL); NULL for a group with no keyed row."));
  specs.push_back(ExtremeSpec(
      "last_value", {"last_value_agg"}, "order_key",
      {.largest_key = true, .skip_null_values = false},
      "The value of the last row in order_key order (largest key), which may be NULL. Rows "
      "whose order_key is NULL are skipped; among rows tied on the key, the smallest value wins "
      "(NULL only when every tied value is NULL); NULL for a group with no keyed row."));

  AggregateSpec string_agg;
  string_agg.name = "string_agg";
  string_agg.params = {{"value", "utf8"}, {"separator", "utf8"}};
  string_agg.return_type_name = "utf8";
  string_agg.doc =
      "The non-null values sorted ascending (by bytes, duplicates kept) joined by "
      "the separator; a NULL separator joins with ''. The separator must be the same "
      "in every row of a group (else ARGUMENT_NOT_CONSTANT). NULL when no value.";
  string_agg.return_type = [](const TypeList& t) -> Result<std::shared_ptr<arrow::DataType>> {
    if (!IsText(*t[0])) return ArgTypeError("string_agg", "value", *t[0], "utf8");
    if (!IsText(*t[1])) return ArgTypeError("string_agg", "separator", *t[1], "utf8");
    return TextTypeOf(*t[0]);
  };
  string_agg.state_types = [](const TypeList& t) {
    return TypeList{arrow::list(TextTypeOf(*t[0])), arrow::utf8()};
  };
  string_agg.make_accumulator = [](const TypeList& t) -> std::unique_ptr<AggregateAccumulator> {
    return std::make_unique<SortedJoin>(TextTypeOf(*t[0]));
  };
  specs.push_back(std::move(string_agg));

  std::sort(specs.begin(), specs.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return specs;
}

}  // namespace

const std::vector<AggregateSpec>& AggregateFunctionSpecs() {
  static const auto specs = BuildSpecs();
  return specs;
}

std::vector<FunctionDescriptor> AggregateFunctionDescriptors() {
  std::vector<FunctionDescriptor> out;
  for (const auto& spec : AggregateFunctionSpecs()) {
    FunctionDescriptor d;
    d.name = spec.name;
    d.kind = "aggregate";
    d.aliases = spec.aliases;
    std::vector<std::string> signature;
    for (const auto& p : spec.params) {
      d.parameter_names.push_back(p.name);
      signature.push_back(p.type_name);
    }
    d.volatility = "immutable";
    d.signatures = {std::move(signature)};
    d.return_type = spec.return_type_name;
    d.doc = spec.doc;
    out.push_back(std::move(d));
  }
  return out;
}

Status InstallAggregateFunctions(arrow::compute::FunctionRegistry* registry,
                                 const FunctionConfig& config) {
  (void)config;  // no aggregate reads udf_config
  for (const auto& spec : AggregateFunctionSpecs()) {
    std::vector<std::string> names = {spec.name};
    names.insert(names.end(), spec.aliases.begin(), spec.aliases.end());
    // Aliases are functions of their own, as for the scalar functions, so that installing
    // again replaces them too.
    for (const auto& name : names) {
      CA_ASSIGN_OR_RAISE(auto ungrouped, MakeScalarAggregateFunction(spec, name));
      CA_RETURN_NOT_OK(registry->AddFunction(std::move(ungrouped), /*allow_overwrite=*/true));
      CA_ASSIGN_OR_RAISE(auto grouped, MakeHashAggregateFunction(spec, name));
      CA_RETURN_NOT_OK(registry->AddFunction(std::move(grouped), /*allow_overwrite=*/true));
    }
  }
  return Status::OK();
}

}  // namespace codeanatomy::functions
