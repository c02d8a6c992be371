// Values coming back from a plugin: strings it hands the host (checked: non-NULL, bounded,
// valid UTF-8) and the error out-struct of a failed call (turned into an engine error, keeping
// the stage, code and details of plugins built on the core).
#pragma once

#include <string>
#include <vector>

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

}  // namespace codeanatomy::plugin_host
