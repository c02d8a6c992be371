// The bundle's window functions (row_number, lag, lead) through the plugin ABI: each core
// evaluator of functions::CodeanatomyWindowFunctions() becomes a CaWindowUdf, so a window
// function gives the same result natively and through the plugin.
#pragma once

#include <vector>

#include "codeanatomy/plugin_abi.h"
#include "functions/functions.h"

namespace codeanatomy::plugin {

/// The bundle's window function names (static storage).
const std::vector<const char*>& ExportedWindowFunctionNames();

/// Fills out->window and out->n_window with the bundle's window functions, their descriptors
/// bound to `config`. Called inside an ABI entry point's Guarded body (it may throw
/// std::bad_alloc).
void ExportWindowFunctions(CaUdfBundle* out, const functions::FunctionConfig& config);

/// Releases the window entries the host did not take (release != NULL) and frees the array.
void ReleaseWindowFunctions(CaUdfBundle* bundle);

}  // namespace codeanatomy::plugin
