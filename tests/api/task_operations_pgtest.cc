// The task operations over a real PostgreSQL and a real scheduler: RunTask, StopTask,
// DescribeTasks and ListTasks driven through their callbacks (as the gRPC service drives
// them), with hosts registered through AgentOperations so that the scheduler's placement
// loop places the tasks. Every test ends by checking the scheduler's invariants in SQL.
#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/scheduler.h"
#include "storage/storage.h"
#include "taskdef/taskdef.h"
#include "tests/support/invariants.h"
#include "tests/support/pg_harness.h"
#include "tests/support/status_matchers.h"

namespace gantry::api {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::PgHarness;
using ::gantry::testing::SchedulerInvariantViolations;
using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;
constexpr absl::Duration kReplyTimeout = absl::Seconds(30);
constexpr absl::Duration kPlacementDeadline = absl::Seconds(20);
constexpr char kArnPrefix[] = "arn:aws:ecs:us-east-1:000000000000:";
constexpr char kUnknownTaskId[] = "00000000000000000000000000000000";

std::string Arn(const std::string& resource) { return kArnPrefix + resource; }

// The task id at the end of a task ARN.
std::string IdOf(const std::string& task_arn) { return task_arn.substr(task_arn.rfind('/') + 1); }

bool IsTaskArn(const std::string& arn) {
  const std::string prefix = Arn("task/default/");
  if (!absl::StartsWith(arn, prefix) || arn.size() != prefix.size() + 32) return false;
  std::string id = IdOf(arn);
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'); });
}

// A Fargate definition of 256 CPU units and 512 MiB with containers app and sidecar.
constexpr char kDefinitionJson[] = R"json({
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

// Calls `method` on `operations` and waits (bounded) for its callback; checks that the
// callback ran exactly once. The state is shared with the callback so that a late
// reply after a timeout touches nothing that is gone.
template <typename Operations, typename Request, typename Response>
absl::StatusOr<Response> CallAndWait(Operations& operations,
                                     void (Operations::*method)(const Request&, Done<Response>),
                                     const Request& request) {
  struct State {
    absl::Mutex mu;
    absl::Notification done;
    absl::StatusOr<Response> result = absl::DeadlineExceededError("no reply within the timeout");
    int calls = 0;
  };
  auto state = std::make_shared<State>();
  (operations.*method)(request, [state](absl::StatusOr<Response> result) {
    absl::MutexLock lock(&state->mu);
    if (++state->calls == 1) {
      state->result = std::move(result);
      state->done.Notify();
    }
  });
  state->done.WaitForNotificationWithTimeout(kReplyTimeout);
  absl::MutexLock lock(&state->mu);
  EXPECT_EQ(state->calls, 1) << "done must be called exactly once";
  return state->result;
}

std::vector<std::string> ArnsOf(const google::protobuf::RepeatedPtrField<v1::Task>& tasks) {
  std::vector<std::string> arns;
  for (const v1::Task& task : tasks) arns.push_back(task.task_arn());
  return arns;
}

std::string Detail(const v1::Attachment& attachment, const std::string& name) {
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

    absl::StatusOr<std::unique_ptr<scheduler::Scheduler>> scheduler =
        scheduler::Scheduler::Start(scheduler::Options{.conninfo = conninfo_});
    ASSERT_THAT(scheduler, IsOk());
    scheduler_ = *std::move(scheduler);
    ecs_ = std::make_unique<EcsOperations>(Config{}, database_.get(), scheduler_.get());
    agent_ = std::make_unique<AgentOperations>(Config{}, database_.get(),
                                               [this] { scheduler_->CapacityChanged(); });
    Register("web");
  }

  void TearDown() override {
    // Queued work refers to the operations objects and the scheduler: drain the
    // database workers (which may still submit to the scheduler), then the scheduler.
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
    ASSERT_THAT(CallAndWait(*ecs_, &EcsOperations::RegisterTaskDefinition, *request), IsOk());
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
        CallAndWait(*agent_, &AgentOperations::RegisterHost, request);
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
    return CallAndWait(*ecs_, &EcsOperations::RunTask, request);
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
    return CallAndWait(*ecs_, &EcsOperations::StopTask, request);
  }

