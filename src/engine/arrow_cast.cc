#include "engine/arrow_cast.h"

#include <arrow/result.h>

namespace arrow::compute {
class CastFunction;
namespace internal {
// Exported by libarrow_compute (arrow/compute/cast_internal.h, not shipped in the wheel).
// CastFunction derives from ScalarFunction as its only base.
ARROW_EXPORT Result<std::shared_ptr<CastFunction>> GetCastFunction(const DataType& to_type);
}  // namespace internal
}  // namespace arrow::compute

namespace codeanatomy::engine {

Result<std::shared_ptr<arrow::compute::ScalarFunction>> CastFunctionFor(const arrow::DataType& to_type) {
  auto fn = arrow::compute::internal::GetCastFunction(to_type);
  if (!fn.ok()) {
    return InvalidError(stage::kPlanning, "TYPE_MISMATCH",
                        "no cast to " + to_type.ToString() + ": " + fn.status().message());
  }
  auto base = std::reinterpret_pointer_cast<arrow::compute::ScalarFunction>(*fn);
  if (base->kind() != arrow::compute::Function::SCALAR) {
    return Status::Invalid("unexpected cast function kind for ", to_type.ToString());
  }
  return base;
}

}  // namespace codeanatomy::engine
