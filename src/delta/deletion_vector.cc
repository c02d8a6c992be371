#include "delta/deletion_vector.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <new>
#include <utility>

#include <arrow/buffer.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/io/interfaces.h>
#include <roaring/roaring.h>

#include "delta/delta_error.h"

namespace codeanatomy::delta {

namespace {

constexpr std::string_view kInvalidCode = "INVALID_DELETION_VECTOR";
constexpr std::string_view kNotFoundCode = "DELETION_VECTOR_NOT_FOUND";
constexpr std::string_view kReadFailedCode = "DELETION_VECTOR_READ_FAILED";

// RoaringBitmapArray magic numbers (little-endian on disk): the protocol's portable layout and
// the native layout Delta Spark can also write.
constexpr uint32_t kPortableMagic = 1681511377;
constexpr uint32_t kNativeMagic = 1681511376;
constexpr uint8_t kDvFileVersion = 1;
// Z85 characters of the UUID at the end of a 'u' descriptor's pathOrInlineDv.
constexpr size_t kEncodedUuidLength = 20;
// The smallest serialized 32-bit Roaring bitmap: cookie and container count, no containers.
constexpr size_t kMinRoaringBytes = 8;

constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

constexpr std::array<int8_t, 256> kZ85Digits = [] {
  std::array<int8_t, 256> digits{};
  digits.fill(-1);
  for (size_t i = 0; i < kZ85Alphabet.size(); ++i) {
    digits[static_cast<unsigned char>(kZ85Alphabet[i])] = static_cast<int8_t>(i);
  }
  return digits;
}();

// CRC-32 as in zlib (reflected polynomial 0xEDB88320), which DV files use.
constexpr std::array<uint32_t, 256> kCrc32Table = [] {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}();

uint32_t Crc32(std::string_view data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : data) crc = kCrc32Table[(crc ^ byte) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

uint32_t LoadLittle32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
}

uint64_t LoadLittle64(const char* p) {
  return uint64_t{LoadLittle32(p)} | uint64_t{LoadLittle32(p + 4)} << 32;
}

uint32_t LoadBig32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | uint32_t{b[3]};
}

void AppendLittle(std::string* out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

std::string Hex32(uint32_t value) {
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

DvSource InlineSource(const DeletionVectorDescriptor& dv) {
  return {"inline deletion vector",
          "\"storage_type\":\"i\",\"dv_id\":" + JsonQuote(DeletionVectorId(dv))};
}

DvSource FileSource(const std::string& path) {
  return {"deletion vector file " + path, "\"file\":" + JsonQuote(path)};
}

Status InvalidDv(const DvSource& source, const std::string& problem) {
  return DeltaError(kInvalidCode, source.label + ": " + problem, source.details);
}

Status DescriptorError(const std::string& problem, std::string_view field) {
  return DeltaError(kInvalidCode, "invalid deletionVector descriptor: " + problem,
                    "\"field\":" + JsonQuote(field));
}

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

Result<std::vector<uint64_t>> DecodeRows(std::string_view bytes, int64_t cardinality,
                                         const DvSource& source) {
  try {
    CA_ASSIGN_OR_RAISE(std::vector<Bucket> buckets, ParseBitmapArray(bytes, source));
    return RowIndexes(buckets, cardinality, source);
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory("out of memory decoding ", source.label);
  }
}

// ---- paths ----

std::string_view StripTrailingSlashes(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

std::string JoinPath(std::string_view root, std::string_view relative) {
  std::string out(root);
  if (out.empty() || out.back() != '/') out.push_back('/');
  out.append(relative);
  return out;
}

// True for "scheme:..." with a scheme of two or more characters (so "C:" is not a scheme).
bool HasUriScheme(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon < 2) return false;
  auto is_alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!is_alpha(text[0])) return false;
  for (size_t i = 1; i < colon; ++i) {
    char c = text[i];
    if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

std::optional<std::string> PercentDecode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size() || hex(text[i + 1]) < 0 || hex(text[i + 2]) < 0) return std::nullopt;
    out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
    i += 2;
  }
  return out;
}

// A `file:` URI ("file:/p", "file:///p", "file://host/p") as a local path; other text as is.
std::optional<std::string> LocalPathOf(std::string_view path) {
  constexpr std::string_view kFile = "file:";
  if (path.size() < kFile.size() || path.substr(0, kFile.size()) != kFile) {
    return std::string(path);
  }
  std::string_view rest = path.substr(kFile.size());
  if (rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(slash);  // drop the (usually empty) authority
  }
  return PercentDecode(rest);
}

// True when a relative path has no empty, "." or ".." segment (so it stays below its root).
bool IsContainedRelativePath(std::string_view relative) {
  if (relative.empty()) return false;
  size_t start = 0;
  while (start <= relative.size()) {
    size_t end = relative.find('/', start);
    if (end == std::string_view::npos) end = relative.size();
    std::string_view segment = relative.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    start = end + 1;
  }
  return true;
}

std::string FormatUuid(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    auto byte = static_cast<unsigned char>(bytes[i]);
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0xF]);
  }
  return out;
}

