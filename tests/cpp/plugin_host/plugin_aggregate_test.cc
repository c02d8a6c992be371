// Aggregate functions through the plugin ABI (plugin_host/plugin_aggregate.h): the test plugin's
// sum runs in SQL grouped and ungrouped like the built-in sum; its broken aggregates fail with
// typed errors, never a crash; every object is released exactly once.
#include <dlfcn.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "../engine/test_util.h"
#include "engine/session_context.h"
#include "plugin_host/plugin_aggregate.h"
#include "plugin_host/plugin_host.h"
#include "plugin_host/plugin_values.h"
#include "sql/statement.h"

namespace codeanatomy::plugin_host {
namespace {

using engine::testing::ErrorCode;
using engine::testing::ErrorStage;
using engine::testing::Rows;
using engine::testing::TableFromJSON;

std::string PluginPath(const std::string& name) {
  return std::string(CA_TEST_PLUGIN_DIR) + "/" + name + ".so";
}

// Two record batches; sums by hand: a 1+2+2 = 5, b 5, NULL 7+7 = 14; all 24.
std::shared_ptr<arrow::Table> Sample() {
  auto schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("g", arrow::utf8()),
                               arrow::field("v", arrow::int64())});
  return TableFromJSON(schema, {R"([
      {"id": 1, "g": "a", "v": 1}, {"id": 5, "g": "b", "v": 5}, {"id": 2, "g": "a", "v": 2},
      {"id": 3, "g": "a", "v": 2}])",
                                R"([
      {"id": 7, "g": null, "v": 7}, {"id": 6, "g": "b", "v": null},
      {"id": 4, "g": "a", "v": null}, {"id": 8, "g": null, "v": 7}, {"id": 9, "g": "c", "v": null}])"});
}

Result<std::shared_ptr<arrow::Table>> RunSql(engine::SessionContext& ctx,
                                             const std::string& query) {
  CA_ASSIGN_OR_RAISE(auto df, sql::ExecuteSql(ctx, query));
  return df.Collect();
}

// Column `c` of `table` as optional int64 values.
std::vector<std::optional<int64_t>> Int64Column(const arrow::Table& table, int c) {
  std::vector<std::optional<int64_t>> out;
  for (const auto& chunk : table.column(c)->chunks()) {
    const auto& values = static_cast<const arrow::Int64Array&>(*chunk);
    for (int64_t i = 0; i < values.length(); ++i) {
      out.push_back(values.IsNull(i) ? std::nullopt : std::optional<int64_t>(values.Value(i)));
    }
  }
  return out;
}

class TestPluginAggregates : public ::testing::Test {
 protected:
  using Counter = int64_t (*)();

  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(plugin_, Plugin::Load(PluginPath("test_plugin")));
    self_ = dlopen(PluginPath("test_plugin").c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    ASSERT_NE(self_, nullptr);
    releases_ = reinterpret_cast<Counter>(dlsym(self_, "test_plugin_releases"));
    doubles_ = reinterpret_cast<Counter>(dlsym(self_, "test_plugin_double_releases"));
    live_ = reinterpret_cast<Counter>(dlsym(self_, "test_plugin_live_accumulators"));
    ASSERT_NE(releases_, nullptr);
    ASSERT_NE(doubles_, nullptr);
    ASSERT_NE(live_, nullptr);
    ASSERT_OK_AND_ASSIGN(auto ctx, engine::SessionContext::Make());
    ctx_ = std::make_unique<engine::SessionContext>(std::move(ctx));
    ASSERT_OK(ctx_->RegisterTable("t", Sample()));
  }
  void TearDown() override {
    if (self_ != nullptr) dlclose(self_);
  }

