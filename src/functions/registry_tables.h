// The session's function listings as tables: `udf_registry()` (one row per function, with its
// signature data) and `udf_docs()` (one row per function, with its documentation). They read
// the session's function catalog (functions/registry_snapshot.h) and its table functions when
// scanned, so they always show what the session has now.
#pragma once

#include <vector>

#include "common/status.h"
#include "engine/table_function.h"

namespace codeanatomy::engine {
class SessionState;
}

namespace codeanatomy::functions {

/// Registers `udf_registry()` and `udf_docs()` in the session (idempotent).
///
/// udf_registry(): name, kind (scalar, aggregate, window, table), aliases list<utf8>,
///   parameter_names list<utf8>, volatility, signatures (JSON text: a list of type-name lists),
///   variadic bool, return_type, config_defaults (JSON text), sorted by name.
/// udf_docs(): name, kind, signature ("stable_id(prefix, value)"), doc, sorted by name.
Status RegisterRegistryTableFunctions(engine::SessionState* state);

/// The two functions over `state` (not registered; `state` must outlive them, and may be null
/// when they are only described).
std::vector<engine::TableFunction> RegistryTableFunctions(engine::SessionState* state);

}  // namespace codeanatomy::functions
