// Change data feed, read side (PROTOCOL.md "Change Data Files"): the row changes between two
// versions, from a commit's cdc files where it has them, otherwise from its adds and removes.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <arrow/table.h>

#include "common/status.h"

namespace codeanatomy::delta {

/// CONTRACTS §7 change data feed options. Versions and timestamps (ms) bound the range from
/// either end; giving both for one end is an error.
struct ChangeFeedOptions {
  std::optional<int64_t> starting_version;
  std::optional<int64_t> ending_version;
  std::optional<int64_t> starting_timestamp_ms;
  std::optional<int64_t> ending_timestamp_ms;
  bool allow_out_of_range = false;
};

/// The table's columns plus `_change_type` ("insert", "delete", "update_preimage",
/// "update_postimage"), `_commit_version` and `_commit_timestamp`, in commit order.
/// Errors: INVALID_CHANGE_RANGE (start after end, both a version and a timestamp for one end),
/// CHANGE_RANGE_OUT_OF_BOUNDS (beyond the log; empty instead with allow_out_of_range).
Result<std::shared_ptr<arrow::Table>> ReadChangeFeed(const std::string& uri,
                                                     const ChangeFeedOptions& options);

}  // namespace codeanatomy::delta
