#include "common/tracing.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <mutex>
#include <random>
#include <unordered_map>

#include "common/hash.h"
#include "common/json.h"

namespace codeanatomy::tracing {

namespace internal {
std::atomic<bool> g_tracing_enabled{false};
}  // namespace internal

namespace {

std::atomic<uint64_t> g_next_span_id{1};
std::atomic<uint64_t> g_next_thread_number{1};

// Ids of the spans open on this thread, innermost last.
thread_local std::vector<uint64_t> t_open_spans;
thread_local uint64_t t_thread_number = 0;

uint64_t ThreadNumber() {
  if (t_thread_number == 0) {
    t_thread_number = g_next_thread_number.fetch_add(1, std::memory_order_relaxed);
  }
  return t_thread_number;
}

int64_t SinceEpochNs(auto time_point) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time_point.time_since_epoch())
      .count();
}

// Wall-clock nanoseconds read off the monotonic clock, so durations never go
// negative when NTP adjusts the system clock mid-span.
int64_t NowNs() {
  static const int64_t kSteadyToUnix = SinceEpochNs(std::chrono::system_clock::now()) -
                                       SinceEpochNs(std::chrono::steady_clock::now());
  return SinceEpochNs(std::chrono::steady_clock::now()) + kSteadyToUnix;
}

struct SpanStore {
  std::mutex mu;
  std::vector<SpanRecord> records;
  uint64_t dropped = 0;
  size_t capacity = kMaxSpanRecords;
};

SpanStore& Store() {
  // Leaked on purpose: spans may end during static destruction.
  static SpanStore* store = new SpanStore();
  return *store;
}

}  // namespace

namespace internal {
void SetSpanCapacityForTesting(size_t capacity) {
  SpanStore& store = Store();
  std::lock_guard<std::mutex> lock(store.mu);
  store.capacity = capacity;
}
}  // namespace internal

void EnableTracing(bool on) { internal::g_tracing_enabled.store(on, std::memory_order_relaxed); }

bool TracingEnabled() { return internal::g_tracing_enabled.load(std::memory_order_relaxed); }

void Span::Start(std::string_view name) {
  record_ = std::make_unique<SpanRecord>();
  record_->id = g_next_span_id.fetch_add(1, std::memory_order_relaxed);
  record_->parent_id = t_open_spans.empty() ? 0 : t_open_spans.back();
  record_->name = std::string(name);
  record_->thread_id = ThreadNumber();
  t_open_spans.push_back(record_->id);
  record_->start_ns = NowNs();  // last, so our own setup is not timed
}

void Span::Finish() {
  record_->end_ns = NowNs();
  // Usually the innermost span; search anyway in case spans end out of order.
  auto it = std::find(t_open_spans.rbegin(), t_open_spans.rend(), record_->id);
  if (it != t_open_spans.rend()) t_open_spans.erase(std::next(it).base());

  SpanStore& store = Store();
  std::lock_guard<std::mutex> lock(store.mu);
  if (store.records.size() < store.capacity) {
    store.records.push_back(std::move(*record_));
  } else {
    ++store.dropped;
  }
  record_.reset();
}

void Span::SetAttributeText(std::string_view key, std::string value) {
  for (auto& [existing_key, existing_value] : record_->attributes) {
    if (existing_key == key) {
      existing_value = std::move(value);
      return;
    }
  }
  record_->attributes.emplace_back(std::string(key), std::move(value));
}

void Span::SetAttribute(std::string_view key, double value) {
  if (!record_) return;
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  SetAttributeText(key, std::string(buf, static_cast<size_t>(end - buf)));
}

std::vector<SpanRecord> CollectSpans() {
  std::vector<SpanRecord> spans;
  {
    SpanStore& store = Store();
    std::lock_guard<std::mutex> lock(store.mu);
    spans = store.records;
  }
  std::sort(spans.begin(), spans.end(), [](const SpanRecord& a, const SpanRecord& b) {
    return a.start_ns != b.start_ns ? a.start_ns < b.start_ns : a.id < b.id;
  });
  return spans;
}

void ClearSpans() {
  SpanStore& store = Store();
  std::lock_guard<std::mutex> lock(store.mu);
  store.records.clear();
  store.records.shrink_to_fit();
  store.dropped = 0;
}

