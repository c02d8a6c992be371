// Every transform kind of the v4 spec compiled by CompileSpec and checked against the same query
// written with the DataFrame API (or, for the Delta-reading kinds, against the Delta reader
// itself), plus values worked out by hand where the API has no equivalent (PropsMap's JSON).
#include <filesystem>

#include <arrow/compute/cast.h>
#include <arrow/table.h>
#include <gtest/gtest.h>

#include "../engine/test_util.h"
#include "common/hash.h"
#include "delta/change_feed.h"
#include "delta/table_functions.h"
#include "delta/writer.h"
#include "engine/session_context.h"
#include "functions/registry_snapshot.h"
#include "semantic/compiler.h"
#include "semantic/join_graph.h"
#include "semantic/run_build.h"

namespace codeanatomy::semantic {
namespace {

namespace fs = std::filesystem;
using engine::AggregateCall;
using engine::Alias;
using engine::Call;
using engine::Cast;
using engine::Column;
using engine::DataFrame;
using engine::ExprPtr;
using engine::testing::Bool;
using engine::testing::ErrorCode;
using engine::testing::ErrorDetails;
using engine::testing::ErrorStage;
using engine::testing::Int64;
using engine::testing::SortedRows;
using engine::testing::Str;
using engine::testing::TableFromJSON;

class TransformsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(engine::InitializeArrow());
    root_ = fs::temp_directory_path() / ("ca_transforms_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    Write(
        "defs",
        arrow::schema({arrow::field("id", arrow::int64()), arrow::field("name", arrow::utf8()),
                       arrow::field("path", arrow::utf8()), arrow::field("bstart", arrow::int64()),
                       arrow::field("bend", arrow::int64())}),
        R"([{"id": 1, "name": " f ", "path": "a.py", "bstart": 0, "bend": 5},
              {"id": 2, "name": "\uff47", "path": "a.py", "bstart": 7, "bend": 9},
              {"id": 3, "name": "h", "path": "b.py", "bstart": 0, "bend": 4}])");
    Write(
        "calls",
        arrow::schema(
            {arrow::field("callee", arrow::int64()), arrow::field("name", arrow::utf8())}),
        R"([{"callee": 1, "name": "h"}, {"callee": 1, "name": "h"}, {"callee": 3, "name": "x"}])");
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& name, std::shared_ptr<arrow::Schema> schema,
             const std::string& rows, delta::WriteMode mode = delta::WriteMode::kOverwrite) {
    auto table = TableFromJSON(schema, {rows});
    delta::WriteOptions options;
    options.mode = mode;
    ASSERT_OK(delta::WriteDelta((root_ / name).string(),
                                std::make_shared<arrow::TableBatchReader>(table), options)
                  .status());
  }

  std::string Location(const std::string& name) const { return (root_ / name).string(); }

  SemanticSpec Spec(std::vector<ViewDefinition> views) {
    SemanticSpec spec;
    for (const char* name : {"defs", "calls"}) {
      spec.input_relations.push_back({name, Location(name), false, std::nullopt});
    }
    spec.view_definitions = std::move(views);
    return spec;
  }

  static ViewDefinition View(std::string name, ViewTransform transform) {
    return {std::move(name), "test", {}, std::move(transform), {}};
  }

  // Compiles `spec` on a session with the codeanatomy functions and returns the last view's
  // sorted rows; `ctx_` stays open for the DataFrame-API side of the comparison.
  Result<std::vector<std::string>> Compiled(const SemanticSpec& spec) {
    CA_ASSIGN_OR_RAISE(ctx_, engine::SessionContext::Make());
    CA_RETURN_NOT_OK(functions::InstallCodeanatomyBundle(ctx_->state().get()));
    CA_RETURN_NOT_OK(delta::RegisterDeltaTableFunctions(ctx_->state().get()));
    CA_ASSIGN_OR_RAISE(auto plan, CompileSpec(*ctx_, spec));
    CA_ASSIGN_OR_RAISE(auto table, plan.views.back().df.Collect());
    return SortedRows(*table);
  }

  Result<std::vector<std::string>> Rows(const Result<DataFrame>& df) {
    CA_RETURN_NOT_OK(df.status());
    CA_ASSIGN_OR_RAISE(auto table, df->Collect());
    return SortedRows(*table);
  }

  DataFrame Table(const std::string& name) { return ctx_->Table(name).ValueOrDie(); }

  fs::path root_;
  std::optional<engine::SessionContext> ctx_;
};

