// Substrait export and replay: queries planned through SQL on in-memory tables are exported,
// replayed into the session and must give the original's rows; Arrow parses every export and
// its own consumer runs a scan/filter/project export; bad bytes, unknown tables and functions
// give typed errors.
#include "semantic/substrait.h"

#include <arrow/acero/options.h>
#include <arrow/engine/substrait/serde.h>
#include <arrow/engine/substrait/util.h>
#include <gtest/gtest.h>

#include "../engine/test_util.h"
#include "engine/session_context.h"
#include "functions/registry_snapshot.h"
#include "functions/window_functions.h"
#include "semantic/lineage.h"
#include "sql/statement.h"

namespace codeanatomy::semantic {
namespace {

using engine::testing::ErrorCode;
using engine::testing::ErrorDetails;
using engine::testing::ErrorStage;
using engine::testing::SortedRows;
using engine::testing::TableFromJSON;

std::shared_ptr<arrow::Schema> TSchema() {
  return arrow::schema({arrow::field("id", arrow::int64()), arrow::field("g", arrow::utf8()),
                        arrow::field("x", arrow::float64()), arrow::field("n", arrow::int32())});
}

std::shared_ptr<arrow::Table> TTable() {
  return TableFromJSON(TSchema(), {R"([
    {"id": 1, "g": "a", "x": 1.5, "n": 10}, {"id": 2, "g": "b", "x": 2.0, "n": 20},
    {"id": 3, "g": "a", "x": null, "n": 30}, {"id": 4, "g": "c", "x": 4.25, "n": null},
    {"id": 5, "g": "b", "x": -1.0, "n": 50}, {"id": 6, "g": null, "x": 0.5, "n": 60}])"});
}

std::shared_ptr<arrow::Table> UTable() {
  auto schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("w", arrow::utf8()),
                               arrow::field("y", arrow::float64())});
  return TableFromJSON(schema, {R"([
    {"id": 2, "w": "x", "y": 1.0}, {"id": 3, "w": "Y", "y": 9.0}, {"id": 3, "w": "z", "y": -2.0},
    {"id": 7, "w": "q", "y": 0.0}, {"id": null, "w": "n", "y": 5.0}])"});
}

class SubstraitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(engine::InitializeArrow());
    ASSERT_OK_AND_ASSIGN(auto ctx, engine::SessionContext::Make());
    ctx_ = std::make_unique<engine::SessionContext>(std::move(ctx));
    ASSERT_OK(ctx_->RegisterTable("t", TTable()));
    ASSERT_OK(ctx_->RegisterTable("u", UTable()));
  }

  Result<engine::DataFrame> Sql(const std::string& text) { return sql::ExecuteSql(*ctx_, text); }

  // Exports `df`, checks that Arrow parses the JSON strictly, replays it and compares rows,
  // names and types with the original; the lineage of both sides must agree.
  void ExpectRoundTrip(const engine::DataFrame& df, const std::string& what) {
    SCOPED_TRACE(what);
    ASSERT_OK_AND_ASSIGN(auto expected, df.Collect());
    ASSERT_OK_AND_ASSIGN(auto optimized, df.OptimizedPlan());
    ASSERT_OK_AND_ASSIGN(auto json, PlanToSubstraitJson(*optimized, df.state()->resolver()));
    // Every member we write is a Substrait field (unknown ones would be an error here).
    auto strict = arrow::engine::internal::SubstraitFromJSON("Plan", json, false);
    ASSERT_TRUE(strict.ok()) << strict.status().ToString() << "\n" << json;
    ASSERT_OK_AND_ASSIGN(auto bytes, DataFrameToSubstrait(df));
    ASSERT_OK_AND_ASSIGN(auto replayed, ReplaySubstraitPlan(*ctx_, *bytes));
    ASSERT_OK_AND_ASSIGN(auto actual, replayed.Collect());
    EXPECT_EQ(actual->schema()->field_names(), expected->schema()->field_names());
    for (int i = 0; i < expected->num_columns(); ++i) {
      EXPECT_TRUE(actual->schema()->field(i)->type()->Equals(*expected->schema()->field(i)->type()))
          << actual->schema()->ToString() << "\nvs\n"
          << expected->schema()->ToString();
    }
    EXPECT_EQ(SortedRows(*actual), SortedRows(*expected)) << json;
    ASSERT_OK_AND_ASSIGN(auto from_plan, LineageFromPlan(*optimized));
    ASSERT_OK_AND_ASSIGN(auto from_substrait, LineageFromSubstrait(*bytes));
    EXPECT_EQ(from_substrait.ToJson().ToJson(), from_plan.ToJson().ToJson());
  }

  void ExpectSqlRoundTrip(const std::string& text) {
    auto df = Sql(text);
    ASSERT_TRUE(df.ok()) << df.status().ToString();
    ExpectRoundTrip(*df, text);
  }

  std::unique_ptr<engine::SessionContext> ctx_;
};

