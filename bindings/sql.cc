// SQL entry points: ctx.sql, the statement policy, and SQL expressions against a schema.
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>

#include "bindings/bindings.h"
#include "bindings/py_types.h"
#include "sql/binder.h"
#include "sql/statement.h"

namespace codeanatomy::bindings {

void BindSql(nb::module_& m) {
  m.def("sql", [](engine::SessionContext& ctx, const std::string& text, const nb::list& params) {
    sql::SqlParams values;
    for (nb::handle p : params) values.push_back(ImportArrowScalar(p));  // one-value arrays
    return Unwrap(WithoutGil([&] { return sql::ExecuteSql(ctx, text, values); }));
  });
  m.def("set_sql_policy",
        [](engine::SessionContext& ctx, bool allow_ddl, bool allow_dml, bool allow_statements) {
          sql::SetStatementPolicy(*ctx.state(), {allow_ddl, allow_dml, allow_statements});
        });
  m.def("sql_policy", [](engine::SessionContext& ctx) {
    auto p = sql::GetStatementPolicy(*ctx.state());
    return std::make_tuple(p.allow_ddl, p.allow_dml, p.allow_statements);
  });
  m.def("parse_sql_expr", [](const engine::DataFrame& df, const std::string& text) {
    return PyExpr{Unwrap(sql::ParseSqlExpression(text, *df.schema(), df.state()))};
  });
}

}  // namespace codeanatomy::bindings
