// Column mapping inside nested columns: lists and maps of structs, and structs holding them,
// are read from their physical names under their logical names, nulls included.
#include <filesystem>
#include <fstream>
#include <regex>

#include <arrow/compute/api.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>

#include "../engine/test_util.h"
#include "delta/provider.h"
#include "delta/snapshot.h"
#include "engine/session_context.h"

namespace codeanatomy::delta {
namespace {

namespace cp = arrow::compute;
namespace fs = std::filesystem;
using engine::testing::ArrayFromJSON;
using engine::testing::ErrorCode;

// A field of the Delta schema with its column-mapping id and physical name.
std::string MappedField(const std::string& name, const std::string& type, int id) {
  return R"({"name":")" + name + R"(","type":)" + type +
         R"(,"nullable":true,"metadata":{"delta.columnMapping.id":)" + std::to_string(id) +
         R"(,"delta.columnMapping.physicalName":"col-)" + name + R"("}})";
}

std::string DeltaSchemaString() {
  std::string items_element = R"({"type":"struct","fields":[)" +
                              MappedField("a", R"("integer")", 3) + "," +
                              MappedField("b", R"("string")", 4) + "]}";
  std::string attrs_value =
      R"({"type":"struct","fields":[)" + MappedField("x", R"("long")", 6) + "]}";
  std::string inner_element =
      R"({"type":"struct","fields":[)" + MappedField("c", R"("integer")", 9) + "]}";
  std::string s =
      R"({"type":"struct","fields":[)" +
      MappedField("inner",
                  R"({"type":"array","elementType":)" + inner_element + R"(,"containsNull":true})",
                  8) +
      "]}";
  return R"({"type":"struct","fields":[)" + MappedField("id", R"("long")", 1) + "," +
         MappedField(
             "items",
             R"({"type":"array","elementType":)" + items_element + R"(,"containsNull":true})", 2) +
         "," +
         MappedField("attrs",
                     R"({"type":"map","keyType":"string","valueType":)" + attrs_value +
                         R"(,"valueContainsNull":true})",
                     5) +
         "," + MappedField("s", s, 7) + "]}";
}

// The column types under the names given by `prefix` ("" logical, "col-" physical).
arrow::FieldVector Columns(const std::string& prefix) {
  auto f = [&](const std::string& name, std::shared_ptr<arrow::DataType> type) {
    return arrow::field(prefix + name, std::move(type));
  };
  auto items = arrow::list(
      arrow::field("element", arrow::struct_({f("a", arrow::int32()), f("b", arrow::utf8())})));
  // List elements and map keys and values keep their names: only struct fields are mapped.
  auto attrs = std::make_shared<arrow::MapType>(
      arrow::field("key", arrow::utf8(), false),
      arrow::field("value", arrow::struct_({f("x", arrow::int64())})));
  auto s = arrow::struct_(
      {f("inner", arrow::list(arrow::field("element", arrow::struct_({f("c", arrow::int32())}))))});
  return {f("id", arrow::int64()), f("items", items), f("attrs", attrs), f("s", s)};
}

constexpr const char* kRows = R"([
  {"id": 1, "items": [{"a": 1, "b": "one"}, null, {"a": null, "b": "three"}],
   "attrs": [["k", {"x": 10}], ["n", null]], "s": {"inner": [{"c": 7}, null]}},
  {"id": 2, "items": null, "attrs": null, "s": null},
  {"id": 3, "items": [], "attrs": [], "s": {"inner": null}},
  {"id": 4, "items": [{"a": 4, "b": null}], "attrs": [["z", {"x": null}]],
   "s": {"inner": [{"c": null}]}}
])";

// kRows with every field name prefixed by `prefix`.
std::shared_ptr<arrow::Table> RowsAs(const std::string& prefix) {
  std::string rows =
      std::regex_replace(kRows, std::regex(R"re("(\w+)":)re"), "\"" + prefix + "$1\":");
  return engine::testing::TableFromJSON(arrow::schema(Columns(prefix)), {rows});
}

class ColumnMappingNestedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("ca_delta_cm_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "_delta_log");
    auto physical = RowsAs("col-");
    auto out = arrow::io::FileOutputStream::Open((root_ / "part-0.parquet").string()).ValueOrDie();
    ASSERT_OK(parquet::arrow::WriteTable(*physical, arrow::default_memory_pool(), out, 1024));
    ASSERT_OK(out->Close());
    std::string schema_string;
    for (char c : DeltaSchemaString()) {
      if (c == '"') schema_string += '\\';
      schema_string += c;
    }
    std::ofstream(root_ / "_delta_log" / "00000000000000000000.json")
        << R"({"protocol":{"minReaderVersion":2,"minWriterVersion":5}})"
        << "\n"
        << R"({"metaData":{"id":"t","format":{"provider":"parquet","options":{}},"schemaString":")"
        << schema_string
        << R"(","partitionColumns":[],"configuration":{"delta.columnMapping.mode":"name"},)"
        << R"("createdTime":1}})"
        << "\n"
        << R"({"add":{"path":"part-0.parquet","partitionValues":{},"size":1,)"
        << R"("modificationTime":1,"dataChange":true}})"
        << "\n";
  }
  void TearDown() override { fs::remove_all(root_); }

  Result<std::shared_ptr<arrow::Table>> Read() {
    CA_ASSIGN_OR_RAISE(auto snap, Snapshot::Load(root_.string(), LatestVersion{}));
    CA_ASSIGN_OR_RAISE(auto provider, DeltaTableProvider::Make(snap));
    CA_ASSIGN_OR_RAISE(auto ctx, engine::SessionContext::Make());
    CA_RETURN_NOT_OK(ctx.RegisterProvider("t", provider));
    CA_ASSIGN_OR_RAISE(auto df, ctx.Table("t"));
    return df.Collect();
  }

  fs::path root_;
};

TEST_F(ColumnMappingNestedTest, ListsAndMapsOfStructsReadUnderLogicalNames) {
  ASSERT_OK_AND_ASSIGN(auto got, Read());
  auto want = RowsAs("");
  ASSERT_EQ(got->num_columns(), want->num_columns());
  ASSERT_OK_AND_ASSIGN(got, got->CombineChunks());
  ASSERT_OK_AND_ASSIGN(auto sorted, cp::SortIndices(got->GetColumnByName("id"), cp::SortOptions()));
  ASSERT_OK_AND_ASSIGN(auto ordered, cp::Take(got, sorted));
  got = ordered.table();
  for (int c = 0; c < want->num_columns(); ++c) {
    SCOPED_TRACE(want->field(c)->name());
    EXPECT_EQ(got->field(c)->name(), want->field(c)->name());
    EXPECT_TRUE(got->column(c)->type()->Equals(*want->column(c)->type()))
        << got->column(c)->type()->ToString();
    ASSERT_OK(got->column(c)->ValidateFull());
    EXPECT_TRUE(got->column(c)->Equals(*want->column(c))) << got->column(c)->ToString();
  }
}

TEST_F(ColumnMappingNestedTest, RenameIsZeroCopyOnSlicesAndRefusesOtherLayouts) {
  ASSERT_OK(Read().status());  // registers the rename function
  auto physical = RowsAs("col-")->CombineChunks().ValueOrDie();
  auto logical = RowsAs("")->CombineChunks().ValueOrDie();
  for (int c = 1; c < physical->num_columns(); ++c) {
    auto from = physical->column(c)->chunk(0)->Slice(1);
    auto want = logical->column(c)->chunk(0)->Slice(1);
    cp::CastOptions to = cp::CastOptions::Safe(want->type());
    ASSERT_OK_AND_ASSIGN(auto renamed, cp::CallFunction("codeanatomy_delta_rename", {from}, &to));
    ASSERT_OK(renamed.make_array()->ValidateFull());
    EXPECT_TRUE(renamed.make_array()->Equals(*want)) << renamed.make_array()->ToString();
    EXPECT_EQ(renamed.array()->child_data[0]->buffers, from->data()->child_data[0]->buffers);
  }
  cp::CastOptions widen = cp::CastOptions::Safe(arrow::list(arrow::int64()));
  auto ints = ArrayFromJSON(arrow::list(arrow::int32()), "[[1], null]");
  auto refused = cp::CallFunction("codeanatomy_delta_rename", {ints}, &widen);
  EXPECT_EQ(ErrorCode(refused.status()), "COLUMN_MAPPING_TYPE_MISMATCH");
}

}  // namespace
}  // namespace codeanatomy::delta
