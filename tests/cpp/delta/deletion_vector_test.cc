#include "delta/deletion_vector.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <arrow/filesystem/localfs.h>
#include <gtest/gtest.h>
#include <parquet/exception.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include "common/json.h"
#include "common/status.h"

namespace codeanatomy::delta {
namespace {

namespace fs = std::filesystem;

#define DV_ASSERT_OK(expr)                   \
  do {                                       \
    const ::arrow::Status _st = (expr);      \
    ASSERT_TRUE(_st.ok()) << _st.ToString(); \
  } while (false)

#define DV_ASSERT_OK_AND_ASSIGN(lhs, rexpr)                             \
  auto&& _result_##lhs = (rexpr);                                       \
  ASSERT_TRUE(_result_##lhs.ok()) << _result_##lhs.status().ToString(); \
  auto lhs = std::move(_result_##lhs).ValueUnsafe()

// Asserts that `status` is a delta-stage error with `code` whose message contains `needle`.
::testing::AssertionResult IsDeltaError(const Status& status, std::string_view code,
                                        std::string_view needle) {
  if (status.ok()) return ::testing::AssertionFailure() << "expected " << code << ", got OK";
  ErrorInfo info = DescribeError(status);
  if (info.stage != stage::kDelta || info.code != code ||
      info.message.find(needle) == std::string::npos) {
    return ::testing::AssertionFailure() << "expected delta/" << code << " mentioning '" << needle
                                         << "', got " << status.ToString();
  }
  return ::testing::AssertionSuccess();
}

std::vector<uint64_t> DistinctSorted(std::vector<uint64_t> rows) {
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  return rows;
}

// CRC-32 (zlib), bit by bit: an independent check of the library's table-driven one.
uint32_t ReferenceCrc32(std::string_view data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : data) {
    crc ^= byte;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void AppendBig32(std::string* out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

// One DV as stored in a DV file: big-endian size, the bitmap, big-endian CRC-32 of the bitmap.
std::string DvFileEntry(std::string_view bitmap) {
  std::string entry;
  AppendBig32(&entry, static_cast<uint32_t>(bitmap.size()));
  entry.append(bitmap);
  AppendBig32(&entry, ReferenceCrc32(bitmap));
  return entry;
}

std::string ReadFileBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFileBytes(const fs::path& path, std::string_view bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A fresh directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "ca-dv-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// ---- Z85 ----

TEST(Z85Test, EncodesAndDecodesTheRfcExample) {
  // ZeroMQ RFC 32: 86 4F D2 6F B5 59 F7 5B <-> "HelloWorld".
  const std::string bytes("\x86\x4F\xD2\x6F\xB5\x59\xF7\x5B", 8);
  EXPECT_EQ(Z85Encode(bytes), "HelloWorld");
  DV_ASSERT_OK_AND_ASSIGN(decoded, Z85Decode("HelloWorld"));
  EXPECT_EQ(decoded, bytes);
}

TEST(Z85Test, DecodesTheProtocolsUuidExample) {
  // The 20 characters after the "ab" prefix of the protocol's example descriptor.
  DV_ASSERT_OK_AND_ASSIGN(decoded, Z85Decode("^-aqEH.-t@S}K{vb[*k^"));
  const std::string expected("\xd2\xc6\x39\xaa\x88\x16\x43\x1a\xaa\xf6\xd3\xfe\x25\x12\xff\x61",
                             16);
  EXPECT_EQ(decoded, expected);
  EXPECT_EQ(Z85Encode(expected), "^-aqEH.-t@S}K{vb[*k^");
}

TEST(Z85Test, RoundTripsEveryByteValue) {
  std::string bytes(256, '\0');
  std::iota(bytes.begin(), bytes.end(), '\0');
  std::string text = Z85Encode(bytes);
  EXPECT_EQ(text.size(), 320u);
  DV_ASSERT_OK_AND_ASSIGN(decoded, Z85Decode(text));
  EXPECT_EQ(decoded, bytes);
  EXPECT_EQ(Z85Encode(std::string(4, '\xff')), "%nSc0");
  EXPECT_EQ(Z85Encode(std::string(4, '\0')), "00000");
}

TEST(Z85Test, ZeroPadsInputsThatAreNotWholeBlocks) {
  EXPECT_EQ(Z85Encode(std::string("\x01", 1)), Z85Encode(std::string("\x01\0\0\0", 4)));
  EXPECT_EQ(Z85Encode(""), "");
}

TEST(Z85Test, RejectsBadLengthsCharactersAndOverflow) {
  EXPECT_TRUE(IsDeltaError(Z85Decode("Hell").status(), "INVALID_DELETION_VECTOR", "multiple of 5"));
  EXPECT_TRUE(IsDeltaError(Z85Decode("Hell~").status(), "INVALID_DELETION_VECTOR", "alphabet"));
  // "#####" is 85^5 - 1, beyond 32 bits.
  EXPECT_TRUE(IsDeltaError(Z85Decode("#####").status(), "INVALID_DELETION_VECTOR", "32 bits"));
}

// ---- descriptors, ids, paths ----

TEST(ParseDeletionVectorTest, ParsesTheProtocolsExamples) {
  DV_ASSERT_OK_AND_ASSIGN(json, JsonValue::Parse(R"({"storageType":"u",
      "pathOrInlineDv":"ab^-aqEH.-t@S}K{vb[*k^","offset":4,"sizeInBytes":40,"cardinality":6})"));
  DV_ASSERT_OK_AND_ASSIGN(dv, ParseDeletionVector(json));
  EXPECT_EQ(dv.storage_type, "u");
  EXPECT_EQ(dv.path_or_inline_dv, "ab^-aqEH.-t@S}K{vb[*k^");
  EXPECT_EQ(dv.offset, 4);
  EXPECT_EQ(dv.size_in_bytes, 40);
  EXPECT_EQ(dv.cardinality, 6);

  // Inline: no offset; a null offset (as in checkpoints) is the same.
  for (const char* text :
       {R"({"storageType":"i","pathOrInlineDv":"abcde","sizeInBytes":4,"cardinality":1})",
        R"({"storageType":"i","pathOrInlineDv":"abcde","offset":null,"sizeInBytes":4,
            "cardinality":1})"}) {
    DV_ASSERT_OK_AND_ASSIGN(inline_json, JsonValue::Parse(text));
    DV_ASSERT_OK_AND_ASSIGN(inline_dv, ParseDeletionVector(inline_json));
    EXPECT_EQ(inline_dv.storage_type, "i");
    EXPECT_FALSE(inline_dv.offset.has_value());
  }
}

TEST(ParseDeletionVectorTest, RejectsMalformedDescriptors) {
  struct Case {
    const char* json;
    const char* needle;
  };
  for (const Case& c : std::vector<Case>{
           {R"([1])", "expected an object"},
           {R"({"storageType":"x","pathOrInlineDv":"a","sizeInBytes":1,"cardinality":1})",
            "unknown storageType 'x'"},
           {R"({"storageType":"u","sizeInBytes":1,"cardinality":1})", "pathOrInlineDv"},
           {R"({"storageType":"u","pathOrInlineDv":"a","cardinality":1})",
            "sizeInBytes is missing"},
           {R"({"storageType":"u","pathOrInlineDv":"a","sizeInBytes":1,"cardinality":"1"})",
            "cardinality must be an integer"},
           {R"({"storageType":"u","pathOrInlineDv":"a","sizeInBytes":-1,"cardinality":1})",
            "sizeInBytes must be an integer"},
           {R"({"storageType":"u","pathOrInlineDv":"a","offset":4294967296,"sizeInBytes":1,
                "cardinality":1})",
            "offset must be an integer"},
       }) {
    DV_ASSERT_OK_AND_ASSIGN(json, JsonValue::Parse(c.json));
    EXPECT_TRUE(
        IsDeltaError(ParseDeletionVector(json).status(), "INVALID_DELETION_VECTOR", c.needle))
        << c.json;
  }
}

TEST(DeletionVectorIdTest, IsStorageTypePathAndOffset) {
  DeletionVectorDescriptor dv{"u", "ab^-aqEH.-t@S}K{vb[*k^", 4, 40, 6};
  EXPECT_EQ(DeletionVectorId(dv), "uab^-aqEH.-t@S}K{vb[*k^@4");
  dv.offset = 1;
  EXPECT_EQ(DeletionVectorId(dv), "uab^-aqEH.-t@S}K{vb[*k^@1");
  DeletionVectorDescriptor inline_dv{"i", "wi5b=", std::nullopt, 4, 1};
  EXPECT_EQ(DeletionVectorId(inline_dv), "iwi5b=");
}

TEST(DeletionVectorPathTest, DerivesTheFileOfARelativeDescriptorWithPrefix) {
  // Worked by hand: "ab^-aqEH.-t@S}K{vb[*k^" is the prefix "ab" and the Z85 UUID
  // "^-aqE H.-t@ S}K{v b[*k^". Each block is a base-85 number over the alphabet
  // "0-9a-zA-Z.-:+=^!/*?&<>()[]{}@%$#": "^-aqE" = [67, 63, 10, 26, 40]
  // = (((67*85 + 63)*85 + 10)*85 + 26)*85 + 40 = 3536206250 = 0xd2c639aa; likewise
  // "H.-t@" = 0x8816431a, "S}K{v" = 0xaaf6d3fe, "b[*k^" = 0x2512ff61. As a UUID:
  // d2c639aa-8816-431a-aaf6-d3fe2512ff61 (the protocol's own example says the same).
  DeletionVectorDescriptor dv{"u", "ab^-aqEH.-t@S}K{vb[*k^", 4, 40, 6};
  const std::string expected =
      "/tmp/table/ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin";
  DV_ASSERT_OK_AND_ASSIGN(path, DeletionVectorPath(dv, "/tmp/table"));
  EXPECT_EQ(path, expected);
  DV_ASSERT_OK_AND_ASSIGN(path_slash, DeletionVectorPath(dv, "/tmp/table/"));
  EXPECT_EQ(path_slash, expected);
  DV_ASSERT_OK_AND_ASSIGN(s3_path, DeletionVectorPath(dv, "s3://mytable/"));
  EXPECT_EQ(s3_path, "s3://mytable/ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin");
}

TEST(DeletionVectorPathTest, PutsAnUnprefixedDescriptorAtTheTableRoot) {
  DeletionVectorDescriptor dv{"u", "vBn[lx{q8@P<9BNH/isA", 1, 36, 2};
  DV_ASSERT_OK_AND_ASSIGN(path, DeletionVectorPath(dv, "/data/t"));
  EXPECT_EQ(path, "/data/t/deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin");
}

TEST(DeletionVectorPathTest, RejectsBadRelativeDescriptors) {
  DeletionVectorDescriptor short_dv{"u", "tooShort", 1, 34, 1};
  EXPECT_TRUE(IsDeltaError(DeletionVectorPath(short_dv, "/t").status(), "INVALID_DELETION_VECTOR",
                           "20-character"));
  DeletionVectorDescriptor bad_z85{"u", "~~~~~~~~~~~~~~~~~~~~", 1, 34, 1};
  EXPECT_TRUE(IsDeltaError(DeletionVectorPath(bad_z85, "/t").status(), "INVALID_DELETION_VECTOR",
                           "not Z85"));
  DeletionVectorDescriptor climbing{"u", "../^-aqEH.-t@S}K{vb[*k^", 1, 34, 1};
  EXPECT_TRUE(IsDeltaError(DeletionVectorPath(climbing, "/t").status(), "INVALID_DELETION_VECTOR",
                           "leaves the table directory"));
  DeletionVectorDescriptor inline_dv{"i", "00000", std::nullopt, 4, 0};
  EXPECT_TRUE(IsDeltaError(DeletionVectorPath(inline_dv, "/t").status(), "INVALID_DELETION_VECTOR",
                           "no file"));
}

TEST(DeletionVectorPathTest, KeepsAbsolutePathsInsideTheTable) {
  DeletionVectorDescriptor dv{"p", "file:///tmp/table/deletion_vector_x.bin", 1, 34, 1};
  DV_ASSERT_OK_AND_ASSIGN(local, DeletionVectorPath(dv, "/tmp/table"));
  EXPECT_EQ(local, "/tmp/table/deletion_vector_x.bin");
  dv.path_or_inline_dv = "file:/tmp/table/sub%20dir/dv.bin";  // Spark's single-slash form
  DV_ASSERT_OK_AND_ASSIGN(escaped, DeletionVectorPath(dv, "/tmp/table/"));
  EXPECT_EQ(escaped, "/tmp/table/sub dir/dv.bin");
  dv.path_or_inline_dv = "s3://mytable/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin";
  DV_ASSERT_OK_AND_ASSIGN(s3, DeletionVectorPath(dv, "s3://mytable"));
  EXPECT_EQ(s3, dv.path_or_inline_dv);

  for (const char* outside : {"/tmp/other/dv.bin", "/tmp/table/../other/dv.bin",
                              "/tmp/tablex/dv.bin", "s3://elsewhere/dv.bin"}) {
    dv.path_or_inline_dv = outside;
    EXPECT_TRUE(IsDeltaError(DeletionVectorPath(dv, "/tmp/table").status(),
                             "INVALID_DELETION_VECTOR", "outside the table root"))
        << outside;
  }
  dv.path_or_inline_dv = "file:///tmp/other/dv.bin";
  DV_ASSERT_OK_AND_ASSIGN(allowed, DeletionVectorPath(dv, "/tmp/table", /*allow_outside=*/true));
  EXPECT_EQ(allowed, "/tmp/other/dv.bin");
  dv.path_or_inline_dv = "relative/dv.bin";
  EXPECT_TRUE(IsDeltaError(DeletionVectorPath(dv, "/tmp/table", true).status(),
                           "INVALID_DELETION_VECTOR", "must be absolute"));
}

// ---- inline DVs ----

void ExpectInlineRoundTrip(const std::vector<uint64_t>& rows) {
  DV_ASSERT_OK_AND_ASSIGN(dv, InlineDeletionVector(rows));
  std::vector<uint64_t> expected = DistinctSorted(rows);
  EXPECT_EQ(dv.storage_type, "i");
  EXPECT_FALSE(dv.offset.has_value());
  EXPECT_EQ(dv.cardinality, static_cast<int64_t>(expected.size()));
  EXPECT_EQ(dv.path_or_inline_dv.size() % 5, 0u);
  EXPECT_EQ(dv.path_or_inline_dv.size() / 5 * 4,
            (static_cast<size_t>(dv.size_in_bytes) + 3) / 4 * 4);
  DV_ASSERT_OK_AND_ASSIGN(read, ReadDeletionVector(dv, "/unused", nullptr));
  EXPECT_EQ(read, expected);
}

TEST(InlineDeletionVectorTest, RoundTripsEmpty) {
  DV_ASSERT_OK_AND_ASSIGN(dv, InlineDeletionVector({}));
  EXPECT_EQ(dv.size_in_bytes, 12);  // magic + bucket count
  EXPECT_EQ(dv.cardinality, 0);
  ExpectInlineRoundTrip({});
}

TEST(InlineDeletionVectorTest, RoundTripsSmallSetsAndMatchesDeltaKernelBytes) {
  ExpectInlineRoundTrip({3, 4, 7, 11, 18, 29});
  ExpectInlineRoundTrip({29, 3, 3, 18, 0, 7});  // any order, duplicates collapse
  // delta-kernel-rs encodes {3, 4, 7, 11, 18, 29} as this 44-byte portable bitmap.
  DV_ASSERT_OK_AND_ASSIGN(dv, InlineDeletionVector({3, 4, 7, 11, 18, 29}));
  EXPECT_EQ(dv.path_or_inline_dv, "^Bg9^0rr910000000000iXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L");
  EXPECT_EQ(dv.size_in_bytes, 44);
  EXPECT_EQ(dv.cardinality, 6);
}

TEST(InlineDeletionVectorTest, RoundTripsBeyondOneRoaringContainer) {
  std::vector<uint64_t> rows;
  for (uint64_t i = 0; i < 200000; i += 3) rows.push_back(i);    // array and bitset containers
  for (uint64_t i = 300000; i < 400000; ++i) rows.push_back(i);  // a run
  rows.push_back(65535);
  rows.push_back(65536);
  ExpectInlineRoundTrip(rows);
}

TEST(InlineDeletionVectorTest, RoundTripsRowIndexesBeyond32Bits) {
  const uint64_t k2To32 = uint64_t{1} << 32;
  ExpectInlineRoundTrip({0, k2To32 - 1, k2To32, k2To32 + 7, 5 * k2To32 + 1, uint64_t{1} << 62,
                         (uint64_t{1} << 63) - 1});
}

TEST(InlineDeletionVectorTest, RejectsRowIndexesWithTheTopBitSet) {
  auto result = InlineDeletionVector({uint64_t{1} << 63});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(DescribeError(result.status()).code, "INVALID_ARGUMENT");
}

TEST(ReadDeletionVectorTest, ReadsDeltaKernelsInlineExample) {
  DeletionVectorDescriptor dv{"i", "^Bg9^0rr910000000000iXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L",
                              std::nullopt, 44, 6};
  DV_ASSERT_OK_AND_ASSIGN(rows, ReadDeletionVector(dv, "", nullptr));
  EXPECT_EQ(rows, (std::vector<uint64_t>{3, 4, 7, 11, 18, 29}));
}

TEST(ReadDeletionVectorTest, RejectsTheProtocolsBigEndianInlineExample) {
  // PROTOCOL.md's "JSON Example 3" writes the native layout's header big-endian (magic bytes
  // 64 39 d3 d0); Delta Spark and delta-kernel-rs read the header little-endian, as we do.
  DeletionVectorDescriptor dv{"i", "wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L",
                              std::nullopt, 40, 6};
  EXPECT_TRUE(IsDeltaError(ReadDeletionVector(dv, "", nullptr).status(), "INVALID_DELETION_VECTOR",
                           "bad magic number"));
}

TEST(ReadDeletionVectorTest, ReadsSparksNativeLayout) {
  // Native: magic 1681511376, int32 bucket count, then per bucket (key = position) an int32
  // length and a portable 32-bit bitmap. Take the portable bitmaps from our own serializer:
  // its header is magic (4) + count (8) + key (4).
  DV_ASSERT_OK_AND_ASSIGN(low, SerializeDeletionVector({1, 2}));
  DV_ASSERT_OK_AND_ASSIGN(high, SerializeDeletionVector({5}));
  std::string bucket0 = low.substr(16), bucket1 = high.substr(16);
  auto little32 = [](uint32_t v) {
    return std::string{static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 24)};
  };
  std::string bytes = little32(1681511376) + little32(2) + little32(bucket0.size()) + bucket0 +
                      little32(bucket1.size()) + bucket1;
  DeletionVectorDescriptor dv;
  dv.storage_type = "i";
  dv.path_or_inline_dv = Z85Encode(bytes);
  dv.size_in_bytes = static_cast<int32_t>(bytes.size());
  dv.cardinality = 3;
  DV_ASSERT_OK_AND_ASSIGN(rows, ReadDeletionVector(dv, "", nullptr));
  EXPECT_EQ(rows, (std::vector<uint64_t>{1, 2, (uint64_t{1} << 32) | 5}));
}

TEST(ReadDeletionVectorTest, RejectsInconsistentInlineDescriptors) {
  DV_ASSERT_OK_AND_ASSIGN(dv, InlineDeletionVector({1, 2, 3}));
  DeletionVectorDescriptor wrong_cardinality = dv;
  wrong_cardinality.cardinality = 2;
  EXPECT_TRUE(IsDeltaError(ReadDeletionVector(wrong_cardinality, "", nullptr).status(),
                           "INVALID_DELETION_VECTOR", "cardinality mismatch"));
  DeletionVectorDescriptor too_long = dv;
  too_long.size_in_bytes += 8;
  EXPECT_TRUE(IsDeltaError(ReadDeletionVector(too_long, "", nullptr).status(),
                           "INVALID_DELETION_VECTOR", "truncated"));
  DeletionVectorDescriptor cut = dv;
  cut.size_in_bytes -= 2;
  EXPECT_TRUE(IsDeltaError(ReadDeletionVector(cut, "", nullptr).status(), "INVALID_DELETION_VECTOR",
                           "not a valid Roaring bitmap"));
  DeletionVectorDescriptor not_z85 = dv;
  not_z85.path_or_inline_dv = "~~~~~";
  EXPECT_TRUE(IsDeltaError(ReadDeletionVector(not_z85, "", nullptr).status(),
                           "INVALID_DELETION_VECTOR", "inline deletion vector"));
}

TEST(ReadDeletionVectorTest, RejectsARoaringHeaderClaimingTooManyContainers) {
  // Portable bitmap of {3}, its container count (bytes 4..7 of the 32-bit bitmap, after the
  // 16-byte array header) rewritten to 2^31 + 1: rejected before any allocation.
  DV_ASSERT_OK_AND_ASSIGN(bytes, SerializeDeletionVector({3}));
  bytes[16 + 7] = '\x80';
  DeletionVectorDescriptor dv{"i", Z85Encode(bytes), std::nullopt,
                              static_cast<int32_t>(bytes.size()), 1};
  EXPECT_TRUE(IsDeltaError(ReadDeletionVector(dv, "", nullptr).status(), "INVALID_DELETION_VECTOR",
                           "not a valid Roaring bitmap"));
}

// ---- file DVs written by the test ----

class DeletionVectorFileTest : public ::testing::Test {
 protected:
  // Writes a DV file holding `entries` after the version byte; returns each entry's descriptor
  // ('u', no prefix, the UUID kUuidZ85).
  std::vector<DeletionVectorDescriptor> WriteDvFile(const std::vector<std::string>& bitmaps,
                                                    const std::vector<int64_t>& cardinalities) {
    std::string file(1, '\x01');
    std::vector<DeletionVectorDescriptor> dvs;
    for (size_t i = 0; i < bitmaps.size(); ++i) {
      DeletionVectorDescriptor dv{"u", kUuidZ85, static_cast<int32_t>(file.size()),
                                  static_cast<int32_t>(bitmaps[i].size()), cardinalities[i]};
      dvs.push_back(dv);
      file += DvFileEntry(bitmaps[i]);
    }
    WriteFileBytes(FilePath(), file);
    return dvs;
  }
  fs::path FilePath() const { return dir_.path() / kFileName; }
  std::string Root() const { return dir_.path().string(); }

  static constexpr const char* kUuidZ85 = "vBn[lx{q8@P<9BNH/isA";
  static constexpr const char* kFileName =
      "deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin";
  TempDir dir_;
  arrow::fs::LocalFileSystem local_fs_;
};

TEST_F(DeletionVectorFileTest, ReadsEachDvOfAFileAtItsOffset) {
  ASSERT_FALSE(dir_.path().empty());
  DV_ASSERT_OK_AND_ASSIGN(first, SerializeDeletionVector({0, 9}));
  DV_ASSERT_OK_AND_ASSIGN(second, SerializeDeletionVector({1, 70000, uint64_t{3} << 32}));
  auto dvs = WriteDvFile({first, second}, {2, 3});
  DV_ASSERT_OK_AND_ASSIGN(rows0, ReadDeletionVector(dvs[0], Root(), &local_fs_));
  EXPECT_EQ(rows0, (std::vector<uint64_t>{0, 9}));
  DV_ASSERT_OK_AND_ASSIGN(rows1, ReadDeletionVector(dvs[1], Root(), &local_fs_));
  EXPECT_EQ(rows1, (std::vector<uint64_t>{1, 70000, uint64_t{3} << 32}));
  // No offset: the DV right after the version byte.
  dvs[0].offset.reset();
  DV_ASSERT_OK_AND_ASSIGN(rows_default, ReadDeletionVector(dvs[0], Root(), &local_fs_));
  EXPECT_EQ(rows_default, rows0);
  // A DV further into the file than the reader fetches along with the version byte.
  std::vector<uint64_t> even;
  for (uint64_t i = 0; i < 1000000; i += 2) even.push_back(i);  // bitset containers, ~128 KB
  DV_ASSERT_OK_AND_ASSIGN(large, SerializeDeletionVector(even));
  auto far = WriteDvFile({large, first}, {static_cast<int64_t>(even.size()), 2});
  ASSERT_GT(*far[1].offset, 64 * 1024);
  DV_ASSERT_OK_AND_ASSIGN(rows_far, ReadDeletionVector(far[1], Root(), &local_fs_));
  EXPECT_EQ(rows_far, rows0);
  DV_ASSERT_OK_AND_ASSIGN(rows_large, ReadDeletionVector(far[0], Root(), &local_fs_));
  EXPECT_EQ(rows_large, even);
}

TEST_F(DeletionVectorFileTest, ReportsAMissingFileAsNotFound) {
  DeletionVectorDescriptor dv{"u", kUuidZ85, 1, 34, 1};
  EXPECT_TRUE(IsDeltaError(ReadDeletionVector(dv, Root(), &local_fs_).status(),
                           "DELETION_VECTOR_NOT_FOUND", kFileName));
}

TEST_F(DeletionVectorFileTest, RejectsABadMagicNumberNamingTheFile) {
  DV_ASSERT_OK_AND_ASSIGN(bitmap, SerializeDeletionVector({4}));
  // Flip a bit of the magic's top byte (the lowest bit would turn portable into native); the
  // checksum is computed over the corrupted bytes, so only the magic is wrong.
  bitmap[3] ^= 0x01;
  auto dvs = WriteDvFile({bitmap}, {1});
  EXPECT_TRUE(IsDeltaError(ReadDeletionVector(dvs[0], Root(), &local_fs_).status(),
                           "INVALID_DELETION_VECTOR", "bad magic number"));
  EXPECT_TRUE(IsDeltaError(ReadDeletionVector(dvs[0], Root(), &local_fs_).status(),
                           "INVALID_DELETION_VECTOR", FilePath().string()));
}

TEST_F(DeletionVectorFileTest, RejectsABadChecksum) {
  DV_ASSERT_OK_AND_ASSIGN(bitmap, SerializeDeletionVector({4}));
  auto dvs = WriteDvFile({bitmap}, {1});
  std::string bytes = ReadFileBytes(FilePath());
  bytes.back() ^= 0x40;
  WriteFileBytes(FilePath(), bytes);
  EXPECT_TRUE(IsDeltaError(ReadDeletionVector(dvs[0], Root(), &local_fs_).status(),
                           "INVALID_DELETION_VECTOR", "checksum mismatch"));
}

TEST_F(DeletionVectorFileTest, RejectsATruncatedFile) {
  DV_ASSERT_OK_AND_ASSIGN(bitmap, SerializeDeletionVector({4, 5, 6}));
  auto dvs = WriteDvFile({bitmap}, {3});
  std::string bytes = ReadFileBytes(FilePath());
  WriteFileBytes(FilePath(), bytes.substr(0, bytes.size() - 6));
  EXPECT_TRUE(IsDeltaError(ReadDeletionVector(dvs[0], Root(), &local_fs_).status(),
                           "INVALID_DELETION_VECTOR", "truncated"));
  WriteFileBytes(FilePath(), "");
  EXPECT_TRUE(IsDeltaError(ReadDeletionVector(dvs[0], Root(), &local_fs_).status(),
                           "INVALID_DELETION_VECTOR", "truncated"));
}

TEST_F(DeletionVectorFileTest, RejectsMismatchedSizeVersionAndCardinality) {
  DV_ASSERT_OK_AND_ASSIGN(bitmap, SerializeDeletionVector({4, 5}));
  auto dvs = WriteDvFile({bitmap}, {2});
  DeletionVectorDescriptor smaller = dvs[0];
  smaller.size_in_bytes -= 1;
  EXPECT_TRUE(IsDeltaError(ReadDeletionVector(smaller, Root(), &local_fs_).status(),
                           "INVALID_DELETION_VECTOR", "size mismatch"));
  DeletionVectorDescriptor wrong_cardinality = dvs[0];
  wrong_cardinality.cardinality = 3;
  EXPECT_TRUE(IsDeltaError(ReadDeletionVector(wrong_cardinality, Root(), &local_fs_).status(),
                           "INVALID_DELETION_VECTOR", "cardinality mismatch"));
  std::string bytes = ReadFileBytes(FilePath());
  bytes[0] = 2;
  WriteFileBytes(FilePath(), bytes);
  EXPECT_TRUE(IsDeltaError(ReadDeletionVector(dvs[0], Root(), &local_fs_).status(),
                           "INVALID_DELETION_VECTOR", "unsupported format version 2"));
}

// ---- Spark-written golden tables ----

// The shared test data: $CODEANATOMY_TESTDATA, else ../shared/testdata beside the checkout
// (found from this source file's path), else /work/shared/testdata.
fs::path TestDataDir() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("CODEANATOMY_TESTDATA")) candidates.emplace_back(env);
  fs::path source(__FILE__);  // <repo>/tests/cpp/delta/deletion_vector_test.cc
  if (source.is_absolute()) {
    candidates.push_back(
        source.parent_path().parent_path().parent_path().parent_path().parent_path() / "shared" /
        "testdata");
  }
  candidates.emplace_back("/work/shared/testdata");
  for (const fs::path& candidate : candidates) {
    std::error_code ec;
    if (fs::is_directory(candidate / "delta-golden", ec)) return candidate;
  }
  return {};
}

int64_t ParquetRowCount(const fs::path& path) {
  try {
    return parquet::ParquetFileReader::OpenFile(path.string())->metadata()->num_rows();
  } catch (const parquet::ParquetException&) {
    return -1;
  }
}

std::string PercentDecodePath(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// An add action with a deletion vector, as the test replays the log.
struct DvAdd {
  std::string path;
  DeletionVectorDescriptor dv;
  int64_t num_records = -1;
};

class GoldenDeletionVectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::path data = TestDataDir();
    if (data.empty()) {
      skip_reason_ = new std::string(
          "shared test data not found (set CODEANATOMY_TESTDATA or provide ../shared/testdata "
          "beside the checkout, or /work/shared/testdata)");
      return;
    }
    scratch_ = new TempDir();
    for (const char* name :
         {"dv-with-columnmapping", "dv-partitioned-with-checkpoint", "log-replay-dv-key-cases"}) {
      fs::path archive = data / "delta-golden" / (std::string(name) + ".tar.zst");
      std::string command =
          "tar --zstd -xf '" + archive.string() + "' -C '" + scratch_->path().string() + "'";
      if (std::system(command.c_str()) != 0) {
        setup_error_ = new std::string("failed: " + command);
        return;
      }
    }
  }
  static void TearDownTestSuite() {
    delete scratch_;
    delete skip_reason_;
    delete setup_error_;
    scratch_ = nullptr;
    skip_reason_ = setup_error_ = nullptr;
  }
  void SetUp() override {
    if (skip_reason_ != nullptr) GTEST_SKIP() << *skip_reason_;
    ASSERT_EQ(setup_error_, nullptr) << *setup_error_;
  }

