// SQL statements end to end in C++: results worked out by hand, errors with positions,
// the statement policy, views and macros.
#include <gtest/gtest.h>

#include "../engine/test_util.h"
#include "engine/session_context.h"
#include "sql/binder.h"
#include "sql/parse_tree.h"
#include "sql/statement.h"

namespace codeanatomy::sql {
namespace {

using engine::testing::ErrorCode;
using engine::testing::ErrorDetails;
using engine::testing::ErrorStage;
using engine::testing::Rows;
using engine::testing::SortedRows;
using engine::testing::TableFromJSON;

class SqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(auto ctx, engine::SessionContext::Make());
    ctx_ = std::make_unique<engine::SessionContext>(std::move(ctx));
    auto schema =
        arrow::schema({arrow::field("k", arrow::int32()), arrow::field("s", arrow::utf8()),
                       arrow::field("v", arrow::float64())});
    ASSERT_OK(ctx_->RegisterTable(
        "t", TableFromJSON(schema, {R"([{"k": 1, "s": "a", "v": 1.5}, {"k": 2, "s": "b", "v": 2.0},
                                        {"k": 2, "s": "c", "v": null}, {"k": null, "s": "d", "v": 4.0}])"})));
    auto uschema =
        arrow::schema({arrow::field("k", arrow::int32()), arrow::field("w", arrow::utf8())});
    ASSERT_OK(ctx_->RegisterTable(
        "u", TableFromJSON(
                 uschema, {R"([{"k": 2, "w": "x"}, {"k": 3, "w": "y"}, {"k": null, "w": "z"}])"})));
  }

  Result<std::shared_ptr<arrow::Table>> Run(const std::string& sql) {
    CA_ASSIGN_OR_RAISE(auto df, ExecuteSql(*ctx_, sql));
    return df.Collect();
  }

  std::unique_ptr<engine::SessionContext> ctx_;
};

TEST(SqlParseTest, SyntaxErrorHasLineColumnAndCaret) {
  auto r = ParseStatements("SELECT 1,\n  2 FROM WHERE");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorStage(r.status()), "sql");
  EXPECT_EQ(ErrorCode(r.status()), "SYNTAX_ERROR");
  auto details = ErrorDetails(r.status());
  EXPECT_EQ(details.Get("line")->int_value(), 2);
  EXPECT_EQ(details.Get("column")->int_value(), 10);
  EXPECT_NE(r.status().message().find("LINE 2:   2 FROM WHERE\n                 ^"),
            std::string::npos)
      << r.status().message();
}

TEST(SqlParseTest, PositionCountsCharactersNotBytes) {
  SqlPosition p = PositionOf("SELECT 'é', x", 12);  // 'é' is two bytes
  EXPECT_EQ(p.line, 1);
  EXPECT_EQ(p.column, 12);
}

TEST_F(SqlTest, GroupByHavingOrderBy) {
  ASSERT_OK_AND_ASSIGN(auto t,
                       Run("SELECT k, count(*) AS n, sum(v) FROM t GROUP BY k HAVING count(*) >= 1 "
                           "ORDER BY n DESC, k NULLS FIRST"));
  EXPECT_EQ(Rows(*t), (std::vector<std::string>{"2|2|2", "null|1|4", "1|1|1.5"}));
}

TEST_F(SqlTest, JoinsOnNullKeysNeverMatch) {
  ASSERT_OK_AND_ASSIGN(auto t, Run("SELECT t.s, u.w FROM t JOIN u ON t.k = u.k"));
  EXPECT_EQ(SortedRows(*t), (std::vector<std::string>{"b|x", "c|x"}));
  ASSERT_OK_AND_ASSIGN(auto full, Run("SELECT k, s, w FROM t FULL JOIN u USING (k)"));
  EXPECT_EQ(SortedRows(*full), (std::vector<std::string>{"1|a|null", "2|b|x", "2|c|x", "3|null|y",
                                                         "null|d|null", "null|null|z"}));
}

TEST_F(SqlTest, NotInFollowsThreeValuedLogic) {
  // u.k contains NULL: `k NOT IN (...)` is never true.
  ASSERT_OK_AND_ASSIGN(auto t, Run("SELECT s FROM t WHERE k NOT IN (SELECT k FROM u)"));
  EXPECT_EQ(t->num_rows(), 0);
  ASSERT_OK_AND_ASSIGN(auto t2,
                       Run("SELECT s FROM t WHERE k NOT IN (SELECT k FROM u WHERE k IS NOT NULL)"));
  EXPECT_EQ(SortedRows(*t2), (std::vector<std::string>{"a"}));
  ASSERT_OK_AND_ASSIGN(auto t3, Run("SELECT s, k IN (SELECT k FROM u) FROM t"));
  EXPECT_EQ(SortedRows(*t3), (std::vector<std::string>{"a|null", "b|true", "c|true", "d|null"}));
}

TEST_F(SqlTest, CorrelatedSubqueries) {
  ASSERT_OK_AND_ASSIGN(auto e,
                       Run("SELECT s FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.k = t.k)"));
  EXPECT_EQ(SortedRows(*e), (std::vector<std::string>{"b", "c"}));
  ASSERT_OK_AND_ASSIGN(auto n,
                       Run("SELECT s FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.k = t.k)"));
  EXPECT_EQ(SortedRows(*n), (std::vector<std::string>{"a", "d"}));
  // A correlated count over an empty group is 0, not NULL.
  ASSERT_OK_AND_ASSIGN(auto c, Run("SELECT s, (SELECT count(*) FROM u WHERE u.k = t.k) FROM t"));
  EXPECT_EQ(SortedRows(*c), (std::vector<std::string>{"a|0", "b|1", "c|1", "d|0"}));
}

TEST_F(SqlTest, ScalarSubqueryWithManyRowsIsAnError) {
  auto r = Run("SELECT s, (SELECT k FROM u) FROM t");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorCode(r.status()), "SUBQUERY_MULTIPLE_ROWS") << r.status().ToString();
  ASSERT_OK_AND_ASSIGN(auto one, Run("SELECT s FROM t WHERE v > (SELECT avg(v) FROM t)"));
  EXPECT_EQ(SortedRows(*one), (std::vector<std::string>{"d"}));
}

