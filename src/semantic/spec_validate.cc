// The semantic checks of a spec whose structure has been read (references between relations,
// names, cycles, typed parameters), and the checks with their own codes made before the
// structure is read (version, legacy fields, empty view or output lists).
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/suggest.h"
#include "semantic/cache_policy.h"
#include "semantic/maintenance.h"
#include "semantic/spec.h"
#include "semantic/spec_internal.h"

namespace codeanatomy::semantic {

using internal::DetailsJson;
using internal::SpecError;

namespace {

// ---- references between relations ----

/// A relation name a transform reads and the JSON path (under the transform) naming it.
struct SourceRef {
  std::string path;
  std::string name;
};

void AddRef(std::vector<SourceRef>& refs, std::string_view key, const std::string& name) {
  refs.push_back({JsonPathAppendKey("", key), name});
}

void AddRefs(std::vector<SourceRef>& refs, std::string_view key,
             const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    refs.push_back({JsonPathAppendIndex(JsonPathAppendKey("", key), i), names[i]});
  }
}

std::vector<SourceRef> SourceRefs(const ViewTransform& transform) {
  std::vector<SourceRef> refs;
  std::visit(
      [&](const auto& t) {
        using T = std::decay_t<decltype(t)>;
        if constexpr (std::is_same_v<T, RelateTransform>) {
          AddRef(refs, "left", t.left);
          AddRef(refs, "right", t.right);
        } else if constexpr (requires { t.sources; }) {
          AddRefs(refs, "sources", t.sources);
        } else {
          AddRef(refs, "source", t.source);
        }
      },
      transform);
  return refs;
}

}  // namespace

std::vector<std::string> TransformSources(const ViewTransform& transform) {
  std::vector<std::string> out;
  for (auto& ref : SourceRefs(transform)) out.push_back(std::move(ref.name));
  return out;
}

