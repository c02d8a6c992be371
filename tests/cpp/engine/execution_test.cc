#include "engine/execution.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <arrow/array/builder_primitive.h>
#include <arrow/util/cancel.h>
#include <gtest/gtest.h>

#include "engine/session_context.h"
#include "test_util.h"

namespace codeanatomy::engine {
namespace {

using Clock = std::chrono::steady_clock;
using testing::ArrayFromJSON;
using testing::ErrorCode;
using testing::ErrorStage;
using testing::Int32;
using testing::Int64;
using testing::Rows;
using testing::SortedRows;
using testing::TableFromJSON;

/// An effectively endless stream of (x int64, g int64 = x % groups) batches. It ends by itself
/// after `give_up` so that an engine that ignores cancellation fails the test instead of
/// hanging it.
class GeneratedReader : public arrow::RecordBatchReader {
 public:
  GeneratedReader(int64_t rows_per_batch, int64_t max_batches, int64_t groups = 1000,
                  std::chrono::seconds give_up = std::chrono::seconds(60))
      : rows_per_batch_(rows_per_batch),
        max_batches_(max_batches),
        groups_(groups),
        deadline_(Clock::now() + give_up) {}

  std::shared_ptr<arrow::Schema> schema() const override { return Schema(); }
  static std::shared_ptr<arrow::Schema> Schema() {
    return arrow::schema({arrow::field("x", arrow::int64()), arrow::field("g", arrow::int64())});
  }

  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    if (batches_ >= max_batches_ || Clock::now() > deadline_) return Status::OK();
    arrow::Int64Builder xs, gs;
    CA_RETURN_NOT_OK(xs.Reserve(rows_per_batch_));
    CA_RETURN_NOT_OK(gs.Reserve(rows_per_batch_));
    for (int64_t i = 0; i < rows_per_batch_; ++i) {
      int64_t x = next_++;
      xs.UnsafeAppend(x);
      gs.UnsafeAppend(x % groups_);
    }
    std::shared_ptr<arrow::Array> xa, ga;
    CA_RETURN_NOT_OK(xs.Finish(&xa));
    CA_RETURN_NOT_OK(gs.Finish(&ga));
    *out = arrow::RecordBatch::Make(Schema(), rows_per_batch_, {xa, ga});
    ++batches_;
    batches_read_.fetch_add(1);
    return Status::OK();
  }

  int64_t batches_read() const { return batches_read_.load(); }

 private:
  int64_t rows_per_batch_;
  int64_t max_batches_;
  int64_t groups_;
  Clock::time_point deadline_;
  int64_t batches_ = 0;
  int64_t next_ = 0;
  std::atomic<int64_t> batches_read_{0};
};

/// A table with `rows` rows of x = a permutation of 0..rows-1 and g = x % groups.
std::shared_ptr<arrow::Table> BigTable(int64_t rows, int64_t groups) {
  arrow::Int64Builder xs, gs;
  EXPECT_TRUE(xs.Reserve(rows).ok());
  EXPECT_TRUE(gs.Reserve(rows).ok());
  for (int64_t i = 0; i < rows; ++i) {
    int64_t x = (i * 7919) % rows;  // 7919 is prime and does not divide the row counts used
    xs.UnsafeAppend(x);
    gs.UnsafeAppend(x % groups);
  }
  std::shared_ptr<arrow::Array> xa, ga;
  EXPECT_TRUE(xs.Finish(&xa).ok());
  EXPECT_TRUE(gs.Finish(&ga).ok());
  return arrow::Table::Make(GeneratedReader::Schema(), {xa, ga}, rows);
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class ExecutionTest : public ::testing::Test {
 protected:
  void SetUp() override { ctx_ = Make(SessionConfig{}); }

  static std::unique_ptr<SessionContext> Make(SessionConfig config) {
    auto ctx = SessionContext::Make(std::move(config));
    EXPECT_TRUE(ctx.ok()) << ctx.status().ToString();
    return ctx.ok() ? std::make_unique<SessionContext>(std::move(*ctx)) : nullptr;
  }

  DataFrame Table(const std::string& name) { return ctx_->Table(name).ValueOrDie(); }

  std::unique_ptr<SessionContext> ctx_;
};

// ------------------------------------------------------------------ cancellation

TEST_F(ExecutionTest, StopSourceCancelsARunningAggregatePromptly) {
  auto reader = std::make_shared<GeneratedReader>(64 * 1024, 1'000'000);
  ASSERT_OK(ctx_->RegisterReader("big", reader));
  ASSERT_OK_AND_ASSIGN(
      auto df, Table("big").Aggregate({Column("g")}, {AggregateCall("sum", {Column("x")})}));
  arrow::StopSource stop;
  ExecuteOptions options;
  options.stop_token = stop.token();
  auto start = Clock::now();
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop.RequestStop();
  });
  auto result = df.Collect(options);
  double elapsed = SecondsSince(start);
  canceller.join();
  ASSERT_FALSE(result.ok()) << "query finished despite cancellation (rows " << (*result)->num_rows()
                            << ")";
  EXPECT_TRUE(result.status().IsCancelled()) << result.status().ToString();
  EXPECT_EQ(ErrorCode(result.status()), "CANCELLED");
  EXPECT_LT(elapsed, 5.0);
  // The source stops being read soon after cancellation.
  int64_t read_at_return = reader->batches_read();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_LE(reader->batches_read() - read_at_return, 16);
}

