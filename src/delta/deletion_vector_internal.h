// Internals shared by the deletion-vector files (deletion_vector.cc: descriptors, paths, files;
// roaring_array.cc: the RoaringBitmapArray and Z85 codecs). Not API.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "delta/deletion_vector.h"
#include "delta/delta_error.h"

namespace codeanatomy::delta::dv_internal {

inline constexpr std::string_view kInvalidCode = "INVALID_DELETION_VECTOR";
inline constexpr std::string_view kNotFoundCode = "DELETION_VECTOR_NOT_FOUND";
inline constexpr std::string_view kReadFailedCode = "DELETION_VECTOR_READ_FAILED";

// RoaringBitmapArray magic numbers (little-endian on disk): the protocol's portable layout and
// the native layout Delta Spark can also write.
inline constexpr uint32_t kPortableMagic = 1681511377;
inline constexpr uint32_t kNativeMagic = 1681511376;
inline constexpr uint8_t kDvFileVersion = 1;
// Z85 characters of the UUID at the end of a 'u' descriptor's pathOrInlineDv.
inline constexpr size_t kEncodedUuidLength = 20;
// The smallest serialized 32-bit Roaring bitmap: cookie and container count, no containers.
inline constexpr size_t kMinRoaringBytes = 8;

inline constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

inline constexpr std::array<int8_t, 256> kZ85Digits = [] {
  std::array<int8_t, 256> digits{};
  digits.fill(-1);
  for (size_t i = 0; i < kZ85Alphabet.size(); ++i) {
    digits[static_cast<unsigned char>(kZ85Alphabet[i])] = static_cast<int8_t>(i);
  }
  return digits;
}();

// CRC-32 as in zlib (reflected polynomial 0xEDB88320), which DV files use.
inline constexpr std::array<uint32_t, 256> kCrc32Table = [] {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}();

inline uint32_t Crc32(std::string_view data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : data) crc = kCrc32Table[(crc ^ byte) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

inline uint32_t LoadLittle32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
}

inline uint64_t LoadLittle64(const char* p) {
  return uint64_t{LoadLittle32(p)} | uint64_t{LoadLittle32(p + 4)} << 32;
}

inline uint32_t LoadBig32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | uint32_t{b[3]};
}

inline void AppendLittle(std::string* out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

inline std::string Hex32(uint32_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) out.push_back(kDigits[(value >> shift) & 0xF]);
  return out;
}

// Where a DV comes from, for error messages and details: its file, or "inline".
struct DvSource {
  std::string label;    // "deletion vector file /t/deletion_vector_<uuid>.bin"
  std::string details;  // JSON object members
};

inline DvSource InlineSource(const DeletionVectorDescriptor& dv) {
  return {"inline deletion vector",
          "\"storage_type\":\"i\",\"dv_id\":" + JsonQuote(DeletionVectorId(dv))};
}

inline DvSource FileSource(const std::string& path) {
  return {"deletion vector file " + path, "\"file\":" + JsonQuote(path)};
}

inline Status InvalidDv(const DvSource& source, const std::string& problem) {
  return DeltaError(kInvalidCode, source.label + ": " + problem, source.details);
}

inline Status DescriptorError(const std::string& problem, std::string_view field) {
  return DeltaError(kInvalidCode, "invalid deletionVector descriptor: " + problem,
                    "\"field\":" + JsonQuote(field));
}

/// The row indexes of a serialized RoaringBitmapArray (portable or native layout), checked
/// against `cardinality`.
Result<std::vector<uint64_t>> DecodeRows(std::string_view bytes, int64_t cardinality,
                                         const DvSource& source);
/// Sorted, without duplicates.
std::vector<uint64_t> DistinctSorted(std::vector<uint64_t> rows);
/// The portable RoaringBitmapArray of distinct, ascending row indexes.
Result<std::string> SerializeRows(const std::vector<uint64_t>& sorted);

}  // namespace codeanatomy::delta::dv_internal
