// The order a task's containers start in: every container after the containers it
// dependsOn, otherwise in definition order. Pure; safe from any thread. (The runtime
// then waits for each dependency's condition before starting the dependent container.)
#pragma once

#include <vector>

#include "gantry/v1/ecs_types.pb.h"

#include "absl/status/statusor.h"

namespace gantry::agent::containerd {

// Indexes into containerDefinitions. INVALID_ARGUMENT for a dependency on a container
// the task does not have, or a cycle (task-definition validation refuses both first).
absl::StatusOr<std::vector<int>> StartOrder(const v1::TaskDefinition& definition);

}  // namespace gantry::agent::containerd