Result<std::string> RelativeDvPath(const DeletionVectorDescriptor& dv) {
  const std::string& encoded = dv.path_or_inline_dv;
  if (encoded.size() < kEncodedUuidLength) {
    std::string problem = "pathOrInlineDv of a 'u' deletion vector must end in a 20-character";
    return DescriptorError(problem + " Z85 UUID, got '" + encoded + "'", "pathOrInlineDv");
  }
  std::string_view prefix =
      std::string_view(encoded).substr(0, encoded.size() - kEncodedUuidLength);
  auto uuid = Z85Decode(std::string_view(encoded).substr(prefix.size()));
  if (!uuid.ok()) {
    return DescriptorError("the UUID of '" + encoded + "' is not Z85: " + uuid.status().message(),
                           "pathOrInlineDv");
  }
  std::string file = "deletion_vector_" + FormatUuid(*uuid) + ".bin";
  if (prefix.empty()) return file;
  if (!IsContainedRelativePath(prefix)) {
    return DescriptorError(
        "the prefix '" + std::string(prefix) + "' of '" + encoded + "' leaves the table directory",
        "pathOrInlineDv");
  }
  return std::string(prefix) + "/" + file;
}

Result<std::string> AbsoluteDvPath(const DeletionVectorDescriptor& dv, std::string_view root,
                                   bool allow_outside) {
  const std::string& raw = dv.path_or_inline_dv;
  std::optional<std::string> path = LocalPathOf(raw);
  if (!path) return DescriptorError("'" + raw + "' is not a valid file URI", "pathOrInlineDv");
  if (!HasUriScheme(*path) && (path->empty() || path->front() != '/')) {
    return DescriptorError("the path of a 'p' deletion vector must be absolute, got '" + raw + "'",
                           "pathOrInlineDv");
  }
  std::optional<std::string> local_root = LocalPathOf(root);
  if (local_root) {
    std::string_view base = StripTrailingSlashes(*local_root);
    std::string_view candidate = *path;
    if (candidate.size() > base.size() && candidate.substr(0, base.size()) == base &&
        (base == "/" || candidate[base.size()] == '/')) {
      std::string_view relative = candidate.substr(base.size() + (base == "/" ? 0 : 1));
      if (IsContainedRelativePath(relative)) return JoinPath(root, relative);
    }
  }
  if (allow_outside) return *path;
  return DeltaError(
      kInvalidCode,
      "deletion vector path '" + raw + "' lies outside the table root '" + std::string(root) + "'",
      "\"file\":" + JsonQuote(raw) + ",\"table_root\":" + JsonQuote(root));
}

// ---- file DVs ----

// DVs this close to the start of their file are read together with the version byte, in one
// request (object stores charge per request).
constexpr int64_t kSingleReadReach = 64 * 1024;

