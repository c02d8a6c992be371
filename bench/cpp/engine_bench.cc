// Micro-benchmarks of the engine core without Python: planning cost and a filter/aggregate
// pipeline over an in-memory table. Build with -DCODEANATOMY_BUILD_BENCHMARKS=ON.
#include <benchmark/benchmark.h>

#include <arrow/api.h>

#include "engine/session_context.h"

namespace ca = codeanatomy::engine;

namespace {

std::shared_ptr<arrow::Table> MakeTable(int64_t rows) {
  arrow::Int64Builder k, v;
  (void)k.Reserve(rows);
  (void)v.Reserve(rows);
  for (int64_t i = 0; i < rows; ++i) {
    k.UnsafeAppend(i % 1000);
    v.UnsafeAppend(i);
  }
  auto schema =
      arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::int64())});
  return arrow::Table::Make(schema, {*k.Finish(), *v.Finish()});
}

ca::SessionContext MakeSession(int64_t rows) {
  auto ctx = *ca::SessionContext::Make();
  (void)ctx.RegisterTable("t", MakeTable(rows));
  return ctx;
}

void BM_PlanFilterAggregate(benchmark::State& state) {
  auto ctx = MakeSession(1000);
  for (auto _ : state) {
    auto df = *ctx.Table("t");
    auto filtered =
        *df.Filter(ca::Call(">", {ca::Column("v"), ca::Literal(arrow::MakeScalar(int64_t{10}))}));
    auto agg =
        *filtered.Aggregate({ca::Column("k")}, {ca::Alias(ca::AggregateCall("count", {}), "n")});
    benchmark::DoNotOptimize(agg.OptimizedPlan());
  }
}
BENCHMARK(BM_PlanFilterAggregate);

void BM_ExecuteFilterAggregate(benchmark::State& state) {
  auto ctx = MakeSession(state.range(0));
  auto df = *ctx.Table("t");
  auto filtered =
      *df.Filter(ca::Call(">", {ca::Column("v"), ca::Literal(arrow::MakeScalar(int64_t{10}))}));
  auto agg = *filtered.Aggregate({ca::Column("k")},
                                 {ca::Alias(ca::AggregateCall("sum", {ca::Column("v")}), "s")});
  for (auto _ : state) {
    auto table = agg.Collect();
    if (!table.ok()) state.SkipWithError(table.status().ToString().c_str());
    benchmark::DoNotOptimize(table);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ExecuteFilterAggregate)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