TEST_F(ExecutionTest, StopSourceCancelsAStreamBeingRead) {
  auto reader = std::make_shared<GeneratedReader>(8 * 1024, 1'000'000);
  ASSERT_OK(ctx_->RegisterReader("big", reader));
  ASSERT_OK_AND_ASSIGN(auto df, Table("big").Filter(Call(">=", {Column("x"), Int64(0)})));
  arrow::StopSource stop;
  ExecuteOptions options;
  options.stop_token = stop.token();
  ASSERT_OK_AND_ASSIGN(auto stream, df.ExecuteStream(options));
  std::shared_ptr<arrow::RecordBatch> batch;
  ASSERT_OK(stream->ReadNext(&batch));
  ASSERT_NE(batch, nullptr);
  stop.RequestStop();
  auto start = Clock::now();
  Status st;
  for (int i = 0; i < 1000 && st.ok(); ++i) {
    st = stream->ReadNext(&batch);
    if (st.ok() && batch == nullptr) break;
  }
  EXPECT_TRUE(st.IsCancelled()) << st.ToString();
  EXPECT_LT(SecondsSince(start), 5.0);
}

TEST_F(ExecutionTest, AlreadyStoppedTokenCancelsImmediately) {
  ASSERT_OK(ctx_->RegisterReader("big", std::make_shared<GeneratedReader>(64 * 1024, 1'000'000)));
  ASSERT_OK_AND_ASSIGN(auto df, Table("big").Aggregate({}, {AggregateCall("count", {})}));
  arrow::StopSource stop;
  stop.RequestStop();
  ExecuteOptions options;
  options.stop_token = stop.token();
  auto start = Clock::now();
  auto result = df.Collect(options);
  EXPECT_EQ(ErrorCode(result.status()), "CANCELLED");
  EXPECT_LT(SecondsSince(start), 5.0);
}

TEST_F(ExecutionTest, StopSourceCancelsANestedLoopJoin) {
  // 20k x 20k candidate pairs with a filter that matches almost nothing.
  ASSERT_OK(ctx_->RegisterTable("l", BigTable(20000, 100)));
  ASSERT_OK(ctx_->RegisterTable("r", BigTable(20000, 100)));
  ASSERT_OK_AND_ASSIGN(
      auto df,
      Table("l").Join(Table("r"), JoinType::kInner, {}, {},
                      Call("=", {Call("+", {Column("x"), Column("x_right")}), Int64(-1)})));
  arrow::StopSource stop;
  ExecuteOptions options;
  options.stop_token = stop.token();
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop.RequestStop();
  });
  auto start = Clock::now();
  auto result = df.Collect(options);
  double elapsed = SecondsSince(start);
  canceller.join();
  ASSERT_FALSE(result.ok()) << "finished in " << elapsed << "s before it could be cancelled";
  EXPECT_EQ(ErrorCode(result.status()), "CANCELLED") << result.status().ToString();
  EXPECT_LT(elapsed, 5.0);
}

TEST_F(ExecutionTest, InterruptCheckErrorStopsTheQuery) {
  ASSERT_OK(ctx_->RegisterReader("big", std::make_shared<GeneratedReader>(64 * 1024, 1'000'000)));
  ASSERT_OK_AND_ASSIGN(
      auto df, Table("big").Aggregate({Column("g")}, {AggregateCall("max", {Column("x")})}));
  std::atomic<int> calls{0};
  ExecuteOptions options;
  options.poll_seconds = 0.01;
  options.interrupt_check = [&]() -> Status {
    if (calls.fetch_add(1) < 5) return Status::OK();
    return Status::Cancelled("KeyboardInterrupt");
  };
  auto start = Clock::now();
  auto result = df.Collect(options);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().IsCancelled()) << result.status().ToString();
  EXPECT_EQ(result.status().message(), "KeyboardInterrupt");
  EXPECT_GE(calls.load(), 6);
  EXPECT_LT(SecondsSince(start), 5.0);
}

