// Conflict detection for optimistic concurrency (PROTOCOL.md and Delta's isolation levels): a
// transaction planned against one snapshot may commit after the commits that landed since, as
// long as none of them touched what it read or removes.
#pragma once

#include <optional>
#include <set>
#include <string>

#include <arrow/compute/expression.h>

#include "common/status.h"
#include "delta/snapshot.h"

namespace codeanatomy::delta {

/// `delta.isolationLevel`: WriteSerializable (the default) lets blind appends commit between a
/// transaction's read and its commit; Serializable does not.
enum class IsolationLevel { kWriteSerializable, kSerializable };
IsolationLevel TableIsolationLevel(const Metadata& metadata);

/// What a transaction read and what it removes.
struct TransactionFootprint {
  /// It depends on every row (a whole-table overwrite): any data change conflicts.
  bool read_whole_table = false;
  /// The rows it read (over the read snapshot's logical schema, unbound); files a concurrent
  /// commit adds that may hold such rows are conflicts.
  std::optional<arrow::compute::Expression> read_filter;
  std::set<std::string> read_files;     ///< log paths of the files it read
  std::set<std::string> removed_files;  ///< log paths of the files it removes
  std::optional<std::string> app_id;    ///< its application transaction
};

/// Checks one commit that landed after `read` (the snapshot the transaction was planned
/// against). Typed errors, each naming the winning version: PROTOCOL_CHANGED, METADATA_CHANGED,
/// CONCURRENT_APPEND (it added files the transaction should have read), CONCURRENT_DELETE_READ
/// (it removed a file the transaction read), CONCURRENT_DELETE_DELETE (it removed a file the
/// transaction removes), CONCURRENT_TRANSACTION (it committed the same application id).
Status CheckConflict(const Snapshot& read, const TransactionFootprint& txn,
                     const CommitActions& winner);

}  // namespace codeanatomy::delta