uint64_t DroppedSpanCount() {
  SpanStore& store = Store();
  std::lock_guard<std::mutex> lock(store.mu);
  return store.dropped;
}

// ---------------------------------------------------------------------------
// Export

namespace {

constexpr std::string_view kServiceName = "codeanatomy";

std::string Hex64(uint64_t v) {
  std::string bytes(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) bytes[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
  return ToHex(bytes);
}

// Random per process so traces from different runs do not collide.
uint64_t ProcessTraceNonce() {
  static const uint64_t nonce = [] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }();
  return nonce;
}

// The id at the top of each span's parent chain. A parent that was not
// collected (still open, dropped or cleared) counts as the root.
std::unordered_map<uint64_t, uint64_t> RootIds(const std::vector<SpanRecord>& spans) {
  std::unordered_map<uint64_t, uint64_t> parent_of;
  parent_of.reserve(spans.size());
  for (const SpanRecord& s : spans) parent_of.emplace(s.id, s.parent_id);
  std::unordered_map<uint64_t, uint64_t> root_of;
  root_of.reserve(spans.size());
  for (const SpanRecord& s : spans) {
    uint64_t current = s.id;
    for (;;) {
      auto it = parent_of.find(current);
      if (it == parent_of.end() || it->second == 0) break;
      current = it->second;
    }
    root_of.emplace(s.id, current);
  }
  return root_of;
}

JsonValue OtlpStringAttribute(std::string_view key, std::string_view value) {
  JsonValue attribute;
  attribute.Set("key", key);
  attribute.Set("value", JsonValue().Set("stringValue", value));
  return attribute;
}

}  // namespace

std::string ExportChromeTrace() {
  JsonValue events = JsonValue::MakeArray();
  for (const SpanRecord& s : CollectSpans()) {
    JsonValue args = JsonValue::MakeObject();
    for (const auto& [key, value] : s.attributes) args.Set(key, value);
    JsonValue event;
    event.Set("name", s.name);
    event.Set("ph", "X");
    event.Set("ts", static_cast<double>(s.start_ns) / 1e3);
    event.Set("dur", static_cast<double>(s.end_ns - s.start_ns) / 1e3);
    event.Set("pid", 1);
    event.Set("tid", s.thread_id);
    event.Set("args", std::move(args));
    events.Append(std::move(event));
  }
  return JsonValue().Set("traceEvents", std::move(events)).ToJson();
}

std::string ExportOtlpJson() {
  const std::vector<SpanRecord> spans = CollectSpans();
  const std::unordered_map<uint64_t, uint64_t> root_of = RootIds(spans);
  const std::string trace_prefix = Hex64(ProcessTraceNonce());

  JsonValue otlp_spans = JsonValue::MakeArray();
  for (const SpanRecord& s : spans) {
    JsonValue attributes = JsonValue::MakeArray();
    for (const auto& [key, value] : s.attributes) {
      attributes.Append(OtlpStringAttribute(key, value));
    }
    JsonValue span;
    span.Set("traceId", trace_prefix + Hex64(root_of.at(s.id)));
    span.Set("spanId", Hex64(s.id));
    span.Set("parentSpanId", s.parent_id == 0 ? std::string() : Hex64(s.parent_id));
    span.Set("name", s.name);
    span.Set("kind", 1);  // SPAN_KIND_INTERNAL
    span.Set("startTimeUnixNano", std::to_string(s.start_ns));
    span.Set("endTimeUnixNano", std::to_string(s.end_ns));
    span.Set("attributes", std::move(attributes));
    otlp_spans.Append(std::move(span));
  }

  JsonValue scope_spans;
  scope_spans.Set("scope", JsonValue().Set("name", kServiceName));
  scope_spans.Set("spans", std::move(otlp_spans));
  JsonValue resource;
  resource.Set("attributes", JsonValue().Append(OtlpStringAttribute("service.name", kServiceName)));
  JsonValue resource_spans;
  resource_spans.Set("resource", std::move(resource));
  resource_spans.Set("scopeSpans", JsonValue().Append(std::move(scope_spans)));
  return JsonValue().Set("resourceSpans", JsonValue().Append(std::move(resource_spans))).ToJson();
}

}  // namespace codeanatomy::tracing
