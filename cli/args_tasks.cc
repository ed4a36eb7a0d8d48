// Command table entries of the task and container-instance commands (gantry.v1.Ecs
// and gantry.v1.AgentControl).
#include <vector>

#include "cli/cli.h"
#include "cli/internal/util.h"

namespace gantry::cli::internal {
namespace {

constexpr FlagSpec kTagsFlag = Many(
    "tags", "key=K,value=V", "Tags to attach to each task: shorthand or a JSON list",
    R"(--tags key=team,value=core key=env,value=dev  or  --tags '[{"key":"team","value":"core"}]')");

constexpr FlagSpec kTimeoutFlag =
    One("timeout", "DURATION",
        "Give up waiting after this long: 30s, 10m, 1h30m, or seconds such as 90 or 1.5 "
        "(default 10m)",
        "--timeout 5m");

void AddRunTask(std::vector<CommandSpec>* commands) {
  commands->push_back(
      {"run-task",
       "Start tasks from a task definition on Fargate-like capacity",
       {kClusterFlag,
        One("task-definition", "TASK_DEFINITION", "FAMILY, FAMILY:REVISION or the full ARN",
            "--task-definition web:3", /*required=*/true),
        One("count", "N", "How many tasks to start (1-10, default 1)", "--count 3"),
        One("group", "GROUP", "Task group name (default family:FAMILY)", "--group batch"),
        One("started-by", "TEXT", "Free text recorded on the tasks, up to 128 characters",
            "--started-by nightly-job"),
        One("client-token", "TOKEN", "Idempotency token: a retry with it returns the same tasks",
            "--client-token 5f0c1a2e-run-1"),
        One("launch-type", "TYPE", "FARGATE (the only launch type)", "--launch-type FARGATE"),
        One("platform-version", "VERSION", "Fargate platform version (default LATEST)",
            "--platform-version LATEST"),
        One("overrides", "OVERRIDES",
            "TaskOverride (containerOverrides, cpu, memory, ...) as JSON or AWS CLI shorthand",
            "--overrides 'containerOverrides=[{name=app,command=[sleep,60],"
            "environment=[{name=A,value=1}],cpu=256}],cpu=512,memory=1024'  or  "
            R"(--overrides '{"containerOverrides":[{"name":"app","command":["sleep","60"]}]}')"),
        One("network-configuration", "CONFIG",
            "The task ENI's subnets and security groups, as JSON or AWS CLI shorthand",
            "--network-configuration "
            "'awsvpcConfiguration={subnets=[subnet-a,subnet-b],securityGroups=[sg-x],"
            "assignPublicIp=DISABLED}'",
            /*required=*/true),
        kTagsFlag,
        Switch("wait",
               "Wait until every started task is RUNNING, then print them as describe-tasks "
               "does; exit 1 if one stops first or the wait times out",
               "--wait --timeout 5m"),
        kTimeoutFlag},
       "gantryctl run-task --task-definition web:3 --count 2 --network-configuration "
       "'awsvpcConfiguration={subnets=[subnet-a],securityGroups=[sg-x]}' --wait"});
}

// `wait tasks-running` and `wait tasks-stopped`, as `aws ecs wait ...`.
void AddWaitCommands(std::vector<CommandSpec>* commands) {
  constexpr FlagSpec kTasks = Many("tasks", "TASK", "Task IDs or ARNs (up to 100)",
                                   "--tasks 0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f "
                                   "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d",
                                   /*required=*/true);
  commands->push_back(
      {"wait tasks-running",
       "Wait until tasks are RUNNING; fail as soon as one is STOPPED",
       {kClusterFlag, kTasks, kTimeoutFlag},
       "gantryctl wait tasks-running --cluster prod --tasks 0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f "
       "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d --timeout 5m"});
  commands->push_back(
      {"wait tasks-stopped",
       "Wait until tasks are STOPPED",
       {kClusterFlag, kTasks, kTimeoutFlag},
       "gantryctl wait tasks-stopped --tasks 0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f --timeout 2m"});
}

void AddTaskQueries(std::vector<CommandSpec>* commands) {
  commands->push_back(
      {"stop-task",
       "Stop a task (SIGTERM, then SIGKILL after the stop timeout)",
       {kClusterFlag,
        One("task", "TASK", "Task ID or ARN", "--task 0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
            /*required=*/true),
        One("reason", "TEXT", "Why, shown as the task's stoppedReason",
            "--reason \"scaling down\"")},
       "gantryctl stop-task --task 0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f --reason \"scaling down\""});
  commands->push_back(
      {"describe-tasks",
       "Describe tasks by ID or ARN",
       {kClusterFlag,
        Many("tasks", "TASK", "Task IDs or ARNs (up to 100)",
             "--tasks 0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f "
             "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d",
             /*required=*/true),
        Many("include", "TAGS", "TAGS to return the tasks' tags too", "--include TAGS")},
       "gantryctl describe-tasks --tasks 0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"});
  commands->push_back(
      {"describe-task-metrics",
       "The latest resource usage of a task, as its agent reported it (CPU, memory, network, "
       "storage)",
       {kClusterFlag,
        One("task", "TASK", "Task ID or ARN", "--task 0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
            /*required=*/true)},
       "gantryctl describe-task-metrics --task 0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"});
  commands->push_back(
      {"logs",
       "Print a container's stdout and stderr (from the agent of the task's host)",
       {kClusterFlag,
        One("task", "TASK", "Task ID or ARN", "--task 0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
            /*required=*/true),
        One("container", "NAME", "The container (needed when the task has several)",
            "--container app"),
        Switch("follow", "Keep printing what the container writes until the task has stopped",
               "--follow")},
       "gantryctl logs --task 0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f --container app --follow"});
  commands->push_back(
      {"list-tasks",
       "List task ARNs (every page)",
       {kClusterFlag, One("family", "FAMILY", "Only tasks of this family", "--family web"),
        One("desired-status", "STATUS", "RUNNING (default), PENDING or STOPPED",
            "--desired-status STOPPED"),
        One("started-by", "TEXT", "Only tasks started with this --started-by",
            "--started-by nightly-job"),
        One("container-instance", "INSTANCE", "Only tasks on this container instance (ID or ARN)",
            "--container-instance 4f5e6d7c8b9a0f1e2d3c4b5a69788796")},
       "gantryctl list-tasks --family web --desired-status RUNNING"});
}

}  // namespace

void AddTaskCommands(std::vector<CommandSpec>* commands) {
  AddRunTask(commands);
  AddTaskQueries(commands);
  AddWaitCommands(commands);
}

void AddContainerInstanceCommands(std::vector<CommandSpec>* commands) {
  commands->push_back(
      {"register-container-instance",
       "Add a host's capacity, as gantry-agent does when it starts",
       {One("availability-zone", "AZ", "The host's availability zone",
            "--availability-zone us-east-1a", /*required=*/true),
        One("cpu", "UNITS", "CPU units the host offers (1024 per vCPU)", "--cpu 4096",
            /*required=*/true),
        One("memory", "MIB", "Memory the host offers, in MiB", "--memory 16384", /*required=*/true),
        One("ephemeral-storage", "GIB", "Task storage the host offers, in GiB (default 200)",
            "--ephemeral-storage 500"),
        One("enis", "N", "Task ENIs the host can hold at once (default 16)", "--enis 32"),
        One("agent-version", "VERSION", "Agent version to report", "--agent-version 0.1.0"),
        One("host-name", "NAME", "The host's name, for people", "--host-name rack1-node7")},
       "gantryctl register-container-instance --availability-zone us-east-1a --cpu 4096 "
       "--memory 16384"});
  commands->push_back({"list-container-instances",
                       "List container instance ARNs (every page)",
                       {kClusterFlag, One("status", "STATUS", "ACTIVE, DRAINING, REGISTERING, ...",
                                          "--status DRAINING")},
                       "gantryctl list-container-instances --status ACTIVE"});
  commands->push_back(
      {"describe-container-instances",
       "Describe container instances: zone, free/total capacity, tasks",
       {kClusterFlag,
        Many("container-instances", "INSTANCE", "Container instance IDs or ARNs (up to 100)",
             "--container-instances 4f5e6d7c8b9a0f1e2d3c4b5a69788796", /*required=*/true)},
       "gantryctl describe-container-instances --container-instances "
       "4f5e6d7c8b9a0f1e2d3c4b5a69788796"});
  commands->push_back(
      {"update-container-instances-state",
       "Drain container instances (their tasks keep running, no new ones come) or make "
       "them ACTIVE again",
       {kClusterFlag,
        Many("container-instances", "INSTANCE", "Container instance IDs or ARNs (up to 10)",
             "--container-instances 4f5e6d7c8b9a0f1e2d3c4b5a69788796", /*required=*/true),
        One("status", "STATUS", "DRAINING or ACTIVE", "--status DRAINING", /*required=*/true)},
       "gantryctl update-container-instances-state --container-instances "
       "4f5e6d7c8b9a0f1e2d3c4b5a69788796 --status DRAINING"});
}

}  // namespace gantry::cli::internal
