// build_spec_json: a spec built from a semantic IR and a request equals the hand-written spec,
// join keys come from join edges or shared columns, and every error code names its path.
#include "semantic/build_spec.h"

#include <string>

#include <gtest/gtest.h>

#include "../engine/test_util.h"
#include "common/json.h"

namespace codeanatomy::semantic {
namespace {

using engine::testing::ErrorCode;
using engine::testing::ErrorDetails;
using engine::testing::ErrorStage;

constexpr std::string_view kIr = R"json({
  "ir_version": 1,
  "views": [
    {"name": "py_files", "kind": "filter", "inputs": ["files"],
     "predicate": "language = 'python'", "output_columns": {"file_id": "Utf8", "path": "Utf8"}},
    {"name": "file_symbols", "kind": "relate", "inputs": ["py_files", "symbols"],
     "join_type": "inner", "join_keys": ["file_id"]},
    {"name": "sizes", "kind": "aggregate", "inputs": ["file_symbols"], "group_by": ["path"],
     "aggregations": [{"column": "size", "function": "sum", "alias": "total"}]},
    {"name": "names", "kind": "union", "inputs": ["py_files", "file_symbols", "py_files"],
     "discriminator_column": "origin"},
    {"name": "nodes", "kind": "cpg_emit", "inputs": ["names"], "output_kind": "nodes"},
    {"name": "lint", "kind": "diagnostic", "inputs": ["files", "nowhere"]}
  ],
  "join_edges": [{"left_relation": "py_files", "right_relation": "symbols",
                  "left_keys": ["file_id"], "right_keys": ["file_id"]}]
})json";

constexpr std::string_view kRequest = R"json({
  "input_locations": {"files": "/data/files",
                      "symbols": {"delta_location": "/data/symbols", "version_pin": 3},
                      "unused": "/data/unused"},
  "output_targets": ["sizes", {"table_name": "cpg_nodes", "source_view": "nodes",
                               "partition_by": ["kind"], "materialization_mode": "append"}],
  "output_locations": {"sizes": "/out/sizes", "cpg_nodes": "/out/nodes"},
  "rulepack_profile": "strict",
  "runtime": {"capture_substrait": true}
})json";

// The same spec written by hand (defaults left out, keys in another order).
constexpr std::string_view kHandWritten = R"json({
  "version": 4,
  "rulepack_profile": "Strict",
  "runtime": {"capture_substrait": true},
  "input_relations": [
    {"logical_name": "files", "delta_location": "/data/files"},
    {"logical_name": "symbols", "delta_location": "/data/symbols", "version_pin": 3}
  ],
  "view_definitions": [
    {"name": "py_files", "view_kind": "filter", "view_dependencies": [],
     "transform": {"kind": "Filter", "source": "files", "predicate": "language = 'python'"},
     "output_schema": {"columns": {"path": "Utf8", "file_id": "Utf8"}}},
    {"name": "file_symbols", "view_kind": "relate", "view_dependencies": ["py_files"],
     "transform": {"kind": "Relate", "left": "py_files", "right": "symbols", "join_type": "Inner",
                   "join_keys": [{"left_key": "file_id", "right_key": "file_id"}]},
     "output_schema": {"columns": {}}},
    {"name": "sizes", "view_kind": "aggregate", "view_dependencies": ["file_symbols"],
     "transform": {"kind": "Aggregate", "source": "file_symbols", "group_by": ["path"],
                   "aggregations": [{"column": "size", "function": "sum", "alias": "total"}]},
     "output_schema": {"columns": {}}},
    {"name": "names", "view_kind": "union", "view_dependencies": ["py_files", "file_symbols"],
     "transform": {"kind": "Union", "sources": ["py_files", "file_symbols", "py_files"],
                   "discriminator_column": "origin", "distinct": false},
     "output_schema": {"columns": {}}},
    {"name": "nodes", "view_kind": "cpg_emit", "view_dependencies": ["names"],
     "transform": {"kind": "CpgEmit", "output_kind": "Nodes", "sources": ["names"]},
     "output_schema": {"columns": {}}}
  ],
  "join_graph": {"edges": [{"left_relation": "py_files", "right_relation": "symbols",
                            "join_type": "Inner", "left_keys": ["file_id"],
                            "right_keys": ["file_id"]}],
                 "constraints": []},
  "output_targets": [
    {"table_name": "sizes", "source_view": "sizes", "delta_location": "/out/sizes", "columns": []},
    {"table_name": "cpg_nodes", "source_view": "nodes", "delta_location": "/out/nodes",
     "columns": [], "partition_by": ["kind"], "materialization_mode": "Append"}
  ],
  "rule_intents": []
})json";

