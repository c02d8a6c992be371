// The Substrait consumer: binary plan -> protobuf JSON (Arrow) -> logical plan of a session.
// Relations are positional in Substrait and named in the engine: columns the plan computes get
// names from their expressions (made unique), and the root's names are applied at the end.
#include <set>

#include "common/tracing.h"
#include "engine/window_udf.h"
#include "semantic/substrait.h"
#include "semantic/substrait_internal.h"

namespace codeanatomy::semantic {

namespace {

using engine::ExprPtr;
using engine::PlanPtr;
using namespace substrait_internal;  // NOLINT(build/namespaces)

std::vector<std::string> NamesOf(const PlanPtr& plan) { return plan->schema->field_names(); }

std::string UniqueName(const std::string& base, std::set<std::string>* taken) {
  std::string name = base;
  for (int i = 1; taken->count(name); ++i) name = base + "_" + std::to_string(i);
  taken->insert(name);
  return name;
}

// `expr` named `name` (an alias only when its own output name differs).
ExprPtr Named(ExprPtr expr, const std::string& name) {
  return engine::OutputName(*expr) == name ? expr : engine::Alias(std::move(expr), name);
}

Status SchemaMismatch(const std::string& table, const std::string& column,
                      const std::string& message) {
  JsonValue details = JsonValue::MakeObject();
  details.Set("table", table);
  details.Set("column", column);
  return InvalidError(kStage, "SUBSTRAIT_SCHEMA_MISMATCH",
                      "table " + table + " does not match the plan's base schema: " + message,
                      details.ToJson());
}

Result<std::vector<int>> EmitMapping(const JsonValue& rel, size_t width, const std::string& path) {
  std::vector<int> out;
  const JsonValue* common = Member(rel, "common");
  const JsonValue* emit = common ? Member(*common, "emit") : nullptr;
  if (!emit) return out;
  std::string at = JsonPathAppendKey(JsonPathAppendKey(path, "common"), "emit");
  CA_ASSIGN_OR_RAISE(auto mapping, ArrayMember(*emit, "outputMapping", at));
  for (size_t i = 0; i < mapping.size(); ++i) {
    std::string item = JsonPathAppendIndex(JsonPathAppendKey(at, "outputMapping"), i);
    if (!mapping[i]->is_int() || mapping[i]->int_value() < 0 ||
        mapping[i]->int_value() >= static_cast<int64_t>(width)) {
      return InvalidPlan(
          item, "output mapping entry out of range (" + std::to_string(width) + " columns)");
    }
    out.push_back(static_cast<int>(mapping[i]->int_value()));
  }
  if (out.empty()) return InvalidPlan(at, "an emit needs at least one column");
  return out;
}

class PlanReader {
 public:
  PlanReader(engine::SessionState& state, const ExtensionReader& ext)
      : state_(state), fr_(state.resolver()), ext_(ext) {}

  Result<PlanPtr> Root(const JsonValue& plan) {
    CA_ASSIGN_OR_RAISE(auto relations, ArrayMember(plan, "relations", "$"));
    for (size_t i = 0; i < relations.size(); ++i) {
      std::string at = JsonPathAppendIndex("$.relations", i);
      const JsonValue* root = Member(*relations[i], "root");
      if (!root) continue;
      at = JsonPathAppendKey(at, "root");
      const JsonValue* input = Member(*root, "input");
      if (!input) return InvalidPlan(at, "a root relation needs an input");
      CA_ASSIGN_OR_RAISE(auto rel, Rel(*input, JsonPathAppendKey(at, "input")));
      return Rename(rel, *root, at);
    }
    if (relations.size() == 1 && Member(*relations[0], "rel")) {
      return Rel(*Member(*relations[0], "rel"), "$.relations[0].rel");
    }
    return InvalidPlan("$.relations", "the plan has no root relation");
  }

