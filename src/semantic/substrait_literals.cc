// Arrow scalars as Substrait literals, both ways.
#include <cmath>
#include <limits>

#include <arrow/util/base64.h>
#include <arrow/util/decimal.h>

#include "semantic/substrait_internal.h"

namespace codeanatomy::semantic::substrait_internal {

namespace {

JsonValue LiteralExpression(std::string_view kind, JsonValue value) {
  JsonValue lit = JsonValue::MakeObject();
  lit.Set(kind, std::move(value));
  JsonValue out = JsonValue::MakeObject();
  out.Set("literal", std::move(lit));
  return out;
}

// Protobuf's JSON form of a float: a number, or "NaN" / "Infinity" / "-Infinity".
JsonValue FloatJson(double v) {
  if (std::isnan(v)) return JsonValue("NaN");
  if (std::isinf(v)) return JsonValue(v > 0 ? "Infinity" : "-Infinity");
  return JsonValue(v);
}

Result<double> FloatFromJson(const JsonValue& v, const std::string& path) {
  if (v.is_number()) return v.number_value();
  if (v.is_string()) {
    const auto& s = v.string_value();
    if (s == "NaN") return std::nan("");
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
    try {
      size_t used = 0;
      double d = std::stod(s, &used);
      if (used == s.size()) return d;
    } catch (const std::exception&) {
    }
  }
  return InvalidPlan(path, "expected a floating-point number");
}

Result<int64_t> IntFromJson(const JsonValue& v, const std::string& path) {
  if (v.is_int()) return v.int_value();
  if (v.is_string()) {
    const auto& s = v.string_value();
    try {
      size_t used = 0;
      long long i = std::stoll(s, &used);
      if (used == s.size() && !s.empty()) return static_cast<int64_t>(i);
    } catch (const std::exception&) {
    }
  }
  return InvalidPlan(path, "expected an integer");
}

Result<int64_t> TimestampMicros(const arrow::TimestampScalar& s) {
  const auto& type = static_cast<const arrow::TimestampType&>(*s.type);
  switch (type.unit()) {
    case arrow::TimeUnit::SECOND:
      return s.value * 1000000;
    case arrow::TimeUnit::MILLI:
      return s.value * 1000;
    case arrow::TimeUnit::MICRO:
      return s.value;
    case arrow::TimeUnit::NANO:
      if (s.value % 1000 == 0) return s.value / 1000;
      break;
  }
  return NotSupported("literal", s.ToString(),
                      "a nanosecond timestamp literal with sub-microsecond digits");
}

}  // namespace

Result<JsonValue> LiteralToSubstrait(const arrow::Scalar& value, ExtensionWriter* ext) {
  using arrow::Type;
  if (!value.is_valid) {
    CA_ASSIGN_OR_RAISE(auto type, TypeToSubstrait(*value.type, true, ext));
    return LiteralExpression("null", std::move(type));
  }
  switch (value.type->id()) {
    case Type::BOOL:
      return LiteralExpression("boolean", static_cast<const arrow::BooleanScalar&>(value).value);
    case Type::INT8:
      return LiteralExpression("i8", static_cast<const arrow::Int8Scalar&>(value).value);
    case Type::INT16:
      return LiteralExpression("i16", static_cast<const arrow::Int16Scalar&>(value).value);
    case Type::INT32:
      return LiteralExpression("i32", static_cast<const arrow::Int32Scalar&>(value).value);
    case Type::INT64:
      return LiteralExpression("i64",
                               std::to_string(static_cast<const arrow::Int64Scalar&>(value).value));
    case Type::FLOAT:
      return LiteralExpression("fp32",
                               FloatJson(static_cast<const arrow::FloatScalar&>(value).value));
    case Type::DOUBLE:
      return LiteralExpression("fp64",
                               FloatJson(static_cast<const arrow::DoubleScalar&>(value).value));
    case Type::STRING:
      return LiteralExpression("string", static_cast<const arrow::StringScalar&>(value).ToString());
    case Type::BINARY: {
      const auto& b = static_cast<const arrow::BinaryScalar&>(value);
      return LiteralExpression("binary", arrow::util::base64_encode(b.view()));
    }
    case Type::DATE32:
      return LiteralExpression("date", static_cast<const arrow::Date32Scalar&>(value).value);
    case Type::TIME64: {
      if (static_cast<const arrow::Time64Type&>(*value.type).unit() != arrow::TimeUnit::MICRO) {
        break;
      }
      return LiteralExpression(
          "time", std::to_string(static_cast<const arrow::Time64Scalar&>(value).value));
    }
    case Type::TIMESTAMP: {
      // Substrait 0.44's precision timestamp literals carry no precision: write microseconds
      // and cast to the exact type when it differs.
      const auto& ts = static_cast<const arrow::TimestampScalar&>(value);
      CA_ASSIGN_OR_RAISE(int64_t micros, TimestampMicros(ts));
      const auto& type = static_cast<const arrow::TimestampType&>(*value.type);
      JsonValue lit = LiteralExpression(type.timezone().empty() ? "timestamp" : "timestampTz",
                                        std::to_string(micros));
      if (type.unit() == arrow::TimeUnit::MICRO) return lit;
      CA_ASSIGN_OR_RAISE(auto target, TypeToSubstrait(type, false, ext));
      JsonValue cast = JsonValue::MakeObject();
      cast.Set("type", std::move(target));
      cast.Set("input", std::move(lit));
      cast.Set("failureBehavior", "FAILURE_BEHAVIOR_THROW_EXCEPTION");
      JsonValue out = JsonValue::MakeObject();
      out.Set("cast", std::move(cast));
      return out;
    }
    case Type::DECIMAL128: {
      const auto& d = static_cast<const arrow::Decimal128Scalar&>(value);
      const auto& type = static_cast<const arrow::Decimal128Type&>(*value.type);
      uint8_t bytes[16];
      d.value.ToBytes(bytes);  // little-endian two's complement, as Substrait stores it
      JsonValue body = JsonValue::MakeObject();
      body.Set("value", arrow::util::base64_encode(
                            std::string_view(reinterpret_cast<const char*>(bytes), 16)));
      body.Set("precision", type.precision());
      body.Set("scale", type.scale());
      return LiteralExpression("decimal", std::move(body));
    }
    case Type::UINT8:
    case Type::UINT16:
    case Type::UINT32:
    case Type::UINT64: {
      // No unsigned literals in Substrait: a signed 64-bit literal cast to the type.
      CA_ASSIGN_OR_RAISE(auto as_int, value.CastTo(arrow::int64()));
      CA_ASSIGN_OR_RAISE(auto lit, LiteralToSubstrait(*as_int, ext));
      CA_ASSIGN_OR_RAISE(auto target, TypeToSubstrait(*value.type, false, ext));
      JsonValue cast = JsonValue::MakeObject();
      cast.Set("type", std::move(target));
      cast.Set("input", std::move(lit));
      cast.Set("failureBehavior", "FAILURE_BEHAVIOR_THROW_EXCEPTION");
      JsonValue out = JsonValue::MakeObject();
      out.Set("cast", std::move(cast));
      return out;
    }
    default:
      break;
  }
  return NotSupported(
      "literal", value.type->ToString(),
      "Substrait export does not support literals of type " + value.type->ToString());
}

Result<std::shared_ptr<arrow::Scalar>> LiteralFromSubstrait(const JsonValue& literal,
                                                            const ExtensionReader& ext,
                                                            const std::string& path) {
  static const std::vector<std::string> kKinds = {"boolean",
                                                  "i8",
                                                  "i16",
                                                  "i32",
                                                  "i64",
                                                  "fp32",
                                                  "fp64",
                                                  "string",
                                                  "binary",
                                                  "date",
                                                  "time",
                                                  "timestamp",
                                                  "timestampTz",
                                                  "decimal",
                                                  "null",
                                                  "varChar",
                                                  "fixedChar",
                                                  "fixedBinary",
                                                  "list",
                                                  "struct",
                                                  "map",
                                                  "emptyList",
                                                  "emptyMap",
                                                  "uuid",
                                                  "intervalYearToMonth",
                                                  "intervalDayToSecond",
                                                  "userDefined",
                                                  "precisionTimestamp",
                                                  "precisionTimestampTz"};
  CA_ASSIGN_OR_RAISE(auto kind, OneOf(literal, kKinds, path, "literal"));
  const auto& [name, v] = kind;
  std::string at = JsonPathAppendKey(path, name);
  if (name == "boolean") {
    if (!v->is_bool()) return InvalidPlan(at, "expected a boolean");
    return arrow::MakeScalar(v->bool_value());
  }
  if (name == "i8" || name == "i16" || name == "i32" || name == "i64") {
    CA_ASSIGN_OR_RAISE(int64_t i, IntFromJson(*v, at));
    if (name == "i8") return std::make_shared<arrow::Int8Scalar>(static_cast<int8_t>(i));
    if (name == "i16") return std::make_shared<arrow::Int16Scalar>(static_cast<int16_t>(i));
    if (name == "i32") return std::make_shared<arrow::Int32Scalar>(static_cast<int32_t>(i));
    return std::make_shared<arrow::Int64Scalar>(i);
  }
  if (name == "fp32" || name == "fp64") {
    CA_ASSIGN_OR_RAISE(double d, FloatFromJson(*v, at));
    if (name == "fp32") return std::make_shared<arrow::FloatScalar>(static_cast<float>(d));
    return std::make_shared<arrow::DoubleScalar>(d);
  }
  if (name == "string") {
    if (!v->is_string()) return InvalidPlan(at, "expected a string");
    return std::make_shared<arrow::StringScalar>(v->string_value());
  }
  if (name == "binary") {
    if (!v->is_string()) return InvalidPlan(at, "expected base64 text");
    auto bytes = arrow::util::base64_decode(v->string_value());
    if (!bytes.ok()) return InvalidPlan(at, "invalid base64");
    return std::make_shared<arrow::BinaryScalar>(arrow::Buffer::FromString(*bytes));
  }
  if (name == "date") {
    CA_ASSIGN_OR_RAISE(int64_t days, IntFromJson(*v, at));
    return std::make_shared<arrow::Date32Scalar>(static_cast<int32_t>(days));
  }
  if (name == "time") {
    CA_ASSIGN_OR_RAISE(int64_t micros, IntFromJson(*v, at));
    return std::make_shared<arrow::Time64Scalar>(micros, arrow::time64(arrow::TimeUnit::MICRO));
  }
  if (name == "timestamp" || name == "timestampTz") {
    CA_ASSIGN_OR_RAISE(int64_t micros, IntFromJson(*v, at));
    return std::make_shared<arrow::TimestampScalar>(
        micros, name == "timestamp" ? arrow::timestamp(arrow::TimeUnit::MICRO)
                                    : arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"));
  }
  if (name == "decimal") {
    CA_ASSIGN_OR_RAISE(auto text, StringMember(*v, "value", at));
    CA_ASSIGN_OR_RAISE(int64_t precision, IntMember(*v, "precision", at, 38));
    CA_ASSIGN_OR_RAISE(int64_t scale, IntMember(*v, "scale", at, 0));
    auto bytes = arrow::util::base64_decode(text);
    if (!bytes.ok() || bytes->size() != 16 || precision < 1 || precision > 38 || scale < 0 ||
        scale > precision) {
      return InvalidPlan(at, "invalid decimal literal");
    }
    arrow::Decimal128 d(reinterpret_cast<const uint8_t*>(bytes->data()));
    return std::make_shared<arrow::Decimal128Scalar>(
        d, arrow::decimal128(static_cast<int32_t>(precision), static_cast<int32_t>(scale)));
  }
  if (name == "null") {
    CA_ASSIGN_OR_RAISE(auto type, TypeFromSubstrait(*v, ext, at));
    return arrow::MakeNullScalar(type);
  }
  if (name == "varChar" || name == "fixedChar") {
    const JsonValue* text = name == "varChar" ? Member(*v, "value") : v;
    if (!text || !text->is_string()) return InvalidPlan(at, "expected a string");
    return std::make_shared<arrow::StringScalar>(text->string_value());
  }
  return NotSupported("literal", name, "Substrait literals of kind " + name + " are not supported");
}

}  // namespace codeanatomy::semantic::substrait_internal
