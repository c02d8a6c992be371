// Expired log cleanup: only files before a checkpoint every retained version can start from,
// and only when older than the cutoff; the table still loads.
#include "delta/log_cleanup.h"

#include <filesystem>

#include <arrow/table.h>
#include <gtest/gtest.h>

#include "../engine/test_util.h"
#include "delta/checkpoint.h"
#include "delta/snapshot.h"
#include "delta/writer.h"
#include "engine/session_state.h"

namespace codeanatomy::delta {
namespace {

namespace fs = std::filesystem;
using engine::testing::TableFromJSON;

class LogCleanupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(engine::InitializeArrow());
    root_ = fs::temp_directory_path() / ("ca_log_cleanup_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    for (int v = 0; v < 5; ++v) {
      Append(v);
      if (v == 2) {
        auto snapshot = Snapshot::Load(root_.string(), TableVersion{LatestVersion{}}).ValueOrDie();
        ASSERT_OK(WriteCheckpoint(*snapshot));
      }
    }
  }
  void TearDown() override { fs::remove_all(root_); }

  void Append(int v) {
    auto table = TableFromJSON(arrow::schema({arrow::field("id", arrow::int64())}),
                               {"[{\"id\": " + std::to_string(v) + "}]"});
    WriteOptions options;
    options.mode = WriteMode::kAppend;
    ASSERT_OK(WriteDelta(root_.string(), std::make_shared<arrow::TableBatchReader>(table), options)
                  .status());
  }

  fs::path root_;
};

int64_t DayFromNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() +
         24 * 3'600'000LL;
}

TEST_F(LogCleanupTest, DeletesOnlyBeforeTheCheckpointAndTheTableStillLoads) {
  ASSERT_OK_AND_ASSIGN(auto nothing, CleanupMetadata(root_.string()));  // 30 days: all young
  EXPECT_TRUE(nothing.files.empty());
  ASSERT_OK_AND_ASSIGN(auto cleaned, CleanupMetadata(root_.string(), DayFromNowMs()));
  EXPECT_EQ(cleaned.safe_checkpoint_version, 2);
  EXPECT_EQ(cleaned.files,
            (std::vector<std::string>{"00000000000000000000.json", "00000000000000000001.json"}));
  EXPECT_TRUE(fs::exists(root_ / "_delta_log" / "00000000000000000002.checkpoint.parquet"));
  ASSERT_OK_AND_ASSIGN(auto snapshot,
                       Snapshot::Load(root_.string(), TableVersion{LatestVersion{}}));
  EXPECT_EQ(snapshot->version(), 4);
  EXPECT_EQ(snapshot->files().size(), 5u);
}

TEST_F(LogCleanupTest, WithoutACheckpointNothingGoes) {
  fs::remove(root_ / "_delta_log" / "00000000000000000002.checkpoint.parquet");
  fs::remove(root_ / "_delta_log" / "_last_checkpoint");
  ASSERT_OK_AND_ASSIGN(auto cleaned, CleanupMetadata(root_.string(), DayFromNowMs()));
  EXPECT_EQ(cleaned.safe_checkpoint_version, -1);
  EXPECT_TRUE(cleaned.files.empty());
}

}  // namespace
}  // namespace codeanatomy::delta
