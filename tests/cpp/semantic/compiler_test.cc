// The semantic plan compiler: rule activation by profile, SQL quoting, and views compiled over
// Delta inputs (written here) whose results are checked against values worked out by hand.
#include "semantic/compiler.h"

#include <filesystem>

#include <arrow/table.h>
#include <gtest/gtest.h>

#include "../engine/test_util.h"
#include "delta/table_functions.h"
#include "delta/writer.h"
#include "engine/session_state.h"

namespace codeanatomy::semantic {
namespace {

namespace fs = std::filesystem;
using engine::testing::ErrorCode;
using engine::testing::ErrorDetails;
using engine::testing::ErrorStage;
using engine::testing::Rows;
using engine::testing::TableFromJSON;

SemanticSpec WithRules(RulepackProfile profile) {
  SemanticSpec spec;
  spec.rulepack_profile = profile;
  spec.rule_intents = {{"integrity", RuleClass::kSemanticIntegrity, JsonValue::MakeObject()},
                       {"scan", RuleClass::kDeltaScanAware, JsonValue::MakeObject()},
                       {"safe", RuleClass::kSafety, JsonValue::MakeObject()}};
  return spec;
}

TEST(CompilerTest, RulesFollowTheProfile) {
  using V = std::vector<std::string>;
  EXPECT_EQ(ActiveRules(WithRules(RulepackProfile::kDefault)), (V{"integrity", "scan"}));
  EXPECT_EQ(ActiveRules(WithRules(RulepackProfile::kLowLatency)), (V{"integrity"}));
  EXPECT_EQ(ActiveRules(WithRules(RulepackProfile::kReplay)),
            (V{"integrity", "scan", "strict_safety"}));
  EXPECT_EQ(ActiveRules(WithRules(RulepackProfile::kStrict)),
            (V{"integrity", "scan", "safe", "strict_safety"}));
  // The fingerprint is over names in order.
  EXPECT_NE(RulepackFingerprint({"a", "b"}), RulepackFingerprint({"b", "a"}));
  EXPECT_EQ(RulepackFingerprint({"a", "b"}).size(), 64u);
}

TEST(CompilerTest, QuotingDoublesTheQuote) {
  EXPECT_EQ(QuoteIdent("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(QuoteString("it's"), "'it''s'");
}

class CompileSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(engine::InitializeArrow());
    root_ = fs::temp_directory_path() / ("ca_compiler_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    Write("defs",
          arrow::schema({arrow::field("id", arrow::int64()), arrow::field("name", arrow::utf8())}),
          R"([{"id": 1, "name": "f"}, {"id": 2, "name": "g"}, {"id": 3, "name": "h"}])");
    Write(
        "calls",
        arrow::schema(
            {arrow::field("callee", arrow::int64()), arrow::field("name", arrow::utf8())}),
        R"([{"callee": 1, "name": "f"}, {"callee": 1, "name": "f"}, {"callee": 3, "name": "h"}])");
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& name, std::shared_ptr<arrow::Schema> schema,
             const std::string& rows) {
    auto table = TableFromJSON(schema, {rows});
    delta::WriteOptions options;
    ASSERT_OK(delta::WriteDelta((root_ / name).string(),
                                std::make_shared<arrow::TableBatchReader>(table), options)
                  .status());
  }

  SemanticSpec Spec(ViewTransform transform) {
    SemanticSpec spec;
    spec.input_relations = {{"defs", (root_ / "defs").string(), false, std::nullopt},
                            {"calls", (root_ / "calls").string(), false, std::nullopt}};
    spec.view_definitions = {{"v", "test", {}, std::move(transform), {}}};
    return spec;
  }

  Result<std::vector<std::string>> Run(const SemanticSpec& spec) {
    CA_ASSIGN_OR_RAISE(auto ctx, engine::SessionContext::Make());
    CA_ASSIGN_OR_RAISE(auto plan, CompileSpec(ctx, spec));
    CA_ASSIGN_OR_RAISE(auto table, plan.views.back().df.Collect());
    auto rows = Rows(*table);
    std::sort(rows.begin(), rows.end());
    return rows;
  }

  fs::path root_;
};

TEST_F(CompileSpecTest, SemiAndAntiRelateKeepTheLeftRows) {
  RelateTransform semi{"defs", "calls", JoinType::kSemi, {{"id", "callee"}}};
  ASSERT_OK_AND_ASSIGN(auto called, Run(Spec(semi)));
  EXPECT_EQ(called, (std::vector<std::string>{"1|f", "3|h"}));  // each once, not per call
  RelateTransform anti{"defs", "calls", JoinType::kAnti, {{"id", "callee"}}};
  ASSERT_OK_AND_ASSIGN(auto uncalled, Run(Spec(anti)));
  EXPECT_EQ(uncalled, (std::vector<std::string>{"2|g"}));
}

TEST_F(CompileSpecTest, AColumnOnBothSidesThatIsNotASharedKeyIsRefused) {
  RelateTransform inner{"defs", "calls", JoinType::kInner, {{"id", "callee"}}};
  auto r = Run(Spec(inner));
  EXPECT_EQ(ErrorCode(r.status()), "AMBIGUOUS_COLUMN");
  EXPECT_EQ(ErrorStage(r.status()), "compilation");
  EXPECT_EQ(ErrorDetails(r.status()).Get("column")->string_value(), "name");
  // Joined on the shared name it is one column, and a full join coalesces it.
  RelateTransform full{"defs", "calls", JoinType::kFull, {{"name", "name"}}};
  ASSERT_OK_AND_ASSIGN(auto rows, Run(Spec(full)));
  EXPECT_EQ(rows, (std::vector<std::string>{"1|f|1", "1|f|1", "2|g|null", "3|h|3"}));
}

TEST_F(CompileSpecTest, AggregateAndFileManifest) {
  AggregateTransform agg{"calls", {"callee"}, {{"*", "count", "n"}}};
  ASSERT_OK_AND_ASSIGN(auto counts, Run(Spec(agg)));
  EXPECT_EQ(counts, (std::vector<std::string>{"1|2", "3|1"}));
  FileManifestTransform manifest{"defs"};
  SemanticSpec spec = Spec(manifest);
  ASSERT_OK_AND_ASSIGN(auto ctx, engine::SessionContext::Make());
  ASSERT_OK(delta::RegisterDeltaTableFunctions(ctx.state().get()));
  ASSERT_OK_AND_ASSIGN(auto plan, CompileSpec(ctx, spec));
  ASSERT_OK_AND_ASSIGN(auto files, plan.views.back().df.Collect());
  EXPECT_EQ(files->num_rows(), 1);  // one write, one file
  FileManifestTransform of_view{"v0"};
  spec.view_definitions.insert(spec.view_definitions.begin(),
                               {"v0", "test", {}, ProjectTransform{"defs", {"id"}}, {}});
  spec.view_definitions.back().transform = of_view;
  auto refused = CompileSpec(ctx, spec);
  EXPECT_EQ(ErrorCode(refused.status()), "DELTA_SOURCE_REQUIRED");
}

}  // namespace
}  // namespace codeanatomy::semantic
