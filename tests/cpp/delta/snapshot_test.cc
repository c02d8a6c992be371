// Log replay on hand-written Delta logs: reconciliation, gaps, corrupt commits, paths that leave
// the table, time travel and the provider's rows and pruning.
#include <filesystem>
#include <fstream>

#include <arrow/filesystem/localfs.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>

#include "../engine/test_util.h"
#include "delta/log_store.h"
#include "delta/provider.h"
#include "delta/snapshot.h"
#include "engine/session_context.h"

namespace codeanatomy::delta {
namespace {

namespace fs = std::filesystem;
using engine::testing::ErrorCode;
using engine::testing::ErrorDetails;
using engine::testing::SortedRows;
using engine::testing::TableFromJSON;

constexpr const char* kSchema =
    R"({\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},{\"name\":\"p\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]})";

class DeltaLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("ca_delta_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "_delta_log");
  }
  void TearDown() override { fs::remove_all(root_); }

  void Commit(int64_t version, const std::string& lines) {
    char name[32];
    std::snprintf(name, sizeof(name), "%020lld.json", static_cast<long long>(version));
    std::ofstream(root_ / "_delta_log" / name) << lines;
  }
  // A data file holding `ids` (the partition column lives in the log, not the file).
  void DataFile(const std::string& rel, const std::string& ids_json) {
    fs::create_directories((root_ / rel).parent_path());
    auto schema = arrow::schema({arrow::field("id", arrow::int64())});
    auto table = TableFromJSON(schema, {ids_json});
    auto out = arrow::io::FileOutputStream::Open((root_ / rel).string()).ValueOrDie();
    ASSERT_OK(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, 1024));
    ASSERT_OK(out->Close());
  }
  static std::string Add(const std::string& path, const std::string& p, int64_t rows) {
    return R"({"add":{"path":")" + path + R"(","partitionValues":{"p":)" +
           (p == "null" ? "null" : "\"" + p + "\"") +
           R"(},"size":1,"modificationTime":1,"dataChange":true,"stats":"{\"numRecords\":)" +
           std::to_string(rows) + R"(}"}})" + "\n";
  }
  static std::string Remove(const std::string& path) {
    return R"({"remove":{"path":")" + path + R"(","deletionTimestamp":5,"dataChange":true}})" +
           "\n";
  }
  std::string Header() const {
    return std::string(R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})") + "\n" +
           R"({"metaData":{"id":"t","format":{"provider":"parquet","options":{}},"schemaString":")" +
           kSchema + R"(","partitionColumns":["p"],"configuration":{},"createdTime":1}})" + "\n";
  }
  Result<std::shared_ptr<arrow::Table>> Read(TableVersion at = LatestVersion{}) {
    CA_ASSIGN_OR_RAISE(auto snap, Snapshot::Load(root_.string(), at));
    CA_ASSIGN_OR_RAISE(auto provider, DeltaTableProvider::Make(snap));
    CA_ASSIGN_OR_RAISE(auto ctx, engine::SessionContext::Make());
    CA_RETURN_NOT_OK(ctx.RegisterProvider("t", provider));
    CA_ASSIGN_OR_RAISE(auto df, ctx.Table("t"));
    return df.Collect();
  }

  fs::path root_;
};