Result<std::vector<uint64_t>> ReadFileDeletionVector(const DeletionVectorDescriptor& dv,
                                                     const std::string& path,
                                                     arrow::fs::FileSystem* fs) {
  DvSource source = FileSource(path);
  auto read_failed = [&](const Status& st) {
    return EngineError(arrow::StatusCode::IOError, stage::kDelta, kReadFailedCode,
                       "cannot read " + source.label + ": " + st.message(),
                       "{" + source.details + "}");
  };
  if (fs == nullptr) {
    return ArgumentError("ReadDeletionVector: a file system is required for " + source.label);
  }
  int64_t offset = dv.offset.value_or(1);
  if (offset < 1) {
    return InvalidDv(source, "offset " + std::to_string(offset) + " is before the data");
  }
  int64_t size = dv.size_in_bytes;
  int64_t end = offset + 4 + size + 4;  // size header, bitmap, checksum

  auto file = fs->OpenInputFile(path);
  if (!file.ok()) {
    // Only now ask why, so the common case costs no extra request.
    auto info = fs->GetFileInfo(path);
    if (info.ok() && info->type() == arrow::fs::FileType::NotFound) {
      return DeltaError(kNotFoundCode, source.label + " does not exist", source.details);
    }
    return read_failed(file.status());
  }
  auto file_size = (*file)->GetSize();
  if (!file_size.ok()) return read_failed(file_size.status());
  if (*file_size < 1) return InvalidDv(source, "truncated: the file is empty");
  if (*file_size < end) {
    return InvalidDv(source, "truncated: the DV at offset " + std::to_string(offset) + " needs " +
                                 std::to_string(end) + " bytes, the file has " +
                                 std::to_string(*file_size));
  }

  int64_t first = offset <= kSingleReadReach ? 0 : offset;
  auto block = (*file)->ReadAt(first, end - first);
  if (!block.ok()) return read_failed(block.status());
  if ((*block)->size() < end - first) {
    return InvalidDv(source, "truncated: short read at offset " + std::to_string(first));
  }
  std::shared_ptr<arrow::Buffer> version = *block;
  if (first != 0) {
    auto head = (*file)->ReadAt(0, 1);
    if (!head.ok()) return read_failed(head.status());
    if ((*head)->size() < 1) return InvalidDv(source, "truncated: short read of the version");
    version = *head;
  }
  if (version->data()[0] != kDvFileVersion) {
    return InvalidDv(source, "unsupported format version " + std::to_string(version->data()[0]));
  }

  const char* data = reinterpret_cast<const char*>((*block)->data()) + (offset - first);
  uint32_t stored_size = LoadBig32(data);
  if (stored_size != static_cast<uint32_t>(size)) {
    return InvalidDv(source, "size mismatch at offset " + std::to_string(offset) +
                                 ": the descriptor says " + std::to_string(size) +
                                 " bytes, the file says " + std::to_string(stored_size));
  }
  std::string_view bitmap(data + 4, static_cast<size_t>(size));
  uint32_t stored_crc = LoadBig32(data + 4 + size);
  uint32_t crc = Crc32(bitmap);
  if (stored_crc != crc) {
    return InvalidDv(source, "checksum mismatch at offset " + std::to_string(offset) + ": stored " +
                                 Hex32(stored_crc) + ", computed " + Hex32(crc));
  }
  return DecodeRows(bitmap, dv.cardinality, source);
}

// ---- writing ----

std::vector<uint64_t> DistinctSorted(std::vector<uint64_t> rows) {
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  return rows;
}

// The portable RoaringBitmapArray of distinct, ascending row indexes.
Result<std::string> SerializeRows(const std::vector<uint64_t>& sorted) {
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

}  // namespace

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

// ---- descriptors ----

Result<DeletionVectorDescriptor> ParseDeletionVector(const JsonValue& dv) {
  if (!dv.is_object()) {
    return DescriptorError("expected an object, got " + std::string(JsonTypeName(dv.type())),
                           "deletionVector");
  }
  DeletionVectorDescriptor out;
  const JsonValue* storage_type = dv.Get("storageType");
  if (storage_type == nullptr || !storage_type->is_string()) {
    return DescriptorError("storageType must be a string", "storageType");
  }
  out.storage_type = storage_type->string_value();
  if (out.storage_type != "u" && out.storage_type != "i" && out.storage_type != "p") {
    return DescriptorError("unknown storageType '" + out.storage_type + "' (expected u, i or p)",
                           "storageType");
  }
  const JsonValue* path = dv.Get("pathOrInlineDv");
  if (path == nullptr || !path->is_string()) {
    return DescriptorError("pathOrInlineDv must be a string", "pathOrInlineDv");
  }
  out.path_or_inline_dv = path->string_value();

  auto int_field = [&](std::string_view name, int64_t min, int64_t max,
                       bool required) -> Result<std::optional<int64_t>> {
    const JsonValue* value = dv.Get(name);
    if (value == nullptr || value->is_null()) {
      if (required) return DescriptorError(std::string(name) + " is missing", name);
      return std::optional<int64_t>();
    }
    if (!value->is_int() || value->int_value() < min || value->int_value() > max) {
      return DescriptorError(std::string(name) + " must be an integer in [" + std::to_string(min) +
                                 ", " + std::to_string(max) + "], got " + value->ToJson(),
                             name);
    }
    return std::optional<int64_t>(value->int_value());
  };
  constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
  CA_ASSIGN_OR_RAISE(auto offset, int_field("offset", 0, kInt32Max, false));
  CA_ASSIGN_OR_RAISE(auto size, int_field("sizeInBytes", 0, kInt32Max, true));
  CA_ASSIGN_OR_RAISE(auto cardinality,
                     int_field("cardinality", 0, std::numeric_limits<int64_t>::max(), true));
  if (offset) out.offset = static_cast<int32_t>(*offset);
  out.size_in_bytes = static_cast<int32_t>(*size);
  out.cardinality = *cardinality;
  return out;
}

