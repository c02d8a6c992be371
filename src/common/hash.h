// BLAKE2b hashing: one-shot and incremental digests, plus the stable 64- and
// 128-bit hashes used for ids and fingerprints.

#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace codeanatomy {

/// \brief Largest BLAKE2b digest, in bytes.
inline constexpr size_t kBlake2bMaxDigestSize = 64;

/// \brief BLAKE2b (unkeyed) of `data`, as `digest_size` raw bytes.
///
/// Matches Python's `hashlib.blake2b(data, digest_size=n).digest()`.
/// Precondition: 1 <= digest_size <= 64 (checked; violation aborts).
std::string Blake2b(std::string_view data, size_t digest_size);

/// \brief Lowercase hexadecimal text of `bytes` (two characters per byte).
std::string ToHex(std::string_view bytes);

/// \brief ToHex(Blake2b(data, digest_size)); the default is BLAKE2b-256.
std::string Blake2bHex(std::string_view data, size_t digest_size = 32);

/// \brief Incremental BLAKE2b: feed data with Update(), read with FinalHex()
/// or FinalBytes().
///
/// The Final* methods digest a copy of the running state, so (like hashlib's
/// `digest()`) they may be called more than once and Update() may follow.
class Blake2bHasher {
 public:
  /// \brief Starts a hash producing `digest_size` bytes (1..64, checked).
  explicit Blake2bHasher(size_t digest_size = 32);
  /// \brief Releases the hash state.
  ~Blake2bHasher();
  Blake2bHasher(const Blake2bHasher&) = delete;
  Blake2bHasher& operator=(const Blake2bHasher&) = delete;
  /// \brief Moves the running state; the source must not be used afterwards.
  Blake2bHasher(Blake2bHasher&&) noexcept;
  /// \brief Moves the running state; the source must not be used afterwards.
  Blake2bHasher& operator=(Blake2bHasher&&) noexcept;

  /// \brief Appends `data` to the hashed message.
  void Update(std::string_view data);
  /// \brief Digest of everything fed so far, as lowercase hex.
  std::string FinalHex();
  /// \brief Digest of everything fed so far, as raw bytes.
  std::string FinalBytes();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// \brief Stable 63-bit hash: the 8-byte BLAKE2b digest of `s` read as a
/// big-endian integer and masked with 0x7fffffffffffffff (so never negative).
int64_t StableHash64(std::string_view s);

/// \brief Stable 128-bit hash: lowercase hex (32 chars) of the 16-byte BLAKE2b
/// digest of `s`.
std::string StableHash128(std::string_view s);

}  // namespace codeanatomy