TEST_F(DeltaLogTest, ReplayAppliesAddsAndRemovesInOrder) {
  DataFile("p=a/f1.parquet", R"([{"id": 1}, {"id": 2}])");
  DataFile("p=b/f2.parquet", R"([{"id": 3}])");
  DataFile("p=__HIVE_DEFAULT_PARTITION__/f3.parquet", R"([{"id": 4}])");
  Commit(0, Header() + Add("p=a/f1.parquet", "a", 2));
  Commit(1,
         Add("p=b/f2.parquet", "b", 1) + Add("p=__HIVE_DEFAULT_PARTITION__/f3.parquet", "null", 1));
  Commit(2, Remove("p=a/f1.parquet"));
  ASSERT_OK_AND_ASSIGN(auto latest, Read());
  EXPECT_EQ(SortedRows(*latest), (std::vector<std::string>{"3|b", "4|null"}));
  ASSERT_OK_AND_ASSIGN(auto v1, Read(VersionNumber{1}));
  EXPECT_EQ(SortedRows(*v1), (std::vector<std::string>{"1|a", "2|a", "3|b", "4|null"}));
  ASSERT_OK_AND_ASSIGN(auto v0, Read(VersionNumber{0}));
  EXPECT_EQ(SortedRows(*v0), (std::vector<std::string>{"1|a", "2|a"}));
  ASSERT_OK_AND_ASSIGN(auto snap, Snapshot::Load(root_.string(), LatestVersion{}));
  EXPECT_EQ(snap->version(), 2);
  EXPECT_EQ(snap->files().size(), 2u);
}

TEST_F(DeltaLogTest, PartitionValuesPruneFiles) {
  DataFile("p=a/f1.parquet", R"([{"id": 1}])");
  DataFile("p=b/f2.parquet", R"([{"id": 2}])");
  Commit(0, Header() + Add("p=a/f1.parquet", "a", 1) + Add("p=b/f2.parquet", "b", 1));
  ASSERT_OK_AND_ASSIGN(auto snap, Snapshot::Load(root_.string(), LatestVersion{}));
  ASSERT_OK_AND_ASSIGN(auto provider, DeltaTableProvider::Make(snap));
  ASSERT_OK_AND_ASSIGN(auto files,
                       provider->PrunedFiles(arrow::compute::equal(arrow::compute::field_ref("p"),
                                                                   arrow::compute::literal("b"))));
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0]->path, "p=b/f2.parquet");
  EXPECT_EQ(provider->estimated_rows(), 2);
}

TEST_F(DeltaLogTest, ColumnStatisticsPruneFiles) {
  auto add = [](const std::string& path, int lo, int hi) {
    return R"({"add":{"path":")" + path +
           R"(","partitionValues":{"p":"a"},"size":1,"modificationTime":1,"dataChange":true,)" +
           R"("stats":"{\"numRecords\":2,\"minValues\":{\"id\":)" + std::to_string(lo) +
           R"(},\"maxValues\":{\"id\":)" + std::to_string(hi) +
           R"(},\"nullCount\":{\"id\":0}}"}})" + "\n";
  };
  Commit(0, Header() + add("p=a/low.parquet", 1, 5) + add("p=a/high.parquet", 7, 9));
  ASSERT_OK_AND_ASSIGN(auto snap, Snapshot::Load(root_.string(), LatestVersion{}));
  ASSERT_OK_AND_ASSIGN(auto provider, DeltaTableProvider::Make(snap));
  namespace cp = arrow::compute;
  ASSERT_OK_AND_ASSIGN(
      auto files, provider->PrunedFiles(cp::greater(cp::field_ref("id"), cp::literal(int64_t{6}))));
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0]->path, "p=a/high.parquet");
  ASSERT_OK_AND_ASSIGN(auto both, provider->PrunedFiles(cp::less_equal(cp::field_ref("id"),
                                                                       cp::literal(int64_t{7}))));
  EXPECT_EQ(both.size(), 2u);
}

TEST_F(DeltaLogTest, AGapInTheLogIsAnError) {
  Commit(0, Header());
  Commit(2, "");
  auto r = Snapshot::Load(root_.string(), LatestVersion{});
  EXPECT_EQ(ErrorCode(r.status()), "VERSION_GAP") << r.status().ToString();
  EXPECT_EQ(ErrorDetails(r.status()).Get("missing_version")->int_value(), 1);
}

