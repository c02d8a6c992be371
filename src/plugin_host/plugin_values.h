// Values coming back from a plugin: strings it hands the host (checked: non-NULL, bounded,
// valid UTF-8) and the error out-struct of a failed call (turned into an engine error, keeping
// the stage, code and details of plugins built on the core).
#pragma once

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <arrow/type.h>
#include <arrow/util/key_value_metadata.h>

#include "codeanatomy/plugin_abi.h"
#include "common/status.h"

namespace codeanatomy::plugin_host {

/// A string from the plugin: PLUGIN_INVALID_MANIFEST naming `what` when NULL, over 4 KiB or not
/// valid UTF-8.
Result<std::string> PluginString(const char* s, const std::string& path, const char* what);

/// `n` strings from the plugin, checked as above.
Result<std::vector<std::string>> PluginStrings(const char* const* list, uint64_t n,
                                               const std::string& path, const char* what);

/// The error of a failed plugin call: "[stage/CODE] message" (details after a record
/// separator) keeps its stage, code and details; anything else is PLUGIN_CALL_FAILED.
Status CallFailed(const std::string& path, const std::string& what, const CaPluginError& error);

/// An empty error out-struct.
CaPluginError NewError();

/// Argument types exported as ArrowSchemas for one plugin call; those the plugin did not take
/// (move) are released afterwards.
class ExportedSchemas {
 public:
  ExportedSchemas() = default;
  ExportedSchemas(const ExportedSchemas&) = delete;
  ExportedSchemas& operator=(const ExportedSchemas&) = delete;
  ~ExportedSchemas();

  /// Exports `types` in order; each with `metadata[i]` on a nameless field when given and
  /// non-null (a column's field metadata, for return_type_with_constants and invoke).
  Status Export(
      const std::vector<arrow::TypeHolder>& types,
      const std::vector<std::shared_ptr<const arrow::KeyValueMetadata>>* metadata = nullptr);
  /// The schemas, for the call.
  ArrowSchema* const* data() { return pointers_.data(); }
  int64_t size() const { return static_cast<int64_t>(pointers_.size()); }

 private:
  std::vector<ArrowSchema> schemas_;
  std::vector<ArrowSchema*> pointers_;
};

/// The stride of a plugin's array of structs `T` (each starting with uint32_t struct_size):
/// the plugin's struct size, read from element 0, which a plugin of an older minor has smaller
/// than sizeof(T). PLUGIN_STRUCT_TOO_SMALL naming `what` when below `min_size` (the size the
/// oldest accepted minor defines).
template <typename T>
Result<size_t> PluginStride(const T* base, size_t min_size, const std::string& path,
                            const char* what) {
  size_t stride = base[0].struct_size;
  if (stride < min_size) {
    return InvalidError(stage::kPlugin, "PLUGIN_STRUCT_TOO_SMALL",
                        "plugin '" + path + "': " + what + " struct is too small",
                        "{\"path\":" + JsonQuote(path) + "}");
  }
  return stride;
}

/// Element `i` of a plugin's array of `T` with the given stride.
template <typename T>
T* PluginElement(T* base, size_t stride, uint64_t i) {
  return reinterpret_cast<T*>(reinterpret_cast<char*>(base) + i * stride);
}

/// A host copy of a plugin struct: its first min(struct_size, sizeof(T)) bytes, later members
/// (a newer minor's, which the plugin does not know) zero.
template <typename T>
T CopyPluginStruct(const T* p) {
  T out;
  std::memset(&out, 0, sizeof(out));
  std::memcpy(&out, p, std::min<size_t>(p->struct_size, sizeof(T)));
  return out;
}

}  // namespace codeanatomy::plugin_host
