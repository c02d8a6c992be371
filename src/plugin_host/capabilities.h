// The capabilities snapshot: what this build of the engine offers, as data (versions, plugin
// ABI, Delta protocol support, function counts by kind, table providers), so that a caller can
// check before use instead of discovering a gap by an error.
#pragma once

#include "common/json.h"

namespace codeanatomy::plugin_host {

/// The version of the capabilities layout.
inline constexpr int kCapabilitiesVersion = 1;

/// {version, engine_version, engine_major, arrow_version, arrow_major,
///  plugin_abi {major, minor}, delta {max_reader_version, max_writer_version, reader_features,
///  writer_features, change_data_feed, deletion_vectors, column_mapping, time_travel,
///  checkpoints}, functions {scalar, aggregate, window, table: counts of the native bundle's
///  canonical functions}, table_providers [names], features [what is available: "sql",
///  "dataframe", "substrait", "plugins", "delta_read", "delta_write", ...]}.
JsonValue CapabilitiesSnapshot();

}  // namespace codeanatomy::plugin_host
