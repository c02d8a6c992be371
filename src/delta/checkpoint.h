// Writing classic checkpoints: the snapshot's state as one Parquet file
// (`<version>.checkpoint.parquet`, one action per row) plus the `_last_checkpoint` hint.
#pragma once

#include "common/status.h"
#include "delta/snapshot.h"

namespace codeanatomy::delta {

/// Writes the checkpoint of `snapshot` (protocol, metaData, app transactions, domain-less adds;
/// remove tombstones are not kept) and updates `_last_checkpoint`. Both files are written to a
/// temporary name and renamed, so a reader never sees half of one.
Status WriteCheckpoint(const Snapshot& snapshot);

/// The table's checkpoint interval ("delta.checkpointInterval", default 100).
int64_t CheckpointInterval(const Snapshot& snapshot);

}  // namespace codeanatomy::delta
