#include "engine/physical_planner.h"

#include <set>

#include <arrow/acero/options.h>
#include <arrow/compute/api.h>
#include <arrow/io/interfaces.h>
#include <arrow/table.h>
#include <arrow/util/thread_pool.h>

#include "engine/acero_util.h"
#include "engine/aggregate_call.h"
#include "engine/topk.h"
#include "engine/window.h"
#include "engine/window_function.h"

namespace codeanatomy::engine {

namespace ac = arrow::acero;
namespace cp = arrow::compute;
using internal::Conjunction;
using internal::Project;
using internal::Rename;

namespace {

Status PhysicalError(std::string_view code, std::string message) {
  return InvalidError(stage::kPlanning, code, std::move(message));
}

}  // namespace

namespace {

// Heuristic selectivity of a predicate, as "keeps 1 row in N": equality 10, ranges and
// other conditions 5 (DataFusion's and DuckDB's default 20%), conjunctions multiply, disjunctions
// keep the weaker side.
int64_t SelectivityDivisor(const Expr& predicate) {
  const Expr& e = Unaliased(predicate);
  if (e.kind == ExprKind::kCall) {
    if (e.name == "and" && e.args.size() == 2) {
      return std::min<int64_t>(1000,
                               SelectivityDivisor(*e.args[0]) * SelectivityDivisor(*e.args[1]));
    }
    if (e.name == "or" && e.args.size() == 2) {
      return std::min(SelectivityDivisor(*e.args[0]), SelectivityDivisor(*e.args[1]));
    }
    if (e.name == "=" || e.name == "equal" || e.name == "is_null") return 10;
  }
  return 5;
}

}  // namespace

int64_t EstimateRows(const PlanNode& node) {
  auto input = [&](size_t i) { return EstimateRows(*node.inputs[i]); };
  switch (node.kind) {
    case PlanKind::kScan: {
      int64_t rows = node.provider->estimated_rows();
      if (rows < 0) return -1;
      for (const auto& f : node.filters) rows /= SelectivityDivisor(*f);
      return rows == 0 && node.provider->estimated_rows() > 0 ? 1 : rows;
    }
    case PlanKind::kProjection:
    case PlanKind::kSort:
    case PlanKind::kWindow:
      return input(0);
    case PlanKind::kFilter: {
      int64_t rows = input(0);
      return rows < 0
                 ? -1
                 : std::max<int64_t>(rows > 0 ? 1 : 0, rows / SelectivityDivisor(*node.predicate));
    }
    case PlanKind::kDistinct: {
      int64_t rows = input(0);
      return rows < 0 ? -1 : rows / 2;
    }
    case PlanKind::kAggregate: {
      if (node.group_by.empty()) return 1;
      int64_t rows = input(0);
      return rows < 0 ? -1 : std::max<int64_t>(1, rows / 10);
    }
    case PlanKind::kLimit: {
      int64_t rows = input(0);
      if (node.fetch < 0) return rows < 0 ? -1 : std::max<int64_t>(0, rows - node.offset);
      return rows < 0 ? node.fetch : std::min(node.fetch, rows);
    }
    case PlanKind::kJoin: {
      int64_t l = input(0), r = input(1);
      if (l < 0 || r < 0) return -1;
      if (node.join_type == JoinType::kLeftSemi || node.join_type == JoinType::kLeftAnti) return l;
      // Equi-join: |L| * |R| / max(ndv) for the most selective key with known distinct counts;
      // otherwise assume a key/foreign-key join.
      double best = -1;
      for (size_t i = 0; i < node.left_keys.size(); ++i) {
        int64_t dl = EstimateDistinct(*node.inputs[0], node.left_keys[i]);
        int64_t dr = EstimateDistinct(*node.inputs[1], node.right_keys[i]);
        if (dl <= 0 || dr <= 0) continue;
        double est =
            static_cast<double>(l) * static_cast<double>(r) / static_cast<double>(std::max(dl, dr));
        if (best < 0 || est < best) best = est;
      }
      int64_t rows = best < 0 ? std::max(l, r) : static_cast<int64_t>(std::min(best, 4e18));
      if (node.join_type == JoinType::kLeft) rows = std::max(rows, l);
      if (node.join_type == JoinType::kRight) rows = std::max(rows, r);
      if (node.join_type == JoinType::kFull) rows = std::max(rows, std::max(l, r));
      return rows;
    }
    case PlanKind::kUnion: {
      int64_t total = 0;
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        int64_t rows = input(i);
        if (rows < 0) return -1;
        total += rows;
      }
      return total;
    }
  }
  return -1;
}