 private:
  // The root's depth-first names, applied to the top-level columns.
  Result<PlanPtr> Rename(const PlanPtr& rel, const JsonValue& root, const std::string& path) {
    CA_ASSIGN_OR_RAISE(auto names, ArrayMember(root, "names", path));
    if (names.empty()) return rel;
    auto expected = DepthFirstNames(*rel->schema);
    if (names.size() != expected.size()) {
      return InvalidPlan(JsonPathAppendKey(path, "names"),
                         std::to_string(names.size()) + " names for " +
                             std::to_string(expected.size()) + " (depth-first) output fields");
    }
    std::vector<ExprPtr> items;
    bool changed = false;
    size_t k = 0;
    for (const auto& field : rel->schema->fields()) {
      if (!names[k]->is_string())
        return InvalidPlan(JsonPathAppendKey(path, "names"), "not a string");
      const std::string& name = names[k]->string_value();
      changed |= name != field->name();
      items.push_back(Named(engine::Column(field->name()), name));
      k += DepthFirstNames(arrow::Schema({field})).size();
    }
    if (!changed) return rel;
    return engine::plan::Projection(rel, std::move(items), fr_);
  }

  Result<ExprPtr> Expr(const JsonValue& expr, const std::vector<std::string>& names,
                       const std::string& path) {
    CA_ASSIGN_OR_RAISE(auto e, ExprFromSubstrait(expr, names, ext_, path));
    CA_RETURN_NOT_OK(CheckFunctions(*e));
    return e;
  }

  // Every call resolves in the session's registry (so a session's UDFs replay).
  Status CheckFunctions(const engine::Expr& e) {
    if (e.kind == engine::ExprKind::kCall && !fr_.Resolve(e.name).ok()) {
      return UnknownFunction(kCodeanatomyFunctionsUri, e.name,
                             "the session has no function of this name");
    }
    for (const auto& a : e.args) CA_RETURN_NOT_OK(CheckFunctions(*a));
    return Status::OK();
  }

  Result<PlanPtr> Rel(const JsonValue& rel, const std::string& path) {
    static const std::vector<std::string> kKinds = {
        "read",           "filter",   "fetch",  "aggregate",       "sort",
        "join",           "project",  "set",    "window",          "cross",
        "reference",      "write",    "ddl",    "hashJoin",        "mergeJoin",
        "nestedLoopJoin", "exchange", "expand", "extensionSingle", "extensionMulti",
        "extensionLeaf"};
    CA_ASSIGN_OR_RAISE(auto kind, OneOf(rel, kKinds, path, "relation"));
    const auto& [name, body] = kind;
    std::string at = JsonPathAppendKey(path, name);
    if (name == "read") return Read(*body, at);
    if (name == "project") return Project(*body, at);
    PlanPtr out;
    if (name == "filter") {
      CA_ASSIGN_OR_RAISE(out, Filter(*body, at));
    } else if (name == "fetch") {
      CA_ASSIGN_OR_RAISE(auto input, Input(*body, "input", at));
      CA_ASSIGN_OR_RAISE(int64_t offset, IntMember(*body, "offset", at, 0));
      CA_ASSIGN_OR_RAISE(int64_t count, IntMember(*body, "count", at, 0));
      if (offset < 0 || count < -1) return InvalidPlan(at, "negative offset or count");
      CA_ASSIGN_OR_RAISE(out, engine::plan::Limit(input, offset, count));
    } else if (name == "aggregate") {
      CA_ASSIGN_OR_RAISE(out, Aggregate(*body, at));
    } else if (name == "sort") {
      CA_ASSIGN_OR_RAISE(auto input, Input(*body, "input", at));
      CA_ASSIGN_OR_RAISE(auto keys, SortKeys(*body, NamesOf(input), at));
      CA_ASSIGN_OR_RAISE(out, engine::plan::Sort(input, std::move(keys), fr_));
    } else if (name == "join") {
      CA_ASSIGN_OR_RAISE(out, Join(*body, at));
    } else if (name == "set") {
      CA_ASSIGN_OR_RAISE(out, Set(*body, at));
    } else if (name == "window") {
      CA_ASSIGN_OR_RAISE(out, Window(*body, at));
    } else {
      return NotSupported("relation", name,
                          "Substrait relation '" + name + "' (at " + path + ") is not supported");
    }
    return ApplyEmit(out, *body, at);
  }

