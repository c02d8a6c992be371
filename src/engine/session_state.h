// The state one session owns: settings, catalog, function registry, memory pool and executor.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <arrow/compute/registry.h>
#include <arrow/memory_pool.h>
#include <arrow/util/thread_pool.h>

#include "common/status.h"
#include "engine/catalog.h"
#include "engine/expr.h"
#include "engine/session_config.h"
#include "engine/table_function.h"
#include "engine/window_udf.h"

namespace codeanatomy::engine {

/// Registers Arrow's compute kernels and the dataset exec nodes; idempotent and thread-safe.
Status InitializeArrow();

/// Threads a session with `target_partitions` runs plans on: the target, bounded by what
/// Acero's per-process thread capacity leaves room for.
int SessionThreadCount(int target_partitions);

/// Shared by a SessionContext and every DataFrame made from it.
class SessionState {
 public:
  static Result<std::shared_ptr<SessionState>> Make(SessionConfig config);

  const SessionConfig& config() const { return config_; }
  Catalog& catalog() { return catalog_; }
  /// A child of Arrow's registry: session functions shadow nothing and vanish with it.
  arrow::compute::FunctionRegistry* registry() const { return registry_.get(); }
  FunctionResolver resolver() const { return FunctionResolver(registry_.get()); }
  /// The session's pool; allocations beyond the memory limit fail with OutOfMemory.
  arrow::MemoryPool* memory_pool() const { return pool_.load(); }
  /// Allocations refused by the memory limit so far.
  int64_t allocation_failures() const;
  /// Bytes currently allocated through this session's pool.
  int64_t bytes_allocated() const { return tracking_pool_.load()->bytes_allocated(); }
  arrow::internal::Executor* executor() const;
  /// Replaces the thread pool and the memory pool after a plan was abandoned with tasks that
  /// may never return (see execution.cc); the old pools are kept alive, never joined or freed,
  /// and the abandoned plan's buffers no longer count against later queries.
  void AbandonExecutor();

  /// Registers (or replaces) a table function of this session (`FROM f(...)` in SQL).
  Status RegisterTableFunction(TableFunction fn);
  /// A table function by case-insensitive name; UNKNOWN_TABLE_FUNCTION suggests close names.
  Result<std::shared_ptr<const TableFunction>> LookupTableFunction(const std::string& name) const;
  /// The session's table function names, sorted case-insensitively.
  std::vector<std::string> TableFunctionNames() const;
  /// The registry itself (listings with signatures and docs).
  const TableFunctionRegistry& table_functions() const { return table_functions_; }
  TableFunctionRegistry* mutable_table_functions() { return &table_functions_; }

  /// Registers (or replaces) a window function of this session under its name and aliases;
  /// it shadows a built-in window function of the same name in this session.
  Status RegisterWindowUdf(std::shared_ptr<const WindowUdf> udf) {
    return engine::RegisterWindowUdf(registry_.get(), std::move(udf));
  }
  /// The session's window function `name` (case-insensitive, through aliases), or null.
  std::shared_ptr<const WindowUdf> LookupWindowUdf(const std::string& name) const {
    return engine::LookupWindowUdf(registry_.get(), name);
  }

  /// Sets a free-form option; returns nothing (command).
  void SetOption(const std::string& key, const std::string& value);
  /// The value of an option, or an error naming the unknown key (query).
  Result<std::string> GetOption(const std::string& key) const;

  /// Per-session state a higher layer keeps with the session (the SQL layer's macros and
  /// statement policy), created on first use. Layers above the engine own the type `T`.
  template <typename T>
  std::shared_ptr<T> Extension(const std::string& key) {
    std::lock_guard<std::mutex> lock(extensions_mutex_);
    auto& slot = extensions_[key];
    if (!slot) slot = std::make_shared<T>();
    return std::static_pointer_cast<T>(slot);
  }

 private:
  explicit SessionState(SessionConfig config);

  SessionConfig config_;
  Catalog catalog_;
  TableFunctionRegistry table_functions_;
  std::unique_ptr<arrow::compute::FunctionRegistry> registry_;
  // Buffers allocated by a query may outlive the session (a result table handed to Python
  // holds them), and each buffer frees through its pool: the pools are deliberately never
  // destroyed. They are two small objects per session.
  void NewPools();
  std::atomic<arrow::ProxyMemoryPool*> tracking_pool_{nullptr};
  std::atomic<arrow::MemoryPool*> pool_{nullptr};  // counts refusals, over a capped pool
  std::atomic<int64_t>* refusals_ = new std::atomic<int64_t>(0);  // outlives the session
  mutable std::mutex executor_mutex_;
  std::shared_ptr<arrow::internal::ThreadPool> executor_;
  mutable std::mutex options_mutex_;
  std::mutex extensions_mutex_;
  std::map<std::string, std::shared_ptr<void>> extensions_;
};

}  // namespace codeanatomy::engine