TEST_F(TransformsTest, Filter) {
  ASSERT_OK_AND_ASSIGN(auto got, Compiled(Spec({View("v", FilterTransform{"defs", "id > 1"})})));
  ASSERT_OK_AND_ASSIGN(auto want, Rows(Table("defs").Filter(Call(">", {Column("id"), Int64(1)}))));
  EXPECT_EQ(got, want);
  EXPECT_EQ(got.size(), 2u);
}

TEST_F(TransformsTest, ProjectColumnsAndExpressions) {
  ASSERT_OK_AND_ASSIGN(
      auto got, Compiled(Spec({View("v", ProjectTransform{"defs", {"id", "upper(path) AS p"}})})));
  ASSERT_OK_AND_ASSIGN(
      auto want,
      Rows(Table("defs").Select({Column("id"), Alias(Call("upper", {Column("path")}), "p")})));
  EXPECT_EQ(got, want);
  EXPECT_EQ(got.front(), "1|A.PY");
}

TEST_F(TransformsTest, RelateInnerAndLeftOnASharedKey) {
  for (JoinType type : {JoinType::kInner, JoinType::kLeft}) {
    ASSERT_OK_AND_ASSIGN(
        auto got,
        Compiled(Spec({View("v", RelateTransform{"defs", "calls", type, {{"name", "name"}}})})));
    auto joined = Table("defs").Join(
        Table("calls"),
        type == JoinType::kInner ? engine::JoinType::kInner : engine::JoinType::kLeft, {"name"},
        {"name"});
    ASSERT_OK(joined.status());
    ASSERT_OK_AND_ASSIGN(
        auto want, Rows(joined->Select({Column("id"), Column("name"), Column("path"),
                                        Column("bstart"), Column("bend"), Column("callee")})));
    EXPECT_EQ(got, want);
    EXPECT_EQ(got.size(), type == JoinType::kInner ? 2u : 4u);  // h is called twice
  }
}

TEST_F(TransformsTest, UnionByNameWithADiscriminator) {
  auto spec = Spec({View("a", ProjectTransform{"defs", {"name"}}),
                    View("b", ProjectTransform{"calls", {"name"}}),
                    View("v", UnionTransform{{"a", "b"}, std::string("origin"), false})});
  ASSERT_OK_AND_ASSIGN(auto got, Compiled(spec));
  auto tagged = [&](const std::string& table, const std::string& tag) {
    return Table(table).Select({Column("name"), Alias(Str(tag), "origin")}).ValueOrDie();
  };
  ASSERT_OK_AND_ASSIGN(auto want, Rows(tagged("defs", "a").Union(tagged("calls", "b"), false)));
  EXPECT_EQ(got, want);
  EXPECT_EQ(got.size(), 6u);
  // distinct: the two identical calls rows are one.
  spec.view_definitions.back().transform = UnionTransform{{"a", "b"}, std::nullopt, true};
  ASSERT_OK_AND_ASSIGN(auto distinct, Compiled(spec));
  EXPECT_EQ(distinct, (std::vector<std::string>{" f ", "h", "x", "\xef\xbd\x87"}));
}