  Result<PlanPtr> Input(const JsonValue& body, std::string_view key, const std::string& path) {
    const JsonValue* input = Member(body, key);
    if (!input) return InvalidPlan(path, "missing '" + std::string(key) + "'");
    return Rel(*input, JsonPathAppendKey(path, key));
  }

  Result<PlanPtr> ApplyEmit(const PlanPtr& input, const JsonValue& body, const std::string& path) {
    auto names = NamesOf(input);
    CA_ASSIGN_OR_RAISE(auto mapping, EmitMapping(body, names.size(), path));
    if (mapping.empty()) return input;
    std::set<std::string> taken;
    std::vector<ExprPtr> items;
    for (int i : mapping) {
      const auto& n = names[static_cast<size_t>(i)];
      items.push_back(Named(engine::Column(n), UniqueName(n, &taken)));
    }
    return engine::plan::Projection(input, std::move(items), fr_);
  }

  Result<PlanPtr> Read(const JsonValue& body, const std::string& path) {
    for (const char* other : {"virtualTable", "localFiles", "extensionTable"}) {
      if (Member(body, other)) {
        return NotSupported("relation", std::string("read.") + other,
                            std::string("reads of ") + other + " (only named tables replay)");
      }
    }
    const JsonValue* named = Member(body, "namedTable");
    if (!named) return InvalidPlan(path, "a read needs a named table");
    CA_ASSIGN_OR_RAISE(auto parts,
                       ArrayMember(*named, "names", JsonPathAppendKey(path, "namedTable")));
    std::string table;
    for (const auto* p : parts) {
      if (!p->is_string()) return InvalidPlan(JsonPathAppendKey(path, "namedTable"), "not a name");
      table += (table.empty() ? "" : ".") + p->string_value();
    }
    if (table.empty()) return InvalidPlan(JsonPathAppendKey(path, "namedTable"), "no table name");
    const JsonValue* base_json = Member(body, "baseSchema");
    if (!base_json) return InvalidPlan(path, "a read needs a base schema");
    CA_ASSIGN_OR_RAISE(
        auto base, SchemaFromNamedStruct(*base_json, ext_, JsonPathAppendKey(path, "baseSchema")));
    auto provider = state_.catalog().Lookup(table);
    if (!provider.ok()) {
      JsonValue details = JsonValue::MakeObject();
      details.Set("table", table);
      return InvalidError(kStage, "SUBSTRAIT_UNKNOWN_TABLE",
                          "the plan reads table " + table +
                              ", which the session does not have: " + provider.status().message(),
                          details.ToJson());
    }
    const auto& actual = *(*provider)->schema();
    if (actual.num_fields() != base->num_fields()) {
      return SchemaMismatch(table, "",
                            "the table has " + std::to_string(actual.num_fields()) +
                                " columns, the plan " + std::to_string(base->num_fields()));
    }
    for (int i = 0; i < base->num_fields(); ++i) {
      const auto& want = *base->field(i);
      const auto& have = *actual.field(i);
      if (want.name() != have.name() || !want.type()->Equals(*have.type())) {
        return SchemaMismatch(table, want.name(),
                              "column " + std::to_string(i + 1) + " is " + have.name() + " " +
                                  have.type()->ToString() + " in the table but " + want.name() +
                                  " " + want.type()->ToString() + " in the plan");
      }
    }
    CA_ASSIGN_OR_RAISE(PlanPtr out, engine::plan::Scan(table, *provider));
    auto names = base->field_names();
    if (const JsonValue* filter = Member(body, "filter")) {
      CA_ASSIGN_OR_RAISE(auto condition, Expr(*filter, names, JsonPathAppendKey(path, "filter")));
      CA_ASSIGN_OR_RAISE(out, engine::plan::Filter(out, std::move(condition), fr_));
    }
    CA_ASSIGN_OR_RAISE(auto mapping, EmitMapping(body, names.size(), path));
    if (const JsonValue* mask = Member(body, "projection")) {
      if (!mapping.empty()) return InvalidPlan(path, "a read with both emit and projection");
      const JsonValue* select = Member(*mask, "select");
      std::string at = JsonPathAppendKey(JsonPathAppendKey(path, "projection"), "select");
      CA_ASSIGN_OR_RAISE(auto items,
                         ArrayMember(select ? *select : JsonValue(), "structItems", at));
      for (const auto* item : items) {
        if (Member(*item, "child")) {
          return NotSupported("relation", "read.projection", "nested projection masks");
        }
        CA_ASSIGN_OR_RAISE(int64_t field, IntMember(*item, "field", at));
        if (field < 0 || field >= static_cast<int64_t>(names.size())) {
          return InvalidPlan(at, "projected field out of range");
        }
        mapping.push_back(static_cast<int>(field));
      }
    }
    if (mapping.empty()) return out;
    std::set<std::string> taken;
    std::vector<ExprPtr> items;
    for (int i : mapping) {
      const auto& n = names[static_cast<size_t>(i)];
      items.push_back(Named(engine::Column(n), UniqueName(n, &taken)));
    }
    return engine::plan::Projection(out, std::move(items), fr_);
  }

