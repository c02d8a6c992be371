// One value of an orderable Arrow type, read out of an array row, with the total order the
// bundle's aggregates sort, compare and deduplicate by, and the way back into Arrow.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include <arrow/array.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

#include "common/status.h"

namespace codeanatomy::functions::internal {

/// Whether the aggregates can order values of `type`: null, boolean, integers, float32/64,
/// (large) utf8 and binary, dates, times, timestamps and durations.
bool IsOrderable(const arrow::DataType& type);

/// Whether values of `a` and of `b` compare with each other: both orderable and of the same
/// type, both numeric (integers and floats compare by value), or either of them null.
bool AreComparable(const arrow::DataType& a, const arrow::DataType& b);

/// A value (or NULL) of an orderable type. Integers, dates, times, timestamps and durations are
/// held as their integer, floats as double (-0.0 read as 0.0 and every NaN as one NaN, so that
/// equal values are identical), strings and binaries as their bytes.
class OrderedValue {
 public:
  OrderedValue() = default;  ///< NULL

  /// Row `row` of `array`, whose type must be orderable.
  static OrderedValue At(const arrow::Array& array, int64_t row);

  /// A string or binary value.
  static OrderedValue Bytes(std::string bytes) { return OrderedValue(std::move(bytes)); }

  bool is_null() const { return std::holds_alternative<std::monostate>(value_); }
  /// The bytes of a string or binary value.
  const std::string& bytes() const { return std::get<std::string>(value_); }

  /// The value as a scalar of `type` (the type it was read from, or a comparable one).
  Result<std::shared_ptr<arrow::Scalar>> ToScalar(
      const std::shared_ptr<arrow::DataType>& type) const;

  /// A total order: NULL first; numbers by value with NaN after every other number; strings
  /// and binaries bytewise; false before true. Values of types that are not comparable (see
  /// AreComparable) order by kind, which the aggregates never rely on.
  friend std::weak_ordering operator<=>(const OrderedValue& a, const OrderedValue& b);
  friend bool operator==(const OrderedValue& a, const OrderedValue& b) {
    return (a <=> b) == std::weak_ordering::equivalent;
  }

 private:
  template <typename T>
  requires(!std::is_same_v<std::decay_t<T>, OrderedValue>) explicit OrderedValue(T v)
      : value_(std::move(v)) {}

  std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string> value_;
};

/// The bytes of row `row` of a (large) utf8 or binary array; empty for NULL rows and for arrays
/// of other types (a null-type array).
std::string_view BytesAt(const arrow::Array& array, int64_t row);

/// A one-row array of `type` holding `value`.
Result<std::shared_ptr<arrow::Array>> OneRowArray(const std::shared_ptr<arrow::DataType>& type,
                                                  const OrderedValue& value);

/// A one-row array of `list_type` (a list of an orderable type) holding `values` in order, or a
/// NULL row when `is_null`.
Result<std::shared_ptr<arrow::Array>> OneRowList(const std::shared_ptr<arrow::DataType>& list_type,
                                                 const std::vector<OrderedValue>& values,
                                                 bool is_null = false);

/// Calls `visit(value)` for every element of row `row` of `list` (a list or large_list array);
/// nothing for a NULL row.
template <typename Visit>
void ForEachListElement(const arrow::Array& list, int64_t row, Visit&& visit) {
  if (list.IsNull(row)) return;
  if (list.type_id() == arrow::Type::LARGE_LIST) {
    const auto& l = static_cast<const arrow::LargeListArray&>(list);
    const auto& values = *l.values();
    for (int64_t i = l.value_offset(row); i < l.value_offset(row + 1); ++i) {
      visit(OrderedValue::At(values, i));
    }
    return;
  }
  const auto& l = static_cast<const arrow::ListArray&>(list);
  const auto& values = *l.values();
  for (int64_t i = l.value_offset(row); i < l.value_offset(row + 1); ++i) {
    visit(OrderedValue::At(values, i));
  }
}

}  // namespace codeanatomy::functions::internal
