#include "semantic/task_graph.h"

#include <algorithm>
#include <functional>
#include <set>

namespace codeanatomy::semantic {

TaskGraph BuildTaskGraph(const SemanticSpec& spec) {
  std::set<std::string> inputs, views;
  for (const auto& in : spec.input_relations) inputs.insert(in.logical_name);
  for (const auto& v : spec.view_definitions) views.insert(v.name);
  auto id_of = [&](const std::string& relation) {
    return (views.count(relation) > 0 ? "view:" : "input:") + relation;
  };
  std::map<std::string, Task> by_id;
  for (const auto& in : spec.input_relations) {
    by_id["input:" + in.logical_name] = {
        "input:" + in.logical_name, "input", in.logical_name, {}, 0};
  }
  for (const auto& v : spec.view_definitions) {
    Task t{"view:" + v.name, "view", v.name, {}, 0};
    std::set<std::string> deps;
    for (const auto& s : TransformSources(v.transform)) deps.insert(id_of(s));
    for (const auto& d : v.view_dependencies) deps.insert(id_of(d));
    t.depends_on.assign(deps.begin(), deps.end());
    by_id[t.id] = std::move(t);
  }
  for (const auto& o : spec.output_targets) {
    by_id["output:" + o.table_name] = {
        "output:" + o.table_name, "output", o.table_name, {"view:" + o.source_view}, 0};
  }
  // Levels by depth-first search (the spec has no cycles); schedule by (level, spec order).
  std::function<int64_t(Task&)> level = [&](Task& t) -> int64_t {
    if (t.level > 0 || t.depends_on.empty()) return t.level;
    int64_t deepest = 0;
    for (const auto& d : t.depends_on) {
      auto it = by_id.find(d);
      if (it != by_id.end()) deepest = std::max(deepest, level(it->second) + 1);
    }
    return t.level = deepest;
  };
  std::vector<std::string> order;
  for (const auto& in : spec.input_relations) order.push_back("input:" + in.logical_name);
  for (const auto& v : spec.view_definitions) order.push_back("view:" + v.name);
  for (const auto& o : spec.output_targets) order.push_back("output:" + o.table_name);
  TaskGraph graph;
  for (const auto& id : order) {
    level(by_id[id]);
    graph.tasks.push_back(by_id[id]);
  }
  std::stable_sort(graph.tasks.begin(), graph.tasks.end(),
                   [](const Task& a, const Task& b) { return a.level < b.level; });
  return graph;
}

CriticalPath FindCriticalPath(const TaskGraph& graph,
                              const std::map<std::string, double>& seconds) {
  // Best (cost, length) chain ending at each task, in schedule order (dependencies first).
  struct Best {
    double cost = 0;
    size_t length = 0;
    std::string previous;
  };
  std::map<std::string, Best> best;
  auto cost_of = [&](const std::string& id) {
    auto it = seconds.find(id);
    return it == seconds.end() ? 0.0 : it->second;
  };
  for (const auto& t : graph.tasks) {
    Best b;
    for (const auto& d : t.depends_on) {
      const Best& p = best[d];
      if (b.previous.empty() || p.cost > b.cost || (p.cost == b.cost && p.length + 1 > b.length)) {
        b = {p.cost, p.length + 1, d};
      }
    }
    b.cost += cost_of(t.id);
    if (t.depends_on.empty()) b.length = 1;
    best[t.id] = b;
  }
  CriticalPath path;
  std::string end;
  for (const auto& t : graph.tasks) {
    if (t.kind != "output") continue;
    const Best& b = best[t.id];
    if (end.empty() || b.cost > best[end].cost ||
        (b.cost == best[end].cost && b.length > best[end].length)) {
      end = t.id;
    }
  }
  if (end.empty()) return path;
  path.seconds = best[end].cost;
  for (std::string id = end; !id.empty(); id = best[id].previous) path.tasks.push_back(id);
  std::reverse(path.tasks.begin(), path.tasks.end());
  return path;
}

JsonValue TaskGraphJson(const TaskGraph& graph) {
  JsonValue tasks = JsonValue::MakeArray();
  for (const auto& t : graph.tasks) {
    JsonValue deps = JsonValue::MakeArray();
    for (const auto& d : t.depends_on) deps.Append(d);
    JsonValue task = JsonValue::MakeObject();
    task.Set("id", t.id)
        .Set("kind", t.kind)
        .Set("name", t.name)
        .Set("depends_on", std::move(deps))
        .Set("level", t.level);
    tasks.Append(std::move(task));
  }
  JsonValue out = JsonValue::MakeObject();
  out.Set("tasks", std::move(tasks));
  return out;
}

JsonValue CriticalPathJson(const CriticalPath& path) {
  JsonValue tasks = JsonValue::MakeArray();
  for (const auto& t : path.tasks) tasks.Append(t);
  JsonValue out = JsonValue::MakeObject();
  out.Set("tasks", std::move(tasks)).Set("seconds", path.seconds);
  return out;
}

}  // namespace codeanatomy::semantic
