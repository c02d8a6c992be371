// What a session has installed, as data: the function catalog (one descriptor per function,
// whether it came from the native bundle or from a plugin) and the registry snapshot of
// CONTRACTS.md §5 built from it. Installing functions and taking a snapshot are separate calls.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "functions/functions.h"

namespace codeanatomy::engine {
class SessionState;
}

namespace codeanatomy::functions {

/// The version of the snapshot's layout; bumped when a member is added or changes meaning.
inline constexpr int kRegistrySnapshotVersion = 1;

/// The functions a session has installed, by canonical name: each one's descriptor as a JSON
/// object (members of FunctionDescriptor, with `config_defaults` in place of `config_keys`).
/// Thread-safe.
class FunctionCatalog {
 public:
  /// Records (or replaces) the function `descriptor["name"]`. The descriptor must be an object
  /// with a string `name` and a `kind` of scalar, aggregate, window or table; otherwise an
  /// INVALID_FUNCTION_DESCRIPTOR error (stage "validation") naming the member.
  Status Put(JsonValue descriptor);
  /// Every descriptor, sorted by name.
  std::vector<JsonValue> Descriptors() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, JsonValue> by_name_;
};

/// The session's catalog (created empty on first use).
std::shared_ptr<FunctionCatalog> SessionFunctionCatalog(engine::SessionState* state);

/// Every function of the session as a descriptor: the catalog's (scalar, aggregate, window),
/// then one per table function of the session (engine::TableFunctionDescriptor), by name.
std::vector<JsonValue> SessionDescriptors(engine::SessionState* state);

/// A descriptor as the catalog keeps it: the FunctionDescriptorsToJson members, except that
/// `config_keys` becomes `config_defaults`, an object of each key the function reads and the
/// value `config` binds it to.
JsonValue DescriptorJson(const FunctionDescriptor& descriptor, const FunctionConfig& config);

/// Installs the native bundle (InstallCodeanatomyFunctions) into the session's registry and
/// records its descriptors, bound to `config`, in the session's catalog.
Status InstallCodeanatomyBundle(engine::SessionState* state, const FunctionConfig& config = {});

/// BLAKE2b-128 (lower-case hex) over `names` sorted by bytes, each followed by one NUL byte.
std::string NamesHash(std::vector<std::string> names);

/// The registry snapshot of `descriptors` (CONTRACTS.md §5):
///   {version, scalar, aggregate, window, table  (sorted canonical names per kind),
///    aliases {alias: name}, parameter_names {name: [..]}, volatility {name: ..},
///    signatures {name: [[type, ..], ..]}, variadic [names], return_types {name: type},
///    config_defaults {name: {key: value}} (functions that read the config only),
///    names_hash (NamesHash of every canonical name), snapshot_hash}
/// where snapshot_hash is BLAKE2b-256 hex of the canonical JSON (JsonValue::ToJson) of the
/// snapshot without `snapshot_hash`. Docs are not part of it (`udf_docs()` serves them), so a
/// reworded doc string does not change the hash. Two catalogs with the same functions,
/// signatures and config give byte-identical snapshots, whatever order they were filled in.
/// A descriptor missing a member the snapshot needs is an INVALID_FUNCTION_DESCRIPTOR error.
Result<JsonValue> RegistrySnapshot(const std::vector<JsonValue>& descriptors);

}  // namespace codeanatomy::functions
