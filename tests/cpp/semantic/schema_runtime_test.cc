// The schema runtime of a small spec over Delta tables written here: every dataset's columns with
// types worked out by hand, contracts, lookups by name and kind, and the errors of reading its
// JSON back.
#include "semantic/schema_runtime.h"

#include <filesystem>

#include <arrow/table.h>
#include <gtest/gtest.h>

#include "../engine/test_util.h"
#include "delta/writer.h"
#include "engine/session_state.h"

namespace codeanatomy::semantic {
namespace {

namespace fs = std::filesystem;
using engine::testing::ErrorCode;
using engine::testing::ErrorDetails;
using engine::testing::ErrorStage;
using engine::testing::TableFromJSON;
using Cols = std::vector<DatasetColumn>;

class SchemaRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(engine::InitializeArrow());
    root_ = fs::temp_directory_path() / ("ca_schema_runtime_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    Write("files",
          arrow::schema({arrow::field("file_id", arrow::utf8()),
                         arrow::field("path", arrow::utf8(), /*nullable=*/false),
                         arrow::field("size", arrow::int64()),
                         arrow::field("score", arrow::float64()),
                         arrow::field("ok", arrow::boolean())}),
          R"([{"file_id": "f1", "path": "a.py", "size": 3, "score": 0.5, "ok": true},
              {"file_id": "f2", "path": "b.py", "size": 1, "score": 1.5, "ok": false}])");
    Write("symbols",
          arrow::schema({arrow::field("file_id", arrow::utf8()),
                         arrow::field("symbol", arrow::utf8()),
                         arrow::field("line", arrow::int32())}),
          R"([{"file_id": "f1", "symbol": "main", "line": 1}])");
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& name, std::shared_ptr<arrow::Schema> schema,
             const std::string& rows) {
    auto table = TableFromJSON(schema, {rows});
    ASSERT_OK(delta::WriteDelta((root_ / name).string(),
                                std::make_shared<arrow::TableBatchReader>(table),
                                delta::WriteOptions{})
                  .status());
  }

  std::string Spec() const {
    JsonValue spec = JsonValue::Parse(R"json({
      "version": 4,
      "input_relations": [
        {"logical_name": "files", "delta_location": "FILES"},
        {"logical_name": "symbols", "delta_location": "SYMBOLS", "version_pin": 0}],
      "view_definitions": [
        {"name": "py", "view_kind": "filter", "view_dependencies": [],
         "transform": {"kind": "Filter", "source": "files", "predicate": "size > 1"},
         "output_schema": {"columns": {"path": "Utf8"}}},
        {"name": "joined", "view_kind": "relate", "view_dependencies": ["py"],
         "transform": {"kind": "Relate", "left": "py", "right": "symbols", "join_type": "Inner",
                       "join_keys": [{"left_key": "file_id", "right_key": "file_id"}]},
         "output_schema": {"columns": {}}},
        {"name": "counts", "view_kind": "aggregate", "view_dependencies": ["py"],
         "transform": {"kind": "Aggregate", "source": "py", "group_by": ["path"],
                       "aggregations": [{"column": "size", "function": "sum", "alias": "total"},
                                        {"column": "score", "function": "max", "alias": "best"}]},
         "output_schema": {"columns": {}}}],
      "join_graph": {"edges": [], "constraints": []},
      "output_targets": [
        {"table_name": "counts", "source_view": "counts", "delta_location": "/out/counts",
         "columns": []},
        {"table_name": "joined_out", "source_view": "joined", "columns": ["symbol", "line"],
         "partition_by": ["symbol"], "materialization_mode": "Append"}],
      "rule_intents": [],
      "rulepack_profile": "Default"})json")
                         .ValueOrDie();
    auto& inputs = spec.mutable_object()["input_relations"].mutable_array();
    inputs[0].Set("delta_location", (root_ / "files").string());
    inputs[1].Set("delta_location", (root_ / "symbols").string());
    return spec.ToJson();
  }

  Result<SchemaRuntime> Runtime() const {
    CA_ASSIGN_OR_RAISE(auto factory, engine::SessionFactory::FromProfile("small"));
    CA_ASSIGN_OR_RAISE(auto spec, ParseAndValidateSpec(Spec()));
    return SchemaRuntime::Make(factory, spec);
  }

  fs::path root_;
};

