#include "delta/schema.h"

#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>
#include <vector>

#include <arrow/buffer.h>
#include <arrow/scalar.h>
#include <arrow/type.h>
#include <arrow/util/decimal.h>
#include <arrow/util/key_value_metadata.h>

#include "common/json.h"
#include "delta/delta_error.h"

namespace codeanatomy::delta {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

std::string ChildPath(std::string_view parent, std::string_view name) {
  std::string path(parent);
  if (!path.empty()) path += '.';
  path += name;
  return path;
}

std::string FieldDetail(std::string_view path) { return "\"field\":" + JsonQuote(path); }

Status InvalidSchema(std::string message, std::string_view path) {
  return DeltaError("INVALID_SCHEMA", std::move(message), FieldDetail(path));
}

Status UnsupportedType(std::string_view type_name, std::string_view path) {
  std::string message = "unsupported type '" + std::string(type_name) + "'";
  std::string details = "\"type\":" + JsonQuote(type_name);
  if (!path.empty()) {
    message += " of field '" + std::string(path) + "'";
    details += "," + FieldDetail(path);
  }
  return DeltaError("UNSUPPORTED_TYPE", std::move(message), std::move(details));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && !text.empty();
}

// ---- schemaString -> Arrow ----

std::shared_ptr<arrow::DataType> PrimitiveFromName(std::string_view name) {
  if (name == "string") return arrow::utf8();
  if (name == "long") return arrow::int64();
  if (name == "integer") return arrow::int32();
  if (name == "short") return arrow::int16();
  if (name == "byte") return arrow::int8();
  if (name == "float") return arrow::float32();
  if (name == "double") return arrow::float64();
  if (name == "boolean") return arrow::boolean();
  if (name == "binary") return arrow::binary();
  if (name == "date") return arrow::date32();
  if (name == "timestamp") return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
  if (name == "timestamp_ntz") return arrow::timestamp(arrow::TimeUnit::MICRO);
  return nullptr;
}

// "decimal" alone is Spark's decimal(10,0); otherwise "decimal(p,s)" with optional spaces.
Result<std::shared_ptr<arrow::DataType>> DecimalFromName(std::string_view name,
                                                         std::string_view path) {
  int32_t precision = 10;
  int32_t scale = 0;
  if (name != "decimal") {
    std::string_view rest = name.substr(std::string_view("decimal").size());
    std::string compact;
    for (char c : rest) {
      if (c != ' ') compact += c;
    }
    size_t comma = compact.find(',');
    if (compact.size() < 5 || compact.front() != '(' || compact.back() != ')' ||
        comma == std::string::npos ||
        !ParseNumber(std::string_view(compact).substr(1, comma - 1), &precision) ||
        !ParseNumber(std::string_view(compact).substr(comma + 1, compact.size() - comma - 2),
                     &scale)) {
      return UnsupportedType(name, path);
    }
  }
  if (precision < 1 || precision > 38 || scale < 0 || scale > precision) {
    return UnsupportedType(name, path);
  }
  return arrow::decimal128(precision, scale);
}

Result<std::shared_ptr<arrow::Field>> FieldFromJson(const JsonValue& json, std::string_view parent,
                                                    size_t index);

Result<std::shared_ptr<arrow::DataType>> TypeFromJson(const JsonValue& json,
                                                      std::string_view path) {
  if (json.is_string()) {
    const std::string& name = json.string_value();
    if (auto type = PrimitiveFromName(name)) return type;
    if (name.starts_with("decimal")) return DecimalFromName(name, path);
    return UnsupportedType(name, path);
  }
  const JsonValue* kind = json.Get("type");
  if (kind == nullptr || !kind->is_string()) {
    return InvalidSchema("field '" + std::string(path) + "' has no valid type", path);
  }
  const std::string& name = kind->string_value();
  if (name == "struct") {
    const JsonValue* fields = json.Get("fields");
    if (fields == nullptr || !fields->is_array()) {
      return InvalidSchema("struct of field '" + std::string(path) + "' has no fields array", path);
    }
    arrow::FieldVector children;
    for (size_t i = 0; i < fields->array_value().size(); ++i) {
      ARROW_ASSIGN_OR_RAISE(auto child, FieldFromJson(fields->array_value()[i], path, i));
      children.push_back(std::move(child));
    }
    return arrow::struct_(std::move(children));
  }
  if (name == "array") {
    const JsonValue* element = json.Get("elementType");
    if (element == nullptr) {
      return InvalidSchema("array of field '" + std::string(path) + "' has no elementType", path);
    }
    const JsonValue* contains_null = json.Get("containsNull");
    ARROW_ASSIGN_OR_RAISE(auto element_type, TypeFromJson(*element, ChildPath(path, "element")));
    return arrow::list(arrow::field(
        "element", std::move(element_type),
        contains_null == nullptr || !contains_null->is_bool() || contains_null->bool_value()));
  }
  if (name == "map") {
    const JsonValue* key = json.Get("keyType");
    const JsonValue* value = json.Get("valueType");
    if (key == nullptr || value == nullptr) {
      return InvalidSchema("map of field '" + std::string(path) + "' lacks keyType or valueType",
                           path);
    }
    const JsonValue* value_contains_null = json.Get("valueContainsNull");
    ARROW_ASSIGN_OR_RAISE(auto key_type, TypeFromJson(*key, ChildPath(path, "key")));
    ARROW_ASSIGN_OR_RAISE(auto value_type, TypeFromJson(*value, ChildPath(path, "value")));
    bool value_nullable = value_contains_null == nullptr || !value_contains_null->is_bool() ||
                          value_contains_null->bool_value();
    return std::make_shared<arrow::MapType>(
        arrow::field("key", std::move(key_type), false),
        arrow::field("value", std::move(value_type), value_nullable));
  }
  return UnsupportedType(name, path);
}

Result<std::shared_ptr<const arrow::KeyValueMetadata>> MetadataFromJson(const JsonValue* json,
                                                                        std::string_view path) {
  if (json == nullptr || json->is_null()) return nullptr;
  if (!json->is_object()) {
    return InvalidSchema("metadata of field '" + std::string(path) + "' is not an object", path);
  }
  if (json->object_value().empty()) return nullptr;
  std::vector<std::string> keys;
  std::vector<std::string> values;
  for (const auto& [key, value] : json->object_value()) {
    keys.push_back(key);
    values.push_back(value.is_string() ? value.string_value() : value.ToJson());
  }
  return arrow::key_value_metadata(std::move(keys), std::move(values));
}

Result<std::shared_ptr<arrow::Field>> FieldFromJson(const JsonValue& json, std::string_view parent,
                                                    size_t index) {
  const JsonValue* name = json.Get("name");
  if (name == nullptr || !name->is_string()) {
    std::string at = std::string(parent) + "[" + std::to_string(index) + "]";
    return InvalidSchema("field " + at + " has no name", at);
  }
  std::string path = ChildPath(parent, name->string_value());
  const JsonValue* type_json = json.Get("type");
  if (type_json == nullptr) {
    return InvalidSchema("field '" + path + "' has no type", path);
  }
  ARROW_ASSIGN_OR_RAISE(auto type, TypeFromJson(*type_json, path));
  const JsonValue* nullable = json.Get("nullable");
  ARROW_ASSIGN_OR_RAISE(auto metadata, MetadataFromJson(json.Get("metadata"), path));
  return arrow::field(name->string_value(), std::move(type),
                      nullable == nullptr || !nullable->is_bool() || nullable->bool_value(),
                      std::move(metadata));
}

// ---- Arrow -> schemaString ----

// Keys whose values Delta writes as JSON numbers, booleans, objects or arrays; every other
// metadata value is written as a string (a comment "12" must stay a string for Spark).
bool IsJsonValuedMetadataKey(std::string_view key) {
  static constexpr std::array<std::string_view, 9> kKeys = {kColumnIdKey,
                                                            kNestedIdsKey,
                                                            "delta.identity.start",
                                                            "delta.identity.step",
                                                            "delta.identity.highWaterMark",
                                                            "delta.identity.allowExplicitInsert",
                                                            "delta.typeChanges",
                                                            "parquet.field.id",
                                                            "parquet.field.nested.ids"};
  for (std::string_view k : kKeys) {
    if (k == key) return true;
  }
  return false;
}

JsonValue MetadataToJson(const arrow::KeyValueMetadata* metadata) {
  JsonValue out = JsonValue::MakeObject();
  if (metadata == nullptr) return out;
  for (int64_t i = 0; i < metadata->size(); ++i) {
    const std::string& key = metadata->key(i);
    const std::string& value = metadata->value(i);
    if (IsJsonValuedMetadataKey(key)) {
      auto parsed = JsonValue::Parse(value);
      if (parsed.ok() && !parsed->is_string()) {
        out.Set(key, std::move(parsed).ValueUnsafe());
        continue;
      }
    }
    out.Set(key, value);
  }
  return out;
}

Result<JsonValue> FieldToJson(const arrow::Field& field, std::string_view parent);

Result<JsonValue> TypeToJson(const arrow::DataType& type, std::string_view path) {
  switch (type.id()) {
    case arrow::Type::STRING:
      return JsonValue("string");
    case arrow::Type::INT64:
      return JsonValue("long");
    case arrow::Type::INT32:
      return JsonValue("integer");
    case arrow::Type::INT16:
      return JsonValue("short");
    case arrow::Type::INT8:
      return JsonValue("byte");
    case arrow::Type::FLOAT:
      return JsonValue("float");
    case arrow::Type::DOUBLE:
      return JsonValue("double");
    case arrow::Type::BOOL:
      return JsonValue("boolean");
    case arrow::Type::BINARY:
      return JsonValue("binary");
    case arrow::Type::DATE32:
      return JsonValue("date");
    case arrow::Type::TIMESTAMP: {
      const auto& ts = static_cast<const arrow::TimestampType&>(type);
      if (ts.unit() != arrow::TimeUnit::MICRO) return UnsupportedType(type.ToString(), path);
      return JsonValue(ts.timezone().empty() ? "timestamp_ntz" : "timestamp");
    }
    case arrow::Type::DECIMAL128: {
      const auto& dec = static_cast<const arrow::Decimal128Type&>(type);
      return JsonValue("decimal(" + std::to_string(dec.precision()) + "," +
                       std::to_string(dec.scale()) + ")");
    }
    case arrow::Type::STRUCT: {
      JsonValue fields = JsonValue::MakeArray();
      for (const auto& child : type.fields()) {
        ARROW_ASSIGN_OR_RAISE(auto json, FieldToJson(*child, path));
        fields.Append(std::move(json));
      }
      JsonValue out = JsonValue::MakeObject();
      out.Set("type", "struct").Set("fields", std::move(fields));
      return out;
    }
    case arrow::Type::LIST: {
      const auto& element = static_cast<const arrow::ListType&>(type).value_field();
      ARROW_ASSIGN_OR_RAISE(auto element_json,
                            TypeToJson(*element->type(), ChildPath(path, "element")));
      JsonValue out = JsonValue::MakeObject();
      out.Set("type", "array")
          .Set("elementType", std::move(element_json))
          .Set("containsNull", element->nullable());
      return out;
    }
    case arrow::Type::MAP: {
      const auto& map = static_cast<const arrow::MapType&>(type);
      ARROW_ASSIGN_OR_RAISE(auto key_json, TypeToJson(*map.key_type(), ChildPath(path, "key")));
      ARROW_ASSIGN_OR_RAISE(auto value_json,
                            TypeToJson(*map.item_type(), ChildPath(path, "value")));
      JsonValue out = JsonValue::MakeObject();
      out.Set("type", "map")
          .Set("keyType", std::move(key_json))
          .Set("valueType", std::move(value_json))
          .Set("valueContainsNull", map.item_field()->nullable());
      return out;
    }
    default:
      return UnsupportedType(type.ToString(), path);
  }
}

Result<JsonValue> FieldToJson(const arrow::Field& field, std::string_view parent) {
  std::string path = ChildPath(parent, field.name());
  ARROW_ASSIGN_OR_RAISE(auto type, TypeToJson(*field.type(), path));
  JsonValue out = JsonValue::MakeObject();
  out.Set("name", field.name())
      .Set("type", std::move(type))
      .Set("nullable", field.nullable())
      .Set("metadata", MetadataToJson(field.metadata().get()));
  return out;
}

// ---- column mapping ----

// Where list elements and map keys/values find their ids: the nearest struct field's
// kNestedIdsKey object, keyed by the physical path below that field ("col-x.value.element").
struct NestedIds {
  std::shared_ptr<JsonValue> ids;
  std::string physical_path;

