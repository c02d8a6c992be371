// The options a Delta table provider is made from (CONTRACTS §4 and §7): the "delta" provider
// (a snapshot at a pinned version, scan config version 1, a protocol gate, an explicit file
// list) and the "delta_cdf" provider (the change data feed between two versions or times).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "delta/change_feed.h"
#include "delta/provider.h"
#include "delta/snapshot.h"
#include "engine/table_provider.h"

namespace codeanatomy::delta {

/// What a caller requires of a table's protocol: at least these versions, and these features
/// among the table's.
struct ProtocolGate {
  std::optional<int32_t> min_reader_version;
  std::optional<int32_t> min_writer_version;
  std::vector<std::string> required_reader_features;
  std::vector<std::string> required_writer_features;
};

/// PROTOCOL_GATE_FAILED naming the requirement the table's protocol does not meet.
Status CheckProtocolGate(const Snapshot& snapshot, const ProtocolGate& gate);

struct DeltaProviderOptions {
  std::string table_uri;
  TableVersion version = LatestVersion{};
  ScanConfig scan_config;
  std::optional<ProtocolGate> gate;
  /// Restricts the provider to these data files (log paths of the snapshot's adds).
  std::optional<std::vector<std::string>> files;
};

struct DeltaCdfProviderOptions {
  std::string table_uri;
  ChangeFeedOptions feed;
};

/// Parses the "delta" provider's options JSON: `{table_uri, storage_options?, version?,
/// timestamp?, scan_config{scan_config_version=1, file_column_name?, enable_parquet_pushdown,
/// schema_force_view_types, wrap_partition_values, schema_ipc?}, gate?, files?[]}`. Errors
/// (stage validation, INVALID_PROVIDER_OPTIONS) name the field path.
Result<DeltaProviderOptions> ParseDeltaProviderOptions(std::string_view json);

/// Parses the "delta_cdf" provider's options: `{table_uri, version?|timestamp?,
/// starting_version?, ending_version?, starting_timestamp?, ending_timestamp?,
/// allow_out_of_range?}`; `version`/`timestamp` bound the feed's end when no ending is given.
Result<DeltaCdfProviderOptions> ParseDeltaCdfProviderOptions(std::string_view json);

/// A ProtocolGate from `{min_reader_version?, min_writer_version?, required_reader_features?[],
/// required_writer_features?[]}`; `path` names the object in errors.
Result<ProtocolGate> ParseProtocolGate(const JsonValue& json, const std::string& path);

/// Makes the provider `kind` ("delta" or "delta_cdf") from its options JSON.
Result<std::shared_ptr<engine::TableProvider>> MakeDeltaProvider(std::string_view kind,
                                                                 std::string_view options_json);

}  // namespace codeanatomy::delta