TEST_F(SubstraitTest, ScanFilterProjectReplays) {
  ExpectSqlRoundTrip("SELECT id, x * 2 AS x2, g FROM t WHERE id > 1 AND n < 60");
  ExpectSqlRoundTrip("SELECT * FROM t");
  ExpectSqlRoundTrip("SELECT g FROM t WHERE x IS NOT NULL");
}

TEST_F(SubstraitTest, ExpressionsReplay) {
  ExpectSqlRoundTrip(
      "SELECT id, CASE WHEN x > 1 THEN 'big' WHEN x IS NULL THEN 'none' ELSE 'small' END AS c, "
      "CAST(n AS BIGINT) + 1 AS m, coalesce(g, '?') AS gg, -x AS neg, abs(x) AS ax FROM t");
  ExpectSqlRoundTrip(
      "SELECT id FROM t WHERE g IN ('a', 'c') OR id NOT IN (1, 2, 3) OR NOT (n BETWEEN 15 AND 35)");
  ExpectSqlRoundTrip(
      "SELECT id, lower(g) AS l, upper(g) AS up, length(g) AS len, substr(g, 1, 1) AS s1, "
      "g || '-' || id AS cat, concat(g, 'z') AS c2, replace(g, 'a', 'A') AS r, "
      "round(x) AS rx, round(x, 1) AS rx1, x / 2 AS half, n % 7 AS md FROM t");
  ExpectSqlRoundTrip("SELECT id FROM t WHERE g LIKE 'a%' OR g ILIKE 'B' OR g NOT LIKE '%c'");
  ExpectSqlRoundTrip("SELECT id, NULL AS nothing, TRUE AS yes, 'it''s' AS s, 2.5 AS d FROM t");
}

TEST_F(SubstraitTest, AggregatesReplay) {
  ExpectSqlRoundTrip(
      "SELECT g, sum(x) AS s, count(*) AS c, count(n) AS cn, count(DISTINCT n) AS dn, "
      "avg(x) AS a, min(id) AS lo, max(id) AS hi FROM t GROUP BY g");
  ExpectSqlRoundTrip("SELECT count(*) AS c, max(x) AS m FROM t");
  ExpectSqlRoundTrip("SELECT g, sum(n) AS s FROM t GROUP BY g HAVING sum(n) > 20");
  ExpectSqlRoundTrip("SELECT DISTINCT g FROM t");
}

TEST_F(SubstraitTest, JoinsReplay) {
  ExpectSqlRoundTrip("SELECT t.id, g, w FROM t JOIN u ON t.id = u.id");
  ExpectSqlRoundTrip("SELECT t.id, g, w FROM t LEFT JOIN u ON t.id = u.id AND u.y > 0");
  ExpectSqlRoundTrip("SELECT t.id, w FROM t RIGHT JOIN u ON t.id = u.id");
  ExpectSqlRoundTrip("SELECT t.id, u.id AS uid FROM t FULL JOIN u ON t.id = u.id");
  ExpectSqlRoundTrip("SELECT t.id, u.w FROM t CROSS JOIN u WHERE t.x < u.y");
  ExpectSqlRoundTrip("SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.id = t.id)");
  ExpectSqlRoundTrip("SELECT id FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.id = t.id)");
  // Colliding names are renamed on the right, as the join does.
  ASSERT_OK_AND_ASSIGN(auto t, ctx_->Table("t"));
  ASSERT_OK_AND_ASSIGN(auto u, ctx_->Table("u"));
  for (auto type : {engine::JoinType::kInner, engine::JoinType::kLeftSemi,
                    engine::JoinType::kLeftAnti, engine::JoinType::kFull}) {
    ASSERT_OK_AND_ASSIGN(auto joined,
                         t.Join(u, type, {"id"}, {"id"},
                                engine::Call("<", {engine::Column("x"), engine::Column("y")})));
    ExpectRoundTrip(joined, engine::JoinTypeName(type));
  }
}