  Result<PlanPtr> Filter(const JsonValue& body, const std::string& path) {
    CA_ASSIGN_OR_RAISE(auto input, Input(body, "input", path));
    const JsonValue* condition = Member(body, "condition");
    if (!condition) return InvalidPlan(path, "a filter needs a condition");
    CA_ASSIGN_OR_RAISE(auto predicate,
                       Expr(*condition, NamesOf(input), JsonPathAppendKey(path, "condition")));
    // The producer repeats a read's filter above it (see substrait.h): apply it once.
    const JsonValue* read = Member(*Member(body, "input"), "read");
    if (const JsonValue* pushed = read ? Member(*read, "filter") : nullptr) {
      const JsonValue* base = Member(*read, "baseSchema");
      auto base_names =
          base ? ArrayMember(*base, "names", path) : Result<std::vector<const JsonValue*>>();
      std::vector<std::string> names;
      if (base_names.ok()) {
        for (const auto* n : *base_names) names.push_back(n->is_string() ? n->string_value() : "");
      }
      auto same = ExprFromSubstrait(*pushed, names, ext_, path);
      if (same.ok() && engine::ToString(**same) == engine::ToString(*predicate)) return input;
    }
    return engine::plan::Filter(input, std::move(predicate), fr_);
  }

  Result<PlanPtr> Project(const JsonValue& body, const std::string& path) {
    CA_ASSIGN_OR_RAISE(auto input, Input(body, "input", path));
    auto names = NamesOf(input);
    CA_ASSIGN_OR_RAISE(auto expr_json, ArrayMember(body, "expressions", path));
    std::vector<ExprPtr> exprs;
    for (size_t i = 0; i < expr_json.size(); ++i) {
      CA_ASSIGN_OR_RAISE(auto e,
                         Expr(*expr_json[i], names,
                              JsonPathAppendIndex(JsonPathAppendKey(path, "expressions"), i)));
      exprs.push_back(std::move(e));
    }
    CA_ASSIGN_OR_RAISE(auto mapping, EmitMapping(body, names.size() + exprs.size(), path));
    if (mapping.empty()) {
      for (size_t i = 0; i < names.size() + exprs.size(); ++i)
        mapping.push_back(static_cast<int>(i));
    }
    std::set<std::string> taken;
    std::vector<ExprPtr> items;
    for (int m : mapping) {
      auto index = static_cast<size_t>(m);
      ExprPtr item =
          index < names.size() ? engine::Column(names[index]) : exprs[index - names.size()];
      items.push_back(Named(item, UniqueName(engine::OutputName(*item), &taken)));
    }
    return engine::plan::Projection(input, std::move(items), fr_);
  }

