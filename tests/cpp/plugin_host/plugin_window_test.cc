// Window functions through the plugin ABI (plugin_host/plugin_window.h): the first-party
// plugin's row_number, lag and lead run in SQL like the built-ins and give the same rows; the
// test plugin's broken window functions fail with typed errors, never a crash, and every
// object is released exactly once.
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include <gtest/gtest.h>

#include "../engine/test_util.h"
#include "engine/session_context.h"
#include "functions/window_functions.h"
#include "plugin_host/plugin_host.h"
#include "plugin_host/plugin_values.h"
#include "plugin_host/plugin_window.h"
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

std::shared_ptr<arrow::Table> Sample() {
  auto schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("g", arrow::utf8()),
                               arrow::field("v", arrow::int64())});
  return TableFromJSON(schema, {R"([
      {"id": 1, "g": "a", "v": 1}, {"id": 5, "g": "b", "v": 5}, {"id": 2, "g": "a", "v": 2},
      {"id": 3, "g": "a", "v": 2}, {"id": 7, "g": null, "v": 7}, {"id": 6, "g": "b", "v": null},
      {"id": 4, "g": "a", "v": null}, {"id": 8, "g": null, "v": 7}])"});
}

Result<std::shared_ptr<arrow::Table>> RunSql(engine::SessionContext& ctx,
                                             const std::string& query) {
  CA_ASSIGN_OR_RAISE(auto df, sql::ExecuteSql(ctx, query));
  return df.Collect();
}

TEST(PluginWindowTest, FirstPartyWindowFunctionsEqualTheNativeOnes) {
  ASSERT_OK_AND_ASSIGN(auto plugin, Plugin::Load(CA_FIRST_PARTY_PLUGIN));
  EXPECT_NE(plugin->manifest().capabilities & CA_CAP_WINDOW_UDF, 0u);
  EXPECT_EQ(plugin->exports().window_functions,
            (std::vector<std::string>{"lag", "lead", "row_number"}));
  ASSERT_OK_AND_ASSIGN(auto native, engine::SessionContext::Make());
  ASSERT_OK_AND_ASSIGN(auto through, engine::SessionContext::Make());
  ASSERT_OK(native.RegisterTable("t", Sample()));
  ASSERT_OK(through.RegisterTable("t", Sample()));
  ASSERT_OK(functions::InstallWindowFunctions(native.state().get()));
  ASSERT_OK_AND_ASSIGN(auto names,
                       plugin->RegisterUdfs(through.state()->registry(), "{}",
                                            through.state()->mutable_table_functions()));
  for (const char* w : {"lag", "lead", "row_number"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), w), names.end()) << w;
    EXPECT_NE(through.state()->LookupWindowUdf(w), nullptr) << w;
  }
  EXPECT_NE(through.state()->LookupWindowUdf("dedupe_best_by_score"), nullptr);
  plugin.reset();  // the session's functions keep the library loaded
  const std::string over = " OVER (PARTITION BY g ORDER BY v DESC NULLS FIRST, id)";
  const std::string query = "SELECT id, row_number()" + over + ", lag(v)" + over +
                            ", lead(v, 2, -1)" + over + ", lag(g, 1, 'none')" + over +
                            ", lag_window(v, -1)" + over + ", dedupe_best_by_score()" + over +
                            ", lead_window(v) OVER () FROM t ORDER BY id";
  ASSERT_OK_AND_ASSIGN(auto expected, RunSql(native, query));
  ASSERT_OK_AND_ASSIGN(auto actual, RunSql(through, query));
  EXPECT_EQ(Rows(*actual), Rows(*expected));
  EXPECT_TRUE(actual->schema()->Equals(*expected->schema())) << actual->schema()->ToString();
  // Argument errors come back typed as the core reports them.
  auto arity = RunSql(through, "SELECT row_number(v) OVER () FROM t");
  EXPECT_EQ(ErrorCode(arity.status()), "WRONG_ARITY") << arity.status().ToString();
  EXPECT_EQ(ErrorStage(arity.status()), "planning");
}

TEST(PluginWindowTest, WindowFunctionsNeedTheCapability) {
  ASSERT_OK_AND_ASSIGN(auto plugin, Plugin::Load(PluginPath("test_plugin")));
  ASSERT_OK_AND_ASSIGN(auto ctx, engine::SessionContext::Make());
  auto refused = plugin->RegisterUdfs(ctx.state()->registry(), R"({"windows": true})");
  EXPECT_EQ(ErrorCode(refused.status()), "PLUGIN_CAPABILITY_MISSING")
      << refused.status().ToString();
  EXPECT_EQ(ctx.state()->LookupWindowUdf("running_sum"), nullptr);
}

class TestPluginWindows : public ::testing::Test {
 protected:
  using Counter = int64_t (*)();

  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(plugin_, Plugin::Load(PluginPath("test_plugin")));
    self_ = dlopen(PluginPath("test_plugin").c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    ASSERT_NE(self_, nullptr);
    releases_ = reinterpret_cast<Counter>(dlsym(self_, "test_plugin_releases"));
    doubles_ = reinterpret_cast<Counter>(dlsym(self_, "test_plugin_double_releases"));
    ASSERT_NE(releases_, nullptr);
    ASSERT_NE(doubles_, nullptr);
    ASSERT_OK_AND_ASSIGN(auto ctx, engine::SessionContext::Make());
    ctx_ = std::make_unique<engine::SessionContext>(std::move(ctx));
    ASSERT_OK(ctx_->RegisterTable("t", Sample()));
  }
  void TearDown() override {
    if (self_ != nullptr) dlclose(self_);
  }