  NestedIds Child(std::string_view step) const {
    return {ids, physical_path + "." + std::string(step)};
  }
};

Result<std::shared_ptr<arrow::Field>> PhysicalField(const arrow::Field& field,
                                                    std::string_view parent,
                                                    ColumnMappingMode mode);

// A list element or map key/value: keeps its name, takes its nested id under kId.
Result<std::shared_ptr<arrow::Field>> PhysicalChild(const std::shared_ptr<arrow::Field>& child,
                                                    std::string_view path, ColumnMappingMode mode,
                                                    const NestedIds& nested);

Result<std::shared_ptr<arrow::DataType>> PhysicalType(const std::shared_ptr<arrow::DataType>& type,
                                                      std::string_view path, ColumnMappingMode mode,
                                                      const NestedIds& nested) {
  switch (type->id()) {
    case arrow::Type::STRUCT: {
      arrow::FieldVector children;
      for (const auto& child : type->fields()) {
        ARROW_ASSIGN_OR_RAISE(auto physical, PhysicalField(*child, path, mode));
        children.push_back(std::move(physical));
      }
      return arrow::struct_(std::move(children));
    }
    case arrow::Type::LIST: {
      const auto& list = static_cast<const arrow::ListType&>(*type);
      ARROW_ASSIGN_OR_RAISE(auto element,
                            PhysicalChild(list.value_field(), ChildPath(path, "element"), mode,
                                          nested.Child("element")));
      return arrow::list(std::move(element));
    }
    case arrow::Type::MAP: {
      const auto& map = static_cast<const arrow::MapType&>(*type);
      ARROW_ASSIGN_OR_RAISE(auto key, PhysicalChild(map.key_field(), ChildPath(path, "key"), mode,
                                                    nested.Child("key")));
      ARROW_ASSIGN_OR_RAISE(auto value, PhysicalChild(map.item_field(), ChildPath(path, "value"),
                                                      mode, nested.Child("value")));
      return std::make_shared<arrow::MapType>(std::move(key), std::move(value), map.keys_sorted());
    }
    default:
      return type;
  }
}

Result<std::shared_ptr<arrow::Field>> PhysicalChild(const std::shared_ptr<arrow::Field>& child,
                                                    std::string_view path, ColumnMappingMode mode,
                                                    const NestedIds& nested) {
  ARROW_ASSIGN_OR_RAISE(auto type, PhysicalType(child->type(), path, mode, nested));
  auto out = child->WithType(std::move(type));
  const JsonValue* id = nested.ids ? nested.ids->Get(nested.physical_path) : nullptr;
  if (mode == ColumnMappingMode::kId && id != nullptr && id->is_int()) {
    auto metadata =
        child->metadata() ? child->metadata()->Copy() : std::make_shared<arrow::KeyValueMetadata>();
    ARROW_RETURN_NOT_OK(
        metadata->Set(std::string(kParquetFieldIdKey), std::to_string(id->int_value())));
    out = out->WithMetadata(std::move(metadata));
  }
  return out;
}

Result<std::shared_ptr<arrow::Field>> PhysicalField(const arrow::Field& field,
                                                    std::string_view parent,
                                                    ColumnMappingMode mode) {
  std::string path = ChildPath(parent, field.name());
  const auto& logical_metadata = field.metadata();
  auto physical_name = logical_metadata ? logical_metadata->Get(kPhysicalNameKey)
                                        : Result<std::string>(Status::KeyError(""));
  if (!physical_name.ok() || physical_name->empty()) {
    return DeltaError(
        "MISSING_PHYSICAL_NAME",
        "field '" + path + "' has no " + std::string(kPhysicalNameKey) + " under column mapping",
        FieldDetail(path));
  }
  auto metadata = logical_metadata->Copy();
  NestedIds nested{nullptr, *physical_name};
  if (mode == ColumnMappingMode::kId) {
    auto id_text = logical_metadata->Get(kColumnIdKey);
    int32_t id = 0;
    if (!id_text.ok() || !ParseNumber(*id_text, &id)) {
      return DeltaError("MISSING_FIELD_ID",
                        "field '" + path + "' has no valid " + std::string(kColumnIdKey) +
                            " under column mapping mode id",
                        FieldDetail(path));
    }
    ARROW_RETURN_NOT_OK(metadata->Set(std::string(kParquetFieldIdKey), std::to_string(id)));
    if (auto nested_text = logical_metadata->Get(kNestedIdsKey); nested_text.ok()) {
      auto parsed = JsonValue::Parse(*nested_text);
      if (parsed.ok() && parsed->is_object()) {
        nested.ids = std::make_shared<JsonValue>(std::move(parsed).ValueUnsafe());
      }
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto type, PhysicalType(field.type(), path, mode, nested));
  return arrow::field(*physical_name, std::move(type), field.nullable(), std::move(metadata));
}

// ---- values as text (partition values, statistics) ----

bool IsValueType(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE:
    case arrow::Type::BOOL:
    case arrow::Type::DECIMAL128:
    case arrow::Type::DATE32:
    case arrow::Type::TIMESTAMP:
      return true;
    default:
      return false;
  }
}

// Reads fixed-width fields of date and time text.
class TextCursor {
 public:
  explicit TextCursor(std::string_view text) : text_(text) {}
  bool AtEnd() const { return pos_ == text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  bool Eat(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  bool Digits(int count, int* out) {
    int value = 0;
    for (int i = 0; i < count; ++i) {
      char c = Peek();
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
      ++pos_;
    }
    *out = value;
    return true;
  }
  // A fraction of a second after '.': up to 9 digits; digits below microseconds must be zero.
  bool FractionMicros(int64_t* out) {
    int64_t micros = 0;
    int count = 0;
    for (char c = Peek(); c >= '0' && c <= '9'; c = Peek()) {
      if (count < 6) {
        micros = micros * 10 + (c - '0');
      } else if (c != '0' || count >= 9) {
        return false;
      }
      ++count;
      ++pos_;
    }
    for (int i = count; i < 6; ++i) micros *= 10;
    *out = micros;
    return count > 0;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

std::optional<int64_t> ParseDays(TextCursor* cursor) {
  int year = 0, month = 0, day = 0;
  if (!cursor->Digits(4, &year) || !cursor->Eat('-') || !cursor->Digits(2, &month) ||
      !cursor->Eat('-') || !cursor->Digits(2, &day)) {
    return std::nullopt;
  }
  std::chrono::year_month_day date{std::chrono::year(year),
                                   std::chrono::month(static_cast<unsigned>(month)),
                                   std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days(date).time_since_epoch().count();
}

std::optional<int64_t> ParseDateText(std::string_view text) {
  TextCursor cursor(text);
  auto days = ParseDays(&cursor);
  if (!days || !cursor.AtEnd()) return std::nullopt;
  return days;
}

// Microseconds since the epoch. "Z" is accepted always; "+HH:MM"/"-HH:MM" offsets (also "+HHMM",
// "+HH") only when `allow_offset` (a UTC-adjusted type), and are applied.
std::optional<int64_t> ParseTimestampText(std::string_view text, bool allow_offset) {
  TextCursor cursor(text);
  auto days = ParseDays(&cursor);
  if (!days) return std::nullopt;
  int64_t micros = *days * kMicrosPerDay;
  if (cursor.AtEnd()) return micros;
  if (!cursor.Eat(' ') && !cursor.Eat('T')) return std::nullopt;
  int hour = 0, minute = 0, second = 0;
  int64_t fraction = 0;
  if (!cursor.Digits(2, &hour) || !cursor.Eat(':') || !cursor.Digits(2, &minute)) {
    return std::nullopt;
  }
  if (cursor.Eat(':')) {
    if (!cursor.Digits(2, &second)) return std::nullopt;
    if (cursor.Eat('.') && !cursor.FractionMicros(&fraction)) return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  micros += (hour * 3600LL + minute * 60LL + second) * kMicrosPerSecond + fraction;
  if (cursor.Eat('Z')) return cursor.AtEnd() ? std::optional<int64_t>(micros) : std::nullopt;
  char sign = cursor.Peek();
  if (sign != '+' && sign != '-') return cursor.AtEnd() ? std::optional(micros) : std::nullopt;
  if (!allow_offset) return std::nullopt;
  cursor.Eat(sign);
  int offset_hours = 0, offset_minutes = 0;
  if (!cursor.Digits(2, &offset_hours)) return std::nullopt;
  if (!cursor.AtEnd()) {
    cursor.Eat(':');
    if (!cursor.Digits(2, &offset_minutes) || !cursor.AtEnd()) return std::nullopt;
  }
  if (offset_hours > 18 || offset_minutes > 59) return std::nullopt;
  int64_t offset = (offset_hours * 3600LL + offset_minutes * 60LL) * kMicrosPerSecond;
  return sign == '+' ? micros - offset : micros + offset;
}

int64_t MicrosPerUnit(arrow::TimeUnit::type unit) {
  switch (unit) {
    case arrow::TimeUnit::SECOND:
      return kMicrosPerSecond;
    case arrow::TimeUnit::MILLI:
      return 1000;
    default:
      return 1;
  }
}

std::optional<int64_t> MicrosToUnit(int64_t micros, arrow::TimeUnit::type unit) {
  if (unit == arrow::TimeUnit::NANO) {
    int64_t nanos = 0;
    if (__builtin_mul_overflow(micros, int64_t{1000}, &nanos)) return std::nullopt;
    return nanos;
  }
  int64_t per_unit = MicrosPerUnit(unit);
  if (micros % per_unit != 0) return std::nullopt;
  return micros / per_unit;
}

std::optional<int64_t> UnitToMicros(int64_t value, arrow::TimeUnit::type unit) {
  if (unit == arrow::TimeUnit::NANO) {
    if (value % 1000 != 0) return std::nullopt;
    return value / 1000;
  }
  int64_t micros = 0;
  if (__builtin_mul_overflow(value, MicrosPerUnit(unit), &micros)) return std::nullopt;
  return micros;
}

std::shared_ptr<arrow::Scalar> DecimalFromText(std::string_view text,
                                               const std::shared_ptr<arrow::DataType>& type) {
  const auto& decimal_type = static_cast<const arrow::Decimal128Type&>(*type);
  arrow::Decimal128 value;
  int32_t precision = 0, scale = 0;
  if (!arrow::Decimal128::FromString(text, &value, &precision, &scale).ok()) return nullptr;
  if (scale != decimal_type.scale()) {
    auto rescaled = value.Rescale(scale, decimal_type.scale());
    if (!rescaled.ok()) return nullptr;
    value = *rescaled;
  }
  if (!value.FitsInPrecision(decimal_type.precision())) return nullptr;
  return std::make_shared<arrow::Decimal128Scalar>(value, type);
}

template <typename ScalarType>
std::shared_ptr<arrow::Scalar> NumberFromText(std::string_view text) {
  // For floats, from_chars also reads Java's "NaN", "Infinity" and "-Infinity".
  typename ScalarType::ValueType value{};
  if (!ParseNumber(text, &value)) return nullptr;
  return std::make_shared<ScalarType>(value);
}

// `text` parsed to `type` (one of IsValueType), or nullptr when malformed. No null spelling.
std::shared_ptr<arrow::Scalar> ValueFromText(std::string_view text,
                                             const std::shared_ptr<arrow::DataType>& type) {
  switch (type->id()) {
    case arrow::Type::STRING:
      return std::make_shared<arrow::StringScalar>(std::string(text));
    case arrow::Type::BINARY:
      return std::make_shared<arrow::BinaryScalar>(arrow::Buffer::FromString(std::string(text)));
    case arrow::Type::INT8:
      return NumberFromText<arrow::Int8Scalar>(text);
    case arrow::Type::INT16:
      return NumberFromText<arrow::Int16Scalar>(text);
    case arrow::Type::INT32:
      return NumberFromText<arrow::Int32Scalar>(text);
    case arrow::Type::INT64:
      return NumberFromText<arrow::Int64Scalar>(text);
    case arrow::Type::FLOAT:
      return NumberFromText<arrow::FloatScalar>(text);
    case arrow::Type::DOUBLE:
      return NumberFromText<arrow::DoubleScalar>(text);
    case arrow::Type::BOOL:
      if (EqualsIgnoreCase(text, "true")) return std::make_shared<arrow::BooleanScalar>(true);
      if (EqualsIgnoreCase(text, "false")) return std::make_shared<arrow::BooleanScalar>(false);
      return nullptr;
    case arrow::Type::DECIMAL128:
      return DecimalFromText(text, type);
    case arrow::Type::DATE32: {
      auto days = ParseDateText(text);
      if (!days || *days < std::numeric_limits<int32_t>::min() ||
          *days > std::numeric_limits<int32_t>::max()) {
        return nullptr;
      }
      return std::make_shared<arrow::Date32Scalar>(static_cast<int32_t>(*days));
    }
    case arrow::Type::TIMESTAMP: {
      const auto& ts = static_cast<const arrow::TimestampType&>(*type);
      auto micros = ParseTimestampText(text, !ts.timezone().empty());
      if (!micros) return nullptr;
      auto value = MicrosToUnit(*micros, ts.unit());
      if (!value) return nullptr;
      return std::make_shared<arrow::TimestampScalar>(*value, type);
    }
    default:
      return nullptr;
  }
}

std::string FormatDays(int64_t days) {
  std::chrono::year_month_day date{std::chrono::sys_days(std::chrono::days(days))};
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return buffer;
}

std::string FormatTimestampMicros(int64_t micros, bool utc) {
  int64_t days = micros / kMicrosPerDay;
  int64_t of_day = micros % kMicrosPerDay;
  if (of_day < 0) {
    days -= 1;
    of_day += kMicrosPerDay;
  }
  int64_t seconds = of_day / kMicrosPerSecond;
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%s%c%02d:%02d:%02d.%06d%s", FormatDays(days).c_str(),
                utc ? 'T' : ' ', static_cast<int>(seconds / 3600),
                static_cast<int>(seconds / 60 % 60), static_cast<int>(seconds % 60),
                static_cast<int>(of_day % kMicrosPerSecond), utc ? "Z" : "");
  return buffer;
}

// Java's spelling, which Delta readers expect: "1.0", "NaN", "Infinity".
template <typename T>
std::string FormatFloating(T value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string text(buffer, end);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

// Plain notation ("0.0000000001", never "1E-10"): every reader parses it.
std::string FormatDecimal(const arrow::Decimal128& value, int32_t scale) {
  std::string digits = value.ToIntegerString();
  bool negative = !digits.empty() && digits.front() == '-';
  if (negative) digits.erase(0, 1);
  if (scale > 0) {
    size_t width = static_cast<size_t>(scale);
    if (digits.size() <= width) digits.insert(0, width - digits.size() + 1, '0');
    digits.insert(digits.size() - width, ".");
  }
  return negative ? "-" + digits : digits;
}

// ---- statistics ----

bool IsJsonNumber(std::string_view token) {
  size_t i = 0;
  auto digit = [&](size_t k) { return k < token.size() && token[k] >= '0' && token[k] <= '9'; };
  if (i < token.size() && token[i] == '-') ++i;
  if (!digit(i)) return false;
  if (token[i] == '0') {
    ++i;
  } else {
    while (digit(i)) ++i;
  }
  if (i < token.size() && token[i] == '.') {
    if (!digit(++i)) return false;
    while (digit(i)) ++i;
  }
  if (i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
    ++i;
    if (i < token.size() && (token[i] == '+' || token[i] == '-')) ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  return i == token.size();
}

// `json` with every number that is not an int64 (a fraction, an exponent form, a huge integer)
// turned into a string of the same digits. The document model reads such numbers as doubles,
// which cannot hold a decimal(38,18) bound exactly; as text they parse exactly.
std::string QuoteNonIntegerNumbers(std::string_view json) {
  auto is_number_char = [](char c) {
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
  };
  std::string out;
  out.reserve(json.size() + 32);
  bool in_string = false;
  for (size_t i = 0; i < json.size();) {
    char c = json[i];
    if (in_string) {
      size_t length = (c == '\\' && i + 1 < json.size()) ? 2 : 1;
      if (c == '"') in_string = false;
      out.append(json.substr(i, length));
      i += length;
      continue;
    }
    if (c != '-' && (c < '0' || c > '9')) {
      in_string = c == '"';
      out += c;
      ++i;
      continue;
    }
    size_t end = i;
    while (end < json.size() && is_number_char(json[end])) ++end;
    std::string_view token = json.substr(i, end - i);
    int64_t integer = 0;
    if (IsJsonNumber(token) && !ParseNumber(token, &integer)) {
      out += '"';
      out.append(token);
      out += '"';
    } else {
      out.append(token);
    }
    i = end;
  }
  return out;
}

// A bound of a column's statistics. Fractions arrive as strings (QuoteNonIntegerNumbers).
std::shared_ptr<arrow::Scalar> StatFromJson(const JsonValue& json,
                                            const std::shared_ptr<arrow::DataType>& type) {
  if (json.is_string()) return ValueFromText(json.string_value(), type);
  if (json.is_bool()) {
    if (type->id() != arrow::Type::BOOL) return nullptr;
    return std::make_shared<arrow::BooleanScalar>(json.bool_value());
  }
  if (!json.is_int()) return nullptr;
  switch (type->id()) {
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE:
    case arrow::Type::DECIMAL128:
      return ValueFromText(std::to_string(json.int_value()), type);
    default:
      return nullptr;
  }
}

// The member of a stats object for `field`: by physical name when it has one, else by name.
const JsonValue* StatsMember(const JsonValue* object, const arrow::Field& field) {
  if (object == nullptr || !object->is_object()) return nullptr;
  if (const auto& metadata = field.metadata()) {
    if (auto physical = metadata->Get(kPhysicalNameKey); physical.ok()) {
      if (const JsonValue* member = object->Get(*physical)) return member;
    }
  }
  return object->Get(field.name());
}

void CollectColumnStats(const arrow::FieldVector& fields, const JsonValue* min,
                        const JsonValue* max, const JsonValue* null_count, std::string_view parent,
                        FileStats* out) {
  for (const auto& field : fields) {
    std::string path = ChildPath(parent, field->name());
    const JsonValue* field_min = StatsMember(min, *field);
    const JsonValue* field_max = StatsMember(max, *field);
    const JsonValue* field_nulls = StatsMember(null_count, *field);
    if (field->type()->id() == arrow::Type::STRUCT) {
      CollectColumnStats(field->type()->fields(), field_min, field_max, field_nulls, path, out);
      continue;
    }
    ColumnStats stats;
    if (IsValueType(*field->type())) {
      if (field_min != nullptr) stats.min = StatFromJson(*field_min, field->type());
      if (field_max != nullptr) stats.max = StatFromJson(*field_max, field->type());
    }
    if (field_nulls != nullptr && field_nulls->is_int() && field_nulls->int_value() >= 0) {
      stats.null_count = field_nulls->int_value();
    }
    if (stats.min || stats.max || stats.null_count) out->columns[path] = std::move(stats);
  }
}

}  // namespace

Result<ColumnMappingMode> ParseColumnMappingMode(const std::string* value) {
  if (value == nullptr || EqualsIgnoreCase(*value, "none")) return ColumnMappingMode::kNone;
  if (EqualsIgnoreCase(*value, "name")) return ColumnMappingMode::kName;
  if (EqualsIgnoreCase(*value, "id")) return ColumnMappingMode::kId;
  return DeltaError("INVALID_COLUMN_MAPPING_MODE",
                    "unknown " + std::string(kColumnMappingModeProperty) + " '" + *value +
                        "' (expected none, name or id)",
                    "\"value\":" + JsonQuote(*value));
}

Result<std::shared_ptr<arrow::Schema>> SchemaFromDeltaJson(std::string_view schema_string) {
  auto parsed = JsonValue::Parse(schema_string);
  if (!parsed.ok()) {
    return DeltaError("INVALID_SCHEMA",
                      "schemaString is not valid JSON: " + parsed.status().message());
  }
  const JsonValue& root = *parsed;
  const JsonValue* kind = root.Get("type");
  const JsonValue* fields = root.Get("fields");
  if (kind == nullptr || !kind->is_string() || kind->string_value() != "struct" ||
      fields == nullptr || !fields->is_array()) {
    return DeltaError("INVALID_SCHEMA", "schemaString is not a struct type with fields");
  }
  arrow::FieldVector out;
  for (size_t i = 0; i < fields->array_value().size(); ++i) {
    ARROW_ASSIGN_OR_RAISE(auto field, FieldFromJson(fields->array_value()[i], "", i));
    out.push_back(std::move(field));
  }
  return arrow::schema(std::move(out));
}

Result<std::string> SchemaToDeltaJson(const arrow::Schema& schema) {
  JsonValue fields = JsonValue::MakeArray();
  for (const auto& field : schema.fields()) {
    ARROW_ASSIGN_OR_RAISE(auto json, FieldToJson(*field, ""));
    fields.Append(std::move(json));
  }
  JsonValue root = JsonValue::MakeObject();
  root.Set("type", "struct").Set("fields", std::move(fields));
  return root.ToJson();
}

Result<std::shared_ptr<arrow::Schema>> PhysicalSchema(const arrow::Schema& logical,
                                                      ColumnMappingMode mode) {
  if (mode == ColumnMappingMode::kNone) {
    return std::make_shared<arrow::Schema>(logical.fields(), logical.metadata());
  }
  arrow::FieldVector fields;
  for (const auto& field : logical.fields()) {
    ARROW_ASSIGN_OR_RAISE(auto physical, PhysicalField(*field, "", mode));
    fields.push_back(std::move(physical));
  }
  return std::make_shared<arrow::Schema>(std::move(fields), logical.metadata());
}

Result<std::shared_ptr<arrow::Scalar>> ParsePartitionValue(
    const std::optional<std::string>& value, const std::shared_ptr<arrow::DataType>& type) {
  if (type == nullptr) return ArgumentError("ParsePartitionValue: type is null");
  if (!IsValueType(*type)) return UnsupportedType(type->ToString(), "");
  if (!value || value->empty()) return arrow::MakeNullScalar(type);
  if (auto scalar = ValueFromText(*value, type)) return scalar;
  return DeltaError("INVALID_PARTITION_VALUE",
                    "invalid partition value '" + *value + "' for type " + type->ToString(),
                    "\"value\":" + JsonQuote(*value) + ",\"type\":" + JsonQuote(type->ToString()));
}

Result<std::optional<std::string>> FormatPartitionValue(const arrow::Scalar& value) {
  const auto& type = *value.type;
  if (!IsValueType(type)) return UnsupportedType(type.ToString(), "");
  if (!value.is_valid) return std::nullopt;
  switch (type.id()) {
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      return std::string(static_cast<const arrow::BaseBinaryScalar&>(value).view());
    case arrow::Type::INT8:
      return std::to_string(static_cast<const arrow::Int8Scalar&>(value).value);
    case arrow::Type::INT16:
      return std::to_string(static_cast<const arrow::Int16Scalar&>(value).value);
    case arrow::Type::INT32:
      return std::to_string(static_cast<const arrow::Int32Scalar&>(value).value);
    case arrow::Type::INT64:
      return std::to_string(static_cast<const arrow::Int64Scalar&>(value).value);
    case arrow::Type::FLOAT:
      return FormatFloating(static_cast<const arrow::FloatScalar&>(value).value);
    case arrow::Type::DOUBLE:
      return FormatFloating(static_cast<const arrow::DoubleScalar&>(value).value);
    case arrow::Type::BOOL:
      return std::string(static_cast<const arrow::BooleanScalar&>(value).value ? "true" : "false");
    case arrow::Type::DECIMAL128:
      return FormatDecimal(static_cast<const arrow::Decimal128Scalar&>(value).value,
                           static_cast<const arrow::Decimal128Type&>(type).scale());
    case arrow::Type::DATE32:
      return FormatDays(static_cast<const arrow::Date32Scalar&>(value).value);
    case arrow::Type::TIMESTAMP: {
      const auto& ts = static_cast<const arrow::TimestampType&>(type);
      auto micros =
          UnitToMicros(static_cast<const arrow::TimestampScalar&>(value).value, ts.unit());
      if (!micros) {
        return DeltaError("INVALID_PARTITION_VALUE",
                          "timestamp " + value.ToString() + " is not a whole microsecond",
                          "\"type\":" + JsonQuote(type.ToString()));
      }
      return FormatTimestampMicros(*micros, !ts.timezone().empty());
    }
    default:
      return UnsupportedType(type.ToString(), "");
  }
}

Result<FileStats> ParseFileStats(std::string_view stats_json, const arrow::Schema& logical) {
  auto parsed = JsonValue::Parse(QuoteNonIntegerNumbers(stats_json));
  if (!parsed.ok()) {
    // The original text's error, whose byte offsets are the caller's.
    auto original = JsonValue::Parse(stats_json);
    const Status& error = original.ok() ? parsed.status() : original.status();
    return DeltaError("INVALID_STATS", "stats are not valid JSON: " + error.message());
  }
  if (!parsed->is_object()) return DeltaError("INVALID_STATS", "stats are not a JSON object");
  FileStats out;
  if (const JsonValue* records = parsed->Get("numRecords");
      records != nullptr && records->is_int() && records->int_value() >= 0) {
    out.num_records = records->int_value();
  }
  CollectColumnStats(logical.fields(), parsed->Get("minValues"), parsed->Get("maxValues"),
                     parsed->Get("nullCount"), "", &out);
  return out;
}

}  // namespace codeanatomy::delta