TEST_F(ExecutionTest, InterruptCheckErrorOfAnyKindIsReturnedAsIs) {
  ASSERT_OK(ctx_->RegisterReader("big", std::make_shared<GeneratedReader>(64 * 1024, 1'000'000)));
  ASSERT_OK_AND_ASSIGN(auto df, Table("big").Aggregate({}, {AggregateCall("sum", {Column("x")})}));
  ExecuteOptions options;
  options.interrupt_check = [] { return InvalidError(stage::kRuntime, "INTERRUPTED", "signal"); };
  auto result = df.Collect(options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(ErrorCode(result.status()), "INTERRUPTED");
  EXPECT_EQ(ErrorStage(result.status()), "runtime");
}

TEST_F(ExecutionTest, InterruptCheckThatNeverFailsLetsTheQueryFinish) {
  ASSERT_OK(ctx_->RegisterReader("s", std::make_shared<GeneratedReader>(1000, 10)));
  ASSERT_OK_AND_ASSIGN(auto df, Table("s").Aggregate({}, {AggregateCall("count", {}),
                                                          AggregateCall("sum", {Column("x")})}));
  ExecuteOptions options;
  options.interrupt_check = [] { return Status::OK(); };
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect(options));
  // 10,000 rows: x = 0..9999.
  EXPECT_EQ(Rows(*result), (std::vector<std::string>{"10000|49995000"}));
}

// ------------------------------------------------------------------ memory limit

constexpr int64_t kManyRows = 10'000'000;

TEST_F(ExecutionTest, SortBeyondTheMemoryLimitFailsWithMemoryLimitExceeded) {
  SessionConfig config;
  config.memory_limit_bytes = 1 << 20;
  auto ctx = Make(config);
  ASSERT_NE(ctx, nullptr);
  ASSERT_OK(ctx->RegisterTable("big", BigTable(kManyRows, 1000)));
  ASSERT_OK_AND_ASSIGN(auto df, ctx->Table("big"));
  ASSERT_OK_AND_ASSIGN(df, df.Sort({SortKey{Column("x"), false}}));
  auto result = df.Collect();
  ASSERT_FALSE(result.ok()) << "sorted " << (*result)->num_rows() << " rows within 1 MiB";
  auto info = DescribeError(result.status());
  EXPECT_EQ(info.code, "MEMORY_LIMIT_EXCEEDED") << result.status().ToString();
  EXPECT_EQ(info.stage, "runtime");
  // The session stays usable for small queries.
  ASSERT_OK(ctx->RegisterTable("small", BigTable(100, 10)));
  ASSERT_OK_AND_ASSIGN(auto small, ctx->Table("small"));
  ASSERT_OK_AND_ASSIGN(small, small.Aggregate({}, {AggregateCall("count", {})}));
  ASSERT_OK_AND_ASSIGN(auto count, small.Collect());
  EXPECT_EQ(Rows(*count), (std::vector<std::string>{"100"}));
}

// Arrow's hash grouper does not recover from a refused allocation: the engine abandons the
// plan and reports the error, but the abandoned plan's threads keep running, and a process that
// then runs its static destructors can crash under them. So the scenario runs in a child
// process that reports the error code and leaves at once.
// A grouped aggregate over 10M distinct keys in a session limited to 1 MiB: the error code
// ("OK" if it fit), and the bytes the session's pool has charged afterwards.
std::pair<std::string, int64_t> AggregateOverOneMiB() {
  SessionConfig config;
  config.memory_limit_bytes = 1 << 20;
  auto ctx = SessionContext::Make(config).ValueOrDie();
  // Every row its own group: the hash table cannot fit in 1 MiB.
  if (!ctx.RegisterTable("big", BigTable(kManyRows, kManyRows)).ok()) return {"REGISTER_FAILED", 0};
  auto df = ctx.Table("big").ValueOrDie();
  df = df.Aggregate({Column("g")}, {AggregateCall("count", {})}).ValueOrDie();
  auto result = df.Collect();
  return {result.ok() ? "OK" : ErrorCode(result.status()), ctx.state()->bytes_allocated()};
}

std::string AggregateOverOneMiBErrorCode() { return AggregateOverOneMiB().first; }

// After the abandonment the session measures later queries against the limit afresh: the
// abandoned plan's buffers (never freed) no longer count, so the next query can use it all.
std::string BytesChargedAfterAbandonment() {
  auto [code, bytes] = AggregateOverOneMiB();
  return code + " bytes=" + std::to_string(bytes);
}

