#include "engine/optimizer.h"

#include <algorithm>
#include <optional>
#include <set>
#include <unordered_map>

#include "engine/window_function.h"

namespace codeanatomy::engine {

namespace {

using Names = std::set<std::string>;

// ------------------------------------------------------------------ constant folding

Result<PlanPtr> FoldPlan(const PlanPtr& p, const FunctionResolver& fr) {
  std::vector<PlanPtr> inputs;
  for (const auto& in : p->inputs) {
    CA_ASSIGN_OR_RAISE(auto folded, FoldPlan(in, fr));
    inputs.push_back(std::move(folded));
  }
  auto node = std::make_shared<PlanNode>(*p);
  node->inputs = std::move(inputs);
  auto fold = [&](ExprPtr& e) {
    if (!e) return;
    // Keep the output name stable: fold below a top-level alias, or alias the folded value.
    std::string name = OutputName(*e);
    auto folded = FoldConstants(e, fr);
    if (folded.get() != e.get() && !node->inputs.empty()) {
      // Arrow narrows literals next to other types when it binds (a double 1.5 times an int32
      // literal binds as float32): keep the type the plan was checked with.
      const auto& input = *node->inputs[0]->schema;
      auto before = ScalarField(*e, input, fr);
      auto after = ScalarField(*folded, input, fr);
      if (before.ok() && after.ok() && !(*before)->type()->Equals(*(*after)->type())) {
        folded = Cast(folded, (*before)->type());
      }
    }
    if (folded.get() != e.get() && OutputName(*folded) != name) folded = Alias(folded, name);
    e = folded;
  };
  for (auto& e : node->exprs) fold(e);
  for (auto& e : node->filters) e = FoldConstants(e, fr);
  if (node->predicate) node->predicate = FoldConstants(node->predicate, fr);
  if (node->join_filter) node->join_filter = FoldConstants(node->join_filter, fr);
  for (auto& k : node->sort_keys) k.expr = FoldConstants(k.expr, fr);
  return PlanPtr(node);
}

// ------------------------------------------------------------------ filter pushdown

void SplitConjunction(const ExprPtr& e, std::vector<ExprPtr>* out) {
  const Expr& inner = Unaliased(*e);
  if (inner.kind == ExprKind::kCall && inner.name == "and" && inner.args.size() == 2) {
    SplitConjunction(inner.args[0], out);
    SplitConjunction(inner.args[1], out);
    return;
  }
  out->push_back(e);
}

ExprPtr Conjoin(const std::vector<ExprPtr>& terms) {
  ExprPtr out = terms[0];
  for (size_t i = 1; i < terms.size(); ++i) out = Call("and", {out, terms[i]});
  return out;
}

bool IsTrueLiteral(const Expr& e) {
  return e.kind == ExprKind::kLiteral && e.literal->is_valid &&
         e.literal->type->id() == arrow::Type::BOOL &&
         static_cast<const arrow::BooleanScalar&>(*e.literal).value;
}

bool AllIn(const std::vector<std::string>& cols, const Names& names) {
  return std::all_of(cols.begin(), cols.end(),
                     [&](const std::string& c) { return names.count(c) > 0; });
}

Names FieldNames(const arrow::Schema& schema) {
  auto v = schema.field_names();
  return Names(v.begin(), v.end());
}

class FilterPushdown {
 public:
  explicit FilterPushdown(const FunctionResolver& fr) : fr_(fr) {}

