// Expired log cleanup (delta-rs' DeltaTable.cleanup_metadata): deleting commit and checkpoint
// files of `_delta_log` that are older than delta.logRetentionDuration (30 days by default) and
// older than a checkpoint every retained version can be read from. Every version whose commit
// file is younger than the cutoff stays readable; without such a checkpoint nothing is deleted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace codeanatomy::delta {

struct CleanupResult {
  int64_t safe_checkpoint_version = -1;  ///< the checkpoint kept as the new start (-1: none)
  std::vector<std::string> files;        ///< deleted, relative to `_delta_log`, sorted
};

/// Cleans the log of the table at `uri`. `cutoff_ms` (milliseconds since the epoch) replaces
/// now - delta.logRetentionDuration (for tests and explicit requests).
Result<CleanupResult> CleanupMetadata(const std::string& uri,
                                      std::optional<int64_t> cutoff_ms = std::nullopt);

}  // namespace codeanatomy::delta
