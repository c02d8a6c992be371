#include "functions/ordered_value.h"

#include <cmath>
#include <limits>

#include <arrow/array/builder_base.h>
#include <arrow/array/builder_nested.h>
#include <arrow/util/checked_cast.h>

namespace codeanatomy::functions::internal {

namespace {

using arrow::internal::checked_cast;

bool IsNumeric(arrow::Type::type id) {
  return arrow::is_integer(id) || id == arrow::Type::FLOAT || id == arrow::Type::DOUBLE;
}

template <typename T>
T RawValue(const arrow::Array& array, int64_t row) {
  return array.data()->GetValues<T>(1)[row];
}

std::string_view BinaryView(const arrow::Array& array, int64_t row) {
  if (array.type_id() == arrow::Type::LARGE_STRING ||
      array.type_id() == arrow::Type::LARGE_BINARY) {
    return checked_cast<const arrow::LargeBinaryArray&>(array).GetView(row);
  }
  return checked_cast<const arrow::BinaryArray&>(array).GetView(row);
}

double Canonical(double d) {
  if (std::isnan(d)) return std::numeric_limits<double>::quiet_NaN();
  return d == 0.0 ? 0.0 : d;  // -0.0 == 0.0: keep one of them
}

// Numbers of different representations. long double holds every int64 and uint64 exactly.
std::weak_ordering CompareNumbers(long double a, bool a_nan, long double b, bool b_nan) {
  if (a_nan || b_nan)
    return a_nan == b_nan ? std::weak_ordering::equivalent
           : a_nan        ? std::weak_ordering::greater
                          : std::weak_ordering::less;
  if (a < b) return std::weak_ordering::less;
  if (a > b) return std::weak_ordering::greater;
  return std::weak_ordering::equivalent;
}

}  // namespace

std::string_view BytesAt(const arrow::Array& array, int64_t row) {
  switch (array.type_id()) {
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::BINARY:
    case arrow::Type::LARGE_BINARY:
      return array.IsNull(row) ? std::string_view() : BinaryView(array, row);
    default:
      return {};
  }
}

bool IsOrderable(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::NA:
    case arrow::Type::BOOL:
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::UINT8:
    case arrow::Type::UINT16:
    case arrow::Type::UINT32:
    case arrow::Type::UINT64:
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE:
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::BINARY:
    case arrow::Type::LARGE_BINARY:
    case arrow::Type::DATE32:
    case arrow::Type::DATE64:
    case arrow::Type::TIME32:
    case arrow::Type::TIME64:
    case arrow::Type::TIMESTAMP:
    case arrow::Type::DURATION:
      return true;
    default:
      return false;
  }
}

bool AreComparable(const arrow::DataType& a, const arrow::DataType& b) {
  if (!IsOrderable(a) || !IsOrderable(b)) return false;
  if (a.id() == arrow::Type::NA || b.id() == arrow::Type::NA) return true;
  if (IsNumeric(a.id()) && IsNumeric(b.id())) return true;
  return a.Equals(b);
}

OrderedValue OrderedValue::At(const arrow::Array& array, int64_t row) {
  if (array.IsNull(row)) return {};
  switch (array.type_id()) {
    case arrow::Type::BOOL:
      return OrderedValue(checked_cast<const arrow::BooleanArray&>(array).Value(row));
    case arrow::Type::INT8:
      return OrderedValue(static_cast<int64_t>(RawValue<int8_t>(array, row)));
    case arrow::Type::INT16:
      return OrderedValue(static_cast<int64_t>(RawValue<int16_t>(array, row)));
    case arrow::Type::INT32:
    case arrow::Type::DATE32:
    case arrow::Type::TIME32:
      return OrderedValue(static_cast<int64_t>(RawValue<int32_t>(array, row)));
    case arrow::Type::INT64:
    case arrow::Type::DATE64:
    case arrow::Type::TIME64:
    case arrow::Type::TIMESTAMP:
    case arrow::Type::DURATION:
      return OrderedValue(RawValue<int64_t>(array, row));
    case arrow::Type::UINT8:
      return OrderedValue(static_cast<uint64_t>(RawValue<uint8_t>(array, row)));
    case arrow::Type::UINT16:
      return OrderedValue(static_cast<uint64_t>(RawValue<uint16_t>(array, row)));
    case arrow::Type::UINT32:
      return OrderedValue(static_cast<uint64_t>(RawValue<uint32_t>(array, row)));
    case arrow::Type::UINT64:
      return OrderedValue(RawValue<uint64_t>(array, row));
    case arrow::Type::FLOAT:
      return OrderedValue(Canonical(static_cast<double>(RawValue<float>(array, row))));
    case arrow::Type::DOUBLE:
      return OrderedValue(Canonical(RawValue<double>(array, row)));
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::BINARY:
    case arrow::Type::LARGE_BINARY:
      return OrderedValue(std::string(BinaryView(array, row)));
    default:
      return {};  // not orderable: the aggregates reject such types when they are bound
  }
}