TEST_F(TransformsTest, Aggregate) {
  ASSERT_OK_AND_ASSIGN(
      auto got,
      Compiled(Spec(
          {View("v", AggregateTransform{
                         "calls", {"callee"}, {{"*", "count", "n"}, {"name", "max", "last"}}})})));
  ASSERT_OK_AND_ASSIGN(
      auto want, Rows(Table("calls").Aggregate(
                     {Column("callee")}, {Alias(AggregateCall("count", {}), "n"),
                                          Alias(AggregateCall("max", {Column("name")}), "last")})));
  EXPECT_EQ(got, want);
  EXPECT_EQ(got, (std::vector<std::string>{"1|2|h", "3|1|x"}));
}

TEST_F(TransformsTest, NormalizeAddsSpanAndStableIdAndNormalizesText) {
  NormalizeTransform t{"defs", {"path"}, std::make_pair("bstart", "bend"), {"name"}};
  ASSERT_OK_AND_ASSIGN(auto got, Compiled(Spec({View("defs_norm", t)})));
  ExprPtr span = Call("span_make", {Column("bstart"), Column("bend")});
  ExprPtr id =
      Call("stable_id_parts", {Str("defs_norm"), Column("path"), Column("bstart"), Column("bend")});
  ASSERT_OK_AND_ASSIGN(
      auto want,
      Rows(Table("defs").Select(
          {Column("id"),
           Alias(Call("utf8_normalize", {Column("name"), Str("NFKC"), Bool(false), Bool(false)}),
                 "name"),
           Column("path"), Column("bstart"), Column("bend"), Alias(span, "span"),
           Alias(id, "entity_id")})));
  EXPECT_EQ(got, want);
  // By hand: " f " trimmed, U+FF47 (fullwidth g) NFKC-folded; the id is the CPG id rule.
  std::string id1 = "defs_norm:" + Blake2bHex(std::string("a.py\x1f"
                                                          "0\x1f"
                                                          "5"),
                                              16);
  EXPECT_NE(got[0].find("1|f|a.py|0|5|"), std::string::npos) << got[0];
  EXPECT_NE(got[0].find(id1), std::string::npos) << got[0];
  EXPECT_EQ(got[1].rfind("2|g|", 0), 0u) << got[1];
}

TEST_F(TransformsTest, NormalizeErrorsNameTheField) {
  NormalizeTransform missing{"defs", {"path", "nope"}, std::nullopt, {}};
  auto r = Compiled(Spec({View("v", missing)}));
  EXPECT_EQ(ErrorCode(r.status()), "NORMALIZE_COLUMN_MISSING");
  EXPECT_EQ(ErrorStage(r.status()), "compilation");
  EXPECT_EQ(ErrorDetails(r.status()).Get("field")->string_value(),
            "$.view_definitions[0].transform.id_columns[1]");
  // A second Normalize over the first would add entity_id again.
  NormalizeTransform once{"defs", {"path"}, std::nullopt, {}};
  NormalizeTransform twice{"n1", {"path"}, std::nullopt, {}};
  auto again = Compiled(Spec({View("n1", once), View("n2", twice)}));
  EXPECT_EQ(ErrorCode(again.status()), "NORMALIZE_COLUMN_EXISTS");
  EXPECT_EQ(ErrorDetails(again.status()).Get("column")->string_value(), "entity_id");
  // A text column of another type is normalized as its text.
  NormalizeTransform as_text{"defs", {}, std::nullopt, {"id"}};
  ASSERT_OK_AND_ASSIGN(auto ids, Compiled(Spec({View("v", as_text)})));
  EXPECT_EQ(ids.front().rfind("1| f |a.py", 0), 0u) << ids.front();
}