namespace {

// ---- semantic validation, after the structure has been read ----

using NameIndex = std::map<std::string, size_t, std::less<>>;

std::string ViewPath(size_t i) {
  return JsonPathAppendIndex(JsonPathAppendKey(kJsonPathRoot, "view_definitions"), i);
}

std::vector<std::string> Keys(const NameIndex& index) {
  std::vector<std::string> out;
  for (const auto& [name, i] : index) out.push_back(name);
  return out;
}

/// Input relations and views share one namespace, since transforms name either.
struct Names {
  NameIndex inputs;
  NameIndex views;
};

Result<Names> IndexNames(const SemanticSpec& spec) {
  Names names;
  for (size_t i = 0; i < spec.input_relations.size(); ++i) {
    const std::string& name = spec.input_relations[i].logical_name;
    if (!names.inputs.emplace(name, i).second) {
      return SpecError(JsonPathAppendIndex("$.input_relations", i) + ".logical_name",
                       "duplicate input relation '" + name + "'");
    }
  }
  for (size_t i = 0; i < spec.view_definitions.size(); ++i) {
    const std::string& name = spec.view_definitions[i].name;
    if (names.inputs.contains(name)) {
      return SpecError(ViewPath(i) + ".name",
                       "view '" + name + "' has the name of an input relation");
    }
    if (!names.views.emplace(name, i).second) {
      return SpecError(ViewPath(i) + ".name", "duplicate view '" + name + "'");
    }
  }
  return names;
}

Status CheckViewReferences(const SemanticSpec& spec, const Names& names) {
  for (size_t i = 0; i < spec.view_definitions.size(); ++i) {
    const ViewDefinition& view = spec.view_definitions[i];
    for (size_t d = 0; d < view.view_dependencies.size(); ++d) {
      const std::string& dep = view.view_dependencies[d];
      if (names.views.contains(dep)) continue;
      std::string why = names.inputs.contains(dep)
                            ? " (an input relation; list views only)"
                            : SuggestionText(ClosestNames(dep, Keys(names.views), 1));
      return SpecError(JsonPathAppendIndex(ViewPath(i) + ".view_dependencies", d),
                       "unknown view '" + dep + "'" + why);
    }
    for (const SourceRef& ref : SourceRefs(view.transform)) {
      if (names.views.contains(ref.name) || names.inputs.contains(ref.name)) continue;
      std::vector<std::string> known = Keys(names.views);
      for (auto& input : Keys(names.inputs)) known.push_back(std::move(input));
      return SpecError(ViewPath(i) + ".transform" + ref.path,
                       "unknown source '" + ref.name + "': not an input relation or a view" +
                           SuggestionText(ClosestNames(ref.name, known, 1)));
    }
  }
  return Status::OK();
}

// Every relation a join edge or constraint names is an input relation or a view.
Status CheckJoinGraph(const SemanticSpec& spec, const Names& names) {
  auto known = [&](const std::string& name) {
    return names.views.contains(name) || names.inputs.contains(name);
  };
  auto unknown = [&](const std::string& path, const std::string& name) {
    std::vector<std::string> all = Keys(names.views);
    for (auto& input : Keys(names.inputs)) all.push_back(std::move(input));
    return SpecError(
        path, "unknown relation '" + name + "'" + SuggestionText(ClosestNames(name, all, 1)));
  };
  for (size_t i = 0; i < spec.join_graph.edges.size(); ++i) {
    const JoinEdge& e = spec.join_graph.edges[i];
    std::string path = JsonPathAppendIndex("$.join_graph.edges", i);
    if (!known(e.left_relation)) return unknown(path + ".left_relation", e.left_relation);
    if (!known(e.right_relation)) return unknown(path + ".right_relation", e.right_relation);
  }
  for (size_t i = 0; i < spec.join_graph.constraints.size(); ++i) {
    const JoinConstraint& c = spec.join_graph.constraints[i];
    std::string path = JsonPathAppendIndex("$.join_graph.constraints", i);
    for (size_t r = 0; r < c.relations.size(); ++r) {
      if (!known(c.relations[r])) {
        return unknown(JsonPathAppendIndex(path + ".relations", r), c.relations[r]);
      }
    }
  }
  return Status::OK();
}

Status CheckOutputTargets(const SemanticSpec& spec, const Names& names) {
  std::map<std::string, size_t, std::less<>> tables;
  for (size_t i = 0; i < spec.output_targets.size(); ++i) {
    const OutputTarget& target = spec.output_targets[i];
    const std::string path = JsonPathAppendIndex("$.output_targets", i);
    if (!tables.emplace(target.table_name, i).second) {
      return SpecError(path + ".table_name", "duplicate output table '" + target.table_name + "'");
    }
    if (!names.views.contains(target.source_view)) {
      return SpecError(path + ".source_view",
                       "unknown view '" + target.source_view + "'" +
                           SuggestionText(ClosestNames(target.source_view, Keys(names.views), 1)));
    }
  }
  return Status::OK();
}

// Two bindings of one placeholder would make its value depend on the order of the list.
Status CheckTypedParameters(const SemanticSpec& spec) {
  std::map<int64_t, size_t> positions;
  for (size_t i = 0; i < spec.typed_parameters.size(); ++i) {
    const auto* target = std::get_if<PlaceholderPosTarget>(&spec.typed_parameters[i].target);
    if (target == nullptr || positions.emplace(target->position, i).second) continue;
    return SpecError(JsonPathAppendIndex("$.typed_parameters", i) + ".target.position",
                     "placeholder $" + std::to_string(target->position) + " is bound twice");
  }
  return Status::OK();
}

/// Finds a cycle among views, whose edges are view_dependencies and transform sources naming
/// views; reports the edge that closes it.
class CycleFinder {
 public:
  CycleFinder(const SemanticSpec& spec, const Names& names)
      : spec_(spec), edges_(spec.view_definitions.size()) {
    for (size_t i = 0; i < spec.view_definitions.size(); ++i) {
      const ViewDefinition& view = spec.view_definitions[i];
      for (size_t d = 0; d < view.view_dependencies.size(); ++d) {
        edges_[i].push_back({names.views.find(view.view_dependencies[d])->second,
                             JsonPathAppendIndex(ViewPath(i) + ".view_dependencies", d)});
      }
      for (const SourceRef& ref : SourceRefs(view.transform)) {
        auto it = names.views.find(ref.name);
        if (it != names.views.end()) {
          edges_[i].push_back({it->second, ViewPath(i) + ".transform" + ref.path});
        }
      }
    }
  }