  absl::StatusOr<v1::DescribeTasksResponse> Describe(const std::vector<std::string>& tasks,
                                                     bool with_tags = false) {
    v1::DescribeTasksRequest request;
    for (const std::string& task : tasks) request.add_tasks(task);
    if (with_tags) request.add_include("TAGS");
    return CallAndWait(*ecs_, &EcsOperations::DescribeTasks, request);
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
    return CallAndWait(*ecs_, &EcsOperations::ListTasks, request);
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
  std::unique_ptr<EcsOperations> ecs_;
  std::unique_ptr<AgentOperations> agent_;
  std::unique_ptr<storage::Connection> connection_;
  std::string vpc_, subnet_a_, subnet_b_, default_group_;
};

// ---- RunTask -------------------------------------------------------------------

TEST_F(TaskOperationsTest, RunTask_HostInZone_ReturnsPlacedTasksInEcsShape) {
  const std::string host = AddHost("us-east-1a");
  v1::RunTaskRequest request = RunRequest(2);
  request.set_started_by("nightly-batch");
  v1::Tag* tag = request.add_tags();
  tag->set_key("team");
  tag->set_value("core");
  const double before = absl::ToUnixMicros(absl::Now()) / 1e6;
  absl::StatusOr<v1::RunTaskResponse> response = RunTask(request);
  ASSERT_THAT(response, IsOk());
  EXPECT_THAT(response->failures(), IsEmpty());
  ASSERT_EQ(response->tasks_size(), 2);
  std::set<std::string> addresses, enis, attachments;
  for (const v1::Task& task : response->tasks()) {
    SCOPED_TRACE(task.task_arn());
    EXPECT_TRUE(IsTaskArn(task.task_arn()));
    EXPECT_EQ(task.cluster_arn(), Arn("cluster/default"));
    EXPECT_EQ(task.task_definition_arn(), Arn("task-definition/web:1"));
    EXPECT_EQ(task.last_status(), "PROVISIONING");
    EXPECT_EQ(task.desired_status(), "RUNNING");
    EXPECT_EQ(task.launch_type(), "FARGATE");
    EXPECT_EQ(task.platform_version(), "1.4.0");
    EXPECT_EQ(task.platform_family(), "Linux");
    EXPECT_EQ(task.availability_zone(), "us-east-1a");
    EXPECT_EQ(task.container_instance_arn(), Arn("container-instance/" + host));
    EXPECT_EQ(task.cpu(), "256");
    EXPECT_EQ(task.memory(), "512");
    EXPECT_EQ(task.ephemeral_storage().size_in_gib(), 20);
    EXPECT_EQ(task.group(), "family:web");
    EXPECT_EQ(task.started_by(), "nightly-batch");
    EXPECT_GE(task.created_at(), before - 5);
    EXPECT_LE(task.created_at(), before + 60);
    EXPECT_GE(task.version(), 1);
    ASSERT_EQ(task.tags_size(), 1);
    EXPECT_EQ(task.tags(0).key(), "team");

    ASSERT_EQ(task.attachments_size(), 1);
    const v1::Attachment& eni = task.attachments(0);
    EXPECT_EQ(eni.type(), "ElasticNetworkInterface");
    EXPECT_EQ(eni.status(), "PRECREATED");
    EXPECT_EQ(eni.id().size(), 36u) << eni.id();
    EXPECT_EQ(Detail(eni, "subnetId"), subnet_a_);
    const std::string ip = Detail(eni, "privateIPv4Address");
    EXPECT_THAT(ip, StartsWith("10.0.1."));
    EXPECT_THAT(Detail(eni, "networkInterfaceId"), StartsWith("eni-"));
    EXPECT_EQ(Detail(eni, "macAddress").size(), 17u);
    std::string dns = "ip-" + ip + ".ec2.internal";
    std::replace(dns.begin(), dns.begin() + dns.size() - 13, '.', '-');
    EXPECT_EQ(Detail(eni, "privateDnsName"), dns);
    addresses.insert(ip);
    enis.insert(Detail(eni, "networkInterfaceId"));
    attachments.insert(eni.id());

    ASSERT_EQ(task.containers_size(), 2);
    EXPECT_EQ(task.containers(0).name(), "app");
    EXPECT_EQ(task.containers(0).cpu(), "128");
    EXPECT_EQ(task.containers(0).memory(), "256");
    EXPECT_EQ(task.containers(1).name(), "sidecar");
    EXPECT_EQ(task.containers(1).memory_reservation(), "64");
    for (const v1::Container& container : task.containers()) {
      EXPECT_EQ(container.task_arn(), task.task_arn());
      EXPECT_THAT(container.container_arn(),
                  StartsWith(Arn("container/default/" + IdOf(task.task_arn()) + "/")));
      EXPECT_EQ(container.last_status(), "PENDING");
      ASSERT_EQ(container.network_interfaces_size(), 1);
      EXPECT_EQ(container.network_interfaces(0).attachment_id(), eni.id());
      EXPECT_EQ(container.network_interfaces(0).private_ipv4_address(), ip);
    }
    ASSERT_EQ(task.overrides().container_overrides_size(), 2);
    EXPECT_EQ(task.overrides().container_overrides(0).name(), "app");
    EXPECT_EQ(task.overrides().container_overrides(1).name(), "sidecar");
  }
  EXPECT_EQ(addresses.size(), 2u);
  EXPECT_EQ(enis.size(), 2u);
  EXPECT_EQ(attachments.size(), 2u);
}

TEST_F(TaskOperationsTest, RunTask_TwoZones_PlacedInTheZoneWithAHost) {
  const std::string host = AddHost("us-east-1b");
  v1::RunTaskRequest request = RunRequest();
  request.mutable_network_configuration()->mutable_awsvpc_configuration()->add_subnets(subnet_b_);
  absl::StatusOr<v1::RunTaskResponse> response = RunTask(request);
  ASSERT_THAT(response, IsOk());
  ASSERT_EQ(response->tasks_size(), 1);
  const v1::Task& task = response->tasks(0);
  EXPECT_EQ(task.availability_zone(), "us-east-1b");
  EXPECT_EQ(task.container_instance_arn(), Arn("container-instance/" + host));
  ASSERT_EQ(task.attachments_size(), 1);
  EXPECT_EQ(Detail(task.attachments(0), "subnetId"), subnet_b_);
  EXPECT_THAT(Detail(task.attachments(0), "privateIPv4Address"), StartsWith("10.0.2."));
}

TEST_F(TaskOperationsTest, RunTask_NoHost_TaskWaitsWithoutPlacement) {
  absl::StatusOr<v1::RunTaskResponse> response = RunTask(RunRequest());
  ASSERT_THAT(response, IsOk());
  EXPECT_THAT(response->failures(), IsEmpty());
  ASSERT_EQ(response->tasks_size(), 1);
  const v1::Task& task = response->tasks(0);
  EXPECT_EQ(task.last_status(), "PROVISIONING");
  EXPECT_EQ(task.desired_status(), "RUNNING");
  EXPECT_FALSE(task.has_availability_zone());
  EXPECT_FALSE(task.has_container_instance_arn());
  EXPECT_EQ(task.attachments_size(), 0);
  ASSERT_EQ(task.containers_size(), 2);
  EXPECT_EQ(task.containers(0).network_interfaces_size(), 0);
}

TEST_F(TaskOperationsTest, RunTask_UnknownCluster_NotFound) {
  v1::RunTaskRequest request = RunRequest();
  request.set_cluster("nope");
  EXPECT_THAT(RunTask(request), StatusIs(kNotFound, "cluster: cluster \"nope\" does not exist"));
  request.set_cluster(Arn("cluster/nope"));
  EXPECT_THAT(RunTask(request), StatusIs(kNotFound, "\"nope\" does not exist"));
}

TEST_F(TaskOperationsTest, RunTask_UnknownDefinition_NotFound) {
  v1::RunTaskRequest request = RunRequest();
  request.set_task_definition("web:2");
  EXPECT_THAT(RunTask(request), StatusIs(kNotFound, "taskDefinition: \"web:2\" does not exist"));
  request.set_task_definition("api");
  EXPECT_THAT(RunTask(request), StatusIs(kNotFound, "family \"api\" has no ACTIVE revision"));
}

TEST_F(TaskOperationsTest, RunTask_InactiveDefinition_Refused) {
  AddHost("us-east-1a");
  v1::DeregisterTaskDefinitionRequest deregister;
  deregister.set_task_definition("web:1");
  ASSERT_THAT(CallAndWait(*ecs_, &EcsOperations::DeregisterTaskDefinition, deregister), IsOk());
  v1::RunTaskRequest request = RunRequest();
  request.set_task_definition("web:1");
  EXPECT_THAT(RunTask(request),
              StatusIs(kInvalid, "taskDefinition: web:1 is INACTIVE; run an ACTIVE revision"));
  request.set_task_definition(Arn("task-definition/web:1"));
  EXPECT_THAT(RunTask(request), StatusIs(kInvalid, "is INACTIVE"));
  request.set_task_definition("web");
  EXPECT_THAT(RunTask(request), StatusIs(kNotFound, "has no ACTIVE revision"));
  EXPECT_THAT(ListAll(v1::ListTasksRequest()), IsEmpty());
}

TEST_F(TaskOperationsTest, RunTask_SubnetsOfTwoVpcs_InvalidArgument) {
  absl::StatusOr<storage::VpcRow> other = storage::CreateVpc(*connection_, kAccount, "10.1.0.0/16");
  ASSERT_THAT(other, IsOk());
  const std::string foreign = CreateSubnet(other->vpc_id, "10.1.1.0/24", "us-east-1a");
  v1::RunTaskRequest request = RunRequest();
  request.mutable_network_configuration()->mutable_awsvpc_configuration()->add_subnets(foreign);
  EXPECT_THAT(RunTask(request),
              StatusIs(kInvalid,
                       absl::StrCat("networkConfiguration.awsvpcConfiguration.subnets: ", subnet_a_,
                                    " is in ", vpc_, " but ", foreign, " is in ", other->vpc_id,
                                    "; all subnets must be in one VPC")));
}

TEST_F(TaskOperationsTest, RunTask_UnknownSubnet_InvalidArgument) {
  const std::string unknown = "subnet-00000000000000000";
  v1::RunTaskRequest request = RunRequest();
  request.mutable_network_configuration()->mutable_awsvpc_configuration()->add_subnets(unknown);
  EXPECT_THAT(RunTask(request),
              StatusIs(kInvalid, "networkConfiguration.awsvpcConfiguration.subnets[1]: " + unknown +
                                     " does not exist"));
}

// A request member's index is its position in the request.
TEST_F(TaskOperationsTest, RunTask_UnknownSubnetAfterRepeat_NamesItsRequestIndex) {
  const std::string unknown = "subnet-00000000000000000";
  v1::RunTaskRequest request = RunRequest();
  auto* vpc = request.mutable_network_configuration()->mutable_awsvpc_configuration();
  vpc->add_subnets(subnet_a_);
  vpc->add_subnets(unknown);
  EXPECT_THAT(
      RunTask(request),
      StatusIs(kInvalid, "networkConfiguration.awsvpcConfiguration.subnets[2]: " + unknown));
  const std::string group = "sg-00000000000000000";
  v1::RunTaskRequest groups = RunRequest();
  auto* groups_vpc = groups.mutable_network_configuration()->mutable_awsvpc_configuration();
  groups_vpc->add_security_groups(default_group_);
  groups_vpc->add_security_groups(default_group_);
  groups_vpc->add_security_groups(group);
  EXPECT_THAT(
      RunTask(groups),
      StatusIs(kInvalid, "networkConfiguration.awsvpcConfiguration.securityGroups[2]: " + group));
}

TEST_F(TaskOperationsTest, RunTask_SecurityGroupOfAnotherVpc_InvalidArgument) {
  absl::StatusOr<storage::VpcRow> other = storage::CreateVpc(*connection_, kAccount, "10.1.0.0/16");
  ASSERT_THAT(other, IsOk());
  const std::string foreign = DefaultGroupOf(other->vpc_id);
  ASSERT_FALSE(foreign.empty());
  v1::RunTaskRequest request = RunRequest();
  auto* vpc = request.mutable_network_configuration()->mutable_awsvpc_configuration();
  vpc->add_security_groups(default_group_);
  vpc->add_security_groups(foreign);
  EXPECT_THAT(RunTask(request),
              StatusIs(kInvalid, absl::StrCat("networkConfiguration.awsvpcConfiguration."
                                              "securityGroups[1]: ",
                                              foreign, " is in ", other->vpc_id,
                                              ", not in the subnets' VPC ", vpc_)));
}

TEST_F(TaskOperationsTest, RunTask_UnknownSecurityGroup_InvalidArgument) {
  v1::RunTaskRequest request = RunRequest();
  request.mutable_network_configuration()->mutable_awsvpc_configuration()->add_security_groups(
      "sg-00000000000000000");
  EXPECT_THAT(RunTask(request),
              StatusIs(kInvalid, "securityGroups[0]: sg-00000000000000000 does not exist"));
}

TEST_F(TaskOperationsTest, RunTask_SecurityGroups_DefaultOrAsGiven) {
  AddHost("us-east-1a");
  std::vector<std::string> defaulted = RunOk(RunRequest());
  ASSERT_EQ(defaulted.size(), 1u);
  EXPECT_THAT(StoredTask(defaulted[0]).spec.security_group_ids, ElementsAre(default_group_));

  absl::StatusOr<storage::SecurityGroupRow> web =
      storage::CreateSecurityGroup(*connection_, kAccount, vpc_, "web", "web servers");
  ASSERT_THAT(web, IsOk());
  v1::RunTaskRequest request = RunRequest();
  auto* vpc = request.mutable_network_configuration()->mutable_awsvpc_configuration();
  vpc->add_security_groups(web->group_id);
  vpc->add_security_groups(default_group_);
  vpc->add_security_groups(web->group_id);
  std::vector<std::string> given = RunOk(request);
  ASSERT_EQ(given.size(), 1u);
  EXPECT_THAT(StoredTask(given[0]).spec.security_group_ids,
              ElementsAre(web->group_id, default_group_));
}

TEST_F(TaskOperationsTest, RunTask_Overrides_SizeStorageAndContainersApplied) {
  AddHost("us-east-1a");
  v1::RunTaskRequest request = RunRequest();
  v1::TaskOverride* overrides = request.mutable_overrides();
  overrides->set_cpu("0.5 vCPU");
  overrides->set_memory("2 GB");
  overrides->mutable_ephemeral_storage()->set_size_in_gib(40);
  v1::ContainerOverride* sidecar = overrides->add_container_overrides();
  sidecar->set_name("sidecar");
  sidecar->set_cpu(64);
  sidecar->set_memory(128);
  sidecar->add_command("sleep");
  absl::StatusOr<v1::RunTaskResponse> response = RunTask(request);
  ASSERT_THAT(response, IsOk());
  ASSERT_EQ(response->tasks_size(), 1);
  v1::Task task = DescribeOne(response->tasks(0).task_arn());
  EXPECT_EQ(task.cpu(), "512");
  EXPECT_EQ(task.memory(), "2048");
  EXPECT_EQ(task.ephemeral_storage().size_in_gib(), 40);
  EXPECT_EQ(task.fargate_ephemeral_storage().size_in_gib(), 40);
  ASSERT_EQ(task.containers_size(), 2);
  EXPECT_EQ(task.containers(0).cpu(), "128");
  EXPECT_EQ(task.containers(1).cpu(), "64");
  EXPECT_EQ(task.containers(1).memory(), "128");
  EXPECT_EQ(task.overrides().cpu(), "0.5 vCPU");
  EXPECT_EQ(task.overrides().memory(), "2 GB");
  ASSERT_EQ(task.overrides().container_overrides_size(), 2);
  EXPECT_EQ(task.overrides().container_overrides(0).name(), "sidecar");
  EXPECT_THAT(task.overrides().container_overrides(0).command(), ElementsAre("sleep"));
  EXPECT_EQ(task.overrides().container_overrides(1).name(), "app");
  EXPECT_EQ(StoredTask(task.task_arn()).spec.cpu_units, 512);
}

TEST_F(TaskOperationsTest, RunTask_OverridesNotFittingDefinition_Refused) {
  v1::RunTaskRequest request = RunRequest();
  request.mutable_overrides()->set_memory("8192");
  EXPECT_THAT(RunTask(request), StatusIs(kInvalid, "overrides: memory: 8192 MiB is not valid"));
  v1::RunTaskRequest unknown = RunRequest();
  unknown.mutable_overrides()->add_container_overrides()->set_name("db");
  EXPECT_THAT(RunTask(unknown), StatusIs(kInvalid, "\"db\" is not a container of web"));
  EXPECT_THAT(ListAll(v1::ListTasksRequest()), IsEmpty());
}

TEST_F(TaskOperationsTest, RunTask_NeverFits_ReportedInFailuresAndNotCreated) {
  AddHost("us-east-1a", /*cpu=*/1024, /*memory=*/8192);
  v1::RunTaskRequest request = RunRequest(2);
  request.mutable_overrides()->set_cpu("4096");
  request.mutable_overrides()->set_memory("8192");
  absl::StatusOr<v1::RunTaskResponse> response = RunTask(request);
  ASSERT_THAT(response, IsOk());
  EXPECT_THAT(response->tasks(), IsEmpty());
  ASSERT_EQ(response->failures_size(), 2);
  for (const v1::Failure& failure : response->failures()) {
    EXPECT_EQ(failure.reason(), "RESOURCE:CPU");
    EXPECT_FALSE(failure.detail().empty());
  }
  EXPECT_THAT(ListAll(v1::ListTasksRequest()), IsEmpty());
  v1::ListTasksRequest stopped;
  stopped.set_desired_status("STOPPED");
  EXPECT_THAT(ListAll(stopped), IsEmpty());
}

TEST_F(TaskOperationsTest, RunTask_NoScheduler_Unavailable) {
  EcsOperations without(Config{}, database_.get(), nullptr);
  EXPECT_THAT(CallAndWait(without, &EcsOperations::RunTask, RunRequest()),
              StatusIs(absl::StatusCode::kUnavailable, "no scheduler"));
}

TEST_F(TaskOperationsTest, RunTask_InvalidRequest_RefusedBeforeTheDatabase) {
  v1::RunTaskRequest request = RunRequest();
  request.set_count(11);
  EXPECT_THAT(RunTask(request), StatusIs(kInvalid, "count: 11 is out of range"));
}

// A subnet the API resolves in the database is one the scheduler can use: RunTask
// either places the task or leaves it waiting for capacity.
// The scheduler's view may predate the subnet: it must reload rather than refuse.
TEST_F(TaskOperationsTest, RunTask_SubnetCreatedAfterViewLoaded_IsUsable) {
  AddHost("us-east-1a");
  ASSERT_EQ(RunOk(RunRequest()).size(), 1u);  // the scheduler's view is fresh now
  const std::string later = CreateSubnet(vpc_, "10.0.3.0/24", "us-east-1a");
  v1::RunTaskRequest request = RunRequest();
  request.mutable_network_configuration()->mutable_awsvpc_configuration()->set_subnets(0, later);
  absl::StatusOr<v1::RunTaskResponse> response = RunTask(request);
  ASSERT_THAT(response, IsOk());
  EXPECT_THAT(response->failures(), IsEmpty()) << response->DebugString();
  ASSERT_EQ(response->tasks_size(), 1);
  ASSERT_EQ(response->tasks(0).attachments_size(), 1);
  EXPECT_EQ(Detail(response->tasks(0).attachments(0), "subnetId"), later);
}

// ---- clientToken ---------------------------------------------------------------

TEST_F(TaskOperationsTest, RunTask_ClientTokenReused_SameRequestReplaysOthersConflict) {
  AddHost("us-east-1a");
  v1::RunTaskRequest request = RunRequest(2);
  request.set_client_token("token-1");
  std::vector<std::string> first = RunOk(request);
  ASSERT_EQ(first.size(), 2u);

  absl::StatusOr<v1::RunTaskResponse> again = RunTask(request);
  ASSERT_THAT(again, IsOk());
  EXPECT_THAT(ArnsOf(again->tasks()), ElementsAreArray(first));
  EXPECT_THAT(again->failures(), IsEmpty());
  EXPECT_EQ(ListAll(v1::ListTasksRequest()).size(), 2u);

  v1::RunTaskRequest different = request;
  different.set_count(1);
  absl::StatusOr<v1::RunTaskResponse> conflict = RunTask(different);
  EXPECT_THAT(conflict, StatusIs(absl::StatusCode::kAlreadyExists,
                                 "clientToken: \"token-1\" was already used for a different "
                                 "RunTask request"));
  for (const std::string& arn : first) {
    EXPECT_THAT(conflict.status().message(), HasSubstr(IdOf(arn)));
  }

  // Tokens are case-sensitive: another token is another request.
  v1::RunTaskRequest other_token = request;
  other_token.set_client_token("TOKEN-1");
  std::vector<std::string> second = RunOk(other_token);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(ListAll(v1::ListTasksRequest()).size(), 4u);
}

TEST_F(TaskOperationsTest, RunTask_ClientTokenReplay_AfterStopReturnsTheStoppedTasks) {
  v1::RunTaskRequest request = RunRequest();
  request.set_client_token("token-2");
  std::vector<std::string> first = RunOk(request);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_THAT(StopTask(first[0]), IsOk());
  absl::StatusOr<v1::RunTaskResponse> again = RunTask(request);
  ASSERT_THAT(again, IsOk());
  ASSERT_EQ(again->tasks_size(), 1);
  EXPECT_EQ(again->tasks(0).task_arn(), first[0]);
  EXPECT_EQ(again->tasks(0).last_status(), "STOPPED");
}

// ---- DescribeTasks -------------------------------------------------------------

TEST_F(TaskOperationsTest, DescribeTasks_RequestOrderMissingAndTags) {
  AddHost("us-east-1a");
  v1::RunTaskRequest request = RunRequest(3);
  v1::Tag* tag = request.add_tags();
  tag->set_key("team");
  tag->set_value("core");
  std::vector<std::string> arns = RunOk(request);
  ASSERT_EQ(arns.size(), 3u);
  const std::string other_cluster = Arn("task/other/" + IdOf(arns[1]));
  const std::vector<std::string> refs = {IdOf(arns[2]), kUnknownTaskId, arns[0], other_cluster,
                                         Arn(std::string("task/") + IdOf(arns[1]))};
  absl::StatusOr<v1::DescribeTasksResponse> response = Describe(refs);
  ASSERT_THAT(response, IsOk());
  EXPECT_THAT(ArnsOf(response->tasks()), ElementsAre(arns[2], arns[0], arns[1]));
  for (const v1::Task& task : response->tasks()) EXPECT_EQ(task.tags_size(), 0);
  ASSERT_EQ(response->failures_size(), 2);
  EXPECT_EQ(response->failures(0).arn(), Arn(std::string("task/default/") + kUnknownTaskId));
  EXPECT_EQ(response->failures(0).reason(), "MISSING");
  EXPECT_EQ(response->failures(1).arn(), other_cluster);
  EXPECT_EQ(response->failures(1).reason(), "MISSING");

  absl::StatusOr<v1::DescribeTasksResponse> tagged = Describe({arns[0]}, /*with_tags=*/true);
  ASSERT_THAT(tagged, IsOk());
  ASSERT_EQ(tagged->tasks_size(), 1);
  ASSERT_EQ(tagged->tasks(0).tags_size(), 1);
  EXPECT_EQ(tagged->tasks(0).tags(0).key(), "team");
  EXPECT_EQ(tagged->tasks(0).tags(0).value(), "core");
}

TEST_F(TaskOperationsTest, DescribeTasks_OtherCluster_TasksOfThatClusterOnly) {
  v1::CreateClusterRequest create;
  create.set_cluster_name("prod");
  ASSERT_THAT(CallAndWait(*ecs_, &EcsOperations::CreateCluster, create), IsOk());
  v1::RunTaskRequest request = RunRequest();
  request.set_cluster("prod");
  absl::StatusOr<v1::RunTaskResponse> run = RunTask(request);
  ASSERT_THAT(run, IsOk());
  ASSERT_EQ(run->tasks_size(), 1);
  const std::string arn = run->tasks(0).task_arn();
  EXPECT_THAT(arn, StartsWith(Arn("task/prod/")));
  EXPECT_EQ(run->tasks(0).cluster_arn(), Arn("cluster/prod"));

  v1::DescribeTasksRequest in_prod;
  in_prod.set_cluster("prod");
  in_prod.add_tasks(IdOf(arn));
  absl::StatusOr<v1::DescribeTasksResponse> found =
      CallAndWait(*ecs_, &EcsOperations::DescribeTasks, in_prod);
  ASSERT_THAT(found, IsOk());
  EXPECT_THAT(ArnsOf(found->tasks()), ElementsAre(arn));

  absl::StatusOr<v1::DescribeTasksResponse> in_default = Describe({IdOf(arn)});
  ASSERT_THAT(in_default, IsOk());
  EXPECT_THAT(in_default->tasks(), IsEmpty());
  ASSERT_EQ(in_default->failures_size(), 1);
  EXPECT_EQ(in_default->failures(0).reason(), "MISSING");
}

TEST_F(TaskOperationsTest, DescribeTasks_InvalidRequests_Refused) {
  EXPECT_THAT(Describe({}), StatusIs(kInvalid, "tasks: 0 tasks given; give 1 to 100"));
  std::vector<std::string> many(101, kUnknownTaskId);
  EXPECT_THAT(Describe(many), StatusIs(kInvalid, "tasks: 101 tasks given"));
  EXPECT_THAT(Describe({kUnknownTaskId, "nope"}),
              StatusIs(kInvalid, "tasks[1]: \"nope\" is not a task id"));
  EXPECT_THAT(
      Describe({"arn:aws:ecs:us-east-1:123456789012:task/default/" + std::string(kUnknownTaskId)}),
      StatusIs(kNotFound, "tasks[0]: "));
  v1::DescribeTasksRequest bad_include;
  bad_include.add_tasks(kUnknownTaskId);
  bad_include.add_include("TAGZ");
  EXPECT_THAT(CallAndWait(*ecs_, &EcsOperations::DescribeTasks, bad_include),
              StatusIs(kInvalid, "include"));
  v1::DescribeTasksRequest unknown_cluster;
  unknown_cluster.set_cluster("nope");
  unknown_cluster.add_tasks(kUnknownTaskId);
  EXPECT_THAT(CallAndWait(*ecs_, &EcsOperations::DescribeTasks, unknown_cluster),
              StatusIs(kNotFound, "cluster: cluster \"nope\" does not exist"));
}

// ---- ListTasks -----------------------------------------------------------------

TEST_F(TaskOperationsTest, ListTasks_Filters) {
  Register("batch");
  const std::string host = AddHost("us-east-1a");
  // A host in a zone without subnets: nothing is ever placed on it.
  const std::string idle = AddHost("us-east-1c");
  v1::RunTaskRequest web = RunRequest(2);
  web.set_started_by("alpha");
  std::vector<std::string> webs = RunOk(web);
  v1::RunTaskRequest batch = RunRequest(1);
  batch.set_task_definition("batch");
  batch.set_started_by("beta");
  std::vector<std::string> batches = RunOk(batch);
  ASSERT_EQ(webs.size(), 2u);
  ASSERT_EQ(batches.size(), 1u);
  std::vector<std::string> all = webs;
  all.push_back(batches[0]);
  std::sort(all.begin(), all.end());
  std::sort(webs.begin(), webs.end());

  EXPECT_THAT(ListAll(v1::ListTasksRequest()), ElementsAreArray(all));
  v1::ListTasksRequest request;
  request.set_family("web");
  EXPECT_THAT(ListAll(request), ElementsAreArray(webs));
  request.set_family("batch");
  EXPECT_THAT(ListAll(request), ElementsAreArray(batches));
  request.set_family("none");
  EXPECT_THAT(ListAll(request), IsEmpty());

  request = v1::ListTasksRequest();
  request.set_started_by("alpha");
  EXPECT_THAT(ListAll(request), ElementsAreArray(webs));
  request.set_started_by("beta");
  EXPECT_THAT(ListAll(request), ElementsAreArray(batches));

  request = v1::ListTasksRequest();
  request.set_container_instance(host);
  EXPECT_THAT(ListAll(request), ElementsAreArray(all));
  request.set_container_instance(Arn("container-instance/" + host));
  request.set_family("batch");
  EXPECT_THAT(ListAll(request), ElementsAreArray(batches));
  request = v1::ListTasksRequest();
  request.set_container_instance(idle);
  EXPECT_THAT(ListAll(request), IsEmpty());

  request = v1::ListTasksRequest();
  request.set_desired_status("PENDING");
  EXPECT_THAT(ListAll(request), IsEmpty());
  request = v1::ListTasksRequest();
  request.set_service_name("api");
  EXPECT_THAT(ListAll(request), IsEmpty());
  request = v1::ListTasksRequest();
  request.set_launch_type("EC2");
  EXPECT_THAT(ListAll(request), IsEmpty());
  request.set_launch_type("FARGATE");
  EXPECT_THAT(ListAll(request), ElementsAreArray(all));

  // desiredStatus STOPPED after a StopTask; the stopped task leaves the RUNNING list.
  request = v1::ListTasksRequest();
  request.set_desired_status("STOPPED");
  EXPECT_THAT(ListAll(request), IsEmpty());
  ASSERT_THAT(StopTask(webs[0]), IsOk());
  EXPECT_THAT(ListAll(request), ElementsAre(webs[0]));
  request.set_family("web");
  EXPECT_THAT(ListAll(request), ElementsAre(webs[0]));
  request.set_family("batch");
  EXPECT_THAT(ListAll(request), IsEmpty());
  std::vector<std::string> running = all;
  running.erase(std::find(running.begin(), running.end(), webs[0]));
  EXPECT_THAT(ListAll(v1::ListTasksRequest()), ElementsAreArray(running));
  request = v1::ListTasksRequest();
  request.set_started_by("alpha");
  EXPECT_THAT(ListAll(request), ElementsAre(webs[1]));
}

TEST_F(TaskOperationsTest, ListTasks_MaxResults_ThreePages) {
  // No host: the tasks wait, and are listed all the same (desired RUNNING).
  std::vector<std::string> arns = RunOk(RunRequest(7));
  ASSERT_EQ(arns.size(), 7u);
  std::sort(arns.begin(), arns.end());
  v1::ListTasksRequest request;
  request.set_max_results(3);

  absl::StatusOr<v1::ListTasksResponse> first = List(request);
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(first->task_arns(), ElementsAre(arns[0], arns[1], arns[2]));
  ASSERT_TRUE(first->has_next_token());
  request.set_next_token(first->next_token());
  absl::StatusOr<v1::ListTasksResponse> second = List(request);
  ASSERT_THAT(second, IsOk());
  EXPECT_THAT(second->task_arns(), ElementsAre(arns[3], arns[4], arns[5]));
  ASSERT_TRUE(second->has_next_token());
  request.set_next_token(second->next_token());
  absl::StatusOr<v1::ListTasksResponse> third = List(request);
  ASSERT_THAT(third, IsOk());
  EXPECT_THAT(third->task_arns(), ElementsAre(arns[6]));
  EXPECT_FALSE(third->has_next_token());

  int pages = 0;
  v1::ListTasksRequest exact;
  exact.set_max_results(7);
  EXPECT_THAT(ListAll(exact, &pages), ElementsAreArray(arns));
  EXPECT_EQ(pages, 1);
  exact.set_max_results(1);
  EXPECT_THAT(ListAll(exact, &pages), ElementsAreArray(arns));
  EXPECT_EQ(pages, 7);
}

TEST_F(TaskOperationsTest, ListTasks_InvalidRequests_Refused) {
  v1::ListTasksRequest token;
  token.set_next_token("not-a-token");
  EXPECT_THAT(List(token), StatusIs(kInvalid, "nextToken: "));
  v1::ListTasksRequest cluster;
  cluster.set_cluster("nope");
  EXPECT_THAT(List(cluster), StatusIs(kNotFound, "cluster: cluster \"nope\" does not exist"));
  v1::ListTasksRequest both;
  both.set_started_by("a");
  both.set_family("web");
  EXPECT_THAT(List(both), StatusIs(kInvalid, "startedBy: must be the only filter"));
  v1::ListTasksRequest size;
  size.set_max_results(0);
  EXPECT_THAT(List(size), StatusIs(kInvalid, "maxResults: 0 is out of range"));
}

// ---- StopTask ------------------------------------------------------------------

TEST_F(TaskOperationsTest, StopTask_WaitingTask_StoppedAtOnceAndIdempotent) {
  std::vector<std::string> arns = RunOk(RunRequest());
  ASSERT_EQ(arns.size(), 1u);
  absl::StatusOr<v1::StopTaskResponse> stopped = StopTask(IdOf(arns[0]), "no longer needed");
  ASSERT_THAT(stopped, IsOk());
  const v1::Task& task = stopped->task();
  EXPECT_EQ(task.task_arn(), arns[0]);
  EXPECT_EQ(task.last_status(), "STOPPED");
  EXPECT_EQ(task.desired_status(), "STOPPED");
  EXPECT_EQ(task.stop_code(), "UserInitiated");
  EXPECT_EQ(task.stopped_reason(), "no longer needed");
  EXPECT_TRUE(task.has_stopping_at());
  EXPECT_TRUE(task.has_execution_stopped_at());
  EXPECT_TRUE(task.has_stopped_at());
  EXPECT_GE(task.stopped_at(), task.created_at());
  EXPECT_EQ(task.attachments_size(), 0);
  EXPECT_EQ(task.tags_size(), 0);
  for (const v1::Container& container : task.containers()) {
    EXPECT_EQ(container.last_status(), "STOPPED");
  }

  absl::StatusOr<v1::StopTaskResponse> again = StopTask(arns[0], "second reason");
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->task().last_status(), "STOPPED");
  EXPECT_EQ(again->task().stopped_reason(), "no longer needed");
  EXPECT_DOUBLE_EQ(again->task().stopped_at(), task.stopped_at());
  EXPECT_EQ(again->task().version(), task.version());

