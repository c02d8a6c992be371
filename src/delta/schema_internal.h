// Helpers shared by the schema module's files (schema.cc, schema_values.cc); not API.
#pragma once

#include <cctype>
#include <charconv>
#include <memory>
#include <string>
#include <string_view>

#include <arrow/type.h>
#include <arrow/util/string.h>

#include "common/status.h"
#include "delta/delta_error.h"
#include "delta/schema.h"

namespace codeanatomy::delta::schema_internal {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

inline std::string ChildPath(std::string_view parent, std::string_view name) {
  std::string path(parent);
  if (!path.empty()) path += '.';
  path += name;
  return path;
}

inline std::string FieldDetail(std::string_view path) { return "\"field\":" + JsonQuote(path); }

inline Status InvalidSchema(std::string message, std::string_view path) {
  return DeltaError("INVALID_SCHEMA", std::move(message), FieldDetail(path));
}

inline Status UnsupportedType(std::string_view type_name, std::string_view path) {
  std::string message = "unsupported type '";
  message.append(type_name).append("'");
  std::string details = "\"type\":";
  details += JsonQuote(type_name);
  if (!path.empty()) {
    message.append(" of field '").append(path).append("'");
    details += ',';
    details += FieldDetail(path);
  }
  return DeltaError("UNSUPPORTED_TYPE", std::move(message), std::move(details));
}

using arrow::internal::AsciiEqualsCaseInsensitive;

template <typename T>
inline bool ParseNumber(std::string_view text, T* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && !text.empty();
}

}  // namespace codeanatomy::delta::schema_internal
