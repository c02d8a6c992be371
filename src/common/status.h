// The engine's one error taxonomy: every failure is an arrow::Status that carries an
// EngineErrorDetail (stage, code, details JSON). Arrow's own errors, which have no detail,
// are classified by DescribeError so callers always see the same four fields.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <arrow/result.h>
#include <arrow/status.h>

namespace codeanatomy {

using Status = arrow::Status;
template <typename T>
using Result = arrow::Result<T>;

/// Stage names shared by all layers (CONTRACTS.md §3).
namespace stage {
inline constexpr std::string_view kValidation = "validation";
inline constexpr std::string_view kCompilation = "compilation";
inline constexpr std::string_view kCompliance = "compliance";
inline constexpr std::string_view kRuntime = "runtime";
inline constexpr std::string_view kPlanning = "planning";
inline constexpr std::string_view kExecution = "execution";
inline constexpr std::string_view kSql = "sql";
inline constexpr std::string_view kDelta = "delta";
inline constexpr std::string_view kPlugin = "plugin";
}  // namespace stage

/// Stage, code and structured details of an engine error, attached to an arrow::Status.
class EngineErrorDetail : public arrow::StatusDetail {
 public:
  EngineErrorDetail(std::string stage, std::string code, std::string details_json)
      : stage_(std::move(stage)), code_(std::move(code)), details_json_(std::move(details_json)) {}

  static constexpr const char* kTypeId = "codeanatomy::EngineErrorDetail";
  const char* type_id() const override { return kTypeId; }
  std::string ToString() const override;

  const std::string& stage() const { return stage_; }
  const std::string& code() const { return code_; }
  /// Details as a JSON document, or empty when there are none.
  const std::string& details_json() const { return details_json_; }

 private:
  std::string stage_;
  std::string code_;
  std::string details_json_;
};

/// Builds an error Status of Arrow code `status_code` carrying stage, code and details.
Status EngineError(arrow::StatusCode status_code, std::string_view stage, std::string_view code,
                   std::string message, std::string details_json = "");

/// Shorthand for an invalid-input error (arrow::StatusCode::Invalid).
inline Status InvalidError(std::string_view stage, std::string_view code, std::string message,
                           std::string details_json = "") {
  return EngineError(arrow::StatusCode::Invalid, stage, code, std::move(message),
                     std::move(details_json));
}

/// A plain invalid-argument error (a bad profile name, a negative size): not an engine failure.
/// The bindings raise it as ValueError rather than EngineExecutionError.
inline Status ArgumentError(std::string message) {
  return EngineError(arrow::StatusCode::Invalid, "validation", "INVALID_ARGUMENT",
                     std::move(message));
}

/// The four public fields of any error, engine or Arrow.
struct ErrorInfo {
  std::string stage;
  std::string code;
  std::string message;
  std::string details_json;          ///< empty when there are no details
  bool is_invalid_argument = false;  ///< a plain argument error (ValueError in Python)
};

/// Classifies `status` (which must not be OK). Arrow errors without an engine detail map to
/// stage "execution" with a code derived from their Arrow status code; out-of-memory maps to
/// MEMORY_LIMIT_EXCEEDED and cancellation to CANCELLED.
ErrorInfo DescribeError(const Status& status);

/// Re-tags an Arrow error that has no engine detail with stage and code; engine errors pass
/// through unchanged. Used at layer boundaries so each failure names where it happened.
Status WithStage(Status status, std::string_view stage, std::string_view code);

/// Quotes `text` as a JSON string literal.
std::string JsonQuote(std::string_view text);

}  // namespace codeanatomy

/// Returns a tagged error from the enclosing function when `expr` fails.
#define CA_RETURN_NOT_OK ARROW_RETURN_NOT_OK
#define CA_ASSIGN_OR_RAISE ARROW_ASSIGN_OR_RAISE
