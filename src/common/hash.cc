#include "common/hash.h"

#include <blake2.h>

#include <arrow/util/logging.h>

namespace codeanatomy {

namespace {

void CheckDigestSize(size_t digest_size) {
  ARROW_CHECK(digest_size >= 1 && digest_size <= kBlake2bMaxDigestSize)
      << "BLAKE2b digest size must be in [1, 64], got " << digest_size;
}

}  // namespace

std::string Blake2b(std::string_view data, size_t digest_size) {
  CheckDigestSize(digest_size);
  std::string out(digest_size, '\0');
  int rc = blake2b(reinterpret_cast<uint8_t*>(out.data()), data.data(),
                   /*key=*/nullptr, digest_size, data.size(), /*keylen=*/0);
  ARROW_CHECK_EQ(rc, 0) << "blake2b failed";
  return out;
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.resize(bytes.size() * 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 0x0f];
  }
  return out;
}

std::string Blake2bHex(std::string_view data, size_t digest_size) {
  return ToHex(Blake2b(data, digest_size));
}

// Kept out of the header so callers do not see libb2's declarations.
struct Blake2bHasher::State {
  blake2b_state s;
  size_t digest_size;
};

Blake2bHasher::Blake2bHasher(size_t digest_size) : state_(std::make_unique<State>()) {
  CheckDigestSize(digest_size);
  state_->digest_size = digest_size;
  ARROW_CHECK_EQ(blake2b_init(&state_->s, digest_size), 0) << "blake2b_init failed";
}

Blake2bHasher::~Blake2bHasher() = default;
Blake2bHasher::Blake2bHasher(Blake2bHasher&&) noexcept = default;
Blake2bHasher& Blake2bHasher::operator=(Blake2bHasher&&) noexcept = default;

void Blake2bHasher::Update(std::string_view data) {
  ARROW_CHECK_EQ(
      blake2b_update(&state_->s, reinterpret_cast<const uint8_t*>(data.data()), data.size()), 0)
      << "blake2b_update failed";
}

std::string Blake2bHasher::FinalBytes() {
  // blake2b_final marks its state finished; finalize a copy to stay reusable.
  blake2b_state copy = state_->s;
  std::string out(state_->digest_size, '\0');
  ARROW_CHECK_EQ(blake2b_final(&copy, reinterpret_cast<uint8_t*>(out.data()), out.size()), 0)
      << "blake2b_final failed";
  return out;
}

std::string Blake2bHasher::FinalHex() { return ToHex(FinalBytes()); }

int64_t StableHash64(std::string_view s) {
  const std::string digest = Blake2b(s, 8);
  uint64_t value = 0;
  for (char c : digest) {
    value = (value << 8) | static_cast<unsigned char>(c);
  }
  return static_cast<int64_t>(value & 0x7fffffffffffffffULL);
}

std::string StableHash128(std::string_view s) { return Blake2bHex(s, 16); }

}  // namespace codeanatomy
