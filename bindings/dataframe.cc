#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include "bindings/bindings.h"
#include "bindings/py_types.h"

namespace codeanatomy::bindings {

namespace {

/// Exposes a schema through __arrow_c_schema__.
struct SchemaHolder {
  std::shared_ptr<arrow::Schema> schema;
};

using Frame = engine::DataFrame;

}  // namespace

void BindDataFrame(nb::module_& m) {
  nb::class_<SchemaHolder>(m, "_ArrowSchema").def("__arrow_c_schema__", [](const SchemaHolder& s) {
    return ExportSchemaCapsule(s.schema);
  });
  nb::class_<Frame>(m, "DataFrame")
      .def("schema", [](const Frame& df) { return SchemaHolder{df.schema()}; })
      .def("select",
           [](const Frame& df, const std::vector<PyExpr>& exprs) {
             return Unwrap(WithoutGil([&] { return df.Select(Unpack(exprs)); }));
           })
      .def("filter",
           [](const Frame& df, const PyExpr& predicate) {
             return Unwrap(WithoutGil([&] { return df.Filter(predicate.expr); }));
           })
      .def("with_column",
           [](const Frame& df, const std::string& name, const PyExpr& e) {
             return Unwrap(WithoutGil([&] { return df.WithColumn(name, e.expr); }));
           })
      .def(
          "aggregate",
          [](const Frame& df, const std::vector<PyExpr>& group_by,
             const std::vector<PyExpr>& aggs) {
            return Unwrap(WithoutGil([&] { return df.Aggregate(Unpack(group_by), Unpack(aggs)); }));
          })
      .def(
          "join",
          [](const Frame& df, const Frame& right, const std::string& how,
             std::vector<std::string> left_keys, std::vector<std::string> right_keys,
             std::optional<PyExpr> filter, const std::string& suffix) {
            auto type = Unwrap(engine::ParseJoinType(how));
            return Unwrap(WithoutGil([&] {
              return df.Join(right, type, std::move(left_keys), std::move(right_keys),
                             filter ? filter->expr : nullptr, suffix);
            }));
          },
          nb::arg("right"), nb::arg("how"), nb::arg("left_keys"), nb::arg("right_keys"),
          nb::arg("filter").none() = nb::none(), nb::arg("suffix") = "_right")
      .def("sort",
           [](const Frame& df, const std::vector<std::tuple<PyExpr, bool, bool>>& keys) {
             std::vector<engine::SortKey> sort_keys;
             for (const auto& [e, asc, nulls_first] : keys)
               sort_keys.push_back({e.expr, asc, nulls_first});
             return Unwrap(WithoutGil([&] { return df.Sort(std::move(sort_keys)); }));
           })
      .def("limit",
           [](const Frame& df, int64_t n, int64_t offset) {
             return Unwrap(WithoutGil([&] { return df.Limit(n, offset); }));
           })
      .def("union",
           [](const Frame& df, const Frame& other, bool distinct) {
             return Unwrap(WithoutGil([&] { return df.Union(other, distinct); }));
           })
      .def("distinct",
           [](const Frame& df) { return Unwrap(WithoutGil([&] { return df.Distinct(); })); })
      .def("explain",
           [](const Frame& df) { return Unwrap(WithoutGil([&] { return df.Explain(); })); })
      .def("logical_plan", [](const Frame& df) { return engine::ExplainLogical(*df.plan()); })
      .def("execute_stream",
           [](const Frame& df) {
             return ArrowStreamHolder{Unwrap(WithoutGil([&] { return df.ExecuteStream(); }))};
           })
      .def("collect", [](const Frame& df) {
        auto options = InterruptibleOptions();
        auto table = Unwrap(WithoutGil([&] { return df.Collect(options); }));
        auto reader = Unwrap(arrow::RecordBatchReader::Make(
            Unwrap(arrow::TableBatchReader(*table).ToRecordBatches()), table->schema()));
        return ArrowStreamHolder{std::move(reader)};
      });
}

}  // namespace codeanatomy::bindings
