#include "functions/unicode_text.h"

#include <algorithm>
#include <cctype>

#include <arrow/builder.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/registry.h>
#include <arrow/util/checked_cast.h>

namespace codeanatomy::functions::internal {

namespace cp = arrow::compute;

bool IsUnicodeWhitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

char32_t DecodeUtf8(std::string_view text, size_t* pos) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(*pos);
  if (lead < 0x80) {
    *pos += 1;
    return lead;
  }
  int extra = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1;
  char32_t cp = lead & (0x3F >> extra);
  for (int k = 1; k <= extra && *pos + k < text.size(); ++k)
    cp = (cp << 6) | (byte(*pos + k) & 0x3F);
  *pos = std::min(text.size(), *pos + 1 + extra);
  return cp;
}

std::string_view TrimWhitespace(std::string_view text) {
  size_t begin = 0;
  while (begin < text.size()) {
    size_t next = begin;
    if (!IsUnicodeWhitespace(DecodeUtf8(text, &next))) break;
    begin = next;
  }
  size_t end = begin;  // end of the last non-whitespace code point
  for (size_t pos = begin; pos < text.size();) {
    char32_t c = DecodeUtf8(text, &pos);
    if (!IsUnicodeWhitespace(c)) end = pos;
  }
  return text.substr(begin, end - begin);
}

std::string CollapseWhitespace(std::string_view text) {
  std::string_view trimmed = TrimWhitespace(text);
  std::string out;
  out.reserve(trimmed.size());
  bool in_run = false;
  for (size_t pos = 0; pos < trimmed.size();) {
    size_t start = pos;
    char32_t c = DecodeUtf8(trimmed, &pos);
    if (IsUnicodeWhitespace(c)) {
      if (!in_run) out.push_back(' ');
      in_run = true;
    } else {
      out.append(trimmed.substr(start, pos - start));
      in_run = false;
    }
  }
  return out;
}

Result<cp::Utf8NormalizeOptions::Form> ParseNormalizationForm(std::string_view name) {
  std::string upper;
  for (char ch : TrimWhitespace(name)) {
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  }
  if (upper == "NFC") return cp::Utf8NormalizeOptions::NFC;
  if (upper == "NFD") return cp::Utf8NormalizeOptions::NFD;
  if (upper == "NFKC") return cp::Utf8NormalizeOptions::NFKC;
  if (upper == "NFKD") return cp::Utf8NormalizeOptions::NFKD;
  return Status::Invalid("unknown normalization form '", std::string(name),
                         "' (expected NFC, NFD, NFKC or NFKD)");
}

namespace {

// Arrow's own kernel by name: the session registry shadows "utf8_normalize" with ours.
Result<std::shared_ptr<arrow::Array>> CallArrow(const std::string& name,
                                                const std::shared_ptr<arrow::Array>& input,
                                                const cp::FunctionOptions* options,
                                                arrow::MemoryPool* pool) {
  cp::ExecContext ctx(pool, nullptr, cp::GetFunctionRegistry());
  CA_ASSIGN_OR_RAISE(auto fn, cp::GetFunctionRegistry()->GetFunction(name));
  CA_ASSIGN_OR_RAISE(auto result, fn->Execute({arrow::Datum(input)}, options, &ctx));
  return result.make_array();
}

}  // namespace

Result<std::shared_ptr<arrow::StringArray>> NormalizeTexts(const arrow::StringArray& values,
                                                           const TextNormalization& how,
                                                           arrow::MemoryPool* pool) {
  arrow::StringBuilder trimmed(pool);
  CA_RETURN_NOT_OK(trimmed.Reserve(values.length()));
  for (int64_t i = 0; i < values.length(); ++i) {
    if (values.IsNull(i)) {
      CA_RETURN_NOT_OK(trimmed.AppendNull());
    } else {
      CA_RETURN_NOT_OK(trimmed.Append(TrimWhitespace(values.GetView(i))));
    }
  }
  CA_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Array> current, trimmed.Finish());
  cp::Utf8NormalizeOptions form(how.form);
  CA_ASSIGN_OR_RAISE(current, CallArrow("utf8_normalize", current, &form, pool));
  if (how.casefold) {
    CA_ASSIGN_OR_RAISE(current, CallArrow("utf8_lower", current, nullptr, pool));
  }
  auto strings = std::static_pointer_cast<arrow::StringArray>(current);
  if (!how.collapse_ws) return strings;
  arrow::StringBuilder collapsed(pool);
  CA_RETURN_NOT_OK(collapsed.Reserve(strings->length()));
  for (int64_t i = 0; i < strings->length(); ++i) {
    if (strings->IsNull(i)) {
      CA_RETURN_NOT_OK(collapsed.AppendNull());
    } else {
      CA_RETURN_NOT_OK(collapsed.Append(CollapseWhitespace(strings->GetView(i))));
    }
  }
  CA_ASSIGN_OR_RAISE(current, collapsed.Finish());
  return std::static_pointer_cast<arrow::StringArray>(current);
}

}  // namespace codeanatomy::functions::internal
