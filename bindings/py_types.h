// Python-facing wrappers of core objects.
#pragma once

#include "engine/dataframe.h"
#include "engine/expr.h"
#include "engine/session_context.h"

namespace codeanatomy::bindings {

struct PyExpr {
  engine::ExprPtr expr;
};

struct PySortKey {
  engine::SortKey key;
};

}  // namespace codeanatomy::bindings
