#include "engine/table_provider.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include <arrow/array/builder_primitive.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>

#include "engine/catalog.h"
#include "engine/session_context.h"
#include "test_util.h"

namespace codeanatomy::engine {
namespace {

namespace fs = std::filesystem;
using testing::ArrayFromJSON;
using testing::BatchFromJSON;
using testing::ErrorCode;
using testing::ErrorDetails;
using testing::ErrorStage;
using testing::FindNodes;
using testing::Int64;
using testing::Rows;
using testing::ScanColumns;
using testing::SortedRows;
using testing::Str;
using testing::TableFromJSON;

std::shared_ptr<arrow::Schema> PeopleSchema() {
  return arrow::schema({arrow::field("id", arrow::int64()), arrow::field("name", arrow::utf8()),
                        arrow::field("score", arrow::float64())});
}

std::shared_ptr<arrow::Table> People() {
  return TableFromJSON(PeopleSchema(), {R"([{"id": 1, "name": "ann", "score": 1.5},
                                            {"id": 2, "name": "bob", "score": null}])",
                                        R"([{"id": 3, "name": null, "score": 3.5},
                                            {"id": 4, "name": "dan", "score": 4.5}])"});
}

std::shared_ptr<arrow::RecordBatchReader> PeopleReader() {
  auto table = People();
  return std::make_shared<arrow::TableBatchReader>(table);
}

class ProvidersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(auto ctx, SessionContext::Make());
    ctx_ = std::make_unique<SessionContext>(std::move(ctx));
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("ca_providers_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void WriteParquet(const std::shared_ptr<arrow::Table>& table, const fs::path& path,
                    int64_t row_group_size = 2) {
    fs::create_directories(path.parent_path());
    auto out = arrow::io::FileOutputStream::Open(path.string()).ValueOrDie();
    ASSERT_OK(
        parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, row_group_size));
    ASSERT_OK(out->Close());
  }

  std::unique_ptr<SessionContext> ctx_;
  fs::path dir_;
};

// ------------------------------------------------------------------ memory

TEST_F(ProvidersTest, MemoryTableScansAnyNumberOfTimes) {
  ASSERT_OK(ctx_->RegisterTable("people", People()));
  ASSERT_OK_AND_ASSIGN(auto df, ctx_->Table("people"));
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
    EXPECT_EQ(SortedRows(*result),
              (std::vector<std::string>{"1|ann|1.5", "2|bob|null", "3|null|3.5", "4|dan|4.5"}));
  }
}

TEST_F(ProvidersTest, MemoryTableFilterAndProjection) {
  ASSERT_OK(ctx_->RegisterTable("people", People()));
  ASSERT_OK_AND_ASSIGN(auto df, ctx_->Table("people"));
  ASSERT_OK_AND_ASSIGN(df, df.Filter(Call(">=", {Column("id"), Int64(2)})));
  ASSERT_OK_AND_ASSIGN(df, df.Select({Column("name")}));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(result->schema()->field_names(), (std::vector<std::string>{"name"}));
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"bob", "dan", "null"}));
}

TEST_F(ProvidersTest, MemoryProviderScanProducesRequestedColumnsInOrder) {
  ASSERT_OK_AND_ASSIGN(auto provider, MemoryTableProvider::Make(People()));
  EXPECT_EQ(provider->kind(), "memory");
  EXPECT_FALSE(provider->prunes_with_filter());
  ASSERT_OK(ctx_->RegisterProvider("p", provider));
  ASSERT_OK_AND_ASSIGN(auto df, ctx_->Table("p"));
  ASSERT_OK_AND_ASSIGN(df, df.Select({Column("score"), Column("id")}));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"1.5|1", "3.5|3", "4.5|4", "null|2"}));
}

