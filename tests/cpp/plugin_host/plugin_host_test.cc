// The plugin host against plugins built by the test suite (tests/plugins/test_plugin.c): a good
// one, whose functions and table run in SQL like native ones, and malformed variants, each
// refused with its own typed error before any other call.
#include <dlfcn.h>

#include <filesystem>

#include <arrow/builder.h>
#include <gtest/gtest.h>

#include "../engine/test_util.h"
#include "delta/provider_options.h"
#include "delta/writer.h"
#include "engine/session_context.h"
#include "plugin_host/plugin_host.h"
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

class PluginHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(auto ctx, engine::SessionContext::Make());
    ctx_ = std::make_unique<engine::SessionContext>(std::move(ctx));
    auto schema = arrow::schema({arrow::field("x", arrow::int64())});
    ASSERT_OK(ctx_->RegisterTable("t", TableFromJSON(schema, {R"([{"x": 1}, {"x": 41}])"})));
  }
  Result<std::shared_ptr<arrow::Table>> Run(const std::string& query) {
    CA_ASSIGN_OR_RAISE(auto df, sql::ExecuteSql(*ctx_, query));
    return df.Collect();
  }
  std::unique_ptr<engine::SessionContext> ctx_;
};

TEST_F(PluginHostTest, TheManifestAndExportsOfAGoodPlugin) {
  ASSERT_OK_AND_ASSIGN(auto plugin, Plugin::Load(PluginPath("test_plugin")));
  const ManifestInfo& m = plugin->manifest();
  EXPECT_EQ(m.plugin_name, "test_plugin");
  EXPECT_EQ(m.plugin_version, "1.0.0");
  EXPECT_EQ(m.abi_major, CA_PLUGIN_ABI_MAJOR);
  EXPECT_EQ(m.features, std::vector<std::string>{"test"});
  EXPECT_EQ(m.ToJson().Get("capabilities")->ToJson(),
            R"(["table_provider","scalar_udf","aggregate_udf","table_function"])");
  EXPECT_EQ(plugin->exports().table_providers, std::vector<std::string>{"numbers"});
  EXPECT_EQ(plugin->exports().table_functions,
            (std::vector<std::string>{"numbers_fn", "fails_fn", "no_provider_fn"}));
  EXPECT_EQ(plugin->exports().scalar_functions.size(), 4u);
}

TEST_F(PluginHostTest, APluginBuiltAgainstTheFrozen10HeaderStillLoadsAndRuns) {
  ASSERT_OK_AND_ASSIGN(auto plugin, Plugin::Load(PluginPath("test_plugin_frozen10")));
  EXPECT_EQ(plugin->manifest().abi_major, 1);
  EXPECT_EQ(plugin->manifest().abi_minor, 0);
  ASSERT_OK(plugin->RegisterUdfs(ctx_->state()->registry(), "{}").status());
  ASSERT_OK_AND_ASSIGN(auto out, Run("SELECT add_one(x) AS a FROM t ORDER BY a"));
  EXPECT_EQ(Rows(*out), (std::vector<std::string>{"2", "42"}));
}

TEST_F(PluginHostTest, MalformedPluginsAreRefusedByName) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"test_plugin_major2", "PLUGIN_ABI_MAJOR_MISMATCH"},
      {"test_plugin_minor9", "PLUGIN_ABI_MINOR_TOO_NEW"},
      {"test_plugin_engine9", "PLUGIN_ENGINE_MAJOR_MISMATCH"},
      {"test_plugin_arrow1", "PLUGIN_ARROW_MAJOR_MISMATCH"},
      {"test_plugin_short", "PLUGIN_STRUCT_TOO_SMALL"},
      {"test_plugin_nullfn", "PLUGIN_INVALID_MODULE"},
      {"test_plugin_noentry", "PLUGIN_ENTRY_MISSING"},
      {"test_plugin_badutf8", "PLUGIN_INVALID_MANIFEST"},
      {"does_not_exist", "PLUGIN_LOAD_FAILED"},
  };
  for (const auto& [name, code] : cases) {
    auto plugin = Plugin::Load(PluginPath(name));
    ASSERT_FALSE(plugin.ok()) << name;
    EXPECT_EQ(ErrorStage(plugin.status()), "plugin") << name;
    EXPECT_EQ(ErrorCode(plugin.status()), code) << name << ": " << plugin.status().ToString();
  }
  // Only explicit paths: no library search.
  EXPECT_EQ(ErrorCode(Plugin::Load("test_plugin.so").status()), "PLUGIN_LOAD_FAILED");
}

