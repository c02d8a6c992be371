// What a table's protocol and properties ask of a writer: the writer features it must
// implement, the writer version a new table needs, and the properties that shape data files
// (target size, invariants, change data files).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <arrow/type.h>

#include "common/status.h"
#include "delta/snapshot.h"
#include "delta/writer.h"

namespace codeanatomy::delta {

/// UNSUPPORTED_WRITER_FEATURE naming what this writer does not implement: writer versions 2-4
/// (generated columns only when no column is generated) and 7 with the same features named.
Status CheckWriterFeatures(const Snapshot& snap);

/// Writer features (protocol writer version 7) this writer implements; variantType and
/// deletionVectors are accepted besides on tables that use neither.
const std::vector<std::string>& SupportedWriterFeatures();

/// The writer version a new table with `configuration` needs (PROTOCOL.md "Writer Version
/// Requirements").
int64_t MinWriterVersion(const std::map<std::string, std::string>& configuration);

/// "134217728", "128mb", "1 GiB": a size in bytes (INVALID_TABLE_PROPERTY otherwise).
Result<int64_t> ParseByteSize(const std::string& text);

/// Whether a field at any depth carries delta.invariants.
bool HasInvariants(const arrow::FieldVector& fields);

/// Applies the table properties that shape data files to `options`: delta.targetFileSize (when
/// options has no target yet), delta.dataSkippingNumIndexedCols and
/// delta.dataSkippingStatsColumns (PROTOCOL.md "Per-file Statistics"). Malformed values are
/// INVALID_TABLE_PROPERTY.
Status ApplyDataFileProperties(const std::map<std::string, std::string>& props,
                               WriteOptions* options);

/// delta.enableChangeDataFeed is "true".
bool ChangeDataFeedEnabled(const Metadata& m);

}  // namespace codeanatomy::delta