TEST_F(ExecutionTest, AbandonedQueryNoLongerCountsAgainstTheLimit) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        std::fprintf(stderr, "result=%s\n", BytesChargedAfterAbandonment().c_str());
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "result=MEMORY_LIMIT_EXCEEDED bytes=0");
}

TEST_F(ExecutionTest, AggregateBeyondTheMemoryLimitFailsWithMemoryLimitExceeded) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        std::fprintf(stderr, "code=%s\n", AggregateOverOneMiBErrorCode().c_str());
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "code=MEMORY_LIMIT_EXCEEDED");
}

TEST_F(ExecutionTest, TheSameSortFitsUnderTheDefaultLimit) {
  ASSERT_OK(ctx_->RegisterTable("big", BigTable(1'000'000, 1000)));
  ASSERT_OK_AND_ASSIGN(auto df, Table("big").Sort({SortKey{Column("x"), false}}));
  ASSERT_OK_AND_ASSIGN(df, df.Limit(3));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(Rows(*result), (std::vector<std::string>{"999999|999", "999998|998", "999997|997"}));
}

TEST_F(ExecutionTest, SessionPoolTracksAllocations) {
  ASSERT_OK(ctx_->RegisterTable("big", BigTable(100000, 10)));
  ASSERT_OK_AND_ASSIGN(auto df, Table("big").Sort({SortKey{Column("x")}}));
  {
    ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
    EXPECT_EQ(result->num_rows(), 100000);
    EXPECT_GT(ctx_->state()->bytes_allocated(), 0);
  }
}

// ------------------------------------------------------------------ limit / offset

class LimitTest : public ExecutionTest {
 protected:
  void SetUp() override {
    SessionConfig config;
    config.batch_size = 3;
    ctx_ = Make(config);
    ASSERT_NE(ctx_, nullptr);
    auto schema = arrow::schema({arrow::field("v", arrow::int64())});
    ASSERT_OK(ctx_->RegisterTable(
        "ten", TableFromJSON(schema, {R"([{"v": 0}, {"v": 1}, {"v": 2}, {"v": 3}])",
                                      R"([{"v": 4}, {"v": 5}, {"v": 6}])",
                                      R"([{"v": 7}, {"v": 8}, {"v": 9}])"})));
  }

  std::vector<int64_t> Values(const DataFrame& df) {
    auto result = df.Collect();
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    std::vector<int64_t> out;
    if (!result.ok()) return out;
    auto combined = (*result)->CombineChunks().ValueOrDie();
    if (combined->num_rows() == 0) return out;
    auto col = std::static_pointer_cast<arrow::Int64Array>(combined->column(0)->chunk(0));
    for (int64_t i = 0; i < col->length(); ++i) out.push_back(col->Value(i));
    return out;
  }
};

TEST_F(LimitTest, LimitWithOffsetOverUnorderedInput) {
  ASSERT_OK_AND_ASSIGN(auto df, Table("ten").Limit(4, 3));
  auto values = Values(df);
  ASSERT_EQ(values.size(), 4u);
  std::set<int64_t> unique(values.begin(), values.end());
  EXPECT_EQ(unique.size(), 4u);
  for (auto v : values) {
    EXPECT_GE(v, 0);
    EXPECT_LE(v, 9);
  }
}

TEST_F(LimitTest, OffsetNearTheEndAndPastTheEnd) {
  ASSERT_OK_AND_ASSIGN(auto tail, Table("ten").Limit(100, 8));
  EXPECT_EQ(Values(tail).size(), 2u);
  ASSERT_OK_AND_ASSIGN(auto past, Table("ten").Limit(5, 10));
  EXPECT_TRUE(Values(past).empty());
  ASSERT_OK_AND_ASSIGN(auto zero, Table("ten").Limit(0));
  EXPECT_TRUE(Values(zero).empty());
  ASSERT_OK_AND_ASSIGN(auto all, Table("ten").Limit(-1, 0));
  EXPECT_EQ(Values(all).size(), 10u);
  ASSERT_OK_AND_ASSIGN(auto skip_only, Table("ten").Limit(-1, 7));
  EXPECT_EQ(Values(skip_only).size(), 3u);
}

TEST_F(LimitTest, LimitAfterSortIsExact) {
  ASSERT_OK_AND_ASSIGN(auto df, Table("ten").Sort({SortKey{Column("v"), false}}));
  ASSERT_OK_AND_ASSIGN(df, df.Limit(3, 2));
  EXPECT_EQ(Values(df), (std::vector<int64_t>{7, 6, 5}));
}

