#include "common/json.h"

#include <charconv>
#include <cmath>
#include <system_error>
#include <utility>

#include <arrow/util/logging.h>
#include <simdjson.h>

namespace codeanatomy {

std::string_view JsonTypeName(JsonType type) {
  switch (type) {
    case JsonType::kNull:
      return "null";
    case JsonType::kBool:
      return "bool";
    case JsonType::kInt:
      return "int";
    case JsonType::kDouble:
      return "double";
    case JsonType::kString:
      return "string";
    case JsonType::kArray:
      return "array";
    case JsonType::kObject:
      return "object";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------
// Accessors and mutation

namespace {

template <typename T, typename Variant>
auto& CheckedGet(Variant& v, JsonType expected) {
  auto* p = std::get_if<T>(&v);
  ARROW_CHECK(p != nullptr) << "JsonValue holds " << JsonTypeName(static_cast<JsonType>(v.index()))
                            << ", not " << JsonTypeName(expected);
  return *p;
}

}  // namespace

bool JsonValue::bool_value() const { return CheckedGet<bool>(value_, JsonType::kBool); }

int64_t JsonValue::int_value() const { return CheckedGet<int64_t>(value_, JsonType::kInt); }

double JsonValue::double_value() const { return CheckedGet<double>(value_, JsonType::kDouble); }

double JsonValue::number_value() const {
  if (is_int()) return static_cast<double>(int_value());
  return double_value();
}

const std::string& JsonValue::string_value() const {
  return CheckedGet<std::string>(value_, JsonType::kString);
}

const JsonArray& JsonValue::array_value() const {
  return CheckedGet<JsonArray>(value_, JsonType::kArray);
}

JsonArray& JsonValue::mutable_array() { return CheckedGet<JsonArray>(value_, JsonType::kArray); }

const JsonObject& JsonValue::object_value() const {
  return CheckedGet<JsonObject>(value_, JsonType::kObject);
}

JsonObject& JsonValue::mutable_object() {
  return CheckedGet<JsonObject>(value_, JsonType::kObject);
}

JsonValue& JsonValue::Set(std::string_view key, JsonValue value) {
  if (is_null()) value_ = JsonObject{};
  JsonObject& members = mutable_object();
  auto it = members.find(key);
  if (it == members.end()) {
    members.emplace(std::string(key), std::move(value));
  } else {
    it->second = std::move(value);
  }
  return *this;
}

const JsonValue* JsonValue::Get(std::string_view key) const {
  const auto* members = std::get_if<JsonObject>(&value_);
  if (members == nullptr) return nullptr;
  auto it = members->find(key);
  return it == members->end() ? nullptr : &it->second;
}

JsonValue& JsonValue::Append(JsonValue value) {
  if (is_null()) value_ = JsonArray{};
  mutable_array().push_back(std::move(value));
  return *this;
}

bool JsonValue::operator==(const JsonValue& other) const { return value_ == other.value_; }

// ---------------------------------------------------------------------------
// Writing

namespace {

void AppendQuoted(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[u >> 4]);
          out->push_back(kHex[u & 0x0f]);
        } else {
          out->push_back(c);  // ASCII and UTF-8 bytes pass through.
        }
      }
    }
  }
  out->push_back('"');
}

void AppendDouble(double d, std::string* out) {
  // JSON has no NaN or Infinity; null is the conventional stand-in.
  if (!std::isfinite(d)) {
    out->append("null");
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);  // shortest round-trip
  ARROW_CHECK(ec == std::errc()) << "to_chars(double) failed";
  std::string_view text(buf, static_cast<size_t>(end - buf));
  out->append(text);
  // "3" would re-parse as an int; "3.0" keeps the value a double.
  if (text.find_first_of(".e") == std::string_view::npos) out->append(".0");
}

