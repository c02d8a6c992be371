// The task graph of a spec: schedule levels and the critical path, worked out by hand.
#include "semantic/task_graph.h"

#include <gtest/gtest.h>

namespace codeanatomy::semantic {
namespace {

ViewDefinition View(std::string name, ViewTransform transform) {
  return {std::move(name), "test", {}, std::move(transform), {}};
}

OutputTarget Output(std::string table, std::string view) {
  return {
      std::move(table), std::nullopt, std::move(view), {}, MaterializationMode::kOverwrite, {}, {},
      std::nullopt};
}

// files ─ py ─ named ─┬─ out_a (via a)
//                     └─ out_b (via b)
// symbols ───────────────── out_s
SemanticSpec Spec() {
  SemanticSpec spec;
  spec.input_relations = {{"files", "/f", false, std::nullopt},
                          {"symbols", "/s", false, std::nullopt}};
  spec.view_definitions = {
      View("b", FilterTransform{"named", "x"}), View("py", FilterTransform{"files", "x"}),
      View("named", ProjectTransform{"py", {"x"}}), View("a", FilterTransform{"named", "y"}),
      View("s", ProjectTransform{"symbols", {"x"}})};
  spec.output_targets = {Output("out_a", "a"), Output("out_b", "b"), Output("out_s", "s")};
  return spec;
}

TEST(TaskGraphTest, ScheduleIsByLevelThenSpecOrder) {
  TaskGraph graph = BuildTaskGraph(Spec());
  std::vector<std::string> ids;
  std::vector<int64_t> levels;
  for (const auto& t : graph.tasks) {
    ids.push_back(t.id);
    levels.push_back(t.level);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"input:files", "input:symbols", "view:py", "view:s",
                                           "view:named", "output:out_s", "view:b", "view:a",
                                           "output:out_a", "output:out_b"}));
  EXPECT_EQ(levels, (std::vector<int64_t>{0, 0, 1, 1, 2, 2, 3, 3, 4, 4}));
  EXPECT_EQ(graph.tasks[4].depends_on, (std::vector<std::string>{"view:py"}));
}

TEST(TaskGraphTest, CriticalPathFollowsTheMeasuredSeconds) {
  TaskGraph graph = BuildTaskGraph(Spec());
  // Without times the longest chain wins (the first output in the spec on a tie).
  CriticalPath untimed = FindCriticalPath(graph, {});
  EXPECT_EQ(untimed.tasks, (std::vector<std::string>{"input:files", "view:py", "view:named",
                                                     "view:a", "output:out_a"}));
  EXPECT_EQ(untimed.seconds, 0);
  // A slow short chain beats a fast long one.
  CriticalPath timed = FindCriticalPath(
      graph, {{"output:out_a", 1.0}, {"output:out_b", 2.0}, {"output:out_s", 5.0}});
  EXPECT_EQ(timed.tasks, (std::vector<std::string>{"input:symbols", "view:s", "output:out_s"}));
  EXPECT_DOUBLE_EQ(timed.seconds, 5.0);
}

}  // namespace
}  // namespace codeanatomy::semantic
