// VACUUM: which files go (unreferenced and older than the retention), which stay (active files,
// young tombstones, the log, hidden paths), and the retention check; the table still reads.
#include "delta/vacuum.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include <arrow/table.h>
#include <gtest/gtest.h>

#include "../engine/test_util.h"
#include "delta/snapshot.h"
#include "delta/writer.h"
#include "engine/session_state.h"

namespace codeanatomy::delta {
namespace {

namespace fs = std::filesystem;
using engine::testing::ErrorCode;
using engine::testing::TableFromJSON;

class VacuumTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(engine::InitializeArrow());
    root_ = fs::temp_directory_path() / ("ca_vacuum_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    Write(R"([{"id": 1}, {"id": 2}])", WriteMode::kErrorIfExists);
    Write(R"([{"id": 3}])", WriteMode::kOverwrite);  // the first file becomes a tombstone
    Touch("stray.parquet");                          // never referenced
    Touch("_change_data/cdc-old.parquet");           // not hidden for vacuum (delta-rs)
    Touch("_hidden/keep.txt");                       // hidden: never vacuumed
    Touch(".dotfile");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // older than "now - 0 h"
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& rows, WriteMode mode) {
    auto table = TableFromJSON(arrow::schema({arrow::field("id", arrow::int64())}), {rows});
    WriteOptions options;
    options.mode = mode;
    ASSERT_OK(WriteDelta(root_.string(), std::make_shared<arrow::TableBatchReader>(table), options)
                  .status());
  }
  void Touch(const std::string& relative) {
    fs::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative) << "x";
  }
  std::vector<std::string> DataFiles(bool active) {
    auto snapshot = Snapshot::Load(root_.string(), TableVersion{LatestVersion{}}).ValueOrDie();
    std::vector<std::string> out;
    for (const auto& f : active ? snapshot->files() : snapshot->tombstones()) out.push_back(f.path);
    return out;
  }

  fs::path root_;
};

TEST_F(VacuumTest, DryRunListsUnreferencedOldFilesOnly) {
  auto tombstones = DataFiles(false);
  ASSERT_EQ(tombstones.size(), 1u);
  VacuumOptions options;
  options.retention_hours = 0;
  options.enforce_retention_duration = false;
  ASSERT_OK_AND_ASSIGN(auto lite, Vacuum(root_.string(), options));
  EXPECT_EQ(lite.files, tombstones);  // by default only what the log removed
  options.full = true;
  ASSERT_OK_AND_ASSIGN(auto result, Vacuum(root_.string(), options));
  std::vector<std::string> expected = {"_change_data/cdc-old.parquet", tombstones[0],
                                       "stray.parquet"};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(result.files, expected);
  EXPECT_TRUE(result.dry_run);
  EXPECT_EQ(result.version, 1);
  EXPECT_TRUE(fs::exists(root_ / "stray.parquet"));  // a dry run deletes nothing
  // The default retention (one week) keeps everything written just now.
  ASSERT_OK_AND_ASSIGN(auto week, Vacuum(root_.string(), VacuumOptions{}));
  EXPECT_TRUE(week.files.empty());
}

TEST_F(VacuumTest, DeletesAndTheTableStillReads) {
  VacuumOptions options;
  options.retention_hours = 0;
  options.enforce_retention_duration = false;
  options.dry_run = false;
  options.full = true;
  auto active = DataFiles(true);
  ASSERT_OK_AND_ASSIGN(auto result, Vacuum(root_.string(), options));
  EXPECT_EQ(result.files.size(), 3u);
  EXPECT_GT(result.bytes, 0);
  EXPECT_FALSE(fs::exists(root_ / "stray.parquet"));
  EXPECT_TRUE(fs::exists(root_ / active[0]));
  EXPECT_TRUE(fs::exists(root_ / "_hidden/keep.txt"));
  EXPECT_TRUE(fs::exists(root_ / ".dotfile"));
  ASSERT_OK_AND_ASSIGN(auto again, Vacuum(root_.string(), options));
  EXPECT_TRUE(again.files.empty());
}

TEST_F(VacuumTest, AShortRetentionIsRefusedUnlessAskedFor) {
  VacuumOptions options;
  options.retention_hours = 1;
  auto refused = Vacuum(root_.string(), options);
  EXPECT_EQ(ErrorCode(refused.status()), "RETENTION_TOO_SHORT");
  options.retention_hours = -1;
  options.enforce_retention_duration = false;
  EXPECT_EQ(ErrorCode(Vacuum(root_.string(), options).status()), "INVALID_RETENTION");
}

}  // namespace
}  // namespace codeanatomy::delta