TEST_F(LimitTest, LimitOfAFilteredProjection) {
  ASSERT_OK_AND_ASSIGN(auto df, Table("ten").Filter(Call(">=", {Column("v"), Int64(5)})));
  ASSERT_OK_AND_ASSIGN(df, df.Select({Alias(Call("*", {Column("v"), Int64(10)}), "w")}));
  ASSERT_OK_AND_ASSIGN(df, df.Limit(2, 1));
  auto values = Values(df);
  ASSERT_EQ(values.size(), 2u);
  for (auto v : values) EXPECT_TRUE(v >= 50 && v <= 90 && v % 10 == 0) << v;
  EXPECT_EQ(df.schema()->field(0)->name(), "w");
}

TEST_F(LimitTest, LimitStopsReadingAnEndlessStream) {
  auto reader = std::make_shared<GeneratedReader>(1024, 1'000'000);
  ASSERT_OK(ctx_->RegisterReader("endless", reader));
  ASSERT_OK_AND_ASSIGN(auto df, Table("endless").Limit(5, 2000));
  auto start = Clock::now();
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(result->num_rows(), 5);
  EXPECT_LT(SecondsSince(start), 10.0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_LT(reader->batches_read(), 1000) << "the source kept being read after the limit";
}

TEST_F(LimitTest, LimitUnderAnAggregate) {
  ASSERT_OK_AND_ASSIGN(auto df, Table("ten").Limit(4));
  ASSERT_OK_AND_ASSIGN(df, df.Aggregate({}, {AggregateCall("count", {})}));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(Rows(*result), (std::vector<std::string>{"4"}));
}

// ------------------------------------------------------------------ joins

class JoinExecutionTest : public ExecutionTest {
 protected:
  void SetUp() override {
    ExecutionTest::SetUp();
    ASSERT_OK(
        ctx_->RegisterTable("a", TableFromJSON(arrow::schema({arrow::field("a", arrow::int64())}),
                                               {R"([{"a": 1}, {"a": 2}, {"a": 3}])"})));
    ASSERT_OK(
        ctx_->RegisterTable("b", TableFromJSON(arrow::schema({arrow::field("b", arrow::int64())}),
                                               {R"([{"b": 1}, {"b": 2}, {"b": 3}, {"b": 4}])"})));
  }

  std::vector<std::string> Run(JoinType type, ExprPtr filter) {
    auto df = Table("a").Join(Table("b"), type, {}, {}, std::move(filter));
    EXPECT_TRUE(df.ok()) << df.status().ToString();
    if (!df.ok()) return {};
    auto result = df->Collect();
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (!result.ok()) return {};
    EXPECT_TRUE((*result)->schema()->Equals(*df->schema(), false))
        << (*result)->schema()->ToString();
    return SortedRows(**result);
  }
};

TEST_F(JoinExecutionTest, NestedLoopInnerJoinWithInequality) {
  EXPECT_EQ(Run(JoinType::kInner, Call("<", {Column("a"), Column("b")})),
            (std::vector<std::string>{"1|2", "1|3", "1|4", "2|3", "2|4", "3|4"}));
}

TEST_F(JoinExecutionTest, CrossJoinWithoutKeysOrFilter) {
  EXPECT_EQ(Run(JoinType::kInner, nullptr).size(), 12u);
}

TEST_F(JoinExecutionTest, NestedLoopOuterJoins) {
  auto filter = Call(">", {Column("a"), Call("+", {Column("b"), Int64(1)})});
  EXPECT_EQ(Run(JoinType::kLeft, filter), (std::vector<std::string>{"1|null", "2|null", "3|1"}));
  EXPECT_EQ(Run(JoinType::kRight, filter),
            (std::vector<std::string>{"3|1", "null|2", "null|3", "null|4"}));
  EXPECT_EQ(Run(JoinType::kFull, filter),
            (std::vector<std::string>{"1|null", "2|null", "3|1", "null|2", "null|3", "null|4"}));
}

TEST_F(JoinExecutionTest, NestedLoopSemiAndAntiJoins) {
  auto filter = Call(">", {Column("a"), Call("+", {Column("b"), Int64(1)})});
  EXPECT_EQ(Run(JoinType::kLeftSemi, filter), (std::vector<std::string>{"3"}));
  EXPECT_EQ(Run(JoinType::kLeftAnti, filter), (std::vector<std::string>{"1", "2"}));
}

TEST_F(JoinExecutionTest, NestedLoopJoinSeesSuffixedNames) {
  ASSERT_OK_AND_ASSIGN(auto df, Table("a").Join(Table("a"), JoinType::kInner, {}, {},
                                                Call("<", {Column("a"), Column("a_right")})));
  EXPECT_EQ(df.schema()->field_names(), (std::vector<std::string>{"a", "a_right"}));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"1|2", "1|3", "2|3"}));
}