  v1::Task described = DescribeOne(arns[0]);
  EXPECT_EQ(described.last_status(), "STOPPED");
  EXPECT_EQ(described.stop_code(), "UserInitiated");
}

TEST_F(TaskOperationsTest, StopTask_PlacedTask_ReleasesCapacityForAWaitingTask) {
  // Room for exactly four 256-unit tasks.
  const std::string host = AddHost("us-east-1a", /*cpu=*/1024, /*memory=*/4096);
  std::vector<std::string> placed = RunOk(RunRequest(4));
  ASSERT_EQ(placed.size(), 4u);
  for (const std::string& arn : placed) {
    EXPECT_EQ(DescribeOne(arn).availability_zone(), "us-east-1a");
  }
  std::vector<std::string> waiting = RunOk(RunRequest(1));
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(DescribeOne(waiting[0]).attachments_size(), 0);

  absl::StatusOr<v1::StopTaskResponse> stopped = StopTask(placed[1]);
  ASSERT_THAT(stopped, IsOk());
  const v1::Task& task = stopped->task();
  EXPECT_EQ(task.last_status(), "STOPPED");
  EXPECT_EQ(task.desired_status(), "STOPPED");
  EXPECT_EQ(task.stop_code(), "UserInitiated");
  EXPECT_EQ(task.stopped_reason(), "Task stopped by user");
  EXPECT_EQ(task.container_instance_arn(), Arn("container-instance/" + host));
  ASSERT_EQ(task.attachments_size(), 1);
  EXPECT_EQ(task.attachments(0).status(), "DELETED");

  v1::Task now_placed = AwaitPlaced(waiting[0]);
  EXPECT_EQ(now_placed.container_instance_arn(), Arn("container-instance/" + host));
  EXPECT_EQ(now_placed.availability_zone(), "us-east-1a");

  absl::StatusOr<v1::StopTaskResponse> again = StopTask(placed[1]);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->task().version(), task.version());
  EXPECT_EQ(again->task().stopped_reason(), "Task stopped by user");
}

