// The Substrait producer: logical plan -> Substrait Plan (protobuf JSON mapping) -> binary.
#include <arrow/engine/substrait/util.h>

#include "common/tracing.h"
#include "engine/window_function.h"
#include "semantic/substrait.h"
#include "semantic/substrait_internal.h"

namespace codeanatomy::semantic {

namespace {

using engine::Expr;
using engine::ExprKind;
using engine::PlanKind;
using engine::PlanNode;
using namespace substrait_internal;  // NOLINT(build/namespaces)

JsonValue Object(std::initializer_list<std::pair<std::string_view, JsonValue>> members) {
  JsonValue out = JsonValue::MakeObject();
  for (const auto& [k, v] : members) out.Set(k, v);
  return out;
}

JsonValue Wrap(std::string_view key, JsonValue body) { return Object({{key, std::move(body)}}); }

JsonValue Emit(const std::vector<int>& mapping) {
  JsonValue out = JsonValue::MakeArray();
  for (int i : mapping) out.Append(i);
  return Object({{"emit", Object({{"outputMapping", std::move(out)}})}});
}

const char* SortDirection(const engine::SortKey& k) {
  if (k.ascending) {
    return k.nulls_first ? "SORT_DIRECTION_ASC_NULLS_FIRST" : "SORT_DIRECTION_ASC_NULLS_LAST";
  }
  return k.nulls_first ? "SORT_DIRECTION_DESC_NULLS_FIRST" : "SORT_DIRECTION_DESC_NULLS_LAST";
}

const char* SubstraitJoinType(engine::JoinType type) {
  switch (type) {
    case engine::JoinType::kInner:
      return "JOIN_TYPE_INNER";
    case engine::JoinType::kLeft:
      return "JOIN_TYPE_LEFT";
    case engine::JoinType::kRight:
      return "JOIN_TYPE_RIGHT";
    case engine::JoinType::kFull:
      return "JOIN_TYPE_OUTER";
    case engine::JoinType::kLeftSemi:
      return "JOIN_TYPE_SEMI";
    case engine::JoinType::kLeftAnti:
      return "JOIN_TYPE_ANTI";
  }
  return "JOIN_TYPE_UNSPECIFIED";
}

JsonValue Bound(const engine::WindowFrameBound& b) {
  using Kind = engine::WindowFrameBound::Kind;
  switch (b.kind) {
    case Kind::kUnboundedPreceding:
    case Kind::kUnboundedFollowing:
      return Wrap("unbounded", JsonValue::MakeObject());
    case Kind::kPreceding:
      return Wrap("preceding", Object({{"offset", std::to_string(b.offset)}}));
    case Kind::kFollowing:
      return Wrap("following", Object({{"offset", std::to_string(b.offset)}}));
    case Kind::kCurrentRow:
      break;
  }
  return Wrap("currentRow", JsonValue::MakeObject());
}

/// Writes one plan; collects the extension declarations its expressions use.
class PlanWriter {
 public:
  explicit PlanWriter(const engine::FunctionResolver& fr) : fr_(fr) {}

  Result<JsonValue> Plan(const PlanNode& root) {
    CA_ASSIGN_OR_RAISE(auto input, Rel(root));
    JsonValue names = JsonValue::MakeArray();
    for (auto& n : DepthFirstNames(*root.schema)) names.Append(std::move(n));
    JsonValue relation =
        Wrap("root", Object({{"input", std::move(input)}, {"names", std::move(names)}}));
    JsonValue plan = JsonValue::MakeObject();
    plan.Set("version",
             Object({{"majorNumber", static_cast<int64_t>(arrow::engine::kSubstraitMajorVersion)},
                     {"minorNumber", static_cast<int64_t>(arrow::engine::kSubstraitMinorVersion)},
                     {"patchNumber", static_cast<int64_t>(arrow::engine::kSubstraitPatchVersion)},
                     {"producer", "codeanatomy"}}));
    JsonValue relations = JsonValue::MakeArray();
    relations.Append(std::move(relation));
    plan.Set("relations", std::move(relations));
    ext_.WriteTo(&plan);
    return plan;
  }