class NestedPayloadJoinTest : public ExecutionTest {
 protected:
  void SetUp() override {
    ExecutionTest::SetUp();
    ASSERT_OK(ctx_->RegisterTable("left", TableFromJSON(LeftSchema(), {R"([
        {"id": 1, "s": {"p": 10, "q": "one"}},
        {"id": 2, "s": {"p": 20, "q": "two"}},
        {"id": 3, "s": null}])"})));
    ASSERT_OK(ctx_->RegisterTable("right", TableFromJSON(RightSchema(), {R"([
        {"id": 2, "l": [1, 2]},
        {"id": 3, "l": []},
        {"id": 3, "l": [7, null, 9]},
        {"id": 4, "l": null}])"})));
  }

  static std::shared_ptr<arrow::DataType> StructType() {
    return arrow::struct_({arrow::field("p", arrow::int32()), arrow::field("q", arrow::utf8())});
  }
  static std::shared_ptr<arrow::Schema> LeftSchema() {
    return arrow::schema({arrow::field("id", arrow::int64()), arrow::field("s", StructType())});
  }
  static std::shared_ptr<arrow::Schema> RightSchema() {
    return arrow::schema(
        {arrow::field("id", arrow::int64()), arrow::field("l", arrow::list(arrow::int32()))});
  }
  static std::shared_ptr<arrow::Schema> JoinedSchema() {
    return arrow::schema({arrow::field("id", arrow::int64()), arrow::field("s", StructType()),
                          arrow::field("id_right", arrow::int64()),
                          arrow::field("l", arrow::list(arrow::int32()))});
  }

  /// Runs the join and compares with rows given as JSON over JoinedSchema() (or `schema`).
  void ExpectJoin(JoinType type, ExprPtr filter, const std::string& expected_json,
                  std::shared_ptr<arrow::Schema> schema = JoinedSchema()) {
    ASSERT_OK_AND_ASSIGN(
        auto df, Table("left").Join(Table("right"), type, {"id"}, {"id"}, std::move(filter)));
    ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
    ASSERT_OK(result->ValidateFull());
    EXPECT_EQ(result->schema()->field_names(), schema->field_names());
    auto expected = TableFromJSON(schema, {expected_json});
    EXPECT_EQ(SortedRows(*result), SortedRows(*expected));
  }
};

TEST_F(NestedPayloadJoinTest, InnerJoinCarriesStructAndListColumns) {
  ExpectJoin(JoinType::kInner, nullptr, R"([
      {"id": 2, "s": {"p": 20, "q": "two"}, "id_right": 2, "l": [1, 2]},
      {"id": 3, "s": null, "id_right": 3, "l": []},
      {"id": 3, "s": null, "id_right": 3, "l": [7, null, 9]}])");
}

TEST_F(NestedPayloadJoinTest, LeftJoinFillsNullsForUnmatchedRows) {
  ExpectJoin(JoinType::kLeft, nullptr, R"([
      {"id": 1, "s": {"p": 10, "q": "one"}, "id_right": null, "l": null},
      {"id": 2, "s": {"p": 20, "q": "two"}, "id_right": 2, "l": [1, 2]},
      {"id": 3, "s": null, "id_right": 3, "l": []},
      {"id": 3, "s": null, "id_right": 3, "l": [7, null, 9]}])");
}

TEST_F(NestedPayloadJoinTest, FullJoinKeepsBothSides) {
  ExpectJoin(JoinType::kFull, nullptr, R"([
      {"id": 1, "s": {"p": 10, "q": "one"}, "id_right": null, "l": null},
      {"id": 2, "s": {"p": 20, "q": "two"}, "id_right": 2, "l": [1, 2]},
      {"id": 3, "s": null, "id_right": 3, "l": []},
      {"id": 3, "s": null, "id_right": 3, "l": [7, null, 9]},
      {"id": null, "s": null, "id_right": 4, "l": null}])");
}

TEST_F(NestedPayloadJoinTest, SemiJoinReturnsEachLeftRowOnce) {
  ExpectJoin(JoinType::kLeftSemi, nullptr,
             R"([{"id": 2, "s": {"p": 20, "q": "two"}}, {"id": 3, "s": null}])", LeftSchema());
  ExpectJoin(JoinType::kLeftAnti, nullptr, R"([{"id": 1, "s": {"p": 10, "q": "one"}}])",
             LeftSchema());
}

TEST_F(NestedPayloadJoinTest, ResidualFilterOnAFlatColumn) {
  ExpectJoin(JoinType::kInner, Call(">", {Column("id"), Int64(2)}), R"([
      {"id": 3, "s": null, "id_right": 3, "l": []},
      {"id": 3, "s": null, "id_right": 3, "l": [7, null, 9]}])");
}

