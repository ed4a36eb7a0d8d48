#include "api/internal/task_logs.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/internal/agents.h"
#include "api/internal/resources.h"
#include "common/status_macros.h"

namespace gantry::api::internal {

absl::StatusOr<LogsPlan> ParseGetTaskLogs(const Config& config,
                                          const v1::GetTaskLogsRequest& request) {
  LogsPlan plan;
  if (request.has_cluster()) {
    GANTRY_ASSIGN_OR_RETURN(plan.cluster, ParseClusterRef(config, "cluster", request.cluster()));
  }
  if (!request.has_task() || request.task().empty()) {
    return absl::InvalidArgumentError("task: required; give the task's id or ARN");
  }
  GANTRY_ASSIGN_OR_RETURN(plan.task, ParseTaskRef(config, "task", request.task()));
  if (plan.task.cluster.has_value() && *plan.task.cluster != plan.cluster) {
    return absl::NotFoundError(
        absl::StrCat("task: ", request.task(), " is not in cluster \"", plan.cluster, "\""));
  }
  if (request.has_container()) {
    if (request.container().empty() || request.container().size() > 255) {
      return absl::InvalidArgumentError("container: use a container name of 1 to 255 characters");
    }
    plan.container = request.container();
  }
  if (request.has_start_offset()) {
    if (request.start_offset() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("startOffset: ", request.start_offset(),
                       " is negative; use a byte offset from 0 (leave it out for the log's tail)"));
    }
    plan.start_offset = request.start_offset();
  }
  if (request.has_max_bytes()) {
    if (request.max_bytes() < 1 || request.max_bytes() > kMaxLogBytes) {
      return absl::InvalidArgumentError(absl::StrCat("maxBytes: ", request.max_bytes(),
                                                     " is out of range; use 1 to ", kMaxLogBytes));
    }
    plan.max_bytes = request.max_bytes();
  }
  if (request.has_wait_seconds()) {
    if (request.wait_seconds() < 0 || request.wait_seconds() > kMaxLogWaitSeconds) {
      return absl::InvalidArgumentError(absl::StrCat("waitSeconds: ", request.wait_seconds(),
                                                     " is out of range; use 0 to ",
                                                     kMaxLogWaitSeconds));
    }
    plan.wait_seconds = request.wait_seconds();
  }
  return plan;
}

absl::StatusOr<std::string> ChooseContainer(const std::optional<std::string>& named,
                                            const std::vector<std::string>& containers) {
  const std::string list = absl::StrCat("the task's containers: ", absl::StrJoin(containers, ", "));
  if (named.has_value()) {
    for (const std::string& container : containers) {
      if (container == *named) {
        return container;
      }
    }
    return absl::NotFoundError(
        absl::StrCat("container: the task has no container \"", *named, "\"; ", list));
  }
  if (containers.size() == 1) {
    return containers.front();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("container: required, the task has ", containers.size(), " containers; ", list));
}

absl::Status ValidateSubmitLogs(const v1::SubmitLogsRequest& request) {
  GANTRY_RETURN_IF_ERROR(CheckHostId("hostId", request.host_id()));
  if (request.request_id().empty() || request.request_id().size() > 64) {
    return absl::InvalidArgumentError("requestId: use the id of the LogRequest being answered");
  }
  if (request.data().size() > static_cast<size_t>(kMaxLogBytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("data: ", request.data().size(), " bytes; at most ", kMaxLogBytes));
  }
  if (request.next_offset() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("nextOffset: ", request.next_offset(), " is negative"));
  }
  if (request.error().size() > 1024) {
    return absl::InvalidArgumentError("error: at most 1024 characters");
  }
  return absl::OkStatus();
}

}  // namespace gantry::api::internal
