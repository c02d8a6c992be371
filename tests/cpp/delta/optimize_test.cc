// OPTIMIZE compact: small files bin-packed per partition into fewer files with the same rows,
// committed as dataChange=false removes and adds; what is left alone (single-file bins, large
// files, filtered-out partitions), deletion vectors honoured, and conflicts with concurrent
// commits.
#include "delta/optimize.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <arrow/table.h>
#include <gtest/gtest.h>

#include "../engine/test_util.h"
#include "delta/deletion_vector.h"
#include "delta/provider.h"
#include "delta/snapshot.h"
#include "delta/writer.h"
#include "engine/session_state.h"

namespace codeanatomy::delta {
namespace {

namespace fs = std::filesystem;
using engine::testing::ErrorCode;
using engine::testing::SortedRows;
using engine::testing::TableFromJSON;

class OptimizeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(engine::InitializeArrow());
    root_ = fs::temp_directory_path() /
            ("ca_optimize_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string uri() const { return root_.string(); }

  // Appends `rows` (id int64, p string) to the table, creating it (partitioned by p or not).
  void Append(const std::string& rows, bool partitioned = false) {
    auto schema =
        arrow::schema({arrow::field("id", arrow::int64()), arrow::field("p", arrow::utf8())});
    auto table = TableFromJSON(schema, {rows});
    WriteOptions options;
    options.mode = WriteMode::kAppend;
    if (partitioned) options.partition_by = {"p"};
    ASSERT_OK(
        WriteDelta(uri(), std::make_shared<arrow::TableBatchReader>(table), options).status());
  }
  // Ten appends of two rows each (ids 0..19; p "a" for even ids, "b" for odd).
  void TenAppends(bool partitioned = false) {
    for (int i = 0; i < 10; ++i) {
      Append("[{\"id\": " + std::to_string(2 * i) +
                 ", \"p\": \"a\"}, {\"id\": " + std::to_string(2 * i + 1) + ", \"p\": \"b\"}]",
             partitioned);
    }
  }

  std::shared_ptr<const Snapshot> Latest() {
    return Snapshot::Load(uri(), TableVersion{LatestVersion{}}).ValueOrDie();
  }
  // Every row of the latest version, sorted ("id|p").
  std::vector<std::string> Rows() {
    auto snapshot = Latest();
    auto provider = DeltaTableProvider::Make(snapshot).ValueOrDie();
    std::vector<std::shared_ptr<arrow::Table>> tables;
    for (const auto& f : snapshot->files()) {
      tables.push_back(
          provider->ReadFile(f, snapshot->DataFilePath(f.path).ValueOrDie(), {0, 1}).ValueOrDie());
    }
    if (tables.empty()) return {};
    return SortedRows(*arrow::ConcatenateTables(tables).ValueOrDie());
  }
  ActionSet Commit(int64_t version) {
    return ReadCommitActions(uri(), version).ValueOrDie().actions;
  }
  int ParquetFilesOnDisk() {
    int n = 0;
    for (const auto& e : fs::recursive_directory_iterator(root_)) {
      n += e.path().extension() == ".parquet" ? 1 : 0;
    }
    return n;
  }

  fs::path root_;
};

TEST_F(OptimizeTest, CompactsSmallAppendsIntoOneFileWithTheSameRows) {
  TenAppends();
  auto before = Rows();
  ASSERT_EQ(Latest()->files().size(), 10u);
  ASSERT_OK_AND_ASSIGN(auto result, Compact(uri(), OptimizeOptions{}));
  EXPECT_TRUE(result.committed);
  EXPECT_EQ(result.read_version, 9);
  EXPECT_EQ(result.version, 10);
  EXPECT_EQ(result.target_size, kDefaultOptimizeTargetSize);
  EXPECT_EQ(result.files_added, 1);
  EXPECT_EQ(result.files_removed, 10);
  EXPECT_EQ(result.partitions_optimized, 1);
  EXPECT_EQ(result.total_considered_files, 10);
  EXPECT_EQ(result.total_files_skipped, 0);
  EXPECT_EQ(result.num_batches, 10);
  EXPECT_EQ(result.rows, 20);
  EXPECT_GT(result.bytes_removed, result.bytes_added);
  EXPECT_EQ(result.removed.total_files, 10);
  EXPECT_EQ(result.added.total_size, result.bytes_added);

  EXPECT_EQ(Latest()->version(), 10);
  EXPECT_EQ(Latest()->files().size(), 1u);
  EXPECT_EQ(Rows(), before);
  ActionSet commit = Commit(10);
  ASSERT_EQ(commit.removes.size(), 10u);
  ASSERT_EQ(commit.adds.size(), 1u);
  for (const auto& r : commit.removes) EXPECT_FALSE(r.data_change) << r.path;
  EXPECT_FALSE(commit.adds[0].data_change);
  EXPECT_NE(commit.adds[0].stats.find("\"numRecords\":20"), std::string::npos);
  ASSERT_TRUE(commit.commit_info.has_value());
  const JsonValue& info = *commit.commit_info;
  EXPECT_EQ(info.Get("operation")->string_value(), "OPTIMIZE");
  EXPECT_EQ(info.Get("operationParameters")->Get("targetSize")->string_value(), "104857600");
  EXPECT_EQ(info.Get("operationParameters")->Get("predicate")->string_value(), "[]");
  EXPECT_EQ(info.Get("readVersion")->int_value(), 9);
  EXPECT_EQ(info.Get("operationMetrics")->Get("numFilesRemoved")->int_value(), 10);
  EXPECT_FALSE(info.Get("isBlindAppend")->bool_value());
}

TEST_F(OptimizeTest, CompactsEachPartitionSeparately) {
  TenAppends(/*partitioned=*/true);
  auto before = Rows();
  ASSERT_EQ(Latest()->files().size(), 20u);
  ASSERT_OK_AND_ASSIGN(auto result, Compact(uri(), OptimizeOptions{}));
  EXPECT_EQ(result.files_removed, 20);
  EXPECT_EQ(result.files_added, 2);
  EXPECT_EQ(result.partitions_optimized, 2);
  auto snapshot = Latest();
  ASSERT_EQ(snapshot->files().size(), 2u);
  for (const auto& f : snapshot->files()) {
    const std::string p = *f.partition_values.at("p");
    EXPECT_EQ(f.path.rfind("p=" + p + "/", 0), 0u) << f.path;
    EXPECT_NE(f.stats.find("\"numRecords\":10"), std::string::npos) << f.stats;
  }
  EXPECT_EQ(Rows(), before);
}

TEST_F(OptimizeTest, PartitionFiltersLimitTheCompaction) {
  TenAppends(/*partitioned=*/true);
  OptimizeOptions options;
  options.partition_filters = {{"p", "a"}};
  ASSERT_OK_AND_ASSIGN(auto result, Compact(uri(), options));
  EXPECT_EQ(result.total_considered_files, 10);
  EXPECT_EQ(result.files_removed, 10);
  EXPECT_EQ(result.partitions_optimized, 1);
  size_t in_b = 0;
  for (const auto& f : Latest()->files()) in_b += *f.partition_values.at("p") == "b" ? 1 : 0;
  EXPECT_EQ(in_b, 10u);
  EXPECT_EQ(Latest()->files().size(), 11u);
  const ActionSet commit = Commit(result.version);
  const JsonValue& info = *commit.commit_info;
  EXPECT_EQ(info.Get("operationParameters")->Get("predicate")->string_value(), R"(["p = 'a'"])");

  options.partition_filters = {{"id", "1"}};
  auto bad = Compact(uri(), options);
  EXPECT_EQ(ErrorCode(bad.status()), "INVALID_PARTITION_FILTER");
  EXPECT_NE(bad.status().message().find("'id'"), std::string::npos) << bad.status().ToString();
}

TEST_F(OptimizeTest, SkipsBinsOfOneFileAndFilesLargerThanTheTarget) {
  TenAppends(/*partitioned=*/true);
  // Partition a compacted alone: b keeps ten files, a has one.
  OptimizeOptions only_a;
  only_a.partition_filters = {{"p", "a"}};
  ASSERT_OK(Compact(uri(), only_a).status());
  const int64_t version = Latest()->version();
  ASSERT_OK_AND_ASSIGN(auto result, Compact(uri(), OptimizeOptions{}));
  EXPECT_EQ(result.total_considered_files, 11);
  EXPECT_EQ(result.total_files_skipped, 1);  // a's single file: a bin of one
  EXPECT_EQ(result.partitions_optimized, 1);
  EXPECT_EQ(result.files_removed, 10);
  EXPECT_EQ(result.version, version + 1);

  // Every file larger than the target: nothing to pack.
  OptimizeOptions tiny;
  tiny.target_size = 1;
  ASSERT_OK_AND_ASSIGN(auto none, Compact(uri(), tiny));
  EXPECT_FALSE(none.committed);
  EXPECT_EQ(none.total_considered_files, 2);
  EXPECT_EQ(none.total_files_skipped, 2);
}

TEST_F(OptimizeTest, BinsHoldAtMostTheTargetSize) {
  TenAppends();
  auto before = Rows();
  int64_t largest = 0;
  for (const auto& f : Latest()->files()) largest = std::max(largest, f.size);
  OptimizeOptions options;
  options.target_size = 3 * largest;  // at least three files per bin
  ASSERT_OK_AND_ASSIGN(auto result, Compact(uri(), options));
  EXPECT_GE(result.files_added, 3);
  EXPECT_LE(result.files_added, 5);
  EXPECT_EQ(result.files_removed + result.total_files_skipped, 10);
  EXPECT_EQ(Rows(), before);
}

TEST_F(OptimizeTest, NothingToCompactCommitsNothing) {
  Append(R"([{"id": 1, "p": "a"}, {"id": 2, "p": "b"}])");
  ASSERT_OK_AND_ASSIGN(auto result, Compact(uri(), OptimizeOptions{}));
  EXPECT_FALSE(result.committed);
  EXPECT_EQ(result.version, 0);
  EXPECT_EQ(result.files_added, 0);
  EXPECT_EQ(result.files_removed, 0);
  EXPECT_EQ(result.partitions_optimized, 0);
  EXPECT_EQ(result.num_batches, 0);
  EXPECT_EQ(result.total_considered_files, 1);
  EXPECT_EQ(result.total_files_skipped, 1);
  EXPECT_EQ(Latest()->version(), 0);
  EXPECT_EQ(
      OptimizeMetricsJson(result),
      R"({"filesAdded":"{\"avg\":0.0,\"max\":0,\"min\":0,\"totalFiles\":0,\"totalSize\":0}",)"
      R"("filesRemoved":"{\"avg\":0.0,\"max\":0,\"min\":0,\"totalFiles\":0,\"totalSize\":0}",)"
      R"("numBatches":0,"numFilesAdded":0,"numFilesRemoved":0,"partitionsOptimized":0,)"
      R"("preserveInsertionOrder":true,"totalConsideredFiles":1,"totalFilesSkipped":1})");
}

TEST_F(OptimizeTest, RowsDeletedByADeletionVectorStayDeleted) {
  for (int i = 0; i < 3; ++i) {
    Append("[{\"id\": " + std::to_string(10 * i) +
           ", \"p\": \"x\"}, {\"id\": " + std::to_string(10 * i + 1) + ", \"p\": \"x\"}]");
  }
  // Version 3: the protocol takes deletion vectors and the first file gets one deleting row 1.
  FileAction first = Latest()->files()[0];
  ASSERT_OK_AND_ASSIGN(auto dv, InlineDeletionVector({1}));
  std::ostringstream line;
  line << R"({"protocol":{"minReaderVersion":3,"minWriterVersion":7,)"
       << R"("readerFeatures":["deletionVectors"],"writerFeatures":["deletionVectors"]}})"
       << "\n"
       << R"({"remove":{"path":")" << first.path
       << R"(","deletionTimestamp":1,"dataChange":true,"partitionValues":{},"size":)" << first.size
       << "}}\n"
       << R"({"add":{"path":")" << first.path
       << R"(","partitionValues":{},"modificationTime":1,"dataChange":true,"size":)" << first.size
       << R"(,"deletionVector":{"storageType":"i","pathOrInlineDv":")" << dv.path_or_inline_dv
       << R"(","sizeInBytes":)" << dv.size_in_bytes << R"(,"cardinality":1}}})"
       << "\n";
  std::ofstream(root_ / "_delta_log" / "00000000000000000003.json") << line.str();
  auto before = Rows();
  ASSERT_EQ(before.size(), 5u);

  ASSERT_OK_AND_ASSIGN(auto result, Compact(uri(), OptimizeOptions{}));
  EXPECT_EQ(result.files_removed, 3);
  EXPECT_EQ(result.rows, 5);
  EXPECT_EQ(Rows(), before);
  ActionSet commit = Commit(result.version);
  bool removed_with_dv = false;
  for (const auto& r : commit.removes) removed_with_dv |= r.deletion_vector.has_value();
  EXPECT_TRUE(removed_with_dv);
  for (const auto& f : Latest()->files()) EXPECT_FALSE(f.deletion_vector.has_value());
}

