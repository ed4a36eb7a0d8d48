// RunTask/StopTask/DescribeTasks/ListTasks: request validation, the tasks a RunTask
// call creates, and stored tasks in ECS's Task shape. Pure functions; errors are
// INVALID_ARGUMENT naming the member (NOT_FOUND for an ARN of another account).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gantry/v1/ecs.pb.h"

#include "absl/status/statusor.h"
#include "api/api.h"
#include "api/internal/resources.h"
#include "storage/storage.h"

namespace gantry::api::internal {

std::string TaskArn(const Config& config, std::string_view cluster, std::string_view task_id);

struct TaskRef {
  std::optional<std::string> cluster;  // when given as an ARN naming its cluster
  std::string task_id;
  std::optional<std::string> account_id;  // when given as an ARN
};
// Whose tasks a reference may name: an account's API names its own (an ARN of another
// account is NOT_FOUND); the agent protocol names tasks of every account.
enum class TaskAccounts { kCallers, kAny };
// A bare 32-hex task id, or its ARN (…:task/CLUSTER/ID or the older …:task/ID).
absl::StatusOr<TaskRef> ParseTaskRef(const Config& config, std::string_view field,
                                     std::string_view ref,
                                     TaskAccounts accounts = TaskAccounts::kCallers);

// A RunTask request after validation, before anything is looked up.
struct RunTaskPlan {
  std::string cluster;
  TaskDefinitionRef definition;
  int count = 1;
  std::optional<std::string> group;
  std::optional<std::string> started_by;
  std::string client_token;
  std::vector<std::string> subnets;          // deduplicated, in request order
  std::vector<std::string> security_groups;  // empty: the VPC's default group
  // Where each of the above stood in the request, for error messages.
  std::vector<int> subnet_positions;
  std::vector<int> security_group_positions;
  bool assign_public_ip = false;
  v1::TaskOverride overrides;
  std::vector<v1::Tag> tags;
  bool propagate_definition_tags = false;
  bool ecs_managed_tags = false;
  bool enable_execute_command = false;
  // Identifies the request's content for clientToken reuse.
  std::string fingerprint;
};
absl::StatusOr<RunTaskPlan> ParseRunTask(const Config& config, const v1::RunTaskRequest& request);

// The tasks `plan` creates from `definition` (ACTIVE, Fargate-compatible), with their
// effective size after overrides. INVALID_ARGUMENT when the overrides do not fit
// the definition (unknown container, invalid Fargate size, storage out of range).
absl::StatusOr<std::vector<storage::NewTask>> BuildTasks(
    const Config& config, const std::string& account_id, const RunTaskPlan& plan,
    const storage::TaskDefinitionRow& definition, const std::vector<std::string>& security_groups);

// A stored task in ECS's shape; tags only when `with_tags`. Containers carry what their
// agent reported (status, exit code, reason, runtime id, ...); a container never
// reported shows the status the task's implies, and every container is STOPPED once the
// task is DEPROVISIONING or STOPPED.
v1::Task ToTask(const Config& config, const storage::TaskRow& row, bool with_tags);

struct ListTasksPlan {
  storage::ListTasksQuery query;
  // The filters can match nothing (desiredStatus PENDING, a service, EC2): answer empty.
  bool matches_nothing = false;
};
absl::StatusOr<ListTasksPlan> ParseListTasks(const Config& config,
                                             const v1::ListTasksRequest& request);

}  // namespace gantry::api::internal