TEST_F(TransformsTest, IncrementalCdfByVersionAndByTimestamp) {
  Write("defs",
        arrow::schema({arrow::field("id", arrow::int64()), arrow::field("name", arrow::utf8()),
                       arrow::field("path", arrow::utf8()), arrow::field("bstart", arrow::int64()),
                       arrow::field("bend", arrow::int64())}),
        R"([{"id": 4, "name": "k", "path": "c.py", "bstart": 1, "bend": 2}])",
        delta::WriteMode::kAppend);
  delta::ChangeFeedOptions from1;
  from1.starting_version = 1;
  ASSERT_OK_AND_ASSIGN(auto feed, delta::ReadChangeFeed(Location("defs"), from1));
  auto want = SortedRows(*feed);
  ASSERT_EQ(want.size(), 1u);
  EXPECT_EQ(want[0].rfind("4|k|c.py|1|2|insert|1|", 0), 0u) << want[0];

  IncrementalCdfTransform by_version{"defs", 1, std::nullopt, std::nullopt, std::nullopt};
  ASSERT_OK_AND_ASSIGN(auto got, Compiled(Spec({View("v", by_version)})));
  EXPECT_EQ(got, want);

  // The second commit's timestamp, as ISO 8601 text: the feed from then on is that commit.
  auto ts = feed->GetColumnByName("_commit_timestamp")->GetScalar(0).ValueOrDie();
  auto ms = std::static_pointer_cast<arrow::TimestampScalar>(ts)->value;
  auto text =
      arrow::compute::Cast(arrow::Datum(ts), arrow::utf8()).ValueOrDie().scalar()->ToString();
  IncrementalCdfTransform by_time{"defs", std::nullopt, std::nullopt, text, std::nullopt};
  ASSERT_OK_AND_ASSIGN(auto timed, Compiled(Spec({View("v", by_time)})));
  delta::ChangeFeedOptions from_ms;
  from_ms.starting_timestamp_ms = ms;
  ASSERT_OK_AND_ASSIGN(auto feed_ms, delta::ReadChangeFeed(Location("defs"), from_ms));
  EXPECT_EQ(timed, SortedRows(*feed_ms));
  EXPECT_EQ(timed, want);
  // Up to the first commit only.
  IncrementalCdfTransform first{"defs", 0, 0, std::nullopt, std::nullopt};
  ASSERT_OK_AND_ASSIGN(auto v0, Compiled(Spec({View("v", first)})));
  EXPECT_EQ(v0.size(), 3u);
  // A bad time is an error naming the option.
  IncrementalCdfTransform bad{"defs", std::nullopt, std::nullopt, std::string("yesterday"),
                              std::nullopt};
  auto refused = Compiled(Spec({View("v", bad)}));
  EXPECT_EQ(ErrorStage(refused.status()), "compilation");
  EXPECT_NE(refused.status().message().find("starting_timestamp"), std::string::npos)
      << refused.status().ToString();
}

TEST_F(TransformsTest, MetadataAndFileManifestReadTheDeltaLog) {
  Write(
      "calls",
      arrow::schema({arrow::field("callee", arrow::int64()), arrow::field("name", arrow::utf8())}),
      R"([{"callee": 2, "name": "g"}])", delta::WriteMode::kAppend);
  ASSERT_OK_AND_ASSIGN(auto meta, Compiled(Spec({View("v", MetadataTransform{"calls"})})));
  ASSERT_EQ(meta.size(), 1u);
  // The table's uri, then version 1 after two commits.
  EXPECT_EQ(meta[0].rfind(Location("calls") + "|1|", 0), 0u) << meta[0];
  ASSERT_OK_AND_ASSIGN(auto files, Compiled(Spec({View("v", FileManifestTransform{"calls"})})));
  EXPECT_EQ(files.size(), 2u);  // one file per write
}

TEST_F(TransformsTest, CpgEmitCastsOntoTheCpgColumns) {
  auto spec =
      Spec({View("n", ProjectTransform{"defs",
                                       {"CAST(id AS VARCHAR) AS node_id", "'FUNCTION' AS node_kind",
                                        "path", "bstart", "bend", "path AS file_id", "name"}}),
            View("v", CpgEmitTransform{CpgOutputKind::kNodes, {"n"}})});
  ASSERT_OK_AND_ASSIGN(auto got, Compiled(spec));
  ASSERT_OK_AND_ASSIGN(
      auto want, Rows(Table("defs").Select({Alias(Cast(Column("id"), arrow::utf8()), "node_id"),
                                            Alias(Str("FUNCTION"), "node_kind"), Column("path"),
                                            Column("bstart"), Column("bend"),
                                            Alias(Column("path"), "file_id"), Column("name")})));
  EXPECT_EQ(got, want);
}