TEST_F(SubstraitTest, SortLimitUnionReplay) {
  ExpectSqlRoundTrip("SELECT id, x FROM t ORDER BY x DESC NULLS FIRST, id LIMIT 3 OFFSET 1");
  ExpectSqlRoundTrip("SELECT id FROM t UNION ALL SELECT id FROM u");
  ExpectSqlRoundTrip("SELECT id FROM t UNION SELECT id FROM u");
  // A sorted plan replays in order.
  ASSERT_OK_AND_ASSIGN(auto df, Sql("SELECT id FROM t ORDER BY n DESC NULLS LAST LIMIT 4"));
  ASSERT_OK_AND_ASSIGN(auto bytes, DataFrameToSubstrait(df));
  ASSERT_OK_AND_ASSIGN(auto replayed, ReplaySubstraitPlan(*ctx_, *bytes));
  ASSERT_OK_AND_ASSIGN(auto expected, df.Collect());
  ASSERT_OK_AND_ASSIGN(auto actual, replayed.Collect());
  EXPECT_EQ(engine::testing::Rows(*actual), engine::testing::Rows(*expected));
}

TEST_F(SubstraitTest, WindowsReplay) {
  ExpectSqlRoundTrip(
      "SELECT id, row_number() OVER (PARTITION BY g ORDER BY id) AS rn, "
      "rank() OVER (ORDER BY n DESC) AS r, "
      "sum(x) OVER (PARTITION BY g ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s, "
      "lag(id, 1, -1) OVER (ORDER BY id) AS prev, count(*) OVER (PARTITION BY g) AS c FROM t");
}

TEST_F(SubstraitTest, SessionFunctionsReplayThroughTheRegistry) {
  ASSERT_OK(functions::InstallCodeanatomyBundle(ctx_->state().get()));
  ASSERT_OK_AND_ASSIGN(auto df, Sql("SELECT id, stable_hash64(g) AS h FROM t WHERE g IS NOT NULL"));
  ExpectRoundTrip(df, "udf");
  ASSERT_OK_AND_ASSIGN(auto json_text,
                       PlanToSubstraitJson(**df.OptimizedPlan(), df.state()->resolver()));
  EXPECT_NE(json_text.find("urn:codeanatomy:functions"), std::string::npos);
  EXPECT_NE(json_text.find("\"stable_hash64\""), std::string::npos);
  // A session without the bundle cannot replay it.
  ASSERT_OK_AND_ASSIGN(auto bytes, DataFrameToSubstrait(df));
  ASSERT_OK_AND_ASSIGN(auto bare, engine::SessionContext::Make());
  ASSERT_OK(bare.RegisterTable("t", TTable()));
  auto replayed = ReplaySubstraitPlan(bare, *bytes);
  ASSERT_FALSE(replayed.ok());
  EXPECT_EQ(ErrorStage(replayed.status()), "substrait");
  EXPECT_EQ(ErrorCode(replayed.status()), "SUBSTRAIT_UNKNOWN_FUNCTION");
  EXPECT_EQ(ErrorDetails(replayed.status()).Get("function")->string_value(), "stable_hash64");
}

TEST_F(SubstraitTest, ExportIsDeterministic) {
  ASSERT_OK_AND_ASSIGN(auto df, Sql("SELECT g, sum(x) AS s FROM t WHERE id > 1 GROUP BY g"));
  ASSERT_OK_AND_ASSIGN(auto a, DataFrameToSubstrait(df));
  ASSERT_OK_AND_ASSIGN(auto b, DataFrameToSubstrait(df));
  EXPECT_TRUE(a->Equals(*b));
}

TEST_F(SubstraitTest, ArrowConsumerRunsAScanFilterProjectExport) {
  ASSERT_OK_AND_ASSIGN(auto df, Sql("SELECT id, n + 1 AS n1 FROM t WHERE id > 2"));
  ASSERT_OK_AND_ASSIGN(auto bytes, DataFrameToSubstrait(df));
  auto table = TTable();
  arrow::engine::ConversionOptions options;
  options.named_table_provider = [&](const std::vector<std::string>& names,
                                     const arrow::Schema&) -> Result<arrow::acero::Declaration> {
    if (names != std::vector<std::string>{"t"}) return Status::Invalid("unknown table");
    return arrow::acero::Declaration("table_source", arrow::acero::TableSourceNodeOptions(table));
  };
  ASSERT_OK_AND_ASSIGN(auto reader,
                       arrow::engine::ExecuteSerializedPlan(*bytes, nullptr, nullptr, options));
  ASSERT_OK_AND_ASSIGN(auto arrow_result, reader->ToTable());
  ASSERT_OK_AND_ASSIGN(auto ours, df.Collect());
  EXPECT_EQ(arrow_result->schema()->field_names(), (std::vector<std::string>{"id", "n1"}));
  EXPECT_EQ(SortedRows(*arrow_result), SortedRows(*ours));
  EXPECT_EQ(SortedRows(*ours), (std::vector<std::string>{"3|31", "4|null", "5|51", "6|61"}));
}