TEST_F(OptimizeTest, AConcurrentAppendDoesNotConflict) {
  TenAppends();
  Append(R"([{"id": 100, "p": "z"}])");  // lands after the version the compaction reads
  OptimizeOptions options;
  options.read_version = 9;
  ASSERT_OK_AND_ASSIGN(auto result, Compact(uri(), options));
  EXPECT_EQ(result.version, 11);
  EXPECT_EQ(result.attempts, 2);
  EXPECT_EQ(Latest()->files().size(), 2u);  // the compacted file and the concurrent append
  EXPECT_EQ(Rows().size(), 21u);
}

TEST_F(OptimizeTest, AConcurrentDeleteOfACompactedFileConflicts) {
  TenAppends();
  ASSERT_OK(DeleteRows(uri(), "id = 4").status());  // version 10 removes one file
  const int files_on_disk = ParquetFilesOnDisk();
  OptimizeOptions options;
  options.read_version = 9;
  auto result = Compact(uri(), options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(ErrorCode(result.status()), "CONCURRENT_DELETE_DELETE") << result.status().ToString();
  EXPECT_EQ(DescribeError(result.status()).stage, "delta");
  EXPECT_NE(result.status().message().find("version 10"), std::string::npos);
  EXPECT_EQ(Latest()->version(), 10);
  EXPECT_EQ(ParquetFilesOnDisk(), files_on_disk);  // its uncommitted files are gone
  // On the latest version it compacts.
  ASSERT_OK_AND_ASSIGN(auto again, Compact(uri(), OptimizeOptions{}));
  EXPECT_EQ(again.version, 11);
  EXPECT_EQ(Rows().size(), 19u);
}

TEST_F(OptimizeTest, ZOrderIsNotSupported) {
  TenAppends();
  OptimizeOptions options;
  options.z_order_columns = {"id"};
  auto result = Compact(uri(), options);
  EXPECT_EQ(ErrorCode(result.status()), "NOT_SUPPORTED");
  EXPECT_EQ(DescribeError(result.status()).stage, "delta");
  EXPECT_NE(result.status().message().find("z-order"), std::string::npos);
  EXPECT_NE(result.status().message().find("\"id\""), std::string::npos);
  EXPECT_EQ(Latest()->version(), 9);
}

TEST_F(OptimizeTest, TargetSizeComesFromTheTablePropertyAndCommitPropertiesAreRecorded) {
  auto schema =
      arrow::schema({arrow::field("id", arrow::int64()), arrow::field("p", arrow::utf8())});
  WriteOptions create;
  create.configuration = {{"delta.targetFileSize", "1mb"}};
  auto table = TableFromJSON(schema, {R"([{"id": 1, "p": "a"}])"});
  ASSERT_OK(WriteDelta(uri(), std::make_shared<arrow::TableBatchReader>(table), create).status());
  Append(R"([{"id": 2, "p": "a"}])");
  OptimizeOptions options;
  options.commit_properties = {{"codeanatomy.run", "r1"}, {"operation", "not replaced"}};
  ASSERT_OK_AND_ASSIGN(auto result, Compact(uri(), options));
  EXPECT_EQ(result.target_size, 1 << 20);
  const ActionSet commit = Commit(result.version);
  const JsonValue& info = *commit.commit_info;
  EXPECT_EQ(info.Get("operationParameters")->Get("targetSize")->string_value(), "1048576");
  EXPECT_EQ(info.Get("codeanatomy.run")->string_value(), "r1");
  EXPECT_EQ(info.Get("operation")->string_value(), "OPTIMIZE");

  options.target_size = 0;
  EXPECT_EQ(ErrorCode(Compact(uri(), options).status()), "INVALID_ARGUMENT");
}

}  // namespace
}  // namespace codeanatomy::delta