int64_t EstimateDistinct(const PlanNode& node, const std::string& field) {
  auto capped = [&](int64_t ndv) {
    if (ndv < 0) return ndv;
    int64_t rows = EstimateRows(node);
    return rows < 0 ? ndv : std::max<int64_t>(1, std::min(ndv, rows));
  };
  switch (node.kind) {
    case PlanKind::kScan: {
      int index = node.schema->GetFieldIndex(field);
      if (index < 0 || static_cast<size_t>(index) >= node.projection.size()) return -1;
      return capped(node.provider->DistinctCount(node.projection[index]));
    }
    case PlanKind::kFilter:
    case PlanKind::kSort:
    case PlanKind::kLimit:
    case PlanKind::kWindow:
    case PlanKind::kDistinct:
      return capped(EstimateDistinct(*node.inputs[0], field));
    case PlanKind::kProjection:
      for (const auto& e : node.exprs) {
        if (OutputName(*e) != field) continue;
        const Expr& inner = Unaliased(*e);
        if (inner.kind != ExprKind::kColumn) return -1;
        return capped(EstimateDistinct(*node.inputs[0], inner.name));
      }
      return -1;
    case PlanKind::kJoin: {
      if (node.inputs[0]->schema->GetFieldIndex(field) >= 0) {
        return capped(EstimateDistinct(*node.inputs[0], field));
      }
      for (size_t i = 0; i < node.right_names.size(); ++i) {
        if (node.right_names[i] == field) {
          return capped(EstimateDistinct(
              *node.inputs[1], node.inputs[1]->schema->field(static_cast<int>(i))->name()));
        }
      }
      return -1;
    }
    default:
      return -1;
  }
}

bool IsHashJoinPayloadType(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::NA:
    case arrow::Type::STRUCT:
    case arrow::Type::LIST:
    case arrow::Type::LARGE_LIST:
    case arrow::Type::FIXED_SIZE_LIST:
    case arrow::Type::MAP:
    case arrow::Type::SPARSE_UNION:
    case arrow::Type::DENSE_UNION:
    case arrow::Type::DICTIONARY:
    case arrow::Type::EXTENSION:
    case arrow::Type::RUN_END_ENCODED:
    case arrow::Type::STRING_VIEW:
    case arrow::Type::BINARY_VIEW:
    case arrow::Type::LIST_VIEW:
    case arrow::Type::LARGE_LIST_VIEW:
      return false;
    default:
      return arrow::is_fixed_width(type.id()) || arrow::is_base_binary_like(type.id());
  }
}

Result<ac::Declaration> PhysicalPlanner::Plan(const PlanNode& node) {
  switch (node.kind) {
    case PlanKind::kScan:
      return PlanScan(node);
    case PlanKind::kProjection:
      return PlanProjection(node);
    case PlanKind::kFilter:
      return PlanFilter(node);
    case PlanKind::kAggregate:
      return PlanAggregate(node);
    case PlanKind::kJoin:
      return PlanJoin(node);
    case PlanKind::kSort:
      return PlanSort(node);
    case PlanKind::kLimit:
      return PlanLimit(node);
    case PlanKind::kUnion:
      return PlanUnion(node);
    case PlanKind::kDistinct:
      return PlanDistinct(node);
    case PlanKind::kWindow:
      return PlanWindow(node);
  }
  return Status::Invalid("unknown plan node");
}