TEST_F(PluginHostTest, ScalarFunctionsRunInSqlLikeNativeOnes) {
  {
    ASSERT_OK_AND_ASSIGN(auto plugin, Plugin::Load(PluginPath("test_plugin")));
    ASSERT_OK_AND_ASSIGN(auto names, plugin->RegisterUdfs(ctx_->state()->registry(), "{}"));
    EXPECT_EQ(names.size(), 4u);
  }  // the registry keeps the library loaded
  ASSERT_OK_AND_ASSIGN(auto out, Run("SELECT add_one(x) AS a, plus_one(x + 1) AS b FROM t "
                                     "WHERE add_one(x) > 2 ORDER BY a"));
  EXPECT_EQ(Rows(*out), (std::vector<std::string>{"42|43"}));
  // A literal argument crosses as one row that applies to all.
  ASSERT_OK_AND_ASSIGN(out, Run("SELECT x, add_one(CAST(7 AS BIGINT)) AS c FROM t ORDER BY x"));
  EXPECT_EQ(Rows(*out), (std::vector<std::string>{"1|8", "41|8"}));

  auto failed = Run("SELECT fails(x) FROM t");
  EXPECT_EQ(ErrorCode(failed.status()), "PLUGIN_CALL_FAILED");
  EXPECT_NE(failed.status().message().find("fails always"), std::string::npos);
  EXPECT_EQ(ErrorCode(Run("SELECT wrong_length(x) FROM t").status()), "PLUGIN_BAD_RESULT");
  EXPECT_EQ(ErrorCode(Run("SELECT wrong_type(x) FROM t").status()), "PLUGIN_BAD_RESULT");
  // Argument types the function does not accept: its own message.
  auto bad_args = Run("SELECT add_one('a') FROM t");
  ASSERT_FALSE(bad_args.ok());
  EXPECT_NE(bad_args.status().message().find("expects one int64 argument"), std::string::npos)
      << bad_args.status().ToString();
}

