// A small JSON document model with a canonical writer (the bytes we hash) and
// a simdjson-backed parser, plus JSON-path helpers for error messages.

#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <arrow/result.h>
#include <arrow/status.h>

namespace codeanatomy {

class JsonValue;

/// \brief A JSON array.
using JsonArray = std::vector<JsonValue>;

/// \brief A JSON object. std::map keeps keys in byte order, which is what the
/// canonical writer needs; `std::less<>` allows lookup by std::string_view.
using JsonObject = std::map<std::string, JsonValue, std::less<>>;

/// \brief The kind of value a JsonValue holds.
enum class JsonType { kNull, kBool, kInt, kDouble, kString, kArray, kObject };

/// \brief Name of a JsonType ("null", "bool", "int", "double", "string",
/// "array", "object"), for error messages.
std::string_view JsonTypeName(JsonType type);

/// \brief One JSON value: null, bool, int64, double, string, array or object.
///
/// Integers and doubles are distinct: `1` and `1.0` are different values,
/// compare unequal, and serialize differently (`1` vs `1.0`).
/// Accessors for a specific type (bool_value() etc.) require that type and
/// abort otherwise; check type() or an is_*() predicate first.
class JsonValue {
 public:
  /// \brief Null.
  JsonValue() = default;
  /// \brief Null.
  JsonValue(std::nullptr_t) {}  // NOLINT(runtime/explicit)
  /// \brief A boolean.
  JsonValue(bool b) : value_(b) {}  // NOLINT(runtime/explicit)
  /// \brief An integer. Unsigned values above INT64_MAX become doubles.
  template <std::integral T>
  requires(!std::same_as<T, bool>) JsonValue(T i) {  // NOLINT(runtime/explicit)
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(int64_t)) {
      if (i > static_cast<T>(std::numeric_limits<int64_t>::max())) {
        value_ = static_cast<double>(i);
        return;
      }
    }
    value_ = static_cast<int64_t>(i);
  }
  /// \brief A double (NaN and infinities are kept but serialize as null).
  JsonValue(double d) : value_(d) {}  // NOLINT(runtime/explicit)
  /// \brief A string (UTF-8 expected; not validated).
  JsonValue(std::string s) : value_(std::move(s)) {}  // NOLINT(runtime/explicit)
  /// \brief A string (UTF-8 expected; not validated).
  JsonValue(std::string_view s) : value_(std::string(s)) {}  // NOLINT
  /// \brief A string (UTF-8 expected; not validated). Not a bool.
  JsonValue(const char* s) : value_(std::string(s)) {}  // NOLINT
  /// \brief An array.
  JsonValue(JsonArray a) : value_(std::move(a)) {}  // NOLINT(runtime/explicit)
  /// \brief An object.
  JsonValue(JsonObject o) : value_(std::move(o)) {}  // NOLINT(runtime/explicit)

  /// \brief An empty array.
  static JsonValue MakeArray() { return JsonValue(JsonArray{}); }
  /// \brief An empty object.
  static JsonValue MakeObject() { return JsonValue(JsonObject{}); }

  /// \brief Parses one JSON document (RFC 8259; surrounding whitespace allowed).
  ///
  /// Integers that fit int64 become kInt; other numbers become kDouble
  /// (integers beyond int64 lose precision; numbers beyond double's range are
  /// an error). Strings must be valid UTF-8. Duplicate object keys are
  /// accepted and the last one wins. Nesting is limited to 512 levels.
  /// On failure returns Status::Invalid whose message names the byte offset
  /// ("at byte N") when it is known, and simdjson's description of the error.
  static arrow::Result<JsonValue> Parse(std::string_view text);

  /// \brief The kind of value held.
  JsonType type() const { return static_cast<JsonType>(value_.index()); }
  /// \brief True for null.
  bool is_null() const { return type() == JsonType::kNull; }
  /// \brief True for a boolean.
  bool is_bool() const { return type() == JsonType::kBool; }
  /// \brief True for an integer.
  bool is_int() const { return type() == JsonType::kInt; }
  /// \brief True for a double.
  bool is_double() const { return type() == JsonType::kDouble; }
  /// \brief True for an integer or a double.
  bool is_number() const { return is_int() || is_double(); }
  /// \brief True for a string.
  bool is_string() const { return type() == JsonType::kString; }
  /// \brief True for an array.
  bool is_array() const { return type() == JsonType::kArray; }
  /// \brief True for an object.
  bool is_object() const { return type() == JsonType::kObject; }

  /// \brief The boolean. Requires is_bool().
  bool bool_value() const;
  /// \brief The integer. Requires is_int().
  int64_t int_value() const;
  /// \brief The double. Requires is_double().
  double double_value() const;
  /// \brief The number as a double (integers converted). Requires is_number().
  double number_value() const;
  /// \brief The string. Requires is_string().
  const std::string& string_value() const;
  /// \brief The elements. Requires is_array().
  const JsonArray& array_value() const;
  /// \brief The elements, mutable. Requires is_array().
  JsonArray& mutable_array();
  /// \brief The members. Requires is_object().
  const JsonObject& object_value() const;
  /// \brief The members, mutable. Requires is_object().
  JsonObject& mutable_object();

  /// \brief Sets member `key`, replacing any previous value; returns *this.
  /// Requires is_object() or is_null() (null becomes an empty object first).
  JsonValue& Set(std::string_view key, JsonValue value);
  /// \brief Member `key`, or nullptr if absent or if this is not an object.
  const JsonValue* Get(std::string_view key) const;
  /// \brief Appends an element; returns *this.
  /// Requires is_array() or is_null() (null becomes an empty array first).
  JsonValue& Append(JsonValue value);

  /// \brief Deep equality; int and double never compare equal to each other,
  /// and NaN is unequal to itself.
  bool operator==(const JsonValue& other) const;

  /// \brief Canonical compact JSON: no whitespace, object keys in byte order,
  /// integers exact, doubles as the shortest text that round-trips (with
  /// `.0` added to integral ones so they re-parse as doubles, `-0.0` kept),
  /// non-finite doubles as `null`, non-ASCII UTF-8 passed through, control
  /// characters escaped. Values with the same meaning give the same bytes.
  std::string ToJson() const;

  /// \brief Human-readable JSON with `indent` spaces per level and `": "`
  /// after keys; same scalar formatting and key order as ToJson().
  std::string ToPrettyJson(int indent = 2) const;

 private:
  // Alternative order must match JsonType.
  std::variant<std::monostate, bool, int64_t, double, std::string, JsonArray, JsonObject> value_;
};

/// \brief The JSON path of a document's root, `$`.
inline constexpr std::string_view kJsonPathRoot = "$";

/// \brief `path` extended by object member `key`: `$.name` when `key` is an
/// identifier ([A-Za-z_][A-Za-z0-9_]*), else `$["some key"]` (JSON-escaped).
std::string JsonPathAppendKey(std::string_view path, std::string_view key);

/// \brief `path` extended by array element `index`: `$.items[3]`.
std::string JsonPathAppendIndex(std::string_view path, size_t index);

}  // namespace codeanatomy
