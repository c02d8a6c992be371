#include "delta/deletion_vector.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <new>
#include <utility>

#include <arrow/buffer.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/io/interfaces.h>
#include <roaring/roaring.h>

#include "delta/deletion_vector_internal.h"
#include "delta/delta_error.h"
#include "delta/snapshot.h"

namespace codeanatomy::delta {

using namespace dv_internal;  // NOLINT(build/namespaces): this module's own helpers

namespace {

// ---- paths ----

std::string_view StripTrailingSlashes(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

std::string JoinPath(std::string_view root, std::string_view relative) {
  std::string out(root);
  if (out.empty() || out.back() != '/') out.push_back('/');
  out.append(relative);
  return out;
}

// True for "scheme:..." with a scheme of two or more characters (so "C:" is not a scheme).
bool HasUriScheme(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon < 2) return false;
  auto is_alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!is_alpha(text[0])) return false;
  for (size_t i = 1; i < colon; ++i) {
    char c = text[i];
    if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

// A `file:` URI ("file:/p", "file:///p", "file://host/p") as a local path; other text as is.
std::optional<std::string> LocalPathOf(std::string_view path) {
  constexpr std::string_view kFile = "file:";
  if (path.size() < kFile.size() || path.substr(0, kFile.size()) != kFile) {
    return std::string(path);
  }
  std::string_view rest = path.substr(kFile.size());
  if (rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(slash);  // drop the (usually empty) authority
  }
  auto decoded = PercentDecode(rest);  // the log's decoder (snapshot.h): one definition
  if (!decoded.ok()) return std::nullopt;
  return *decoded;
}

// True when a relative path has no empty, "." or ".." segment (so it stays below its root).
bool IsContainedRelativePath(std::string_view relative) {
  if (relative.empty()) return false;
  size_t start = 0;
  while (start <= relative.size()) {
    size_t end = relative.find('/', start);
    if (end == std::string_view::npos) end = relative.size();
    std::string_view segment = relative.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    start = end + 1;
  }
  return true;
}

std::string FormatUuid(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    auto byte = static_cast<unsigned char>(bytes[i]);
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0xF]);
  }
  return out;
}

Result<std::string> RelativeDvPath(const DeletionVectorDescriptor& dv) {
  const std::string& encoded = dv.path_or_inline_dv;
  if (encoded.size() < kEncodedUuidLength) {
    std::string problem = "pathOrInlineDv of a 'u' deletion vector must end in a 20-character";
    return DescriptorError(problem + " Z85 UUID, got '" + encoded + "'", "pathOrInlineDv");
  }
  std::string_view prefix =
      std::string_view(encoded).substr(0, encoded.size() - kEncodedUuidLength);
  auto uuid = Z85Decode(std::string_view(encoded).substr(prefix.size()));
  if (!uuid.ok()) {
    return DescriptorError("the UUID of '" + encoded + "' is not Z85: " + uuid.status().message(),
                           "pathOrInlineDv");
  }
  std::string file = "deletion_vector_" + FormatUuid(*uuid) + ".bin";
  if (prefix.empty()) return file;
  if (!IsContainedRelativePath(prefix)) {
    return DescriptorError(
        "the prefix '" + std::string(prefix) + "' of '" + encoded + "' leaves the table directory",
        "pathOrInlineDv");
  }
  return std::string(prefix) + "/" + file;
}

Result<std::string> AbsoluteDvPath(const DeletionVectorDescriptor& dv, std::string_view root,
                                   bool allow_outside) {
  const std::string& raw = dv.path_or_inline_dv;
  std::optional<std::string> path = LocalPathOf(raw);
  if (!path) return DescriptorError("'" + raw + "' is not a valid file URI", "pathOrInlineDv");
  if (!HasUriScheme(*path) && (path->empty() || path->front() != '/')) {
    return DescriptorError("the path of a 'p' deletion vector must be absolute, got '" + raw + "'",
                           "pathOrInlineDv");
  }
  std::optional<std::string> local_root = LocalPathOf(root);
  if (local_root) {
    std::string_view base = StripTrailingSlashes(*local_root);
    std::string_view candidate = *path;
    if (candidate.size() > base.size() && candidate.substr(0, base.size()) == base &&
        (base == "/" || candidate[base.size()] == '/')) {
      std::string_view relative = candidate.substr(base.size() + (base == "/" ? 0 : 1));
      if (IsContainedRelativePath(relative)) return JoinPath(root, relative);
    }
  }
  if (allow_outside) return *path;
  return DeltaError(
      kInvalidCode,
      "deletion vector path '" + raw + "' lies outside the table root '" + std::string(root) + "'",
      "\"file\":" + JsonQuote(raw) + ",\"table_root\":" + JsonQuote(root));
}

