// The task graph of a compiled spec: input scans, views and output writes with their
// dependencies, in a schedule (dependency order, each task's level = the longest chain of
// tasks before it) and the critical path — the chain to an output that costs the most, by the
// measured seconds of its tasks (outputs are timed as whole pipelines; ties go to the longer
// chain, then to the first output in the spec).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/json.h"
#include "semantic/spec.h"

namespace codeanatomy::semantic {

struct Task {
  std::string id;    ///< "input:<name>", "view:<name>", "output:<table_name>"
  std::string kind;  ///< input | view | output
  std::string name;
  std::vector<std::string> depends_on;  ///< task ids
  int64_t level = 0;
};

struct TaskGraph {
  std::vector<Task> tasks;  ///< in schedule order
};

/// The graph of `spec` (validated: every reference resolves, no cycles).
TaskGraph BuildTaskGraph(const SemanticSpec& spec);

/// The critical path: task ids from an input to an output, and its seconds. `seconds` gives
/// the measured time of tasks (absent: 0).
struct CriticalPath {
  std::vector<std::string> tasks;
  double seconds = 0;
};
CriticalPath FindCriticalPath(const TaskGraph& graph, const std::map<std::string, double>& seconds);

/// {tasks: [{id, kind, name, depends_on, level}]}.
JsonValue TaskGraphJson(const TaskGraph& graph);
/// {tasks: [...], seconds}.
JsonValue CriticalPathJson(const CriticalPath& path);

}  // namespace codeanatomy::semantic
