// In-process tracing spans. When tracing is off a Span costs one relaxed
// atomic load and allocates nothing; when on, finished spans are kept in a
// bounded in-memory buffer and can be exported as Chrome trace-event JSON or
// OpenTelemetry (OTLP/JSON).

#pragma once

#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace codeanatomy::tracing {

/// \brief One finished span.
struct SpanRecord {
  /// Process-unique id, starting at 1.
  uint64_t id = 0;
  /// Id of the enclosing span on the same thread; 0 for a root span.
  uint64_t parent_id = 0;
  /// The name given to the Span.
  std::string name;
  /// Start time, nanoseconds since the Unix epoch. Measured on a monotonic
  /// clock anchored to the wall clock once per process, so durations are
  /// exact even if the wall clock moves.
  int64_t start_ns = 0;
  /// End time, on the same clock as start_ns.
  int64_t end_ns = 0;
  /// Small per-process thread number (1, 2, ...), not the OS thread id.
  uint64_t thread_id = 0;
  /// Attributes in the order first set; setting a key again replaces its value.
  std::vector<std::pair<std::string, std::string>> attributes;
};

/// \brief Most finished spans kept; later ones are dropped and counted.
inline constexpr size_t kMaxSpanRecords = 1'000'000;

/// \brief Turns span recording on or off for all threads. Spans already open
/// when tracing is turned off are still recorded when they end.
void EnableTracing(bool on);

/// \brief Whether new spans record.
bool TracingEnabled();

namespace internal {
/// Global switch read by Span's inline constructor; use EnableTracing().
extern std::atomic<bool> g_tracing_enabled;
/// Changes the record cap (kMaxSpanRecords by default), for tests.
void SetSpanCapacityForTesting(size_t capacity);
}  // namespace internal

/// \brief A timed region of work, recorded when it ends (RAII).
///
/// Spans nest per thread: a span's parent is the innermost span still open on
/// the thread that created it. A Span must end on the thread that created it.
class Span {
 public:
  /// \brief Opens a span named `name` if tracing is enabled; otherwise the
  /// span is inactive and every method is a no-op.
  explicit Span(std::string_view name) {
    if (internal::g_tracing_enabled.load(std::memory_order_relaxed)) Start(name);
  }
  /// \brief Records the span (end time now) if it is active.
  ~Span() {
    if (record_) Finish();
  }
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;
  Span(Span&&) = delete;
  Span& operator=(Span&&) = delete;

  /// \brief Whether this span is recording.
  bool active() const { return record_ != nullptr; }
  /// \brief This span's id, or 0 if inactive.
  uint64_t id() const { return record_ ? record_->id : 0; }

  /// \brief Sets a string attribute (no-op when inactive).
  void SetAttribute(std::string_view key, std::string_view value) {
    if (record_) SetAttributeText(key, std::string(value));
  }
  /// \brief Sets a string attribute; without this overload a literal would
  /// pick the bool overload (no-op when inactive).
  void SetAttribute(std::string_view key, const char* value) {
    SetAttribute(key, std::string_view(value));
  }
  /// \brief Sets an integer attribute (int64_t and every other integer
  /// type), stored as decimal text (no-op when inactive).
  template <std::integral T>
  requires(!std::same_as<T, bool>) void SetAttribute(std::string_view key, T value) {
    if (record_) SetAttributeText(key, std::to_string(value));
  }
  /// \brief Sets a double attribute, stored as shortest round-trip text
  /// (no-op when inactive).
  void SetAttribute(std::string_view key, double value);
  /// \brief Sets a bool attribute, stored as "true"/"false" (no-op when inactive).
  void SetAttribute(std::string_view key, bool value) {
    if (record_) SetAttributeText(key, value ? "true" : "false");
  }

 private:
  void Start(std::string_view name);
  void Finish();
  void SetAttributeText(std::string_view key, std::string value);

  std::unique_ptr<SpanRecord> record_;  // null when inactive
};

/// \brief Copies of all finished spans, ordered by start time (ties by id).
/// Safe to call from any thread; does not clear.
std::vector<SpanRecord> CollectSpans();

/// \brief Discards all finished spans and resets the dropped count.
void ClearSpans();

/// \brief Spans dropped because the buffer was full since the last ClearSpans().
uint64_t DroppedSpanCount();

/// \brief Finished spans as Chrome trace-event JSON (chrome://tracing, Perfetto):
/// `{"traceEvents":[{"name","ph":"X","ts","dur","pid":1,"tid","args"}]}`
/// with ts/dur in microseconds and the attributes as args.
std::string ExportChromeTrace();

/// \brief Finished spans as OTLP/JSON (`resourceSpans` / `scopeSpans` /
/// `spans`), service and scope name "codeanatomy". Spans sharing a root share
/// a traceId (32 hex digits: a per-process random half and the root's id);
/// spanId/parentSpanId are 16 hex digits (parentSpanId "" for roots); times
/// are decimal strings; attributes are string-valued.
std::string ExportOtlpJson();

}  // namespace codeanatomy::tracing

/// \brief Declares `::codeanatomy::tracing::Span var(name);` for the rest of the scope.
#define CA_TRACE_SPAN(var, name) ::codeanatomy::tracing::Span var(name)
