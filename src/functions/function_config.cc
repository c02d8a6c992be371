// Reading and writing the udf_config block (CONTRACTS.md §4).
#include <algorithm>
#include <cctype>

#include "functions/functions.h"

namespace codeanatomy::functions {

namespace {

Status ConfigError(std::string_view field, const std::string& what) {
  return InvalidError(stage::kValidation, "INVALID_UDF_CONFIG",
                      "udf_config." + std::string(field) + ": " + what,
                      "{\"field\":" + JsonQuote(field) + "}");
}

std::string Canonical(std::string_view text, bool upper) {
  std::string out;
  for (char ch : text) {
    if (std::isspace(static_cast<unsigned char>(ch))) continue;
    auto c = static_cast<unsigned char>(ch);
    out.push_back(static_cast<char>(upper ? std::toupper(c) : std::tolower(c)));
  }
  return out;
}

Status ReadBool(const JsonValue& value, std::string_view field, bool* out) {
  if (!value.is_bool()) return ConfigError(field, "must be true or false");
  *out = value.bool_value();
  return Status::OK();
}

// A string member that must be one of `allowed` (compared after case folding).
Status ReadChoice(const JsonValue& value, std::string_view field, bool upper,
                  const std::vector<std::string_view>& allowed, std::string* out) {
  std::string expected;
  for (auto a : allowed) expected += (expected.empty() ? "" : ", ") + std::string(a);
  if (!value.is_string()) return ConfigError(field, "must be a string, one of " + expected);
  std::string canonical = Canonical(value.string_value(), upper);
  if (std::find(allowed.begin(), allowed.end(), canonical) == allowed.end()) {
    return ConfigError(
        field, "unknown value '" + value.string_value() + "' (expected one of " + expected + ")");
  }
  *out = canonical;
  return Status::OK();
}

}  // namespace

Result<FunctionConfig> FunctionConfigFromJson(const JsonValue& value) {
  FunctionConfig config;
  if (value.is_null()) return config;
  if (!value.is_object()) {
    return InvalidError(stage::kValidation, "INVALID_UDF_CONFIG", "udf_config must be an object",
                        "{\"field\":\"udf_config\"}");
  }
  for (const auto& [key, member] : value.object_value()) {
    if (member.is_null()) continue;  // null keeps the default
    if (key == "utf8_normalize_form") {
      CA_RETURN_NOT_OK(ReadChoice(member, key, true, {"NFC", "NFD", "NFKC", "NFKD"},
                                  &config.utf8_normalize_form));
    } else if (key == "utf8_normalize_casefold") {
      CA_RETURN_NOT_OK(ReadBool(member, key, &config.utf8_normalize_casefold));
    } else if (key == "utf8_normalize_collapse_ws") {
      CA_RETURN_NOT_OK(ReadBool(member, key, &config.utf8_normalize_collapse_ws));
    } else if (key == "span_default_line_base") {
      if (!member.is_int() || (member.int_value() != 0 && member.int_value() != 1)) {
        return ConfigError(key, "must be the integer 0 or 1");
      }
      config.span_default_line_base = static_cast<int32_t>(member.int_value());
    } else if (key == "span_default_col_unit") {
      CA_RETURN_NOT_OK(ReadChoice(member, key, false, {"byte", "utf8", "utf16", "utf32"},
                                  &config.span_default_col_unit));
    } else if (key == "span_default_end_exclusive") {
      CA_RETURN_NOT_OK(ReadBool(member, key, &config.span_default_end_exclusive));
    } else if (key == "map_normalize_key_case") {
      CA_RETURN_NOT_OK(ReadChoice(member, key, false, {"lower", "upper", "none"},
                                  &config.map_normalize_key_case));
    } else if (key == "map_normalize_sort_keys") {
      CA_RETURN_NOT_OK(ReadBool(member, key, &config.map_normalize_sort_keys));
    } else {
      return ConfigError(key, "unknown field");
    }
  }
  return config;
}

Result<FunctionConfig> ParseFunctionConfig(std::string_view json_text) {
  bool blank = std::all_of(json_text.begin(), json_text.end(),
                           [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
  if (blank) return FunctionConfig{};
  auto parsed = JsonValue::Parse(json_text);
  if (!parsed.ok()) {
    return InvalidError(stage::kValidation, "INVALID_UDF_CONFIG",
                        "udf_config is not valid JSON: " + parsed.status().message(),
                        "{\"field\":\"udf_config\"}");
  }
  return FunctionConfigFromJson(*parsed);
}

JsonValue FunctionConfigToJson(const FunctionConfig& config) {
  JsonValue out = JsonValue::MakeObject();
  out.Set("utf8_normalize_form", config.utf8_normalize_form)
      .Set("utf8_normalize_casefold", config.utf8_normalize_casefold)
      .Set("utf8_normalize_collapse_ws", config.utf8_normalize_collapse_ws)
      .Set("span_default_line_base", config.span_default_line_base)
      .Set("span_default_col_unit", config.span_default_col_unit)
      .Set("span_default_end_exclusive", config.span_default_end_exclusive)
      .Set("map_normalize_key_case", config.map_normalize_key_case)
      .Set("map_normalize_sort_keys", config.map_normalize_sort_keys);
  return out;
}

}  // namespace codeanatomy::functions