void AppendScalar(const JsonValue& v, std::string* out) {
  switch (v.type()) {
    case JsonType::kNull:
      out->append("null");
      break;
    case JsonType::kBool:
      out->append(v.bool_value() ? "true" : "false");
      break;
    case JsonType::kInt: {
      char buf[24];
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v.int_value());
      out->append(buf, static_cast<size_t>(end - buf));
      break;
    }
    case JsonType::kDouble:
      AppendDouble(v.double_value(), out);
      break;
    case JsonType::kString:
      AppendQuoted(v.string_value(), out);
      break;
    case JsonType::kArray:
    case JsonType::kObject:
      ARROW_CHECK(false) << "AppendScalar called on a container";
  }
}

void AppendCompact(const JsonValue& v, std::string* out) {
  if (v.is_array()) {
    out->push_back('[');
    bool first = true;
    for (const JsonValue& element : v.array_value()) {
      if (!first) out->push_back(',');
      first = false;
      AppendCompact(element, out);
    }
    out->push_back(']');
  } else if (v.is_object()) {
    out->push_back('{');
    bool first = true;
    for (const auto& [key, member] : v.object_value()) {
      if (!first) out->push_back(',');
      first = false;
      AppendQuoted(key, out);
      out->push_back(':');
      AppendCompact(member, out);
    }
    out->push_back('}');
  } else {
    AppendScalar(v, out);
  }
}

void AppendNewline(int indent, int depth, std::string* out) {
  out->push_back('\n');
  out->append(static_cast<size_t>(indent) * static_cast<size_t>(depth), ' ');
}

void AppendPretty(const JsonValue& v, int indent, int depth, std::string* out) {
  if (v.is_array() && !v.array_value().empty()) {
    out->push_back('[');
    bool first = true;
    for (const JsonValue& element : v.array_value()) {
      if (!first) out->push_back(',');
      first = false;
      AppendNewline(indent, depth + 1, out);
      AppendPretty(element, indent, depth + 1, out);
    }
    AppendNewline(indent, depth, out);
    out->push_back(']');
  } else if (v.is_object() && !v.object_value().empty()) {
    out->push_back('{');
    bool first = true;
    for (const auto& [key, member] : v.object_value()) {
      if (!first) out->push_back(',');
      first = false;
      AppendNewline(indent, depth + 1, out);
      AppendQuoted(key, out);
      out->append(": ");
      AppendPretty(member, indent, depth + 1, out);
    }
    AppendNewline(indent, depth, out);
    out->push_back('}');
  } else {
    AppendCompact(v, out);  // scalars and empty containers
  }
}

}  // namespace

std::string JsonValue::ToJson() const {
  std::string out;
  AppendCompact(*this, &out);
  return out;
}

std::string JsonValue::ToPrettyJson(int indent) const {
  std::string out;
  AppendPretty(*this, indent < 0 ? 0 : indent, 0, &out);
  return out;
}

// ---------------------------------------------------------------------------
// Parsing

namespace {

namespace od = simdjson::ondemand;

// Walks a simdjson on-demand document into a JsonValue. Every value is visited,
// so on-demand's lazy validation ends up covering the whole document.
class DocumentConverter {
 public:
  DocumentConverter(od::document* doc, const char* base) : doc_(doc), base_(base) {}

