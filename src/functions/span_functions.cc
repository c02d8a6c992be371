// Spans (byte ranges with their conventions) and positions (columns in a line to byte offsets).
#include <algorithm>
#include <cctype>
#include <limits>

#include <arrow/array/util.h>
#include <arrow/builder.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/exec.h>
#include <arrow/util/checked_cast.h>

#include "common/hash.h"
#include "functions/function_kernel.h"
#include "functions/unicode_text.h"

namespace codeanatomy::functions::internal {

namespace {

using arrow::internal::checked_cast;
using arrow::internal::checked_pointer_cast;

// ---------------------------------------------------------------- column units

enum class ColUnit { kByte, kUtf8, kUtf16, kUtf32 };

std::string CanonicalText(std::string_view text) {
  std::string out;
  for (char ch : TrimWhitespace(text)) {
    if (ch != '-' && ch != '_') {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
    }
  }
  return out;
}

Result<ColUnit> ParseColUnit(std::string_view function, std::string_view text) {
  std::string unit = CanonicalText(text);
  if (unit == "byte") return ColUnit::kByte;
  if (unit == "utf8") return ColUnit::kUtf8;
  if (unit == "utf16") return ColUnit::kUtf16;
  if (unit == "utf32") return ColUnit::kUtf32;
  return FunctionError(
      function, "INVALID_COL_UNIT",
      "unknown column unit '" + std::string(text) + "' (expected BYTE, UTF8, UTF16 or UTF32)",
      "\"col_unit\":" + JsonQuote(text));
}

std::string_view ColUnitName(ColUnit unit) {
  switch (unit) {
    case ColUnit::kByte:
      return "byte";
    case ColUnit::kUtf8:
      return "utf8";
    case ColUnit::kUtf16:
      return "utf16";
    case ColUnit::kUtf32:
      return "utf32";
  }
  return "byte";
}

// The byte offset of column `col` (>= 0) of `line`: past the end clamps to the line's length,
// inside a character snaps back to its first byte.
int64_t ColumnToByte(std::string_view line, int64_t col, ColUnit unit) {
  const auto len = static_cast<int64_t>(line.size());
  if (unit == ColUnit::kByte) return std::min(col, len);
  if (unit == ColUnit::kUtf8) {
    int64_t pos = std::min(col, len);
    while (pos > 0 && pos < len && (static_cast<unsigned char>(line[pos]) & 0xC0) == 0x80) --pos;
    return pos;
  }
  int64_t units = 0;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t next = pos;
    char32_t c = DecodeUtf8(line, &next);
    int64_t width = unit == ColUnit::kUtf16 && c >= 0x10000 ? 2 : 1;
    if (units + width > col) break;
    units += width;
    pos = next;
  }
  return static_cast<int64_t>(pos);
}

// NULL (nullopt) for a negative column; errors for a bad unit or undecodable text.
Result<std::optional<int64_t>> ColToByteAt(std::string_view function, const Arg& line,
                                           const Arg& col, const Arg& unit, int64_t row) {
  if (line.IsNull(row) || col.IsNull(row) || unit.IsNull(row)) return std::nullopt;
  CA_ASSIGN_OR_RAISE(ColUnit u, ParseColUnit(function, unit.Str(row)));
  if (col.Int64(row) < 0) return std::nullopt;
  std::string_view text = line.Str(row);
  if (u != ColUnit::kByte) CA_RETURN_NOT_OK(CheckUtf8(function, text, row));
  return ColumnToByte(text, col.Int64(row), u);
}

Status ExecColToByte(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  const std::string& name = StateOf(ctx).name;
  auto args = ArgsOf(batch);
  arrow::Int64Builder builder(ctx->memory_pool());
  CA_RETURN_NOT_OK(builder.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    CA_ASSIGN_OR_RAISE(auto offset, ColToByteAt(name, args[0], args[1], args[2], i));
    if (offset) {
      builder.UnsafeAppend(*offset);
    } else {
      builder.UnsafeAppendNull();
    }
  }
  CA_ASSIGN_OR_RAISE(auto array, builder.Finish());
  return Emit(array, out);
}

Status Overflow(std::string_view function, int64_t row) {
  return FunctionError(function, "INTEGER_OVERFLOW", "int64 overflow in row " + std::to_string(row),
                       "\"row\":" + std::to_string(row));
}

std::shared_ptr<arrow::DataType> ByteSpanType() {
  static const auto type = arrow::struct_(
      {arrow::field("bstart", arrow::int64()), arrow::field("bend", arrow::int64())});
  return type;
}

Status ExecCanonicalizeByteSpan(cp::KernelContext* ctx, const cp::ExecSpan& batch,
                                cp::ExecResult* out) {
  const std::string& name = StateOf(ctx).name;
  auto args = ArgsOf(batch);
  std::unique_ptr<arrow::ArrayBuilder> base;
  CA_RETURN_NOT_OK(arrow::MakeBuilder(ctx->memory_pool(), ByteSpanType(), &base));
  auto& builder = checked_cast<arrow::StructBuilder&>(*base);
  auto& bstart = checked_cast<arrow::Int64Builder&>(*builder.field_builder(0));
  auto& bend = checked_cast<arrow::Int64Builder&>(*builder.field_builder(1));
  for (int64_t i = 0; i < batch.length; ++i) {
    std::optional<int64_t> start_offset, end_offset;
    bool valid =
        !args[0].IsNull(i) && !args[3].IsNull(i) && args[0].Int64(i) >= 0 && args[3].Int64(i) >= 0;
    if (valid) {
      CA_ASSIGN_OR_RAISE(start_offset, ColToByteAt(name, args[1], args[2], args[6], i));
      CA_ASSIGN_OR_RAISE(end_offset, ColToByteAt(name, args[4], args[5], args[6], i));
      valid = start_offset && end_offset;
    }
    int64_t s = 0, e = 0;
    if (valid && (__builtin_add_overflow(args[0].Int64(i), *start_offset, &s) ||
                  __builtin_add_overflow(args[3].Int64(i), *end_offset, &e))) {
      return Overflow(name, i);
    }
    CA_RETURN_NOT_OK(builder.Append(valid));
    CA_RETURN_NOT_OK(valid ? bstart.Append(s) : bstart.AppendNull());
    CA_RETURN_NOT_OK(valid ? bend.Append(e) : bend.AppendNull());
  }
  CA_ASSIGN_OR_RAISE(auto array, builder.Finish());
  return Emit(array, out);
}

// ---------------------------------------------------------------- spans

// A span argument: its bstart, bend and end_exclusive as int64/bool columns.
class SpanArg {
 public:
  static Result<SpanArg> Make(const Arg& arg, arrow::MemoryPool* pool) {
    SpanArg span;
    std::shared_ptr<arrow::Array> array = arg.array();
    if (arg.is_scalar()) {
      span.broadcast_ = true;
      CA_ASSIGN_OR_RAISE(array, arrow::MakeArrayFromScalar(*arg.scalar(), 1, pool));
    }
    if (array->type_id() == arrow::Type::NA) {  // a NULL literal: NULL spans
      CA_ASSIGN_OR_RAISE(array, arrow::MakeArrayOfNull(SpanType(), array->length(), pool));
    }
    span.structs_ = checked_pointer_cast<arrow::StructArray>(array);
    cp::ExecContext ctx(pool);  // Arrow's registry: plain integer casts
    auto offsets = [&](const char* name) -> Result<std::shared_ptr<arrow::Int64Array>> {
      auto child = span.structs_->GetFieldByName(name);
      CA_ASSIGN_OR_RAISE(auto cast,
                         cp::Cast(*child, arrow::int64(), cp::CastOptions::Safe(), &ctx));
      return checked_pointer_cast<arrow::Int64Array>(cast);
    };
    CA_ASSIGN_OR_RAISE(span.bstart_, offsets("bstart"));
    CA_ASSIGN_OR_RAISE(span.bend_, offsets("bend"));
    if (auto exclusive = span.structs_->GetFieldByName("end_exclusive")) {
      span.exclusive_ = checked_pointer_cast<arrow::BooleanArray>(exclusive);
    }
    return span;
  }