TEST_F(DeltaLogTest, CorruptCommitLineIsAnErrorNamingTheLine) {
  Commit(0, Header() + "{\"add\": {broken\n");
  auto r = Snapshot::Load(root_.string(), LatestVersion{});
  EXPECT_EQ(ErrorCode(r.status()), "CORRUPT_COMMIT");
  EXPECT_EQ(ErrorDetails(r.status()).Get("line")->int_value(), 3);
}

TEST_F(DeltaLogTest, PathsLeavingTheTableAreRefused) {
  Commit(0, Header() + Add("../../etc/passwd", "a", 1));
  ASSERT_OK_AND_ASSIGN(auto snap, Snapshot::Load(root_.string(), LatestVersion{}));
  auto path = snap->DataFilePath("../../etc/passwd");
  EXPECT_EQ(ErrorCode(path.status()), "PATH_OUTSIDE_TABLE");
  EXPECT_EQ(ErrorCode(snap->DataFilePath("file:///etc/passwd").status()), "PATH_OUTSIDE_TABLE");
  EXPECT_EQ(ErrorCode(snap->DataFilePath("/etc/passwd").status()), "PATH_OUTSIDE_TABLE");
  ASSERT_OK_AND_ASSIGN(auto absolute_inside, snap->DataFilePath(root_.string() + "/x.parquet"));
  EXPECT_EQ(absolute_inside, root_.string() + "/x.parquet");
  auto rows = Read();
  EXPECT_EQ(ErrorCode(rows.status()), "PATH_OUTSIDE_TABLE");
  ASSERT_OK_AND_ASSIGN(auto inside, snap->DataFilePath("a/../b%20c.parquet"));
  EXPECT_EQ(inside, root_.string() + "/b c.parquet");  // decoded once, normalized
}

TEST_F(DeltaLogTest, MissingPieces) {
  EXPECT_EQ(ErrorCode(Snapshot::Load((root_ / "nope").string(), LatestVersion{}).status()),
            "NOT_A_DELTA_TABLE");
  Commit(0, std::string(R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})") + "\n");
  EXPECT_EQ(ErrorCode(Snapshot::Load(root_.string(), LatestVersion{}).status()),
            "MISSING_METADATA");
  EXPECT_EQ(ErrorCode(Snapshot::Load(root_.string(), VersionNumber{7}).status()),
            "VERSION_NOT_FOUND");
  Commit(0, Header() + Add("p=a/gone.parquet", "a", 1));
  auto rows = Read();
  EXPECT_EQ(ErrorCode(rows.status()), "DATA_FILE_NOT_FOUND");
}

TEST_F(DeltaLogTest, UnknownReaderFeaturesAreRefusedByName) {
  Commit(
      0,
      std::string(
          R"({"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["futureFeature"],"writerFeatures":[]}})") +
          "\n" + Header().substr(Header().find('\n') + 1));
  auto r = Snapshot::Load(root_.string(), LatestVersion{});
  EXPECT_EQ(ErrorCode(r.status()), "UNSUPPORTED_READER_FEATURE");
  EXPECT_EQ(ErrorDetails(r.status()).Get("feature")->string_value(), "futureFeature");
}

}  // namespace
}  // namespace codeanatomy::delta

namespace codeanatomy::delta {
namespace {

TEST_F(DeltaLogTest, PutIfAbsentNeverOverwritesACommit) {
  auto fs = std::make_shared<arrow::fs::LocalFileSystem>();
  ASSERT_OK_AND_ASSIGN(auto store, LogStoreFor(fs));
  std::string path = (root_ / "_delta_log" / "00000000000000000000.json").string();
  ASSERT_OK(store->PutIfAbsent(path, "first\n"));
  auto again = store->PutIfAbsent(path, "second\n");
  EXPECT_EQ(ErrorCode(again), "COMMIT_CONFLICT");
  std::ifstream in(path);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "first\n");
  // No temporary files are left behind.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(root_ / "_delta_log")) entries += e.is_regular_file();
  EXPECT_EQ(entries, 1);
}

}  // namespace
}  // namespace codeanatomy::delta