TEST_F(SqlTest, DateIntervalConstantsFold) {
  ASSERT_OK_AND_ASSIGN(auto t, Run("SELECT DATE '2024-01-31' + INTERVAL '1' MONTH, "
                                   "DATE '2024-03-01' - INTERVAL '1 day'"));
  // date ± interval is a timestamp, as in PostgreSQL; months clamp to the month's end.
  EXPECT_EQ(Rows(*t),
            (std::vector<std::string>{"2024-02-29 00:00:00.000000|2024-02-29 00:00:00.000000"}));
}

TEST_F(SqlTest, PositionalParametersBindAsTypedLiterals) {
  SqlParams params = {std::make_shared<arrow::Int32Scalar>(2),
                      std::make_shared<arrow::StringScalar>("c")};
  ASSERT_OK_AND_ASSIGN(auto df,
                       ExecuteSql(*ctx_, "SELECT s FROM t WHERE k = $1 AND s <> $2", params));
  ASSERT_OK_AND_ASSIGN(auto table, df.Collect());
  EXPECT_EQ(Rows(*table), (std::vector<std::string>{"b"}));
  // A typed NULL parameter compares as NULL: no row.
  SqlParams null_param = {arrow::MakeNullScalar(arrow::int32())};
  ASSERT_OK_AND_ASSIGN(auto none, ExecuteSql(*ctx_, "SELECT s FROM t WHERE k = $1", null_param));
  ASSERT_OK_AND_ASSIGN(auto empty, none.Collect());
  EXPECT_EQ(empty->num_rows(), 0);
  // $3 with two values, and $1 with none: the missing parameter, at its position.
  auto missing = ExecuteSql(*ctx_, "SELECT s FROM t WHERE k = $3", params);
  EXPECT_EQ(ErrorCode(missing.status()), "PARAMETER_MISSING");
  EXPECT_EQ(ErrorDetails(missing.status()).Get("parameter")->int_value(), 3);
  EXPECT_EQ(ErrorDetails(missing.status()).Get("position")->int_value(),
            26);  // 0-based offset of "$3"
  auto unbound = Run("SELECT $1");
  EXPECT_EQ(ErrorCode(unbound.status()), "PARAMETER_MISSING");
}