TEST_F(TaskOperationsTest, StopTask_InvalidOrUnknown_Refused) {
  EXPECT_THAT(StopTask(kUnknownTaskId),
              StatusIs(kNotFound, std::string("task: task ") + kUnknownTaskId +
                                      " does not exist in cluster default"));
  EXPECT_THAT(StopTask(""), StatusIs(kInvalid, "task: required"));
  EXPECT_THAT(StopTask("nope"), StatusIs(kInvalid, "task: \"nope\" is not a task id"));
  EXPECT_THAT(StopTask(kUnknownTaskId, std::string(256, 'r')),
              StatusIs(kInvalid, "reason: 256 characters; at most 255"));

  std::vector<std::string> arns = RunOk(RunRequest());
  ASSERT_EQ(arns.size(), 1u);
  // The ARN names cluster default; asking in another cluster finds nothing.
  v1::StopTaskRequest mismatch;
  mismatch.set_task(arns[0]);
  mismatch.set_cluster("prod");
  EXPECT_THAT(CallAndWait(*ecs_, &EcsOperations::StopTask, mismatch),
              StatusIs(kNotFound, "does not exist in cluster prod"));
  v1::StopTaskRequest unknown_cluster;
  unknown_cluster.set_task(IdOf(arns[0]));
  unknown_cluster.set_cluster("nope");
  EXPECT_THAT(CallAndWait(*ecs_, &EcsOperations::StopTask, unknown_cluster),
              StatusIs(kNotFound, "cluster: cluster \"nope\" does not exist"));
  EXPECT_EQ(DescribeOne(arns[0]).last_status(), "PROVISIONING");
}