Result<ac::Declaration> PhysicalPlanner::StreamSource(
    std::shared_ptr<arrow::Schema> schema, std::string label, std::vector<const PlanNode*> inputs,
    std::function<Result<std::shared_ptr<arrow::RecordBatchReader>>()> start) {
  if (!execute_) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      CA_ASSIGN_OR_RAISE(auto decl, Plan(*inputs[i]));
      CA_ASSIGN_OR_RAISE(auto text, ac::DeclarationToString(decl, state_->registry()));
      sub_plans_.emplace_back(label + " input " + std::to_string(i + 1), std::move(text));
    }
    CA_ASSIGN_OR_RAISE(auto empty, arrow::Table::MakeEmpty(schema));
    ac::Declaration placeholder("table_source", ac::TableSourceNodeOptions(empty));
    placeholder.label = std::move(label);
    return placeholder;
  }
  auto reader = MakeLazyReader(std::move(schema), std::move(start));
  ac::Declaration source("record_batch_reader_source",
                         ac::RecordBatchReaderSourceNodeOptions(
                             std::move(reader), arrow::io::default_io_context().executor()));
  source.label = std::move(label);
  return source;
}

Result<std::shared_ptr<arrow::RecordBatchReader>> PhysicalPlanner::RunToReader(
    const PlanNode& node) {
  CA_ASSIGN_OR_RAISE(auto decl, Plan(node));
  return ExecuteDeclaration(std::move(decl), state_, options_);
}

Result<std::shared_ptr<arrow::Table>> PhysicalPlanner::RunToTable(const PlanNode& node) {
  CA_ASSIGN_OR_RAISE(auto reader, RunToReader(node));
  CA_ASSIGN_OR_RAISE(auto table, reader->ToTable());
  return table->RenameColumns(node.schema->field_names());
}

Result<ac::Declaration> PhysicalPlanner::PlanScan(const PlanNode& node) {
  auto fr = state_->resolver();
  ScanRequest request;
  request.columns = node.projection;
  request.batch_size = state_->config().batch_size;
  request.registry = state_->registry();
  request.table_name = node.table_name;
  request.explain_only = !execute_;
  std::vector<cp::Expression> exact;
  std::vector<cp::Expression> hints;
  auto full = node.provider->schema();
  for (const auto& f : node.filters) {
    CA_ASSIGN_OR_RAISE(auto lowered, LowerScalar(*f, *node.schema, fr));
    exact.push_back(std::move(lowered));
    if (auto hint = LowerScalar(*f, *full, fr); hint.ok()) hints.push_back(*hint);
  }
  request.filter = Conjunction(hints);
  CA_ASSIGN_OR_RAISE(auto decl, node.provider->Scan(request));
  decl.label = "scan:" + node.table_name;
  if (exact.empty()) return decl;
  return ac::Declaration::Sequence(
      {std::move(decl), {"filter", ac::FilterNodeOptions(Conjunction(std::move(exact)))}});
}

Result<ac::Declaration> PhysicalPlanner::PlanProjection(const PlanNode& node) {
  auto fr = state_->resolver();
  const auto& input = *node.inputs[0];
  CA_ASSIGN_OR_RAISE(auto child, Plan(input));
  std::vector<cp::Expression> exprs;
  for (const auto& e : node.exprs) {
    CA_ASSIGN_OR_RAISE(auto lowered, LowerScalar(*e, *input.schema, fr));
    exprs.push_back(std::move(lowered));
  }
  return Project(std::move(child), std::move(exprs), node.schema->field_names());
}

Result<ac::Declaration> PhysicalPlanner::PlanFilter(const PlanNode& node) {
  auto fr = state_->resolver();
  const auto& input = *node.inputs[0];
  CA_ASSIGN_OR_RAISE(auto child, Plan(input));
  CA_ASSIGN_OR_RAISE(auto predicate, LowerScalar(*node.predicate, *input.schema, fr));
  return ac::Declaration::Sequence(
      {std::move(child), {"filter", ac::FilterNodeOptions(std::move(predicate))}});
}

