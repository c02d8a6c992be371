#include "engine/session_config.h"

#include <algorithm>

#include <arrow/config.h>

#include "common/hash.h"

namespace codeanatomy::engine {

std::string SessionConfig::ToJson() const {
  std::string opts = "{";
  bool first = true;
  for (const auto& [k, v] : options) {  // std::map: sorted keys
    if (!first) opts += ",";
    first = false;
    opts += JsonQuote(k) + ":" + JsonQuote(v);
  }
  opts += "}";
  return "{\"batch_size\":" + std::to_string(batch_size) +
         ",\"default_catalog\":" + JsonQuote(default_catalog) +
         ",\"default_schema\":" + JsonQuote(default_schema) +
         ",\"memory_limit_bytes\":" + std::to_string(memory_limit_bytes) + ",\"options\":" + opts +
         ",\"profile\":" + JsonQuote(profile) +
         ",\"target_partitions\":" + std::to_string(target_partitions) + "}";
}

Result<SessionFactory> SessionFactory::FromProfile(const std::string& name) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  SessionConfig config;
  config.profile = n;
  if (n == "small") {
    config.target_partitions = 4;
    config.batch_size = 4096;
    config.memory_limit_bytes = 512LL << 20;
  } else if (n == "medium") {
    config.target_partitions = 8;
    config.batch_size = 8192;
    config.memory_limit_bytes = 2LL << 30;
  } else if (n == "large") {
    config.target_partitions = 16;
    config.batch_size = 16384;
    config.memory_limit_bytes = 8LL << 30;
  } else {
    return ArgumentError("unknown engine profile '" + name +
                         "'; expected one of: small, medium, large");
  }
  return SessionFactory(std::move(config));
}

Result<SessionFactory> SessionFactory::WithOverrides(
    std::optional<int> target_partitions, std::optional<int64_t> batch_size,
    std::optional<int64_t> memory_limit_bytes) const {
  SessionConfig config = config_;
  if (target_partitions) {
    if (*target_partitions < 1 || *target_partitions > 1024) {
      return ArgumentError("target_partitions must be in 1..1024, got " +
                           std::to_string(*target_partitions));
    }
    config.target_partitions = *target_partitions;
  }
  if (batch_size) {
    if (*batch_size < 1)
      return ArgumentError("batch_size must be positive, got " + std::to_string(*batch_size));
    config.batch_size = *batch_size;
  }
  if (memory_limit_bytes) {
    if (*memory_limit_bytes < 1) {
      return ArgumentError("memory_limit_bytes must be positive, got " +
                           std::to_string(*memory_limit_bytes));
    }
    config.memory_limit_bytes = *memory_limit_bytes;
  }
  return SessionFactory(std::move(config));
}

std::string SessionFactory::ProfileJson() const {
  return "{\"batch_size\":" + std::to_string(config_.batch_size) +
         ",\"memory_limit_bytes\":" + std::to_string(config_.memory_limit_bytes) +
         ",\"name\":" + JsonQuote(config_.profile) +
         ",\"target_partitions\":" + std::to_string(config_.target_partitions) + "}";
}

std::string SessionFactory::ProfileHash() const { return Blake2bHex(ProfileJson(), 32); }

std::string SessionFactory::SettingsHash() const {
  std::string payload = "{\"arrow_version\":" + JsonQuote(ARROW_VERSION_STRING) +
                        ",\"engine_version\":" + JsonQuote(kEngineVersion) +
                        ",\"settings\":" + config_.ToJson() + "}";
  return Blake2bHex(payload, 32);
}

}  // namespace codeanatomy::engine