TEST_F(SubstraitTest, BadBytesAreATypedError) {
  for (std::string bytes : {std::string("\xff\xff\xff\xff garbage", 13), std::string(""),
                            std::string("\x0a\x05hello", 7)}) {
    auto replayed = ReplaySubstraitPlan(*ctx_, *arrow::Buffer::FromString(bytes));
    ASSERT_FALSE(replayed.ok());
    EXPECT_EQ(ErrorStage(replayed.status()), "substrait");
    EXPECT_EQ(ErrorCode(replayed.status()), "SUBSTRAIT_INVALID_PLAN")
        << replayed.status().ToString();
    auto lineage = LineageFromSubstrait(*arrow::Buffer::FromString(bytes));
    ASSERT_FALSE(lineage.ok());
    EXPECT_EQ(ErrorStage(lineage.status()), "substrait");
  }
}

TEST_F(SubstraitTest, UnknownTableAndSchemaMismatch) {
  ASSERT_OK_AND_ASSIGN(auto df, Sql("SELECT id FROM u WHERE y > 0"));
  ASSERT_OK_AND_ASSIGN(auto bytes, DataFrameToSubstrait(df));
  ASSERT_OK(ctx_->Deregister("u"));
  auto missing = ReplaySubstraitPlan(*ctx_, *bytes);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(ErrorCode(missing.status()), "SUBSTRAIT_UNKNOWN_TABLE");
  EXPECT_EQ(ErrorDetails(missing.status()).Get("table")->string_value(), "u");
  // A table of that name with other columns.
  ASSERT_OK(ctx_->RegisterTable("u", TTable()));
  auto mismatch = ReplaySubstraitPlan(*ctx_, *bytes);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(ErrorCode(mismatch.status()), "SUBSTRAIT_SCHEMA_MISMATCH");
}

TEST_F(SubstraitTest, UnsupportedRelationsAndUnknownFunctionsInHandWrittenPlans) {
  auto replay = [&](const std::string& json) {
    auto bytes = arrow::engine::SerializeJsonPlan(json);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    return ReplaySubstraitPlan(*ctx_, **bytes);
  };
  const std::string read =
      R"({"read": {"baseSchema": {"names": ["id", "w", "y"], "struct": {"types": [
          {"i64": {"nullability": "NULLABILITY_NULLABLE"}},
          {"string": {"nullability": "NULLABILITY_NULLABLE"}},
          {"fp64": {"nullability": "NULLABILITY_NULLABLE"}}]}},
        "namedTable": {"names": ["u"]}}})";
  auto cross = replay(R"({"relations": [{"root": {"input": {"cross": {"left": )" + read +
                      ", \"right\": " + read + "}}}}]}");
  ASSERT_FALSE(cross.ok());
  EXPECT_EQ(ErrorCode(cross.status()), "SUBSTRAIT_NOT_SUPPORTED");
  EXPECT_EQ(ErrorDetails(cross.status()).Get("relation")->string_value(), "cross");

  auto unknown = replay(
      R"({"extensionUris": [{"extensionUriAnchor": 1, "uri": "urn:example:nowhere"}],
          "extensions": [{"extensionFunction": {"extensionUriReference": 1, "functionAnchor": 1,
                                                "name": "frobnicate"}}],
          "relations": [{"root": {"input": {"filter": {"input": )" +
      read + R"(, "condition": {"scalarFunction": {"functionReference": 1, "arguments": [
          {"value": {"selection": {"directReference": {"structField": {"field": 0}}}}}]}}}}}}]})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(ErrorCode(unknown.status()), "SUBSTRAIT_UNKNOWN_FUNCTION");
  EXPECT_EQ(ErrorDetails(unknown.status()).Get("function")->string_value(), "frobnicate");

  auto out_of_range = replay(
      R"({"relations": [{"root": {"input": {"project": {"input": )" + read +
      R"(, "expressions": [{"selection": {"directReference": {"structField": {"field": 9}}}}]}}}}]})");
  ASSERT_FALSE(out_of_range.ok());
  EXPECT_EQ(ErrorCode(out_of_range.status()), "SUBSTRAIT_INVALID_PLAN");
  EXPECT_NE(ErrorDetails(out_of_range.status()).Get("path")->string_value().find("expressions[0]"),
            std::string::npos);
}

}  // namespace
}  // namespace codeanatomy::semantic