  bool IsNull(int64_t i) const {
    int64_t r = broadcast_ ? 0 : i;
    return structs_->IsNull(r) || bstart_->IsNull(r) || bend_->IsNull(r);
  }
  int64_t Start(int64_t i) const { return bstart_->Value(broadcast_ ? 0 : i); }
  /// The exclusive end: an inclusive end (end_exclusive false) counts as end + 1.
  int64_t ExclusiveEnd(int64_t i) const {
    int64_t r = broadcast_ ? 0 : i;
    int64_t end = bend_->Value(r);
    bool inclusive = exclusive_ && exclusive_->IsValid(r) && !exclusive_->Value(r);
    return inclusive && end < std::numeric_limits<int64_t>::max() ? end + 1 : end;
  }

 private:
  bool broadcast_ = false;
  std::shared_ptr<arrow::StructArray> structs_;
  std::shared_ptr<arrow::Int64Array> bstart_, bend_;
  std::shared_ptr<arrow::BooleanArray> exclusive_;
};

Status ExecSpanMake(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  const FunctionState& state = StateOf(ctx);
  auto args = ArgsOf(batch);
  std::unique_ptr<arrow::ArrayBuilder> base;
  CA_RETURN_NOT_OK(arrow::MakeBuilder(ctx->memory_pool(), SpanType(), &base));
  auto& builder = checked_cast<arrow::StructBuilder&>(*base);
  auto& bstart = checked_cast<arrow::Int64Builder&>(*builder.field_builder(0));
  auto& bend = checked_cast<arrow::Int64Builder&>(*builder.field_builder(1));
  auto& line_base = checked_cast<arrow::Int32Builder&>(*builder.field_builder(2));
  auto& col_unit = checked_cast<arrow::StringBuilder&>(*builder.field_builder(3));
  auto& exclusive = checked_cast<arrow::BooleanBuilder&>(*builder.field_builder(4));
  CA_ASSIGN_OR_RAISE(ColUnit default_unit,
                     ParseColUnit(state.name, state.config.span_default_col_unit));
  auto given = [&](size_t k, int64_t i) { return args.size() > k && !args[k].IsNull(i); };
  for (int64_t i = 0; i < batch.length; ++i) {
    CA_RETURN_NOT_OK(builder.Append(true));
    CA_RETURN_NOT_OK(args[0].IsNull(i) ? bstart.AppendNull() : bstart.Append(args[0].Int64(i)));
    CA_RETURN_NOT_OK(args[1].IsNull(i) ? bend.AppendNull() : bend.Append(args[1].Int64(i)));
    CA_RETURN_NOT_OK(
        line_base.Append(given(2, i) ? args[2].Int32(i) : state.config.span_default_line_base));
    ColUnit unit = default_unit;
    if (given(3, i)) {
      CA_ASSIGN_OR_RAISE(unit, ParseColUnit(state.name, args[3].Str(i)));
    }
    CA_RETURN_NOT_OK(col_unit.Append(ColUnitName(unit)));
    CA_RETURN_NOT_OK(
        exclusive.Append(given(4, i) ? args[4].Bool(i) : state.config.span_default_end_exclusive));
  }
  CA_ASSIGN_OR_RAISE(auto array, builder.Finish());
  return Emit(array, out);
}

Status ExecSpanLen(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  auto args = ArgsOf(batch);
  CA_ASSIGN_OR_RAISE(auto span, SpanArg::Make(args[0], ctx->memory_pool()));
  arrow::Int64Builder builder(ctx->memory_pool());
  CA_RETURN_NOT_OK(builder.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    int64_t len = 0;
    if (span.IsNull(i)) {
      builder.UnsafeAppendNull();
    } else if (__builtin_sub_overflow(span.ExclusiveEnd(i), span.Start(i), &len)) {
      return Overflow(StateOf(ctx).name, i);
    } else {
      builder.UnsafeAppend(len);
    }
  }
  CA_ASSIGN_OR_RAISE(auto array, builder.Finish());
  return Emit(array, out);
}

template <typename Predicate>
Status ExecSpanPair(cp::KernelContext* ctx, const cp::ExecSpan& batch, Predicate&& predicate,
                    cp::ExecResult* out) {
  auto args = ArgsOf(batch);
  CA_ASSIGN_OR_RAISE(auto a, SpanArg::Make(args[0], ctx->memory_pool()));
  CA_ASSIGN_OR_RAISE(auto b, SpanArg::Make(args[1], ctx->memory_pool()));
  arrow::BooleanBuilder builder(ctx->memory_pool());
  CA_RETURN_NOT_OK(builder.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (a.IsNull(i) || b.IsNull(i)) {
      builder.UnsafeAppendNull();
    } else {
      builder.UnsafeAppend(predicate(a.Start(i), a.ExclusiveEnd(i), b.Start(i), b.ExclusiveEnd(i)));
    }
  }
  CA_ASSIGN_OR_RAISE(auto array, builder.Finish());
  return Emit(array, out);
}

Status ExecSpanOverlaps(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  return ExecSpanPair(
      ctx, batch, [](int64_t as, int64_t ae, int64_t bs, int64_t be) { return as < be && bs < ae; },
      out);
}

Status ExecSpanContains(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  return ExecSpanPair(
      ctx, batch,
      [](int64_t as, int64_t ae, int64_t bs, int64_t be) { return as <= bs && be <= ae; }, out);
}

Status ExecSpanId(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  auto args = ArgsOf(batch);
  arrow::StringBuilder builder(ctx->memory_pool());
  CA_RETURN_NOT_OK(builder.Reserve(batch.length));
  std::string joined;
  for (int64_t i = 0; i < batch.length; ++i) {
    if (args[0].IsNull(i)) {
      CA_RETURN_NOT_OK(builder.AppendNull());
      continue;
    }
    JoinParts(args, 1, i, &joined);  // path, bstart, bend[, kind]
    CA_RETURN_NOT_OK(builder.Append(std::string(args[0].Str(i)) + ":" + StableHash128(joined)));
  }
  CA_ASSIGN_OR_RAISE(auto array, builder.Finish());
  return Emit(array, out);
}

Status ExecIntervalAlignScore(cp::KernelContext* ctx, const cp::ExecSpan& batch,
                              cp::ExecResult* out) {
  auto args = ArgsOf(batch);
  arrow::DoubleBuilder builder(ctx->memory_pool());
  CA_RETURN_NOT_OK(builder.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    bool any_null = false;
    for (const auto& a : args) any_null = any_null || a.IsNull(i);
    if (any_null) {
      builder.UnsafeAppendNull();
      continue;
    }
    int64_t len = 0;
    double score =
        __builtin_sub_overflow(args[3].Int64(i), args[2].Int64(i), &len)
            ? -(static_cast<double>(args[3].Int64(i)) - static_cast<double>(args[2].Int64(i)))
            : -static_cast<double>(len);
    builder.UnsafeAppend(score);
  }
  CA_ASSIGN_OR_RAISE(auto array, builder.Finish());
  return Emit(array, out);
}

}  // namespace

