#include "plugin_host/plugin_values.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include <arrow/c/bridge.h>
#include <arrow/util/utf8.h>

#include "common/json.h"
#include "plugin_host/plugin_host.h"

namespace codeanatomy::plugin_host {

// A string from the plugin: non-null, valid UTF-8, at most 4 KiB.
Result<std::string> PluginString(const char* s, const std::string& path, const char* what) {
  arrow::util::InitializeUTF8();  // ValidateUTF8's tables (idempotent)
  if (s == nullptr) {
    return PluginError("PLUGIN_INVALID_MANIFEST", path, std::string(what) + " is NULL");
  }
  size_t n = strnlen(s, 4096);
  if (n == 4096) {
    return PluginError("PLUGIN_INVALID_MANIFEST", path, std::string(what) + " is too long");
  }
  if (!arrow::util::ValidateUTF8(reinterpret_cast<const uint8_t*>(s), static_cast<int64_t>(n))) {
    return PluginError("PLUGIN_INVALID_MANIFEST", path, std::string(what) + " is not valid UTF-8");
  }
  return std::string(s, n);
}

Result<std::vector<std::string>> PluginStrings(const char* const* list, uint64_t n,
                                               const std::string& path, const char* what) {
  std::vector<std::string> out;
  if (n > 0 && list == nullptr) {
    return PluginError("PLUGIN_INVALID_MANIFEST", path,
                       std::string(what) + " has " + std::to_string(n) + " entries but is NULL");
  }
  if (n > 100000) {
    return PluginError("PLUGIN_INVALID_MANIFEST", path, std::string(what) + " is too long");
  }
  for (uint64_t i = 0; i < n; ++i) {
    CA_ASSIGN_OR_RAISE(auto s, PluginString(list[i], path, what));
    out.push_back(std::move(s));
  }
  return out;
}

// A failed plugin call: its code and message.
Status CallFailed(const std::string& path, const std::string& what, const CaPluginError& error) {
  std::string message(error.message, strnlen(error.message, sizeof(error.message)));
  if (!arrow::util::ValidateUTF8(reinterpret_cast<const uint8_t*>(message.data()),
                                 static_cast<int64_t>(message.size()))) {
    message = "(message is not valid UTF-8)";
  }
  std::string details =
      "{\"path\":" + JsonQuote(path) + ",\"plugin_code\":" + std::to_string(error.code) + "}";
  // A plugin built on the core reports "[stage/CODE] message": its error stays typed as it
  // would be natively (stage and code are identifiers: letters, digits, '_').
  auto ident = [](std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
  };
  if (message.size() > 4 && message[0] == '[') {
    size_t slash = message.find('/');
    size_t close = message.find("] ");
    if (slash != std::string::npos && close != std::string::npos && slash < close) {
      std::string stage = message.substr(1, slash - 1);
      std::string code = message.substr(slash + 1, close - slash - 1);
      if (ident(stage) && ident(code)) {
        std::string text = message.substr(close + 2);
        if (size_t sep = text.find('\x1e'); sep != std::string::npos) {
          auto parsed = JsonValue::Parse(text.substr(sep + 1));
          text.resize(sep);
          if (parsed.ok() && parsed->is_object()) {
            parsed->Set("path", path);
            details = parsed->ToJson();
          }
        }
        return EngineError(arrow::StatusCode::Invalid, stage, code, std::move(text),
                           std::move(details));
      }
    }
  }
  return EngineError(arrow::StatusCode::Invalid, stage::kPlugin, "PLUGIN_CALL_FAILED",
                     what + " failed in plugin '" + path + "': " + message, std::move(details));
}

CaPluginError NewError() {
  CaPluginError e;
  e.code = CA_OK;
  e.message[0] = '\0';
  return e;
}

ExportedSchemas::~ExportedSchemas() {
  for (auto& s : schemas_) {
    if (s.release != nullptr) s.release(&s);
  }
}

Status ExportedSchemas::Export(
    const std::vector<arrow::TypeHolder>& types,
    const std::vector<std::shared_ptr<const arrow::KeyValueMetadata>>* metadata) {
  schemas_.resize(types.size());  // sized once: the pointers below stay valid
  for (auto& s : schemas_) s.release = nullptr;
  pointers_.clear();
  for (size_t i = 0; i < types.size(); ++i) {
    auto md = metadata != nullptr && i < metadata->size() ? (*metadata)[i] : nullptr;
    if (md != nullptr) {
      CA_RETURN_NOT_OK(arrow::ExportField(
          *arrow::field("", types[i].GetSharedPtr(), true, md->Copy()), &schemas_[i]));
    } else {
      CA_RETURN_NOT_OK(arrow::ExportType(*types[i].type, &schemas_[i]));
    }
    pointers_.push_back(&schemas_[i]);
  }
  return Status::OK();
}

}  // namespace codeanatomy::plugin_host