const DatasetSchema& Dataset(const SchemaRuntime& runtime, std::string_view name) {
  return *runtime.Find(name).ValueOrDie();
}

TEST_F(SchemaRuntimeTest, EveryDatasetWithItsTypes) {
  ASSERT_OK_AND_ASSIGN(SchemaRuntime runtime, Runtime());
  EXPECT_EQ(runtime.Names(),
            (std::vector<std::string>{"files", "symbols", "py", "joined", "counts", "joined_out"}));

  const DatasetSchema& files = Dataset(runtime, "files");
  EXPECT_EQ(files.kind, DatasetKind::kInput);
  EXPECT_EQ(files.location, (root_ / "files").string());
  EXPECT_EQ(files.columns, (Cols{{"file_id", "string", true},
                                 {"path", "string", false},
                                 {"size", "int64", true},
                                 {"score", "double", true},
                                 {"ok", "bool", true}}));
  EXPECT_EQ(files.contract.ToJson(), R"({"requires_lineage":false,"version_pin":null})");
  EXPECT_EQ(Dataset(runtime, "symbols").contract.Get("version_pin")->int_value(), 0);
  EXPECT_EQ(Dataset(runtime, "symbols").columns[2], (DatasetColumn{"line", "int32", true}));

  const DatasetSchema& py = Dataset(runtime, "py");
  EXPECT_EQ(py.kind, DatasetKind::kView);
  EXPECT_FALSE(py.location.has_value());
  EXPECT_EQ(py.columns, files.columns);  // a filter keeps its input's columns
  EXPECT_EQ(py.contract.ToJson(),
            R"({"dependencies":[],"output_schema":{"path":"Utf8"},"transform":"Filter",)"
            R"("view_kind":"filter"})");

  // Relate: the left side's columns, then the right's not in it; the shared key once.
  std::vector<std::string> joined;
  for (const auto& c : Dataset(runtime, "joined").columns) joined.push_back(c.name + ":" + c.type);
  EXPECT_EQ(joined,
            (std::vector<std::string>{"file_id:string", "path:string", "size:int64", "score:double",
                                      "ok:bool", "symbol:string", "line:int32"}));

  // "counts" is both a view and an output: the name gives the output, "view:" the view.
  const DatasetSchema& counts = Dataset(runtime, "counts");
  EXPECT_EQ(counts.kind, DatasetKind::kOutput);
  EXPECT_EQ(counts.location, "/out/counts");
  EXPECT_EQ(Dataset(runtime, "view:counts").kind, DatasetKind::kView);
  std::vector<std::string> aggregated;
  for (const auto& c : counts.columns) aggregated.push_back(c.name + ":" + c.type);
  EXPECT_EQ(aggregated, (std::vector<std::string>{"path:string", "total:int64", "best:double"}));
  EXPECT_EQ(counts.contract.ToJson(),
            R"({"columns":[],"materialization_mode":"Overwrite","partition_by":[],)"
            R"("source_view":"counts"})");

  const DatasetSchema& out = Dataset(runtime, "joined_out");
  EXPECT_FALSE(out.location.has_value());
  EXPECT_EQ(out.columns, (Cols{{"symbol", "string", true}, {"line", "int32", true}}));
  EXPECT_EQ(out.contract.Get("partition_by")->ToJson(), R"(["symbol"])");
  EXPECT_EQ(out.contract.Get("materialization_mode")->string_value(), "Append");
}

TEST_F(SchemaRuntimeTest, JsonIsCanonicalAndReadsBack) {
  ASSERT_OK_AND_ASSIGN(auto factory, engine::SessionFactory::FromProfile("small"));
  ASSERT_OK_AND_ASSIGN(std::string json, SchemaRuntimeJson(factory, Spec()));
  ASSERT_OK_AND_ASSIGN(std::string again, SchemaRuntimeJson(factory, Spec()));
  EXPECT_EQ(json, again);
  ASSERT_OK_AND_ASSIGN(JsonValue parsed, JsonValue::Parse(json));
  EXPECT_EQ(parsed.Get("schema_runtime_version")->int_value(), 1);
  EXPECT_EQ(parsed.Get("spec_hash")->string_value(),
            SpecHashHex(ParseAndValidateSpec(Spec()).ValueOrDie()));
  ASSERT_OK_AND_ASSIGN(SchemaRuntime runtime, Runtime());
  ASSERT_OK_AND_ASSIGN(SchemaRuntime back, SchemaRuntime::FromJson(json));
  EXPECT_EQ(back.datasets(), runtime.datasets());

  ASSERT_OK_AND_ASSIGN(std::string symbols, DatasetSchemaJson(json, "symbols"));
  EXPECT_EQ(symbols, CanonicalJson(Dataset(runtime, "symbols").ToJson()));
  ASSERT_OK_AND_ASSIGN(auto names, DatasetNames(json));
  EXPECT_EQ(names, runtime.Names());
}