TEST_F(ProvidersTest, EmptyMemoryTable) {
  ASSERT_OK(ctx_->RegisterTable("empty", TableFromJSON(PeopleSchema(), {"[]"})));
  ASSERT_OK_AND_ASSIGN(auto df, ctx_->Table("empty"));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(result->num_rows(), 0);
  EXPECT_TRUE(result->schema()->Equals(*PeopleSchema()));
  ASSERT_OK_AND_ASSIGN(auto counted, df.Aggregate({}, {AggregateCall("count", {})}));
  ASSERT_OK_AND_ASSIGN(auto count, counted.Collect());
  EXPECT_EQ(Rows(*count), (std::vector<std::string>{"0"}));
}

// ------------------------------------------------------------------ streams

TEST_F(ProvidersTest, StreamScansOnceThenFailsWithStreamAlreadyConsumed) {
  ASSERT_OK(ctx_->RegisterReader("s", PeopleReader()));
  ASSERT_OK_AND_ASSIGN(auto df, ctx_->Table("s"));
  ASSERT_OK_AND_ASSIGN(auto first, df.Collect());
  EXPECT_EQ(first->num_rows(), 4);
  auto second = df.Collect();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(ErrorCode(second.status()), "STREAM_ALREADY_CONSUMED");
  EXPECT_EQ(ErrorStage(second.status()), "execution");
}

TEST_F(ProvidersTest, StreamWithProjectionAndFilter) {
  ASSERT_OK(ctx_->RegisterReader("s", PeopleReader()));
  ASSERT_OK_AND_ASSIGN(auto df, ctx_->Table("s"));
  ASSERT_OK_AND_ASSIGN(df, df.Filter(Call("is_not_null", {Column("score")})));
  ASSERT_OK_AND_ASSIGN(df, df.Select({Column("id")}));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"1", "3", "4"}));
}

TEST_F(ProvidersTest, ReRegisteringAStreamMakesItScannableAgain) {
  ASSERT_OK(ctx_->RegisterReader("s", PeopleReader()));
  ASSERT_OK_AND_ASSIGN(auto df, ctx_->Table("s"));
  ASSERT_OK(df.Collect().status());
  ASSERT_OK(ctx_->RegisterReader("s", PeopleReader()));
  ASSERT_OK_AND_ASSIGN(auto again, ctx_->Table("s"));
  ASSERT_OK_AND_ASSIGN(auto result, again.Collect());
  EXPECT_EQ(result->num_rows(), 4);
}

// ------------------------------------------------------------------ view types

TEST_F(ProvidersTest, WithoutViewTypesReplacesViewsRecursively) {
  EXPECT_TRUE(WithoutViewTypes(arrow::utf8_view())->Equals(arrow::utf8()));
  EXPECT_TRUE(WithoutViewTypes(arrow::binary_view())->Equals(arrow::binary()));
  EXPECT_TRUE(
      WithoutViewTypes(arrow::list_view(arrow::utf8_view()))->Equals(arrow::list(arrow::utf8())));
  auto nested = arrow::struct_({arrow::field("s", arrow::utf8_view()),
                                arrow::field("l", arrow::list(arrow::binary_view()))});
  auto expected = arrow::struct_(
      {arrow::field("s", arrow::utf8()), arrow::field("l", arrow::list(arrow::binary()))});
  EXPECT_TRUE(WithoutViewTypes(nested)->Equals(expected)) << WithoutViewTypes(nested)->ToString();
  EXPECT_TRUE(WithoutViewTypes(arrow::int64())->Equals(arrow::int64()));
  auto schema = arrow::schema({arrow::field("a", arrow::int32())});
  EXPECT_EQ(WithoutViewTypes(schema), schema);  // unchanged schemas are shared, not copied
}

std::shared_ptr<arrow::RecordBatch> ViewBatch() {
  auto schema =
      arrow::schema({arrow::field("id", arrow::int64()), arrow::field("s", arrow::utf8_view())});
  return arrow::RecordBatch::Make(
      schema, 3,
      {ArrayFromJSON(arrow::int64(), "[1, 2, 3]"),
       ArrayFromJSON(arrow::utf8_view(),
                     R"(["short", "a string longer than twelve bytes", null])")});
}

