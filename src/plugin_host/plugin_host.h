// The plugin host: loads a shared library by explicit path, checks its manifest before any
// other call (include/codeanatomy/plugin_abi.h), and bridges what it exports to engine objects:
// scalar functions into a function registry (usable from DataFrames and SQL like native ones)
// and table providers. The library stays loaded while any object made from it lives.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/compute/registry.h>

#include "codeanatomy/plugin_abi.h"
#include "common/json.h"
#include "common/status.h"
#include "engine/table_function.h"
#include "engine/table_provider.h"

namespace codeanatomy::plugin_host {

/// The host's side of the ABI.
inline constexpr uint16_t kHostAbiMajor = CA_PLUGIN_ABI_MAJOR;
inline constexpr uint16_t kHostAbiMinor = CA_PLUGIN_ABI_MINOR;
/// The engine major plugins must be built against.
inline constexpr uint16_t kEngineMajor = 0;

/// A plugin's manifest, copied out of the library.
struct ManifestInfo {
  std::string plugin_name;
  std::string plugin_version;
  std::string build_id;
  uint16_t abi_major = 0;
  uint16_t abi_minor = 0;
  uint16_t engine_major = 0;
  uint16_t arrow_major = 0;
  uint64_t capabilities = 0;
  std::vector<std::string> features;
  /// {plugin_name, plugin_version, build_id, plugin_abi_major, plugin_abi_minor, engine_major,
  /// arrow_major, capabilities: [names], features}
  JsonValue ToJson() const;
};

/// What a plugin exports by name.
struct ExportsInfo {
  std::vector<std::string> table_providers;
  std::vector<std::string> scalar_functions;
  std::vector<std::string> aggregate_functions;
  std::vector<std::string> window_functions;
  std::vector<std::string> table_functions;
};

/// A loaded and validated plugin. Errors have stage "plugin" and a code naming the check
/// (PLUGIN_LOAD_FAILED, PLUGIN_ENTRY_MISSING, PLUGIN_INVALID_MODULE, PLUGIN_ABI_MAJOR_MISMATCH,
/// PLUGIN_ABI_MINOR_TOO_NEW, PLUGIN_STRUCT_TOO_SMALL, PLUGIN_ENGINE_MAJOR_MISMATCH,
/// PLUGIN_ARROW_MAJOR_MISMATCH, PLUGIN_INVALID_MANIFEST, PLUGIN_CAPABILITY_MISSING,
/// PLUGIN_PROVIDER_NOT_EXPORTED, PLUGIN_CALL_FAILED, PLUGIN_BAD_RESULT).
class Plugin : public std::enable_shared_from_this<Plugin> {
 public:
  /// Loads the library at `path` (an explicit path: it must contain a '/'; no search) and
  /// validates its manifest.
  static Result<std::shared_ptr<Plugin>> Load(const std::string& path);
  ~Plugin();

  const std::string& path() const { return path_; }
  const ManifestInfo& manifest() const { return manifest_; }
  const ExportsInfo& exports() const { return exports_; }

  /// Installs the plugin's scalar, aggregate and window functions
  /// (udf_bundle_with_options(options_json)) into `registry` (window functions as in
  /// engine/window_udf.h, shadowing built-ins of their names; aggregates as `f` and `hash_f`,
  /// plugin_host/plugin_aggregate.h); the names it installed. Needs CA_CAP_SCALAR_UDF /
  /// CA_CAP_AGGREGATE_UDF / CA_CAP_WINDOW_UDF when there are any of each. Table functions
  /// (CA_CAP_TABLE_FUNCTION) go to `table_functions`; a bundle with table functions and no
  /// registry for them is PLUGIN_CALL_FAILED. Nothing is registered unless every function of
  /// the bundle was taken.
  Result<std::vector<std::string>> RegisterUdfs(
      arrow::compute::FunctionRegistry* registry, const std::string& options_json,
      engine::TableFunctionRegistry* table_functions = nullptr);

  /// The exported table provider `name` made from `options_json`. Needs CA_CAP_TABLE_PROVIDER
  /// and `name` among the exports.
  Result<std::shared_ptr<engine::TableProvider>> CreateTableProvider(
      const std::string& name, const std::string& options_json);

  const CaPluginModule& module() const { return *module_; }

 private:
  Plugin() = default;
  std::string path_;
  void* handle_ = nullptr;
  const CaPluginModule* module_ = nullptr;
  ManifestInfo manifest_;
  ExportsInfo exports_;
};

/// A plugin error: stage "plugin", `code`, and the plugin's path in the details.
Status PluginError(std::string_view code, const std::string& path, std::string message);

}  // namespace codeanatomy::plugin_host