// The IR and request above with `edit` applied to the parsed IR or request.
std::string Edited(std::string_view text, const std::function<void(JsonValue&)>& edit) {
  JsonValue json = JsonValue::Parse(text).ValueOrDie();
  edit(json);
  return json.ToJson();
}

JsonValue& ViewAt(JsonValue& ir, size_t i) {
  return ir.mutable_object()["views"].mutable_array()[i];
}

void ExpectError(const Status& status, std::string_view code, std::string_view path) {
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(ErrorCode(status), code) << status.ToString();
  EXPECT_EQ(ErrorStage(status), "validation");
  JsonValue details = ErrorDetails(status);
  ASSERT_NE(details.Get("path"), nullptr) << status.ToString();
  EXPECT_EQ(details.Get("path")->string_value(), path) << status.ToString();
}

// A two-view IR: `views[0]` a filter over `files`, `views[1]` a relate of it and `symbols`.
JsonValue RelateIr(JsonValue relate_hints) {
  JsonValue ir = JsonValue::Parse(R"json({"ir_version": 1, "views": [
      {"name": "py_files", "kind": "filter", "inputs": ["files"], "predicate": "true"},
      {"name": "joined", "kind": "relate", "inputs": ["py_files", "symbols"]}]})json")
                     .ValueOrDie();
  for (const auto& [key, value] : relate_hints.object_value()) ViewAt(ir, 1).Set(key, value);
  return ir;
}

constexpr std::string_view kRelateRequest = R"json({
  "input_locations": {"files": "/f", "symbols": "/s"}, "output_targets": ["joined"]})json";

Result<RelateTransform> BuiltRelate(const JsonValue& ir) {
  CA_ASSIGN_OR_RAISE(SemanticSpec spec, BuildSpec(ir.ToJson(), kRelateRequest));
  return std::get<RelateTransform>(spec.view_definitions[1].transform);
}

TEST(BuildSpecTest, BuiltSpecEqualsTheHandWrittenSpec) {
  ASSERT_OK_AND_ASSIGN(SemanticSpec built, BuildSpec(kIr, kRequest));
  ASSERT_OK_AND_ASSIGN(SemanticSpec hand, ParseAndValidateSpec(kHandWritten));
  EXPECT_EQ(SpecHashHex(built), SpecHashHex(hand));
  EXPECT_EQ(built, hand);
  ASSERT_OK_AND_ASSIGN(std::string json, BuildSpecJson(kIr, kRequest));
  EXPECT_EQ(json, CanonicalJson(SpecToJson(hand)));
}

TEST(BuildSpecTest, EveryExecutableKindMapsOntoItsTransform) {
  constexpr std::string_view kAllKinds = R"json({"ir_version": 1, "views": [
    {"name": "n", "kind": "normalize", "inputs": ["files"], "id_columns": ["file_id"],
     "span_columns": ["bstart", "bend"], "text_columns": ["name"]},
    {"name": "c", "kind": "incremental_cdf", "inputs": ["files"], "starting_version": 1,
     "ending_timestamp": "2024-01-01T00:00:00"},
    {"name": "m", "kind": "metadata", "inputs": ["files"]},
    {"name": "f", "kind": "file_manifest", "inputs": ["files"]},
    {"name": "p", "kind": "project", "inputs": ["n"], "columns": ["entity_id", "span"]},
    {"name": "u", "kind": "union", "inputs": ["p", "p"], "distinct": true},
    {"name": "e", "kind": "cpg_emit", "inputs": ["n", "u"], "output_kind": "props_map"}]})json";
  ASSERT_OK_AND_ASSIGN(
      SemanticSpec spec,
      BuildSpec(kAllKinds, R"({"input_locations": {"files": "/f"}, "output_targets": ["e"]})"));
  ASSERT_EQ(spec.view_definitions.size(), 7u);
  auto transform = [&](size_t i) { return spec.view_definitions[i].transform; };
  EXPECT_EQ(transform(0), ViewTransform(NormalizeTransform{
                              "files", {"file_id"}, std::make_pair("bstart", "bend"), {"name"}}));
  EXPECT_EQ(transform(1), ViewTransform(IncrementalCdfTransform{
                              "files", 1, std::nullopt, std::nullopt, "2024-01-01T00:00:00"}));
  EXPECT_EQ(transform(2), ViewTransform(MetadataTransform{"files"}));
  EXPECT_EQ(transform(3), ViewTransform(FileManifestTransform{"files"}));
  EXPECT_EQ(transform(4), ViewTransform(ProjectTransform{"n", {"entity_id", "span"}}));
  EXPECT_EQ(transform(5), ViewTransform(UnionTransform{{"p", "p"}, std::nullopt, true}));
  EXPECT_EQ(transform(6), ViewTransform(CpgEmitTransform{CpgOutputKind::kPropsMap, {"n", "u"}}));
  EXPECT_EQ(spec.view_definitions[5].view_dependencies, (std::vector<std::string>{"p"}));
  EXPECT_EQ(spec.view_definitions[6].view_kind, "cpg_emit");
  ASSERT_EQ(spec.input_relations.size(), 1u);  // read by four views, listed once
}

