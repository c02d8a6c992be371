// The RoaringBitmapArray codec of deletion vectors (PROTOCOL.md "Deletion Vector Format":
// the portable layout and Spark's native one) and Z85 (inline DVs and DV file names).
#include <algorithm>
#include <cstring>
#include <memory>
#include <new>

#include <roaring/roaring.h>

#include "delta/deletion_vector_internal.h"

namespace codeanatomy::delta {

using namespace dv_internal;  // NOLINT(build/namespaces): this module's own helpers

namespace {

struct RoaringFree {
  void operator()(roaring_bitmap_t* bitmap) const { roaring_bitmap_free(bitmap); }
};
using RoaringPtr = std::unique_ptr<roaring_bitmap_t, RoaringFree>;

// One 32-bit Roaring bitmap of a RoaringBitmapArray: the row indexes whose upper half is `key`.
struct Bucket {
  uint32_t key = 0;
  RoaringPtr bitmap;
};

// Checks the header of a portable 32-bit Roaring bitmap (RoaringFormatSpec) before CRoaring
// sees it: this CRoaring version allocates for whatever container count a header claims.
bool PlausibleRoaringHeader(std::string_view bytes) {
  constexpr uint32_t kCookieNoRuns = 12346;
  constexpr uint32_t kCookieRuns = 12347;
  constexpr uint64_t kMaxContainers = 1 << 16;
  if (bytes.size() < 4) return false;
  uint32_t cookie = LoadLittle32(bytes.data());
  uint64_t containers = 0;
  size_t header = 0;
  if ((cookie & 0xFFFF) == kCookieRuns) {
    containers = (cookie >> 16) + 1;
    header = 4 + (containers + 7) / 8;  // cookie, run-container bitset
  } else if (cookie == kCookieNoRuns) {
    if (bytes.size() < 8) return false;
    containers = LoadLittle32(bytes.data() + 4);
    header = 8;
  } else {
    return false;
  }
  // Each container has at least a 4-byte key/cardinality entry.
  return containers <= kMaxContainers && header + 4 * containers <= bytes.size();
}

// Deserializes the portable 32-bit Roaring bitmap at the start of `bytes`; *consumed receives
// its length.
Result<RoaringPtr> ReadRoaring(std::string_view bytes, size_t* consumed, const DvSource& source,
                               uint64_t bucket) {
  RoaringPtr bitmap;
  size_t size = 0;
  if (PlausibleRoaringHeader(bytes)) {
    size = roaring_bitmap_portable_deserialize_size(bytes.data(), bytes.size());
  }
  if (size != 0) bitmap.reset(roaring_bitmap_portable_deserialize_safe(bytes.data(), size));
  if (bitmap == nullptr) {
    return InvalidDv(source, "bucket " + std::to_string(bucket) +
                                 " is not a valid Roaring bitmap (truncated or corrupt)");
  }
  *consumed = size;
  return bitmap;
}

// The portable layout: uint64 bucket count, then per bucket a uint32 key (ascending, top bit
// clear per the protocol) and a portable 32-bit Roaring bitmap.
Result<std::vector<Bucket>> ParsePortable(std::string_view bytes, const DvSource& source) {
  if (bytes.size() < 8) return InvalidDv(source, "truncated before the bucket count");
  uint64_t count = LoadLittle64(bytes.data());
  bytes.remove_prefix(8);
  if (count > bytes.size() / (4 + kMinRoaringBytes)) {
    return InvalidDv(source, "claims " + std::to_string(count) + " buckets in " +
                                 std::to_string(bytes.size()) + " bytes (truncated or corrupt)");
  }
  std::vector<Bucket> buckets;
  buckets.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    if (bytes.size() < 4) return InvalidDv(source, "truncated in bucket " + std::to_string(i));
    uint32_t key = LoadLittle32(bytes.data());
    bytes.remove_prefix(4);
    if (key & 0x80000000u) {
      return InvalidDv(source, "bucket key " + std::to_string(key) + " has its top bit set");
    }
    if (!buckets.empty() && key <= buckets.back().key) {
      return InvalidDv(source, "bucket keys are not strictly ascending");
    }
    size_t consumed = 0;
    CA_ASSIGN_OR_RAISE(RoaringPtr bitmap, ReadRoaring(bytes, &consumed, source, i));
    bytes.remove_prefix(consumed);
    buckets.push_back({key, std::move(bitmap)});
  }
  if (!bytes.empty()) {
    return InvalidDv(source, std::to_string(bytes.size()) + " unexpected bytes after the bitmap");
  }
  return buckets;
}

// Spark's native layout: int32 bucket count, then per bucket (key = its position) an int32
// length and a portable 32-bit Roaring bitmap of that length.
Result<std::vector<Bucket>> ParseNative(std::string_view bytes, const DvSource& source) {
  if (bytes.size() < 4) return InvalidDv(source, "truncated before the bucket count");
  uint32_t count = LoadLittle32(bytes.data());
  bytes.remove_prefix(4);
  if (count > bytes.size() / (4 + kMinRoaringBytes)) {
    return InvalidDv(source, "claims " + std::to_string(count) + " buckets in " +
                                 std::to_string(bytes.size()) + " bytes (truncated or corrupt)");
  }
  std::vector<Bucket> buckets;
  buckets.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    if (bytes.size() < 4) return InvalidDv(source, "truncated in bucket " + std::to_string(i));
    uint32_t length = LoadLittle32(bytes.data());
    bytes.remove_prefix(4);
    if (length > bytes.size()) {
      return InvalidDv(source, "bucket " + std::to_string(i) + " runs past the end of the data");
    }
    size_t consumed = 0;
    CA_ASSIGN_OR_RAISE(RoaringPtr bitmap,
                       ReadRoaring(bytes.substr(0, length), &consumed, source, i));
    if (consumed != length) {
      return InvalidDv(source, "bucket " + std::to_string(i) + " has " +
                                   std::to_string(length - consumed) + " bytes of trailing data");
    }
    bytes.remove_prefix(length);
    buckets.push_back({i, std::move(bitmap)});
  }
  if (!bytes.empty()) {
    return InvalidDv(source, std::to_string(bytes.size()) + " unexpected bytes after the bitmap");
  }
  return buckets;
}