  /// Returns `p` with `conjuncts` applied as deep as they can go.
  Result<PlanPtr> Push(const PlanPtr& p, std::vector<ExprPtr> conjuncts) {
    switch (p->kind) {
      case PlanKind::kFilter: {
        SplitConjunction(p->predicate, &conjuncts);
        return Push(p->inputs[0], std::move(conjuncts));
      }
      case PlanKind::kScan: {
        auto node = std::make_shared<PlanNode>(*p);
        for (auto& c : conjuncts) {
          if (!IsTrueLiteral(*c)) node->filters.push_back(c);
        }
        return PlanPtr(node);
      }
      case PlanKind::kProjection:
        return PushProjection(p, std::move(conjuncts));
      case PlanKind::kSort:
      case PlanKind::kDistinct: {
        CA_ASSIGN_OR_RAISE(auto input, Push(p->inputs[0], std::move(conjuncts)));
        return plan::WithInputs(*p, {input});
      }
      case PlanKind::kJoin:
        return PushJoin(p, std::move(conjuncts));
      case PlanKind::kAggregate:
        return PushAggregate(p, std::move(conjuncts));
      case PlanKind::kUnion:
        return PushUnion(p, std::move(conjuncts));
      case PlanKind::kLimit: {
        CA_ASSIGN_OR_RAISE(auto input, Push(p->inputs[0], {}));
        return Wrap(plan::WithInputs(*p, {input}), conjuncts);
      }
      case PlanKind::kWindow:
        return PushWindow(p, std::move(conjuncts));
    }
    return p;
  }

 private:
  Result<PlanPtr> Wrap(PlanPtr p, const std::vector<ExprPtr>& conjuncts) {
    std::vector<ExprPtr> kept;
    for (const auto& c : conjuncts) {
      if (!IsTrueLiteral(*c)) kept.push_back(c);
    }
    if (kept.empty()) return p;
    return plan::Filter(std::move(p), Conjoin(kept), fr_);
  }

  Result<PlanPtr> PushProjection(const PlanPtr& p, std::vector<ExprPtr> conjuncts) {
    std::vector<std::pair<std::string, ExprPtr>> defs;
    for (const auto& e : p->exprs) {
      defs.emplace_back(OutputName(*e), e->kind == ExprKind::kAlias ? e->args[0] : e);
    }
    Names outputs = FieldNames(*p->schema);
    std::vector<ExprPtr> below, above;
    for (auto& c : conjuncts) {
      auto cols = ReferencedColumns(*c);
      if (AllIn(cols, outputs)) {
        below.push_back(ReplaceColumns(c, defs));
      } else {
        above.push_back(c);
      }
    }
    CA_ASSIGN_OR_RAISE(auto input, Push(p->inputs[0], std::move(below)));
    return Wrap(plan::WithInputs(*p, {input}), above);
  }

  Result<PlanPtr> PushJoin(const PlanPtr& p, std::vector<ExprPtr> conjuncts) {
    const auto& left = p->inputs[0];
    const auto& right = p->inputs[1];
    Names left_names = FieldNames(*left->schema);
    Names right_out(p->right_names.begin(), p->right_names.end());
    std::vector<std::pair<std::string, ExprPtr>> to_right_input;
    for (size_t i = 0; i < p->right_names.size(); ++i) {
      to_right_input.emplace_back(p->right_names[i],
                                  Column(right->schema->field(static_cast<int>(i))->name()));
    }
    bool push_left = p->join_type == JoinType::kInner || p->join_type == JoinType::kLeft ||
                     p->join_type == JoinType::kLeftSemi || p->join_type == JoinType::kLeftAnti;
    bool push_right = p->join_type == JoinType::kInner || p->join_type == JoinType::kRight;
    std::vector<ExprPtr> to_left, to_right, above;
    for (auto& c : conjuncts) {
      auto cols = ReferencedColumns(*c);
      if (push_left && AllIn(cols, left_names)) {
        to_left.push_back(c);
      } else if (push_right && AllIn(cols, right_out)) {
        to_right.push_back(ReplaceColumns(c, to_right_input));
      } else {
        above.push_back(c);
      }
    }
    // Inner joins: conditions of the join filter on one side only also go down.
    ExprPtr join_filter = p->join_filter;
    if (join_filter && p->join_type == JoinType::kInner) {
      std::vector<ExprPtr> parts, kept;
      SplitConjunction(join_filter, &parts);
      for (auto& c : parts) {
        auto cols = ReferencedColumns(*c);
        if (AllIn(cols, left_names)) {
          to_left.push_back(c);
        } else if (AllIn(cols, right_out)) {
          to_right.push_back(ReplaceColumns(c, to_right_input));
        } else {
          kept.push_back(c);
        }
      }
      join_filter = kept.empty() ? nullptr : Conjoin(kept);
    }
    CA_ASSIGN_OR_RAISE(auto new_left, Push(left, std::move(to_left)));
    CA_ASSIGN_OR_RAISE(auto new_right, Push(right, std::move(to_right)));
    auto node = std::make_shared<PlanNode>(*p);
    node->inputs = {new_left, new_right};
    node->join_filter = join_filter;
    return Wrap(node, above);
  }

