#include "common/tracing.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/json.h"

namespace codeanatomy::tracing {
namespace {

class TracingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EnableTracing(false);
    ClearSpans();
  }
  void TearDown() override {
    EnableTracing(false);
    internal::SetSpanCapacityForTesting(kMaxSpanRecords);
    ClearSpans();
  }
};

const SpanRecord* FindSpan(const std::vector<SpanRecord>& spans, std::string_view name) {
  for (const SpanRecord& s : spans) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

TEST_F(TracingTest, DisabledSpansAreInactiveAndRecordNothing) {
  EXPECT_FALSE(TracingEnabled());
  {
    CA_TRACE_SPAN(span, "ignored");
    EXPECT_FALSE(span.active());
    EXPECT_EQ(span.id(), 0u);
    span.SetAttribute("k", "v");
    span.SetAttribute("n", int64_t{1});
  }
  EXPECT_TRUE(CollectSpans().empty());
  EXPECT_EQ(ExportChromeTrace(), R"({"traceEvents":[]})");
}

TEST_F(TracingTest, EnabledSpanRecordsNameTimesAndThread) {
  EnableTracing(true);
  EXPECT_TRUE(TracingEnabled());
  uint64_t id = 0;
  {
    Span span("work");
    EXPECT_TRUE(span.active());
    id = span.id();
    EXPECT_TRUE(CollectSpans().empty());  // not finished yet
  }
  const std::vector<SpanRecord> spans = CollectSpans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].id, id);
  EXPECT_EQ(spans[0].parent_id, 0u);
  EXPECT_EQ(spans[0].name, "work");
  EXPECT_GT(spans[0].start_ns, int64_t{1'600'000'000} * 1'000'000'000);  // after 2020
  EXPECT_GE(spans[0].end_ns, spans[0].start_ns);
  EXPECT_GT(spans[0].thread_id, 0u);
}

TEST_F(TracingTest, NestedSpansTakeParentFromEnclosingSpan) {
  EnableTracing(true);
  {
    Span outer("outer");
    {
      Span middle("middle");
      Span inner("inner");
    }
    Span sibling("sibling");
  }
  const std::vector<SpanRecord> spans = CollectSpans();
  ASSERT_EQ(spans.size(), 4u);
  // Start order, not finish order.
  EXPECT_EQ(spans[0].name, "outer");
  EXPECT_EQ(spans[1].name, "middle");
  EXPECT_EQ(spans[2].name, "inner");
  EXPECT_EQ(spans[3].name, "sibling");
  EXPECT_EQ(spans[0].parent_id, 0u);
  EXPECT_EQ(spans[1].parent_id, spans[0].id);
  EXPECT_EQ(spans[2].parent_id, spans[1].id);
  EXPECT_EQ(spans[3].parent_id, spans[0].id);
  EXPECT_LE(spans[0].start_ns, spans[2].start_ns);
  EXPECT_GE(spans[0].end_ns, spans[2].end_ns);
}

TEST_F(TracingTest, SpanEndingOutOfOrderDoesNotBecomeAParent) {
  EnableTracing(true);
  auto first = std::make_unique<Span>("first");
  auto second = std::make_unique<Span>("second");
  first.reset();  // ends before the span it encloses
  { Span third("third"); }
  second.reset();
  const std::vector<SpanRecord> spans = CollectSpans();
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(FindSpan(spans, "third")->parent_id, FindSpan(spans, "second")->id);
}

TEST_F(TracingTest, SpanOpenedWhileEnabledRecordsAfterDisable) {
  EnableTracing(true);
  {
    Span span("straddles");
    EnableTracing(false);
    Span skipped("skipped");
    EXPECT_FALSE(skipped.active());
  }
  const std::vector<SpanRecord> spans = CollectSpans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].name, "straddles");
}

TEST_F(TracingTest, AttributesOfEachTypeAreStoredAsTextAndLastSetWins) {
  EnableTracing(true);
  {
    Span span("attrs");
    span.SetAttribute("s", std::string_view("text"));
    span.SetAttribute("lit", "literal");  // a literal must not become a bool
    span.SetAttribute("i", int64_t{-42});
    span.SetAttribute("small", 7);
    span.SetAttribute("size", size_t{18446744073709551615ULL});
    span.SetAttribute("d", 0.1);
    span.SetAttribute("b", true);
    span.SetAttribute("s", std::string_view("replaced"));
  }
  const std::vector<SpanRecord> spans = CollectSpans();
  ASSERT_EQ(spans.size(), 1u);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"s", "replaced"},
      {"lit", "literal"},
      {"i", "-42"},
      {"small", "7"},
      {"size", "18446744073709551615"},
      {"d", "0.1"},
      {"b", "true"}};
  EXPECT_EQ(spans[0].attributes, expected);
}