TEST(BuildSpecTest, JoinKeysFromAJoinEdgeInEitherDirection) {
  JsonValue ir = RelateIr(JsonValue::MakeObject());
  JsonValue edge = JsonValue::Parse(R"json({"left_relation": "py_files",
      "right_relation": "symbols", "join_type": "Left", "left_keys": ["file_id", "path"],
      "right_keys": ["fid", "file_path"]})json")
                       .ValueOrDie();
  ir.Set("join_edges", JsonArray{edge});
  ASSERT_OK_AND_ASSIGN(auto forward, BuiltRelate(ir));
  EXPECT_EQ(forward.join_keys,
            (std::vector<JoinKeyPair>{{"file_id", "fid"}, {"path", "file_path"}}));
  EXPECT_EQ(forward.join_type, JoinType::kLeft);  // the edge's type, as the view gives none

  // The edge read backwards gives the keys swapped, and no join type.
  edge.Set("left_relation", "symbols").Set("right_relation", "py_files");
  ir.Set("join_edges", JsonArray{edge});
  ASSERT_OK_AND_ASSIGN(auto backward, BuiltRelate(ir));
  EXPECT_EQ(backward.join_keys,
            (std::vector<JoinKeyPair>{{"fid", "file_id"}, {"file_path", "path"}}));
  EXPECT_EQ(backward.join_type, JoinType::kInner);

  // The view's own join type wins over the edge's; the edge lands in the join graph.
  ViewAt(ir, 1).Set("join_type", "anti");
  ASSERT_OK_AND_ASSIGN(auto anti, BuiltRelate(ir));
  EXPECT_EQ(anti.join_type, JoinType::kAnti);
  ASSERT_OK_AND_ASSIGN(auto spec, BuildSpec(ir.ToJson(), kRelateRequest));
  ASSERT_EQ(spec.join_graph.edges.size(), 1u);
  EXPECT_EQ(spec.join_graph.edges[0].left_relation, "symbols");
}

TEST(BuildSpecTest, JoinKeysFromSharedColumns) {
  // Declared datasets: the filter passes its input's columns through.
  JsonValue ir = RelateIr(JsonValue::MakeObject());
  ir.Set("datasets", JsonValue::Parse(R"json({
      "files": {"columns": ["file_id", "path", "language"]},
      "symbols": {"columns": {"symbol": "Utf8", "path": "Utf8", "file_id": "Utf8"}}})json")
                         .ValueOrDie());
  ASSERT_OK_AND_ASSIGN(auto shared, BuiltRelate(ir));
  // In the left side's column order.
  EXPECT_EQ(shared.join_keys, (std::vector<JoinKeyPair>{{"file_id", "file_id"}, {"path", "path"}}));

  // A view's output_columns, and a project's plain columns, are its columns too.
  ViewAt(ir, 0).Set("output_columns", JsonValue::Parse(R"({"path": "Utf8"})").ValueOrDie());
  ASSERT_OK_AND_ASSIGN(auto declared, BuiltRelate(ir));
  EXPECT_EQ(declared.join_keys, (std::vector<JoinKeyPair>{{"path", "path"}}));
  JsonValue project = JsonValue::Parse(R"json({"name": "py_files", "kind": "project",
      "inputs": ["files"], "columns": ["symbol", "size"]})json")
                          .ValueOrDie();
  ViewAt(ir, 0) = project;
  ASSERT_OK_AND_ASSIGN(auto projected, BuiltRelate(ir));
  EXPECT_EQ(projected.join_keys, (std::vector<JoinKeyPair>{{"symbol", "symbol"}}));
}