TEST_F(ProvidersTest, StringViewTableColumnsAreReadAsString) {
  auto batch = ViewBatch();
  ASSERT_OK_AND_ASSIGN(auto table, arrow::Table::FromRecordBatches({batch}));
  ASSERT_OK(ctx_->RegisterTable("v", table));
  ASSERT_OK_AND_ASSIGN(auto df, ctx_->Table("v"));
  EXPECT_TRUE(df.schema()->GetFieldByName("s")->type()->Equals(arrow::utf8()));
  ASSERT_OK_AND_ASSIGN(auto upper,
                       df.Select({Column("id"), Alias(Call("upper", {Column("s")}), "u")}));
  ASSERT_OK_AND_ASSIGN(auto result, upper.Collect());
  EXPECT_TRUE(result->schema()->field(1)->type()->Equals(arrow::utf8()));
  EXPECT_EQ(SortedRows(*result),
            (std::vector<std::string>{"1|SHORT", "2|A STRING LONGER THAN TWELVE BYTES", "3|null"}));
}

TEST_F(ProvidersTest, StringViewStreamColumnsAreReadAsString) {
  auto batch = ViewBatch();
  ASSERT_OK_AND_ASSIGN(auto reader, arrow::RecordBatchReader::Make({batch}));
  ASSERT_OK(ctx_->RegisterReader("v", reader));
  ASSERT_OK_AND_ASSIGN(auto df, ctx_->Table("v"));
  EXPECT_TRUE(df.schema()->GetFieldByName("s")->type()->Equals(arrow::utf8()));
  ASSERT_OK_AND_ASSIGN(auto filtered, df.Filter(Call("=", {Column("s"), Str("short")})));
  ASSERT_OK_AND_ASSIGN(auto result, filtered.Collect());
  EXPECT_TRUE(result->schema()->GetFieldByName("s")->type()->Equals(arrow::utf8()));
  EXPECT_EQ(Rows(*result), (std::vector<std::string>{"1|short"}));
}

TEST_F(ProvidersTest, StringViewStreamReadInFullIsString) {
  // Every column, in order: the identity-projection path of the stream provider.
  ASSERT_OK_AND_ASSIGN(auto reader, arrow::RecordBatchReader::Make({ViewBatch()}));
  ASSERT_OK(ctx_->RegisterReader("v", reader));
  ASSERT_OK_AND_ASSIGN(auto df, ctx_->Table("v"));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_TRUE(result->schema()->GetFieldByName("s")->type()->Equals(arrow::utf8()))
      << result->schema()->ToString();
  ASSERT_OK(result->ValidateFull());
  EXPECT_EQ(SortedRows(*result),
            (std::vector<std::string>{"1|short", "2|a string longer than twelve bytes", "3|null"}));
}

// ------------------------------------------------------------------ Parquet

TEST_F(ProvidersTest, ParquetFileWithFilterAndProjection) {
  WriteParquet(People(), dir_ / "people.parquet");
  ASSERT_OK(ctx_->RegisterParquet("p", (dir_ / "people.parquet").string()));
  ASSERT_OK_AND_ASSIGN(auto df, ctx_->Table("p"));
  EXPECT_TRUE(df.schema()->Equals(*PeopleSchema(), false)) << df.schema()->ToString();
  ASSERT_OK_AND_ASSIGN(auto all, df.Collect());
  EXPECT_EQ(SortedRows(*all),
            (std::vector<std::string>{"1|ann|1.5", "2|bob|null", "3|null|3.5", "4|dan|4.5"}));
  ASSERT_OK_AND_ASSIGN(auto q,
                       df.Filter(Call(">", {Column("score"), Literal(arrow::MakeScalar(2.0))})));
  ASSERT_OK_AND_ASSIGN(q, q.Select({Column("name"), Column("id")}));
  ASSERT_OK_AND_ASSIGN(auto opt, q.OptimizedPlan());
  auto scans = FindNodes(opt, PlanKind::kScan);
  ASSERT_EQ(scans.size(), 1u);
  EXPECT_EQ(scans[0]->provider->kind(), "parquet");
  EXPECT_TRUE(scans[0]->provider->prunes_with_filter());
  EXPECT_EQ(ScanColumns(*scans[0]), (std::vector<std::string>{"id", "name", "score"}));
  ASSERT_OK_AND_ASSIGN(auto result, q.Collect());
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"dan|4", "null|3"}));
}