TEST_F(SqlTest, ViewsAreInlined) {
  ASSERT_OK(Run("CREATE VIEW big AS SELECT k, v FROM t WHERE v > 1.5").status());
  ASSERT_OK_AND_ASSIGN(auto t, Run("SELECT count(*) FROM big"));
  EXPECT_EQ(Rows(*t), (std::vector<std::string>{"2"}));
  auto again = Run("CREATE VIEW big AS SELECT 1");
  EXPECT_EQ(ErrorCode(again.status()), "VIEW_EXISTS");
  ASSERT_OK(Run("DROP VIEW big").status());
  EXPECT_EQ(ErrorCode(Run("SELECT * FROM big").status()), "UNKNOWN_TABLE");
}

TEST_F(SqlTest, MacrosExpandAtPlanningTime) {
  ASSERT_OK(Run("CREATE FUNCTION twice(x double precision) RETURNS double precision RETURN x * 2")
                .status());
  ASSERT_OK_AND_ASSIGN(auto t, Run("SELECT twice(v) FROM t WHERE k = 1"));
  EXPECT_EQ(Rows(*t), (std::vector<std::string>{"3"}));
  EXPECT_EQ(ErrorCode(Run("SELECT twice(1, 2)").status()), "WRONG_ARITY");
  ASSERT_OK(Run("DROP FUNCTION twice").status());
  EXPECT_EQ(ErrorCode(Run("SELECT twice(1.0)").status()), "UNKNOWN_FUNCTION");
}

TEST_F(SqlTest, PolicyRefusesBeforeAnythingRuns) {
  SetStatementPolicy(*ctx_->state(), {/*allow_ddl=*/false, true, true});
  auto r = Run("SELECT 1; CREATE VIEW w AS SELECT 1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorCode(r.status()), "STATEMENT_NOT_ALLOWED");
  EXPECT_EQ(ErrorDetails(r.status()).Get("policy")->string_value(), "allow_ddl");
  EXPECT_FALSE(ctx_->state()->catalog().Lookup("w").ok());
  SetStatementPolicy(*ctx_->state(), {true, true, false});
  EXPECT_EQ(ErrorCode(Run("SET x = 1").status()), "STATEMENT_NOT_ALLOWED");
  EXPECT_TRUE(Run("SELECT 1").ok());
}

TEST_F(SqlTest, UnknownNamesSuggestAndPointAtTheName) {
  auto r = Run("SELECT kk FROM t");
  EXPECT_EQ(ErrorCode(r.status()), "UNKNOWN_COLUMN");
  auto d = ErrorDetails(r.status());
  EXPECT_EQ(d.Get("column")->int_value(), 8);
  EXPECT_EQ(d.Get("candidates")->array_value()[0].string_value(), "k");
  auto amb = Run("SELECT k FROM t, u");
  EXPECT_EQ(ErrorCode(amb.status()), "AMBIGUOUS_COLUMN");
  auto unsupported = Run("SELECT * FROM t, LATERAL (SELECT 1) x");
  EXPECT_EQ(ErrorCode(unsupported.status()), "NOT_SUPPORTED");
  EXPECT_NE(unsupported.status().message().find("not supported: LATERAL"), std::string::npos);
}

TEST_F(SqlTest, StandaloneExpressionsBindAgainstASchema) {
  ASSERT_OK_AND_ASSIGN(auto df, ctx_->Table("t"));
  ASSERT_OK_AND_ASSIGN(auto e,
                       ParseSqlExpression("k = 2 AND s LIKE 'b%'", *df.schema(), ctx_->state()));
  ASSERT_OK_AND_ASSIGN(auto filtered, df.Filter(e));
  ASSERT_OK_AND_ASSIGN(auto t, filtered.Collect());
  EXPECT_EQ(Rows(*t), (std::vector<std::string>{"2|b|2"}));
  auto bad = ParseSqlExpression("k = = 2", *df.schema(), ctx_->state());
  EXPECT_EQ(ErrorCode(bad.status()), "SYNTAX_ERROR");
  EXPECT_EQ(ErrorDetails(bad.status()).Get("column")->int_value(), 5);
  auto unknown = ParseSqlExpression("q > 1", *df.schema(), ctx_->state());
  EXPECT_EQ(ErrorCode(unknown.status()), "UNKNOWN_COLUMN");
}

}  // namespace
}  // namespace codeanatomy::sql