TEST_F(TransformsTest, CpgEmitPropsMapIsOneJsonObjectPerEntity) {
  Write("props",
        arrow::schema(
            {arrow::field("entity_kind", arrow::utf8()), arrow::field("entity_id", arrow::utf8()),
             arrow::field("prop_key", arrow::utf8()), arrow::field("value_type", arrow::utf8()),
             arrow::field("value_string", arrow::utf8()), arrow::field("value_int", arrow::int64()),
             arrow::field("value_float", arrow::float64()),
             arrow::field("value_bool", arrow::boolean()),
             arrow::field("value_json", arrow::utf8())}),
        R"([{"entity_kind": "node", "entity_id": "n1", "prop_key": "name", "value_type": "string",
             "value_string": "say \"hi\"\\\n"},
            {"entity_kind": "node", "entity_id": "n1", "prop_key": "arity", "value_type": "int",
             "value_int": 3},
            {"entity_kind": "node", "entity_id": "n1", "prop_key": "is_async", "value_type": "bool",
             "value_bool": false},
            {"entity_kind": "node", "entity_id": "n1", "prop_key": "doc", "value_type": "string"},
            {"entity_kind": "edge", "entity_id": "e1", "prop_key": "weight", "value_type": "float",
             "value_float": 0.5},
            {"entity_kind": "edge", "entity_id": "e1", "prop_key": "tags", "value_type": "json",
             "value_json": "[1,2]"}])");
  auto spec = Spec({View("v", CpgEmitTransform{CpgOutputKind::kPropsMap, {"props"}})});
  spec.input_relations.push_back({"props", Location("props"), false, std::nullopt});
  ASSERT_OK_AND_ASSIGN(auto got, Compiled(spec));
  // By hand: keys sorted, strings escaped (quote, backslash, newline), NULL as null.
  EXPECT_EQ(got,
            (std::vector<std::string>{
                R"(edge|e1|{"tags":[1,2],"weight":0.5}|2)",
                R"(node|n1|{"arity":3,"doc":null,"is_async":false,"name":"say \"hi\"\\\n"}|4)"}));
}

// ---- typed parameters and pushdown contracts

TypedParameter Placeholder(int64_t position, ParameterValue value) {
  return {std::nullopt, PlaceholderPosTarget{position}, std::move(value)};
}

TEST_F(TransformsTest, PlaceholderParametersBindTheViewsSql) {
  auto spec = Spec({View("v", FilterTransform{"defs", "id >= $1 AND path = $2"})});
  spec.typed_parameters = {Placeholder(2, {ParameterType::kUtf8, std::string("a.py"), {}}),
                           Placeholder(1, {ParameterType::kInt64, int64_t{2}, {}})};
  ASSERT_OK_AND_ASSIGN(auto got, Compiled(spec));
  ASSERT_OK_AND_ASSIGN(
      auto want,
      Rows(Table("defs").Filter(Call("and", {Call(">=", {Column("id"), Int64(2)}),
                                             Call("=", {Column("path"), Str("a.py")})}))));
  EXPECT_EQ(got, want);
  ASSERT_EQ(got.size(), 1u);
  // A $n without a parameter: the SQL binder's error, with the view.
  spec.typed_parameters.pop_back();
  auto missing = Compiled(spec);
  EXPECT_EQ(ErrorCode(missing.status()), "PARAMETER_MISSING");
  EXPECT_EQ(ErrorStage(missing.status()), "compilation");
  EXPECT_EQ(ErrorDetails(missing.status()).Get("view")->string_value(), "v");
}

