#include "semantic/cache_policy.h"

#include <map>

#include "semantic/spec_internal.h"

namespace codeanatomy::semantic {

namespace {

constexpr std::string_view kPath = "$.cache_policy";

// Each view's readers: views reading it and output targets writing it.
struct Readers {
  std::map<std::string, std::vector<std::string>> views;  // view -> views reading it
  std::map<std::string, std::set<size_t>> outputs;        // view -> outputs depending on it
};

Readers IndexReaders(const SemanticSpec& spec) {
  Readers r;
  std::set<std::string> names;
  for (const auto& v : spec.view_definitions) names.insert(v.name);
  std::map<std::string, std::vector<std::string>> reads;  // view -> views it reads
  for (const auto& v : spec.view_definitions) {
    std::set<std::string> sources;
    for (const auto& s : TransformSources(v.transform)) sources.insert(s);
    for (const auto& d : v.view_dependencies) sources.insert(d);
    for (const auto& s : sources) {
      if (names.count(s) == 0) continue;
      reads[v.name].push_back(s);
      r.views[s].push_back(v.name);
    }
  }
  for (size_t i = 0; i < spec.output_targets.size(); ++i) {
    std::vector<std::string> stack = {spec.output_targets[i].source_view};
    std::set<std::string> seen;
    while (!stack.empty()) {
      std::string v = stack.back();
      stack.pop_back();
      if (!seen.insert(v).second) continue;
      r.outputs[v].insert(i);
      for (const auto& s : reads[v]) stack.push_back(s);
    }
  }
  return r;
}

}  // namespace

Result<CachePolicy> ParseCachePolicy(const SemanticSpec& spec) {
  CachePolicy policy;
  if (!spec.cache_policy) return policy;
  const JsonValue& block = *spec.cache_policy;
  std::set<std::string> names;
  for (const auto& v : spec.view_definitions) names.insert(v.name);
  for (const auto& [key, value] : block.object_value()) {
    std::string path = JsonPathAppendKey(kPath, key);
    if (key == "min_fanout") {
      if (!value.is_int() || value.int_value() < 2) {
        return internal::SpecError(path, "must be an integer of at least 2");
      }
      policy.min_fanout = value.int_value();
    } else if (key == "views") {
      if (!value.is_array()) return internal::SpecError(path, "must be an array of view names");
      for (size_t i = 0; i < value.array_value().size(); ++i) {
        const JsonValue& name = value.array_value()[i];
        std::string item = JsonPathAppendIndex(path, i);
        if (!name.is_string()) return internal::SpecError(item, "must be a view name");
        if (names.count(name.string_value()) == 0) {
          return internal::SpecError(item, "'" + name.string_value() + "' is not a view");
        }
        policy.views.push_back(name.string_value());
      }
    } else {
      return internal::SpecError(path, "unknown field (cache_policy has views, min_fanout)");
    }
  }
  return policy;
}

std::set<std::string> CachedViews(const SemanticSpec& spec, const CachePolicy& policy) {
  std::set<std::string> cached(policy.views.begin(), policy.views.end());
  if (policy.min_fanout == 0) return cached;
  Readers r = IndexReaders(spec);
  for (const auto& [view, outputs] : r.outputs) {
    if (static_cast<int64_t>(outputs.size()) < policy.min_fanout) continue;
    bool covered = false;
    for (const auto& reader : r.views[view]) {
      if (r.outputs[reader] == outputs) covered = true;
    }
    if (!covered) cached.insert(view);
  }
  return cached;
}

}  // namespace codeanatomy::semantic