// The result type from constants (ABI 1.1) is asked once when a call is bound. Arrow resolves a
// call's type again on every execution, on any thread, with the call's one kernel state: asking
// (and storing) there raced, freeing a type another batch still used (a segfault seen in CI).
TEST_F(PluginHostTest, ATypeFromConstantsIsAskedOncePerCallNotPerBatch) {
  using Counter = int64_t (*)();
  ASSERT_OK_AND_ASSIGN(auto plugin, Plugin::Load(PluginPath("test_plugin")));
  void* self = dlopen(PluginPath("test_plugin").c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
  ASSERT_NE(self, nullptr);
  auto asked = reinterpret_cast<Counter>(dlsym(self, "test_plugin_typed_with_constants"));
  ASSERT_NE(asked, nullptr);
  ASSERT_OK(plugin->RegisterUdfs(ctx_->state()->registry(), R"({"constants": true})").status());
  // The same 2,000 rows as one batch and as 200 batches of 10 (executed in parallel).
  arrow::Int64Builder builder;
  for (int64_t i = 0; i < 2000; ++i) ASSERT_OK(builder.Append(i));
  ASSERT_OK_AND_ASSIGN(auto values, builder.Finish());
  auto schema = arrow::schema({arrow::field("x", arrow::int64())});
  auto one = arrow::Table::Make(schema, {values});
  arrow::ArrayVector slices;
  for (int64_t i = 0; i < 2000; i += 10) slices.push_back(values->Slice(i, 10));
  auto many = arrow::Table::Make(schema, {std::make_shared<arrow::ChunkedArray>(slices)});
  ASSERT_OK(ctx_->RegisterTable("one", one));
  ASSERT_OK(ctx_->RegisterTable("many", many));
  std::vector<int64_t> asks;
  for (const char* table : {"one", "many", "many", "many"}) {
    int64_t before = asked();
    ASSERT_OK_AND_ASSIGN(auto out, Run(std::string("SELECT sum(add_one(x)) AS s FROM ") + table));
    EXPECT_EQ(Rows(*out), (std::vector<std::string>{"2001000"}));  // sum(1..2000)
    asks.push_back(asked() - before);
  }
  EXPECT_GT(asks[0], 0);
  for (int64_t n : asks) EXPECT_EQ(n, asks[0]) << "asked per batch, not per call";
  dlclose(self);
}

TEST_F(PluginHostTest, EveryObjectIsReleasedExactlyOnce) {
  using Counter = int64_t (*)();
  void* self = nullptr;
  Counter releases = nullptr, doubles = nullptr;
  int64_t before = 0;
  {
    ASSERT_OK_AND_ASSIGN(auto plugin, Plugin::Load(PluginPath("test_plugin")));
    // A handle of our own keeps the library (and its counters) loaded after the host's goes.
    self = dlopen(PluginPath("test_plugin").c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    ASSERT_NE(self, nullptr);
    releases = reinterpret_cast<Counter>(dlsym(self, "test_plugin_releases"));
    doubles = reinterpret_cast<Counter>(dlsym(self, "test_plugin_double_releases"));
    ASSERT_NE(releases, nullptr);
    ASSERT_NE(doubles, nullptr);
    before = releases();
    ASSERT_OK_AND_ASSIGN(auto session, engine::SessionContext::Make());
    ASSERT_OK(plugin->RegisterUdfs(session.state()->registry(), "{}").status());
    ASSERT_OK_AND_ASSIGN(auto provider, plugin->CreateTableProvider("numbers", "{}"));
    ASSERT_OK(session.RegisterProvider("numbers", provider));
  }                                           // the session, its functions and the provider go
  EXPECT_EQ(releases() - before, 4 + 1 + 1);  // four functions, the bundle, the provider
  EXPECT_EQ(doubles(), 0);
  dlclose(self);
}

TEST_F(PluginHostTest, BundleOptionsAndCapabilitiesAreChecked) {
  ASSERT_OK_AND_ASSIGN(auto plugin, Plugin::Load(PluginPath("test_plugin")));
  auto bad = plugin->RegisterUdfs(ctx_->state()->registry(), R"({"bad": 1})");
  EXPECT_EQ(ErrorCode(bad.status()), "PLUGIN_CALL_FAILED");
  ASSERT_OK_AND_ASSIGN(auto nullinvoke, Plugin::Load(PluginPath("test_plugin_nullinvoke")));
  EXPECT_EQ(ErrorCode(nullinvoke->RegisterUdfs(ctx_->state()->registry(), "{}").status()),
            "PLUGIN_INVALID_MODULE");
  ASSERT_OK_AND_ASSIGN(auto nocaps, Plugin::Load(PluginPath("test_plugin_nocaps")));
  EXPECT_EQ(ErrorCode(nocaps->RegisterUdfs(ctx_->state()->registry(), "{}").status()),
            "PLUGIN_CAPABILITY_MISSING");
  EXPECT_EQ(ErrorCode(nocaps->CreateTableProvider("numbers", "{}").status()),
            "PLUGIN_CAPABILITY_MISSING");
  EXPECT_EQ(ErrorCode(plugin->CreateTableProvider("nope", "{}").status()),
            "PLUGIN_PROVIDER_NOT_EXPORTED");
}

TEST_F(PluginHostTest, TableProvidersScanThroughStreams) {
  ASSERT_OK_AND_ASSIGN(auto plugin, Plugin::Load(PluginPath("test_plugin")));
  ASSERT_OK_AND_ASSIGN(auto numbers, plugin->CreateTableProvider("numbers", R"({"count":2500})"));
  plugin.reset();  // the provider keeps the library loaded
  ASSERT_OK(ctx_->RegisterProvider("numbers", numbers));
  ASSERT_OK_AND_ASSIGN(auto out, Run("SELECT count(*) AS c, sum(n) AS s, max(n) AS m "
                                     "FROM numbers WHERE n >= 0"));
  EXPECT_EQ(Rows(*out), (std::vector<std::string>{"2500|3123750|2499"}));  // sum 0..2499
  // Scanned twice: each scan is a new stream.
  ASSERT_OK_AND_ASSIGN(out, Run("SELECT count(*) AS c FROM numbers"));
  EXPECT_EQ(Rows(*out), (std::vector<std::string>{"2500"}));

  ASSERT_OK_AND_ASSIGN(auto again, Plugin::Load(PluginPath("test_plugin")));
  ASSERT_OK_AND_ASSIGN(auto failing,
                       again->CreateTableProvider("numbers", R"({"count":5000,"fail":true})"));
  ASSERT_OK(ctx_->RegisterProvider("failing", failing));
  auto failed = Run("SELECT sum(n) FROM failing");
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("failed midway"), std::string::npos)
      << failed.status().ToString();
}

}  // namespace
}  // namespace codeanatomy::plugin_host