std::string DeletionVectorId(const DeletionVectorDescriptor& dv) {
  std::string id = dv.storage_type + dv.path_or_inline_dv;
  if (dv.offset) id += "@" + std::to_string(*dv.offset);
  return id;
}

Result<std::string> DeletionVectorPath(const DeletionVectorDescriptor& dv,
                                       const std::string& table_root, bool allow_outside) {
  std::string_view root = StripTrailingSlashes(table_root);
  if (dv.storage_type == "u") {
    CA_ASSIGN_OR_RAISE(std::string relative, RelativeDvPath(dv));
    return JoinPath(root, relative);
  }
  if (dv.storage_type == "p") return AbsoluteDvPath(dv, root, allow_outside);
  if (dv.storage_type == "i") {
    return DescriptorError("an inline deletion vector has no file", "storageType");
  }
  return DescriptorError("unknown storageType '" + dv.storage_type + "'", "storageType");
}

// ---- reading ----

Result<std::vector<uint64_t>> ReadDeletionVector(const DeletionVectorDescriptor& dv,
                                                 const std::string& table_root,
                                                 arrow::fs::FileSystem* fs) {
  if (dv.cardinality < 0) return DescriptorError("cardinality is negative", "cardinality");
  if (dv.size_in_bytes < 0) return DescriptorError("sizeInBytes is negative", "sizeInBytes");
  if (dv.storage_type == "i") {
    DvSource source = InlineSource(dv);
    auto decoded = Z85Decode(dv.path_or_inline_dv);
    if (!decoded.ok()) return InvalidDv(source, decoded.status().message());
    if (static_cast<size_t>(dv.size_in_bytes) > decoded->size()) {
      return InvalidDv(source, "truncated: the descriptor says " +
                                   std::to_string(dv.size_in_bytes) + " bytes, the text holds " +
                                   std::to_string(decoded->size()));
    }
    // The writer zero-pads to a multiple of 4 bytes before encoding; sizeInBytes is the real size.
    return DecodeRows(std::string_view(*decoded).substr(0, dv.size_in_bytes), dv.cardinality,
                      source);
  }
  CA_ASSIGN_OR_RAISE(std::string path, DeletionVectorPath(dv, table_root));
  return ReadFileDeletionVector(dv, path, fs);
}

// ---- writing (public) ----

Result<std::string> SerializeDeletionVector(const std::vector<uint64_t>& rows) {
  try {
    return SerializeRows(DistinctSorted(rows));
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory("out of memory serializing a deletion vector");
  }
}

Result<DeletionVectorDescriptor> InlineDeletionVector(const std::vector<uint64_t>& rows) {
  try {
    std::vector<uint64_t> sorted = DistinctSorted(rows);
    CA_ASSIGN_OR_RAISE(std::string bytes, SerializeRows(sorted));
    if (bytes.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
      return ArgumentError("deletion vector of " + std::to_string(bytes.size()) +
                           " bytes is too large to inline");
    }
    DeletionVectorDescriptor dv;
    dv.storage_type = "i";
    dv.path_or_inline_dv = Z85Encode(bytes);
    dv.size_in_bytes = static_cast<int32_t>(bytes.size());
    dv.cardinality = static_cast<int64_t>(sorted.size());
    return dv;
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory("out of memory encoding a deletion vector");
  }
}

}  // namespace codeanatomy::delta
