#include "engine/physical_planner.h"

#include <arrow/acero/options.h>
#include <arrow/compute/api.h>
#include <arrow/io/interfaces.h>
#include <arrow/table.h>
#include <arrow/util/thread_pool.h>

#include "engine/aggregate_call.h"
#include "engine/join_ops.h"
#include "engine/topk.h"

namespace codeanatomy::engine {

namespace ac = arrow::acero;
namespace cp = arrow::compute;

namespace {

ac::Declaration Project(ac::Declaration input, std::vector<cp::Expression> exprs,
                        std::vector<std::string> names) {
  return ac::Declaration::Sequence(
      {std::move(input), {"project", ac::ProjectNodeOptions(std::move(exprs), std::move(names))}});
}

/// Projects `input` (whose columns are `names_in`) to the columns `keep` renamed `names_out`.
ac::Declaration Rename(ac::Declaration input, const std::vector<std::string>& keep,
                       const std::vector<std::string>& names_out) {
  std::vector<cp::Expression> exprs;
  for (const auto& k : keep) exprs.push_back(cp::field_ref(k));
  return Project(std::move(input), std::move(exprs), names_out);
}

cp::Expression Conjunction(std::vector<cp::Expression> terms) {
  if (terms.empty()) return cp::literal(true);
  cp::Expression out = std::move(terms[0]);
  for (size_t i = 1; i < terms.size(); ++i) out = cp::call("and_kleene", {out, terms[i]});
  return out;
}

Status PhysicalError(std::string_view code, std::string message) {
  return InvalidError(stage::kPlanning, code, std::move(message));
}

}  // namespace

int64_t EstimateRows(const PlanNode& node) {
  auto input = [&](size_t i) { return EstimateRows(*node.inputs[i]); };
  switch (node.kind) {
    case PlanKind::kScan: {
      int64_t rows = node.provider->estimated_rows();
      if (rows < 0) return -1;
      for (size_t i = 0; i < node.filters.size(); ++i) rows /= 2;
      return rows;
    }
    case PlanKind::kProjection:
    case PlanKind::kSort:
      return input(0);
    case PlanKind::kFilter: {
      int64_t rows = input(0);
      return rows < 0 ? -1 : rows / 2;
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
      return std::max(l, r);
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
    case PlanKind::kScan: return PlanScan(node);
    case PlanKind::kProjection: return PlanProjection(node);
    case PlanKind::kFilter: return PlanFilter(node);
    case PlanKind::kAggregate: return PlanAggregate(node);
    case PlanKind::kJoin: return PlanJoin(node);
    case PlanKind::kSort: return PlanSort(node);
    case PlanKind::kLimit: return PlanLimit(node);
    case PlanKind::kUnion: return PlanUnion(node);
    case PlanKind::kDistinct: return PlanDistinct(node);
  }
  return Status::Invalid("unknown plan node");
}

Result<ac::Declaration> PhysicalPlanner::StreamSource(
    std::shared_ptr<arrow::Schema> schema, std::string label,
    std::function<Result<std::shared_ptr<arrow::RecordBatchReader>>()> start) {
  if (!execute_) {
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

Result<std::shared_ptr<arrow::RecordBatchReader>> PhysicalPlanner::RunToReader(const PlanNode& node) {
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
    aggs.emplace_back((grouped ? "hash_" : "") + call.function, call.options, std::move(targets), out);
    post_refs.push_back(out);
  }
  if (pre.empty()) {  // count(*) alone: keep one column so batches carry their length
    pre.push_back(cp::literal(true));
    pre_names.push_back("__one");
  }
  auto projected = Project(std::move(child), std::move(pre), std::move(pre_names));
  auto aggregated = ac::Declaration::Sequence(
      {std::move(projected), {"aggregate", ac::AggregateNodeOptions(std::move(aggs), std::move(keys))}});
  return Rename(std::move(aggregated), post_refs, node.schema->field_names());
}

Result<ac::Declaration> PhysicalPlanner::PlanJoin(const PlanNode& node) {
  if (node.left_keys.empty()) return PlanNestedLoopJoin(node);
  const auto& left = *node.inputs[0];
  const auto& right = *node.inputs[1];
  bool nested = false;
  for (const auto& f : left.schema->fields()) nested = nested || !IsHashJoinPayloadType(*f->type());
  for (const auto& f : right.schema->fields()) nested = nested || !IsHashJoinPayloadType(*f->type());
  if (!nested) return PlanHashJoin(node);
  // Keys of an unsupported type, or a residual filter reading nested columns, cannot go
  // through the hash join at all.
  bool filter_nested = false;
  if (node.join_filter) {
    std::vector<std::shared_ptr<arrow::Field>> combined = left.schema->fields();
    for (size_t i = 0; i < node.right_names.size(); ++i) {
      combined.push_back(right.schema->field(static_cast<int>(i))->WithName(node.right_names[i]));
    }
    auto combined_schema = arrow::schema(combined);
    for (const auto& name : ReferencedColumns(*node.join_filter)) {
      auto f = combined_schema->GetFieldByName(name);
      filter_nested = filter_nested || (f && !IsHashJoinPayloadType(*f->type()));
    }
  }
  bool key_nested = false;
  for (const auto& k : node.left_keys) {
    key_nested = key_nested || !IsHashJoinPayloadType(*left.schema->GetFieldByName(k)->type());
  }
  for (const auto& k : node.right_keys) {
    key_nested = key_nested || !IsHashJoinPayloadType(*right.schema->GetFieldByName(k)->type());
  }
  if (filter_nested || key_nested) return PlanNestedLoopJoin(node);
  return PlanGatherJoin(node);
}

namespace {

ac::JoinType AceroJoinType(JoinType type) {
  switch (type) {
    case JoinType::kInner: return ac::JoinType::INNER;
    case JoinType::kLeft: return ac::JoinType::LEFT_OUTER;
    case JoinType::kRight: return ac::JoinType::RIGHT_OUTER;
    case JoinType::kFull: return ac::JoinType::FULL_OUTER;
    case JoinType::kLeftSemi: return ac::JoinType::LEFT_SEMI;
    case JoinType::kLeftAnti: return ac::JoinType::LEFT_ANTI;
  }
  return ac::JoinType::INNER;
}

std::shared_ptr<arrow::DataType> CommonKeyType(const std::shared_ptr<arrow::DataType>& a,
                                               const std::shared_ptr<arrow::DataType>& b) {
  if (a->Equals(*b)) return a;
  if (arrow::is_floating(a->id()) || arrow::is_floating(b->id())) return arrow::float64();
  if (arrow::is_integer(a->id()) && arrow::is_integer(b->id())) return arrow::int64();
  if (arrow::is_base_binary_like(a->id()) && arrow::is_base_binary_like(b->id())) {
    return arrow::is_string(a->id()) || arrow::is_string(b->id()) ? arrow::large_utf8()
                                                                  : arrow::large_binary();
  }
  if (arrow::is_decimal(a->id()) || arrow::is_decimal(b->id())) return arrow::float64();
  return a;
}

/// The same join with its inputs exchanged.
ac::JoinType SwappedJoinType(ac::JoinType type) {
  switch (type) {
    case ac::JoinType::LEFT_OUTER: return ac::JoinType::RIGHT_OUTER;
    case ac::JoinType::RIGHT_OUTER: return ac::JoinType::LEFT_OUTER;
    case ac::JoinType::LEFT_SEMI: return ac::JoinType::RIGHT_SEMI;
    case ac::JoinType::RIGHT_SEMI: return ac::JoinType::LEFT_SEMI;
    case ac::JoinType::LEFT_ANTI: return ac::JoinType::RIGHT_ANTI;
    case ac::JoinType::RIGHT_ANTI: return ac::JoinType::LEFT_ANTI;
    default: return type;  // inner and full are symmetric
  }
}

/// Describes one side of a hash join: columns carried, keys (cast to the common type when the
/// two sides differ) and the output names.
struct JoinSide {
  std::vector<cp::Expression> exprs;
  std::vector<std::string> names;
  std::vector<arrow::FieldRef> keys;
};

}  // namespace

Result<ac::Declaration> PhysicalPlanner::PlanHashJoin(const PlanNode& node) {
  const auto& left = *node.inputs[0];
  const auto& right = *node.inputs[1];
  CA_ASSIGN_OR_RAISE(auto left_decl, Plan(left));
  CA_ASSIGN_OR_RAISE(auto right_decl, Plan(right));
  JoinSide l, r;
  for (const auto& f : left.schema->fields()) {
    l.exprs.push_back(cp::field_ref(f->name()));
    l.names.push_back(f->name());
  }
  for (int i = 0; i < right.schema->num_fields(); ++i) {
    r.exprs.push_back(cp::field_ref(right.schema->field(i)->name()));
    r.names.push_back(node.right_names[static_cast<size_t>(i)]);
  }
  bool extra_keys = false;
  for (size_t i = 0; i < node.left_keys.size(); ++i) {
    auto lt = left.schema->GetFieldByName(node.left_keys[i])->type();
    auto rt = right.schema->GetFieldByName(node.right_keys[i])->type();
    auto right_out = node.right_names[static_cast<size_t>(right.schema->GetFieldIndex(node.right_keys[i]))];
    if (lt->Equals(*rt)) {
      l.keys.emplace_back(node.left_keys[i]);
      r.keys.emplace_back(right_out);
      continue;
    }
    auto common = CommonKeyType(lt, rt);
    std::string lk = "__jkl" + std::to_string(i), rk = "__jkr" + std::to_string(i);
    CA_ASSIGN_OR_RAISE(auto lcast, MakeCast(cp::field_ref(node.left_keys[i]), common, state_->registry()));
    CA_ASSIGN_OR_RAISE(auto rcast, MakeCast(cp::field_ref(node.right_keys[i]), common, state_->registry()));
    l.exprs.push_back(std::move(lcast));
    l.names.push_back(lk);
    r.exprs.push_back(std::move(rcast));
    r.names.push_back(rk);
    l.keys.emplace_back(lk);
    r.keys.emplace_back(rk);
    extra_keys = true;
  }
  // Skip identity projections: only renames and key casts need one.
  auto side_input = [](ac::Declaration decl, const arrow::Schema& schema, const JoinSide& side) {
    bool identity = static_cast<int>(side.names.size()) == schema.num_fields();
    for (size_t i = 0; identity && i < side.names.size(); ++i) {
      identity = side.names[i] == schema.field(static_cast<int>(i))->name();
    }
    return identity ? decl : Project(std::move(decl), side.exprs, side.names);
  };
  auto left_in = side_input(std::move(left_decl), *left.schema, l);
  auto right_in = side_input(std::move(right_decl), *right.schema, r);
  cp::Expression filter = cp::literal(true);
  if (node.join_filter) {
    std::vector<std::shared_ptr<arrow::Field>> combined;
    for (const auto& f : left.schema->fields()) combined.push_back(f);
    for (int i = 0; i < right.schema->num_fields(); ++i) {
      combined.push_back(right.schema->field(i)->WithName(node.right_names[static_cast<size_t>(i)]));
    }
    CA_ASSIGN_OR_RAISE(filter, LowerScalar(*node.join_filter, *arrow::schema(combined), state_->resolver()));
    filter = Unbind(filter);  // Acero binds the residual filter against its own layout
  }
  // Acero builds its hash table on the right input: put the smaller side there.
  int64_t left_rows = EstimateRows(left);
  int64_t right_rows = EstimateRows(right);
  bool swap = left_rows >= 0 && (right_rows < 0 || left_rows < right_rows);
  ac::JoinType type = AceroJoinType(node.join_type);
  if (swap) {
    type = SwappedJoinType(type);
    std::swap(left_in, right_in);
    std::swap(l.keys, r.keys);
  }
  ac::HashJoinNodeOptions options(type, l.keys, r.keys, filter);
  ac::Declaration join("hashjoin", {std::move(left_in), std::move(right_in)}, std::move(options));
  bool semi = node.join_type == JoinType::kLeftSemi || node.join_type == JoinType::kLeftAnti;
  if (!extra_keys && !semi && !swap) return join;
  std::vector<std::string> keep = node.schema->field_names();
  return Rename(std::move(join), keep, keep);
}

Result<ac::Declaration> PhysicalPlanner::PlanGatherJoin(const PlanNode& node) {
  // Join on keys and row indices only, then take the nested columns by row index.
  auto left_node = node.inputs[0];
  auto right_node = node.inputs[1];
  auto self = std::make_shared<PlanNode>(node);
  auto schema = node.schema;
  auto state = state_;
  auto options = options_;
  return StreamSource(schema, "gather_join", [self, state, options]() -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
    PhysicalPlanner planner(state, options);
    const auto& left = *self->inputs[0];
    const auto& right = *self->inputs[1];
    CA_ASSIGN_OR_RAISE(auto left_table, planner.RunToTable(left));
    CA_ASSIGN_OR_RAISE(auto right_table, planner.RunToTable(right));
    std::vector<GatherSource> sources;
    std::vector<GatherOutput> outputs;
    // Build the slim inputs: flat columns plus a row index when the side has nested ones.
    auto slim = [&](const std::shared_ptr<arrow::Table>& table, const std::string& index_name,
                    int source_id, bool emit, const std::vector<std::string>& out_names,
                    std::vector<std::shared_ptr<arrow::Field>>* slim_fields)
        -> Result<std::shared_ptr<arrow::Table>> {
      std::vector<std::shared_ptr<arrow::ChunkedArray>> columns;
      bool has_nested = false;
      for (int c = 0; c < table->num_columns(); ++c) {
        const auto& f = table->schema()->field(c);
        if (IsHashJoinPayloadType(*f->type())) {
          columns.push_back(table->column(c));
          slim_fields->push_back(f->WithName(out_names[static_cast<size_t>(c)]));
        } else {
          has_nested = true;
        }
      }
      if (has_nested) {
        arrow::Int64Builder builder;
        CA_RETURN_NOT_OK(builder.Reserve(table->num_rows()));
        for (int64_t i = 0; i < table->num_rows(); ++i) builder.UnsafeAppend(i);
        CA_ASSIGN_OR_RAISE(auto index, builder.Finish());
        columns.push_back(std::make_shared<arrow::ChunkedArray>(index));
        slim_fields->push_back(arrow::field(index_name, arrow::int64()));
        sources.push_back({index_name, table});
      }
      (void)source_id;
      (void)emit;
      return arrow::Table::Make(arrow::schema(*slim_fields), columns, table->num_rows());
    };
    std::vector<std::shared_ptr<arrow::Field>> lf, rf;
    CA_ASSIGN_OR_RAISE(auto lslim, slim(left_table, "__rowid_l", 0, true, left.schema->field_names(), &lf));
    size_t left_sources = sources.size();
    CA_ASSIGN_OR_RAISE(auto rslim, slim(right_table, "__rowid_r", 1, true, self->right_names, &rf));
    bool semi = self->join_type == JoinType::kLeftSemi || self->join_type == JoinType::kLeftAnti;
    std::vector<arrow::FieldRef> lkeys, rkeys;
    for (size_t i = 0; i < self->left_keys.size(); ++i) {
      const auto& lk = self->left_keys[i];
      const auto& rk = self->right_names[static_cast<size_t>(right.schema->GetFieldIndex(self->right_keys[i]))];
      auto lcol = lslim->GetColumnByName(lk);
      auto rcol = rslim->GetColumnByName(rk);
      if (lcol->type()->Equals(*rcol->type())) {
        lkeys.emplace_back(lk);
        rkeys.emplace_back(rk);
        continue;
      }
      // Acero needs equal key types: join on both keys cast to a common type.
      auto common = CommonKeyType(lcol->type(), rcol->type());
      CA_ASSIGN_OR_RAISE(auto lcast, cp::Cast(lcol, common));
      CA_ASSIGN_OR_RAISE(auto rcast, cp::Cast(rcol, common));
      std::string ln = "__jkl" + std::to_string(i), rn = "__jkr" + std::to_string(i);
      CA_ASSIGN_OR_RAISE(lslim, lslim->AddColumn(lslim->num_columns(), arrow::field(ln, common), lcast.chunked_array()));
      CA_ASSIGN_OR_RAISE(rslim, rslim->AddColumn(rslim->num_columns(), arrow::field(rn, common), rcast.chunked_array()));
      lkeys.emplace_back(ln);
      rkeys.emplace_back(rn);
    }
    cp::Expression filter = cp::literal(true);
    if (self->join_filter) {
      std::vector<std::shared_ptr<arrow::Field>> combined = lf;
      combined.insert(combined.end(), rf.begin(), rf.end());
      CA_ASSIGN_OR_RAISE(filter, LowerScalar(*self->join_filter, *arrow::schema(combined), state->resolver()));
      filter = Unbind(filter);
    }
    ac::Declaration join(
        "hashjoin",
        {ac::Declaration("table_source", ac::TableSourceNodeOptions(lslim)),
         ac::Declaration("table_source", ac::TableSourceNodeOptions(rslim))},
        ac::HashJoinNodeOptions(AceroJoinType(self->join_type), lkeys, rkeys, filter));
    CA_ASSIGN_OR_RAISE(auto joined, ExecuteDeclaration(std::move(join), state, options));
    auto joined_schema = joined->schema();
    // Map each output column to the joined stream or to a gather source.
    auto map_side = [&](const std::shared_ptr<arrow::Table>& table, const std::vector<std::string>& names,
                        int source) -> Status {
      for (int c = 0; c < table->num_columns(); ++c) {
        const auto& name = names[static_cast<size_t>(c)];
        if (IsHashJoinPayloadType(*table->schema()->field(c)->type())) {
          outputs.push_back({-1, joined_schema->GetFieldIndex(name), name});
        } else {
          outputs.push_back({source, c, name});
        }
      }
      return Status::OK();
    };
    CA_RETURN_NOT_OK(map_side(left_table, left.schema->field_names(), 0));
    if (!semi) {
      CA_RETURN_NOT_OK(map_side(right_table, self->right_names, static_cast<int>(left_sources)));
    }
    JoinExecOptions jopts;
    jopts.pool = state->memory_pool();
    jopts.stop_token = options.stop_token;
    return GatherJoinedColumns(std::move(joined), std::move(sources), std::move(outputs), jopts);
  });
}

Result<ac::Declaration> PhysicalPlanner::PlanNestedLoopJoin(const PlanNode& node) {
  auto self = std::make_shared<PlanNode>(node);
  auto state = state_;
  auto options = options_;
  return StreamSource(node.schema, "nested_loop_join", [self, state, options]() -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
    PhysicalPlanner planner(state, options);
    const auto& left = *self->inputs[0];
    const auto& right = *self->inputs[1];
    CA_ASSIGN_OR_RAISE(auto right_table, planner.RunToTable(right));
    CA_ASSIGN_OR_RAISE(right_table, right_table->RenameColumns(self->right_names));
    CA_ASSIGN_OR_RAISE(auto left_reader, planner.RunToReader(left));
    std::vector<std::shared_ptr<arrow::Field>> combined = left.schema->fields();
    for (const auto& f : right_table->schema()->fields()) combined.push_back(f);
    auto combined_schema = arrow::schema(combined);
    auto fr = state->resolver();
    std::vector<cp::Expression> terms;
    for (size_t i = 0; i < self->left_keys.size(); ++i) {
      auto right_name = self->right_names[static_cast<size_t>(right.schema->GetFieldIndex(self->right_keys[i]))];
      CA_ASSIGN_OR_RAISE(auto eq, LowerScalar(*Call("=", {Column(self->left_keys[i]), Column(right_name)}),
                                              *combined_schema, fr));
      terms.push_back(std::move(eq));
    }
    if (self->join_filter) {
      CA_ASSIGN_OR_RAISE(auto f, LowerScalar(*self->join_filter, *combined_schema, fr));
      terms.push_back(std::move(f));
    }
    JoinExecOptions jopts;
    jopts.pool = state->memory_pool();
    jopts.stop_token = options.stop_token;
    return NestedLoopJoin(std::move(left_reader), std::move(right_table), self->join_type,
                          Conjunction(std::move(terms)), jopts);
  });
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
  bool column_keys = input.kind == PlanKind::kSort &&
                     std::all_of(input.sort_keys.begin(), input.sort_keys.end(), [](const SortKey& k) {
                       return Unaliased(*k.expr).kind == ExprKind::kColumn;
                     });
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
    return StreamSource(node.schema, "top_k", [child_plan, state, options, keys, offset, fetch]()
                                                  -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
      PhysicalPlanner planner(state, options);
      CA_ASSIGN_OR_RAISE(auto reader, planner.RunToReader(*child_plan));
      CA_ASSIGN_OR_RAISE(reader, RenameStream(std::move(reader), child_plan->schema));
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
  return StreamSource(node.schema, "limit", [child_plan, state, options, offset, fetch]()
                                                -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
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
  for (const auto& n : names) keys.emplace_back(n);
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

}  // namespace codeanatomy::engine
