#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings/bindings.h"
#include "bindings/py_types.h"

namespace codeanatomy::bindings {

void BindExpr(nb::module_& m) {
  nb::class_<PyExpr>(m, "Expr")
      .def("__repr__", [](const PyExpr& e) { return engine::ToString(*e.expr); })
      .def("output_name", [](const PyExpr& e) { return engine::OutputName(*e.expr); })
      .def("referenced_columns",
           [](const PyExpr& e) { return engine::ReferencedColumns(*e.expr); });

  m.def("col", [](std::string name) { return PyExpr{engine::Column(std::move(name))}; });
  m.def(
      "lit", [](nb::handle array) { return PyExpr{engine::Literal(ImportArrowScalar(array))}; },
      "A literal from a length-1 Arrow array.");
  m.def(
      "call",
      [](std::string name, const std::vector<PyExpr>& args, bool distinct) {
        return PyExpr{engine::AggregateCall(std::move(name), Unpack(args), distinct)};
      },
      nb::arg("name"), nb::arg("args"), nb::arg("distinct") = false);
  m.def("alias", [](const PyExpr& e, std::string name) {
    return PyExpr{engine::Alias(e.expr, std::move(name))};
  });
  m.def("cast", [](const PyExpr& e, nb::handle type) {
    return PyExpr{engine::Cast(e.expr, ImportArrowType(type))};
  });
  m.def(
      "case",
      [](const std::vector<std::pair<PyExpr, PyExpr>>& when_then, nb::object otherwise) {
        std::vector<std::pair<engine::ExprPtr, engine::ExprPtr>> pairs;
        for (const auto& [w, t] : when_then) pairs.emplace_back(w.expr, t.expr);
        engine::ExprPtr other = otherwise.is_none() ? nullptr : nb::cast<PyExpr>(otherwise).expr;
        return PyExpr{engine::Case(std::move(pairs), std::move(other))};
      },
      nb::arg("when_then"), nb::arg("otherwise").none());
  m.def("in_list", [](const PyExpr& e, const std::vector<PyExpr>& list, bool negated) {
    return PyExpr{engine::InList(e.expr, Unpack(list), negated)};
  });
  m.def("between", [](const PyExpr& e, const PyExpr& lo, const PyExpr& hi, bool negated) {
    return PyExpr{engine::Between(e.expr, lo.expr, hi.expr, negated)};
  });
  m.def("like", [](const PyExpr& e, std::string pattern, bool case_insensitive, bool negated) {
    return PyExpr{engine::Like(e.expr, std::move(pattern), case_insensitive, negated)};
  });
}

}  // namespace codeanatomy::bindings
