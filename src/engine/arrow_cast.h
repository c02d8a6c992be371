// Access to Arrow's per-target-type cast functions.
//
// Arrow binds the "cast" meta function only against its default registry; with a session's
// child registry, binding a cast fails ("Dispatch for a MetaFunction's Kernels"). The concrete
// cast functions (e.g. "cast_double") are ordinary scalar functions that bind anywhere, but
// Arrow 26 does not install their lookup in its public headers. This file is the one place
// that reaches for it.
#pragma once

#include <memory>

#include <arrow/compute/function.h>
#include <arrow/type_fwd.h>

#include "common/status.h"

namespace codeanatomy::engine {

/// The scalar cast function producing `to_type` (named "cast_<type>").
Result<std::shared_ptr<arrow::compute::ScalarFunction>> CastFunctionFor(const arrow::DataType& to_type);

}  // namespace codeanatomy::engine
