// containerDefinitions[].dependsOn (contract 1.4).
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "taskdef/internal/rules.h"

namespace gantry::taskdef::internal {
namespace {

using gantry::v1::ContainerDefinition;
using gantry::v1::ContainerDependency;

// Index of the container a dependency names, when it names another, existing one.
int TargetIndex(const TaskContext& ctx, int from, const ContainerDependency& dependency) {
  auto it = ctx.container_index.find(dependency.container_name());
  if (!dependency.has_container_name() || it == ctx.container_index.end() || it->second == from ||
      ctx.request.container_definitions(from).name() == dependency.container_name()) {
    return -1;
  }
  return it->second;
}

// Depth-first search that records every edge closing a cycle. Only the first
// container of each name is a node (duplicates are reported as duplicate names).
class CycleFinder {
 public:
  explicit CycleFinder(TaskContext* ctx)
      : ctx_(ctx), state_(ctx->request.container_definitions_size(), kUnvisited) {}

  void Run() {
    for (int i = 0; i < static_cast<int>(state_.size()); ++i) {
      if (state_[i] == kUnvisited && IsNode(i)) {
        Visit(i);
      }
    }
  }

 private:
  enum State { kUnvisited, kOnStack, kDone };

  bool IsNode(int index) const {
    const ContainerDefinition& c = ctx_->request.container_definitions(index);
    auto it = ctx_->container_index.find(c.name());
    return c.has_name() && it != ctx_->container_index.end() && it->second == index;
  }

  // Recursion depth is bounded by the number of containers (10 when valid; the 64 KiB
  // limit bounds it otherwise).
  void Visit(int node) {
    state_[node] = kOnStack;
    stack_.push_back(node);
    const ContainerDefinition& container = ctx_->request.container_definitions(node);
    for (int k = 0; k < container.depends_on_size(); ++k) {
      const int target = TargetIndex(*ctx_, node, container.depends_on(k));
      if (target < 0) {
        continue;
      }
      if (state_[target] == kOnStack) {
        ctx_->dependency_cycles.emplace(std::make_pair(node, k), CycleText(target));
      } else if (state_[target] == kUnvisited) {
        Visit(target);
      }
    }
    stack_.pop_back();
    state_[node] = kDone;
  }

  // "a" -> "b" -> "a" for the stack from `start` to its top, back to `start`.
  std::string CycleText(int start) const {
    std::vector<std::string> names;
    bool in_cycle = false;
    for (int node : stack_) {
      in_cycle = in_cycle || node == start;
      if (in_cycle) {
        names.push_back(Quote(ctx_->request.container_definitions(node).name()));
      }
    }
    names.push_back(Quote(ctx_->request.container_definitions(start).name()));
    return absl::StrJoin(names, " -> ");
  }

  TaskContext* ctx_;
  std::vector<State> state_;
  std::vector<int> stack_;
};

void CheckCondition(const TaskContext& ctx, int from, const ContainerDependency& dependency,
                    absl::string_view path, Problems* problems) {
  const std::string condition_path = Field(path, "condition");
  if (!dependency.has_condition()) {
    problems->Add(condition_path, "missing; use START, COMPLETE, SUCCESS or HEALTHY");
    return;
  }
  const std::string& condition = dependency.condition();
  if (condition != "START" && condition != "COMPLETE" && condition != "SUCCESS" &&
      condition != "HEALTHY") {
    problems->Add(condition_path, absl::StrCat(Quote(condition),
                                               " is not a dependency condition; use START, "
                                               "COMPLETE, SUCCESS or HEALTHY"));
    return;
  }
  const int target = TargetIndex(ctx, from, dependency);
  if (target < 0) {
    return;
  }
  const ContainerDefinition& other = ctx.request.container_definitions(target);
  if ((condition == "COMPLETE" || condition == "SUCCESS") && IsEssential(other)) {
    problems->Add(
        condition_path,
        absl::StrCat(Quote(condition), " needs a non-essential target, but ", Quote(other.name()),
                     " is essential; set \"essential\": false on it or use START or "
                     "HEALTHY"));
  } else if (condition == "HEALTHY" && !other.has_health_check()) {
    problems->Add(condition_path,
                  absl::StrCat("\"HEALTHY\" needs a healthCheck on ", Quote(other.name()),
                               ", which has none; add a healthCheck to it or use "
                               "START"));
  }
}

void CheckContainerName(const TaskContext& ctx, int from, const ContainerDependency& dependency,
                        absl::string_view path, Problems* problems) {
  const std::string name_path = Field(path, "containerName");
  if (!dependency.has_container_name() || dependency.container_name().empty()) {
    problems->Add(name_path, "missing; name a container of this task definition");
    return;
  }
  auto it = ctx.container_index.find(dependency.container_name());
  if (it == ctx.container_index.end()) {
    problems->Add(name_path, absl::StrCat(Quote(dependency.container_name()),
                                          " is not a container of this task definition; name "
                                          "one of its containers"));
  } else if (it->second == from ||
             ctx.request.container_definitions(from).name() == dependency.container_name()) {
    problems->Add(name_path, absl::StrCat(Quote(dependency.container_name()),
                                          " is the container itself; a container cannot depend "
                                          "on itself"));
  }
}

}  // namespace

void FindDependencyCycles(TaskContext* ctx) { CycleFinder(ctx).Run(); }

void CheckDependsOn(const TaskContext& ctx, int index, absl::string_view path, Problems* problems) {
  const ContainerDefinition& container = ctx.request.container_definitions(index);
  for (int k = 0; k < container.depends_on_size(); ++k) {
    const std::string item = Item(Field(path, "dependsOn"), k);
    const ContainerDependency& dependency = container.depends_on(k);
    CheckContainerName(ctx, index, dependency, item, problems);
    CheckCondition(ctx, index, dependency, item, problems);
    auto cycle = ctx.dependency_cycles.find(std::make_pair(index, k));
    if (cycle != ctx.dependency_cycles.end()) {
      problems->Add(item, absl::StrCat("dependency cycle ", cycle->second,
                                       "; dependsOn must not form a cycle"));
    }
  }
}

}  // namespace gantry::taskdef::internal
