// The session's "cast" function.
//
// Arrow binds casts (explicit ones and those it inserts for implicit conversions, e.g.
// int32 + int64) through the "cast" meta function, which only dispatches when the default
// registry is in use: with a session's child registry, binding fails with "Dispatch for a
// MetaFunction's Kernels". Each session therefore shadows "cast" in its child registry with
// an ordinary scalar function that delegates to arrow::compute::Cast.
#pragma once

#include <arrow/compute/registry.h>

#include "common/status.h"

namespace codeanatomy::engine {

/// Registers the delegating "cast" scalar function in `registry` (a child registry).
Status InstallCastFunction(arrow::compute::FunctionRegistry* registry);

}  // namespace codeanatomy::engine