// Contract 2.3: "Tags of a stopped task are deleted."
TEST_F(TaskOperationsTest, StopTask_TagsOfTheStoppedTaskAreDeleted) {
  v1::RunTaskRequest request = RunRequest();
  v1::Tag* tag = request.add_tags();
  tag->set_key("team");
  tag->set_value("core");
  std::vector<std::string> arns = RunOk(request);
  ASSERT_EQ(arns.size(), 1u);
  ASSERT_THAT(StopTask(arns[0]), IsOk());
  absl::StatusOr<v1::DescribeTasksResponse> described = Describe({arns[0]}, /*with_tags=*/true);
  ASSERT_THAT(described, IsOk());
  ASSERT_EQ(described->tasks_size(), 1);
  EXPECT_EQ(described->tasks(0).last_status(), "STOPPED");
  EXPECT_EQ(described->tasks(0).tags_size(), 0);
}

// ---- Placement after capacity appears --------------------------------------------

TEST_F(TaskOperationsTest, WaitingTask_PlacedAfterAHostRegisters) {
  std::vector<std::string> arns = RunOk(RunRequest(2));
  ASSERT_EQ(arns.size(), 2u);
  for (const std::string& arn : arns) EXPECT_EQ(DescribeOne(arn).attachments_size(), 0);
  // A host in a zone the tasks cannot use changes nothing. The registration signals the
  // scheduler before it answers, so by the time a later RunTask (placed on that host)
  // has answered, a round has retried the waiting tasks against the new host.
  AddHost("us-east-1b");
  v1::RunTaskRequest barrier = RunRequest();
  barrier.mutable_network_configuration()->mutable_awsvpc_configuration()->set_subnets(0,
                                                                                       subnet_b_);
  absl::StatusOr<v1::RunTaskResponse> placed_in_b = RunTask(barrier);
  ASSERT_THAT(placed_in_b, IsOk());
  ASSERT_EQ(placed_in_b->tasks_size(), 1);
  EXPECT_EQ(placed_in_b->tasks(0).availability_zone(), "us-east-1b");
  for (const std::string& arn : arns) EXPECT_EQ(DescribeOne(arn).attachments_size(), 0);

  const std::string host = AddHost("us-east-1a");
  std::set<std::string> addresses;
  for (const std::string& arn : arns) {
    v1::Task task = AwaitPlaced(arn);
    EXPECT_EQ(task.last_status(), "PROVISIONING");
    EXPECT_EQ(task.availability_zone(), "us-east-1a");
    EXPECT_EQ(task.container_instance_arn(), Arn("container-instance/" + host));
    ASSERT_EQ(task.attachments_size(), 1);
    EXPECT_EQ(task.attachments(0).status(), "PRECREATED");
    EXPECT_EQ(Detail(task.attachments(0), "subnetId"), subnet_a_);
    addresses.insert(Detail(task.attachments(0), "privateIPv4Address"));
    EXPECT_GE(task.version(), 2);
  }
  EXPECT_EQ(addresses.size(), 2u);
  v1::ListTasksRequest on_host;
  on_host.set_container_instance(host);
  std::vector<std::string> sorted = arns;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_THAT(ListAll(on_host), ElementsAreArray(sorted));
}

}  // namespace
}  // namespace gantry::api
