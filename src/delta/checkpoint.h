// Writing classic checkpoints: the snapshot's state as one Parquet file
// (`<version>.checkpoint.parquet`, one action per row) plus the `_last_checkpoint` hint.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/status.h"
#include "delta/snapshot.h"

namespace codeanatomy::delta {

/// Writes the checkpoint of `snapshot` (protocol, metaData, app transactions, adds, and the
/// remove tombstones younger than delta.deletedFileRetentionDuration, default one week) and
/// updates `_last_checkpoint`. Both files are written to a temporary name and renamed, so a
/// reader never sees half of one.
Status WriteCheckpoint(const Snapshot& snapshot);

/// A Delta interval property ("interval 1 week", "interval 30 days", "interval 12 hours") in
/// milliseconds; INVALID_TABLE_PROPERTY otherwise.
Result<int64_t> ParseIntervalMs(std::string_view text);

/// How long removed files stay restorable: delta.deletedFileRetentionDuration in milliseconds
/// ("interval 1 week" when unset). VACUUM keeps the files of younger tombstones; checkpoints
/// keep those tombstones.
Result<int64_t> TombstoneRetentionMs(const Snapshot& snapshot);

/// The table's checkpoint interval ("delta.checkpointInterval", default 100).
int64_t CheckpointInterval(const Snapshot& snapshot);
int64_t CheckpointInterval(const std::map<std::string, std::string>& configuration);

}  // namespace codeanatomy::delta
