// Deletion vectors (Delta protocol "Deletion Vectors"): the descriptor of an add/remove action,
// its id and file path, and the deleted row indexes it encodes — inline (Z85 text in the log) or
// in a DV file (version byte, then per DV: big-endian size, RoaringBitmapArray, big-endian CRC-32).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace arrow::fs {
class FileSystem;
}  // namespace arrow::fs

namespace codeanatomy::delta {

/// The `deletionVector` object of an add/remove action.
struct DeletionVectorDescriptor {
  std::string storage_type;  ///< "u" (relative file), "i" (inline) or "p" (absolute file)
  /// 'u': optional random prefix + 20 Z85 characters encoding a UUID; 'i': Z85-encoded
  /// RoaringBitmapArray; 'p': the absolute path (URI) of the DV file.
  std::string path_or_inline_dv;
  std::optional<int32_t> offset;  ///< start of the DV in its file; absent for 'i'
  int32_t size_in_bytes = 0;      ///< size of the serialized RoaringBitmapArray (before Z85)
  int64_t cardinality = 0;        ///< number of deleted rows
};

/// Parses the `deletionVector` object of an add/remove action. A null `offset` counts as
/// absent. Errors are INVALID_DELETION_VECTOR.
Result<DeletionVectorDescriptor> ParseDeletionVector(const JsonValue& dv);

/// The protocol's unique id of a DV: storageType + pathOrInlineDv, then "@" + offset when there
/// is an offset. Log replay keys files by (path, DV id).
std::string DeletionVectorId(const DeletionVectorDescriptor& dv);

/// The absolute path of a file-based DV, in the form of `table_root` (a trailing '/' is
/// ignored). 'u': table_root + "/" + prefix + "/deletion_vector_<uuid>.bin" (no prefix
/// directory when the prefix is empty). 'p': the path itself (a `file:` URI becomes a local
/// path); it must lie inside table_root unless `allow_outside` is set. Inline DVs, bad Z85 or
/// a prefix that climbs out of the table: INVALID_DELETION_VECTOR.
Result<std::string> DeletionVectorPath(const DeletionVectorDescriptor& dv,
                                       const std::string& table_root, bool allow_outside = false);

/// The deleted row indexes of a data file, sorted ascending and distinct. Inline DVs are
/// decoded from Z85 (`fs` may then be null); file DVs are read through `fs` at the offset
/// (default 1, right after the version byte) with version, size and CRC-32 checks. Both the
/// portable (magic 1681511377) and Spark's native (1681511376) RoaringBitmapArray layouts are
/// read. The bitmap's cardinality must equal the descriptor's. Failures name the file:
/// DELETION_VECTOR_NOT_FOUND (no such file), DELETION_VECTOR_READ_FAILED (I/O error) or
/// INVALID_DELETION_VECTOR (bad version, magic, checksum, size, truncation, cardinality).
Result<std::vector<uint64_t>> ReadDeletionVector(const DeletionVectorDescriptor& dv,
                                                 const std::string& table_root,
                                                 arrow::fs::FileSystem* fs);

/// Encodes row indexes (any order, duplicates allowed) as an inline descriptor: a portable
/// RoaringBitmapArray in Z85, zero-padded to a multiple of 4 bytes before encoding. Row indexes
/// of 2^63 and above cannot be represented (INVALID_ARGUMENT).
Result<DeletionVectorDescriptor> InlineDeletionVector(const std::vector<uint64_t>& rows);

/// The serialized portable RoaringBitmapArray (magic included) of `rows`, as stored in DV files
/// and, Z85-encoded, inline. Same constraints as InlineDeletionVector.
Result<std::string> SerializeDeletionVector(const std::vector<uint64_t>& rows);

/// Decodes Z85 (ZeroMQ RFC 32): the length must be a multiple of 5 and every character in the
/// alphabet (INVALID_DELETION_VECTOR otherwise).
Result<std::string> Z85Decode(std::string_view text);

/// Encodes bytes as Z85. The length should be a multiple of 4; otherwise the input is
/// zero-padded to one, as Delta's writer does.
std::string Z85Encode(std::string_view bytes);

}  // namespace codeanatomy::delta
