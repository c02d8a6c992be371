// Session settings and the profiles (small, medium, large) that fix them deterministically.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/status.h"

namespace codeanatomy::engine {

/// Every setting that affects how a session plans and runs queries.
struct SessionConfig {
  std::string profile = "medium";
  int target_partitions = 8;               ///< executor threads; scan and write partitions
  int64_t batch_size = 8192;               ///< rows per source batch
  int64_t memory_limit_bytes = 2LL << 30;  ///< session memory pool limit
  std::string default_catalog = "codeanatomy";
  std::string default_schema = "public";
  std::map<std::string, std::string> options;  ///< free-form options (set/get by key)

  /// Canonical JSON (sorted keys, no whitespace) of every setting.
  std::string ToJson() const;
};

/// Builds sessions from a named profile (CONTRACTS.md §2): partitions 4/8/16, batch size
/// 4096/8192/16384, memory 512 MiB/2 GiB/8 GiB. Profile names are case-insensitive.
class SessionFactory {
 public:
  /// An unknown profile is an invalid-argument error.
  static Result<SessionFactory> FromProfile(const std::string& name);
  explicit SessionFactory(SessionConfig config) : config_(std::move(config)) {}

  const SessionConfig& config() const { return config_; }
  /// A factory with some settings replaced (each must be positive); the profile name stays.
  Result<SessionFactory> WithOverrides(std::optional<int> target_partitions,
                                       std::optional<int64_t> batch_size,
                                       std::optional<int64_t> memory_limit_bytes) const;
  /// The profile as canonical JSON: {batch_size, memory_limit_bytes, name, target_partitions}.
  std::string ProfileJson() const;
  /// BLAKE2b-256 hex of ProfileJson().
  std::string ProfileHash() const;
  /// BLAKE2b-256 hex of all settings plus the engine and Arrow versions.
  std::string SettingsHash() const;

 private:
  SessionConfig config_;
};

/// Engine version string, part of settings hashes.
inline constexpr const char* kEngineVersion = "0.1.0";

}  // namespace codeanatomy::engine
