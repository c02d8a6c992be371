// Shared by the spec's reader (spec.cc) and its semantic checks (spec_validate.cc).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "semantic/spec.h"

namespace codeanatomy::semantic::internal {

/// A JSON object of `members`, as error details.
std::string DetailsJson(std::vector<std::pair<std::string_view, JsonValue>> members);
/// INVALID_SPEC_JSON (stage validation) with details {path, error}.
Status SpecError(std::string_view path, const std::string& error);

/// LEGACY_PARAMETER_TEMPLATES_UNSUPPORTED, SPEC_VERSION_UNSUPPORTED: before the structure is read.
Status CheckVersionAndLegacyFields(const JsonValue& root);
/// SPEC_MISSING_VIEW_DEFINITIONS, SPEC_MISSING_OUTPUT_TARGETS.
Status CheckNotEmpty(const SemanticSpec& spec);
/// Names, references, output targets, typed parameters and cycles (INVALID_SPEC_JSON).
Status ValidateSemantics(const SemanticSpec& spec);

/// "YYYY-MM-DD" naming a real calendar day.
bool IsIsoDate(std::string_view s);
/// "YYYY-MM-DDThh:mm:ss[.fraction]", or with a space for `T`: the forms the original accepted.
bool IsIsoTimestamp(std::string_view s);

}  // namespace codeanatomy::semantic::internal
