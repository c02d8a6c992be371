#include "engine/execution.h"

#include <chrono>

#include <arrow/acero/options.h>
#include <arrow/compute/exec.h>

namespace codeanatomy::engine {

namespace ac = arrow::acero;
namespace cp = arrow::compute;

namespace {

class PlanStream : public arrow::RecordBatchReader {
 public:
  PlanStream(std::shared_ptr<SessionState> state, std::shared_ptr<ac::ExecPlan> plan,
             std::shared_ptr<arrow::Schema> schema,
             std::function<arrow::Future<std::optional<cp::ExecBatch>>()> generator,
             ExecuteOptions options, int64_t refusals_at_start)
      : state_(std::move(state)),
        plan_(std::move(plan)),
        schema_(std::move(schema)),
        generator_(std::move(generator)),
        options_(std::move(options)),
        refusals_at_start_(refusals_at_start) {}

  ~PlanStream() override { (void)Close(); }

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    if (done_) return Status::OK();
    auto next = generator_();
    while (!next.Wait(options_.poll_seconds)) {
      Status interrupt = CheckInterrupt();
      if (!interrupt.ok()) {
        Stop();
        return interrupt;
      }
      CA_RETURN_NOT_OK(CheckStuckAfterRefusal());
    }
    const auto& result = next.result();
    if (!result.ok()) {
      Stop();
      RetireExecutorAfterRefusal();
      return result.status();
    }
    if (!result->has_value()) {
      done_ = true;
      if (!WaitFinished()) return AbandonedError();
      if (!plan_->finished().status().ok()) RetireExecutorAfterRefusal();
      return plan_->finished().status();
    }
    CA_ASSIGN_OR_RAISE(*out, (*result)->ToRecordBatch(schema_, state_->memory_pool()));
    return CheckInterrupt();
  }

  Status Close() override {
    if (!done_) Stop();
    return Status::OK();
  }

 private:
  Status CheckInterrupt() {
    if (options_.stop_token.IsStopRequested()) return options_.stop_token.Poll();
    if (options_.interrupt_check) return options_.interrupt_check();
    return Status::OK();
  }

  // Some Arrow kernels (the hash grouper's table growth) do not recover from a refused
  // allocation and spin forever. Once the pool has refused an allocation and the plan makes
  // no progress for a grace period, the query fails with the memory error and the stuck plan
  // is abandoned: it and its session's threads are deliberately kept alive, never joined.
  Status CheckStuckAfterRefusal() {
    int64_t refusals = state_->allocation_failures();
    if (refusals == refusals_at_start_) return Status::OK();
    auto now = std::chrono::steady_clock::now();
    if (!refusal_seen_) {
      refusal_seen_ = true;
      refusal_time_ = now;
      return Status::OK();
    }
    if (now - refusal_time_ < std::chrono::seconds(3)) return Status::OK();
    done_ = true;
    plan_->StopProducing();
    Abandon();
    return AbandonedError();
  }

  Status AbandonedError() const {
    return EngineError(arrow::StatusCode::OutOfMemory, stage::kRuntime, "MEMORY_LIMIT_EXCEEDED",
                       "the query exceeded the session memory limit of " +
                           std::to_string(state_->config().memory_limit_bytes) +
                           " bytes and was abandoned");
  }

  /// Waits for the plan to finish; false when it was abandoned after a refused allocation.
  bool WaitFinished() {
    auto start = std::chrono::steady_clock::now();
    while (!plan_->finished().Wait(options_.poll_seconds)) {
      bool refused = state_->allocation_failures() != refusals_at_start_;
      if (refused && std::chrono::steady_clock::now() - start > std::chrono::seconds(3)) {
        Abandon();
        return false;
      }
    }
    return true;
  }

  void Stop() {
    done_ = true;
    plan_->StopProducing();
    (void)WaitFinished();
  }

  // A plan that failed after a refused allocation may leave kernel tasks spinning on the
  // session's pool even though the plan reports finished: later queries get a fresh pool.
  void RetireExecutorAfterRefusal() {
    if (!abandoned_ && state_->allocation_failures() != refusals_at_start_) {
      // Its kernels' continuations may still run after "finished": never free the plan.
      new std::shared_ptr<ac::ExecPlan>(plan_);
      state_->AbandonExecutor();
    }
  }

  void Abandon() {
    abandoned_ = true;
    new std::shared_ptr<ac::ExecPlan>(plan_);  // never destroyed: tasks may still run
    state_->AbandonExecutor();                 // later queries get threads of their own
  }

  std::shared_ptr<SessionState> state_;
  std::shared_ptr<ac::ExecPlan> plan_;
  std::shared_ptr<arrow::Schema> schema_;
  std::function<arrow::Future<std::optional<cp::ExecBatch>>()> generator_;
  ExecuteOptions options_;
  bool done_ = false;
  int64_t refusals_at_start_;
  bool abandoned_ = false;
  bool refusal_seen_ = false;
  std::chrono::steady_clock::time_point refusal_time_;
};

class LimitReader : public arrow::RecordBatchReader {
 public:
  LimitReader(std::shared_ptr<arrow::RecordBatchReader> input, int64_t offset, int64_t fetch)
      : input_(std::move(input)), to_skip_(offset), remaining_(fetch) {}
  std::shared_ptr<arrow::Schema> schema() const override { return input_->schema(); }

  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    while (remaining_ != 0) {
      std::shared_ptr<arrow::RecordBatch> batch;
      CA_RETURN_NOT_OK(input_->ReadNext(&batch));
      if (!batch) return Status::OK();
      int64_t start = std::min(to_skip_, batch->num_rows());
      to_skip_ -= start;
      int64_t length = batch->num_rows() - start;
      if (remaining_ >= 0) length = std::min(length, remaining_);
      if (length == 0) continue;
      if (remaining_ > 0) remaining_ -= length;
      *out = batch->Slice(start, length);
      if (remaining_ == 0) CA_RETURN_NOT_OK(input_->Close());
      return Status::OK();
    }
    return Status::OK();
  }

