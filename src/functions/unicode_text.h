// Unicode text handling for the string functions: White_Space trimming and collapsing, UTF-8
// decoding, and the normalize-casefold-collapse pipeline (normalization and lower-casing are
// Arrow's utf8proc-backed kernels from the default registry).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <arrow/array.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/memory_pool.h>

#include "common/status.h"

namespace codeanatomy::functions::internal {

/// The Unicode White_Space property (what Rust's `char::is_whitespace` and regex `\s` use).
bool IsUnicodeWhitespace(char32_t c);

/// Decodes the code point at `*pos` of valid UTF-8 and advances `*pos`.
char32_t DecodeUtf8(std::string_view text, size_t* pos);

/// `text` without leading and trailing White_Space (valid UTF-8 required).
std::string_view TrimWhitespace(std::string_view text);

/// Trims, then replaces every run of White_Space with one ASCII space.
std::string CollapseWhitespace(std::string_view text);

/// A normalization form by name (NFC, NFD, NFKC, NFKD; case-insensitive, surrounding blanks
/// ignored); nullopt-like error for anything else.
Result<arrow::compute::Utf8NormalizeOptions::Form> ParseNormalizationForm(std::string_view name);

/// How text is canonicalized.
struct TextNormalization {
  arrow::compute::Utf8NormalizeOptions::Form form = arrow::compute::Utf8NormalizeOptions::NFKC;
  bool casefold = false;
  bool collapse_ws = false;
};

/// For every non-null value (valid UTF-8 required): trim White_Space; unless that leaves nothing,
/// apply the normalization form, then (casefold) the Unicode simple lower-case mapping of each
/// code point, then (collapse_ws) trim again and turn each White_Space run into one space. Nulls
/// stay null; blank values become "".
Result<std::shared_ptr<arrow::StringArray>> NormalizeTexts(const arrow::StringArray& values,
                                                           const TextNormalization& how,
                                                           arrow::MemoryPool* pool);

}  // namespace codeanatomy::functions::internal