Result<ac::Declaration> PhysicalPlanner::PlanAggregate(const PlanNode& node) {
  auto fr = state_->resolver();
  const auto& input = *node.inputs[0];
  CA_ASSIGN_OR_RAISE(auto child, Plan(input));
  // Pre-project keys and aggregate arguments into fresh columns.
  std::vector<cp::Expression> pre;
  std::vector<std::string> pre_names;
  std::vector<arrow::FieldRef> keys;
  for (size_t i = 0; i < node.group_by.size(); ++i) {
    CA_ASSIGN_OR_RAISE(auto lowered, LowerScalar(*node.group_by[i], *input.schema, fr));
    pre.push_back(std::move(lowered));
    pre_names.push_back("__k" + std::to_string(i));
    keys.emplace_back(pre_names.back());
    const auto& type = node.schema->field(static_cast<int>(i))->type();
    if (!IsHashJoinPayloadType(*type) && type->id() != arrow::Type::NA) {
      return PhysicalError("NOT_SUPPORTED",
                           "not supported: grouping by a column of type " + type->ToString());
    }
  }
  bool grouped = !keys.empty();
  std::vector<cp::Aggregate> aggs;
  std::vector<std::string> post_refs = pre_names;
  for (size_t i = 0; i < node.aggregates.size(); ++i) {
    CA_ASSIGN_OR_RAISE(auto call, ResolveAggregateCall(*node.aggregates[i], *input.schema, fr));
    std::vector<arrow::FieldRef> targets;
    for (size_t j = 0; j < call.args.size(); ++j) {
      CA_ASSIGN_OR_RAISE(auto lowered, LowerScalar(*call.args[j], *input.schema, fr));
      pre.push_back(std::move(lowered));
      pre_names.push_back("__a" + std::to_string(i) + "_" + std::to_string(j));
      targets.emplace_back(pre_names.back());
    }
    std::string out = "__o" + std::to_string(i);
    aggs.emplace_back((grouped ? "hash_" : "") + call.function, call.options, std::move(targets),
                      out);
    post_refs.push_back(out);
  }
  if (pre.empty()) {  // count(*) alone: keep one column so batches carry their length
    pre.push_back(cp::literal(true));
    pre_names.push_back("__one");
  }
  auto projected = Project(std::move(child), std::move(pre), std::move(pre_names));
  auto aggregated = ac::Declaration::Sequence(
      {std::move(projected),
       {"aggregate", ac::AggregateNodeOptions(std::move(aggs), std::move(keys))}});
  return Rename(std::move(aggregated), post_refs, node.schema->field_names());
}

Result<ac::Declaration> PhysicalPlanner::PlanSort(const PlanNode& node) {
  auto fr = state_->resolver();
  const auto& input = *node.inputs[0];
  CA_ASSIGN_OR_RAISE(auto child, Plan(input));
  std::vector<cp::SortKey> keys;
  std::vector<cp::Expression> extra;
  std::vector<std::string> extra_names;
  for (size_t i = 0; i < node.sort_keys.size(); ++i) {
    const auto& k = node.sort_keys[i];
    auto order = k.ascending ? cp::SortOrder::Ascending : cp::SortOrder::Descending;
    auto nulls = k.nulls_first ? cp::NullPlacement::AtStart : cp::NullPlacement::AtEnd;
    const Expr& inner = Unaliased(*k.expr);
    if (inner.kind == ExprKind::kColumn) {
      keys.emplace_back(arrow::FieldRef(inner.name), order, nulls);
      continue;
    }
    CA_ASSIGN_OR_RAISE(auto lowered, LowerScalar(*k.expr, *input.schema, fr));
    extra.push_back(std::move(lowered));
    extra_names.push_back("__s" + std::to_string(i));
    keys.emplace_back(arrow::FieldRef(extra_names.back()), order, nulls);
  }
  if (!extra.empty()) {
    std::vector<cp::Expression> exprs;
    std::vector<std::string> names;
    for (const auto& f : input.schema->fields()) {
      exprs.push_back(cp::field_ref(f->name()));
      names.push_back(f->name());
    }
    exprs.insert(exprs.end(), extra.begin(), extra.end());
    names.insert(names.end(), extra_names.begin(), extra_names.end());
    child = Project(std::move(child), std::move(exprs), std::move(names));
  }
  auto sorted = ac::Declaration::Sequence(
      {std::move(child), {"order_by", ac::OrderByNodeOptions(cp::Ordering(std::move(keys)))}});
  if (extra.empty()) return sorted;
  auto names = node.schema->field_names();
  return Rename(std::move(sorted), names, names);
}

