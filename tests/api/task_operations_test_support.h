// The fixture and helpers shared by the task operation tests over a real PostgreSQL
// and a real scheduler (task_operations_pgtest.cc and task_queries_pgtest.cc).
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "api/poll_hub.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/scheduler.h"
#include "storage/storage.h"
#include "taskdef/taskdef.h"
#include "tests/api/call_and_wait.h"
#include "tests/support/invariants.h"
#include "tests/support/pg_harness.h"
#include "tests/support/status_matchers.h"

namespace gantry::api::task_operations_test {

using ::gantry::api::test::CallOnce;
using ::gantry::testing::IsOk;
using ::gantry::testing::PgHarness;
using ::gantry::testing::SchedulerInvariantViolations;
using ::testing::IsEmpty;

inline constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
inline constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;
inline constexpr absl::Duration kPlacementDeadline = absl::Seconds(20);
inline constexpr absl::Duration kHostTimeout = absl::Seconds(30);
inline constexpr char kArnPrefix[] = "arn:aws:ecs:us-east-1:000000000000:";
inline constexpr char kUnknownTaskId[] = "00000000000000000000000000000000";

inline std::string Arn(const std::string& resource) { return kArnPrefix + resource; }

// The task id at the end of a task ARN.
inline std::string IdOf(const std::string& task_arn) {
  return task_arn.substr(task_arn.rfind('/') + 1);
}

inline bool IsTaskArn(const std::string& arn) {
  const std::string prefix = Arn("task/default/");
  if (!absl::StartsWith(arn, prefix) || arn.size() != prefix.size() + 32) return false;
  std::string id = IdOf(arn);
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'); });
}

// A Fargate definition of 256 CPU units and 512 MiB with containers app and sidecar.
inline constexpr char kDefinitionJson[] = R"json({
  "family": "FAMILY",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "256",
  "memory": "512",
  "containerDefinitions": [
    {"name": "app", "image": "public.ecr.aws/nginx/nginx:1.27", "essential": true,
     "cpu": 128, "memory": 256},
    {"name": "sidecar", "image": "public.ecr.aws/docker/library/busybox:1.36",
     "essential": false, "memoryReservation": 64}
  ]
})json";

inline std::vector<std::string> ArnsOf(const google::protobuf::RepeatedPtrField<v1::Task>& tasks) {
  std::vector<std::string> arns;
  for (const v1::Task& task : tasks) arns.push_back(task.task_arn());
  return arns;
}

inline std::string Detail(const v1::Attachment& attachment, const std::string& name) {
  for (const v1::KeyValuePair& pair : attachment.details()) {
    if (pair.name() == name) return pair.value();
  }
  return "";
}

class TaskOperationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = PgHarness::Get().NewDatabase();
    storage::Database::Options options;
    options.conninfo = conninfo_;
    options.workers = 2;
    absl::StatusOr<std::unique_ptr<storage::Database>> database = storage::Database::Open(options);
    ASSERT_THAT(database, IsOk());
    database_ = *std::move(database);
    absl::StatusOr<std::unique_ptr<storage::Connection>> connection =
        storage::Connection::Open(conninfo_);
    ASSERT_THAT(connection, IsOk());
    connection_ = *std::move(connection);

    // The network exists before the scheduler starts: its first view includes it (see
    // RunTask_SubnetCreatedAfterViewLoaded_IsUsable for a subnet created later).
    ASSERT_THAT(EnsureDefaultCluster(*connection_, Config{}), IsOk());
    absl::StatusOr<storage::VpcRow> vpc = storage::CreateVpc(*connection_, kAccount, "10.0.0.0/16");
    ASSERT_THAT(vpc, IsOk());
    vpc_ = vpc->vpc_id;
    subnet_a_ = CreateSubnet(vpc_, "10.0.1.0/24", "us-east-1a");
    subnet_b_ = CreateSubnet(vpc_, "10.0.2.0/24", "us-east-1b");
    default_group_ = DefaultGroupOf(vpc_);
    ASSERT_FALSE(default_group_.empty());

    scheduler::Options scheduler_options = SchedulerOptions();
    scheduler_options.conninfo = conninfo_;
    absl::StatusOr<std::unique_ptr<scheduler::Scheduler>> scheduler =
        scheduler::Scheduler::Start(scheduler_options);
    ASSERT_THAT(scheduler, IsOk());
    scheduler_ = *std::move(scheduler);
    ecs_ = std::make_unique<EcsOperations>(Config{}, database_.get(), scheduler_.get());
    agent_ = std::make_unique<AgentOperations>(Config{}, database_.get(), hub_.get(), kHostTimeout,
                                               [this] { scheduler_->CapacityChanged(); });
    Register("web");
  }

  // What the fixture starts its scheduler with (conninfo is filled in).
  virtual scheduler::Options SchedulerOptions() const { return {}; }

  void TearDown() override {
    // Held polls and queued work refer to the operations objects and the scheduler:
    // answer the polls, drain the database workers (which may still submit to the
    // scheduler), then the scheduler.
    hub_->Shutdown();
    if (database_ != nullptr) database_->Shutdown();
    if (scheduler_ != nullptr) scheduler_->Shutdown();
    if (!conninfo_.empty()) {
      EXPECT_THAT(SchedulerInvariantViolations(conninfo_), IsEmpty());
    }
  }

  std::string CreateSubnet(const std::string& vpc, const std::string& cidr,
                           const std::string& zone) {
    absl::StatusOr<storage::SubnetRow> subnet =
        storage::CreateSubnet(*connection_, kAccount, vpc, cidr, zone);
    EXPECT_THAT(subnet, IsOk());
    return subnet.ok() ? subnet->subnet_id : "";
  }

  std::string DefaultGroupOf(const std::string& vpc) {
    absl::StatusOr<std::vector<storage::SecurityGroupRow>> groups =
        storage::GetSecurityGroups(*connection_, kAccount, {});
    EXPECT_THAT(groups, IsOk());
    if (!groups.ok()) return "";
    for (const storage::SecurityGroupRow& group : *groups) {
      if (group.vpc_id == vpc && group.group_name == "default") return group.group_id;
    }
    return "";
  }

  void Register(const std::string& family) {
    std::string json = kDefinitionJson;
    json.replace(json.find("FAMILY"), 6, family);
    absl::StatusOr<v1::RegisterTaskDefinitionRequest> request =
        taskdef::ParseRegisterRequestJson(json);
    ASSERT_THAT(request, IsOk());
    ASSERT_THAT(CallOnce(*ecs_, &EcsOperations::RegisterTaskDefinition, *request), IsOk());
  }

  // Registers a host through the agent API (which signals the scheduler); its id.
  std::string AddHost(const std::string& zone, int cpu = 4096, int memory = 16384) {
    v1::RegisterHostRequest request;
    request.set_availability_zone(zone);
    request.set_cpu_units(cpu);
    request.set_memory_mib(memory);
    request.set_ephemeral_storage_gib(200);
    request.set_eni_slots(16);
    request.set_agent_version("gantry-agent 0.1.0");
    request.set_host_name("worker");
    absl::StatusOr<v1::RegisterHostResponse> response =
        CallOnce(*agent_, &AgentOperations::RegisterHost, request);
    EXPECT_THAT(response, IsOk());
    return response.ok() ? response->host_id() : "";
  }

  // web in subnet A.
  v1::RunTaskRequest RunRequest(int count = 1) const {
    v1::RunTaskRequest request;
    request.set_task_definition("web");
    request.set_count(count);
    request.mutable_network_configuration()->mutable_awsvpc_configuration()->add_subnets(subnet_a_);
    return request;
  }

  absl::StatusOr<v1::RunTaskResponse> RunTask(const v1::RunTaskRequest& request) {
    return CallOnce(*ecs_, &EcsOperations::RunTask, request);
  }

  // Runs `request`, expecting every task to be created; their ARNs.
  std::vector<std::string> RunOk(const v1::RunTaskRequest& request) {
    absl::StatusOr<v1::RunTaskResponse> response = RunTask(request);
    EXPECT_THAT(response, IsOk());
    if (!response.ok()) return {};
    EXPECT_EQ(response->tasks_size(), request.count());
    EXPECT_EQ(response->failures_size(), 0) << response->DebugString();
    return ArnsOf(response->tasks());
  }

  absl::StatusOr<v1::StopTaskResponse> StopTask(const std::string& task,
                                                std::optional<std::string> reason = std::nullopt) {
    v1::StopTaskRequest request;
    request.set_task(task);
    if (reason.has_value()) request.set_reason(*reason);
    return CallOnce(*ecs_, &EcsOperations::StopTask, request);
  }

  absl::StatusOr<v1::DescribeTasksResponse> Describe(const std::vector<std::string>& tasks,
                                                     bool with_tags = false) {
    v1::DescribeTasksRequest request;
    for (const std::string& task : tasks) request.add_tasks(task);
    if (with_tags) request.add_include("TAGS");
    return CallOnce(*ecs_, &EcsOperations::DescribeTasks, request);
  }

  // The one task `arn` as DescribeTasks shows it.
  v1::Task DescribeOne(const std::string& arn) {
    absl::StatusOr<v1::DescribeTasksResponse> response = Describe({arn});
    EXPECT_THAT(response, IsOk());
    if (!response.ok() || response->tasks_size() != 1) {
      ADD_FAILURE() << "task " << arn << " not described";
      return v1::Task();
    }
    return response->tasks(0);
  }

  // Polls DescribeTasks until `arn` has a placement (an ENI attachment), bounded.
  v1::Task AwaitPlaced(const std::string& arn) {
    absl::Time deadline = absl::Now() + kPlacementDeadline;
    v1::Task task;
    while (absl::Now() < deadline) {
      task = DescribeOne(arn);
      if (task.attachments_size() > 0) return task;
      absl::SleepFor(absl::Milliseconds(50));
    }
    ADD_FAILURE() << "task " << arn << " was not placed within " << kPlacementDeadline;
    return task;
  }

  absl::StatusOr<v1::ListTasksResponse> List(const v1::ListTasksRequest& request) {
    return CallOnce(*ecs_, &EcsOperations::ListTasks, request);
  }

  // Every ARN ListTasks returns for `request`, following nextToken (at most 20 pages).
  std::vector<std::string> ListAll(v1::ListTasksRequest request, int* pages = nullptr) {
    std::vector<std::string> arns;
    int count = 0;
    for (; count < 20; ++count) {
      absl::StatusOr<v1::ListTasksResponse> page = List(request);
      EXPECT_THAT(page, IsOk());
      if (!page.ok()) break;
      arns.insert(arns.end(), page->task_arns().begin(), page->task_arns().end());
      if (!page->has_next_token()) {
        ++count;
        break;
      }
      request.set_next_token(page->next_token());
    }
    if (pages != nullptr) *pages = count;
    return arns;
  }

  // The stored task (for members the ECS shape does not show).
  storage::TaskRow StoredTask(const std::string& arn) {
    absl::StatusOr<std::vector<storage::TaskRow>> rows =
        storage::GetTasks(*connection_, kAccount, "default", {IdOf(arn)});
    EXPECT_THAT(rows, IsOk());
    if (!rows.ok() || rows->size() != 1) {
      ADD_FAILURE() << "task " << arn << " not stored";
      return storage::TaskRow();
    }
    return (*rows)[0];
  }

  static constexpr char kAccount[] = "000000000000";
  std::string conninfo_;
  std::unique_ptr<storage::Database> database_;
  std::unique_ptr<scheduler::Scheduler> scheduler_;
  std::unique_ptr<PollHub> hub_ = PollHub::Start({});
  std::unique_ptr<EcsOperations> ecs_;
  std::unique_ptr<AgentOperations> agent_;
  std::unique_ptr<storage::Connection> connection_;
  std::string vpc_, subnet_a_, subnet_b_, default_group_;
};
}  // namespace gantry::api::task_operations_test