TEST_F(SchemaRuntimeTest, Errors) {
  ASSERT_OK_AND_ASSIGN(auto factory, engine::SessionFactory::FromProfile("small"));
  ASSERT_OK_AND_ASSIGN(std::string json, SchemaRuntimeJson(factory, Spec()));

  auto missing = DatasetSchemaJson(json, "file");
  EXPECT_EQ(ErrorCode(missing.status()), "SCHEMA_RUNTIME_DATASET_NAME_MISSING");
  EXPECT_EQ(ErrorStage(missing.status()), "validation");
  JsonValue details = ErrorDetails(missing.status());
  EXPECT_EQ(details.Get("name")->string_value(), "file");
  EXPECT_EQ(details.Get("available")->ToJson(),
            R"(["files","symbols","py","joined","counts","joined_out"])");

  auto expect_invalid = [](const Result<std::string>& r, std::string_view path) {
    EXPECT_EQ(ErrorCode(r.status()), "INVALID_SCHEMA_RUNTIME_JSON") << r.status().ToString();
    EXPECT_EQ(ErrorStage(r.status()), "validation");
    EXPECT_EQ(ErrorDetails(r.status()).Get("path")->string_value(), path);
  };
  expect_invalid(DatasetSchemaJson("{", "files"), "$");
  JsonValue doc = JsonValue::Parse(json).ValueOrDie();
  JsonValue v2 = doc;
  v2.Set("schema_runtime_version", 2);
  expect_invalid(DatasetSchemaJson(v2.ToJson(), "files"), "$.schema_runtime_version");
  JsonValue bad_column = doc;
  bad_column.mutable_object()["datasets"]
      .mutable_array()[1]
      .mutable_object()["columns"]
      .mutable_array()[0]
      .Set("nullable", "yes");
  expect_invalid(DatasetSchemaJson(bad_column.ToJson(), "files"),
                 "$.datasets[1].columns[0].nullable");
  JsonValue bad_kind = doc;
  bad_kind.mutable_object()["datasets"].mutable_array()[0].Set("kind", "table");
  auto names = DatasetNames(bad_kind.ToJson());
  EXPECT_EQ(ErrorCode(names.status()), "INVALID_SCHEMA_RUNTIME_JSON");
  EXPECT_EQ(ErrorDetails(names.status()).Get("path")->string_value(), "$.datasets[0].kind");

  // A spec that does not compile fails as the compiler says.
  std::string broken = Spec();
  broken.replace(broken.find("size > 1"), 8, "nope > 1");
  auto uncompiled = SchemaRuntimeJson(factory, broken);
  EXPECT_EQ(ErrorStage(uncompiled.status()), "compilation");

  // An output whose column Delta has no type for (an interval) cannot be described.
  JsonValue spec = JsonValue::Parse(Spec()).ValueOrDie();
  spec.mutable_object()["view_definitions"].Append(JsonValue::Parse(R"json({"name": "gaps",
      "view_kind": "project", "view_dependencies": [], "output_schema": {"columns": {}},
      "transform": {"kind": "Project", "source": "files",
                    "columns": ["file_id", "INTERVAL '1 day' AS gap"]}})json")
                                                       .ValueOrDie());
  spec.mutable_object()["output_targets"].Append(
      JsonValue::Parse(R"({"table_name": "gaps", "source_view": "gaps", "columns": []})")
          .ValueOrDie());
  auto unstorable = SchemaRuntimeJson(factory, spec.ToJson());
  EXPECT_EQ(ErrorCode(unstorable.status()), "SCHEMA_RUNTIME_SERIALIZE_FAILED")
      << unstorable.status().ToString();
  EXPECT_EQ(ErrorStage(unstorable.status()), "runtime");
  EXPECT_EQ(ErrorDetails(unstorable.status()).Get("dataset")->string_value(), "gaps");
}

}  // namespace
}  // namespace codeanatomy::semantic