Result<std::shared_ptr<arrow::Scalar>> OrderedValue::ToScalar(
    const std::shared_ptr<arrow::DataType>& type) const {
  return std::visit(
      [&](const auto& v) -> Result<std::shared_ptr<arrow::Scalar>> {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::monostate>) {
          return arrow::MakeNullScalar(type);
        } else {
          return arrow::MakeScalar(type, V(v));  // by value: strings must arrive as rvalues
        }
      },
      value_);
}

std::weak_ordering operator<=>(const OrderedValue& a, const OrderedValue& b) {
  const auto& x = a.value_;
  const auto& y = b.value_;
  if (x.index() == y.index()) {
    switch (x.index()) {
      case 0:
        return std::weak_ordering::equivalent;
      case 1:
        return std::get<bool>(x) <=> std::get<bool>(y);
      case 2:
        return std::get<int64_t>(x) <=> std::get<int64_t>(y);
      case 3:
        return std::get<uint64_t>(x) <=> std::get<uint64_t>(y);
      case 4: {
        double p = std::get<double>(x), q = std::get<double>(y);
        return CompareNumbers(p, std::isnan(p), q, std::isnan(q));
      }
      default:
        return std::get<std::string>(x).compare(std::get<std::string>(y)) <=> 0;
    }
  }
  auto number = [](const auto& v, long double* out, bool* nan) {
    if (auto* i = std::get_if<int64_t>(&v)) {
      *out = static_cast<long double>(*i);
    } else if (auto* u = std::get_if<uint64_t>(&v)) {
      *out = static_cast<long double>(*u);
    } else if (auto* d = std::get_if<double>(&v)) {
      *nan = std::isnan(*d);
      *out = *nan ? 0 : static_cast<long double>(*d);
    } else {
      return false;
    }
    return true;
  };
  long double p = 0, q = 0;
  bool p_nan = false, q_nan = false;
  if (number(x, &p, &p_nan) && number(y, &q, &q_nan)) return CompareNumbers(p, p_nan, q, q_nan);
  return x.index() <=> y.index();
}

Result<std::shared_ptr<arrow::Array>> OneRowArray(const std::shared_ptr<arrow::DataType>& type,
                                                  const OrderedValue& value) {
  CA_ASSIGN_OR_RAISE(auto scalar, value.ToScalar(type));
  return arrow::MakeArrayFromScalar(*scalar, 1);
}

Result<std::shared_ptr<arrow::Array>> OneRowList(const std::shared_ptr<arrow::DataType>& list_type,
                                                 const std::vector<OrderedValue>& values,
                                                 bool is_null) {
  CA_ASSIGN_OR_RAISE(auto builder, arrow::MakeBuilder(list_type));
  auto& list = checked_cast<arrow::BaseListBuilder<arrow::ListType>&>(*builder);
  if (is_null) {
    CA_RETURN_NOT_OK(list.AppendNull());
  } else {
    CA_RETURN_NOT_OK(list.Append());
    const auto& value_type = list.value_builder()->type();
    for (const auto& v : values) {
      CA_ASSIGN_OR_RAISE(auto scalar, v.ToScalar(value_type));
      CA_RETURN_NOT_OK(list.value_builder()->AppendScalar(*scalar));
    }
  }
  return builder->Finish();
}

}  // namespace codeanatomy::functions::internal
