// The bundle's window functions (functions/window_functions.h): the core evaluators the plugin
// exports give what the window operator's built-ins give, on random partitions with nulls and
// ties; the aliases resolve natively to the built-ins; the descriptors are of kind "window".
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <arrow/builder.h>
#include <gtest/gtest.h>

#include "../engine/test_util.h"
#include "engine/session_context.h"
#include "functions/window_functions.h"
#include "sql/statement.h"

namespace codeanatomy::functions {
namespace {

using engine::testing::ErrorCode;
using engine::testing::Rows;

std::shared_ptr<arrow::Table> RandomTable(uint32_t seed, int64_t n) {
  std::mt19937 rng(seed);
  arrow::Int64Builder id, g, o, v;
  arrow::StringBuilder s;
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_TRUE(id.Append(i).ok());
    // Few groups (one NULL), few order values (ties), values with nulls.
    EXPECT_TRUE((rng() % 9 == 0 ? g.AppendNull() : g.Append(rng() % 5)).ok());
    EXPECT_TRUE((rng() % 11 == 0 ? o.AppendNull() : o.Append(rng() % 7)).ok());
    EXPECT_TRUE(
        (rng() % 4 == 0 ? v.AppendNull() : v.Append(static_cast<int64_t>(rng() % 100))).ok());
    std::string text = "s";  // appended, not "s" + ...: g++ 12 warns -Wrestrict on that
    text += std::to_string(rng() % 10);
    EXPECT_TRUE((rng() % 5 == 0 ? s.AppendNull() : s.Append(text)).ok());
  }
  std::vector<std::shared_ptr<arrow::Array>> columns(5);
  EXPECT_TRUE(id.Finish(&columns[0]).ok());
  EXPECT_TRUE(g.Finish(&columns[1]).ok());
  EXPECT_TRUE(o.Finish(&columns[2]).ok());
  EXPECT_TRUE(v.Finish(&columns[3]).ok());
  EXPECT_TRUE(s.Finish(&columns[4]).ok());
  auto schema =
      arrow::schema({arrow::field("id", arrow::int64()), arrow::field("g", arrow::int64()),
                     arrow::field("o", arrow::int64()), arrow::field("v", arrow::int64()),
                     arrow::field("s", arrow::utf8())});
  return arrow::Table::Make(schema, columns, n);
}

Result<std::shared_ptr<arrow::Table>> RunSql(engine::SessionContext& ctx,
                                             const std::string& query) {
  CA_ASSIGN_OR_RAISE(auto df, sql::ExecuteSql(ctx, query));
  return df.Collect();
}

TEST(WindowFunctionsTest, CoreEvaluatorsEqualTheBuiltIns) {
  const std::vector<std::string> calls = {
      "row_number()",  "lag(v)",        "lead(v)",         "lag(v, 2)",      "lead(v, 3)",
      "lag(v, 2, -1)", "lead(v, 1, 0)", "lag(v, -1)",      "lead(v, -2, 7)", "lag(s, 1, 'none')",
      "lead(s, 2)",    "lag(v, 0)",     "lead(v, 1, NULL)"};
  const std::vector<std::string> overs = {"PARTITION BY g ORDER BY o",
                                          "PARTITION BY g ORDER BY o DESC NULLS FIRST, v",
                                          "ORDER BY o, id", "PARTITION BY g, o"};
  for (uint32_t seed : {1u, 2u, 3u}) {
    auto table = RandomTable(seed, seed == 3 ? 40000 : 300);
    ASSERT_OK_AND_ASSIGN(auto native, engine::SessionContext::Make());
    ASSERT_OK_AND_ASSIGN(auto udfs, engine::SessionContext::Make());
    ASSERT_OK(native.RegisterTable("t", table));
    ASSERT_OK(udfs.RegisterTable("t", table));
    for (const auto& f : CodeanatomyWindowFunctions()) {
      ASSERT_OK(udfs.state()->RegisterWindowUdf(f));  // shadows the built-in
    }
    ASSERT_NE(udfs.state()->LookupWindowUdf("lag"), nullptr);
    for (const auto& over : overs) {
      std::string select = "SELECT id";
      for (const auto& call : calls) select += ", " + call + " OVER (" + over + ")";
      select += " FROM t ORDER BY id";
      ASSERT_OK_AND_ASSIGN(auto expected, RunSql(native, select));
      ASSERT_OK_AND_ASSIGN(auto actual, RunSql(udfs, select));
      ASSERT_EQ(Rows(*actual), Rows(*expected)) << "seed " << seed << ": " << over;
      EXPECT_TRUE(actual->schema()->Equals(*expected->schema())) << actual->schema()->ToString();
    }
  }
}

TEST(WindowFunctionsTest, AliasesResolveToTheBuiltIns) {
  ASSERT_OK_AND_ASSIGN(auto ctx, engine::SessionContext::Make());
  ASSERT_OK(ctx.RegisterTable("t", RandomTable(7, 200)));
  ASSERT_OK(InstallWindowFunctions(ctx.state().get()));
  EXPECT_EQ(ctx.state()->LookupWindowUdf("lag_window"), nullptr);  // the built-in serves it
  const std::string over = " OVER (PARTITION BY g ORDER BY o, id)";
  ASSERT_OK_AND_ASSIGN(auto aliased,
                       RunSql(ctx, "SELECT id, row_number_window()" + over +
                                       ", dedupe_best_by_score()" + over + ", lag_window(v, 2, 0)" +
                                       over + ", LEAD_WINDOW(s)" + over + " FROM t ORDER BY id"));
  ASSERT_OK_AND_ASSIGN(
      auto canonical,
      RunSql(ctx, "SELECT id, row_number()" + over + ", row_number()" + over + ", lag(v, 2, 0)" +
                      over + ", lead(s)" + over + " FROM t ORDER BY id"));
  EXPECT_EQ(Rows(*aliased), Rows(*canonical));
  EXPECT_FALSE(aliased->schema()->field(1)->nullable());  // the built-in's non-null row_number
}

TEST(WindowFunctionsTest, DescriptorsAreOfKindWindow) {
  auto descriptors = WindowFunctionDescriptors();
  ASSERT_EQ(descriptors.size(), 3u);
  EXPECT_EQ(descriptors[0].name, "lag");
  EXPECT_EQ(descriptors[1].name, "lead");
  EXPECT_EQ(descriptors[2].name, "row_number");
  for (const auto& d : descriptors) {
    EXPECT_EQ(d.kind, "window");
    EXPECT_EQ(d.volatility, "immutable");
    EXPECT_FALSE(d.doc.empty());
  }
  EXPECT_EQ(descriptors[2].aliases,
            (std::vector<std::string>{"row_number_window", "dedupe_best_by_score"}));
  EXPECT_EQ(descriptors[0].aliases, std::vector<std::string>{"lag_window"});
  auto json = FunctionDescriptorsToJson(descriptors);
  EXPECT_EQ(json.array_value().size(), 3u);
}

TEST(WindowFunctionsTest, ArgumentErrorsArePlanningErrors) {
  ASSERT_OK_AND_ASSIGN(auto ctx, engine::SessionContext::Make());
  ASSERT_OK(ctx.RegisterTable("t", RandomTable(9, 20)));
  for (const auto& f : CodeanatomyWindowFunctions()) ASSERT_OK(ctx.state()->RegisterWindowUdf(f));
  EXPECT_EQ(ErrorCode(RunSql(ctx, "SELECT row_number(v) OVER () FROM t").status()), "WRONG_ARITY");
  EXPECT_EQ(ErrorCode(RunSql(ctx, "SELECT lag() OVER () FROM t").status()), "WRONG_ARITY");
  EXPECT_EQ(ErrorCode(RunSql(ctx, "SELECT lag(v, 's') OVER () FROM t").status()),
            "INVALID_WINDOW_ARGUMENT");
}

}  // namespace
}  // namespace codeanatomy::functions
