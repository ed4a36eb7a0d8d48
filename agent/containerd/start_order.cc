#include "agent/containerd/start_order.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"

namespace gantry::agent::containerd {

absl::StatusOr<std::vector<int>> StartOrder(const v1::TaskDefinition& definition) {
  const auto& containers = definition.container_definitions();
  std::map<std::string, int> index_of;
  for (int i = 0; i < containers.size(); ++i) {
    index_of[containers[i].name()] = i;
  }
  // Repeatedly take the first container whose dependencies have all been taken: stable
  // (definition order among equals) and quadratic only in a task's few containers.
  std::vector<bool> placed(static_cast<size_t>(containers.size()), false);
  std::vector<int> order;
  while (order.size() < placed.size()) {
    bool progressed = false;
    for (int i = 0; i < containers.size(); ++i) {
      if (placed[i]) {
        continue;
      }
      bool ready = true;
      for (const v1::ContainerDependency& dependency : containers[i].depends_on()) {
        auto it = index_of.find(dependency.container_name());
        if (it == index_of.end()) {
          return absl::InvalidArgumentError(
              absl::StrCat("containerDefinitions[", i, "].dependsOn: container \"",
                           dependency.container_name(), "\" is not in the task"));
        }
        ready = ready && placed[it->second];
      }
      if (ready) {
        placed[i] = true;
        order.push_back(i);
        progressed = true;
        break;
      }
    }
    if (!progressed) {
      return absl::InvalidArgumentError(
          "containerDefinitions[].dependsOn: the dependencies form a cycle");
    }
  }
  return order;
}

}  // namespace gantry::agent::containerd
