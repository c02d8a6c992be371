// Table functions through the plugin ABI (plugin_host/plugin_table_function.h): the test
// plugin's numbers_fn is checked against its descriptor like a native function and scanned
// through its provider; a failing call, a call without a provider and a bad descriptor are
// typed errors; a 1.0 plugin's table function takes any arguments and checks them itself; the
// first-party plugin's Delta functions carry the native descriptors. Every object is released
// exactly once.
#include <dlfcn.h>

#include <gtest/gtest.h>

#include "../engine/test_util.h"
#include "delta/table_functions.h"
#include "engine/session_context.h"
#include "plugin_host/plugin_host.h"
#include "sql/statement.h"

namespace codeanatomy::plugin_host {
namespace {

using engine::testing::ErrorCode;
using engine::testing::ErrorDetails;
using engine::testing::ErrorStage;
using engine::testing::Rows;

std::string PluginPath(const std::string& name) {
  return std::string(CA_TEST_PLUGIN_DIR) + "/" + name + ".so";
}

Result<std::shared_ptr<arrow::Table>> RunSql(engine::SessionContext& ctx,
                                             const std::string& query) {
  CA_ASSIGN_OR_RAISE(auto df, sql::ExecuteSql(ctx, query));
  return df.Collect();
}

using Counter = int64_t (*)();

struct Counters {
  void* self = nullptr;
  Counter releases = nullptr, doubles = nullptr;
  explicit Counters(const std::string& name) {
    self = dlopen(PluginPath(name).c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    if (self != nullptr) {
      releases = reinterpret_cast<Counter>(dlsym(self, "test_plugin_releases"));
      doubles = reinterpret_cast<Counter>(dlsym(self, "test_plugin_double_releases"));
    }
  }
  ~Counters() {
    if (self != nullptr) dlclose(self);
  }
};

TEST(PluginTableFunctionTest, CalledLikeANativeFunctionAndScannedThroughItsProvider) {
  ASSERT_OK_AND_ASSIGN(auto plugin, Plugin::Load(PluginPath("test_plugin")));
  Counters counters("test_plugin");
  ASSERT_NE(counters.releases, nullptr);
  int64_t releases_before = counters.releases();
  {
    ASSERT_OK_AND_ASSIGN(auto ctx, engine::SessionContext::Make());
    ASSERT_OK_AND_ASSIGN(auto names,
                         plugin->RegisterUdfs(ctx.state()->registry(), R"({"tables": true})",
                                              ctx.state()->mutable_table_functions()));
    EXPECT_EQ(std::vector<std::string>(names.end() - 3, names.end()),
              (std::vector<std::string>{"numbers_fn", "fails_fn", "no_provider_fn"}));
    ASSERT_OK_AND_ASSIGN(auto fn, ctx.state()->LookupTableFunction("numbers_fn"));
    EXPECT_EQ(fn->Signature(), "numbers_fn(count, [fail])");
    EXPECT_EQ(fn->doc, "Rows 0..count-1.");
    ASSERT_OK_AND_ASSIGN(auto fails, ctx.state()->LookupTableFunction("fails_fn"));
    EXPECT_EQ(fails->Signature(), "fails_fn(...)");  // no descriptor: any arguments

    // An int32 literal is cast to the descriptor's int64; the provider is scanned with
    // projection and filter.
    ASSERT_OK_AND_ASSIGN(auto sum, RunSql(ctx,
                                          "SELECT sum(n) AS s, count(*) AS c FROM "
                                          "numbers_fn(CAST(5 AS INT)) WHERE n > 1"));
    EXPECT_EQ(Rows(*sum), (std::vector<std::string>{"9|3"}));
    // Arguments are checked by the host against the descriptor, with the SQL position.
    auto wrong = RunSql(ctx, "SELECT * FROM numbers_fn('five')");
    EXPECT_EQ(ErrorCode(wrong.status()), "INVALID_TABLE_FUNCTION_ARGUMENT")
        << wrong.status().ToString();
    EXPECT_EQ(ErrorDetails(wrong.status()).Get("parameter")->string_value(), "count");
    auto arity = RunSql(ctx, "SELECT * FROM numbers_fn(1, true, 3)");
    EXPECT_EQ(ErrorCode(arity.status()), "WRONG_ARITY") << arity.status().ToString();
    // The provider's stream failing midway stays a typed error.
    auto midway = RunSql(ctx, "SELECT * FROM numbers_fn(100000, true)");
    EXPECT_FALSE(midway.ok());
    EXPECT_EQ(ErrorStage(midway.status()), "execution") << midway.status().ToString();
    // A failing call keeps the plugin's message; a call without a provider is a bad result.
    auto failed = RunSql(ctx, "SELECT * FROM fails_fn()");
    EXPECT_EQ(ErrorCode(failed.status()), "PLUGIN_CALL_FAILED") << failed.status().ToString();
    EXPECT_NE(failed.status().message().find("fails always"), std::string::npos);
    auto none = RunSql(ctx, "SELECT * FROM no_provider_fn(1)");
    EXPECT_EQ(ErrorCode(none.status()), "PLUGIN_BAD_RESULT") << none.status().ToString();
    plugin.reset();  // the session's functions keep the library loaded
    ASSERT_OK_AND_ASSIGN(auto again, RunSql(ctx, "SELECT count(*) AS c FROM numbers_fn(3)"));
    EXPECT_EQ(Rows(*again), (std::vector<std::string>{"3"}));
  }
  // The bundle, three functions and every provider: each released once.
  EXPECT_GT(counters.releases(), releases_before + 4);
  EXPECT_EQ(counters.doubles(), 0);
}

TEST(PluginTableFunctionTest, RefusedWithoutASessionOrWithABadDescriptor) {
  ASSERT_OK_AND_ASSIGN(auto plugin, Plugin::Load(PluginPath("test_plugin")));
  Counters counters("test_plugin");
  ASSERT_OK_AND_ASSIGN(auto ctx, engine::SessionContext::Make());
  auto no_session = plugin->RegisterUdfs(ctx.state()->registry(), R"({"tables": true})");
  EXPECT_EQ(ErrorCode(no_session.status()), "PLUGIN_CALL_FAILED") << no_session.status().ToString();
  auto bad =
      plugin->RegisterUdfs(ctx.state()->registry(), R"({"tables": true, "bad_descriptor": true})",
                           ctx.state()->mutable_table_functions());
  EXPECT_EQ(ErrorCode(bad.status()), "PLUGIN_BAD_RESULT") << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("not JSON"), std::string::npos);
  // Nothing of a refused bundle is registered, and nothing is released twice.
  EXPECT_TRUE(ctx.state()->TableFunctionNames().empty());
  EXPECT_EQ(counters.doubles(), 0);
}

TEST(PluginTableFunctionTest, AFrozen10PluginsFunctionChecksItsOwnArguments) {
  ASSERT_OK_AND_ASSIGN(auto plugin, Plugin::Load(PluginPath("test_plugin_frozen10")));
  ASSERT_OK_AND_ASSIGN(auto ctx, engine::SessionContext::Make());
  ASSERT_OK(plugin
                ->RegisterUdfs(ctx.state()->registry(), R"({"tables": true})",
                               ctx.state()->mutable_table_functions())
                .status());
  ASSERT_OK_AND_ASSIGN(auto fn, ctx.state()->LookupTableFunction("numbers_fn"));
  EXPECT_EQ(fn->Signature(), "numbers_fn(...)");
  ASSERT_OK_AND_ASSIGN(auto rows, RunSql(ctx, "SELECT count(*) AS c FROM numbers_fn(4)"));
  EXPECT_EQ(Rows(*rows), (std::vector<std::string>{"4"}));
  auto wrong = RunSql(ctx, "SELECT * FROM numbers_fn('four')");
  EXPECT_EQ(ErrorCode(wrong.status()), "PLUGIN_CALL_FAILED") << wrong.status().ToString();
  EXPECT_NE(wrong.status().message().find("non-null int64 count"), std::string::npos);
}

TEST(PluginTableFunctionTest, FirstPartyDeltaFunctionsCarryTheNativeDescriptors) {
  ASSERT_OK_AND_ASSIGN(auto plugin, Plugin::Load(CA_FIRST_PARTY_PLUGIN));
  EXPECT_NE(plugin->manifest().capabilities & CA_CAP_TABLE_FUNCTION, 0u);
  ASSERT_OK_AND_ASSIGN(auto ctx, engine::SessionContext::Make());
  ASSERT_OK(
      plugin->RegisterUdfs(ctx.state()->registry(), "{}", ctx.state()->mutable_table_functions())
          .status());
  std::vector<std::string> names;
  for (const auto& native : delta::DeltaTableFunctions()) {
    names.push_back(native.name);
    ASSERT_OK_AND_ASSIGN(auto bridged, ctx.state()->LookupTableFunction(native.name));
    EXPECT_EQ(engine::TableFunctionDescriptor(*bridged).ToJson(),
              engine::TableFunctionDescriptor(native).ToJson());
  }
  EXPECT_EQ(plugin->exports().table_functions, names);
  // A missing table keeps the Delta layer's typed error through the plugin.
  auto missing = RunSql(ctx, "SELECT * FROM read_delta('/nonexistent/table')");
  EXPECT_EQ(ErrorStage(missing.status()), "delta") << missing.status().ToString();
}

}  // namespace
}  // namespace codeanatomy::plugin_host