 private:
  Result<JsonValue> Rel(const PlanNode& p) {
    switch (p.kind) {
      case PlanKind::kScan:
        return Scan(p);
      case PlanKind::kProjection: {
        CA_ASSIGN_OR_RAISE(auto input, Rel(*p.inputs[0]));
        const auto& in = *p.inputs[0]->schema;
        JsonValue exprs = JsonValue::MakeArray();
        std::vector<int> mapping;
        for (size_t i = 0; i < p.exprs.size(); ++i) {
          CA_ASSIGN_OR_RAISE(auto e, Write(*p.exprs[i], in));
          exprs.Append(std::move(e));
          mapping.push_back(in.num_fields() + static_cast<int>(i));
        }
        return Wrap("project", Object({{"common", Emit(mapping)},
                                       {"input", std::move(input)},
                                       {"expressions", std::move(exprs)}}));
      }
      case PlanKind::kFilter: {
        CA_ASSIGN_OR_RAISE(auto input, Rel(*p.inputs[0]));
        CA_ASSIGN_OR_RAISE(auto condition, Write(*p.predicate, *p.inputs[0]->schema));
        return Wrap("filter",
                    Object({{"input", std::move(input)}, {"condition", std::move(condition)}}));
      }
      case PlanKind::kAggregate:
        return Aggregate(p);
      case PlanKind::kDistinct: {
        // An aggregate grouping by every column, without measures.
        CA_ASSIGN_OR_RAISE(auto input, Rel(*p.inputs[0]));
        JsonValue keys = JsonValue::MakeArray();
        for (int i = 0; i < p.schema->num_fields(); ++i) keys.Append(Field(i));
        JsonValue groupings = JsonValue::MakeArray();
        groupings.Append(Object({{"groupingExpressions", std::move(keys)}}));
        return Wrap("aggregate",
                    Object({{"input", std::move(input)}, {"groupings", std::move(groupings)}}));
      }
      case PlanKind::kJoin:
        return Join(p);
      case PlanKind::kSort: {
        CA_ASSIGN_OR_RAISE(auto input, Rel(*p.inputs[0]));
        CA_ASSIGN_OR_RAISE(auto sorts, SortFields(p.sort_keys, *p.inputs[0]->schema));
        return Wrap("sort", Object({{"input", std::move(input)}, {"sorts", std::move(sorts)}}));
      }
      case PlanKind::kLimit: {
        CA_ASSIGN_OR_RAISE(auto input, Rel(*p.inputs[0]));
        return Wrap("fetch", Object({{"input", std::move(input)},
                                     {"offset", std::to_string(p.offset)},
                                     {"count", std::to_string(p.fetch)}}));
      }
      case PlanKind::kUnion: {
        JsonValue inputs = JsonValue::MakeArray();
        for (const auto& in : p.inputs) {
          CA_ASSIGN_OR_RAISE(auto rel, Rel(*in));
          inputs.Append(std::move(rel));
        }
        return Wrap("set",
                    Object({{"inputs", std::move(inputs)},
                            {"op", p.distinct ? "SET_OP_UNION_DISTINCT" : "SET_OP_UNION_ALL"}}));
      }
      case PlanKind::kWindow:
        return Window(p);
    }
    return NotSupported("relation", "unknown", "unknown plan node kind");
  }