TEST(BuildSpecTest, JoinEdgeDerivationFailsAtTheViewsPath) {
  auto unknown = BuildSpec(RelateIr(JsonValue::MakeObject()).ToJson(), kRelateRequest);
  ExpectError(unknown.status(), "JOIN_EDGE_DERIVATION_FAILED", "$.views[1]");
  JsonValue details = ErrorDetails(unknown.status());
  EXPECT_EQ(details.Get("view")->string_value(), "joined");
  EXPECT_EQ(details.Get("left")->string_value(), "py_files");
  EXPECT_EQ(details.Get("right")->string_value(), "symbols");

  JsonValue ir = RelateIr(JsonValue::MakeObject());
  ir.Set("datasets", JsonValue::Parse(R"json({"files": {"columns": ["a"]},
      "symbols": {"columns": ["b"]}})json")
                         .ValueOrDie());
  auto disjoint = BuildSpec(ir.ToJson(), kRelateRequest);
  ExpectError(disjoint.status(), "JOIN_EDGE_DERIVATION_FAILED", "$.views[1]");
  EXPECT_NE(disjoint.status().message().find("share no column"), std::string::npos);
}

TEST(BuildSpecTest, SemanticIrErrors) {
  ExpectError(BuildSpec("{", kRequest).status(), "INVALID_SEMANTIC_IR_JSON", "$");
  ExpectError(
      BuildSpec(Edited(kIr, [](JsonValue& ir) { ir.Set("ir_version", 2); }), kRequest).status(),
      "INVALID_SEMANTIC_IR_JSON", "$.ir_version");
  ExpectError(BuildSpec(Edited(kIr, [](JsonValue& ir) { ir.Set("view", 1); }), kRequest).status(),
              "INVALID_SEMANTIC_IR_JSON", "$.view");
  // A hint of another kind is an unknown field of this one.
  ExpectError(
      BuildSpec(Edited(kIr, [](JsonValue& ir) { ViewAt(ir, 2).Set("predicate", "x"); }), kRequest)
          .status(),
      "INVALID_SEMANTIC_IR_JSON", "$.views[2].predicate");
  ExpectError(
      BuildSpec(Edited(kIr, [](JsonValue& ir) { ViewAt(ir, 2).Set("name", "py_files"); }), kRequest)
          .status(),
      "INVALID_SEMANTIC_IR_JSON", "$.views[2].name");
  // A cycle, found by the spec's own checks, is reported at the IR path.
  auto cycle = BuildSpec(
      Edited(kIr,
             [](JsonValue& ir) { ViewAt(ir, 0).Set("inputs", JsonArray{JsonValue("nodes")}); }),
      kRequest);
  EXPECT_EQ(ErrorCode(cycle.status()), "INVALID_SEMANTIC_IR_JSON");
  EXPECT_NE(cycle.status().message().find("dependency cycle"), std::string::npos);
  EXPECT_EQ(ErrorDetails(cycle.status()).Get("path")->string_value().rfind("$.views[", 0), 0u);

  ExpectError(BuildSpec(R"({"ir_version": 1, "views": []})", kRequest).status(),
              "SEMANTIC_IR_MISSING_VIEWS", "$.views");
  ExpectError(BuildSpec(R"({"ir_version": 1})", kRequest).status(), "SEMANTIC_IR_MISSING_VIEWS",
              "$.views");
  auto only_diagnostics = BuildSpec(
      R"({"ir_version": 1, "views": [{"name": "d", "kind": "diagnostic", "inputs": []},
                                     {"name": "a", "kind": "artifact", "inputs": ["d"]}]})",
      kRequest);
  ExpectError(only_diagnostics.status(), "SEMANTIC_IR_MISSING_EXECUTABLE_VIEWS", "$.views");
  EXPECT_EQ(ErrorDetails(only_diagnostics.status()).Get("non_executable")->ToJson(),
            R"(["d","a"])");
}