  Status Close() override { return input_->Close(); }

 private:
  std::shared_ptr<arrow::RecordBatchReader> input_;
  int64_t to_skip_;
  int64_t remaining_;
};

class LazyReader : public arrow::RecordBatchReader {
 public:
  LazyReader(std::shared_ptr<arrow::Schema> schema,
             std::function<Result<std::shared_ptr<arrow::RecordBatchReader>>()> start)
      : schema_(std::move(schema)), start_(std::move(start)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    if (!input_) {
      if (closed_) {
        *out = nullptr;
        return Status::OK();
      }
      CA_ASSIGN_OR_RAISE(input_, start_());
    }
    return input_->ReadNext(out);
  }
  Status Close() override {
    closed_ = true;
    return input_ ? input_->Close() : Status::OK();
  }

 private:
  std::shared_ptr<arrow::Schema> schema_;
  std::function<Result<std::shared_ptr<arrow::RecordBatchReader>>()> start_;
  std::shared_ptr<arrow::RecordBatchReader> input_;
  bool closed_ = false;
};

class RenamedReader : public arrow::RecordBatchReader {
 public:
  RenamedReader(std::shared_ptr<arrow::RecordBatchReader> input,
                std::shared_ptr<arrow::Schema> schema)
      : input_(std::move(input)), schema_(std::move(schema)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    std::shared_ptr<arrow::RecordBatch> batch;
    CA_RETURN_NOT_OK(input_->ReadNext(&batch));
    if (!batch) {
      *out = nullptr;
      return Status::OK();
    }
    *out = arrow::RecordBatch::Make(schema_, batch->num_rows(), batch->columns());
    return Status::OK();
  }
  Status Close() override { return input_->Close(); }

 private:
  std::shared_ptr<arrow::RecordBatchReader> input_;
  std::shared_ptr<arrow::Schema> schema_;
};

}  // namespace

Result<std::shared_ptr<arrow::RecordBatchReader>> RenameStream(
    std::shared_ptr<arrow::RecordBatchReader> input, std::shared_ptr<arrow::Schema> schema) {
  auto actual = input->schema();
  if (actual->num_fields() != schema->num_fields()) {
    return EngineError(arrow::StatusCode::UnknownError, stage::kExecution, "INTERNAL",
                       "plan produced " + std::to_string(actual->num_fields()) +
                           " columns, expected " + std::to_string(schema->num_fields()));
  }
  for (int i = 0; i < schema->num_fields(); ++i) {
    if (!actual->field(i)->type()->Equals(*schema->field(i)->type())) {
      return EngineError(arrow::StatusCode::UnknownError, stage::kExecution, "INTERNAL",
                         "plan produced column '" + schema->field(i)->name() + "' as " +
                             actual->field(i)->type()->ToString() + ", expected " +
                             schema->field(i)->type()->ToString());
    }
  }
  return std::make_shared<RenamedReader>(std::move(input), std::move(schema));
}

Result<std::shared_ptr<arrow::RecordBatchReader>> ExecuteDeclaration(
    ac::Declaration declaration, const std::shared_ptr<SessionState>& state,
    const ExecuteOptions& options) {
  // ExecPlan keeps its own copy of the context.
  cp::ExecContext ctx(state->memory_pool(), state->executor(), state->registry());
  ac::QueryOptions query_options;
  query_options.memory_pool = state->memory_pool();
  query_options.function_registry = state->registry();
  query_options.custom_cpu_executor = state->executor();
  CA_ASSIGN_OR_RAISE(auto plan, ac::ExecPlan::Make(query_options, ctx));
  CA_ASSIGN_OR_RAISE(ac::ExecNode * last, declaration.AddToPlan(plan.get()));
  std::function<arrow::Future<std::optional<cp::ExecBatch>>()> generator;
  CA_RETURN_NOT_OK(
      ac::MakeExecNode("sink", plan.get(), {last}, ac::SinkNodeOptions(&generator, nullptr))
          .status());
  CA_RETURN_NOT_OK(plan->Validate());
  auto schema = last->output_schema();
  int64_t refusals = state->allocation_failures();
  plan->StartProducing();
  return std::make_shared<PlanStream>(state, std::move(plan), std::move(schema),
                                      std::move(generator), options, refusals);
}

std::shared_ptr<arrow::RecordBatchReader> MakeLimitReader(
    std::shared_ptr<arrow::RecordBatchReader> input, int64_t offset, int64_t fetch) {
  return std::make_shared<LimitReader>(std::move(input), offset, fetch);
}

std::shared_ptr<arrow::RecordBatchReader> MakeLazyReader(
    std::shared_ptr<arrow::Schema> schema,
    std::function<Result<std::shared_ptr<arrow::RecordBatchReader>>()> start) {
  return std::make_shared<LazyReader>(std::move(schema), std::move(start));
}

}  // namespace codeanatomy::engine