  /// The test plugin's bundle with its window functions (which its manifest does not declare,
  /// so RegisterUdfs refuses them): the bridge is exercised directly.
  void BundleWithWindows(CaUdfBundle* bundle) {
    std::memset(bundle, 0, sizeof(*bundle));
    CaPluginError error = NewError();
    ASSERT_EQ(plugin_->module().udf_bundle_with_options(R"({"windows": true})", bundle, &error),
              CA_OK);
    ASSERT_EQ(bundle->n_window, 4u);
  }

  void ReleaseBundle(CaUdfBundle* bundle) {
    for (uint64_t i = 0; i < bundle->n_scalar; ++i) {
      if (bundle->scalar[i].release != nullptr) bundle->scalar[i].release(&bundle->scalar[i]);
    }
    bundle->release(bundle);
  }

  std::shared_ptr<Plugin> plugin_;
  void* self_ = nullptr;
  Counter releases_ = nullptr, doubles_ = nullptr;
  std::unique_ptr<engine::SessionContext> ctx_;
};

TEST_F(TestPluginWindows, BadWindowFunctionsFailWithTypedErrors) {
  int64_t before = releases_();
  {
    CaUdfBundle bundle;
    BundleWithWindows(&bundle);
    for (uint64_t i = 0; i < bundle.n_window; ++i) {
      ASSERT_OK_AND_ASSIGN(auto udf, BridgeWindowUdf(plugin_, &bundle.window[i]));
      EXPECT_EQ(bundle.window[i].release, nullptr);  // taken
      ASSERT_OK(ctx_->state()->RegisterWindowUdf(udf));
    }
    ReleaseBundle(&bundle);

    // A good one sees the frames the built-in frame aggregates see.
    for (const std::string over :
         {"PARTITION BY g ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW",
          "PARTITION BY g ORDER BY v", "ORDER BY id ROWS BETWEEN 2 FOLLOWING AND 3 FOLLOWING"}) {
      ASSERT_OK_AND_ASSIGN(auto a, RunSql(*ctx_, "SELECT id, running_sum(v) OVER (" + over +
                                                     ") FROM t ORDER BY id"));
      ASSERT_OK_AND_ASSIGN(
          auto b, RunSql(*ctx_, "SELECT id, sum(v) OVER (" + over + ") FROM t ORDER BY id"));
      EXPECT_EQ(Rows(*a), Rows(*b)) << over;
    }
    auto failed = RunSql(*ctx_, "SELECT fails_window(v) OVER (PARTITION BY g) FROM t");
    EXPECT_EQ(ErrorStage(failed.status()), "execution") << failed.status().ToString();
    EXPECT_EQ(ErrorCode(failed.status()), "PLUGIN_CALL_FAILED");
    EXPECT_NE(failed.status().message().find("window fails always"), std::string::npos);
    for (const char* bad : {"wrong_length_window", "wrong_type_window"}) {
      auto out = RunSql(*ctx_, std::string("SELECT ") + bad + "(v) OVER (PARTITION BY g) FROM t");
      EXPECT_EQ(ErrorCode(out.status()), "PLUGIN_BAD_RESULT") << bad << out.status().ToString();
    }
    auto bad_args = RunSql(*ctx_, "SELECT running_sum(g) OVER () FROM t");
    ASSERT_FALSE(bad_args.ok());
    EXPECT_NE(bad_args.status().message().find("expects one int64 argument"), std::string::npos)
        << bad_args.status().ToString();
    ctx_.reset();  // the session and its window functions go
  }
  // A failed query's last tasks may still hold its plan (and the functions) for a moment.
  for (int i = 0; i < 500 && releases_() - before < 9; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(releases_() - before, 4 + 4 + 1);  // four scalar, four window functions, the bundle
  EXPECT_EQ(doubles_(), 0);
}

TEST_F(TestPluginWindows, MalformedWindowStructsAreRefusedAndReleased) {
  int64_t before = releases_();
  CaUdfBundle bundle;
  BundleWithWindows(&bundle);
  bundle.window[0].struct_size = 8;
  auto small = BridgeWindowUdf(plugin_, &bundle.window[0]);
  EXPECT_EQ(ErrorCode(small.status()), "PLUGIN_STRUCT_TOO_SMALL");
  bundle.window[1].evaluate_partition = nullptr;
  auto null_fn = BridgeWindowUdf(plugin_, &bundle.window[1]);
  EXPECT_EQ(ErrorCode(null_fn.status()), "PLUGIN_INVALID_MODULE");
  bundle.window[2].name = nullptr;
  auto no_name = BridgeWindowUdf(plugin_, &bundle.window[2]);
  EXPECT_EQ(ErrorCode(no_name.status()), "PLUGIN_INVALID_MANIFEST");
  bundle.window[3].release(&bundle.window[3]);
  ReleaseBundle(&bundle);
  // Taken ones (even refused) are released by the bridge; a struct that says it is too small
  // to hold `release` is never read past its size, so nobody releases it (the plugin's bug,
  // not a crash): 4 scalars, 3 windows, the bundle.
  EXPECT_EQ(releases_() - before, 4 + 3 + 1);
  EXPECT_EQ(doubles_(), 0);
}

}  // namespace
}  // namespace codeanatomy::plugin_host
