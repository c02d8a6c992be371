// Join planning: Acero's hash join (build side chosen by size, key casts, residual filters),
// the gather join for nested payload columns, and the nested-loop join for joins without keys.
#include <arrow/acero/options.h>
#include <arrow/compute/api.h>
#include <arrow/table.h>

#include "engine/acero_util.h"
#include "engine/join_ops.h"
#include "engine/physical_planner.h"

namespace codeanatomy::engine {

namespace ac = arrow::acero;
namespace cp = arrow::compute;
using internal::Conjunction;
using internal::Project;
using internal::Rename;

Result<ac::Declaration> PhysicalPlanner::PlanJoin(const PlanNode& node) {
  if (node.left_keys.empty()) return PlanNestedLoopJoin(node);
  const auto& left = *node.inputs[0];
  const auto& right = *node.inputs[1];
  bool nested = false;
  for (const auto& f : left.schema->fields()) nested = nested || !IsHashJoinPayloadType(*f->type());
  for (const auto& f : right.schema->fields())
    nested = nested || !IsHashJoinPayloadType(*f->type());
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
    case JoinType::kInner:
      return ac::JoinType::INNER;
    case JoinType::kLeft:
      return ac::JoinType::LEFT_OUTER;
    case JoinType::kRight:
      return ac::JoinType::RIGHT_OUTER;
    case JoinType::kFull:
      return ac::JoinType::FULL_OUTER;
    case JoinType::kLeftSemi:
      return ac::JoinType::LEFT_SEMI;
    case JoinType::kLeftAnti:
      return ac::JoinType::LEFT_ANTI;
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
    case ac::JoinType::LEFT_OUTER:
      return ac::JoinType::RIGHT_OUTER;
    case ac::JoinType::RIGHT_OUTER:
      return ac::JoinType::LEFT_OUTER;
    case ac::JoinType::LEFT_SEMI:
      return ac::JoinType::RIGHT_SEMI;
    case ac::JoinType::RIGHT_SEMI:
      return ac::JoinType::LEFT_SEMI;
    case ac::JoinType::LEFT_ANTI:
      return ac::JoinType::RIGHT_ANTI;
    case ac::JoinType::RIGHT_ANTI:
      return ac::JoinType::LEFT_ANTI;
    default:
      return type;  // inner and full are symmetric
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
    auto right_out =
        node.right_names[static_cast<size_t>(right.schema->GetFieldIndex(node.right_keys[i]))];
    if (lt->Equals(*rt)) {
      l.keys.emplace_back(node.left_keys[i]);
      r.keys.emplace_back(right_out);
      continue;
    }
    auto common = CommonKeyType(lt, rt);
    std::string lk = "__jkl" + std::to_string(i), rk = "__jkr" + std::to_string(i);
    CA_ASSIGN_OR_RAISE(auto lcast,
                       MakeCast(cp::field_ref(node.left_keys[i]), common, state_->registry()));
    CA_ASSIGN_OR_RAISE(auto rcast,
                       MakeCast(cp::field_ref(node.right_keys[i]), common, state_->registry()));
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
      combined.push_back(
          right.schema->field(i)->WithName(node.right_names[static_cast<size_t>(i)]));
    }
    CA_ASSIGN_OR_RAISE(
        filter, LowerScalar(*node.join_filter, *arrow::schema(combined), state_->resolver()));
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
  auto self = std::make_shared<PlanNode>(node);
  auto schema = node.schema;
  auto state = state_;
  auto options = options_;
  return StreamSource(
      schema, "gather_join", {node.inputs[0].get(), node.inputs[1].get()},
      [self, state, options]() -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
        PhysicalPlanner planner(state, options);
        const auto& left = *self->inputs[0];
        const auto& right = *self->inputs[1];
        CA_ASSIGN_OR_RAISE(auto left_table, planner.RunToTable(left));
        CA_ASSIGN_OR_RAISE(auto right_table, planner.RunToTable(right));
        std::vector<GatherSource> sources;
        std::vector<GatherOutput> outputs;
        // Build the slim inputs: flat columns plus a row index when the side has nested ones.
        auto slim = [&](const std::shared_ptr<arrow::Table>& table, const std::string& index_name,
                        const std::vector<std::string>& out_names,
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
          return arrow::Table::Make(arrow::schema(*slim_fields), columns, table->num_rows());
        };
        std::vector<std::shared_ptr<arrow::Field>> lf, rf;
        CA_ASSIGN_OR_RAISE(auto lslim,
                           slim(left_table, "__rowid_l", left.schema->field_names(), &lf));
        size_t left_sources = sources.size();
        CA_ASSIGN_OR_RAISE(auto rslim, slim(right_table, "__rowid_r", self->right_names, &rf));
        bool semi =
            self->join_type == JoinType::kLeftSemi || self->join_type == JoinType::kLeftAnti;
        std::vector<arrow::FieldRef> lkeys, rkeys;
        for (size_t i = 0; i < self->left_keys.size(); ++i) {
          const auto& lk = self->left_keys[i];
          const auto& rk = self->right_names[static_cast<size_t>(
              right.schema->GetFieldIndex(self->right_keys[i]))];
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
          CA_ASSIGN_OR_RAISE(lslim, lslim->AddColumn(lslim->num_columns(), arrow::field(ln, common),
                                                     lcast.chunked_array()));
          CA_ASSIGN_OR_RAISE(rslim, rslim->AddColumn(rslim->num_columns(), arrow::field(rn, common),
                                                     rcast.chunked_array()));
          lkeys.emplace_back(ln);
          rkeys.emplace_back(rn);
        }
        cp::Expression filter = cp::literal(true);
        if (self->join_filter) {
          std::vector<std::shared_ptr<arrow::Field>> combined = lf;
          combined.insert(combined.end(), rf.begin(), rf.end());
          CA_ASSIGN_OR_RAISE(
              filter, LowerScalar(*self->join_filter, *arrow::schema(combined), state->resolver()));
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
        auto map_side = [&](const std::shared_ptr<arrow::Table>& table,
                            const std::vector<std::string>& names, int source) -> Status {
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
          CA_RETURN_NOT_OK(
              map_side(right_table, self->right_names, static_cast<int>(left_sources)));
        }
        JoinExecOptions jopts;
        jopts.pool = state->memory_pool();
        jopts.stop_token = options.stop_token;
        return GatherJoinedColumns(std::move(joined), std::move(sources), std::move(outputs),
                                   jopts);
      });
}

Result<ac::Declaration> PhysicalPlanner::PlanNestedLoopJoin(const PlanNode& node) {
  auto self = std::make_shared<PlanNode>(node);
  auto state = state_;
  auto options = options_;
  return StreamSource(
      node.schema, "nested_loop_join", {node.inputs[0].get(), node.inputs[1].get()},
      [self, state, options]() -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
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
          auto right_name = self->right_names[static_cast<size_t>(
              right.schema->GetFieldIndex(self->right_keys[i]))];
          CA_ASSIGN_OR_RAISE(
              auto eq, LowerScalar(*Call("=", {Column(self->left_keys[i]), Column(right_name)}),
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

}  // namespace codeanatomy::engine
