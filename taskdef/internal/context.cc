#include <string>

#include "absl/status/statusor.h"
#include "taskdef/internal/rules.h"
#include "taskdef/taskdef.h"

namespace gantry::taskdef::internal {

TaskContext BuildContext(const gantry::v1::RegisterTaskDefinitionRequest& request) {
  TaskContext ctx(request);
  if (request.has_cpu()) {
    absl::StatusOr<int32_t> cpu = ParseTaskCpu(request.cpu());
    if (cpu.ok()) {
      ctx.task_cpu = *cpu;
    }
  }
  if (request.has_memory()) {
    absl::StatusOr<int32_t> memory = ParseTaskMemory(request.memory());
    if (memory.ok()) {
      ctx.task_memory = *memory;
    }
  }
  // An empty string is no role at all; the ARN rule reports it separately.
  ctx.has_execution_role = !request.execution_role_arn().empty();
  for (int i = 0; i < request.container_definitions_size(); ++i) {
    const gantry::v1::ContainerDefinition& container = request.container_definitions(i);
    if (container.has_name()) {
      ctx.container_index.try_emplace(container.name(), i);
    }
    if (container.has_firelens_configuration() && ctx.first_log_router < 0) {
      ctx.first_log_router = i;
    }
  }
  for (int i = 0; i < request.volumes_size(); ++i) {
    if (request.volumes(i).has_name()) {
      ctx.volume_index.try_emplace(request.volumes(i).name(), i);
    }
  }
  FindDependencyCycles(&ctx);
  return ctx;
}

std::optional<std::string> PortRegistry::Claim(absl::string_view protocol, int32_t first,
                                               int32_t last, absl::string_view path) {
  for (const Use& use : uses_) {
    if (use.protocol == protocol && first <= use.last && use.first <= last) {
      return use.path;
    }
  }
  uses_.push_back(Use{std::string(protocol), first, last, std::string(path)});
  return std::nullopt;
}

}  // namespace gantry::taskdef::internal