  static fs::path TableDir(const std::string& name) { return scratch_->path() / name / "delta"; }

  // Replays the JSON commits of a table (every golden table here keeps its whole JSON log).
  // Returns every add that carries a DV, and in *active the data files of the latest snapshot
  // keyed by (path, DV id) with their DV, if any.
  static void ReplayLog(const fs::path& table, std::vector<DvAdd>* dv_adds,
                        std::map<std::string, DvAdd>* active) {
    std::vector<fs::path> commits;
    for (const auto& entry : fs::directory_iterator(table / "_delta_log")) {
      if (entry.path().extension() == ".json") commits.push_back(entry.path());
    }
    std::sort(commits.begin(), commits.end());
    for (const fs::path& commit : commits) {
      std::istringstream lines(ReadFileBytes(commit));
      std::string line;
      while (std::getline(lines, line)) {
        if (line.empty()) continue;
        auto action = JsonValue::Parse(line);
        ASSERT_TRUE(action.ok()) << commit << ": " << action.status().ToString();
        for (const char* kind : {"add", "remove"}) {
          const JsonValue* file = action->Get(kind);
          if (file == nullptr) continue;
          DvAdd add;
          add.path = file->Get("path")->string_value();
          std::string key = add.path;
          if (const JsonValue* dv = file->Get("deletionVector"); dv != nullptr && !dv->is_null()) {
            auto parsed = ParseDeletionVector(*dv);
            ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
            add.dv = *parsed;
            key += "|" + DeletionVectorId(add.dv);
          }
          if (std::string_view(kind) == "remove") {
            active->erase(key);
            continue;
          }
          if (const JsonValue* stats = file->Get("stats"); stats != nullptr && stats->is_string()) {
            auto parsed = JsonValue::Parse(stats->string_value());
            ASSERT_TRUE(parsed.ok());
            if (const JsonValue* n = parsed->Get("numRecords")) add.num_records = n->int_value();
          }
          if (!add.dv.storage_type.empty()) dv_adds->push_back(add);
          (*active)[key] = add;
        }
      }
    }
  }