  Result<PlanPtr> PushAggregate(const PlanPtr& p, std::vector<ExprPtr> conjuncts) {
    // Only conditions on group-by columns that are plain input columns can go below.
    std::vector<std::pair<std::string, ExprPtr>> defs;
    Names plain;
    for (const auto& g : p->group_by) {
      const Expr& inner = Unaliased(*g);
      if (inner.kind == ExprKind::kColumn) {
        defs.emplace_back(OutputName(*g), Column(inner.name));
        plain.insert(OutputName(*g));
      }
    }
    std::vector<ExprPtr> below, above;
    for (auto& c : conjuncts) {
      if (AllIn(ReferencedColumns(*c), plain)) {
        below.push_back(ReplaceColumns(c, defs));
      } else {
        above.push_back(c);
      }
    }
    CA_ASSIGN_OR_RAISE(auto input, Push(p->inputs[0], std::move(below)));
    return Wrap(plan::WithInputs(*p, {input}), above);
  }

  Result<PlanPtr> PushWindow(const PlanPtr& p, std::vector<ExprPtr> conjuncts) {
    // A filter changes the rows a window function sees: only conditions on columns every
    // window partitions by (plain input columns) select whole partitions and can go below.
    std::optional<Names> shared;
    for (const auto& w : p->windows) {
      Names keys;
      for (const auto& k : w.partition_by) {
        const Expr& inner = Unaliased(*k);
        if (inner.kind == ExprKind::kColumn) keys.insert(inner.name);
      }
      if (!shared) {
        shared = std::move(keys);
      } else {
        Names both;
        for (const auto& k : *shared) {
          if (keys.count(k)) both.insert(k);
        }
        shared = std::move(both);
      }
    }
    std::vector<ExprPtr> below, above;
    for (auto& c : conjuncts) {
      auto cols = ReferencedColumns(*c);
      if (shared && !cols.empty() && AllIn(cols, *shared)) {
        below.push_back(c);
      } else {
        above.push_back(c);
      }
    }
    CA_ASSIGN_OR_RAISE(auto input, Push(p->inputs[0], std::move(below)));
    return Wrap(plan::WithInputs(*p, {input}), above);
  }

  Result<PlanPtr> PushUnion(const PlanPtr& p, std::vector<ExprPtr> conjuncts) {
    std::vector<PlanPtr> inputs;
    auto names = p->schema->field_names();
    for (const auto& in : p->inputs) {
      std::vector<std::pair<std::string, ExprPtr>> rename;
      for (size_t i = 0; i < names.size(); ++i) {
        rename.emplace_back(names[i], Column(in->schema->field(static_cast<int>(i))->name()));
      }
      std::vector<ExprPtr> mapped;
      for (const auto& c : conjuncts) mapped.push_back(ReplaceColumns(c, rename));
      CA_ASSIGN_OR_RAISE(auto pushed, Push(in, std::move(mapped)));
      inputs.push_back(std::move(pushed));
    }
    return plan::WithInputs(*p, std::move(inputs));
  }

  const FunctionResolver& fr_;
};

// ------------------------------------------------------------------ projection pushdown

void AddColumns(const Expr& e, Names* out) {
  for (auto& c : ReferencedColumns(e)) out->insert(c);
}

class ColumnPruner {
 public:
  explicit ColumnPruner(const FunctionResolver& fr) : fr_(fr) {}