Result<ac::Declaration> PhysicalPlanner::PlanLimit(const PlanNode& node) {
  const auto& input = *node.inputs[0];
  constexpr int64_t kTopKMaxRows = 1 << 20;
  bool column_keys =
      input.kind == PlanKind::kSort &&
      std::all_of(input.sort_keys.begin(), input.sort_keys.end(),
                  [](const SortKey& k) { return Unaliased(*k.expr).kind == ExprKind::kColumn; });
  if (column_keys && node.fetch >= 0 && node.offset + node.fetch <= kTopKMaxRows) {
    // ORDER BY columns LIMIT k: keep the best k rows while streaming instead of sorting all.
    std::vector<cp::SortKey> keys;
    for (const auto& k : input.sort_keys) {
      keys.emplace_back(arrow::FieldRef(Unaliased(*k.expr).name),
                        k.ascending ? cp::SortOrder::Ascending : cp::SortOrder::Descending,
                        k.nulls_first ? cp::NullPlacement::AtStart : cp::NullPlacement::AtEnd);
    }
    auto child_plan = input.inputs[0];
    auto state = state_;
    auto options = options_;
    int64_t offset = node.offset, fetch = node.fetch;
    return StreamSource(node.schema, "top_k", {child_plan.get()},
                        [child_plan, state, options, keys, offset,
                         fetch]() -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
                          PhysicalPlanner planner(state, options);
                          CA_ASSIGN_OR_RAISE(auto reader, planner.RunToReader(*child_plan));
                          CA_ASSIGN_OR_RAISE(reader,
                                             RenameStream(std::move(reader), child_plan->schema));
                          return TopK(std::move(reader), keys, offset, fetch, state->memory_pool());
                        });
  }
  if (input.kind == PlanKind::kSort) {
    CA_ASSIGN_OR_RAISE(auto child, Plan(input));
    int64_t count = node.fetch < 0 ? std::numeric_limits<int64_t>::max() : node.fetch;
    return ac::Declaration::Sequence(
        {std::move(child), {"fetch", ac::FetchNodeOptions(node.offset, count)}});
  }
  auto child_plan = node.inputs[0];
  auto state = state_;
  auto options = options_;
  int64_t offset = node.offset, fetch = node.fetch;
  return StreamSource(node.schema, "limit", {child_plan.get()},
                      [child_plan, state, options, offset,
                       fetch]() -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
                        PhysicalPlanner planner(state, options);
                        CA_ASSIGN_OR_RAISE(auto reader, planner.RunToReader(*child_plan));
                        return MakeLimitReader(std::move(reader), offset, fetch);
                      });
}

Result<ac::Declaration> PhysicalPlanner::PlanUnion(const PlanNode& node) {
  std::vector<ac::Declaration::Input> inputs;
  auto names = node.schema->field_names();
  for (const auto& in : node.inputs) {
    CA_ASSIGN_OR_RAISE(auto decl, Plan(*in));
    inputs.push_back(Rename(std::move(decl), in->schema->field_names(), names));
  }
  ac::Declaration combined("union", std::move(inputs), ac::ExecNodeOptions{});
  if (!node.distinct) return combined;
  std::vector<arrow::FieldRef> keys;
  for (const auto& f : node.schema->fields()) {
    if (!IsHashJoinPayloadType(*f->type())) {
      return PhysicalError("NOT_SUPPORTED",
                           "not supported: UNION (distinct) over a column of type " +
                               f->type()->ToString() + " ('" + f->name() + "')");
    }
    keys.emplace_back(f->name());
  }
  return ac::Declaration::Sequence(
      {std::move(combined), {"aggregate", ac::AggregateNodeOptions({}, std::move(keys))}});
}

