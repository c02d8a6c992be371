// Small builders of Acero declarations shared by the physical planner's files.
#pragma once

#include <string>
#include <vector>

#include <arrow/acero/exec_plan.h>
#include <arrow/acero/options.h>
#include <arrow/compute/expression.h>

namespace codeanatomy::engine::internal {

namespace ac = arrow::acero;
namespace cp = arrow::compute;

/// A projection of `input` to `exprs` named `names`.
inline ac::Declaration Project(ac::Declaration input, std::vector<cp::Expression> exprs,
                               std::vector<std::string> names) {
  return ac::Declaration::Sequence(
      {std::move(input), {"project", ac::ProjectNodeOptions(std::move(exprs), std::move(names))}});
}

/// Keeps the columns `keep` of `input`, renamed to `names_out`.
inline ac::Declaration Rename(ac::Declaration input, const std::vector<std::string>& keep,
                              const std::vector<std::string>& names_out) {
  std::vector<cp::Expression> exprs;
  for (const auto& k : keep) exprs.push_back(cp::field_ref(k));
  return Project(std::move(input), std::move(exprs), names_out);
}

/// AND of `terms` (true when empty).
inline cp::Expression Conjunction(std::vector<cp::Expression> terms) {
  if (terms.empty()) return cp::literal(true);
  cp::Expression out = std::move(terms[0]);
  for (size_t i = 1; i < terms.size(); ++i) out = cp::call("and_kleene", {out, terms[i]});
  return out;
}

}  // namespace codeanatomy::engine::internal