  /// A plan producing at least the `required` columns of `p` (all when nullopt), with the
  /// same names.
  Result<PlanPtr> Prune(const PlanPtr& p, const std::optional<Names>& required) {
    switch (p->kind) {
      case PlanKind::kScan:
        return PruneScan(p, required);
      case PlanKind::kProjection: {
        std::vector<ExprPtr> kept;
        Names need;
        for (const auto& e : p->exprs) {
          if (required && !required->count(OutputName(*e))) continue;
          kept.push_back(e);
          AddColumns(*e, &need);
        }
        if (kept.empty()) kept.push_back(p->exprs[0]), AddColumns(*p->exprs[0], &need);
        CA_ASSIGN_OR_RAISE(auto input, Prune(p->inputs[0], need));
        return plan::Projection(input, std::move(kept), fr_);
      }
      case PlanKind::kFilter: {
        std::optional<Names> need = required;
        if (need) AddColumns(*p->predicate, &*need);
        CA_ASSIGN_OR_RAISE(auto input, Prune(p->inputs[0], need));
        return plan::Filter(input, p->predicate, fr_);
      }
      case PlanKind::kSort: {
        std::optional<Names> need = required;
        if (need) {
          for (const auto& k : p->sort_keys) AddColumns(*k.expr, &*need);
        }
        CA_ASSIGN_OR_RAISE(auto input, Prune(p->inputs[0], need));
        return plan::Sort(input, p->sort_keys, fr_);
      }
      case PlanKind::kLimit: {
        CA_ASSIGN_OR_RAISE(auto input, Prune(p->inputs[0], required));
        return plan::Limit(input, p->offset, p->fetch);
      }
      case PlanKind::kAggregate: {
        Names need;
        for (const auto& g : p->group_by) AddColumns(*g, &need);
        std::vector<ExprPtr> aggs;
        for (const auto& a : p->aggregates) {
          if (required && !required->count(OutputName(*a))) continue;
          aggs.push_back(a);
          AddColumns(*a, &need);
        }
        if (aggs.empty() && p->group_by.empty() && !p->aggregates.empty()) {
          aggs.push_back(p->aggregates[0]);
          AddColumns(*p->aggregates[0], &need);
        }
        CA_ASSIGN_OR_RAISE(auto input, Prune(p->inputs[0], need));
        return plan::Aggregate(input, p->group_by, std::move(aggs), fr_);
      }
      case PlanKind::kJoin:
        return PruneJoin(p, required);
      case PlanKind::kWindow:
        return PruneWindow(p, required);
      case PlanKind::kUnion:
      case PlanKind::kDistinct: {
        std::vector<PlanPtr> inputs;
        for (const auto& in : p->inputs) {
          CA_ASSIGN_OR_RAISE(auto pruned, Prune(in, std::nullopt));
          inputs.push_back(std::move(pruned));
        }
        return plan::WithInputs(*p, std::move(inputs));
      }
    }
    return p;
  }

 private:
  Result<PlanPtr> PruneScan(const PlanPtr& p, const std::optional<Names>& required) {
    if (!required) return p;
    Names need = *required;
    for (const auto& f : p->filters) AddColumns(*f, &need);
    auto node = std::make_shared<PlanNode>(*p);
    node->projection.clear();
    std::vector<std::shared_ptr<arrow::Field>> fields;
    auto full = p->provider->schema();
    for (int i : p->projection) {
      if (need.count(full->field(i)->name())) {
        node->projection.push_back(i);
        fields.push_back(full->field(i));
      }
    }
    if (node->projection.empty() && !p->projection.empty()) {
      // Nothing needed (count(*)): keep the narrowest column so batches carry their length.
      int best = p->projection[0];
      for (int i : p->projection) {
        if (arrow::is_fixed_width(full->field(i)->type()->id()) &&
            !arrow::is_fixed_width(full->field(best)->type()->id())) {
          best = i;
        }
      }
      node->projection.push_back(best);
      fields.push_back(full->field(best));
    }
    node->schema = arrow::schema(fields);
    return PlanPtr(node);
  }

