#include "common/hash.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace codeanatomy {
namespace {

// Expected values computed with Python's hashlib, e.g.
//   python3 -c "import hashlib; print(hashlib.blake2b(b'abc', digest_size=32).hexdigest())"

TEST(Blake2bTest, EmptyInputMatchesHashlib) {
  EXPECT_EQ(Blake2bHex("", 32), "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  EXPECT_EQ(Blake2bHex("", 64),
            "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419"
            "d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce");
}

TEST(Blake2bTest, AbcMatchesHashlibForEachDigestSize) {
  EXPECT_EQ(Blake2bHex("abc", 8), "d8bb14d833d59559");
  EXPECT_EQ(Blake2bHex("abc", 16), "cf4ab791c62b8d2b2109c90275287816");
  EXPECT_EQ(Blake2bHex("abc"), "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
  EXPECT_EQ(Blake2bHex("abc", 64),
            "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
            "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
}

TEST(Blake2bTest, RawDigestHasRequestedLengthAndHexesToSameText) {
  const std::string raw = Blake2b("abc", 16);
  EXPECT_EQ(raw.size(), 16u);
  EXPECT_EQ(ToHex(raw), "cf4ab791c62b8d2b2109c90275287816");
}

TEST(Blake2bTest, DigestSizeOutOfRangeAborts) {
  EXPECT_DEATH(Blake2b("abc", 0), "digest size");
  EXPECT_DEATH(Blake2b("abc", 65), "digest size");
}

TEST(ToHexTest, IsLowercaseTwoCharsPerByte) {
  EXPECT_EQ(ToHex(std::string("\x00\x0f\xab\xff", 4)), "000fabff");
  EXPECT_EQ(ToHex(""), "");
}

// 1 MiB of bytes i % 251; expected from
//   python3 -c "import hashlib; d=bytes(i % 251 for i in range(1<<20));
//               print(hashlib.blake2b(d, digest_size=32).hexdigest())"
std::string OneMebibytePattern() {
  std::string data(1 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i % 251);
  return data;
}

TEST(Blake2bHasherTest, IncrementalOneMebibyteMatchesOneShotAndHashlib) {
  const std::string data = OneMebibytePattern();
  const std::string expected = "8a5a7a9dc3cf203ed374b0a1eea930601ad2acbfe2b4bc62cf83de4ee536528b";
  ASSERT_EQ(Blake2bHex(data), expected);

  Blake2bHasher hasher;
  // Uneven chunks cross BLAKE2b's 128-byte block boundaries at odd offsets.
  size_t pos = 0;
  size_t chunk = 1;
  while (pos < data.size()) {
    const size_t n = std::min(chunk, data.size() - pos);
    hasher.Update(std::string_view(data).substr(pos, n));
    pos += n;
    chunk = chunk * 3 + 7;
  }
  EXPECT_EQ(hasher.FinalHex(), expected);
}

TEST(Blake2bHasherTest, FinalDoesNotConsumeState) {
  Blake2bHasher hasher(16);
  hasher.Update("a");
  EXPECT_EQ(hasher.FinalBytes(), Blake2b("a", 16));
  EXPECT_EQ(hasher.FinalBytes(), Blake2b("a", 16));
  hasher.Update("bc");
  EXPECT_EQ(hasher.FinalHex(), "cf4ab791c62b8d2b2109c90275287816");
}

TEST(Blake2bHasherTest, NoUpdatesHashesEmptyMessage) {
  Blake2bHasher hasher;
  EXPECT_EQ(hasher.FinalHex(), Blake2bHex(""));
}

TEST(Blake2bHasherTest, MovedToHasherContinuesTheSameMessage) {
  Blake2bHasher a;
  a.Update("ab");
  Blake2bHasher b = std::move(a);
  b.Update("c");
  EXPECT_EQ(b.FinalHex(), Blake2bHex("abc"));
}

// Expected values:
//   python3 -c "import hashlib; print(int.from_bytes(hashlib.blake2b(b'abc',
//               digest_size=8).digest(), 'big') & 0x7fffffffffffffff)"
TEST(StableHash64Test, IsBigEndianEightByteDigestMaskedTo63Bits) {
  EXPECT_EQ(StableHash64(""), 7252660547403494068LL);
  // 'abc' digest d8bb14d8... has the top bit set, so the mask matters here.
  EXPECT_EQ(StableHash64("abc"), 6393727014797677913LL);
  EXPECT_EQ(StableHash64("delta"), 6315955185590287590LL);
}

// Expected values:
//   python3 -c "import hashlib; print(hashlib.blake2b(b'delta', digest_size=16).hexdigest())"
TEST(StableHash128Test, IsLowercaseHexOfSixteenByteDigest) {
  EXPECT_EQ(StableHash128(""), "cae66941d9efbd404e4d88758ea67670");
  EXPECT_EQ(StableHash128("abc"), "cf4ab791c62b8d2b2109c90275287816");
  EXPECT_EQ(StableHash128("delta"), "7fe3792fbdd937674be221ed030739da");
}

}  // namespace
}  // namespace codeanatomy