TEST_F(TransformsTest, FilterEqParametersFilterTheInputRelation) {
  auto spec = Spec({View("v", ProjectTransform{"defs", {"id", "path"}})});
  spec.typed_parameters = {{std::string("only b"),
                            FilterEqTarget{std::string("defs"), "path"},
                            {ParameterType::kUtf8, std::string("b.py"), {}}}};
  ASSERT_OK_AND_ASSIGN(auto got, Compiled(spec));
  EXPECT_EQ(got, (std::vector<std::string>{"3|b.py"}));
  // Without base_table: every input relation with the column (calls has `name`, so has defs).
  spec.view_definitions = {View("v", ProjectTransform{"calls", {"callee"}})};
  spec.typed_parameters = {{std::nullopt,
                            FilterEqTarget{std::nullopt, "name"},
                            {ParameterType::kUtf8, std::string("h"), {}}}};
  ASSERT_OK_AND_ASSIGN(auto calls, Compiled(spec));
  EXPECT_EQ(calls, (std::vector<std::string>{"1", "1"}));
  ASSERT_OK_AND_ASSIGN(auto defs, Rows(Table("defs")));
  EXPECT_EQ(defs.size(), 1u);  // the one def named "h"
  // A column nobody has, and a base_table that is not an input: the parameter's path.
  spec.typed_parameters = {{std::nullopt,
                            FilterEqTarget{std::nullopt, "nope"},
                            {ParameterType::kInt64, int64_t{1}, {}}}};
  auto none = Compiled(spec);
  EXPECT_EQ(ErrorCode(none.status()), "PARAMETER_TARGET_NOT_FOUND");
  EXPECT_EQ(ErrorDetails(none.status()).Get("path")->string_value(),
            "$.typed_parameters[0].target");
  spec.typed_parameters[0].target = FilterEqTarget{std::string("v"), "callee"};
  EXPECT_EQ(ErrorCode(Compiled(spec).status()), "PARAMETER_TARGET_NOT_FOUND");
}

TEST_F(TransformsTest, StrictFailsOnAFilterTheDeltaProviderCannotPruneWith) {
  // stable_hash64 is a codeanatomy UDF: Arrow's registry cannot bind it, so the Delta scan
  // gets no pruning hint from that conjunct; `id > 1` reaches the provider.
  auto spec = Spec({View("v", FilterTransform{"defs", "id > 1 AND stable_hash64(name) > 0"})});
  spec.output_targets = {
      {"out", Location("out"), "v", {}, MaterializationMode::kOverwrite, {}, {}, std::nullopt}};
  ASSERT_OK_AND_ASSIGN(auto warned, [&]() -> Result<CompiledPlan> {
    CA_ASSIGN_OR_RAISE(auto ctx, engine::SessionContext::Make());
    CA_RETURN_NOT_OK(functions::InstallCodeanatomyBundle(ctx.state().get()));
    return CompileSpec(ctx, spec);
  }());
  ASSERT_EQ(warned.warnings.size(), 1u);
  EXPECT_EQ(warned.warnings[0].code, "PUSHDOWN_CONTRACT_VIOLATION");
  EXPECT_EQ(warned.warnings[0].context.Get("violation_count")->int_value(), 1);
  EXPECT_EQ(warned.warnings[0].context.Get("table_name")->string_value(), "defs");

  spec.rulepack_profile = RulepackProfile::kStrict;
  auto strict = Compiled(spec);
  EXPECT_EQ(ErrorCode(strict.status()), "PUSHDOWN_CONTRACT_VIOLATION");
  EXPECT_EQ(ErrorStage(strict.status()), "compliance");
  EXPECT_EQ(ErrorDetails(strict.status()).Get("table_name")->string_value(), "defs");
  EXPECT_EQ(ErrorDetails(strict.status()).Get("violation_count")->int_value(), 1);
  // Disabled skips the check (the profile's Strict still enforces it).
  spec.rulepack_profile = RulepackProfile::kDefault;
  spec.runtime.pushdown_enforcement_mode = PushdownEnforcementMode::kDisabled;
  ASSERT_OK(Compiled(spec).status());
  // Strict with portable filters only compiles.
  spec.runtime.pushdown_enforcement_mode = PushdownEnforcementMode::kStrict;
  spec.view_definitions[0].transform = FilterTransform{"defs", "id > 1 AND name <> 'x'"};
  ASSERT_OK_AND_ASSIGN(auto ok, Compiled(spec));
  EXPECT_EQ(ok.size(), 2u);
}