  Result<std::vector<engine::SortKey>> SortKeys(const JsonValue& body,
                                                const std::vector<std::string>& names,
                                                const std::string& path) {
    CA_ASSIGN_OR_RAISE(auto sorts, ArrayMember(body, "sorts", path));
    std::vector<engine::SortKey> keys;
    for (size_t i = 0; i < sorts.size(); ++i) {
      std::string at = JsonPathAppendIndex(JsonPathAppendKey(path, "sorts"), i);
      const JsonValue* e = Member(*sorts[i], "expr");
      if (!e) return InvalidPlan(at, "a sort field needs an expression");
      if (Member(*sorts[i], "comparisonFunctionReference")) {
        return NotSupported("relation", "sort.comparisonFunctionReference",
                            "sorts by a comparison function");
      }
      CA_ASSIGN_OR_RAISE(auto direction,
                         StringMember(*sorts[i], "direction", at, "SORT_DIRECTION_ASC_NULLS_LAST"));
      engine::SortKey key;
      CA_ASSIGN_OR_RAISE(key.expr, Expr(*e, names, JsonPathAppendKey(at, "expr")));
      if (direction == "SORT_DIRECTION_ASC_NULLS_FIRST") {
        key.nulls_first = true;
      } else if (direction == "SORT_DIRECTION_DESC_NULLS_FIRST") {
        key.ascending = false;
        key.nulls_first = true;
      } else if (direction == "SORT_DIRECTION_DESC_NULLS_LAST") {
        key.ascending = false;
      } else if (direction != "SORT_DIRECTION_ASC_NULLS_LAST") {
        return NotSupported("relation", "sort." + direction, "sort direction " + direction);
      }
      keys.push_back(std::move(key));
    }
    return keys;
  }

  Result<PlanPtr> Aggregate(const JsonValue& body, const std::string& path) {
    CA_ASSIGN_OR_RAISE(auto input, Input(body, "input", path));
    auto names = NamesOf(input);
    CA_ASSIGN_OR_RAISE(auto groupings, ArrayMember(body, "groupings", path));
    if (groupings.size() > 1) {
      return NotSupported("relation", "aggregate.groupings",
                          "aggregates with more than one grouping set");
    }
    std::vector<ExprPtr> keys;
    if (!groupings.empty()) {
      std::string at = JsonPathAppendIndex(JsonPathAppendKey(path, "groupings"), 0);
      CA_ASSIGN_OR_RAISE(auto exprs, ArrayMember(*groupings[0], "groupingExpressions", at));
      for (size_t i = 0; i < exprs.size(); ++i) {
        CA_ASSIGN_OR_RAISE(
            auto e, Expr(*exprs[i], names,
                         JsonPathAppendIndex(JsonPathAppendKey(at, "groupingExpressions"), i)));
        keys.push_back(std::move(e));
      }
    }
    CA_ASSIGN_OR_RAISE(auto measures, ArrayMember(body, "measures", path));
    if (measures.empty() && keys.size() == names.size()) {
      bool all_columns = true;
      for (size_t i = 0; i < keys.size(); ++i) {
        all_columns &= keys[i]->kind == engine::ExprKind::kColumn && keys[i]->name == names[i];
      }
      if (all_columns) return engine::plan::Distinct(input);
    }
    std::set<std::string> taken;
    std::vector<ExprPtr> group_by;
    for (auto& k : keys) group_by.push_back(Named(k, UniqueName(engine::OutputName(*k), &taken)));
    std::vector<ExprPtr> aggregates;
    for (size_t i = 0; i < measures.size(); ++i) {
      std::string at = JsonPathAppendIndex(JsonPathAppendKey(path, "measures"), i);
      const JsonValue* measure = Member(*measures[i], "measure");
      if (!measure) return InvalidPlan(at, "a measure needs an aggregate function");
      if (Member(*measures[i], "filter")) {
        return NotSupported("relation", "aggregate.measures.filter", "filtered measures");
      }
      at = JsonPathAppendKey(at, "measure");
      CA_ASSIGN_OR_RAISE(auto e, AggregateCall(*measure, names, at));
      aggregates.push_back(Named(e, UniqueName(engine::OutputName(*e), &taken)));
    }
    return engine::plan::Aggregate(input, std::move(group_by), std::move(aggregates), fr_);
  }