  // T is od::document (the root) or od::value; both expose the same getters.
  template <typename T>
  arrow::Result<JsonValue> Convert(T& v) {
    const std::string_view token = RawToken(v);
    if (token.data() != nullptr) last_offset_ = static_cast<int64_t>(token.data() - base_);
    if (depth_ >= kMaxDepth) return FailAt(simdjson::DEPTH_ERROR, last_offset_);
    od::json_type type;
    if (auto err = v.type().get(type)) return Fail(err);
    switch (type) {
      case od::json_type::array:
        return ConvertArray(v);
      case od::json_type::object:
        return ConvertObject(v);
      case od::json_type::number:
        return ConvertNumber(v, token);
      case od::json_type::string: {
        std::string_view s;
        if (auto err = v.get_string().get(s)) return FailScalar(err, token);
        return JsonValue(s);
      }
      case od::json_type::boolean: {
        bool b;
        if (auto err = v.get_bool().get(b)) {
          if (err == simdjson::INCORRECT_TYPE) {
            err = token.substr(0, 1) == "t" ? simdjson::T_ATOM_ERROR : simdjson::F_ATOM_ERROR;
          }
          return FailScalar(err, token);
        }
        return JsonValue(b);
      }
      case od::json_type::null: {
        bool is_null = false;
        auto err = v.is_null().get(is_null);
        if (err == simdjson::SUCCESS && !is_null) err = simdjson::N_ATOM_ERROR;
        if (err == simdjson::INCORRECT_TYPE) err = simdjson::N_ATOM_ERROR;
        if (err) return FailScalar(err, token);
        return JsonValue();
      }
    }
    return Fail(simdjson::INCORRECT_TYPE);
  }

  arrow::Status Fail(simdjson::error_code err) {
    int64_t offset = last_offset_;
    const char* location = nullptr;
    if (doc_->current_location().get(location) == simdjson::SUCCESS) {
      offset = static_cast<int64_t>(location - base_);
    }
    return FailAt(err, offset);
  }

  static arrow::Status FailAt(simdjson::error_code err, int64_t offset) {
    if (offset < 0) {
      return arrow::Status::Invalid("JSON parse error: ", simdjson::error_message(err));
    }
    return arrow::Status::Invalid("JSON parse error at byte ", offset, ": ",
                                  simdjson::error_message(err));
  }

 private:
  // The on-demand kernel does not enforce simdjson's depth limit, and this
  // converter recurses (~0.3-1.2 KB of stack per level, ~10 KB under ASan),
  // so it keeps its own, low enough for small thread stacks.
  static constexpr int kMaxDepth = 512;
  struct DepthGuard {
    explicit DepthGuard(int* depth) : depth_(depth) { ++*depth_; }
    ~DepthGuard() { --*depth_; }
    int* depth_;
  };

  static std::string_view RawToken(od::value& v) { return v.raw_json_token(); }
  static std::string_view RawToken(od::document& doc) {
    std::string_view token;
    if (doc.raw_json_token().get(token) != simdjson::SUCCESS) return {};
    return token;
  }

  template <typename T>
  arrow::Result<JsonValue> ConvertArray(T& v) {
    od::array array;
    if (auto err = v.get_array().get(array)) return Fail(err);
    DepthGuard guard(&depth_);
    JsonArray elements;
    for (auto element_result : array) {
      od::value element;
      if (auto err = element_result.get(element)) return Fail(err);
      ARROW_ASSIGN_OR_RAISE(JsonValue converted, Convert(element));
      elements.push_back(std::move(converted));
    }
    return JsonValue(std::move(elements));
  }

  template <typename T>
  arrow::Result<JsonValue> ConvertObject(T& v) {
    od::object object;
    if (auto err = v.get_object().get(object)) return Fail(err);
    DepthGuard guard(&depth_);
    JsonObject members;
    for (auto field_result : object) {
      od::field field;
      if (auto err = std::move(field_result).get(field)) return Fail(err);
      std::string_view key_view;
      if (auto err = field.unescaped_key().get(key_view)) return Fail(err);
      // Copy now: the unescaped key lives in a parser buffer that later strings reuse.
      std::string key(key_view);
      ARROW_ASSIGN_OR_RAISE(JsonValue converted, Convert(field.value()));
      members.insert_or_assign(std::move(key), std::move(converted));  // last wins
    }
    return JsonValue(std::move(members));
  }

