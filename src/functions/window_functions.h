// The codeanatomy function bundle (CONTRACTS.md §5), window part: row_number, lag and lead as
// engine::WindowUdf objects (what the first-party plugin exports through the ABI) and their
// aliases (row_number_window, dedupe_best_by_score, lag_window, lead_window).
//
// Natively the canonical names stay served by the window operator's built-ins: they share the
// operator's sort and write take indices without gathering each partition's arguments, and
// installing the bundle must not change what `lag` means in a session. The aliases therefore
// resolve to the built-ins. These evaluators give the same results as the built-ins (tested on
// random partitions); they run natively only where a session registers them explicitly.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "engine/window_udf.h"
#include "functions/functions.h"

namespace codeanatomy::engine {
class SessionState;
}

namespace codeanatomy::functions {

/// row_number(): 1, 2, ... in the partition's order (int64, never null).
std::shared_ptr<const engine::WindowUdf> RowNumberWindowFunction();
/// lag(value[, offset[, default]]): the value `offset` rows (default 1) before the row in its
/// partition, else `default` (cast to the value's type) or NULL. A negative offset looks ahead;
/// a NULL offset gives NULL. Offsets and defaults are read per row (literals are constant).
std::shared_ptr<const engine::WindowUdf> LagWindowFunction();
/// lead(value[, offset[, default]]): as lag, `offset` rows after the row.
std::shared_ptr<const engine::WindowUdf> LeadWindowFunction();

/// The bundle's window functions, sorted by name (lag, lead, row_number).
const std::vector<std::shared_ptr<const engine::WindowUdf>>& CodeanatomyWindowFunctions();

/// Their descriptors for the registry snapshot (kind "window"), sorted by name.
std::vector<FunctionDescriptor> WindowFunctionDescriptors();

/// Registers the bundle's window aliases in the session, each resolving to the built-in of its
/// canonical name (or to a session window function registered under that name, e.g. a
/// plugin's).
Status InstallWindowFunctions(engine::SessionState* state);

}  // namespace codeanatomy::functions
