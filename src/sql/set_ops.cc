// Binding set operations (UNION [ALL], INTERSECT, EXCEPT) and VALUES lists.
#include <algorithm>
#include <cctype>

#include <arrow/array/util.h>
#include <arrow/compute/api.h>
#include <arrow/table.h>

#include "engine/table_provider.h"
#include "engine/view.h"
#include "sql/binder.h"
#include "sql/binder_util.h"
#include "sql/parse_tree.h"

namespace codeanatomy::sql {

using engine::Expr;
using engine::ExprKind;
using engine::JoinType;
using namespace internal;  // NOLINT(build/namespaces)

Result<BoundRelation> Binder::CastColumns(
    BoundRelation rel, const std::vector<std::shared_ptr<arrow::DataType>>& types) {
  std::vector<ExprPtr> exprs;
  bool changed = false;
  for (size_t i = 0; i < rel.columns.size(); ++i) {
    const auto& f = rel.plan->schema->GetFieldByName(rel.columns[i].field);
    if (!f->type()->Equals(*types[i])) {
      std::string name = FreshName("cast_");
      exprs.push_back(
          engine::Alias(engine::Cast(engine::Column(rel.columns[i].field), types[i]), name));
      rel.columns[i].field = name;
      changed = true;
    } else {
      exprs.push_back(engine::Column(rel.columns[i].field));
    }
  }
  if (changed) {
    CA_ASSIGN_OR_RAISE(rel.plan, engine::plan::Projection(rel.plan, exprs, fr_));
  }
  return rel;
}

Result<BoundRelation> Binder::BindSetOp(const JsonValue& select, const ExprScope* outer) {
  std::string op = Member(select, "op").string_value();
  bool all = Flag(select, "all");
  CA_ASSIGN_OR_RAISE(auto left, BindQuery(Member(select, "larg"), outer));
  CA_ASSIGN_OR_RAISE(auto right, BindQuery(Member(select, "rarg"), outer));
  if (left.columns.size() != right.columns.size()) {
    return ErrorAt("SET_OPERATION_COLUMN_MISMATCH",
                   "each " + op.substr(6) + " query must have the same number of columns (" +
                       std::to_string(left.columns.size()) + " vs " +
                       std::to_string(right.columns.size()) + ")",
                   select);
  }
  std::vector<std::shared_ptr<arrow::DataType>> types;
  for (size_t i = 0; i < left.columns.size(); ++i) {
    auto lt = left.plan->schema->GetFieldByName(left.columns[i].field)->type();
    auto rt = right.plan->schema->GetFieldByName(right.columns[i].field)->type();
    auto common = CommonType(lt, rt);
    if (!common) {
      return ErrorAt("TYPE_MISMATCH",
                     op.substr(6) + " types " + lt->ToString() + " and " + rt->ToString() +
                         " cannot be matched (column " + std::to_string(i + 1) + ")",
                     select);
    }
    types.push_back(common);
  }
  CA_ASSIGN_OR_RAISE(left, CastColumns(std::move(left), types));
  CA_ASSIGN_OR_RAISE(right, CastColumns(std::move(right), types));
  // Both sides as plain column lists in output order.
  auto normalize = [&](const BoundRelation& rel, std::vector<ExprPtr> extra) -> Result<PlanPtr> {
    std::vector<ExprPtr> exprs;
    for (size_t i = 0; i < rel.columns.size(); ++i) {
      exprs.push_back(engine::Alias(engine::Column(rel.columns[i].field), PositionalName(i)));
    }
    for (auto& e : extra) exprs.push_back(std::move(e));
    return engine::plan::Projection(rel.plan, std::move(exprs), fr_);
  };
  BoundRelation out;
  if (op == "SETOP_UNION") {
    CA_ASSIGN_OR_RAISE(auto l, normalize(left, {}));
    CA_ASSIGN_OR_RAISE(auto r, normalize(right, {}));
    CA_ASSIGN_OR_RAISE(out.plan, engine::plan::Union({l, r}, !all));
  } else {
    // INTERSECT / EXCEPT (set semantics, NULLs equal): tag each side, group by every column.
    // The ALL forms number the copies of each row on each side first (row_number over all
    // columns), so that copy k of a row meets copy k of the other side.
    auto one = engine::Literal(arrow::MakeScalar(int32_t{1}));
    auto zero = engine::Literal(arrow::MakeScalar(int32_t{0}));
    std::vector<ExprPtr> keys;
    for (size_t i = 0; i < left.columns.size(); ++i) {
      keys.push_back(engine::Column(PositionalName(i)));
    }
    auto side = [&](const BoundRelation& rel, bool is_left) -> Result<PlanPtr> {
      CA_ASSIGN_OR_RAISE(auto p, normalize(rel, {engine::Alias(is_left ? one : zero, "in_l"),
                                                 engine::Alias(is_left ? zero : one, "in_r")}));
      if (!all) return p;
      engine::WindowFunction copy;
      copy.function = "row_number";
      copy.partition_by = keys;
      copy.output_name = "copy_n";
      return engine::plan::Window(p, {copy}, fr_);
    };
    CA_ASSIGN_OR_RAISE(auto l, side(left, true));
    CA_ASSIGN_OR_RAISE(auto r, side(right, false));
    CA_ASSIGN_OR_RAISE(auto both, engine::plan::Union({l, r}, false));
    std::vector<ExprPtr> group = keys;
    if (all) group.push_back(engine::Column("copy_n"));
    CA_ASSIGN_OR_RAISE(
        auto agg,
        engine::plan::Aggregate(
            both, group,
            {engine::Alias(engine::AggregateCall("max", {engine::Column("in_l")}), "in_l"),
             engine::Alias(engine::AggregateCall("max", {engine::Column("in_r")}), "in_r")},
            fr_));
    ExprPtr keep = engine::Call(
        "and", {engine::Call("=", {engine::Column("in_l"), one}),
                engine::Call("=", {engine::Column("in_r"), op == "SETOP_INTERSECT" ? one : zero})});
    CA_ASSIGN_OR_RAISE(auto filtered, engine::plan::Filter(agg, keep, fr_));
    CA_ASSIGN_OR_RAISE(out.plan, engine::plan::Projection(filtered, keys, fr_));
  }
  for (size_t i = 0; i < left.columns.size(); ++i) {
    out.columns.push_back({"", left.columns[i].name, PositionalName(i), false});
  }
  CA_RETURN_NOT_OK(ApplyOrderByOutputs(select, &out));
  CA_RETURN_NOT_OK(ApplyLimit(select, &out));
  return out;
}

Status Binder::ApplyOrderByOutputs(const JsonValue& select, BoundRelation* rel) {
  // ORDER BY over a set operation or VALUES: output names and ordinals only.
  const JsonValue& sort = Member(select, "sortClause");
  if (!sort.is_array()) return Status::OK();
  std::vector<engine::SortKey> keys;
  for (const JsonValue& s : sort.array_value()) {
    const JsonValue& node = Member(NodeBody(s), "node");
    ExprScope scope;
    scope.rel = rel;
    scope.clause = "ORDER BY";
    ExprPtr e;
    if (NodeType(node) == "A_Const" && Member(NodeBody(node), "ival").is_object()) {
      CA_ASSIGN_OR_RAISE(int64_t pos, ConstantInt(node, "ORDER BY position"));
      if (pos < 1 || pos > static_cast<int64_t>(rel->columns.size())) {
        return ErrorAt("INVALID_ORDER_BY",
                       "ORDER BY position " + std::to_string(pos) + " is not in select list", node);
      }
      e = engine::Column(rel->columns[pos - 1].field);
    } else {
      CA_ASSIGN_OR_RAISE(e, BindExpr(node, scope));
    }
    CA_ASSIGN_OR_RAISE(auto key, SortKeyOf(s, e));
    keys.push_back(std::move(key));
  }
  CA_ASSIGN_OR_RAISE(rel->plan, engine::plan::Sort(rel->plan, std::move(keys), fr_));
  return Status::OK();
}

Result<BoundRelation> Binder::BindValues(const JsonValue& select) {
  const JsonArray& rows = Items(Member(select, "valuesLists"));
  size_t width = 0;
  std::vector<std::vector<std::shared_ptr<arrow::Scalar>>> cells;
  for (const JsonValue& row : rows) {
    const JsonArray& items = Items(Member(NodeBody(row), "items"));
    if (width == 0) width = items.size();
    if (items.size() != width) {
      return ErrorAt("VALUES_WIDTH_MISMATCH", "VALUES lists must all be the same length", row);
    }
    std::vector<std::shared_ptr<arrow::Scalar>> values;
    for (const JsonValue& item : items) {
      ExprScope scope;
      scope.clause = "VALUES";
      CA_ASSIGN_OR_RAISE(auto e, BindExpr(item, scope));
      e = engine::FoldConstants(e, fr_);
      if (e->kind != ExprKind::kLiteral) {
        return ErrorAt("NOT_SUPPORTED", "not supported: non-constant VALUES items", item);
      }
      values.push_back(e->literal);
    }
    cells.push_back(std::move(values));
  }
  std::vector<std::shared_ptr<arrow::Field>> fields;
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  BoundRelation rel;
  for (size_t c = 0; c < width; ++c) {
    std::shared_ptr<arrow::DataType> type = arrow::null();
    for (const auto& row : cells) {
      auto common = CommonType(type, row[c]->type);
      if (!common) {
        return ErrorAt("TYPE_MISMATCH",
                       "VALUES column " + std::to_string(c + 1) + " mixes types " +
                           type->ToString() + " and " + row[c]->type->ToString(),
                       select);
      }
      type = common;
    }
    std::unique_ptr<arrow::ArrayBuilder> builder;
    CA_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), type, &builder));
    for (const auto& row : cells) {
      auto value = row[c];
      if (!value->type->Equals(*type)) {
        if (value->is_valid) {
          CA_ASSIGN_OR_RAISE(auto cast, arrow::compute::Cast(value, type));
          value = cast.scalar();
        } else {
          value = arrow::MakeNullScalar(type);
        }
      }
      CA_RETURN_NOT_OK(builder->AppendScalar(*value));
    }
    std::shared_ptr<arrow::Array> array;
    CA_RETURN_NOT_OK(builder->Finish(&array));
    std::string name = "column" + std::to_string(c + 1);
    fields.push_back(arrow::field(name, type));
    arrays.push_back(array);
    rel.columns.push_back({"", name, name, false});
  }
  auto table =
      arrow::Table::Make(arrow::schema(fields), arrays, static_cast<int64_t>(cells.size()));
  CA_ASSIGN_OR_RAISE(auto provider, engine::MemoryTableProvider::Make(table));
  CA_ASSIGN_OR_RAISE(rel.plan, engine::plan::Scan("(values)", provider));
  CA_RETURN_NOT_OK(ApplyOrderByOutputs(select, &rel));
  CA_RETURN_NOT_OK(ApplyLimit(select, &rel));
  return rel;
}

}  // namespace codeanatomy::sql