  Result<PlanPtr> PruneWindow(const PlanPtr& p, const std::optional<Names>& required) {
    std::vector<WindowFunction> kept;
    for (const auto& w : p->windows) {
      if (!required || required->count(w.output_name)) kept.push_back(w);
    }
    if (kept.empty()) return Prune(p->inputs[0], required);
    std::optional<Names> need;
    if (required) {
      need = Names();
      for (const auto& f : p->inputs[0]->schema->fields()) {
        if (required->count(f->name())) need->insert(f->name());
      }
      for (const auto& w : kept) {
        for (auto& c : ReferencedColumns(w)) need->insert(c);
      }
    }
    CA_ASSIGN_OR_RAISE(auto input, Prune(p->inputs[0], need));
    return plan::Window(input, std::move(kept), fr_);
  }

  Result<PlanPtr> PruneJoin(const PlanPtr& p, const std::optional<Names>& required) {
    const auto& left = p->inputs[0];
    const auto& right = p->inputs[1];
    Names filter_cols;
    if (p->join_filter) AddColumns(*p->join_filter, &filter_cols);
    Names left_need, right_need;
    for (const auto& f : left->schema->fields()) {
      const auto& n = f->name();
      if (!required || required->count(n) || filter_cols.count(n)) left_need.insert(n);
    }
    for (const auto& k : p->left_keys) left_need.insert(k);
    bool semi = p->join_type == JoinType::kLeftSemi || p->join_type == JoinType::kLeftAnti;
    for (size_t i = 0; i < p->right_names.size(); ++i) {
      const auto& out = p->right_names[i];
      bool wanted = (!semi && (!required || required->count(out))) || filter_cols.count(out);
      if (wanted) right_need.insert(right->schema->field(static_cast<int>(i))->name());
    }
    for (const auto& k : p->right_keys) right_need.insert(k);
    CA_ASSIGN_OR_RAISE(auto new_left, Prune(left, left_need));
    CA_ASSIGN_OR_RAISE(auto new_right, Prune(right, right_need));
    // Rename the right side to its final names so that pruning never changes the suffixes.
    std::vector<ExprPtr> renames;
    std::vector<std::string> right_keys;
    bool any_rename = false;
    std::unordered_map<std::string, std::string> final_name;
    for (size_t i = 0; i < p->right_names.size(); ++i) {
      final_name[right->schema->field(static_cast<int>(i))->name()] = p->right_names[i];
    }
    for (const auto& f : new_right->schema->fields()) {
      const auto& target = final_name.at(f->name());
      any_rename = any_rename || target != f->name();
      renames.push_back(target == f->name() ? Column(f->name()) : Alias(Column(f->name()), target));
    }
    for (const auto& k : p->right_keys) right_keys.push_back(final_name.at(k));
    if (any_rename) {
      CA_ASSIGN_OR_RAISE(new_right, plan::Projection(new_right, std::move(renames), fr_));
    }
    return plan::Join(new_left, new_right, p->join_type, p->left_keys, right_keys, p->join_filter,
                      fr_);
  }

  const FunctionResolver& fr_;
};

}  // namespace

Result<PlanPtr> Optimize(const PlanPtr& plan, const FunctionResolver& fr) {
  CA_ASSIGN_OR_RAISE(auto folded, FoldPlan(plan, fr));
  FilterPushdown pushdown(fr);
  CA_ASSIGN_OR_RAISE(auto pushed, pushdown.Push(folded, {}));
  ColumnPruner pruner(fr);
  CA_ASSIGN_OR_RAISE(auto pruned, pruner.Prune(pushed, std::nullopt));
  // The contract is the original schema: names, order and types.
  if (!pruned->schema->Equals(*plan->schema, /*check_metadata=*/false)) {
    std::vector<ExprPtr> exprs;
    for (const auto& f : plan->schema->fields()) exprs.push_back(Column(f->name()));
    CA_ASSIGN_OR_RAISE(pruned, plan::Projection(pruned, std::move(exprs), fr));
  }
  return pruned;
}

}  // namespace codeanatomy::engine
