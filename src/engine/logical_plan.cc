#include "engine/logical_plan.h"

#include <algorithm>
#include <set>
#include <unordered_set>

#include <arrow/acero/exec_plan.h>
#include <arrow/acero/options.h>
#include <arrow/compute/api_aggregate.h>
#include <arrow/table.h>

#include "engine/aggregate_call.h"
#include "engine/window_function.h"

namespace codeanatomy::engine {

namespace ac = arrow::acero;
namespace cp = arrow::compute;

namespace {

Status PlanningError(std::string_view code, std::string message, std::string details = "") {
  return InvalidError(stage::kPlanning, code, std::move(message), std::move(details));
}

std::shared_ptr<PlanNode> NewNode(PlanKind kind, std::vector<PlanPtr> inputs) {
  auto node = std::make_shared<PlanNode>();
  node->kind = kind;
  node->inputs = std::move(inputs);
  return node;
}

Status CheckUniqueNames(const std::vector<std::shared_ptr<arrow::Field>>& fields) {
  std::unordered_set<std::string> seen;
  for (const auto& f : fields) {
    if (!seen.insert(f->name()).second) {
      return PlanningError("DUPLICATE_COLUMN",
                           "duplicate output column name '" + f->name() +
                               "'; give one of them another name with alias()",
                           "{\"column\":" + JsonQuote(f->name()) + "}");
    }
  }
  return Status::OK();
}

bool IsBooleanOrNull(const arrow::DataType& t) {
  return t.id() == arrow::Type::BOOL || t.id() == arrow::Type::NA;
}

}  // namespace

Result<std::shared_ptr<arrow::DataType>> AggregateOutputType(
    const std::string& arrow_function,
    const std::vector<std::shared_ptr<arrow::DataType>>& arg_types, const FunctionResolver& fr) {
  std::vector<std::shared_ptr<arrow::Field>> fields;
  std::vector<arrow::FieldRef> targets;
  for (size_t i = 0; i < arg_types.size(); ++i) {
    fields.push_back(arrow::field("a" + std::to_string(i), arg_types[i]));
    targets.emplace_back(static_cast<int>(i));
  }
  fields.push_back(arrow::field("k", arrow::int64()));
  auto schema = arrow::schema(fields);
  CA_ASSIGN_OR_RAISE(auto empty, arrow::Table::MakeEmpty(schema));
  std::vector<cp::Aggregate> aggs;
  aggs.emplace_back("hash_" + arrow_function, DefaultAggregateOptions(arrow_function),
                    std::move(targets), "out");
  ac::Declaration decl = ac::Declaration::Sequence(
      {{"table_source", ac::TableSourceNodeOptions(empty)},
       {"aggregate", ac::AggregateNodeOptions(std::move(aggs), {arrow::FieldRef("k")})}});
  CA_ASSIGN_OR_RAISE(auto out, ac::DeclarationToSchema(decl, fr.registry()));
  CA_ASSIGN_OR_RAISE(auto field, arrow::FieldRef("out").GetOne(*out));
  return field->type();
}

namespace plan {

Result<PlanPtr> Scan(std::string table_name, std::shared_ptr<TableProvider> provider) {
  auto node = NewNode(PlanKind::kScan, {});
  node->table_name = std::move(table_name);
  node->schema = provider->schema();
  for (int i = 0; i < node->schema->num_fields(); ++i) node->projection.push_back(i);
  node->provider = std::move(provider);
  return node;
}

Result<PlanPtr> Projection(PlanPtr input, std::vector<ExprPtr> exprs, const FunctionResolver& fr) {
  if (exprs.empty()) {
    return PlanningError("EMPTY_PROJECTION", "a projection needs at least one expression");
  }
  std::vector<std::shared_ptr<arrow::Field>> fields;
  for (const auto& e : exprs) {
    CA_ASSIGN_OR_RAISE(auto field, ScalarField(*e, *input->schema, fr));
    fields.push_back(std::move(field));
  }
  CA_RETURN_NOT_OK(CheckUniqueNames(fields));
  auto node = NewNode(PlanKind::kProjection, {std::move(input)});
  node->exprs = std::move(exprs);
  node->schema = arrow::schema(std::move(fields));
  return node;
}

Result<PlanPtr> Filter(PlanPtr input, ExprPtr predicate, const FunctionResolver& fr) {
  CA_ASSIGN_OR_RAISE(auto field, ScalarField(*predicate, *input->schema, fr));
  if (!IsBooleanOrNull(*field->type())) {
    return PlanningError("TYPE_MISMATCH",
                         "filter predicate must be boolean, got " + field->type()->ToString() +
                             ": " + ToString(*predicate),
                         "{\"expression\":" + JsonQuote(ToString(*predicate)) + "}");
  }
  auto node = NewNode(PlanKind::kFilter, {input});
  node->predicate = std::move(predicate);
  node->schema = input->schema;
  return node;
}

Result<PlanPtr> Aggregate(PlanPtr input, std::vector<ExprPtr> group_by,
                          std::vector<ExprPtr> aggregates, const FunctionResolver& fr) {
  if (group_by.empty() && aggregates.empty()) {
    return PlanningError("EMPTY_AGGREGATE",
                         "an aggregate needs a group key or an aggregate function");
  }
  std::vector<std::shared_ptr<arrow::Field>> fields;
  for (const auto& g : group_by) {
    if (ContainsAggregate(*g, fr)) {
      return PlanningError("AGGREGATE_NOT_ALLOWED",
                           "aggregate function in GROUP BY: " + ToString(*g),
                           "{\"expression\":" + JsonQuote(ToString(*g)) + "}");
    }
    CA_ASSIGN_OR_RAISE(auto field, ScalarField(*g, *input->schema, fr));
    fields.push_back(std::move(field));
  }
  for (const auto& a : aggregates) {
    CA_ASSIGN_OR_RAISE(auto call, ResolveAggregateCall(*a, *input->schema, fr));
    auto type = AggregateOutputType(call.function, call.arg_types, fr);
    if (!type.ok()) {
      std::string types;
      for (const auto& t : call.arg_types) types += (types.empty() ? "" : ", ") + t->ToString();
      return PlanningError(
          "TYPE_MISMATCH",
          "aggregate " + ToString(*a) + " is not defined for argument type(s) (" + types + ")",
          "{\"expression\":" + JsonQuote(ToString(*a)) + "}");
    }
    fields.push_back(arrow::field(OutputName(*a), *type));
  }
  CA_RETURN_NOT_OK(CheckUniqueNames(fields));
  auto node = NewNode(PlanKind::kAggregate, {std::move(input)});
  node->group_by = std::move(group_by);
  node->aggregates = std::move(aggregates);
  node->schema = arrow::schema(std::move(fields));
  return node;
}

Result<PlanPtr> Join(PlanPtr left, PlanPtr right, JoinType type, std::vector<std::string> left_keys,
                     std::vector<std::string> right_keys, ExprPtr filter,
                     const FunctionResolver& fr, const std::string& suffix) {
  if (left_keys.size() != right_keys.size()) {
    return PlanningError("JOIN_KEY_MISMATCH", "join needs as many left keys as right keys (" +
                                                  std::to_string(left_keys.size()) + " vs " +
                                                  std::to_string(right_keys.size()) + ")");
  }
  for (size_t i = 0; i < left_keys.size(); ++i) {
    CA_ASSIGN_OR_RAISE(int li, ResolveColumn(*left->schema, left_keys[i]));
    CA_ASSIGN_OR_RAISE(int ri, ResolveColumn(*right->schema, right_keys[i]));
    const auto& lt = left->schema->field(li)->type();
    const auto& rt = right->schema->field(ri)->type();
    bool comparable =
        lt->Equals(*rt) || (arrow::is_numeric(lt->id()) && arrow::is_numeric(rt->id())) ||
        (arrow::is_base_binary_like(lt->id()) && arrow::is_base_binary_like(rt->id()));
    if (!comparable) {
      return PlanningError("TYPE_MISMATCH",
                           "join keys " + left_keys[i] + " (" + lt->ToString() + ") and " +
                               right_keys[i] + " (" + rt->ToString() + ") cannot be compared",
                           "{\"left_key\":" + JsonQuote(left_keys[i]) +
                               ",\"right_key\":" + JsonQuote(right_keys[i]) + "}");
    }
  }
  auto node = NewNode(PlanKind::kJoin, {left, right});
  node->join_type = type;
  node->left_keys = std::move(left_keys);
  node->right_keys = std::move(right_keys);
  std::set<std::string> taken;
  for (const auto& f : left->schema->fields()) taken.insert(f->name());
  std::vector<std::shared_ptr<arrow::Field>> combined;
  bool left_nullable = type == JoinType::kRight || type == JoinType::kFull;
  bool right_nullable = type == JoinType::kLeft || type == JoinType::kFull;
  for (const auto& f : left->schema->fields()) {
    combined.push_back(left_nullable ? f->WithNullable(true) : f);
  }
  for (const auto& f : right->schema->fields()) {
    std::string name = f->name();
    while (taken.count(name)) name += suffix;
    taken.insert(name);
    node->right_names.push_back(name);
    combined.push_back(f->WithName(name)->WithNullable(right_nullable || f->nullable()));
  }
  auto combined_schema = arrow::schema(combined);
  if (filter) {
    CA_ASSIGN_OR_RAISE(auto field, ScalarField(*filter, *combined_schema, fr));
    if (!IsBooleanOrNull(*field->type())) {
      return PlanningError("TYPE_MISMATCH", "join filter must be boolean: " + ToString(*filter),
                           "{\"expression\":" + JsonQuote(ToString(*filter)) + "}");
    }
    node->join_filter = std::move(filter);
  }
  if (type == JoinType::kLeftSemi || type == JoinType::kLeftAnti) {
    node->schema = left->schema;
  } else {
    node->schema = combined_schema;
  }
  return node;
}

Result<PlanPtr> Sort(PlanPtr input, std::vector<SortKey> keys, const FunctionResolver& fr) {
  if (keys.empty()) return PlanningError("EMPTY_SORT", "a sort needs at least one key");
  for (const auto& k : keys) {
    CA_ASSIGN_OR_RAISE(auto field, ScalarField(*k.expr, *input->schema, fr));
    (void)field;
  }
  auto node = NewNode(PlanKind::kSort, {input});
  node->sort_keys = std::move(keys);
  node->schema = input->schema;
  return node;
}

Result<PlanPtr> Limit(PlanPtr input, int64_t offset, int64_t fetch) {
  if (offset < 0 || fetch < -1) {
    return PlanningError(
        "INVALID_LIMIT", "limit and offset must not be negative",
        "{\"offset\":" + std::to_string(offset) + ",\"fetch\":" + std::to_string(fetch) + "}");
  }
  auto node = NewNode(PlanKind::kLimit, {input});
  node->offset = offset;
  node->fetch = fetch;
  node->schema = input->schema;
  return node;
}

Result<PlanPtr> Union(std::vector<PlanPtr> inputs, bool distinct) {
  if (inputs.empty()) return PlanningError("INVALID_UNION", "union of no inputs");
  const auto& first = *inputs[0]->schema;
  std::vector<std::shared_ptr<arrow::Field>> fields = first.fields();
  for (size_t i = 1; i < inputs.size(); ++i) {
    const auto& other = *inputs[i]->schema;
    if (other.num_fields() != first.num_fields()) {
      return PlanningError("UNION_SCHEMA_MISMATCH",
                           "union inputs have " + std::to_string(first.num_fields()) + " and " +
                               std::to_string(other.num_fields()) + " columns");
    }
    for (int c = 0; c < first.num_fields(); ++c) {
      if (!first.field(c)->type()->Equals(*other.field(c)->type())) {
        return PlanningError(
            "UNION_SCHEMA_MISMATCH",
            "union column " + std::to_string(c + 1) + " ('" + first.field(c)->name() + "') is " +
                first.field(c)->type()->ToString() + " in the first input but " +
                other.field(c)->type()->ToString() + " in input " + std::to_string(i + 1),
            "{\"column\":" + JsonQuote(first.field(c)->name()) + "}");
      }
      if (other.field(c)->nullable()) fields[c] = fields[c]->WithNullable(true);
    }
  }
  auto node = NewNode(PlanKind::kUnion, std::move(inputs));
  node->distinct = distinct;
  node->schema = arrow::schema(std::move(fields));
  return node;
}

Result<PlanPtr> Distinct(PlanPtr input) {
  auto node = NewNode(PlanKind::kDistinct, {input});
  node->schema = input->schema;
  return node;
}

Result<PlanPtr> Window(PlanPtr input, std::vector<WindowFunction> windows,
                       const FunctionResolver& fr) {
  if (windows.empty()) {
    return PlanningError("EMPTY_WINDOW", "a window node needs at least one window function");
  }
  std::vector<std::shared_ptr<arrow::Field>> fields = input->schema->fields();
  for (const auto& w : windows) {
    CA_ASSIGN_OR_RAISE(auto resolved, ResolveWindowFunction(w, *input->schema, fr));
    fields.push_back(resolved.field);
  }
  CA_RETURN_NOT_OK(CheckUniqueNames(fields));
  auto node = NewNode(PlanKind::kWindow, {input});
  node->windows = std::move(windows);
  node->schema = arrow::schema(std::move(fields));
  return node;
}

PlanPtr WithInputs(const PlanNode& node, std::vector<PlanPtr> inputs) {
  auto copy = std::make_shared<PlanNode>(node);
  copy->inputs = std::move(inputs);
  return copy;
}

}  // namespace plan

Result<JoinType> ParseJoinType(const std::string& name) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (n == "inner") return JoinType::kInner;
  if (n == "left" || n == "left_outer") return JoinType::kLeft;
  if (n == "right" || n == "right_outer") return JoinType::kRight;
  if (n == "full" || n == "outer" || n == "full_outer") return JoinType::kFull;
  if (n == "semi" || n == "left_semi" || n == "leftsemi") return JoinType::kLeftSemi;
  if (n == "anti" || n == "left_anti" || n == "leftanti") return JoinType::kLeftAnti;
  return InvalidError(
      stage::kPlanning, "INVALID_JOIN_TYPE",
      "unknown join type '" + name + "'; expected inner, left, right, full, semi or anti",
      "{\"join_type\":" + JsonQuote(name) + "}");
}

