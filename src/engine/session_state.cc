#include "engine/session_state.h"

#include <arrow/compute/initialize.h>
#include <arrow/dataset/plan.h>

namespace codeanatomy::engine {

Status InitializeArrow() {
  static const Status status = [] {
    Status st = arrow::compute::Initialize();
    if (st.ok()) arrow::dataset::internal::Initialize();
    return st;
  }();
  return status;
}

SessionState::SessionState(SessionConfig config)
    : config_(std::move(config)), catalog_(config_.default_catalog, config_.default_schema) {}

Result<std::shared_ptr<SessionState>> SessionState::Make(SessionConfig config) {
  CA_RETURN_NOT_OK(InitializeArrow());
  if (config.target_partitions < 1 || config.batch_size < 1 || config.memory_limit_bytes < 1) {
    return ArgumentError("session settings must be positive: target_partitions=" +
                         std::to_string(config.target_partitions) +
                         " batch_size=" + std::to_string(config.batch_size) +
                         " memory_limit_bytes=" + std::to_string(config.memory_limit_bytes));
  }
  std::shared_ptr<SessionState> state(new SessionState(std::move(config)));
  state->registry_ = arrow::compute::FunctionRegistry::Make(arrow::compute::GetFunctionRegistry());
  state->tracking_pool_ = new arrow::ProxyMemoryPool(arrow::default_memory_pool());
  state->capped_pool_ =
      new arrow::CappedMemoryPool(state->tracking_pool_, state->config_.memory_limit_bytes);
  CA_ASSIGN_OR_RAISE(state->executor_,
                     arrow::internal::ThreadPool::Make(state->config_.target_partitions));
  return state;
}

void SessionState::SetOption(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> lock(options_mutex_);
  config_.options[key] = value;
}

Result<std::string> SessionState::GetOption(const std::string& key) const {
  std::lock_guard<std::mutex> lock(options_mutex_);
  if (auto it = config_.options.find(key); it != config_.options.end()) return it->second;
  return InvalidError(stage::kValidation, "UNKNOWN_OPTION", "unknown session option '" + key + "'",
                      "{\"option\":" + JsonQuote(key) + "}");
}

}  // namespace codeanatomy::engine
