#include "engine/session_state.h"

#include <algorithm>
#include <atomic>

#include <arrow/acero/util.h>
#include <arrow/compute/initialize.h>
#include <arrow/dataset/plan.h>
#include <arrow/io/interfaces.h>

#include "engine/arrow_cast.h"

namespace codeanatomy::engine {

namespace {
// Acero sizes per-thread state once per process (ThreadIndexer::Capacity(): CPU pool + IO
// pool + 1, fixed at first use) and indexes every thread that runs a plan's tasks. A session
// runs plans on its own pool, so the CPU pool is raised to the largest profile's parallelism
// before that capacity is fixed; sessions never use more threads than it leaves room for.
constexpr int kMaxSessionThreads = 16;
}  // namespace

Status InitializeArrow() {
  static const Status status = [] {
    Status st = arrow::compute::Initialize();
    if (!st.ok()) return st;
    arrow::dataset::internal::Initialize();
    if (arrow::GetCpuThreadPoolCapacity() < kMaxSessionThreads) {
      st = arrow::SetCpuThreadPoolCapacity(kMaxSessionThreads);
    }
    (void)arrow::acero::ThreadIndexer::Capacity();
    return st;
  }();
  return status;
}

int SessionThreadCount(int target_partitions) {
  int io = arrow::io::GetIOThreadPoolCapacity();
  int room = static_cast<int>(arrow::acero::ThreadIndexer::Capacity()) - io - 1;
  return std::max(1, std::min(target_partitions, room));
}

namespace {

/// Forwards to the capped pool and counts refused allocations.
class RefusalCountingPool : public arrow::MemoryPool {
 public:
  RefusalCountingPool(arrow::MemoryPool* wrapped, std::atomic<int64_t>* refusals)
      : wrapped_(wrapped), refusals_(refusals) {}
  using arrow::MemoryPool::Allocate;
  using arrow::MemoryPool::Reallocate;
  Status Allocate(int64_t size, int64_t alignment, uint8_t** out) override {
    return Count(wrapped_->Allocate(size, alignment, out));
  }
  Status Reallocate(int64_t old_size, int64_t new_size, int64_t alignment, uint8_t** ptr) override {
    return Count(wrapped_->Reallocate(old_size, new_size, alignment, ptr));
  }
  void Free(uint8_t* buffer, int64_t size, int64_t alignment) override {
    wrapped_->Free(buffer, size, alignment);
  }
  void ReleaseUnused() override { wrapped_->ReleaseUnused(); }
  int64_t bytes_allocated() const override { return wrapped_->bytes_allocated(); }
  int64_t max_memory() const override { return wrapped_->max_memory(); }
  int64_t total_bytes_allocated() const override { return wrapped_->total_bytes_allocated(); }
  int64_t num_allocations() const override { return wrapped_->num_allocations(); }
  std::string backend_name() const override { return wrapped_->backend_name(); }

 private:
  Status Count(Status st) {
    if (!st.ok()) refusals_->fetch_add(1, std::memory_order_relaxed);
    return st;
  }
  arrow::MemoryPool* wrapped_;
  std::atomic<int64_t>* refusals_;  // the session's count, shared by its successive pools
};

}  // namespace

int64_t SessionState::allocation_failures() const {
  return refusals_->load(std::memory_order_relaxed);
}

void SessionState::NewPools() {
  auto* tracking = new arrow::ProxyMemoryPool(arrow::default_memory_pool());
  auto* capped = new arrow::CappedMemoryPool(tracking, config_.memory_limit_bytes);
  tracking_pool_.store(tracking);
  pool_.store(new RefusalCountingPool(capped, refusals_));
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
  CA_RETURN_NOT_OK(InstallCastFunction(state->registry_.get()));
  state->NewPools();
  CA_ASSIGN_OR_RAISE(state->executor_, arrow::internal::ThreadPool::Make(
                                           SessionThreadCount(state->config_.target_partitions)));
  return state;
}

arrow::internal::Executor* SessionState::executor() const {
  std::lock_guard<std::mutex> lock(executor_mutex_);
  return executor_.get();
}

void SessionState::AbandonExecutor() {
  std::lock_guard<std::mutex> lock(executor_mutex_);
  new std::shared_ptr<arrow::internal::ThreadPool>(executor_);  // deliberately never freed
  auto fresh = arrow::internal::ThreadPool::Make(SessionThreadCount(config_.target_partitions));
  if (fresh.ok()) executor_ = *fresh;
  // The abandoned plan keeps its buffers (and allocates and frees through the old pool, which
  // is never destroyed); later queries are measured against the limit afresh, so one query
  // over the limit does not leave the session unusable.
  NewPools();
}

Status SessionState::RegisterTableFunction(TableFunction fn) {
  return table_functions_.Register(std::move(fn));
}

Result<std::shared_ptr<const TableFunction>> SessionState::LookupTableFunction(
    const std::string& name) const {
  return table_functions_.Lookup(name);
}

std::vector<std::string> SessionState::TableFunctionNames() const {
  return table_functions_.Names();
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