  // The read: the whole table as base schema, the projection as emit, the pushed filters as
  // the read's filter (over the base schema) and again as a filter relation above the read
  // (over the projected columns), which is what Arrow's consumer applies.
  Result<JsonValue> Scan(const PlanNode& p) {
    const auto& full = *p.provider->schema();
    CA_ASSIGN_OR_RAISE(auto base, SchemaToNamedStruct(full, &ext_));
    JsonValue names = JsonValue::MakeArray();
    size_t start = 0;
    while (true) {
      size_t dot = p.table_name.find('.', start);
      names.Append(p.table_name.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    JsonValue read = Object(
        {{"baseSchema", std::move(base)}, {"namedTable", Object({{"names", std::move(names)}})}});
    bool identity = static_cast<int>(p.projection.size()) == full.num_fields();
    for (size_t i = 0; identity && i < p.projection.size(); ++i) {
      identity = p.projection[i] == static_cast<int>(i);
    }
    if (!identity) read.Set("common", Emit(p.projection));
    engine::ExprPtr filter = Conjoin(p.filters);
    if (filter) {
      CA_ASSIGN_OR_RAISE(auto base_filter, Write(*filter, full));
      read.Set("filter", std::move(base_filter));
    }
    JsonValue rel = Wrap("read", std::move(read));
    if (!filter) return rel;
    CA_ASSIGN_OR_RAISE(auto condition, Write(*filter, *p.schema));
    return Wrap("filter", Object({{"input", std::move(rel)}, {"condition", std::move(condition)}}));
  }

  Result<JsonValue> Aggregate(const PlanNode& p) {
    CA_ASSIGN_OR_RAISE(auto input, Rel(*p.inputs[0]));
    const auto& in = *p.inputs[0]->schema;
    JsonValue keys = JsonValue::MakeArray();
    for (const auto& g : p.group_by) {
      CA_ASSIGN_OR_RAISE(auto e, Write(*g, in));
      keys.Append(std::move(e));
    }
    JsonValue groupings = JsonValue::MakeArray();
    if (!p.group_by.empty()) groupings.Append(Object({{"groupingExpressions", std::move(keys)}}));
    JsonValue measures = JsonValue::MakeArray();
    for (size_t i = 0; i < p.aggregates.size(); ++i) {
      const Expr& call = engine::Unaliased(*p.aggregates[i]);
      if (call.kind != ExprKind::kCall) {
        return NotSupported("expression", engine::ToString(call), "not an aggregate call");
      }
      CA_ASSIGN_OR_RAISE(auto named, AggregateCallToSubstrait(call, fr_));
      const auto& field = p.schema->field(static_cast<int>(p.group_by.size() + i));
      JsonValue measure = JsonValue::MakeObject();
      CA_RETURN_NOT_OK(FunctionBody(named, call.args, in, *field->type(), &measure));
      measure.Set("phase", "AGGREGATION_PHASE_INITIAL_TO_RESULT");
      measure.Set("invocation",
                  call.distinct ? "AGGREGATION_INVOCATION_DISTINCT" : "AGGREGATION_INVOCATION_ALL");
      measures.Append(Object({{"measure", std::move(measure)}}));
    }
    JsonValue body = Object({{"input", std::move(input)}, {"groupings", std::move(groupings)}});
    body.Set("measures", std::move(measures));
    return Wrap("aggregate", std::move(body));
  }

  // One expression over left ++ right: the key equalities and the residual condition.
  Result<JsonValue> Join(const PlanNode& p) {
    CA_ASSIGN_OR_RAISE(auto left, Rel(*p.inputs[0]));
    CA_ASSIGN_OR_RAISE(auto right, Rel(*p.inputs[1]));
    const auto& ls = *p.inputs[0]->schema;
    const auto& rs = *p.inputs[1]->schema;
    std::vector<std::shared_ptr<arrow::Field>> fields = ls.fields();
    for (int i = 0; i < rs.num_fields(); ++i) {
      fields.push_back(rs.field(i)->WithName(p.right_names[static_cast<size_t>(i)]));
    }
    arrow::Schema combined(fields);
    std::vector<engine::ExprPtr> terms;
    for (size_t i = 0; i < p.left_keys.size(); ++i) {
      CA_ASSIGN_OR_RAISE(int ri, engine::ResolveColumn(rs, p.right_keys[i]));
      terms.push_back(engine::Call("=", {engine::Column(p.left_keys[i]),
                                         engine::Column(p.right_names[static_cast<size_t>(ri)])}));
    }
    if (p.join_filter) terms.push_back(p.join_filter);
    engine::ExprPtr condition = Conjoin(terms);
    if (!condition) condition = engine::Literal(arrow::MakeScalar(true));
    CA_ASSIGN_OR_RAISE(auto expression, Write(*condition, combined));
    return Wrap("join", Object({{"left", std::move(left)},
                                {"right", std::move(right)},
                                {"expression", std::move(expression)},
                                {"type", SubstraitJoinType(p.join_type)}}));
  }

  // One window relation per function: each appends its column, as the window node does.
  Result<JsonValue> Window(const PlanNode& p) {
    CA_ASSIGN_OR_RAISE(auto rel, Rel(*p.inputs[0]));
    const auto& in = *p.inputs[0]->schema;
    for (size_t i = 0; i < p.windows.size(); ++i) {
      const auto& w = p.windows[i];
      if (w.distinct) {
        return NotSupported("expression", engine::ToString(w), "DISTINCT window functions");
      }
      CA_ASSIGN_OR_RAISE(auto named, WindowCallToSubstrait(w, fr_));
      const auto& field = p.schema->field(in.num_fields() + static_cast<int>(i));
      JsonValue function = JsonValue::MakeObject();
      CA_RETURN_NOT_OK(FunctionBody(named, w.args, in, *field->type(), &function));
      function.Set("phase", "AGGREGATION_PHASE_INITIAL_TO_RESULT");
      function.Set("invocation", "AGGREGATION_INVOCATION_ALL");
      if (w.frame) {
        function.Set("boundsType", w.frame->units == engine::WindowFrameUnits::kRows
                                       ? "BOUNDS_TYPE_ROWS"
                                       : "BOUNDS_TYPE_RANGE");
        function.Set("lowerBound", Bound(w.frame->start));
        function.Set("upperBound", Bound(w.frame->end));
      }
      JsonValue functions = JsonValue::MakeArray();
      functions.Append(std::move(function));
      JsonValue partitions = JsonValue::MakeArray();
      for (const auto& e : w.partition_by) {
        CA_ASSIGN_OR_RAISE(auto pe, Write(*e, in));
        partitions.Append(std::move(pe));
      }
      CA_ASSIGN_OR_RAISE(auto sorts, SortFields(w.order_by, in));
      rel = Wrap("window", Object({{"input", std::move(rel)},
                                   {"windowFunctions", std::move(functions)},
                                   {"partitionExpressions", std::move(partitions)},
                                   {"sorts", std::move(sorts)}}));
    }
    return rel;
  }

  Result<JsonValue> SortFields(const std::vector<engine::SortKey>& keys, const arrow::Schema& in) {
    JsonValue sorts = JsonValue::MakeArray();
    for (const auto& k : keys) {
      CA_ASSIGN_OR_RAISE(auto e, Write(*k.expr, in));
      sorts.Append(Object({{"expr", std::move(e)}, {"direction", SortDirection(k)}}));
    }
    return sorts;
  }

  static JsonValue Field(int index) {
    JsonValue field = Object({{"field", static_cast<int64_t>(index)}});
    return Wrap("selection", Object({{"directReference", Wrap("structField", std::move(field))},
                                     {"rootReference", JsonValue::MakeObject()}}));
  }

  // functionReference, arguments, options and outputType of a call.
  Status FunctionBody(const SubstraitCall& named, const std::vector<engine::ExprPtr>& args,
                      const arrow::Schema& in, const arrow::DataType& type, JsonValue* out) {
    out->Set("functionReference", ext_.FunctionAnchor(named.id));
    JsonValue arguments = JsonValue::MakeArray();
    for (const auto& a : args) {
      CA_ASSIGN_OR_RAISE(auto value, Write(*a, in));
      arguments.Append(Object({{"value", std::move(value)}}));
    }
    out->Set("arguments", std::move(arguments));
    if (!named.options.empty()) {
      JsonValue options = JsonValue::MakeArray();
      for (const auto& [name, values] : named.options) {
        JsonValue prefs = JsonValue::MakeArray();
        for (const auto& v : values) prefs.Append(v);
        options.Append(Object({{"name", name}, {"preference", std::move(prefs)}}));
      }
      out->Set("options", std::move(options));
    }
    CA_ASSIGN_OR_RAISE(auto output_type, TypeToSubstrait(type, true, &ext_));
    out->Set("outputType", std::move(output_type));
    return Status::OK();
  }

  Result<JsonValue> Write(const Expr& e, const arrow::Schema& in) {
    switch (e.kind) {
      case ExprKind::kColumn: {
        CA_ASSIGN_OR_RAISE(int index, engine::ResolveColumn(in, e.name));
        return Field(index);
      }
      case ExprKind::kLiteral:
        return LiteralToSubstrait(*e.literal, &ext_);
      case ExprKind::kAlias:
        return Write(*e.args[0], in);
      case ExprKind::kCast: {
        CA_ASSIGN_OR_RAISE(auto input, Write(*e.args[0], in));
        CA_ASSIGN_OR_RAISE(auto type, TypeToSubstrait(*e.type, true, &ext_));
        return Wrap("cast", Object({{"type", std::move(type)},
                                    {"input", std::move(input)},
                                    {"failureBehavior", "FAILURE_BEHAVIOR_THROW_EXCEPTION"}}));
      }
      case ExprKind::kCase: {
        size_t pairs = (e.args.size() - (e.has_else ? 1 : 0)) / 2;
        JsonValue ifs = JsonValue::MakeArray();
        for (size_t i = 0; i < pairs; ++i) {
          CA_ASSIGN_OR_RAISE(auto cond, Write(*e.args[2 * i], in));
          CA_ASSIGN_OR_RAISE(auto then, Write(*e.args[2 * i + 1], in));
          ifs.Append(Object({{"if", std::move(cond)}, {"then", std::move(then)}}));
        }
        JsonValue body = Object({{"ifs", std::move(ifs)}});
        if (e.has_else) {
          CA_ASSIGN_OR_RAISE(auto other, Write(*e.args.back(), in));
          body.Set("else", std::move(other));
        }
        return Wrap("ifThen", std::move(body));
      }
      case ExprKind::kInList: {
        CA_ASSIGN_OR_RAISE(auto value, Write(*e.args[0], in));
        JsonValue options = JsonValue::MakeArray();
        for (size_t i = 1; i < e.args.size(); ++i) {
          CA_ASSIGN_OR_RAISE(auto item, Write(*e.args[i], in));
          options.Append(std::move(item));
        }
        JsonValue in_list =
            Wrap("singularOrList",
                 Object({{"value", std::move(value)}, {"options", std::move(options)}}));
        if (!e.negated) return in_list;
        auto positive = std::make_shared<Expr>(e);
        positive->negated = false;
        return Write(*engine::Call("not", {positive}), in);
      }
      case ExprKind::kCall: {
        if (fr_.IsAggregate(e.name)) {
          return NotSupported("expression", engine::ToString(e),
                              "aggregate call outside an aggregate: " + engine::ToString(e));
        }
        CA_ASSIGN_OR_RAISE(auto named, ScalarCallToSubstrait(e, fr_));
        CA_ASSIGN_OR_RAISE(auto field, engine::ScalarField(e, in, fr_));
        JsonValue body = JsonValue::MakeObject();
        CA_RETURN_NOT_OK(FunctionBody(named, e.args, in, *field->type(), &body));
        return Wrap("scalarFunction", std::move(body));
      }
    }
    return NotSupported("expression", engine::ToString(e), "unknown expression kind");
  }

  const engine::FunctionResolver& fr_;
  ExtensionWriter ext_;
};

}  // namespace

Result<std::string> PlanToSubstraitJson(const engine::PlanNode& plan,
                                        const engine::FunctionResolver& functions) {
  tracing::Span span("substrait.export_json");
  PlanWriter writer(functions);
  CA_ASSIGN_OR_RAISE(auto json, writer.Plan(plan));
  return json.ToJson();
}

Result<std::shared_ptr<arrow::Buffer>> PlanToSubstrait(const engine::PlanNode& plan,
                                                       const engine::FunctionResolver& functions) {
  tracing::Span span("substrait.export");
  CA_ASSIGN_OR_RAISE(auto json, PlanToSubstraitJson(plan, functions));
  auto binary = arrow::engine::SerializeJsonPlan(json);
  if (!binary.ok()) return InvalidPlan("$", "Arrow refused the plan: " + binary.status().message());
  return binary.MoveValueUnsafe();
}

Result<std::shared_ptr<arrow::Buffer>> DataFrameToSubstrait(const engine::DataFrame& df) {
  CA_ASSIGN_OR_RAISE(auto plan, df.OptimizedPlan());
  return PlanToSubstrait(*plan, df.state()->resolver());
}

}  // namespace codeanatomy::semantic