TEST(BuildSpecTest, ViewTransformDerivationErrors) {
  auto edit_view = [](size_t i, std::string key, JsonValue value) {
    return BuildSpec(Edited(kIr, [&](JsonValue& ir) { ViewAt(ir, i).Set(key, value); }), kRequest)
        .status();
  };
  ExpectError(edit_view(0, "kind", "filtre"), "VIEW_TRANSFORM_DERIVATION_FAILED",
              "$.views[0].kind");
  ExpectError(edit_view(1, "inputs", JsonArray{JsonValue("py_files")}),
              "VIEW_TRANSFORM_DERIVATION_FAILED", "$.views[1].inputs");
  ExpectError(edit_view(0, "predicate", JsonValue()), "VIEW_TRANSFORM_DERIVATION_FAILED",
              "$.views[0].predicate");
  ExpectError(edit_view(0, "predicate", 3), "VIEW_TRANSFORM_DERIVATION_FAILED",
              "$.views[0].predicate");
  ExpectError(edit_view(4, "output_kind", "vertices"), "VIEW_TRANSFORM_DERIVATION_FAILED",
              "$.views[4].output_kind");
  ExpectError(edit_view(2, "aggregations", JsonArray{JsonValue::MakeObject()}),
              "VIEW_TRANSFORM_DERIVATION_FAILED", "$.views[2].aggregations[0].column");
  // An executable view cannot read a diagnostic one.
  ExpectError(edit_view(2, "inputs", JsonArray{JsonValue("lint")}),
              "VIEW_TRANSFORM_DERIVATION_FAILED", "$.views[2].inputs[0]");
}

TEST(BuildSpecTest, RequestErrors) {
  auto request = [](const std::function<void(JsonValue&)>& edit) {
    return BuildSpec(kIr, Edited(kRequest, edit)).status();
  };
  ExpectError(BuildSpec(kIr, "[").status(), "INVALID_BUILD_SPEC_REQUEST", "$");
  ExpectError(request([](JsonValue& r) { r.Set("outputs", 1); }), "INVALID_BUILD_SPEC_REQUEST",
              "$.outputs");
  auto missing = request([](JsonValue& r) {
    r.mutable_object()["input_locations"].mutable_object().erase("symbols");
  });
  ExpectError(missing, "INVALID_BUILD_SPEC_REQUEST", "$.input_locations.symbols");
  EXPECT_EQ(ErrorDetails(missing).Get("input")->string_value(), "symbols");
  EXPECT_EQ(ErrorDetails(missing).Get("referenced_at")->string_value(), "$.views[1].inputs[1]");
  ExpectError(request([](JsonValue& r) { r.Set("output_targets", JsonArray{JsonValue("size")}); }),
              "INVALID_BUILD_SPEC_REQUEST", "$.output_targets[0]");
  ExpectError(request([](JsonValue& r) { r.Set("output_targets", JsonArray{JsonValue("lint")}); }),
              "INVALID_BUILD_SPEC_REQUEST", "$.output_targets[0]");
  ExpectError(request([](JsonValue& r) { r.Set("output_targets", JsonValue::MakeArray()); }),
              "INVALID_BUILD_SPEC_REQUEST", "$.output_targets");
  ExpectError(request([](JsonValue& r) {
                r.mutable_object()["output_targets"].mutable_array()[1].Set("mode", "x");
              }),
              "INVALID_BUILD_SPEC_REQUEST", "$.output_targets[1].mode");
  ExpectError(
      request([](JsonValue& r) { r.mutable_object()["output_locations"].Set("nodes", "/x"); }),
      "INVALID_BUILD_SPEC_REQUEST", "$.output_locations.nodes");
  ExpectError(request([](JsonValue& r) { r.Set("rulepack_profile", "fast"); }),
              "INVALID_BUILD_SPEC_REQUEST", "$.rulepack_profile");
  // The runtime block is checked by the spec's parser, and reported at the request's path.
  ExpectError(request([](JsonValue& r) { r.mutable_object()["runtime"].Set("tuner_mode", "x"); }),
              "INVALID_BUILD_SPEC_REQUEST", "$.runtime.tuner_mode");
  ExpectError(
      request([](JsonValue& r) {
        r.mutable_object()["input_locations"].Set(
            "files",
            JsonValue::Parse(R"({"delta_location": "/f", "version_pin": -1})").ValueOrDie());
      }),
      "INVALID_BUILD_SPEC_REQUEST", "$.input_locations.files");
}

}  // namespace
}  // namespace codeanatomy::semantic