  // The value comes from std::from_chars on the token, not from simdjson:
  // the on-demand kernel this header compiles to (fallback, without -march)
  // misreads some long decimals in 3.0.1 (e.g. 0.10000000000000000000001 ->
  // 1.86e-05), and it rejects integers beyond uint64. simdjson's get_double()
  // still runs: it consumes the value and reports root trailing content.
  template <typename T>
  arrow::Result<JsonValue> ConvertNumber(T& v, std::string_view token) {
    const std::string_view text = token.substr(0, token.find_first_of(" \t\r\n"));
    if (!IsJsonNumber(text)) return Fail(simdjson::NUMBER_ERROR);
    double simdjson_value = 0;
    if (auto err = v.get_double().get(simdjson_value)) {
      return FailScalar(err == simdjson::INCORRECT_TYPE ? simdjson::NUMBER_ERROR : err, token);
    }
    const char* first = text.data();
    const char* last = text.data() + text.size();
    if (text.find_first_of(".eE") == std::string_view::npos) {
      int64_t i = 0;
      auto [ptr, ec] = std::from_chars(first, last, i);
      if (ec == std::errc() && ptr == last) return JsonValue(i);
    }
    double d = 0;
    auto [ptr, ec] = std::from_chars(first, last, d);
    // from_chars reports underflow (1e-400) as out of range; simdjson gives 0.
    if (ec != std::errc() || ptr != last) return JsonValue(simdjson_value);
    return JsonValue(d);
  }

  // RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  static bool IsJsonNumber(std::string_view s) {
    size_t i = 0;
    auto digits = [&]() {
      const size_t start = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      return i > start;
    };
    if (i < s.size() && s[i] == '-') ++i;
    if (i < s.size() && s[i] == '0') {
      ++i;
    } else if (!digits()) {
      return false;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      if (!digits()) return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
      ++i;
      if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
      if (!digits()) return false;
    }
    return i == s.size();
  }

  // For a root scalar, simdjson reports trailing content without a position;
  // the token (which runs up to the next token) tells where it starts.
  arrow::Status FailScalar(simdjson::error_code err, std::string_view token) {
    if (err == simdjson::TRAILING_CONTENT && token.data() != nullptr) {
      return FailAt(err, static_cast<int64_t>(token.data() + token.size() - base_));
    }
    return Fail(err);
  }

  od::document* doc_;
  const char* base_;
  int64_t last_offset_ = -1;  // start of the value being converted
  int depth_ = 0;             // containers currently open
};

}  // namespace

arrow::Result<JsonValue> JsonValue::Parse(std::string_view text) {
  simdjson::padded_string padded(text);
  od::parser parser;
  od::document doc;
  if (auto err = parser.iterate(padded).get(doc)) {
    // Stage-1 errors (bad UTF-8, unclosed string, ...) carry no position.
    return DocumentConverter::FailAt(err, -1);
  }
  DocumentConverter converter(&doc, padded.data());
  ARROW_ASSIGN_OR_RAISE(JsonValue value, converter.Convert(doc));
  // A scalar root checks for trailing content itself; after an array or
  // object root, any token left over is trailing content.
  const char* location = nullptr;
  if (doc.current_location().get(location) == simdjson::SUCCESS) {
    return DocumentConverter::FailAt(simdjson::TRAILING_CONTENT, location - padded.data());
  }
  return value;
}

// ---------------------------------------------------------------------------
// JSON paths

namespace {

bool IsIdentifier(std::string_view key) {
  if (key.empty()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!(alpha || (digit && i > 0))) return false;
  }
  return true;
}

}  // namespace

std::string JsonPathAppendKey(std::string_view path, std::string_view key) {
  std::string out(path);
  if (IsIdentifier(key)) {
    out.push_back('.');
    out.append(key);
  } else {
    out.push_back('[');
    AppendQuoted(key, &out);
    out.push_back(']');
  }
  return out;
}

std::string JsonPathAppendIndex(std::string_view path, size_t index) {
  std::string out(path);
  out.push_back('[');
  out.append(std::to_string(index));
  out.push_back(']');
  return out;
}

}  // namespace codeanatomy