namespace codeanatomy::plugin_host {
namespace {

// The first-party plugin's "delta" and "delta_cdf" providers give what the native ones give.
class FirstPartyPluginTest : public PluginHostTest {
 protected:
  void SetUp() override {
    PluginHostTest::SetUp();
    root_ =
        std::filesystem::temp_directory_path() / ("ca_first_party_" + std::to_string(::getpid()));
    std::filesystem::remove_all(root_);
    auto schema =
        arrow::schema({arrow::field("id", arrow::int64()), arrow::field("p", arrow::utf8())});
    delta::WriteOptions options;
    options.partition_by = {"p"};
    options.configuration = {{"delta.enableChangeDataFeed", "true"}};
    auto data = TableFromJSON(schema, {R"([{"id": 1, "p": "a"}, {"id": 2, "p": "b"},
                                           {"id": 3, "p": "a"}])"});
    ASSERT_OK(
        delta::WriteDelta(root_.string(), std::make_shared<arrow::TableBatchReader>(data), options)
            .status());
    ASSERT_OK(delta::DeleteRows(root_.string(), "id = 3").status());
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::filesystem::path root_;
};

TEST_F(FirstPartyPluginTest, DeltaProvidersMatchTheNativeOnes) {
  ASSERT_OK_AND_ASSIGN(auto plugin, Plugin::Load(CA_FIRST_PARTY_PLUGIN));
  EXPECT_EQ(plugin->manifest().plugin_name, "codeanatomy");
  EXPECT_EQ(plugin->exports().table_providers, (std::vector<std::string>{"delta", "delta_cdf"}));
  const std::string uri = JsonQuote(root_.string());
  for (const auto& [kind, options] : std::vector<std::pair<std::string, std::string>>{
           {"delta", R"({"table_uri":)" + uri + "}"},
           {"delta", R"({"table_uri":)" + uri + R"(,"version":0,"files":[]})"},
           {"delta_cdf", R"({"table_uri":)" + uri + "}"}}) {
    ASSERT_OK_AND_ASSIGN(auto theirs, plugin->CreateTableProvider(kind, options));
    ASSERT_OK_AND_ASSIGN(auto ours, delta::MakeDeltaProvider(kind, options));
    ASSERT_OK(ctx_->RegisterProvider("via_plugin", theirs));
    ASSERT_OK(ctx_->RegisterProvider("native", ours));
    EXPECT_TRUE(theirs->schema()->Equals(*ours->schema())) << kind;
    ASSERT_OK_AND_ASSIGN(auto a, Run("SELECT * FROM via_plugin"));
    ASSERT_OK_AND_ASSIGN(auto b, Run("SELECT * FROM native"));
    EXPECT_EQ(engine::testing::SortedRows(*a), engine::testing::SortedRows(*b)) << options;
    ASSERT_OK(ctx_->Deregister("via_plugin"));
    ASSERT_OK(ctx_->Deregister("native"));
  }
  // Errors keep their stage, code and details through the ABI.
  auto bad = plugin->CreateTableProvider("delta", R"({"table_uri":)" + uri + R"(,"bogus":1})");
  EXPECT_EQ(ErrorStage(bad.status()), "validation");
  EXPECT_EQ(ErrorCode(bad.status()), "INVALID_PROVIDER_OPTIONS");
  EXPECT_EQ(engine::testing::ErrorDetails(bad.status()).Get("field")->string_value(), "bogus");
  auto missing = plugin->CreateTableProvider("delta", R"({"table_uri":"/nonexistent/t"})");
  EXPECT_EQ(ErrorCode(missing.status()), "NOT_A_DELTA_TABLE");
}

}  // namespace
}  // namespace codeanatomy::plugin_host