TEST_F(NestedPayloadJoinTest, ResidualFilterOnANestedColumn) {
  ExpectJoin(JoinType::kInner, Call(">", {Call("list_value_length", {Column("l")}), Int32(2)}), R"([
      {"id": 3, "s": null, "id_right": 3, "l": [7, null, 9]}])");
}

TEST_F(NestedPayloadJoinTest, ProjectionOfAStructFieldAfterTheJoin) {
  ASSERT_OK_AND_ASSIGN(auto df,
                       Table("left").Join(Table("right"), JoinType::kInner, {"id"}, {"id"}));
  ASSERT_OK_AND_ASSIGN(df, df.Select({Column("id"), Column("l")}));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(result->num_rows(), 3);
}

// ------------------------------------------------------------------ set operations and sort

class SetOpsTest : public ExecutionTest {
 protected:
  void SetUp() override {
    ExecutionTest::SetUp();
    auto schema =
        arrow::schema({arrow::field("k", arrow::int64()), arrow::field("s", arrow::utf8())});
    ASSERT_OK(ctx_->RegisterTable(
        "t1", TableFromJSON(schema, {R"([{"k": 1, "s": "a"}, {"k": 2, "s": "b"}, {"k": 2, "s": "b"},
                                         {"k": null, "s": null}])"})));
    auto other =
        arrow::schema({arrow::field("kk", arrow::int64()), arrow::field("ss", arrow::utf8())});
    ASSERT_OK(ctx_->RegisterTable(
        "t2", TableFromJSON(other, {R"([{"kk": 2, "ss": "b"}, {"kk": 3, "ss": "c"},
                                        {"kk": null, "ss": null}])"})));
  }
};

TEST_F(SetOpsTest, UnionAllKeepsDuplicates) {
  ASSERT_OK_AND_ASSIGN(auto df, Table("t1").Union(Table("t2"), /*distinct=*/false));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(result->schema()->field_names(), (std::vector<std::string>{"k", "s"}));
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"1|a", "2|b", "2|b", "2|b", "3|c",
                                                           "null|null", "null|null"}));
}

TEST_F(SetOpsTest, UnionDistinctRemovesDuplicatesIncludingNulls) {
  ASSERT_OK_AND_ASSIGN(auto df, Table("t1").Union(Table("t2"), /*distinct=*/true));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"1|a", "2|b", "3|c", "null|null"}));
}

TEST_F(SetOpsTest, DistinctRemovesDuplicateRows) {
  ASSERT_OK_AND_ASSIGN(auto df, Table("t1").Distinct());
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"1|a", "2|b", "null|null"}));
  ASSERT_OK_AND_ASSIGN(auto one_col, Table("t1").Select({Column("s")}));
  ASSERT_OK_AND_ASSIGN(one_col, one_col.Distinct());
  ASSERT_OK_AND_ASSIGN(auto r2, one_col.Collect());
  EXPECT_EQ(SortedRows(*r2), (std::vector<std::string>{"a", "b", "null"}));
}

TEST_F(SetOpsTest, DistinctOverANestedColumnIsNotSupported) {
  auto schema = arrow::schema({arrow::field("l", arrow::list(arrow::int32()))});
  ASSERT_OK(ctx_->RegisterTable("lists", TableFromJSON(schema, {R"([{"l": [1]}, {"l": [1]}])"})));
  ASSERT_OK_AND_ASSIGN(auto df, Table("lists").Distinct());
  auto result = df.Collect();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(ErrorCode(result.status()), "NOT_SUPPORTED");
}

class SortTest : public ExecutionTest {
 protected:
  void SetUp() override {
    ExecutionTest::SetUp();
    auto schema =
        arrow::schema({arrow::field("v", arrow::int64()), arrow::field("t", arrow::utf8())});
    ASSERT_OK(ctx_->RegisterTable(
        "t", TableFromJSON(schema, {R"([{"v": 3, "t": "c"}, {"v": null, "t": "n"}])",
                                    R"([{"v": 1, "t": "a"}, {"v": 2, "t": "b"}])"})));
  }

  std::vector<std::string> Sorted(bool ascending, bool nulls_first) {
    auto df = Table("t").Sort({SortKey{Column("v"), ascending, nulls_first}});
    EXPECT_TRUE(df.ok());
    auto result = df->Collect();
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? Rows(**result) : std::vector<std::string>{};
  }
};

