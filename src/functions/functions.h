// The codeanatomy function bundle (CONTRACTS.md §5), scalar part: hashing, spans, positions,
// strings, lists and maps, and change-data functions as Arrow compute ScalarFunctions that a
// session's registry resolves like built-ins, from SQL and from the DataFrame API.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <arrow/compute/registry.h>

#include "common/json.h"
#include "common/status.h"

namespace codeanatomy::functions {

/// Defaults the bundle's functions use when an optional argument is absent or NULL: the
/// `udf_config` block of CONTRACTS.md §4, with the original's defaults.
struct FunctionConfig {
  std::string utf8_normalize_form = "NFKC";  ///< NFC, NFD, NFKC or NFKD (stored upper-case)
  bool utf8_normalize_casefold = true;
  bool utf8_normalize_collapse_ws = true;
  int32_t span_default_line_base = 0;          ///< 0 or 1
  std::string span_default_col_unit = "byte";  ///< byte, utf8, utf16 or utf32 (lower-case)
  bool span_default_end_exclusive = true;
  std::string map_normalize_key_case = "lower";  ///< lower, upper or none
  bool map_normalize_sort_keys = true;

  bool operator==(const FunctionConfig&) const = default;
};

/// Reads a `udf_config` object. Absent or null members keep their defaults; unknown members and
/// values of the wrong type or outside their domain are errors with stage "validation", code
/// INVALID_UDF_CONFIG and details `{"field": name}`, the message naming the field.
Result<FunctionConfig> FunctionConfigFromJson(const JsonValue& value);
/// FunctionConfigFromJson over JSON text; empty text is the default config.
Result<FunctionConfig> ParseFunctionConfig(std::string_view json_text);
/// The config as a JSON object with every member (its canonical form for hashing).
JsonValue FunctionConfigToJson(const FunctionConfig& config);

/// What a registry snapshot needs to know about one function of the bundle.
struct FunctionDescriptor {
  std::string name;
  std::string kind;  ///< "scalar" or "aggregate" (windows: functions/window_functions.h)
  std::vector<std::string> aliases;
  /// Every parameter in order; for a variadic function the last one names the repeated part.
  std::vector<std::string> parameter_names;
  std::string volatility;  ///< "immutable": same inputs, same output
  /// One type-name list per accepted arity (utf8, int64, int32, bool, float64, span = a struct
  /// with integer bstart and bend, list and map = of scalar types, any). Arguments of other types
  /// are cast implicitly: scalar types to their text for utf8, integers and strings (parsed,
  /// checked) to int64/int32/bool, NULL to anything; nested or binary types where a scalar is
  /// expected are TYPE_MISMATCH.
  std::vector<std::vector<std::string>> signatures;
  /// True when the last type of the (single) signature may repeat any number of times.
  bool variadic = false;
  std::string return_type;  ///< a type name as above, or a struct<...> spelled out
  std::string doc;          ///< one line; states the semantics we chose where §5 leaves them open
  std::vector<std::string> config_keys;  ///< the udf_config members the function reads
};

/// The bundle's scalar functions, in a stable order (sorted by name).
const std::vector<FunctionDescriptor>& CodeanatomyFunctions();

/// The descriptors as a JSON array (member names as in FunctionDescriptor).
JsonValue FunctionDescriptorsToJson(const std::vector<FunctionDescriptor>& descriptors);

/// Registers every function of the bundle and every alias in `registry` (a session's child
/// registry), bound to `config`. Calling it again replaces them, so it is idempotent for one
/// config and re-binds the defaults for a new one. Our `utf8_normalize` (value, form, casefold,
/// collapse_ws) deliberately shadows Arrow's built-in of the same name in this registry only;
/// the default registry keeps Arrow's.
Status InstallCodeanatomyFunctions(arrow::compute::FunctionRegistry* registry,
                                   const FunctionConfig& config = {});

}  // namespace codeanatomy::functions