// ---- cache policy

TEST_F(TransformsTest, SharedViewsAreCachedAndComputedOnce) {
  auto spec = Spec({View("big", FilterTransform{"defs", "id > 1"}),
                    View("named", ProjectTransform{"big", {"id", "upper(name) AS n"}}),
                    View("a", FilterTransform{"named", "id = 2"}),
                    View("b", FilterTransform{"named", "id = 3"}),
                    View("c", ProjectTransform{"calls", {"callee"}})});
  auto target = [&](const std::string& view) {
    return OutputTarget{
        view,        Location("out_" + view), view, {}, MaterializationMode::kOverwrite, {}, {},
        std::nullopt};
  };
  spec.output_targets = {target("a"), target("b"), target("c")};
  // a and b share big and named; named is the last shared step, so only it is cached.
  spec.cache_policy = JsonValue::Parse(R"({"min_fanout": 2, "views": ["c"]})").ValueOrDie();
  ASSERT_OK_AND_ASSIGN(auto ctx, engine::SessionContext::Make());
  ASSERT_OK(functions::InstallCodeanatomyBundle(ctx.state().get()));
  ASSERT_OK_AND_ASSIGN(auto plan, CompileSpec(ctx, spec));
  EXPECT_EQ(plan.cached_views, (std::vector<std::string>{"c", "named"}));
  ASSERT_OK_AND_ASSIGN(auto first, plan.view("a")->df.Collect());
  EXPECT_EQ(SortedRows(*first), (std::vector<std::string>{"2|\xef\xbc\xa7"}));  // upper(U+FF47)
  // The input is gone; b still reads the rows named computed for a.
  fs::remove_all(root_ / "defs");
  ASSERT_OK_AND_ASSIGN(auto second, plan.view("b")->df.Collect());
  EXPECT_EQ(SortedRows(*second), (std::vector<std::string>{"3|H"}));
}

TEST_F(TransformsTest, ACachePolicyNamesTheBadField) {
  auto spec = Spec({View("v", FilterTransform{"defs", "id > 1"})});
  spec.output_targets = {
      {"v", Location("out"), "v", {}, MaterializationMode::kOverwrite, {}, {}, std::nullopt}};
  for (const auto& [policy, path] : std::vector<std::pair<std::string, std::string>>{
           {R"({"views": ["v", "w"]})", "$.cache_policy.views[1]"},
           {R"({"min_fanout": 1})", "$.cache_policy.min_fanout"},
           {R"({"viewz": []})", "$.cache_policy.viewz"}}) {
    spec.cache_policy = JsonValue::Parse(policy).ValueOrDie();
    auto r = ParseAndValidateSpec(SpecToJson(spec).ToJson());
    EXPECT_EQ(ErrorCode(r.status()), "INVALID_SPEC_JSON") << policy;
    EXPECT_EQ(ErrorDetails(r.status()).Get("path")->string_value(), path) << policy;
  }
}

// ---- the join graph