  static inline TempDir* scratch_ = nullptr;
  static inline std::string* skip_reason_ = nullptr;
  static inline std::string* setup_error_ = nullptr;
  arrow::fs::LocalFileSystem local_fs_;
};

class GoldenTableTest : public GoldenDeletionVectorTest,
                        public ::testing::WithParamInterface<const char*> {};

TEST_P(GoldenTableTest, DvCardinalitiesAccountForTheExpectedRows) {
  const std::string name = GetParam();
  const fs::path table = TableDir(name);
  std::vector<DvAdd> dv_adds;
  std::map<std::string, DvAdd> active;
  ASSERT_NO_FATAL_FAILURE(ReplayLog(table, &dv_adds, &active));
  ASSERT_FALSE(dv_adds.empty()) << name << " has no deletion vectors";

  for (const DvAdd& add : dv_adds) {
    auto rows = ReadDeletionVector(add.dv, table.string(), &local_fs_);
    ASSERT_TRUE(rows.ok()) << add.path << ": " << rows.status().ToString();
    EXPECT_EQ(static_cast<int64_t>(rows->size()), add.dv.cardinality) << add.path;
    EXPECT_TRUE(std::is_sorted(rows->begin(), rows->end()));
    int64_t file_rows = ParquetRowCount(table / PercentDecodePath(add.path));
    ASSERT_GE(file_rows, 0) << add.path;
    EXPECT_EQ(file_rows, add.num_records) << add.path;
    if (!rows->empty()) {
      EXPECT_LT(rows->back(), static_cast<uint64_t>(file_rows)) << add.path;
    }
  }

  int64_t live_rows = 0;
  for (const auto& [key, add] : active) {
    int64_t file_rows = ParquetRowCount(table / PercentDecodePath(add.path));
    ASSERT_GE(file_rows, 0) << add.path;
    live_rows += file_rows - (add.dv.storage_type.empty() ? 0 : add.dv.cardinality);
  }
  int64_t expected_rows = 0;
  for (const auto& entry : fs::directory_iterator(table.parent_path() / "expected")) {
    if (entry.path().extension() == ".parquet") expected_rows += ParquetRowCount(entry.path());
  }
  EXPECT_EQ(live_rows, expected_rows) << name;
}