  Result<ExprPtr> AggregateCall(const JsonValue& measure, const std::vector<std::string>& names,
                                const std::string& path) {
    CA_ASSIGN_OR_RAISE(auto call, CallFromSubstrait(measure, ext_, path));
    CA_ASSIGN_OR_RAISE(auto args, ArgumentsFromSubstrait(measure, names, ext_, path));
    for (const auto& a : args) CA_RETURN_NOT_OK(CheckFunctions(*a));
    CA_ASSIGN_OR_RAISE(auto sorts, ArrayMember(measure, "sorts", path));
    if (!sorts.empty())
      return NotSupported("expression", "ordered aggregate", "ordered aggregates");
    CA_ASSIGN_OR_RAISE(auto invocation, StringMember(measure, "invocation", path));
    CA_ASSIGN_OR_RAISE(auto e,
                       AggregateCallFromSubstrait(call, std::move(args),
                                                  invocation == "AGGREGATION_INVOCATION_DISTINCT"));
    if (!fr_.IsAggregate(e->name)) {
      return UnknownFunction(call.id.uri, call.id.name,
                             "the session has no aggregate of this name");
    }
    return e;
  }

  Result<PlanPtr> Join(const JsonValue& body, const std::string& path) {
    CA_ASSIGN_OR_RAISE(auto left, Input(body, "left", path));
    CA_ASSIGN_OR_RAISE(auto right, Input(body, "right", path));
    CA_ASSIGN_OR_RAISE(auto type_name, StringMember(body, "type", path));
    engine::JoinType type;
    if (type_name == "JOIN_TYPE_INNER") {
      type = engine::JoinType::kInner;
    } else if (type_name == "JOIN_TYPE_LEFT") {
      type = engine::JoinType::kLeft;
    } else if (type_name == "JOIN_TYPE_RIGHT") {
      type = engine::JoinType::kRight;
    } else if (type_name == "JOIN_TYPE_OUTER") {
      type = engine::JoinType::kFull;
    } else if (type_name == "JOIN_TYPE_SEMI" || type_name == "JOIN_TYPE_LEFT_SEMI") {
      type = engine::JoinType::kLeftSemi;
    } else if (type_name == "JOIN_TYPE_ANTI" || type_name == "JOIN_TYPE_LEFT_ANTI") {
      type = engine::JoinType::kLeftAnti;
    } else {
      return NotSupported("relation", "join." + type_name, "join type " + type_name);
    }
    // Names as plan::Join gives them: right columns that collide get "_right" appended.
    auto left_names = NamesOf(left);
    std::set<std::string> taken(left_names.begin(), left_names.end());
    std::vector<std::string> combined = left_names;
    std::map<std::string, std::string> right_original;
    for (const auto& n : NamesOf(right)) {
      std::string name = n;
      while (taken.count(name)) name += "_right";
      taken.insert(name);
      combined.push_back(name);
      right_original[name] = n;
    }
    std::vector<std::string> left_keys;
    std::vector<std::string> right_keys;
    std::vector<ExprPtr> residual;
    if (const JsonValue* expression = Member(body, "expression")) {
      CA_ASSIGN_OR_RAISE(auto condition,
                         Expr(*expression, combined, JsonPathAppendKey(path, "expression")));
      std::vector<ExprPtr> terms;
      SplitConjunction(condition, &terms);
      std::set<std::string> left_set(left_names.begin(), left_names.end());
      for (const auto& t : terms) {
        const auto& e = engine::Unaliased(*t);
        bool is_key = e.kind == engine::ExprKind::kCall && e.name == "=" && e.args.size() == 2 &&
                      e.args[0]->kind == engine::ExprKind::kColumn &&
                      e.args[1]->kind == engine::ExprKind::kColumn;
        if (is_key) {
          const auto& a = e.args[0]->name;
          const auto& b = e.args[1]->name;
          if (left_set.count(a) && right_original.count(b)) {
            left_keys.push_back(a);
            right_keys.push_back(right_original[b]);
            continue;
          }
          if (left_set.count(b) && right_original.count(a)) {
            left_keys.push_back(b);
            right_keys.push_back(right_original[a]);
            continue;
          }
        }
        bool is_true = e.kind == engine::ExprKind::kLiteral && e.literal->is_valid &&
                       e.literal->type->id() == arrow::Type::BOOL &&
                       static_cast<const arrow::BooleanScalar&>(*e.literal).value;
        if (!is_true) residual.push_back(t);
      }
    }
    CA_ASSIGN_OR_RAISE(auto out, engine::plan::Join(left, right, type, std::move(left_keys),
                                                    std::move(right_keys), Conjoin(residual), fr_));
    if (const JsonValue* post = Member(body, "postJoinFilter")) {
      CA_ASSIGN_OR_RAISE(auto predicate,
                         Expr(*post, NamesOf(out), JsonPathAppendKey(path, "postJoinFilter")));
      CA_ASSIGN_OR_RAISE(out, engine::plan::Filter(out, std::move(predicate), fr_));
    }
    return out;
  }

