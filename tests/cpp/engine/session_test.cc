#include "engine/session_context.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "engine/session_config.h"
#include "engine/session_state.h"
#include "test_util.h"

namespace codeanatomy::engine {
namespace {

using testing::ErrorCode;
using testing::ErrorDetails;
using testing::ErrorStage;
using testing::Rows;
using testing::TableFromJSON;

TEST(InitializeArrowTest, IsIdempotentAndThreadSafe) {
  std::vector<std::thread> threads;
  std::vector<Status> results(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&results, i] { results[i] = InitializeArrow(); });
  }
  for (auto& t : threads) t.join();
  for (const auto& st : results) EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(InitializeArrow().ok());
}

TEST(SessionConfigTest, DefaultsAreTheMediumProfile) {
  SessionConfig config;
  EXPECT_EQ(config.profile, "medium");
  EXPECT_EQ(config.target_partitions, 8);
  EXPECT_EQ(config.batch_size, 8192);
  EXPECT_EQ(config.memory_limit_bytes, 2LL << 30);
}

TEST(SessionConfigTest, ToJsonIsCanonical) {
  SessionConfig config;
  config.options["b"] = "2";
  config.options["a"] = "x\"y";
  EXPECT_EQ(
      config.ToJson(),
      "{\"batch_size\":8192,\"default_catalog\":\"codeanatomy\",\"default_schema\":\"public\","
      "\"memory_limit_bytes\":2147483648,\"options\":{\"a\":\"x\\\"y\",\"b\":\"2\"},"
      "\"profile\":\"medium\",\"target_partitions\":8}");
}

TEST(SessionFactoryTest, ProfilesFixTheSettings) {
  struct Case {
    const char* name;
    int partitions;
    int64_t batch;
    int64_t memory;
  };
  for (const auto& c : {Case{"small", 4, 4096, 512LL << 20}, Case{"MEDIUM", 8, 8192, 2LL << 30},
                        Case{"Large", 16, 16384, 8LL << 30}}) {
    ASSERT_OK_AND_ASSIGN(auto factory, SessionFactory::FromProfile(c.name));
    EXPECT_EQ(factory.config().target_partitions, c.partitions) << c.name;
    EXPECT_EQ(factory.config().batch_size, c.batch) << c.name;
    EXPECT_EQ(factory.config().memory_limit_bytes, c.memory) << c.name;
  }
}

TEST(SessionFactoryTest, UnknownProfileIsAnArgumentError) {
  auto factory = SessionFactory::FromProfile("huge");
  ASSERT_FALSE(factory.ok());
  auto info = DescribeError(factory.status());
  EXPECT_TRUE(info.is_invalid_argument);
  EXPECT_EQ(info.code, "INVALID_ARGUMENT");
  EXPECT_NE(info.message.find("huge"), std::string::npos);
}

TEST(SessionFactoryTest, HashesAreStableAndDistinguishProfiles) {
  ASSERT_OK_AND_ASSIGN(auto small, SessionFactory::FromProfile("small"));
  ASSERT_OK_AND_ASSIGN(auto small2, SessionFactory::FromProfile("SMALL"));
  ASSERT_OK_AND_ASSIGN(auto large, SessionFactory::FromProfile("large"));
  EXPECT_EQ(small.ProfileJson(),
            "{\"batch_size\":4096,\"memory_limit_bytes\":536870912,\"name\":\"small\","
            "\"target_partitions\":4}");
  EXPECT_EQ(small.ProfileHash(), small2.ProfileHash());
  EXPECT_EQ(small.SettingsHash(), small2.SettingsHash());
  EXPECT_NE(small.ProfileHash(), large.ProfileHash());
  EXPECT_NE(small.SettingsHash(), large.SettingsHash());
  EXPECT_EQ(small.ProfileHash().size(), 64u);
  EXPECT_EQ(small.SettingsHash().size(), 64u);
}

TEST(SessionStateTest, NonPositiveSettingsAreArgumentErrors) {
  for (auto mutate : std::vector<void (*)(SessionConfig*)>{
           [](SessionConfig* c) { c->target_partitions = 0; },
           [](SessionConfig* c) { c->batch_size = 0; },
           [](SessionConfig* c) { c->memory_limit_bytes = -1; }}) {
    SessionConfig config;
    mutate(&config);
    auto state = SessionState::Make(config);
    ASSERT_FALSE(state.ok());
    EXPECT_TRUE(DescribeError(state.status()).is_invalid_argument) << state.status().ToString();
  }
}

