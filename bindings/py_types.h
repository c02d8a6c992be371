// Python-facing wrappers of core objects.
#pragma once

#include <vector>

#include "engine/dataframe.h"
#include "engine/expr.h"
#include "engine/session_context.h"

namespace codeanatomy::bindings {

struct PyExpr {
  engine::ExprPtr expr;
};

/// The core expressions of a list of Python-facing ones.
inline std::vector<engine::ExprPtr> Unpack(const std::vector<PyExpr>& exprs) {
  std::vector<engine::ExprPtr> out;
  out.reserve(exprs.size());
  for (const auto& e : exprs) out.push_back(e.expr);
  return out;
}

}  // namespace codeanatomy::bindings