// ---- file DVs ----

// DVs this close to the start of their file are read together with the version byte, in one
// request (object stores charge per request).
constexpr int64_t kSingleReadReach = 64 * 1024;

Result<std::vector<uint64_t>> ReadFileDeletionVector(const DeletionVectorDescriptor& dv,
                                                     const std::string& path,
                                                     arrow::fs::FileSystem* fs) {
  DvSource source = FileSource(path);
  auto read_failed = [&](const Status& st) {
    return EngineError(arrow::StatusCode::IOError, stage::kDelta, kReadFailedCode,
                       "cannot read " + source.label + ": " + st.message(),
                       "{" + source.details + "}");
  };
  if (fs == nullptr) {
    return ArgumentError("ReadDeletionVector: a file system is required for " + source.label);
  }
  int64_t offset = dv.offset.value_or(1);
  if (offset < 1) {
    return InvalidDv(source, "offset " + std::to_string(offset) + " is before the data");
  }
  int64_t size = dv.size_in_bytes;
  int64_t end = offset + 4 + size + 4;  // size header, bitmap, checksum

  auto file = fs->OpenInputFile(path);
  if (!file.ok()) {
    // Only now ask why, so the common case costs no extra request.
    auto info = fs->GetFileInfo(path);
    if (info.ok() && info->type() == arrow::fs::FileType::NotFound) {
      return DeltaError(kNotFoundCode, source.label + " does not exist", source.details);
    }
    return read_failed(file.status());
  }
  auto file_size = (*file)->GetSize();
  if (!file_size.ok()) return read_failed(file_size.status());
  if (*file_size < 1) return InvalidDv(source, "truncated: the file is empty");
  if (*file_size < end) {
    return InvalidDv(source, "truncated: the DV at offset " + std::to_string(offset) + " needs " +
                                 std::to_string(end) + " bytes, the file has " +
                                 std::to_string(*file_size));
  }

  int64_t first = offset <= kSingleReadReach ? 0 : offset;
  auto block = (*file)->ReadAt(first, end - first);
  if (!block.ok()) return read_failed(block.status());
  if ((*block)->size() < end - first) {
    return InvalidDv(source, "truncated: short read at offset " + std::to_string(first));
  }
  std::shared_ptr<arrow::Buffer> version = *block;
  if (first != 0) {
    auto head = (*file)->ReadAt(0, 1);
    if (!head.ok()) return read_failed(head.status());
    if ((*head)->size() < 1) return InvalidDv(source, "truncated: short read of the version");
    version = *head;
  }
  if (version->data()[0] != kDvFileVersion) {
    return InvalidDv(source, "unsupported format version " + std::to_string(version->data()[0]));
  }

  const char* data = reinterpret_cast<const char*>((*block)->data()) + (offset - first);
  uint32_t stored_size = LoadBig32(data);
  if (stored_size != static_cast<uint32_t>(size)) {
    return InvalidDv(source, "size mismatch at offset " + std::to_string(offset) +
                                 ": the descriptor says " + std::to_string(size) +
                                 " bytes, the file says " + std::to_string(stored_size));
  }
  std::string_view bitmap(data + 4, static_cast<size_t>(size));
  uint32_t stored_crc = LoadBig32(data + 4 + size);
  uint32_t crc = Crc32(bitmap);
  if (stored_crc != crc) {
    return InvalidDv(source, "checksum mismatch at offset " + std::to_string(offset) + ": stored " +
                                 Hex32(stored_crc) + ", computed " + Hex32(crc));
  }
  return DecodeRows(bitmap, dv.cardinality, source);
}

}  // namespace

// ---- descriptors ----