// A serialized RoaringBitmapArray (magic number first) -> its buckets.
Result<std::vector<Bucket>> ParseBitmapArray(std::string_view bytes, const DvSource& source) {
  if (bytes.size() < 4) return InvalidDv(source, "truncated before the magic number");
  uint32_t magic = LoadLittle32(bytes.data());
  bytes.remove_prefix(4);
  if (magic == kPortableMagic) return ParsePortable(bytes, source);
  if (magic == kNativeMagic) return ParseNative(bytes, source);
  return InvalidDv(source, "bad magic number " + std::to_string(magic) + " (expected " +
                               std::to_string(kPortableMagic) + ")");
}

// The row indexes of `buckets`, once their count matches the descriptor's cardinality (checked
// first, so a corrupt count never drives a huge allocation).
Result<std::vector<uint64_t>> RowIndexes(const std::vector<Bucket>& buckets, int64_t cardinality,
                                         const DvSource& source) {
  uint64_t total = 0;
  for (const Bucket& bucket : buckets) total += roaring_bitmap_get_cardinality(bucket.bitmap.get());
  if (total != static_cast<uint64_t>(cardinality)) {
    return InvalidDv(source, "cardinality mismatch: the descriptor says " +
                                 std::to_string(cardinality) + " rows, the bitmap holds " +
                                 std::to_string(total));
  }
  std::vector<uint64_t> rows;
  rows.reserve(total);
  std::vector<uint32_t> low;
  for (const Bucket& bucket : buckets) {
    low.resize(roaring_bitmap_get_cardinality(bucket.bitmap.get()));
    roaring_bitmap_to_uint32_array(bucket.bitmap.get(), low.data());
    for (uint32_t value : low) rows.push_back(uint64_t{bucket.key} << 32 | value);
  }
  // The Roaring reader does not check that containers are sorted; a corrupt one would show here.
  if (std::adjacent_find(rows.begin(), rows.end(), std::greater_equal<>()) != rows.end()) {
    return InvalidDv(source, "row indexes are not strictly ascending (corrupt container)");
  }
  return rows;
}

}  // namespace