TEST_F(TracingTest, SpansFromManyThreadsAreAllCollectedWithPerThreadParents) {
  EnableTracing(true);
  constexpr int kThreads = 8;
  constexpr int kSpansPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([] {
      Span root("thread_root");
      for (int i = 0; i < kSpansPerThread; ++i) {
        Span child("child");
        child.SetAttribute("i", i);
      }
    });
  }
  for (std::thread& t : threads) t.join();

  const std::vector<SpanRecord> spans = CollectSpans();
  ASSERT_EQ(spans.size(), static_cast<size_t>(kThreads * (kSpansPerThread + 1)));
  std::map<uint64_t, uint64_t> root_by_thread;  // thread_id -> root span id
  std::set<uint64_t> ids;
  for (const SpanRecord& s : spans) {
    ids.insert(s.id);
    if (s.name == "thread_root") {
      EXPECT_EQ(s.parent_id, 0u);
      EXPECT_TRUE(root_by_thread.emplace(s.thread_id, s.id).second);
    }
  }
  EXPECT_EQ(ids.size(), spans.size());
  EXPECT_EQ(root_by_thread.size(), static_cast<size_t>(kThreads));
  for (const SpanRecord& s : spans) {
    if (s.name == "child") {
      EXPECT_EQ(s.parent_id, root_by_thread.at(s.thread_id));
    }
  }
  for (size_t i = 1; i < spans.size(); ++i) {
    EXPECT_LE(spans[i - 1].start_ns, spans[i].start_ns);
  }
}

TEST_F(TracingTest, SpansBeyondCapacityAreDroppedAndCounted) {
  internal::SetSpanCapacityForTesting(3);
  EnableTracing(true);
  for (int i = 0; i < 5; ++i) Span span("s");
  EXPECT_EQ(CollectSpans().size(), 3u);
  EXPECT_EQ(DroppedSpanCount(), 2u);
  ClearSpans();
  EXPECT_EQ(DroppedSpanCount(), 0u);
  EXPECT_TRUE(CollectSpans().empty());
}

TEST_F(TracingTest, ChromeTraceParsesBackWithCompleteEvents) {
  EnableTracing(true);
  {
    Span outer("outer");
    outer.SetAttribute("rows", 12);
    Span inner("inner \"quoted\"");
  }
  const std::vector<SpanRecord> spans = CollectSpans();
  auto parsed = JsonValue::Parse(ExportChromeTrace());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const JsonValue* events = parsed->Get("traceEvents");
  ASSERT_NE(events, nullptr);
  ASSERT_EQ(events->array_value().size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const JsonValue& e = events->array_value()[i];
    EXPECT_EQ(e.Get("name")->string_value(), spans[i].name);
    EXPECT_EQ(e.Get("ph")->string_value(), "X");
    EXPECT_EQ(e.Get("pid")->int_value(), 1);
    EXPECT_EQ(static_cast<uint64_t>(e.Get("tid")->int_value()), spans[i].thread_id);
    EXPECT_NEAR(e.Get("ts")->number_value(), static_cast<double>(spans[i].start_ns) / 1e3, 1.0);
    EXPECT_NEAR(e.Get("dur")->number_value(),
                static_cast<double>(spans[i].end_ns - spans[i].start_ns) / 1e3, 1e-3);
    EXPECT_TRUE(e.Get("args")->is_object());
  }
  EXPECT_EQ(events->array_value()[0].Get("args")->ToJson(), R"({"rows":"12"})");
  EXPECT_EQ(events->array_value()[1].Get("name")->string_value(), "inner \"quoted\"");
}

TEST_F(TracingTest, OtlpExportLinksSpansIntoTraces) {
  EnableTracing(true);
  {
    Span root("root");
    Span child("child");
    child.SetAttribute("k", "v");
  }
  { Span other("other_root"); }
  auto parsed = JsonValue::Parse(ExportOtlpJson());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const JsonValue& resource_spans = parsed->Get("resourceSpans")->array_value().at(0);
  EXPECT_EQ(resource_spans.Get("resource")->ToJson(),
            R"({"attributes":[{"key":"service.name","value":{"stringValue":"codeanatomy"}}]})");
  const JsonValue& scope_spans = resource_spans.Get("scopeSpans")->array_value().at(0);
  EXPECT_EQ(scope_spans.Get("scope")->Get("name")->string_value(), "codeanatomy");
  const JsonArray& spans = scope_spans.Get("spans")->array_value();
  ASSERT_EQ(spans.size(), 3u);

  const JsonValue& root = spans[0];
  const JsonValue& child = spans[1];
  const JsonValue& other = spans[2];
  EXPECT_EQ(root.Get("name")->string_value(), "root");
  EXPECT_EQ(root.Get("parentSpanId")->string_value(), "");
  EXPECT_EQ(root.Get("spanId")->string_value().size(), 16u);
  EXPECT_EQ(root.Get("traceId")->string_value().size(), 32u);
  EXPECT_EQ(child.Get("parentSpanId")->string_value(), root.Get("spanId")->string_value());
  EXPECT_EQ(child.Get("traceId")->string_value(), root.Get("traceId")->string_value());
  EXPECT_NE(other.Get("traceId")->string_value(), root.Get("traceId")->string_value());
  EXPECT_EQ(child.Get("attributes")->ToJson(), R"([{"key":"k","value":{"stringValue":"v"}}])");
  EXPECT_TRUE(child.Get("startTimeUnixNano")->is_string());
  EXPECT_LE(std::stoll(child.Get("startTimeUnixNano")->string_value()),
            std::stoll(child.Get("endTimeUnixNano")->string_value()));
}

}  // namespace
}  // namespace codeanatomy::tracing