TEST_F(ProvidersTest, ParquetProjectionWithoutFilterReadsOnlyNeededColumns) {
  WriteParquet(People(), dir_ / "people.parquet");
  ASSERT_OK(ctx_->RegisterParquet("p", (dir_ / "people.parquet").string()));
  ASSERT_OK_AND_ASSIGN(auto df, ctx_->Table("p"));
  ASSERT_OK_AND_ASSIGN(df, df.Select({Column("score")}));
  ASSERT_OK_AND_ASSIGN(auto opt, df.OptimizedPlan());
  EXPECT_EQ(ScanColumns(*FindNodes(opt, PlanKind::kScan)[0]), (std::vector<std::string>{"score"}));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"1.5", "3.5", "4.5", "null"}));
}

TEST_F(ProvidersTest, ParquetDirectoryIsReadRecursivelySkippingHiddenFiles) {
  auto schema =
      arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::utf8())});
  WriteParquet(TableFromJSON(schema, {R"([{"k": 1, "v": "a"}, {"k": 2, "v": "b"}])"}),
               dir_ / "d" / "part-0.parquet");
  WriteParquet(TableFromJSON(schema, {R"([{"k": 3, "v": "c"}])"}),
               dir_ / "d" / "sub" / "part-1.parquet");
  // Not Parquet: must be skipped (leading '_' or '.').
  std::ofstream(dir_ / "d" / "_SUCCESS") << "not parquet";
  std::ofstream(dir_ / "d" / ".hidden") << "not parquet";
  ASSERT_OK(ctx_->RegisterParquet("dir", (dir_ / "d").string()));
  ASSERT_OK_AND_ASSIGN(auto df, ctx_->Table("dir"));
  ASSERT_OK_AND_ASSIGN(auto all, df.Collect());
  EXPECT_EQ(SortedRows(*all), (std::vector<std::string>{"1|a", "2|b", "3|c"}));
  ASSERT_OK_AND_ASSIGN(auto q, df.Filter(Call("!=", {Column("v"), Str("b")})));
  ASSERT_OK_AND_ASSIGN(q, q.Select({Column("k")}));
  ASSERT_OK_AND_ASSIGN(auto result, q.Collect());
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"1", "3"}));
  ASSERT_OK_AND_ASSIGN(auto counted, df.Aggregate({}, {AggregateCall("count", {})}));
  ASSERT_OK_AND_ASSIGN(auto count, counted.Collect());
  EXPECT_EQ(Rows(*count), (std::vector<std::string>{"3"}));
}

TEST_F(ProvidersTest, ParquetFilterPrunesRowGroupsButResultsStayExact) {
  // 100 rows in row groups of 10; the filter selects a range that spans group boundaries.
  arrow::Int64Builder ids;
  for (int64_t i = 0; i < 100; ++i) ASSERT_OK(ids.Append(i));
  std::shared_ptr<arrow::Array> id_array;
  ASSERT_OK(ids.Finish(&id_array));
  auto schema = arrow::schema({arrow::field("i", arrow::int64())});
  auto table = arrow::Table::Make(schema, {id_array});
  WriteParquet(table, dir_ / "range.parquet", 10);
  ASSERT_OK(ctx_->RegisterParquet("range", (dir_ / "range.parquet").string()));
  ASSERT_OK_AND_ASSIGN(auto df, ctx_->Table("range"));
  ASSERT_OK_AND_ASSIGN(df, df.Filter(Between(Column("i"), Int64(15), Int64(24), false)));
  ASSERT_OK_AND_ASSIGN(
      df, df.Aggregate({}, {AggregateCall("count", {}), AggregateCall("sum", {Column("i")})}));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(Rows(*result), (std::vector<std::string>{"10|195"}));
}

