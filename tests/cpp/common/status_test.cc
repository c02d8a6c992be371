#include "common/status.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/json.h"

namespace codeanatomy {
namespace {

TEST(EngineErrorTest, CarriesStageCodeMessageAndDetails) {
  Status st = EngineError(arrow::StatusCode::Invalid, stage::kPlanning, "UNKNOWN_COLUMN",
                          "unknown column 'x'", "{\"column\":\"x\"}");
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.IsInvalid());
  EXPECT_EQ(st.message(), "unknown column 'x'");
  ASSERT_NE(st.detail(), nullptr);
  EXPECT_STREQ(st.detail()->type_id(), EngineErrorDetail::kTypeId);
  const auto& detail = static_cast<const EngineErrorDetail&>(*st.detail());
  EXPECT_EQ(detail.stage(), "planning");
  EXPECT_EQ(detail.code(), "UNKNOWN_COLUMN");
  EXPECT_EQ(detail.details_json(), "{\"column\":\"x\"}");
  EXPECT_EQ(detail.ToString(), "[planning/UNKNOWN_COLUMN]");
  // Arrow's own rendering includes the detail, so logs show stage and code.
  EXPECT_NE(st.ToString().find("[planning/UNKNOWN_COLUMN]"), std::string::npos) << st.ToString();
}

TEST(EngineErrorTest, KeepsTheArrowStatusCode) {
  EXPECT_TRUE(EngineError(arrow::StatusCode::IOError, stage::kDelta, "X", "m").IsIOError());
  EXPECT_TRUE(EngineError(arrow::StatusCode::KeyError, stage::kSql, "X", "m").IsKeyError());
  EXPECT_TRUE(InvalidError(stage::kSql, "X", "m").IsInvalid());
}

TEST(DescribeErrorTest, RoundTripsEngineErrors) {
  Status st = InvalidError(stage::kCompilation, "CYCLE", "cycle a -> b -> a", "{\"n\":2}");
  ErrorInfo info = DescribeError(st);
  EXPECT_EQ(info.stage, "compilation");
  EXPECT_EQ(info.code, "CYCLE");
  EXPECT_EQ(info.message, "cycle a -> b -> a");
  EXPECT_EQ(info.details_json, "{\"n\":2}");
  EXPECT_FALSE(info.is_invalid_argument);
}

TEST(DescribeErrorTest, EngineErrorWithoutDetailsHasEmptyDetails) {
  ErrorInfo info = DescribeError(InvalidError(stage::kRuntime, "X", "m"));
  EXPECT_EQ(info.details_json, "");
}

TEST(DescribeErrorTest, ArgumentErrorIsAnInvalidArgument) {
  Status st = ArgumentError("batch_size must be positive");
  EXPECT_TRUE(st.IsInvalid());
  ErrorInfo info = DescribeError(st);
  EXPECT_EQ(info.stage, "validation");
  EXPECT_EQ(info.code, "INVALID_ARGUMENT");
  EXPECT_EQ(info.message, "batch_size must be positive");
  EXPECT_TRUE(info.is_invalid_argument);
}

TEST(DescribeErrorTest, ArrowErrorsAreExecutionErrorsNamedByTheirCode) {
  const std::vector<std::pair<Status, std::string>> cases = {
      {Status::Invalid("bad"), "INVALID"},
      {Status::KeyError("bad"), "KEY_ERROR"},
      {Status::TypeError("bad"), "TYPE_ERROR"},
      {Status::IOError("bad"), "IO_ERROR"},
      {Status::CapacityError("bad"), "CAPACITY_ERROR"},
      {Status::IndexError("bad"), "INDEX_ERROR"},
      {Status::NotImplemented("bad"), "NOT_IMPLEMENTED"},
      {Status::SerializationError("bad"), "SERIALIZATION_ERROR"},
      {Status::AlreadyExists("bad"), "ALREADY_EXISTS"},
      {Status::UnknownError("bad"), "INTERNAL"},
  };
  for (const auto& [st, code] : cases) {
    ErrorInfo info = DescribeError(st);
    EXPECT_EQ(info.stage, "execution") << st.ToString();
    EXPECT_EQ(info.code, code) << st.ToString();
    EXPECT_EQ(info.message, "bad");
    EXPECT_EQ(info.details_json, "");
    EXPECT_FALSE(info.is_invalid_argument) << st.ToString();
  }
}

TEST(DescribeErrorTest, OutOfMemoryIsARuntimeMemoryLimitError) {
  ErrorInfo info = DescribeError(Status::OutOfMemory("malloc of size 64 failed"));
  EXPECT_EQ(info.stage, "runtime");
  EXPECT_EQ(info.code, "MEMORY_LIMIT_EXCEEDED");
  EXPECT_EQ(info.message, "malloc of size 64 failed");
}

TEST(DescribeErrorTest, CancelledIsCancelled) {
  ErrorInfo info = DescribeError(Status::Cancelled("stopped"));
  EXPECT_EQ(info.stage, "execution");
  EXPECT_EQ(info.code, "CANCELLED");
}

class ForeignDetail : public arrow::StatusDetail {
 public:
  const char* type_id() const override { return "test::ForeignDetail"; }
  std::string ToString() const override { return "foreign"; }
};

TEST(DescribeErrorTest, ForeignDetailIsTreatedAsAnArrowError) {
  Status st(arrow::StatusCode::IOError, "disk", std::make_shared<ForeignDetail>());
  ErrorInfo info = DescribeError(st);
  EXPECT_EQ(info.stage, "execution");
  EXPECT_EQ(info.code, "IO_ERROR");
}

TEST(WithStageTest, TagsArrowErrorsKeepingCodeAndMessage) {
  Status st = WithStage(Status::TypeError("no kernel"), stage::kSql, "SQL_TYPE");
  EXPECT_TRUE(st.IsTypeError());
  EXPECT_EQ(st.message(), "no kernel");
  ErrorInfo info = DescribeError(st);
  EXPECT_EQ(info.stage, "sql");
  EXPECT_EQ(info.code, "SQL_TYPE");
  EXPECT_EQ(info.message, "no kernel");
}

TEST(WithStageTest, LeavesEngineErrorsUnchanged) {
  Status original = InvalidError(stage::kPlanning, "UNKNOWN_COLUMN", "m", "{\"column\":\"c\"}");
  Status st = WithStage(original, stage::kSql, "SQL_ERROR");
  ErrorInfo info = DescribeError(st);
  EXPECT_EQ(info.stage, "planning");
  EXPECT_EQ(info.code, "UNKNOWN_COLUMN");
  EXPECT_EQ(info.details_json, "{\"column\":\"c\"}");
}

TEST(WithStageTest, LeavesOkAlone) { EXPECT_TRUE(WithStage(Status::OK(), stage::kSql, "X").ok()); }

TEST(WithStageTest, MemoryAndCancellationKeepTheirUniformClassification) {
  Status oom = WithStage(Status::OutOfMemory("cap"), stage::kDelta, "DELTA_WRITE");
  EXPECT_TRUE(oom.IsOutOfMemory());
  EXPECT_EQ(DescribeError(oom).code, "MEMORY_LIMIT_EXCEEDED");
  EXPECT_EQ(DescribeError(oom).stage, "runtime");
  Status cancelled = WithStage(Status::Cancelled("stop"), stage::kDelta, "DELTA_WRITE");
  EXPECT_TRUE(cancelled.IsCancelled());
  EXPECT_EQ(DescribeError(cancelled).code, "CANCELLED");
}

TEST(WithStageTest, ArgumentErrorsStayArgumentErrors) {
  Status st = WithStage(ArgumentError("negative"), stage::kSql, "SQL_ERROR");
  EXPECT_TRUE(DescribeError(st).is_invalid_argument);
}

TEST(JsonQuoteTest, EscapesSpecialCharacters) {
  EXPECT_EQ(JsonQuote(""), "\"\"");
  EXPECT_EQ(JsonQuote("plain"), "\"plain\"");
  EXPECT_EQ(JsonQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonQuote("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(JsonQuote(std::string_view("\x01", 1)), "\"\\u0001\"");
  EXPECT_EQ(JsonQuote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");  // UTF-8 passes through
}

TEST(JsonQuoteTest, OutputParsesBackToTheInput) {
  const std::string text = std::string("q\"uo\\te\n\x1f end");
  auto parsed = JsonValue::Parse(JsonQuote(text));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_TRUE(parsed->is_string());
  EXPECT_EQ(parsed->string_value(), text);
}

TEST(StatusMacrosTest, PropagateErrors) {
  auto fails = []() -> Result<int> { return InvalidError(stage::kRuntime, "X", "m"); };
  auto caller = [&]() -> Status {
    CA_ASSIGN_OR_RAISE(int v, fails());
    (void)v;
    return Status::OK();
  };
  EXPECT_EQ(DescribeError(caller()).code, "X");
  auto returns = [&]() -> Status {
    CA_RETURN_NOT_OK(InvalidError(stage::kRuntime, "Y", "m"));
    return Status::OK();
  };
  EXPECT_EQ(DescribeError(returns()).code, "Y");
}

}  // namespace
}  // namespace codeanatomy
