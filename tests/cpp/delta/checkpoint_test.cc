// Checkpoints: interval properties, and remove tombstones carried through a checkpoint until
// they expire.
#include <chrono>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "../engine/test_util.h"
#include "delta/checkpoint.h"
#include "engine/session_state.h"

namespace codeanatomy::delta {
namespace {

namespace fs = std::filesystem;
using engine::testing::ErrorCode;

TEST(ParseIntervalMs, DeltaIntervalProperties) {
  constexpr int64_t kDay = 24LL * 3600 * 1000;
  EXPECT_EQ(ParseIntervalMs("interval 1 week").ValueOrDie(), 7 * kDay);
  EXPECT_EQ(ParseIntervalMs("interval 30 days").ValueOrDie(), 30 * kDay);
  EXPECT_EQ(ParseIntervalMs("INTERVAL 12 HOURS").ValueOrDie(), 12 * 3600 * 1000);
  EXPECT_EQ(ParseIntervalMs("interval 0 seconds").ValueOrDie(), 0);
  EXPECT_EQ(ParseIntervalMs("2 days").ValueOrDie(), 2 * kDay);
  for (const char* bad : {"", "interval", "interval x days", "interval 1 fortnight",
                          "interval -1 days", "interval 1 day extra"}) {
    EXPECT_EQ(ErrorCode(ParseIntervalMs(bad).status()), "INVALID_TABLE_PROPERTY") << bad;
  }
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(Checkpoint, KeepsTombstonesUntilTheyExpire) {
  ASSERT_OK(engine::InitializeArrow());
  fs::path root = fs::temp_directory_path() / ("ca_checkpoint_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "_delta_log");
  const std::string schema =
      R"({\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}}]})";
  auto add = [](const std::string& path) {
    return R"({"add":{"path":")" + path +
           R"(","partitionValues":{},"size":7,"modificationTime":1,"dataChange":true}})"
           "\n";
  };
  auto remove = [](const std::string& path, int64_t when) {
    return R"({"remove":{"path":")" + path + R"(","deletionTimestamp":)" + std::to_string(when) +
           R"(,"dataChange":true,"size":7,"partitionValues":{}}})"
           "\n";
  };
  const int64_t now = NowMs();
  std::ofstream(root / "_delta_log" / "00000000000000000000.json")
      << R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})"
         "\n"
      << R"({"metaData":{"id":"t","format":{"provider":"parquet","options":{}},"schemaString":")"
      << schema
      << R"(","partitionColumns":[],"configuration":{}}})"
         "\n"
      << add("a") << add("b") << add("c") << add("d");
  // a: removed now (kept); b: removed 30 days ago (expired); c: removed, then added again.
  std::ofstream(root / "_delta_log" / "00000000000000000001.json")
      << remove("a", now) << remove("b", now - 30LL * 24 * 3600 * 1000) << remove("c", now);
  std::ofstream(root / "_delta_log" / "00000000000000000002.json") << add("c");

  auto snap = Snapshot::Load(root.string(), LatestVersion{}).ValueOrDie();
  std::vector<std::string> tombstones;
  for (const auto& f : snap->tombstones()) tombstones.push_back(f.path);
  EXPECT_EQ(tombstones, (std::vector<std::string>{"a", "b"}));
  ASSERT_OK(WriteCheckpoint(*snap));
  fs::remove(root / "_delta_log" / "00000000000000000001.json");  // only the checkpoint is left
  fs::remove(root / "_delta_log" / "00000000000000000002.json");
  fs::remove(root / "_delta_log" / "00000000000000000000.json");
  auto again = Snapshot::Load(root.string(), LatestVersion{}).ValueOrDie();
  ASSERT_EQ(again->tombstones().size(), 1u);
  EXPECT_EQ(again->tombstones()[0].path, "a");
  EXPECT_EQ(again->tombstones()[0].deletion_timestamp, now);
  EXPECT_EQ(again->tombstones()[0].size, 7);
  std::vector<std::string> files;
  for (const auto& f : again->files()) files.push_back(f.path);
  EXPECT_EQ(files, (std::vector<std::string>{"c", "d"}));
  fs::remove_all(root);
}

}  // namespace
}  // namespace codeanatomy::delta