  // A failed query's last tasks may still hold its plan (and the functions) for a moment.
  void WaitForReleases(int64_t expected) {
    for (int i = 0; i < 500 && releases_() < expected; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  std::shared_ptr<Plugin> plugin_;
  void* self_ = nullptr;
  Counter releases_ = nullptr, doubles_ = nullptr, live_ = nullptr;
  std::unique_ptr<engine::SessionContext> ctx_;
};

TEST_F(TestPluginAggregates, SumRunsGroupedAndUngroupedLikeTheBuiltIn) {
  int64_t before = releases_();
  {
    ASSERT_OK_AND_ASSIGN(
        auto names, plugin_->RegisterUdfs(ctx_->state()->registry(), R"({"aggregates": true})"));
    EXPECT_NE(std::find(names.begin(), names.end(), "sum_agg"), names.end());
    plugin_.reset();  // the session's functions keep the library loaded

    ASSERT_OK_AND_ASSIGN(auto all, RunSql(*ctx_, "SELECT sum_agg(v), total_agg(v) FROM t"));
    EXPECT_EQ(Int64Column(*all, 0), (std::vector<std::optional<int64_t>>{24}));
    EXPECT_EQ(Int64Column(*all, 1), (std::vector<std::optional<int64_t>>{24}));
    ASSERT_OK_AND_ASSIGN(auto none, RunSql(*ctx_, "SELECT sum_agg(v) FROM t WHERE v IS NULL"));
    EXPECT_EQ(Int64Column(*none, 0), (std::vector<std::optional<int64_t>>{std::nullopt}));

    const std::string grouped = " FROM t GROUP BY g ORDER BY g NULLS LAST";
    ASSERT_OK_AND_ASSIGN(auto by_g, RunSql(*ctx_, "SELECT g, sum_agg(v)" + grouped));
    EXPECT_EQ(Int64Column(*by_g, 1),
              (std::vector<std::optional<int64_t>>{5, 5, std::nullopt, 14}));  // a, b, c, NULL
    ASSERT_OK_AND_ASSIGN(auto builtin, RunSql(*ctx_, "SELECT g, sum(v)" + grouped));
    EXPECT_EQ(Rows(*by_g), Rows(*builtin));
    ASSERT_OK_AND_ASSIGN(auto alias, RunSql(*ctx_, "SELECT g, total_agg(v)" + grouped));
    EXPECT_EQ(Rows(*alias), Rows(*builtin));

    // The plugin refuses the argument type when the call is bound.
    auto bad_args = RunSql(*ctx_, "SELECT sum_agg(g) FROM t");
    EXPECT_EQ(ErrorStage(bad_args.status()), "planning") << bad_args.status().ToString();
    ctx_.reset();
  }
  WaitForReleases(before + 4 + 3 + 1);
  EXPECT_EQ(releases_() - before, 4 + 3 + 1);  // four scalar, three aggregates, the bundle
  EXPECT_EQ(doubles_(), 0);
  EXPECT_EQ(live_(), 0);
}

TEST_F(TestPluginAggregates, BadAggregatesFailWithTypedErrors) {
  int64_t before = releases_();
  {
    ASSERT_OK(plugin_->RegisterUdfs(ctx_->state()->registry(), R"({"aggregates": true})").status());
    for (const std::string query :
         {"SELECT fails_agg(v) FROM t", "SELECT g, fails_agg(v) FROM t GROUP BY g"}) {
      auto failed = RunSql(*ctx_, query);
      EXPECT_EQ(ErrorStage(failed.status()), "execution") << failed.status().ToString();
      EXPECT_EQ(ErrorCode(failed.status()), "PLUGIN_CALL_FAILED") << query;
      EXPECT_NE(failed.status().message().find("aggregate fails always"), std::string::npos);
    }
    for (const std::string query :
         {"SELECT wrong_length_agg(v) FROM t", "SELECT g, wrong_length_agg(v) FROM t GROUP BY g"}) {
      auto out = RunSql(*ctx_, query);
      EXPECT_EQ(ErrorCode(out.status()), "PLUGIN_BAD_RESULT") << query << out.status().ToString();
    }
    ctx_.reset();
  }
  WaitForReleases(before + 4 + 3 + 1);
  EXPECT_EQ(releases_() - before, 4 + 3 + 1);
  EXPECT_EQ(doubles_(), 0);
  EXPECT_EQ(live_(), 0);
}

TEST_F(TestPluginAggregates, ANullFunctionPointerIsRefusedAndEverythingReleased) {
  int64_t before = releases_();
  auto refused = plugin_->RegisterUdfs(ctx_->state()->registry(),
                                       R"({"aggregates": true, "null_aggregate": true})");
  EXPECT_EQ(ErrorCode(refused.status()), "PLUGIN_INVALID_MODULE") << refused.status().ToString();
  EXPECT_FALSE(ctx_->state()->registry()->GetFunction("sum_agg").ok());
  EXPECT_EQ(releases_() - before, 4 + 4 + 1);
  EXPECT_EQ(doubles_(), 0);
}

TEST_F(TestPluginAggregates, MalformedAggregateStructsAreRefusedAndReleased) {
  int64_t before = releases_();
  CaUdfBundle bundle;
  std::memset(&bundle, 0, sizeof(bundle));
  CaPluginError error = NewError();
  ASSERT_EQ(plugin_->module().udf_bundle_with_options(R"({"aggregates": true, "no_scalars": true})",
                                                      &bundle, &error),
            CA_OK);
  ASSERT_EQ(bundle.n_aggregate, 3u);
  bundle.aggregate[0].struct_size = 8;
  auto small = BridgeAggregateUdf(plugin_, &bundle.aggregate[0]);
  EXPECT_EQ(ErrorCode(small.status()), "PLUGIN_STRUCT_TOO_SMALL");
  ASSERT_NE(bundle.aggregate[0].release, nullptr);  // not taken: its release may not be there
  bundle.aggregate[0].release(&bundle.aggregate[0]);
  bundle.aggregate[1].state_types = nullptr;
  auto null_fn = BridgeAggregateUdf(plugin_, &bundle.aggregate[1]);
  EXPECT_EQ(ErrorCode(null_fn.status()), "PLUGIN_INVALID_MODULE");
  bundle.aggregate[2].name = nullptr;
  auto no_name = BridgeAggregateUdf(plugin_, &bundle.aggregate[2]);
  EXPECT_EQ(ErrorCode(no_name.status()), "PLUGIN_INVALID_MANIFEST");
  bundle.release(&bundle);
  EXPECT_EQ(releases_() - before, 3 + 1);  // the others are released by the bridge
  EXPECT_EQ(doubles_(), 0);
}

TEST(PluginAggregateTest, AggregatesNeedTheCapability) {
  ASSERT_OK_AND_ASSIGN(auto plugin, Plugin::Load(PluginPath("test_plugin_nocaps")));
  ASSERT_OK_AND_ASSIGN(auto ctx, engine::SessionContext::Make());
  auto refused =
      plugin->RegisterUdfs(ctx.state()->registry(), R"({"aggregates": true, "no_scalars": true})");
  EXPECT_EQ(ErrorCode(refused.status()), "PLUGIN_CAPABILITY_MISSING")
      << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("aggregate_udf"), std::string::npos);
  EXPECT_FALSE(ctx.state()->registry()->GetFunction("sum_agg").ok());
}

TEST(PluginAggregateTest, TheFrozenAbi10PluginKeepsLoadingWithItsAggregates) {
  ASSERT_OK_AND_ASSIGN(auto plugin, Plugin::Load(PluginPath("test_plugin_frozen10")));
  ASSERT_OK_AND_ASSIGN(auto ctx, engine::SessionContext::Make());
  ASSERT_OK(ctx.RegisterTable("t", Sample()));
  ASSERT_OK(plugin->RegisterUdfs(ctx.state()->registry(), R"({"aggregates": true})").status());
  ASSERT_OK_AND_ASSIGN(auto all, RunSql(ctx, "SELECT sum_agg(v) FROM t"));
  EXPECT_EQ(Int64Column(*all, 0), (std::vector<std::optional<int64_t>>{24}));
}

}  // namespace
}  // namespace codeanatomy::plugin_host
