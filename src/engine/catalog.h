// Named tables addressed as catalog.schema.table, with session defaults for the first two.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/table_provider.h"

namespace codeanatomy::engine {

/// A fully qualified table name.
struct TableReference {
  std::string catalog;
  std::string schema;
  std::string table;

  /// Parses "t", "s.t" or "c.s.t", filling the missing parts from the defaults.
  static Result<TableReference> Parse(const std::string& name, const std::string& default_catalog,
                                      const std::string& default_schema);
  std::string ToString() const { return catalog + "." + schema + "." + table; }
  bool operator<(const TableReference& o) const { return ToString() < o.ToString(); }
};

/// Thread-safe registry of table providers.
class Catalog {
 public:
  Catalog(std::string default_catalog = "codeanatomy", std::string default_schema = "public")
      : default_catalog_(std::move(default_catalog)), default_schema_(std::move(default_schema)) {}

  /// Registers (or replaces) a table.
  Status Register(const std::string& name, std::shared_ptr<TableProvider> provider);
  /// Removes a table; unknown names are an error.
  Status Deregister(const std::string& name);
  /// The provider of a table; unknown names are an error that suggests close names.
  Result<std::shared_ptr<TableProvider>> Lookup(const std::string& name) const;
  /// Registered tables: bare names for the default catalog and schema, else qualified.
  std::vector<std::string> List() const;
  /// Resolves a name against the defaults.
  Result<TableReference> Resolve(const std::string& name) const;

 private:
  std::string ShortName(const TableReference& ref) const;

  std::string default_catalog_;
  std::string default_schema_;
  mutable std::mutex mutex_;
  std::map<std::string, std::pair<TableReference, std::shared_ptr<TableProvider>>> tables_;
};

}  // namespace codeanatomy::engine