  Status Run() {
    state_.assign(edges_.size(), kUnvisited);
    for (size_t i = 0; i < edges_.size(); ++i) {
      if (state_[i] == kUnvisited) CA_RETURN_NOT_OK(Visit(i));
    }
    return Status::OK();
  }

 private:
  struct Edge {
    size_t target;
    std::string path;
  };
  enum State { kUnvisited, kOnStack, kDone };

  Status Visit(size_t view) {
    state_[view] = kOnStack;
    stack_.push_back(view);
    for (const Edge& edge : edges_[view]) {
      if (state_[edge.target] == kOnStack) return CycleError(edge);
      if (state_[edge.target] == kUnvisited) CA_RETURN_NOT_OK(Visit(edge.target));
    }
    stack_.pop_back();
    state_[view] = kDone;
    return Status::OK();
  }

  Status CycleError(const Edge& closing) const {
    auto start = std::find(stack_.begin(), stack_.end(), closing.target);
    std::string cycle;
    for (auto it = start; it != stack_.end(); ++it) {
      cycle += spec_.view_definitions[*it].name + " -> ";
    }
    cycle += spec_.view_definitions[closing.target].name;
    return SpecError(closing.path, "dependency cycle: " + cycle);
  }

  const SemanticSpec& spec_;
  std::vector<std::vector<Edge>> edges_;
  std::vector<State> state_;
  std::vector<size_t> stack_;
};

}  // namespace

namespace internal {

Status ValidateSemantics(const SemanticSpec& spec) {
  CA_ASSIGN_OR_RAISE(Names names, IndexNames(spec));
  CA_RETURN_NOT_OK(CheckViewReferences(spec, names));
  CA_RETURN_NOT_OK(CheckOutputTargets(spec, names));
  CA_RETURN_NOT_OK(CheckJoinGraph(spec, names));
  CA_RETURN_NOT_OK(CheckTypedParameters(spec));
  CA_RETURN_NOT_OK(ParseCachePolicy(spec).status());
  CA_RETURN_NOT_OK(ParseMaintenance(spec).status());
  return CycleFinder(spec, names).Run();
}

// ---- checks with their own codes, made before the structure is read ----

Status CheckVersionAndLegacyFields(const JsonValue& root) {
  if (root.Get("parameter_templates") != nullptr) {
    return InvalidError(stage::kValidation, "LEGACY_PARAMETER_TEMPLATES_UNSUPPORTED",
                        "the legacy field 'parameter_templates' is no longer supported; bind "
                        "parameters with 'typed_parameters'",
                        DetailsJson({{"path", "$.parameter_templates"}}));
  }
  const JsonValue* version = root.Get("version");
  if (version != nullptr && version->is_int() && version->int_value() < kSpecSchemaVersion) {
    return InvalidError(stage::kValidation, "SPEC_VERSION_UNSUPPORTED",
                        "spec version " + std::to_string(version->int_value()) +
                            " is below the minimum supported version " +
                            std::to_string(kSpecSchemaVersion),
                        DetailsJson({{"version", version->int_value()},
                                     {"minimum", kSpecSchemaVersion},
                                     {"path", "$.version"}}));
  }
  return Status::OK();
}

Status CheckNotEmpty(const SemanticSpec& spec) {
  if (spec.view_definitions.empty()) {
    return InvalidError(stage::kValidation, "SPEC_MISSING_VIEW_DEFINITIONS",
                        "the spec defines no views; view_definitions must not be empty",
                        DetailsJson({{"path", "$.view_definitions"}}));
  }
  if (spec.output_targets.empty()) {
    return InvalidError(stage::kValidation, "SPEC_MISSING_OUTPUT_TARGETS",
                        "the spec writes no outputs; output_targets must not be empty",
                        DetailsJson({{"path", "$.output_targets"}}));
  }
  return Status::OK();
}

}  // namespace internal

}  // namespace codeanatomy::semantic
