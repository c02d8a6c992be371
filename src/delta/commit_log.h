// Committing a transaction to the log: the add/remove action lines every writer emits, the
// put-if-absent of the commit file with conflict-checked retries after losing a race, and the
// checkpoint due after a commit. Shared by writes (delta/writer.h) and maintenance
// (delta/optimize.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "common/status.h"
#include "delta/conflict.h"
#include "delta/data_files.h"
#include "delta/log_store.h"
#include "delta/snapshot.h"

namespace codeanatomy::delta {

/// Milliseconds since the epoch (commit timestamps; never part of data).
int64_t NowMs();

/// The commit file of `version` under the table root `root`.
std::string CommitPath(const std::string& root, int64_t version);

/// Percent-encodes a relative path for the log (RFC 2396 path characters stay as they are).
std::string EncodePath(const std::string& path);

/// An `add` action line (newline-terminated) for a written data file.
std::string AddActionLine(const WrittenFile& f, int64_t now, bool data_change);

/// A `remove` action line (newline-terminated) for an active file of a snapshot (its partition
/// values, size and deletion vector kept: extended file metadata).
std::string RemoveActionLine(const FileAction& f, int64_t now, bool data_change);

struct CommitOutcome {
  int64_t version = 0;  ///< the version committed (or the one that already held the txn)
  int attempts = 1;
  /// A concurrent commit recorded the same application transaction: nothing was committed.
  bool superseded = false;
};

/// Puts `commit` (action lines) as version read->version() + 1 (0 when `read` is null: the
/// table is created). When another writer took the version, each commit that landed since is
/// checked against `footprint` (delta/conflict.h) and the commit moves after them, at most
/// `max_retries` times; then COMMIT_CONFLICT. A landed commit holding `app_transaction`'s id at
/// a version >= its version supersedes this one.
Result<CommitOutcome> CommitWithRetries(
    LogStore& store, const std::string& uri, const std::string& root, const Snapshot* read,
    const TransactionFootprint& footprint, const std::string& commit, int max_retries,
    const std::optional<std::pair<std::string, int64_t>>& app_transaction = std::nullopt);

/// Writes a checkpoint at `version` when one is due (every delta.checkpointInterval commits of
/// a table with `configuration`, default 100). The commit has landed either way: a failed
/// checkpoint leaves nothing behind and readers replay JSON. Returns whether one was written.
bool CheckpointIfDue(const std::string& uri, int64_t version,
                     const std::map<std::string, std::string>& configuration);

}  // namespace codeanatomy::delta
