// Table functions in FROM: constant arguments folded, aliases, joins, and typed errors with
// their SQL positions.
#include <arrow/builder.h>
#include <gtest/gtest.h>

#include "../engine/test_util.h"
#include "engine/session_context.h"
#include "engine/table_function.h"
#include "sql/statement.h"

namespace codeanatomy::sql {
namespace {

using engine::TableFunction;
using engine::TableFunctionArgs;
using engine::testing::ErrorCode;
using engine::testing::ErrorDetails;
using engine::testing::ErrorStage;
using engine::testing::SortedRows;
using engine::testing::TableFromJSON;

/// series(start, [stop], [label]): columns n (start..stop) and label (the label or "x").
TableFunction Series() {
  return {
      "series",
      {{"start", arrow::int64()}, {"stop", arrow::int64(), true}, {"label", arrow::utf8(), true}},
      "Integers from start to stop.",
      [](const TableFunctionArgs& args) -> Result<std::shared_ptr<engine::TableProvider>> {
        auto int_arg = [&](size_t i, int64_t fallback) {
          if (i >= args.size() || !args[i]->is_valid) return fallback;
          return std::static_pointer_cast<arrow::Int64Scalar>(args[i])->value;
        };
        int64_t start = int_arg(0, 0);
        int64_t stop = int_arg(1, start + 2);
        std::string label =
            args.size() > 2 && args[2]->is_valid
                ? std::string(static_cast<const arrow::StringScalar&>(*args[2]).view())
                : "x";
        arrow::Int64Builder n;
        arrow::StringBuilder l;
        for (int64_t i = start; i <= stop; ++i) {
          ARROW_RETURN_NOT_OK(n.Append(i));
          ARROW_RETURN_NOT_OK(l.Append(label));
        }
        ARROW_ASSIGN_OR_RAISE(auto na, n.Finish());
        ARROW_ASSIGN_OR_RAISE(auto la, l.Finish());
        auto table = arrow::Table::Make(arrow::schema({arrow::field("n", arrow::int64()),
                                                       arrow::field("label", arrow::utf8())}),
                                        arrow::ArrayVector{na, la});
        ARROW_ASSIGN_OR_RAISE(auto provider, engine::MemoryTableProvider::Make(table));
        return std::static_pointer_cast<engine::TableProvider>(provider);
      }};
}

class TableFunctionSqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(auto ctx, engine::SessionContext::Make());
    ctx_ = std::make_unique<engine::SessionContext>(std::move(ctx));
    ASSERT_OK(ctx_->state()->RegisterTableFunction(Series()));
    TableFunction failing = Series();
    failing.name = "failing";
    failing.invoke =
        [](const TableFunctionArgs&) -> Result<std::shared_ptr<engine::TableProvider>> {
      return InvalidError("delta", "NOT_A_DELTA_TABLE", "no table here");
    };
    ASSERT_OK(ctx_->state()->RegisterTableFunction(failing));
    auto schema =
        arrow::schema({arrow::field("k", arrow::int32()), arrow::field("w", arrow::utf8())});
    ASSERT_OK(ctx_->RegisterTable(
        "u", TableFromJSON(schema, {R"([{"k": 2, "w": "two"}, {"k": 3, "w": "three"},
                                        {"k": 7, "w": "seven"}])"})));
  }

  Result<std::vector<std::string>> Run(const std::string& sql) {
    CA_ASSIGN_OR_RAISE(auto df, ExecuteSql(*ctx_, sql));
    CA_ASSIGN_OR_RAISE(auto table, df.Collect());
    return SortedRows(*table);
  }

  Status Error(const std::string& sql) {
    auto r = Run(sql);
    return r.ok() ? Status::OK() : r.status();
  }

  std::unique_ptr<engine::SessionContext> ctx_;
};

TEST_F(TableFunctionSqlTest, SelectsFromAFunctionWithFoldedArguments) {
  ASSERT_OK_AND_ASSIGN(auto rows, Run("SELECT n FROM series(1, 1 + 2)"));
  EXPECT_EQ(rows, (std::vector<std::string>{"1", "2", "3"}));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT * FROM SERIES(5)"));
  EXPECT_EQ(rows, (std::vector<std::string>{"5|x", "6|x", "7|x"}));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT series.n FROM series(CAST('4' AS bigint), 4)"));
  EXPECT_EQ(rows, (std::vector<std::string>{"4"}));
}

TEST_F(TableFunctionSqlTest, NullOptionalArgumentsAndNamedArguments) {
  ASSERT_OK_AND_ASSIGN(auto rows, Run("SELECT * FROM series(1, NULL, 'y')"));
  EXPECT_EQ(rows, (std::vector<std::string>{"1|y", "2|y", "3|y"}));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT * FROM series(1, label => 'z')"));
  EXPECT_EQ(rows, (std::vector<std::string>{"1|z", "2|z", "3|z"}));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT n FROM series(stop => 2, start => 1)"));
  EXPECT_EQ(rows, (std::vector<std::string>{"1", "2"}));
}

TEST_F(TableFunctionSqlTest, AliasesRenameTheRelationAndItsColumns) {
  ASSERT_OK_AND_ASSIGN(auto rows,
                       Run("SELECT s.a, s.b FROM series(1, 2) AS s(a, b) WHERE s.a > 1"));
  EXPECT_EQ(rows, (std::vector<std::string>{"2|x"}));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT t.a, t.label FROM series(1, 1) t(a)"));
  EXPECT_EQ(rows, (std::vector<std::string>{"1|x"}));
  auto st = Error("SELECT * FROM series(1) AS s(a, b, c)");
  EXPECT_EQ(ErrorCode(st), "TOO_MANY_COLUMN_ALIASES");
}

TEST_F(TableFunctionSqlTest, JoinsWithTablesAndOtherCalls) {
  ASSERT_OK_AND_ASSIGN(auto rows, Run("SELECT s.n, u.w FROM series(1, 5) s JOIN u ON u.k = s.n"));
  EXPECT_EQ(rows, (std::vector<std::string>{"2|two", "3|three"}));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT u.w FROM u, series(3, 9) s WHERE s.n = u.k"));
  EXPECT_EQ(rows, (std::vector<std::string>{"seven", "three"}));
  ASSERT_OK_AND_ASSIGN(rows,
                       Run("SELECT a.n FROM series(1, 3) a JOIN series(3, 5) b ON a.n = b.n"));
  EXPECT_EQ(rows, (std::vector<std::string>{"3"}));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT count(*) FROM series(1, 3) a LEFT JOIN u ON u.k = a.n"));
  EXPECT_EQ(rows, (std::vector<std::string>{"3"}));
}

TEST_F(TableFunctionSqlTest, WorksInViewsAndSubqueries) {
  ASSERT_OK(Run("CREATE VIEW v AS SELECT n * 10 AS m FROM series(1, 2)").status());
  ASSERT_OK_AND_ASSIGN(auto rows, Run("SELECT m FROM v"));
  EXPECT_EQ(rows, (std::vector<std::string>{"10", "20"}));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT k FROM u WHERE k IN (SELECT n FROM series(3))"));
  EXPECT_EQ(rows, (std::vector<std::string>{"3"}));
}

TEST_F(TableFunctionSqlTest, UnknownFunctionSuggestsAndPointsAtTheCall) {
  auto st = Error("SELECT * FROM serie(1)");
  EXPECT_EQ(ErrorStage(st), "sql");
  EXPECT_EQ(ErrorCode(st), "UNKNOWN_TABLE_FUNCTION");
  EXPECT_NE(st.message().find("did you mean 'series'"), std::string::npos) << st.message();
  auto details = ErrorDetails(st);
  EXPECT_EQ(details.Get("column")->int_value(), 15);
  EXPECT_EQ(details.Get("function")->string_value(), "serie");
}

TEST_F(TableFunctionSqlTest, ColumnOrSubqueryArgumentsAreRefusedWithPosition) {
  auto st = Error("SELECT * FROM u, series(u.k)");
  EXPECT_EQ(ErrorStage(st), "sql");
  EXPECT_EQ(ErrorCode(st), "NON_CONSTANT_ARGUMENT");
  auto details = ErrorDetails(st);
  EXPECT_EQ(details.Get("column")->int_value(), 25);
  EXPECT_EQ(details.Get("function")->string_value(), "series");
  EXPECT_EQ(details.Get("parameter")->string_value(), "start");

  st = Error("SELECT * FROM series((SELECT max(k) FROM u))");
  EXPECT_EQ(ErrorCode(st), "NON_CONSTANT_ARGUMENT");
  EXPECT_EQ(ErrorDetails(st).Get("column")->int_value(), 22);

  st = Error("SELECT * FROM series(random())");
  EXPECT_EQ(ErrorCode(st), "NON_CONSTANT_ARGUMENT");
}

TEST_F(TableFunctionSqlTest, ArityAndTypeErrorsNameFunctionAndParameter) {
  auto st = Error("SELECT * FROM series(1, 2, 'a', 4)");
  EXPECT_EQ(ErrorStage(st), "sql");
  EXPECT_EQ(ErrorCode(st), "WRONG_ARITY");
  EXPECT_EQ(ErrorDetails(st).Get("function")->string_value(), "series");
  EXPECT_EQ(ErrorDetails(st).Get("column")->int_value(), 15);

  st = Error("SELECT * FROM series()");
  EXPECT_EQ(ErrorCode(st), "WRONG_ARITY");

  st = Error("SELECT * FROM series('one')");
  EXPECT_EQ(ErrorCode(st), "INVALID_TABLE_FUNCTION_ARGUMENT");
  EXPECT_EQ(ErrorDetails(st).Get("parameter")->string_value(), "start");

  st = Error("SELECT * FROM series(1, bogus => 2)");
  EXPECT_EQ(ErrorCode(st), "INVALID_TABLE_FUNCTION_ARGUMENT");
  EXPECT_EQ(ErrorDetails(st).Get("parameter")->string_value(), "bogus");

  st = Error("SELECT * FROM series(stop => 2)");
  EXPECT_EQ(ErrorCode(st), "WRONG_ARITY");
  EXPECT_EQ(ErrorDetails(st).Get("parameter")->string_value(), "start");
}

TEST_F(TableFunctionSqlTest, ErrorsOfTheFunctionKeepTheirStage) {
  auto st = Error("SELECT * FROM failing(1)");
  EXPECT_EQ(ErrorStage(st), "delta");
  EXPECT_EQ(ErrorCode(st), "NOT_A_DELTA_TABLE");
}

TEST_F(TableFunctionSqlTest, FunctionsWithoutParametersListSessionState) {
  // The shape of udf_registry() / udf_docs(): no arguments, a table built from the session.
  std::weak_ptr<engine::SessionState> weak = ctx_->state();
  TableFunction names{
      "table_function_names",
      {},
      "The session's table functions.",
      [weak](const TableFunctionArgs&) -> Result<std::shared_ptr<engine::TableProvider>> {
        auto state = weak.lock();
        arrow::StringBuilder b;
        for (const auto& fn : state->table_functions().Functions()) {
          ARROW_RETURN_NOT_OK(b.Append(fn->Signature()));
        }
        ARROW_ASSIGN_OR_RAISE(auto array, b.Finish());
        auto table = arrow::Table::Make(arrow::schema({arrow::field("signature", arrow::utf8())}),
                                        arrow::ArrayVector{array});
        ARROW_ASSIGN_OR_RAISE(auto provider, engine::MemoryTableProvider::Make(table));
        return std::static_pointer_cast<engine::TableProvider>(provider);
      }};
  ASSERT_OK(ctx_->state()->RegisterTableFunction(names));
  ASSERT_OK_AND_ASSIGN(auto rows, Run("SELECT * FROM table_function_names()"));
  EXPECT_EQ(rows,
            (std::vector<std::string>{"failing(start, [stop], [label])",
                                      "series(start, [stop], [label])", "table_function_names()"}));
  auto st = Error("SELECT * FROM table_function_names(1)");
  EXPECT_EQ(ErrorCode(st), "WRONG_ARITY");
  EXPECT_EQ(ErrorDetails(st).Get("expected")->string_value(), "0");
}

TEST_F(TableFunctionSqlTest, LateralAndOrdinalityStayUnsupported) {
  auto st = Error("SELECT * FROM u, LATERAL series(1)");
  EXPECT_EQ(ErrorCode(st), "NOT_SUPPORTED");
  EXPECT_NE(st.message().find("LATERAL"), std::string::npos) << st.message();
  st = Error("SELECT * FROM series(1) WITH ORDINALITY");
  EXPECT_EQ(ErrorCode(st), "NOT_SUPPORTED");
  st = Error("SELECT * FROM ROWS FROM (series(1), series(2))");
  EXPECT_EQ(ErrorCode(st), "NOT_SUPPORTED");
}

}  // namespace
}  // namespace codeanatomy::sql
