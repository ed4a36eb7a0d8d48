// The Fargate rules of section 1 of ECS-CONTRACT.md, split by the part of the task
// definition they look at. Validate() in taskdef.cc calls them in ECS's member order
// so that problems come out in document order. Every Check* function appends to a
// Problems collector and never stops early. Pure; no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gantry/v1/ecs_types.pb.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "taskdef/internal/problems.h"

namespace gantry::taskdef::internal {

// What the rules for one member need to know about the rest of the definition.
// Built once per validation by BuildContext; read-only afterwards.
struct TaskContext {
  explicit TaskContext(const gantry::v1::RegisterTaskDefinitionRequest& r) : request(r) {}

  const gantry::v1::RegisterTaskDefinitionRequest& request;
  // Task size, when the strings parse (the pair may still be invalid).
  std::optional<int32_t> task_cpu;
  std::optional<int32_t> task_memory;
  bool has_execution_role = false;
  // Container name -> index of its first occurrence.
  absl::flat_hash_map<std::string, int> container_index;
  // Volume name -> index of its first occurrence.
  absl::flat_hash_map<std::string, int> volume_index;
  // Index of the first container with firelensConfiguration, or -1.
  int first_log_router = -1;
  // (container index, dependsOn index) of each entry that closes a dependency cycle,
  // mapped to the cycle as text: "a" -> "b" -> "a".
  absl::flat_hash_map<std::pair<int, int>, std::string> dependency_cycles;
};

// essential defaults to true.
inline bool IsEssential(const gantry::v1::ContainerDefinition& container) {
  return !container.has_essential() || container.essential();
}

TaskContext BuildContext(const gantry::v1::RegisterTaskDefinitionRequest& request);

// Ports already mapped by earlier port mappings of the task. Every container of an
// awsvpc task shares the task ENI's network namespace, so a port/protocol pair may be
// mapped only once per task (contract 1.5, our choice).
class PortRegistry {
 public:
  // Records [first, last]/protocol at `path`; returns the path of an earlier mapping
  // that overlaps it, or nullopt.
  std::optional<std::string> Claim(absl::string_view protocol, int32_t first, int32_t last,
                                   absl::string_view path);

 private:
  struct Use {
    std::string protocol;
    int32_t first;
    int32_t last;
    std::string path;
  };
  std::vector<Use> uses_;
};

// task_rules.cc: family, taskRoleArn, executionRoleArn, networkMode.
void CheckTaskHead(const TaskContext& ctx, Problems* problems);
// task_rules.cc: containerDefinitions as a whole (count, essential, cpu and memory sums).
void CheckContainerList(const TaskContext& ctx, Problems* problems);
// task_rules.cc: placementConstraints .. runtimePlatform (volumes are separate).
void CheckTaskTail(const TaskContext& ctx, Problems* problems);
// tag_rules.cc
void CheckTags(const gantry::v1::RegisterTaskDefinitionRequest& request, Problems* problems);

// container_rules.cc: every rule of containerDefinitions[index].
void CheckContainer(const TaskContext& ctx, int index, PortRegistry* ports, Problems* problems);

// container_runtime_rules.cc
void CheckRestartPolicy(const gantry::v1::ContainerRestartPolicy& policy, absl::string_view path,
                        Problems* problems);
void CheckLinuxParameters(const gantry::v1::LinuxParameters& params, absl::string_view path,
                          Problems* problems);
void CheckUser(absl::string_view user, absl::string_view path, Problems* problems);
void CheckUlimits(const gantry::v1::ContainerDefinition& container, absl::string_view path,
                  Problems* problems);
void CheckHealthCheck(const gantry::v1::HealthCheck& check, absl::string_view path,
                      Problems* problems);
// Both startTimeout and stopTimeout: 2..120 seconds on Fargate.
void CheckTimeout(const gantry::v1::ContainerDefinition& container, bool start,
                  absl::string_view path, Problems* problems);

// port_rules.cc: containerDefinitions[i].portMappings (path is the container's path).
void CheckPortMappings(const gantry::v1::ContainerDefinition& container, absl::string_view path,
                       PortRegistry* ports, Problems* problems);

// volume_rules.cc
void CheckVolumes(const TaskContext& ctx, Problems* problems);
void CheckMountPoints(const TaskContext& ctx, const gantry::v1::ContainerDefinition& container,
                      absl::string_view path, Problems* problems);
void CheckVolumesFrom(const TaskContext& ctx, int index, absl::string_view path,
                      Problems* problems);

// logging_rules.cc
void RequireExecutionRole(const TaskContext& ctx, absl::string_view feature, absl::string_view path,
                          Problems* problems);
void CheckSecrets(const TaskContext& ctx,
                  const google::protobuf::RepeatedPtrField<gantry::v1::Secret>& secrets,
                  absl::string_view feature, absl::string_view path, Problems* problems);
void CheckLogConfiguration(const TaskContext& ctx, const gantry::v1::LogConfiguration& config,
                           absl::string_view path, Problems* problems);
void CheckFirelensConfiguration(const TaskContext& ctx, int index, absl::string_view path,
                                Problems* problems);

// dependency_rules.cc
void FindDependencyCycles(TaskContext* ctx);
void CheckDependsOn(const TaskContext& ctx, int index, absl::string_view path, Problems* problems);

}  // namespace gantry::taskdef::internal
