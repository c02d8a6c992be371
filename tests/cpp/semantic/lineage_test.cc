// Lineage reports worked out by hand: the scans of the optimized plan with their projected
// columns and pushed filters, the columns needed per table, the tables and the functions; the
// same report from the exported Substrait plan; the canonical JSON form.
#include "semantic/lineage.h"

#include <gtest/gtest.h>

#include "../engine/test_util.h"
#include "engine/session_context.h"
#include "functions/registry_snapshot.h"
#include "semantic/substrait.h"
#include "sql/statement.h"

namespace codeanatomy::semantic {
namespace {

using engine::testing::TableFromJSON;
using Strings = std::vector<std::string>;

class LineageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(engine::InitializeArrow());
    ASSERT_OK_AND_ASSIGN(auto ctx, engine::SessionContext::Make());
    ctx_ = std::make_unique<engine::SessionContext>(std::move(ctx));
    auto t =
        arrow::schema({arrow::field("id", arrow::int64()), arrow::field("g", arrow::utf8()),
                       arrow::field("x", arrow::float64()), arrow::field("n", arrow::int32())});
    ASSERT_OK(
        ctx_->RegisterTable("t", TableFromJSON(t, {R"([{"id": 1, "g": "a", "x": 1.5, "n": 1}])"})));
    auto u = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("w", arrow::utf8()),
                            arrow::field("y", arrow::float64())});
    ASSERT_OK(ctx_->RegisterTable("u", TableFromJSON(u, {R"([{"id": 1, "w": "v", "y": 2.0}])"})));
  }

  // The report of the query's optimized plan, checked equal to the report of its export.
  LineageReport Lineage(const std::string& sql) {
    auto df = sql::ExecuteSql(*ctx_, sql);
    EXPECT_TRUE(df.ok()) << df.status().ToString();
    auto report = LineageOfDataFrame(*df);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    auto bytes = DataFrameToSubstrait(*df);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    auto from_substrait = LineageFromSubstrait(**bytes);
    EXPECT_TRUE(from_substrait.ok()) << from_substrait.status().ToString();
    EXPECT_EQ(from_substrait->ToJson().ToPrettyJson(), report->ToJson().ToPrettyJson());
    return *report;
  }

  std::unique_ptr<engine::SessionContext> ctx_;
};

TEST_F(LineageTest, ScanCarriesPushedProjectionAndFilters) {
  auto r = Lineage("SELECT id, x * 2 AS x2 FROM t WHERE id > 1 AND g = 'a'");
  ASSERT_EQ(r.scans.size(), 1u);
  EXPECT_EQ(r.scans[0].table_name, "t");
  EXPECT_EQ(r.scans[0].projected_columns, (Strings{"id", "g", "x"}));
  EXPECT_EQ(r.scans[0].pushed_filters, (Strings{"(g = 'a')", "(id > 1)"}));
  EXPECT_EQ(r.required_columns, (std::map<std::string, Strings>{{"t", {"g", "id", "x"}}}));
  EXPECT_EQ(r.referenced_tables, (Strings{"t"}));
  EXPECT_EQ(r.referenced_functions, (Strings{"equal", "greater", "multiply_checked"}));
}

TEST_F(LineageTest, JoinAggregateNeedsOnlyWhatItReads) {
  auto r = Lineage(
      "SELECT u.w, count(*) AS c, sum(t.x) AS s FROM t JOIN u ON t.id = u.id "
      "WHERE u.y > 0 GROUP BY u.w");
  ASSERT_EQ(r.scans.size(), 2u);
  EXPECT_EQ(r.scans[0].table_name, "t");
  EXPECT_EQ(r.scans[0].projected_columns, (Strings{"id", "x"}));
  EXPECT_TRUE(r.scans[0].pushed_filters.empty());
  EXPECT_EQ(r.scans[1].table_name, "u");
  EXPECT_EQ(r.scans[1].projected_columns, (Strings{"id", "w", "y"}));
  EXPECT_EQ(r.scans[1].pushed_filters, (Strings{"(y > 0)"}));
  EXPECT_EQ(r.required_columns,
            (std::map<std::string, Strings>{{"t", {"id", "x"}}, {"u", {"id", "w", "y"}}}));
  EXPECT_EQ(r.referenced_tables, (Strings{"t", "u"}));
  // The key equality is the join's structure, not a call.
  EXPECT_EQ(r.referenced_functions, (Strings{"count_all", "greater", "sum"}));
}

TEST_F(LineageTest, FunctionsAreNamedAsTheRegistryKnowsThem) {
  ASSERT_OK(functions::InstallCodeanatomyBundle(ctx_->state().get()));
  auto r = Lineage(
      "SELECT stable_hash64(lower(g)) AS h, avg(x) OVER (PARTITION BY g) AS a, "
      "row_number() OVER (ORDER BY id) AS rn FROM t WHERE g ILIKE 'A%' AND n IN (1, 2)");
  EXPECT_EQ(r.referenced_functions,
            (Strings{"match_like", "mean", "row_number", "stable_hash64", "utf8_lower"}));
  ASSERT_EQ(r.scans.size(), 1u);
  EXPECT_EQ(r.scans[0].pushed_filters, (Strings{"(g ILIKE 'A%')", "n IN (1, 2)"}));
  EXPECT_EQ(r.required_columns.at("t"), (Strings{"g", "id", "n", "x"}));
}

TEST_F(LineageTest, SelfUnionListsEachScan) {
  auto r = Lineage("SELECT id FROM t WHERE n > 0 UNION ALL SELECT id FROM t");
  ASSERT_EQ(r.scans.size(), 2u);
  EXPECT_EQ(r.scans[0].projected_columns, (Strings{"id"}));
  EXPECT_TRUE(r.scans[0].pushed_filters.empty());
  EXPECT_EQ(r.scans[1].projected_columns, (Strings{"id", "n"}));
  EXPECT_EQ(r.scans[1].pushed_filters, (Strings{"(n > 0)"}));
  EXPECT_EQ(r.required_columns.at("t"), (Strings{"id", "n"}));
  EXPECT_EQ(r.referenced_tables, (Strings{"t"}));
}

TEST_F(LineageTest, JsonIsCanonical) {
  auto r = Lineage("SELECT g FROM t WHERE id > 1");
  const std::string expected =
      R"j({"referenced_functions":["greater"],"referenced_tables":["t"],)j"
      R"j("required_columns":{"t":["g","id"]},"scans":[{"projected_columns":["id","g"],)j"
      R"j("pushed_filters":["(id > 1)"],"table_name":"t"}],"version":1})j";
  EXPECT_EQ(r.ToJson().ToJson(), expected);
}

}  // namespace
}  // namespace codeanatomy::semantic