TEST(SessionStateTest, OptionsSetAndGet) {
  ASSERT_OK_AND_ASSIGN(auto state, SessionState::Make(SessionConfig{}));
  state->SetOption("k", "v");
  ASSERT_OK_AND_ASSIGN(auto v, state->GetOption("k"));
  EXPECT_EQ(v, "v");
  state->SetOption("k", "w");
  EXPECT_EQ(*state->GetOption("k"), "w");
  auto missing = state->GetOption("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(ErrorCode(missing.status()), "UNKNOWN_OPTION");
  EXPECT_EQ(ErrorStage(missing.status()), "validation");
  EXPECT_EQ(ErrorDetails(missing.status()).Get("option")->string_value(), "nope");
}

TEST(SessionStateTest, RegistryIsAChildThatShadowsNothing) {
  ASSERT_OK_AND_ASSIGN(auto state, SessionState::Make(SessionConfig{}));
  EXPECT_NE(state->registry(), arrow::compute::GetFunctionRegistry());
  EXPECT_TRUE(state->registry()->GetFunction("add_checked").ok());
  EXPECT_EQ(state->bytes_allocated(), 0);
}

TEST(SessionStateTest, MemoryPoolEnforcesTheLimit) {
  SessionConfig config;
  config.memory_limit_bytes = 1 << 20;
  ASSERT_OK_AND_ASSIGN(auto state, SessionState::Make(config));
  uint8_t* small = nullptr;
  ASSERT_OK(state->memory_pool()->Allocate(1024, &small));
  EXPECT_GE(state->bytes_allocated(), 1024);
  uint8_t* big = nullptr;
  Status st = state->memory_pool()->Allocate(2 << 20, &big);
  EXPECT_TRUE(st.IsOutOfMemory()) << st.ToString();
  EXPECT_EQ(DescribeError(st).code, "MEMORY_LIMIT_EXCEEDED");
  state->memory_pool()->Free(small, 1024);
  EXPECT_EQ(state->bytes_allocated(), 0);
}

TEST(SessionContextTest, MakeFromAFactory) {
  ASSERT_OK_AND_ASSIGN(auto factory, SessionFactory::FromProfile("small"));
  ASSERT_OK_AND_ASSIGN(auto ctx, SessionContext::Make(factory));
  EXPECT_EQ(ctx.state()->config().batch_size, 4096);
  EXPECT_EQ(ctx.state()->config().profile, "small");
  EXPECT_TRUE(ctx.Tables().empty());
}

TEST(SessionContextTest, SessionsAreIndependent) {
  ASSERT_OK_AND_ASSIGN(auto a, SessionContext::Make());
  ASSERT_OK_AND_ASSIGN(auto b, SessionContext::Make());
  auto table = TableFromJSON(arrow::schema({arrow::field("v", arrow::int64())}), {R"([{"v": 1}])"});
  ASSERT_OK(a.RegisterTable("t", table));
  EXPECT_EQ(a.Tables(), (std::vector<std::string>{"t"}));
  EXPECT_TRUE(b.Tables().empty());
  EXPECT_EQ(ErrorCode(b.Table("t").status()), "UNKNOWN_TABLE");
}

TEST(SessionContextTest, CustomDefaultCatalogAndSchema) {
  SessionConfig config;
  config.default_catalog = "cat";
  config.default_schema = "sch";
  ASSERT_OK_AND_ASSIGN(auto ctx, SessionContext::Make(config));
  auto table = TableFromJSON(arrow::schema({arrow::field("v", arrow::int64())}), {R"([{"v": 7}])"});
  ASSERT_OK(ctx.RegisterTable("t", table));
  ASSERT_OK_AND_ASSIGN(auto df, ctx.Table("cat.sch.t"));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(Rows(*result), (std::vector<std::string>{"7"}));
  EXPECT_EQ(ctx.Tables(), (std::vector<std::string>{"t"}));
}

TEST(SessionContextTest, ResultsOutliveTheSession) {
  std::shared_ptr<arrow::Table> result;
  {
    ASSERT_OK_AND_ASSIGN(auto ctx, SessionContext::Make());
    auto table = TableFromJSON(arrow::schema({arrow::field("v", arrow::int64())}),
                               {R"([{"v": 3}, {"v": 1}, {"v": 2}])"});
    ASSERT_OK(ctx.RegisterTable("t", table));
    ASSERT_OK_AND_ASSIGN(auto df, ctx.Table("t"));
    ASSERT_OK_AND_ASSIGN(df, df.Sort({SortKey{Column("v")}}));
    ASSERT_OK_AND_ASSIGN(result, df.Collect());
  }
  ASSERT_OK(result->ValidateFull());
  EXPECT_EQ(Rows(*result), (std::vector<std::string>{"1", "2", "3"}));
}

}  // namespace
}  // namespace codeanatomy::engine