TEST_F(SortTest, NullPlacementAndDirection) {
  EXPECT_EQ(Sorted(true, true), (std::vector<std::string>{"null|n", "1|a", "2|b", "3|c"}));
  EXPECT_EQ(Sorted(true, false), (std::vector<std::string>{"1|a", "2|b", "3|c", "null|n"}));
  EXPECT_EQ(Sorted(false, true), (std::vector<std::string>{"null|n", "3|c", "2|b", "1|a"}));
  EXPECT_EQ(Sorted(false, false), (std::vector<std::string>{"3|c", "2|b", "1|a", "null|n"}));
}

TEST_F(SortTest, SortByAnExpressionKeepsTheSchema) {
  ASSERT_OK_AND_ASSIGN(
      auto df, Table("t").Sort({SortKey{Call("*", {Column("v"), Int64(-1)}), true, false}}));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(result->schema()->field_names(), (std::vector<std::string>{"v", "t"}));
  EXPECT_EQ(Rows(*result), (std::vector<std::string>{"3|c", "2|b", "1|a", "null|n"}));
}

TEST_F(SortTest, MultiKeySort) {
  auto schema =
      arrow::schema({arrow::field("g", arrow::utf8()), arrow::field("v", arrow::int64())});
  ASSERT_OK(ctx_->RegisterTable(
      "m", TableFromJSON(schema, {R"([{"g": "b", "v": 1}, {"g": "a", "v": 1}, {"g": "b", "v": 2},
                                      {"g": "a", "v": 3}, {"g": null, "v": 0}])"})));
  ASSERT_OK_AND_ASSIGN(auto df, Table("m").Sort({SortKey{Column("g"), true, false},
                                                 SortKey{Column("v"), false, false}}));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(Rows(*result), (std::vector<std::string>{"a|3", "a|1", "b|2", "b|1", "null|0"}));
}

// ------------------------------------------------------------------ stream helpers

TEST(StreamHelpersTest, LimitReaderSkipsAndStops) {
  auto schema = arrow::schema({arrow::field("v", arrow::int64())});
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches = {
      testing::BatchFromJSON(schema, R"([{"v": 0}, {"v": 1}, {"v": 2}])"),
      testing::BatchFromJSON(schema, R"([{"v": 3}, {"v": 4}])"),
      testing::BatchFromJSON(schema, R"([{"v": 5}, {"v": 6}, {"v": 7}])")};
  auto reader = arrow::RecordBatchReader::Make(batches, schema).ValueOrDie();
  auto limited = MakeLimitReader(reader, 2, 4);
  ASSERT_OK_AND_ASSIGN(auto table, limited->ToTable());
  EXPECT_EQ(Rows(*table), (std::vector<std::string>{"2", "3", "4", "5"}));
}

TEST(StreamHelpersTest, LazyReaderStartsOnFirstRead) {
  auto schema = arrow::schema({arrow::field("v", arrow::int64())});
  int started = 0;
  auto lazy = MakeLazyReader(schema, [&]() -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
    ++started;
    return arrow::RecordBatchReader::Make({testing::BatchFromJSON(schema, R"([{"v": 1}])")},
                                          schema);
  });
  EXPECT_EQ(started, 0);
  ASSERT_OK_AND_ASSIGN(auto table, lazy->ToTable());
  EXPECT_EQ(started, 1);
  EXPECT_EQ(table->num_rows(), 1);
}

TEST(StreamHelpersTest, RenameStreamRelabelsOrRejectsTypeChanges) {
  auto schema = arrow::schema({arrow::field("v", arrow::int64())});
  auto batch = testing::BatchFromJSON(schema, R"([{"v": 1}])");
  auto renamed_schema = arrow::schema({arrow::field("w", arrow::int64(), false)});
  ASSERT_OK_AND_ASSIGN(
      auto renamed,
      RenameStream(arrow::RecordBatchReader::Make({batch}, schema).ValueOrDie(), renamed_schema));
  ASSERT_OK_AND_ASSIGN(auto table, renamed->ToTable());
  EXPECT_EQ(table->schema()->field(0)->name(), "w");
  auto wrong = RenameStream(arrow::RecordBatchReader::Make({batch}, schema).ValueOrDie(),
                            arrow::schema({arrow::field("w", arrow::int32())}));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(ErrorCode(wrong.status()), "INTERNAL");
  auto count =
      RenameStream(arrow::RecordBatchReader::Make({batch}, schema).ValueOrDie(), arrow::schema({}));
  EXPECT_EQ(ErrorCode(count.status()), "INTERNAL");
}

}  // namespace
}  // namespace codeanatomy::engine
