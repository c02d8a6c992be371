// Conflict detection by the protocol's rules, on a hand-written table and hand-written winning
// commits: which concurrent commits a transaction may be moved after, and the typed error when
// it may not.
#include <filesystem>
#include <fstream>

#include <arrow/compute/expression.h>
#include <gtest/gtest.h>

#include "../engine/test_util.h"
#include "delta/conflict.h"
#include "engine/session_state.h"

namespace codeanatomy::delta {
namespace {

namespace fs = std::filesystem;
namespace cp = arrow::compute;
using engine::testing::ErrorCode;
using engine::testing::ErrorDetails;

constexpr const char* kSchema =
    R"({\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},{\"name\":\"p\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]})";

// An add in partition `p` with ids in [lo, hi] (no stats when lo > hi).
std::string Add(const std::string& path, const std::string& p, int lo, int hi,
                bool data_change = true) {
  std::string stats = lo > hi ? ""
                              : R"(,"stats":"{\"numRecords\":2,\"minValues\":{\"id\":)" +
                                    std::to_string(lo) + R"(},\"maxValues\":{\"id\":)" +
                                    std::to_string(hi) + R"(},\"nullCount\":{\"id\":0}}")";
  return R"({"add":{"path":")" + path + R"(","partitionValues":{"p":")" + p +
         R"("},"size":1,"modificationTime":1,"dataChange":)" + (data_change ? "true" : "false") +
         stats + "}}\n";
}
std::string Remove(const std::string& path, bool data_change = true) {
  return R"({"remove":{"path":")" + path + R"(","deletionTimestamp":5,"dataChange":)" +
         (data_change ? "true" : "false") + "}}\n";
}
std::string Info(const std::string& operation, bool blind) {
  return R"({"commitInfo":{"operation":")" + operation + R"(","isBlindAppend":)" +
         (blind ? "true" : "false") + "}}\n";
}

class ConflictTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(engine::InitializeArrow());
    root_ = fs::temp_directory_path() /
            ("ca_conflict_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "_delta_log");
  }
  void TearDown() override { fs::remove_all(root_); }

  // Version 0: files a1 (p=a, ids 1..5), a2 (p=a, ids 20..30), b1 (p=b, ids 1..5).
  std::shared_ptr<const Snapshot> Table(const std::string& configuration = "") {
    std::string lines =
        std::string(R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})") + "\n" +
        R"({"metaData":{"id":"t","format":{"provider":"parquet","options":{}},"schemaString":")" +
        kSchema + R"(","partitionColumns":["p"],"configuration":{)" + configuration +
        R"(},"createdTime":1}})" + "\n" + Add("a1", "a", 1, 5) + Add("a2", "a", 20, 30) +
        Add("b1", "b", 1, 5);
    std::ofstream(root_ / "_delta_log" / "00000000000000000000.json") << lines;
    auto snap = Snapshot::Load(root_.string(), LatestVersion{});
    EXPECT_TRUE(snap.ok()) << snap.status().ToString();
    return *snap;
  }
  static CommitActions Winner(const std::string& lines, int64_t version = 1) {
    CommitActions c;
    c.version = version;
    c.actions = ParseCommit(lines, "winner").ValueOrDie();
    return c;
  }
  // A delete of `id > 10` in partition a: it read a1 and a2 (a1's ids cannot match, but the
  // footprint is what it read) and removes a2.
  static TransactionFootprint DeleteFootprint() {
    TransactionFootprint t;
    t.read_filter = cp::and_(cp::equal(cp::field_ref("p"), cp::literal("a")),
                             cp::greater(cp::field_ref("id"), cp::literal(int64_t{10})));
    t.read_files = {"a2"};
    t.removed_files = {"a2"};
    return t;
  }

  fs::path root_;
};

TEST_F(ConflictTest, BlindAppendsCommuteUnderWriteSerializableOnly) {
  auto read = Table();
  auto append = Winner(Info("WRITE", true) + Add("a3", "a", 40, 50));
  EXPECT_OK(CheckConflict(*read, DeleteFootprint(), append));

  auto serial = Table(R"("delta.isolationLevel":"Serializable")");
  EXPECT_EQ(TableIsolationLevel(serial->metadata()), IsolationLevel::kSerializable);
  Status st = CheckConflict(*serial, DeleteFootprint(), append);
  EXPECT_EQ(ErrorCode(st), "CONCURRENT_APPEND");
  auto details = ErrorDetails(st);
  EXPECT_EQ(details.Get("winning_version")->int_value(), 1);
  EXPECT_EQ(details.Get("read_version")->int_value(), 0);
  EXPECT_EQ(details.Get("path")->string_value(), "a3");
  // Serializable, but the appended rows lie outside what the transaction read.
  EXPECT_OK(CheckConflict(*serial, DeleteFootprint(), Winner(Add("b2", "b", 40, 50))));
  EXPECT_OK(CheckConflict(*serial, DeleteFootprint(), Winner(Add("a4", "a", 1, 9))));
}

