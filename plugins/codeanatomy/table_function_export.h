// The bundle's table functions (read_delta, read_delta_cdf, delta_snapshot, delta_add_actions)
// through the plugin ABI: each core engine::TableFunction becomes a CaTableFunction whose call
// returns the provider the core's function returns, so a table function gives the same table
// natively and through the plugin.
#pragma once

#include <vector>

#include "codeanatomy/plugin_abi.h"

namespace codeanatomy::plugin {

/// The exported table function names (static storage).
const std::vector<const char*>& ExportedTableFunctionNames();

/// Fills out->table_functions and out->n_table_functions. Called inside an ABI entry point's
/// Guarded body (it may throw std::bad_alloc).
void ExportTableFunctions(CaUdfBundle* out);

/// Releases the table function entries the host did not take (release != NULL) and frees the
/// array.
void ReleaseTableFunctions(CaUdfBundle* bundle);

}  // namespace codeanatomy::plugin