INSTANTIATE_TEST_SUITE_P(DeletionVectors, GoldenTableTest,
                         ::testing::Values("dv-with-columnmapping",
                                           "dv-partitioned-with-checkpoint",
                                           "log-replay-dv-key-cases"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// Corrupted copies of a Spark-written DV file, beside the original in the scratch table.
TEST_F(GoldenDeletionVectorTest, RejectsCorruptedCopiesOfASparkDvFile) {
  const fs::path table = TableDir("log-replay-dv-key-cases");
  std::vector<DvAdd> dv_adds;
  std::map<std::string, DvAdd> active;
  ASSERT_NO_FATAL_FAILURE(ReplayLog(table, &dv_adds, &active));
  ASSERT_FALSE(dv_adds.empty());
  const DeletionVectorDescriptor original = dv_adds.front().dv;
  DV_ASSERT_OK_AND_ASSIGN(original_path, DeletionVectorPath(original, table.string()));
  const std::string bytes = ReadFileBytes(original_path);
  ASSERT_GE(bytes.size(), 1u + 4 + static_cast<size_t>(original.size_in_bytes) + 4);

  // Each copy gets its own UUID and hence its own file name; the prefix keeps them apart.
  int copies = 0;
  auto copy_with = [&](const std::string& content) {
    DeletionVectorDescriptor dv = original;
    dv.path_or_inline_dv =
        "corrupt" + std::to_string(copies++) +
        original.path_or_inline_dv.substr(original.path_or_inline_dv.size() - 20);
    auto path = DeletionVectorPath(dv, table.string());
    EXPECT_TRUE(path.ok());
    WriteFileBytes(*path, content);
    return dv;
  };
  const size_t data_at = static_cast<size_t>(*original.offset) + 4;

  std::string bad_crc = bytes;
  bad_crc[data_at + original.size_in_bytes] ^= 0x01;
  EXPECT_TRUE(
      IsDeltaError(ReadDeletionVector(copy_with(bad_crc), table.string(), &local_fs_).status(),
                   "INVALID_DELETION_VECTOR", "checksum mismatch"));

  std::string bad_magic = bytes;
  bad_magic[data_at + 3] ^= 0x01;
  std::string fixed_entry =
      DvFileEntry(std::string_view(bad_magic).substr(data_at, original.size_in_bytes));
  bad_magic.replace(data_at - 4, fixed_entry.size(), fixed_entry);
  EXPECT_TRUE(
      IsDeltaError(ReadDeletionVector(copy_with(bad_magic), table.string(), &local_fs_).status(),
                   "INVALID_DELETION_VECTOR", "bad magic number"));

  std::string truncated = bytes.substr(0, data_at + original.size_in_bytes / 2);
  DeletionVectorDescriptor truncated_dv = copy_with(truncated);
  auto truncated_status = ReadDeletionVector(truncated_dv, table.string(), &local_fs_).status();
  EXPECT_TRUE(IsDeltaError(truncated_status, "INVALID_DELETION_VECTOR", "truncated"));
  DV_ASSERT_OK_AND_ASSIGN(truncated_path, DeletionVectorPath(truncated_dv, table.string()));
  EXPECT_TRUE(IsDeltaError(truncated_status, "INVALID_DELETION_VECTOR", truncated_path));

  // The untouched original still reads, and its checksum is the zlib CRC-32 of the bitmap.
  EXPECT_TRUE(ReadDeletionVector(original, table.string(), &local_fs_).ok());
  EXPECT_EQ(bytes.substr(data_at - 4, 4 + original.size_in_bytes + 4),
            DvFileEntry(std::string_view(bytes).substr(data_at, original.size_in_bytes)));
}

}  // namespace
}  // namespace codeanatomy::delta
