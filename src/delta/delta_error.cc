#include "delta/delta_error.h"

namespace codeanatomy::delta {

Status DeltaError(std::string_view code, std::string message, std::string details) {
  return InvalidError(stage::kDelta, code, std::move(message),
                      details.empty() ? "" : "{" + details + "}");
}

}  // namespace codeanatomy::delta
