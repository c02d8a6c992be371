// Errors of the Delta layer: stage "delta", with the table and the log file or action at fault.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace codeanatomy::delta {

/// An error of stage "delta". `details` are JSON object members without braces (may be empty).
Status DeltaError(std::string_view code, std::string message, std::string details = "");

}  // namespace codeanatomy::delta