TEST_F(ProvidersTest, ParquetMissingPathIsATypedError) {
  auto st = ctx_->RegisterParquet("missing", (dir_ / "nope.parquet").string());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(ErrorCode(st), "PARQUET_PATH_NOT_FOUND");
  EXPECT_EQ(ErrorStage(st), "execution");
  EXPECT_EQ(ErrorDetails(st).Get("path")->string_value(), (dir_ / "nope.parquet").string());
  EXPECT_TRUE(ctx_->Tables().empty());
}

TEST_F(ProvidersTest, ParquetOpenOfANonParquetFileFails) {
  std::ofstream(dir_ / "bogus.parquet") << "this is not parquet";
  auto st = ctx_->RegisterParquet("bogus", (dir_ / "bogus.parquet").string());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(ErrorCode(st), "PARQUET_OPEN_FAILED");
}

// ------------------------------------------------------------------ catalog

TEST_F(ProvidersTest, CatalogListsLooksUpAndDeregisters) {
  ASSERT_OK(ctx_->RegisterTable("people", People()));
  ASSERT_OK(ctx_->RegisterTable("other.people", People()));
  ASSERT_OK(ctx_->RegisterTable("cat.s.t", People()));
  EXPECT_EQ(ctx_->Tables(), (std::vector<std::string>{"cat.s.t", "other.people", "people"}));
  EXPECT_TRUE(ctx_->Table("public.people").ok());
  EXPECT_TRUE(ctx_->Table("codeanatomy.public.people").ok());
  ASSERT_OK(ctx_->Deregister("people"));
  EXPECT_EQ(ctx_->Tables(), (std::vector<std::string>{"cat.s.t", "other.people"}));
  auto again = ctx_->Deregister("people");
  EXPECT_EQ(ErrorCode(again), "UNKNOWN_TABLE");
}

TEST_F(ProvidersTest, UnknownTableSuggestsCloseNames) {
  ASSERT_OK(ctx_->RegisterTable("people", People()));
  auto df = ctx_->Table("peeple");
  ASSERT_FALSE(df.ok());
  EXPECT_EQ(ErrorCode(df.status()), "UNKNOWN_TABLE");
  EXPECT_EQ(ErrorStage(df.status()), "planning");
  auto details = ErrorDetails(df.status());
  EXPECT_EQ(details.Get("table")->string_value(), "peeple");
  ASSERT_EQ(details.Get("candidates")->array_value().size(), 1u);
  EXPECT_EQ(details.Get("candidates")->array_value()[0].string_value(), "people");
}

TEST_F(ProvidersTest, InvalidTableNamesAreRejected) {
  EXPECT_EQ(ErrorCode(ctx_->RegisterTable("a..b", People())), "INVALID_TABLE_NAME");
  EXPECT_EQ(ErrorCode(ctx_->RegisterTable("a.b.c.d", People())), "INVALID_TABLE_NAME");
  EXPECT_EQ(ErrorCode(ctx_->RegisterTable("", People())), "INVALID_TABLE_NAME");
}

TEST_F(ProvidersTest, TableReferenceParsing) {
  ASSERT_OK_AND_ASSIGN(auto ref, TableReference::Parse("t", "c", "s"));
  EXPECT_EQ(ref.ToString(), "c.s.t");
  ASSERT_OK_AND_ASSIGN(ref, TableReference::Parse("x.t", "c", "s"));
  EXPECT_EQ(ref.ToString(), "c.x.t");
  ASSERT_OK_AND_ASSIGN(ref, TableReference::Parse("y.x.t", "c", "s"));
  EXPECT_EQ(ref.ToString(), "y.x.t");
}

}  // namespace
}  // namespace codeanatomy::engine
