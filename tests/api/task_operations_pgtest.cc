// RunTask over a real PostgreSQL and a real scheduler: driven through its callback (as
// the gRPC service drives it), with hosts registered through AgentOperations so that the
// scheduler's placement loop places the tasks, including tasks that wait for capacity.
// Every test ends by checking the scheduler's invariants in SQL.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/api.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/api/task_operations_test_support.h"
#include "tests/support/status_matchers.h"

namespace gantry::api::task_operations_test {
namespace {

using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::StartsWith;

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
  ASSERT_THAT(CallOnce(*ecs_, &EcsOperations::DeregisterTaskDefinition, deregister), IsOk());
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
  EXPECT_THAT(CallOnce(without, &EcsOperations::RunTask, RunRequest()),
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
  // ECS's ConflictException lists the bound tasks' ARNs as resourceIds.
  EXPECT_THAT(ResourceIdsOf(conflict.status()), ElementsAreArray(first));

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

// Another gantryd on the same database filled a host. Between full loads the scheduler
// re-reads a slice of hosts per round, all of them within view_max_age, so a task is then
// placed on the other host at once, not first given to the full one, displaced by the
// database's re-check and answered waiting.
class SlicedViewTest : public TaskOperationsTest {
 protected:
  scheduler::Options SchedulerOptions() const override {
    return {.view_max_age = absl::Milliseconds(100), .view_full_reload_age = absl::Hours(1)};
  }
};

TEST_F(SlicedViewTest, HostFilledElsewhere_SeenWithoutAFullReload) {
  const std::string first = AddHost("us-east-1a");
  const std::string second = AddHost("us-east-1a");
  std::vector<std::string> arns = RunOk(RunRequest());
  ASSERT_EQ(arns.size(), 1u);
  // Best fit among equals: the lowest id, so `first` holds the task and is the fuller.
  EXPECT_EQ(DescribeOne(arns[0]).container_instance_arn(), Arn("container-instance/" + first));

  pqxx::connection other(conninfo_);
  pqxx::work tx(other);
  tx.exec_params0("UPDATE hosts SET cpu_used = cpu_total WHERE instance_id = $1", first);
  tx.commit();
  absl::SleepFor(absl::Milliseconds(300));

  std::vector<std::string> later = RunOk(RunRequest());
  ASSERT_EQ(later.size(), 1u);
  v1::Task task = DescribeOne(later[0]);
  EXPECT_EQ(task.container_instance_arn(), Arn("container-instance/" + second));
  EXPECT_EQ(task.attachments_size(), 1);

  // Give the host its share back so the fixture's invariant check holds.
  pqxx::work undo(other);
  undo.exec_params0(
      "UPDATE hosts h SET cpu_used = (SELECT coalesce(sum(cpu), 0) FROM tasks t "
      "WHERE t.host_id = h.host_id AND t.holds_resources) WHERE instance_id = $1",
      first);
  undo.commit();
}

}  // namespace
}  // namespace gantry::api::task_operations_test
