// SessionContext: the engine's entry point. Registers tables, hands out DataFrames.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/table.h>

#include "common/status.h"
#include "engine/dataframe.h"
#include "engine/session_config.h"
#include "engine/session_state.h"

namespace codeanatomy::engine {

class SessionContext {
 public:
  /// A session with the given settings (the "medium" profile by default).
  static Result<SessionContext> Make(SessionConfig config = {});
  /// A session from a factory's settings.
  static Result<SessionContext> Make(const SessionFactory& factory) {
    return Make(factory.config());
  }

  /// Registers in-memory data; scannable any number of times.
  Status RegisterTable(const std::string& name, std::shared_ptr<arrow::Table> table);
  /// Registers a stream; it can be scanned once.
  Status RegisterReader(const std::string& name, std::shared_ptr<arrow::RecordBatchReader> reader);
  /// Registers a Parquet file or directory.
  Status RegisterParquet(const std::string& name, const std::string& path);
  /// Registers any provider.
  Status RegisterProvider(const std::string& name, std::shared_ptr<TableProvider> provider);
  Status Deregister(const std::string& name);
  /// Registered table names (bare for the default catalog and schema).
  std::vector<std::string> Tables() const;
  /// A DataFrame scanning the table.
  Result<DataFrame> Table(const std::string& name) const;

  const std::shared_ptr<SessionState>& state() const { return state_; }

 private:
  explicit SessionContext(std::shared_ptr<SessionState> state) : state_(std::move(state)) {}
  std::shared_ptr<SessionState> state_;
};

}  // namespace codeanatomy::engine