Result<std::vector<uint64_t>> dv_internal::DecodeRows(std::string_view bytes, int64_t cardinality,
                                                      const DvSource& source) {
  try {
    CA_ASSIGN_OR_RAISE(std::vector<Bucket> buckets, ParseBitmapArray(bytes, source));
    return RowIndexes(buckets, cardinality, source);
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory("out of memory decoding ", source.label);
  }
}

// ---- writing ----

std::vector<uint64_t> dv_internal::DistinctSorted(std::vector<uint64_t> rows) {
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  return rows;
}

// The portable RoaringBitmapArray of distinct, ascending row indexes.
Result<std::string> dv_internal::SerializeRows(const std::vector<uint64_t>& sorted) {
  if (!sorted.empty() && sorted.back() >> 63) {
    return ArgumentError("deletion vector row index " + std::to_string(sorted.back()) +
                         " is out of range (row indexes must be below 2^63)");
  }
  std::string out;
  AppendLittle(&out, kPortableMagic, 4);
  size_t count_at = out.size();
  AppendLittle(&out, 0, 8);
  uint64_t buckets = 0;
  std::vector<uint32_t> low;
  for (size_t i = 0; i < sorted.size();) {
    uint32_t key = static_cast<uint32_t>(sorted[i] >> 32);
    low.clear();
    for (; i < sorted.size() && (sorted[i] >> 32) == key; ++i) {
      low.push_back(static_cast<uint32_t>(sorted[i]));
    }
    RoaringPtr bitmap(roaring_bitmap_of_ptr(low.size(), low.data()));
    if (bitmap == nullptr) return Status::OutOfMemory("out of memory building a deletion vector");
    roaring_bitmap_run_optimize(bitmap.get());
    AppendLittle(&out, key, 4);
    size_t at = out.size();
    out.resize(at + roaring_bitmap_portable_size_in_bytes(bitmap.get()));
    roaring_bitmap_portable_serialize(bitmap.get(), out.data() + at);
    ++buckets;
  }
  std::string count;
  AppendLittle(&count, buckets, 8);
  out.replace(count_at, 8, count);
  return out;
}

// ---- Z85 ----

Result<std::string> Z85Decode(std::string_view text) {
  if (text.size() % 5 != 0) {
    return DeltaError(kInvalidCode, "invalid Z85 text: length " + std::to_string(text.size()) +
                                        " is not a multiple of 5");
  }
  std::string out;
  out.reserve(text.size() / 5 * 4);
  for (size_t i = 0; i < text.size(); i += 5) {
    uint64_t value = 0;
    for (size_t j = i; j < i + 5; ++j) {
      int8_t digit = kZ85Digits[static_cast<unsigned char>(text[j])];
      if (digit < 0) {
        return DeltaError(kInvalidCode, "invalid Z85 text: character " + std::to_string(j) +
                                            " is not in the Z85 alphabet");
      }
      value = value * 85 + static_cast<uint64_t>(digit);
    }
    if (value > std::numeric_limits<uint32_t>::max()) {
      return DeltaError(kInvalidCode, "invalid Z85 text: block at character " + std::to_string(i) +
                                          " exceeds 32 bits");
    }
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
  }
  return out;
}

std::string Z85Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 3) / 4 * 5);
  for (size_t i = 0; i < bytes.size(); i += 4) {
    uint32_t value = 0;
    for (size_t j = i; j < i + 4; ++j) {
      value = value << 8 | (j < bytes.size() ? static_cast<unsigned char>(bytes[j]) : 0u);
    }
    char block[5];
    for (int k = 4; k >= 0; --k) {
      block[k] = kZ85Alphabet[value % 85];
      value /= 85;
    }
    out.append(block, 5);
  }
  return out;
}

}  // namespace codeanatomy::delta