Result<DeletionVectorDescriptor> ParseDeletionVector(const JsonValue& dv) {
  if (!dv.is_object()) {
    return DescriptorError("expected an object, got " + std::string(JsonTypeName(dv.type())),
                           "deletionVector");
  }
  DeletionVectorDescriptor out;
  const JsonValue* storage_type = dv.Get("storageType");
  if (storage_type == nullptr || !storage_type->is_string()) {
    return DescriptorError("storageType must be a string", "storageType");
  }
  out.storage_type = storage_type->string_value();
  if (out.storage_type != "u" && out.storage_type != "i" && out.storage_type != "p") {
    return DescriptorError("unknown storageType '" + out.storage_type + "' (expected u, i or p)",
                           "storageType");
  }
  const JsonValue* path = dv.Get("pathOrInlineDv");
  if (path == nullptr || !path->is_string()) {
    return DescriptorError("pathOrInlineDv must be a string", "pathOrInlineDv");
  }
  out.path_or_inline_dv = path->string_value();

  auto int_field = [&](std::string_view name, int64_t min, int64_t max,
                       bool required) -> Result<std::optional<int64_t>> {
    const JsonValue* value = dv.Get(name);
    if (value == nullptr || value->is_null()) {
      if (required) return DescriptorError(std::string(name) + " is missing", name);
      return std::optional<int64_t>();
    }
    if (!value->is_int() || value->int_value() < min || value->int_value() > max) {
      return DescriptorError(std::string(name) + " must be an integer in [" + std::to_string(min) +
                                 ", " + std::to_string(max) + "], got " + value->ToJson(),
                             name);
    }
    return std::optional<int64_t>(value->int_value());
  };
  constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
  CA_ASSIGN_OR_RAISE(auto offset, int_field("offset", 0, kInt32Max, false));
  CA_ASSIGN_OR_RAISE(auto size, int_field("sizeInBytes", 0, kInt32Max, true));
  CA_ASSIGN_OR_RAISE(auto cardinality,
                     int_field("cardinality", 0, std::numeric_limits<int64_t>::max(), true));
  if (offset) out.offset = static_cast<int32_t>(*offset);
  out.size_in_bytes = static_cast<int32_t>(*size);
  out.cardinality = *cardinality;
  return out;
}

std::string DeletionVectorId(const DeletionVectorDescriptor& dv) {
  std::string id = dv.storage_type + dv.path_or_inline_dv;
  if (dv.offset) {
    id += '@';
    id += std::to_string(*dv.offset);
  }
  return id;
}

Result<std::string> DeletionVectorPath(const DeletionVectorDescriptor& dv,
                                       const std::string& table_root, bool allow_outside) {
  std::string_view root = StripTrailingSlashes(table_root);
  if (dv.storage_type == "u") {
    CA_ASSIGN_OR_RAISE(std::string relative, RelativeDvPath(dv));
    return JoinPath(root, relative);
  }
  if (dv.storage_type == "p") return AbsoluteDvPath(dv, root, allow_outside);
  if (dv.storage_type == "i") {
    return DescriptorError("an inline deletion vector has no file", "storageType");
  }
  return DescriptorError("unknown storageType '" + dv.storage_type + "'", "storageType");
}

// ---- reading ----

Result<std::vector<uint64_t>> ReadDeletionVector(const DeletionVectorDescriptor& dv,
                                                 const std::string& table_root,
                                                 arrow::fs::FileSystem* fs) {
  if (dv.cardinality < 0) return DescriptorError("cardinality is negative", "cardinality");
  if (dv.size_in_bytes < 0) return DescriptorError("sizeInBytes is negative", "sizeInBytes");
  if (dv.storage_type == "i") {
    DvSource source = InlineSource(dv);
    auto decoded = Z85Decode(dv.path_or_inline_dv);
    if (!decoded.ok()) return InvalidDv(source, decoded.status().message());
    if (static_cast<size_t>(dv.size_in_bytes) > decoded->size()) {
      return InvalidDv(source, "truncated: the descriptor says " +
                                   std::to_string(dv.size_in_bytes) + " bytes, the text holds " +
                                   std::to_string(decoded->size()));
    }
    // The writer zero-pads to a multiple of 4 bytes before encoding; sizeInBytes is the real size.
    return DecodeRows(std::string_view(*decoded).substr(0, dv.size_in_bytes), dv.cardinality,
                      source);
  }
  CA_ASSIGN_OR_RAISE(std::string path, DeletionVectorPath(dv, table_root));
  return ReadFileDeletionVector(dv, path, fs);
}

// ---- writing (public) ----

Result<std::string> SerializeDeletionVector(const std::vector<uint64_t>& rows) {
  try {
    return SerializeRows(DistinctSorted(rows));
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory("out of memory serializing a deletion vector");
  }
}

Result<DeletionVectorDescriptor> InlineDeletionVector(const std::vector<uint64_t>& rows) {
  try {
    std::vector<uint64_t> sorted = DistinctSorted(rows);
    CA_ASSIGN_OR_RAISE(std::string bytes, SerializeRows(sorted));
    if (bytes.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
      return ArgumentError("deletion vector of " + std::to_string(bytes.size()) +
                           " bytes is too large to inline");
    }
    DeletionVectorDescriptor dv;
    dv.storage_type = "i";
    dv.path_or_inline_dv = Z85Encode(bytes);
    dv.size_in_bytes = static_cast<int32_t>(bytes.size());
    dv.cardinality = static_cast<int64_t>(sorted.size());
    return dv;
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory("out of memory encoding a deletion vector");
  }
}

}  // namespace codeanatomy::delta