Result<ac::Declaration> PhysicalPlanner::PlanDistinct(const PlanNode& node) {
  CA_ASSIGN_OR_RAISE(auto child, Plan(*node.inputs[0]));
  std::vector<arrow::FieldRef> keys;
  for (const auto& f : node.schema->fields()) {
    if (!IsHashJoinPayloadType(*f->type())) {
      return PhysicalError("NOT_SUPPORTED", "not supported: DISTINCT over a column of type " +
                                                f->type()->ToString() + " ('" + f->name() + "')");
    }
    keys.emplace_back(f->name());
  }
  return ac::Declaration::Sequence(
      {std::move(child), {"aggregate", ac::AggregateNodeOptions({}, std::move(keys))}});
}

Result<ac::Declaration> PhysicalPlanner::PlanWindow(const PlanNode& node) {
  auto fr = state_->resolver();
  const auto& input = node.inputs[0];
  const auto& input_schema = *input->schema;
  // Pre-project the input columns, then every argument and key that is not a plain column.
  std::vector<ExprPtr> exprs;
  std::set<std::string> taken;
  for (const auto& f : input_schema.fields()) {
    exprs.push_back(Column(f->name()));
    taken.insert(f->name());
  }
  auto column_of = [&](const ExprPtr& e) -> Result<int> {
    const Expr& inner = Unaliased(*e);
    if (inner.kind == ExprKind::kColumn) return ResolveColumn(input_schema, inner.name);
    std::string name = "__window_" + std::to_string(exprs.size());
    while (taken.count(name)) name += "_";
    taken.insert(name);
    exprs.push_back(Alias(e, name));
    return static_cast<int>(exprs.size()) - 1;
  };
  std::vector<WindowCall> calls;
  for (const auto& w : node.windows) {
    CA_ASSIGN_OR_RAISE(auto resolved, ResolveWindowFunction(w, input_schema, fr));
    WindowCall call;
    call.kind = resolved.kind;
    if (resolved.value) {
      CA_ASSIGN_OR_RAISE(call.value, column_of(resolved.value));
    }
    call.param = resolved.param;
    call.default_value = resolved.default_value;
    call.udf = resolved.udf;
    for (const auto& a : resolved.args) {
      CA_ASSIGN_OR_RAISE(int column, column_of(a));
      call.args.push_back(column);
    }
    for (const auto& p : w.partition_by) {
      CA_ASSIGN_OR_RAISE(int column, column_of(p));
      call.partition_by.push_back(column);
    }
    for (const auto& k : w.order_by) {
      CA_ASSIGN_OR_RAISE(int column, column_of(k.expr));
      call.order_by.push_back({column, k.ascending, k.nulls_first});
    }
    call.frame = resolved.frame;
    call.type = resolved.field->type();
    calls.push_back(std::move(call));
  }
  CA_ASSIGN_OR_RAISE(auto pre, plan::Projection(input, std::move(exprs), fr));
  auto state = state_;
  auto options = options_;
  int keep = input_schema.num_fields();
  auto schema = node.schema;
  return StreamSource(node.schema, "window", {pre.get()},
                      [pre, state, options, keep, calls,
                       schema]() -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
                        PhysicalPlanner planner(state, options);
                        CA_ASSIGN_OR_RAISE(auto reader, planner.RunToReader(*pre));
                        WindowExecOptions wopts;
                        wopts.pool = state->memory_pool();
                        wopts.executor = state->executor();
                        wopts.batch_size = state->config().batch_size;
                        wopts.stop_token = options.stop_token;
                        return WindowStream(std::move(reader), keep, calls, schema, wopts);
                      });
}

}  // namespace codeanatomy::engine