std::vector<FunctionSpec> SpanFunctionSpecs() {
  const auto i64 = ParamType::kInt64;
  const auto text = ParamType::kText;
  const auto span = ParamType::kSpan;
  std::vector<FunctionSpec> specs;
  specs.push_back(
      {"span_make",
       {"span"},
       {{"bstart", i64},
        {"bend", i64},
        {"line_base", ParamType::kInt32},
        {"col_unit", text},
        {"end_exclusive", ParamType::kBool}},
       2,
       false,
       SpanType(),
       -1,
       ExecSpanMake,
       "A span struct {bstart, bend, line_base, col_unit, end_exclusive}; absent or NULL options "
       "take the span_default_* config (0, 'byte', true); col_unit is validated (BYTE, UTF8, "
       "UTF16, UTF32, any case; INVALID_COL_UNIT otherwise) and stored lower-case; NULL bstart or "
       "bend stay NULL fields of a non-NULL struct.",
       {"span_default_line_base", "span_default_col_unit", "span_default_end_exclusive"}});
  specs.push_back({"span_len",
                   {},
                   {{"span", span}},
                   1,
                   false,
                   arrow::int64(),
                   -1,
                   ExecSpanLen,
                   "bend - bstart, an inclusive end (end_exclusive false) counting as bend + 1; "
                   "negative for a reversed span; NULL when the span, bstart or bend is NULL.",
                   {}});
  specs.push_back({"span_overlaps",
                   {},
                   {{"span_a", span}, {"span_b", span}},
                   2,
                   false,
                   arrow::boolean(),
                   -1,
                   ExecSpanOverlaps,
                   "a.bstart < b.end and b.bstart < a.end, inclusive ends counting as end + 1 "
                   "(empty spans overlap nothing); NULL when either span or offset is NULL.",
                   {}});
  specs.push_back({"span_contains",
                   {},
                   {{"span_a", span}, {"span_b", span}},
                   2,
                   false,
                   arrow::boolean(),
                   -1,
                   ExecSpanContains,
                   "a.bstart <= b.bstart and b.end <= a.end, inclusive ends counting as end + 1; "
                   "NULL when either span or offset is NULL.",
                   {}});
  specs.push_back(
      {"span_id",
       {},
       {{"prefix", text}, {"path", text}, {"bstart", i64}, {"bend", i64}, {"kind", text}},
       4,
       false,
       arrow::utf8(),
       -1,
       ExecSpanId,
       "stable_id(prefix, path \\x1f bstart \\x1f bend [\\x1f kind]) with offsets in "
       "decimal and NULL parts as __NULL__; NULL when the prefix is NULL.",
       {}});
  specs.push_back(
      {"interval_align_score",
       {},
       {{"left_start", i64}, {"left_end", i64}, {"right_start", i64}, {"right_end", i64}},
       4,
       false,
       arrow::float64(),
       -1,
       ExecIntervalAlignScore,
       "-(right_end - right_start) as float64 (shorter right intervals score higher); "
       "NULL when any argument is NULL.",
       {}});
  specs.push_back({"col_to_byte",
                   {},
                   {{"line_text", text}, {"col", i64}, {"col_unit", text}},
                   3,
                   false,
                   arrow::int64(),
                   -1,
                   ExecColToByte,
                   "Byte offset in line_text of column col counted in col_unit (BYTE, UTF8 = "
                   "UTF-8 bytes, UTF16 = UTF-16 code units, UTF32 = code points; any case): past "
                   "the end clamps to the line's byte length, inside a character snaps back to its "
                   "start; NULL for a negative col or any NULL argument; INVALID_COL_UNIT for an "
                   "unknown unit, INVALID_UTF8 for undecodable text (units other than BYTE).",
                   {}});
  specs.push_back({"canonicalize_byte_span",
                   {},
                   {{"start_line_start_byte", i64},
                    {"start_line_text", text},
                    {"start_col", i64},
                    {"end_line_start_byte", i64},
                    {"end_line_text", text},
                    {"end_col", i64},
                    {"col_unit", text}},
                   7,
                   false,
                   ByteSpanType(),
                   -1,
                   ExecCanonicalizeByteSpan,
                   "{bstart: start_line_start_byte + col_to_byte(start_line_text, start_col, "
                   "col_unit), bend: the same for the end}; NULL when any argument is NULL or a "
                   "line start byte or column is negative; INTEGER_OVERFLOW past int64.",
                   {}});
  return specs;
}

}  // namespace codeanatomy::functions::internal
