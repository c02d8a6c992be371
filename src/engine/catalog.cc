#include "engine/catalog.h"

#include "common/suggest.h"

namespace codeanatomy::engine {

Result<TableReference> TableReference::Parse(const std::string& name,
                                             const std::string& default_catalog,
                                             const std::string& default_schema) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = name.find('.', start);
    parts.push_back(name.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  bool empty_part = false;
  for (const auto& p : parts) empty_part = empty_part || p.empty();
  if (parts.size() > 3 || empty_part) {
    return InvalidError(stage::kPlanning, "INVALID_TABLE_NAME",
                        "invalid table name '" + name +
                            "': expected table, schema.table or "
                            "catalog.schema.table",
                        "{\"table\":" + JsonQuote(name) + "}");
  }
  TableReference ref{default_catalog, default_schema, parts.back()};
  if (parts.size() >= 2) ref.schema = parts[parts.size() - 2];
  if (parts.size() == 3) ref.catalog = parts[0];
  return ref;
}

Result<TableReference> Catalog::Resolve(const std::string& name) const {
  return TableReference::Parse(name, default_catalog_, default_schema_);
}

Status Catalog::Register(const std::string& name, std::shared_ptr<TableProvider> provider) {
  CA_ASSIGN_OR_RAISE(auto ref, Resolve(name));
  std::lock_guard<std::mutex> lock(mutex_);
  tables_[ref.ToString()] = {ref, std::move(provider)};
  return Status::OK();
}

Status Catalog::Deregister(const std::string& name) {
  CA_ASSIGN_OR_RAISE(auto ref, Resolve(name));
  std::lock_guard<std::mutex> lock(mutex_);
  if (tables_.erase(ref.ToString()) == 0) {
    return InvalidError(stage::kPlanning, "UNKNOWN_TABLE", "unknown table '" + name + "'",
                        "{\"table\":" + JsonQuote(name) + "}");
  }
  return Status::OK();
}

std::string Catalog::ShortName(const TableReference& ref) const {
  if (ref.catalog == default_catalog_ && ref.schema == default_schema_) return ref.table;
  if (ref.catalog == default_catalog_) return ref.schema + "." + ref.table;
  return ref.ToString();
}

Result<std::shared_ptr<TableProvider>> Catalog::Lookup(const std::string& name) const {
  CA_ASSIGN_OR_RAISE(auto ref, Resolve(name));
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = tables_.find(ref.ToString()); it != tables_.end()) return it->second.second;
  std::vector<std::string> names;
  for (const auto& [key, entry] : tables_) names.push_back(ShortName(entry.first));
  auto candidates = ClosestNames(name, names, 3);
  return InvalidError(
      stage::kPlanning, "UNKNOWN_TABLE",
      "unknown table '" + name + "'" + SuggestionText(candidates),
      "{\"table\":" + JsonQuote(name) + ",\"candidates\":" + JsonStringArray(candidates) + "}");
}

std::vector<std::string> Catalog::List() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [key, entry] : tables_) out.push_back(ShortName(entry.first));
  return out;
}

}  // namespace codeanatomy::engine