  Result<PlanPtr> Set(const JsonValue& body, const std::string& path) {
    CA_ASSIGN_OR_RAISE(auto op, StringMember(body, "op", path));
    if (op != "SET_OP_UNION_ALL" && op != "SET_OP_UNION_DISTINCT") {
      return NotSupported("relation", "set." + op, "set operation " + op);
    }
    CA_ASSIGN_OR_RAISE(auto input_json, ArrayMember(body, "inputs", path));
    if (input_json.empty()) return InvalidPlan(path, "a set relation needs inputs");
    std::vector<PlanPtr> inputs;
    for (size_t i = 0; i < input_json.size(); ++i) {
      CA_ASSIGN_OR_RAISE(
          auto in, Rel(*input_json[i], JsonPathAppendIndex(JsonPathAppendKey(path, "inputs"), i)));
      inputs.push_back(std::move(in));
    }
    return engine::plan::Union(std::move(inputs), op == "SET_OP_UNION_DISTINCT");
  }

  static Result<engine::WindowFrameBound> FrameBound(const JsonValue* bound, bool lower,
                                                     const std::string& path) {
    using Kind = engine::WindowFrameBound::Kind;
    engine::WindowFrameBound out;
    out.kind = lower ? Kind::kUnboundedPreceding : Kind::kUnboundedFollowing;
    if (!bound) return out;
    if (const JsonValue* p = Member(*bound, "preceding")) {
      out.kind = Kind::kPreceding;
      CA_ASSIGN_OR_RAISE(out.offset, IntMember(*p, "offset", path, 1));
    } else if (const JsonValue* f = Member(*bound, "following")) {
      out.kind = Kind::kFollowing;
      CA_ASSIGN_OR_RAISE(out.offset, IntMember(*f, "offset", path, 1));
    } else if (Member(*bound, "currentRow")) {
      out.kind = Kind::kCurrentRow;
    } else if (!Member(*bound, "unbounded")) {
      return InvalidPlan(path, "unknown window bound");
    }
    return out;
  }

