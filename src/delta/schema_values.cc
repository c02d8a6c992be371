// Values as text: partition values (parse and format) and per-file statistics.
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
#include "delta/schema_internal.h"

namespace codeanatomy::delta {

using namespace schema_internal;  // NOLINT(build/namespaces): this module's own helpers

namespace {

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
      if (AsciiEqualsCaseInsensitive(text, "true"))
        return std::make_shared<arrow::BooleanScalar>(true);
      if (AsciiEqualsCaseInsensitive(text, "false"))
        return std::make_shared<arrow::BooleanScalar>(false);
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
    digits.insert(digits.size() - width, 1, '.');
  }
  if (negative) digits.insert(digits.begin(), '-');
  return digits;
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
