// The Delta table functions of the codeanatomy bundle (CONTRACTS §5): a table's data, its
// change data feed, its snapshot and its active files, as tables a query scans
// (`SELECT * FROM delta_add_actions('path/to/table')`).
#pragma once

#include <memory>
#include <vector>

#include <arrow/table.h>

#include "common/status.h"
#include "delta/snapshot.h"
#include "engine/session_state.h"

namespace codeanatomy::delta {

/// The Delta table functions (registered by RegisterDeltaTableFunctions; exported by the
/// first-party plugin).
std::vector<engine::TableFunction> DeltaTableFunctions();

/// Registers in `state`:
/// - `read_delta(uri[, version])`: the table at the latest or the given version (the "delta"
///   provider);
/// - `read_delta_cdf(uri, starting_version[, ending_version[, allow_out_of_range]])`: its change
///   data feed (the "delta_cdf" provider);
/// - `delta_snapshot(uri[, version])`: one row describing the snapshot (SnapshotTable);
/// - `delta_add_actions(uri[, version])`: one row per active data file (AddActionRowsTable).
/// Errors of a call are the Delta layer's (NOT_A_DELTA_TABLE, VERSION_NOT_FOUND, ...).
Status RegisterDeltaTableFunctions(engine::SessionState* state);

/// One row: table_uri, version, snapshot_timestamp (timestamp ms UTC), id, name, description
/// (null when empty), partition_columns list<utf8>, configuration map<utf8, utf8>,
/// min_reader_version, min_writer_version (int32), reader_features, writer_features
/// (list<utf8>; null below reader version 3 / writer version 7, where the protocol has no
/// feature lists), schema_string, created_time (timestamp ms UTC, null when absent),
/// num_files, size_bytes (of the active files).
Result<std::shared_ptr<arrow::Table>> SnapshotTable(const Snapshot& snapshot);

/// One row per active data file, sorted by path: path (as in the log), size_bytes,
/// modification_time (timestamp ms UTC), data_change, partition_values map<utf8, utf8> (raw
/// log strings; a null partition value is a null item), num_records (from the statistics, else
/// null), stats (the statistics JSON, else null), has_deletion_vector.
Result<std::shared_ptr<arrow::Table>> AddActionRowsTable(const Snapshot& snapshot);

}  // namespace codeanatomy::delta