  Result<PlanPtr> Window(const JsonValue& body, const std::string& path) {
    CA_ASSIGN_OR_RAISE(auto input, Input(body, "input", path));
    auto names = NamesOf(input);
    std::vector<ExprPtr> partition_by;
    CA_ASSIGN_OR_RAISE(auto partitions, ArrayMember(body, "partitionExpressions", path));
    for (size_t i = 0; i < partitions.size(); ++i) {
      CA_ASSIGN_OR_RAISE(
          auto e, Expr(*partitions[i], names,
                       JsonPathAppendIndex(JsonPathAppendKey(path, "partitionExpressions"), i)));
      partition_by.push_back(std::move(e));
    }
    CA_ASSIGN_OR_RAISE(auto order_by, SortKeys(body, names, path));
    CA_ASSIGN_OR_RAISE(auto functions, ArrayMember(body, "windowFunctions", path));
    if (functions.empty()) return InvalidPlan(path, "a window relation needs a function");
    std::set<std::string> taken(names.begin(), names.end());
    std::vector<engine::WindowFunction> windows;
    for (size_t i = 0; i < functions.size(); ++i) {
      std::string at = JsonPathAppendIndex(JsonPathAppendKey(path, "windowFunctions"), i);
      const JsonValue& fn = *functions[i];
      CA_ASSIGN_OR_RAISE(auto call, CallFromSubstrait(fn, ext_, at));
      engine::WindowFunction w;
      CA_ASSIGN_OR_RAISE(w.args, ArgumentsFromSubstrait(fn, names, ext_, at));
      for (const auto& a : w.args) CA_RETURN_NOT_OK(CheckFunctions(*a));
      CA_ASSIGN_OR_RAISE(w.function, WindowNameFromSubstrait(call, w.args.size()));
      CA_ASSIGN_OR_RAISE(auto invocation, StringMember(fn, "invocation", at));
      w.distinct = invocation == "AGGREGATION_INVOCATION_DISTINCT";
      w.partition_by = partition_by;
      w.order_by = order_by;
      CA_ASSIGN_OR_RAISE(auto bounds,
                         StringMember(fn, "boundsType", at, "BOUNDS_TYPE_UNSPECIFIED"));
      const JsonValue* lower = Member(fn, "lowerBound");
      const JsonValue* upper = Member(fn, "upperBound");
      if (bounds != "BOUNDS_TYPE_UNSPECIFIED" || lower || upper) {
        engine::WindowFrame frame;
        frame.units = bounds == "BOUNDS_TYPE_ROWS" ? engine::WindowFrameUnits::kRows
                                                   : engine::WindowFrameUnits::kRange;
        CA_ASSIGN_OR_RAISE(frame.start,
                           FrameBound(lower, true, JsonPathAppendKey(at, "lowerBound")));
        CA_ASSIGN_OR_RAISE(frame.end,
                           FrameBound(upper, false, JsonPathAppendKey(at, "upperBound")));
        w.frame = frame;
      }
      w.output_name = UniqueName(w.function, &taken);
      windows.push_back(std::move(w));
    }
    std::string first = windows[0].function;
    auto out = engine::plan::Window(input, std::move(windows), fr_);
    if (!out.ok() && DescribeError(out.status()).code == "UNKNOWN_WINDOW_FUNCTION") {
      return UnknownFunction(kCodeanatomyFunctionsUri, first, out.status().message());
    }
    return out;
  }

  engine::SessionState& state_;
  engine::FunctionResolver fr_;
  const ExtensionReader& ext_;
};

}  // namespace

Result<engine::DataFrame> ReplaySubstraitPlan(engine::SessionContext& ctx,
                                              const arrow::Buffer& plan) {
  tracing::Span span("substrait.replay");
  CA_ASSIGN_OR_RAISE(auto json, SubstraitPlanToJson(plan));
  CA_ASSIGN_OR_RAISE(auto ext, ExtensionReader::Parse(json));
  PlanReader reader(*ctx.state(), ext);
  CA_ASSIGN_OR_RAISE(auto root, reader.Root(json));
  return engine::DataFrame(ctx.state(), std::move(root));
}

}  // namespace codeanatomy::semantic