TEST_F(ConflictTest, AddedFilesConflictWhenTheReadPredicateMayMatchThem) {
  auto read = Table();
  auto t = DeleteFootprint();
  // Not a blind append (an overwrite by predicate, a merge...): checked against the predicate.
  EXPECT_EQ(
      ErrorCode(CheckConflict(*read, t, Winner(Info("WRITE", false) + Add("a5", "a", 8, 12)))),
      "CONCURRENT_APPEND");
  EXPECT_OK(CheckConflict(*read, t, Winner(Info("WRITE", false) + Add("a5", "a", 1, 10))));
  EXPECT_OK(CheckConflict(*read, t, Winner(Info("WRITE", false) + Add("b5", "b", 11, 90))));
  // No statistics: it may hold anything of partition a.
  EXPECT_EQ(ErrorCode(CheckConflict(*read, t, Winner(Info("WRITE", false) + Add("a6", "a", 1, 0)))),
            "CONCURRENT_APPEND");
  // A commit without commitInfo is not known to be a blind append.
  EXPECT_EQ(ErrorCode(CheckConflict(*read, t, Winner(Add("a7", "a", 11, 11)))),
            "CONCURRENT_APPEND");
  // Files added without a data change (a compaction's) are the same rows.
  EXPECT_OK(
      CheckConflict(*read, t, Winner(Info("OPTIMIZE", false) + Add("a8", "a", 11, 11, false))));
}

TEST_F(ConflictTest, RemovedFilesConflictWithFilesReadOrRemoved) {
  auto read = Table();
  auto t = DeleteFootprint();
  t.read_files.insert("a1");
  EXPECT_EQ(ErrorCode(CheckConflict(*read, t, Winner(Info("DELETE", false) + Remove("a2")))),
            "CONCURRENT_DELETE_DELETE");
  Status st = CheckConflict(*read, t, Winner(Info("DELETE", false) + Remove("a1")));
  EXPECT_EQ(ErrorCode(st), "CONCURRENT_DELETE_READ");
  EXPECT_EQ(ErrorDetails(st).Get("winning_operation")->string_value(), "DELETE");
  // A compaction's remove is a remove all the same.
  EXPECT_EQ(
      ErrorCode(CheckConflict(*read, t, Winner(Info("OPTIMIZE", false) + Remove("a1", false)))),
      "CONCURRENT_DELETE_READ");
  EXPECT_OK(CheckConflict(*read, t, Winner(Info("DELETE", false) + Remove("b1"))));
}

TEST_F(ConflictTest, AWholeTableReadConflictsWithEveryDataChangeButBlindAppends) {
  auto read = Table();
  TransactionFootprint overwrite;
  overwrite.read_whole_table = true;
  overwrite.removed_files = {"a1", "a2", "b1"};
  EXPECT_OK(CheckConflict(*read, overwrite, Winner(Info("WRITE", true) + Add("c1", "c", 1, 1))));
  EXPECT_EQ(ErrorCode(CheckConflict(*read, overwrite,
                                    Winner(Info("WRITE", false) + Add("c1", "c", 1, 1)))),
            "CONCURRENT_APPEND");
  EXPECT_EQ(ErrorCode(CheckConflict(*read, overwrite, Winner(Remove("zz")))),
            "CONCURRENT_DELETE_READ");
  // A transaction that read nothing (a blind append) conflicts with none of these.
  TransactionFootprint blind;
  EXPECT_OK(CheckConflict(*read, blind, Winner(Info("WRITE", false) + Add("c1", "c", 1, 1))));
  EXPECT_OK(CheckConflict(*read, blind, Winner(Remove("a1"))));
}

TEST_F(ConflictTest, MetadataProtocolAndApplicationTransactions) {
  auto read = Table();
  TransactionFootprint blind;
  blind.app_id = "job";
  EXPECT_EQ(
      ErrorCode(CheckConflict(
          *read, blind, Winner(R"({"protocol":{"minReaderVersion":1,"minWriterVersion":3}})"))),
      "PROTOCOL_CHANGED");
  EXPECT_EQ(ErrorCode(CheckConflict(
                *read, blind,
                Winner(std::string(R"({"metaData":{"id":"t","format":{"provider":"parquet",)") +
                       R"("options":{}},"schemaString":")" + kSchema +
                       R"(","partitionColumns":["p"],"configuration":{}}})"))),
            "METADATA_CHANGED");
  EXPECT_EQ(
      ErrorCode(CheckConflict(*read, blind, Winner(R"({"txn":{"appId":"job","version":3}})"))),
      "CONCURRENT_TRANSACTION");
  EXPECT_OK(CheckConflict(*read, blind, Winner(R"({"txn":{"appId":"other","version":3}})")));
}

}  // namespace
}  // namespace codeanatomy::delta