namespace {

std::string JoinList(const std::vector<ExprPtr>& exprs) {
  std::string out;
  for (size_t i = 0; i < exprs.size(); ++i) {
    if (i > 0) out += ", ";
    out += ToString(*exprs[i]);
  }
  return out;
}

void Explain(const PlanNode& p, int depth, std::string* out) {
  out->append(static_cast<size_t>(depth) * 2, ' ');
  switch (p.kind) {
    case PlanKind::kScan: {
      *out += "TableScan: " + p.table_name + " [" + p.provider->kind() + "] projection=[";
      for (size_t i = 0; i < p.projection.size(); ++i) {
        if (i > 0) *out += ", ";
        *out += p.provider->schema()->field(p.projection[i])->name();
      }
      *out += "]";
      if (!p.filters.empty()) *out += " filters=[" + JoinList(p.filters) + "]";
      break;
    }
    case PlanKind::kProjection:
      *out += "Projection: " + JoinList(p.exprs);
      break;
    case PlanKind::kFilter:
      *out += "Filter: " + ToString(*p.predicate);
      break;
    case PlanKind::kAggregate:
      *out +=
          "Aggregate: groupBy=[" + JoinList(p.group_by) + "] aggr=[" + JoinList(p.aggregates) + "]";
      break;
    case PlanKind::kJoin: {
      *out += std::string(JoinTypeName(p.join_type)) + " join: on=[";
      for (size_t i = 0; i < p.left_keys.size(); ++i) {
        if (i > 0) *out += ", ";
        *out +=
            p.left_keys[i] + " = " +
            p.right_names[static_cast<size_t>(p.inputs[1]->schema->GetFieldIndex(p.right_keys[i]))];
      }
      *out += "]";
      if (p.join_filter) *out += " filter=" + ToString(*p.join_filter);
      break;
    }
    case PlanKind::kSort: {
      *out += "Sort: ";
      for (size_t i = 0; i < p.sort_keys.size(); ++i) {
        if (i > 0) *out += ", ";
        *out += ToString(*p.sort_keys[i].expr) + (p.sort_keys[i].ascending ? " ASC" : " DESC") +
                (p.sort_keys[i].nulls_first ? " NULLS FIRST" : " NULLS LAST");
      }
      break;
    }
    case PlanKind::kLimit:
      *out += "Limit: skip=" + std::to_string(p.offset) +
              " fetch=" + (p.fetch < 0 ? std::string("None") : std::to_string(p.fetch));
      break;
    case PlanKind::kUnion:
      *out += p.distinct ? "Union: distinct" : "Union: all";
      break;
    case PlanKind::kDistinct:
      *out += "Distinct";
      break;
    case PlanKind::kWindow: {
      *out += "Window: ";
      for (size_t i = 0; i < p.windows.size(); ++i) {
        if (i > 0) *out += ", ";
        *out += ToString(p.windows[i]);
      }
      break;
    }
  }
  *out += "\n";
  for (const auto& in : p.inputs) Explain(*in, depth + 1, out);
}

}  // namespace

std::string ExplainLogical(const PlanNode& plan) {
  std::string out;
  Explain(plan, 0, &out);
  return out;
}

}  // namespace codeanatomy::engine