TEST_F(TransformsTest, ARelateWithoutKeysTakesTheJoinGraphsEdge) {
  auto spec = Spec({View("v", RelateTransform{"calls", "defs", JoinType::kInner, {}})});
  spec.join_graph.edges = {{"defs", "calls", JoinType::kInner, {"name"}, {"name"}}};
  ASSERT_OK_AND_ASSIGN(auto got, Compiled(spec));
  EXPECT_EQ(got, (std::vector<std::string>{"1|h|3|b.py|0|4", "1|h|3|b.py|0|4"}));
  spec.join_graph.edges.clear();
  EXPECT_EQ(ErrorCode(Compiled(spec).status()), "INVALID_JOIN_KEYS");
  // An edge's key that its relation lacks, with the path (the view gives its own keys).
  spec.view_definitions[0].transform =
      RelateTransform{"calls", "defs", JoinType::kInner, {{"name", "name"}}};
  spec.join_graph.edges = {{"defs", "calls", JoinType::kInner, {"name"}, {"nam"}}};
  auto bad = Compiled(spec);
  EXPECT_EQ(ErrorCode(bad.status()), "INVALID_JOIN_KEYS");
  EXPECT_EQ(ErrorDetails(bad.status()).Get("path")->string_value(),
            "$.join_graph.edges[0].right_keys[0]");
  // A relation no one defined is refused at validation.
  spec.join_graph.edges = {{"defs", "cals", JoinType::kInner, {"name"}, {"name"}}};
  spec.output_targets = {
      {"v", Location("out"), "v", {}, MaterializationMode::kOverwrite, {}, {}, std::nullopt}};
  auto unknown = ParseAndValidateSpec(SpecToJson(spec).ToJson());
  EXPECT_EQ(ErrorCode(unknown.status()), "INVALID_SPEC_JSON");
  EXPECT_EQ(ErrorDetails(unknown.status()).Get("path")->string_value(),
            "$.join_graph.edges[0].right_relation");
}

TEST_F(TransformsTest, ConstraintsAreVerifiedOnTheData) {
  auto spec = Spec({View("v", ProjectTransform{"calls", {"callee"}})});
  ASSERT_OK(Compiled(spec).status());
  // calls: callee 1 twice (not unique), names all set (not null); defs ids unique.
  auto verify = [&](JoinConstraint c) -> Status {
    std::vector<RunWarning> warnings;
    JoinGraph graph;
    graph.constraints = {std::move(c)};
    CA_RETURN_NOT_OK(CheckJoinGraphColumns(
        graph,
        {{"calls", {"callee", "name"}}, {"defs", {"id", "name", "path", "bstart", "bend"}}}));
    CA_RETURN_NOT_OK(VerifyConstraints(*ctx_, graph, warnings));
    return warnings.empty() ? Status::OK() : Status::Invalid(warnings[0].code);
  };
  ASSERT_OK(verify({"ids", "primary_key", {"defs"}, {"id"}}));
  ASSERT_OK(verify({"named", "not_null", {"calls", "defs"}, {"name"}}));
  Status dup = verify({"callee_unique", "unique", {"calls"}, {"callee"}});
  EXPECT_EQ(ErrorCode(dup), "JOIN_CONSTRAINT_VIOLATION");
  EXPECT_EQ(ErrorStage(dup), "compliance");
  EXPECT_EQ(ErrorDetails(dup).Get("violation_count")->int_value(), 1);  // one extra row
  EXPECT_EQ(ErrorDetails(dup).Get("relation")->string_value(), "calls");
  // (1, h) twice: the pair is not unique either.
  EXPECT_EQ(ErrorCode(verify({"pair_unique", "unique", {"calls"}, {"callee", "name"}})),
            "JOIN_CONSTRAINT_VIOLATION");
  EXPECT_EQ(verify({"x", "sorted", {"calls"}, {"callee"}}).message(), "JOIN_CONSTRAINT_UNCHECKED");
  EXPECT_EQ(ErrorCode(verify({"c", "unique", {"calls"}, {"id"}})), "INVALID_JOIN_CONSTRAINT");
}

}  // namespace
}  // namespace codeanatomy::semantic
