// The agent protocol through AgentOperations over a real PostgreSQL, a real scheduler
// and a real CommandListener feeding the poll hub: launches reach a poll (at once or by
// waking a held one), acknowledgements, reports, stops, reconnects, lost hosts, and
// draining with UpdateContainerInstancesState.
#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "api/host_monitor.h"
#include "api/poll_hub.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/api/call_and_wait.h"
#include "tests/api/task_operations_test_support.h"
#include "tests/support/status_matchers.h"

namespace gantry::api::task_operations_test {
namespace {

using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr absl::StatusCode kFailedPrecondition = absl::StatusCode::kFailedPrecondition;

class AgentOperationsTest : public TaskOperationsTest {
 protected:
  void SetUp() override {
    TaskOperationsTest::SetUp();
    if (HasFatalFailure()) return;
    PollHub* hub = hub_.get();
    absl::StatusOr<std::unique_ptr<storage::CommandListener>> listener =
        storage::CommandListener::Start(
            conninfo_, [hub](const std::vector<std::string>& hosts) { hub->Wake(hosts); },
            [hub] { hub->Reset(); });
    ASSERT_THAT(listener, IsOk());
    listener_ = *std::move(listener);
  }

  void TearDown() override {
    if (monitor_ != nullptr) monitor_->Stop();
    if (listener_ != nullptr) listener_->Stop();
    TaskOperationsTest::TearDown();
  }

  absl::StatusOr<v1::PollCommandsResponse> Poll(const std::string& host, int64_t acked = 0,
                                                int64_t wait_ms = 0) {
    v1::PollCommandsRequest request;
    request.set_host_id(host);
    request.set_acked_sequence(acked);
    request.set_wait_ms(wait_ms);
    return CallOnce(*agent_, &AgentOperations::PollCommands, request);
  }

  // Polls (wait 0) and expects exactly `count` commands.
  v1::PollCommandsResponse PollExpecting(const std::string& host, int count, int64_t acked = 0) {
    absl::StatusOr<v1::PollCommandsResponse> response = Poll(host, acked);
    EXPECT_THAT(response, IsOk());
    if (!response.ok()) return {};
    EXPECT_EQ(response->commands_size(), count) << response->DebugString();
    return *response;
  }

  absl::StatusOr<v1::ReportTaskStateResponse> Report(const std::string& host,
                                                     std::vector<v1::TaskStateReport> tasks) {
    v1::ReportTaskStateRequest request;
    request.set_host_id(host);
    for (v1::TaskStateReport& task : tasks) *request.add_tasks() = std::move(task);
    return CallOnce(*agent_, &AgentOperations::ReportTaskState, request);
  }

  static v1::TaskStateReport Running(const std::string& arn) {
    v1::TaskStateReport report;
    report.set_task_arn(arn);
    report.set_status("RUNNING");
    report.set_at_unix_ms(absl::ToUnixMillis(absl::Now()));
    for (const char* name : {"app", "sidecar"}) {
      v1::ContainerStateReport* container = report.add_containers();
      container->set_name(name);
      container->set_status("RUNNING");
      container->set_runtime_id(absl::StrCat("runtime-", name));
    }
    return report;
  }

  absl::StatusOr<v1::RegisterHostResponse> Reconnect(const std::string& host,
                                                     std::vector<v1::TaskStateReport> tasks) {
    v1::RegisterHostRequest request;
    request.set_host_id(host);
    request.set_availability_zone("us-east-1a");
    request.set_cpu_units(4096);
    request.set_memory_mib(16384);
    request.set_ephemeral_storage_gib(200);
    request.set_eni_slots(16);
    for (v1::TaskStateReport& task : tasks) *request.add_tasks() = std::move(task);
    return CallOnce(*agent_, &AgentOperations::RegisterHost, request);
  }

  absl::StatusOr<v1::UpdateContainerInstancesStateResponse> SetState(
      const std::vector<std::string>& instances, const std::string& status) {
    v1::UpdateContainerInstancesStateRequest request;
    for (const std::string& instance : instances) request.add_container_instances(instance);
    request.set_status(status);
    return CallOnce(*ecs_, &EcsOperations::UpdateContainerInstancesState, request);
  }

  v1::ContainerInstance DescribeHost(const std::string& host) {
    v1::DescribeContainerInstancesRequest request;
    request.add_container_instances(host);
    absl::StatusOr<v1::DescribeContainerInstancesResponse> response =
        CallOnce(*ecs_, &EcsOperations::DescribeContainerInstances, request);
    EXPECT_THAT(response, IsOk());
    if (!response.ok() || response->container_instances_size() != 1) return {};
    return response->container_instances(0);
  }

  // Runs one task and waits until it is placed; its ARN.
  std::string RunPlaced() {
    std::vector<std::string> arns = RunOk(RunRequest());
    if (arns.size() != 1) return "";
    AwaitPlaced(arns[0]);
    return arns[0];
  }

  std::unique_ptr<storage::CommandListener> listener_;
  std::unique_ptr<HostMonitor> monitor_;
};

// ---- PollCommands --------------------------------------------------------------

TEST_F(AgentOperationsTest, Poll_AfterRunTask_ReturnsLaunchWithFullDetails) {
  std::string host = AddHost("us-east-1a");
  std::string arn = RunPlaced();
  v1::Task task = DescribeOne(arn);
  v1::PollCommandsResponse response = PollExpecting(host, 1);
  ASSERT_EQ(response.commands_size(), 1);
  EXPECT_EQ(response.host_status(), "ACTIVE");
  const v1::Command& command = response.commands(0);
  EXPECT_GE(command.sequence(), 1);
  ASSERT_TRUE(command.has_launch());
  const v1::LaunchTask& launch = command.launch();
  EXPECT_EQ(launch.task_arn(), arn);
  EXPECT_EQ(launch.cluster_arn(), Arn("cluster/default"));
  EXPECT_EQ(launch.task_definition_arn(), Arn("task-definition/web:1"));
  EXPECT_EQ(launch.task_definition().family(), "web");
  EXPECT_EQ(launch.task_definition().revision(), 1);
  EXPECT_EQ(launch.task_definition().cpu(), "256");
  ASSERT_EQ(launch.task_definition().container_definitions_size(), 2);
  EXPECT_EQ(launch.task_definition().container_definitions(0).image(),
            "public.ecr.aws/nginx/nginx:1.27");
  ASSERT_EQ(launch.containers_size(), 2);
  EXPECT_EQ(launch.containers(0).name(), "app");
  EXPECT_EQ(launch.containers(0).container_arn(), task.containers(0).container_arn());
  EXPECT_EQ(launch.cpu_units(), 256);
  EXPECT_EQ(launch.memory_mib(), 512);
  EXPECT_EQ(launch.ephemeral_storage_gib(), 20);
  EXPECT_EQ(launch.availability_zone(), "us-east-1a");
  EXPECT_EQ(launch.group(), "family:web");
  EXPECT_EQ(launch.desired_status(), "RUNNING");
  EXPECT_GE(launch.version(), 1);
  const v1::TaskNetworkInterface& eni = launch.network_interface();
  ASSERT_EQ(task.attachments_size(), 1);
  EXPECT_EQ(eni.eni_id(), Detail(task.attachments(0), "networkInterfaceId"));
  EXPECT_EQ(eni.attachment_id(), task.attachments(0).id());
  EXPECT_EQ(eni.mac_address(), Detail(task.attachments(0), "macAddress"));
  EXPECT_EQ(eni.private_ipv4_address(), Detail(task.attachments(0), "privateIPv4Address"));
  EXPECT_EQ(eni.private_dns_name(), Detail(task.attachments(0), "privateDnsName"));
  EXPECT_EQ(eni.subnet_id(), subnet_a_);
  EXPECT_EQ(eni.subnet_cidr_block(), "10.0.1.0/24");
  EXPECT_EQ(eni.subnet_gateway_ipv4_address(), "10.0.1.1");
  EXPECT_THAT(eni.security_group_ids(), ElementsAre(default_group_));
  EXPECT_THAT(eni.domain_name_servers(), ElementsAre("10.0.0.2"));
  EXPECT_EQ(eni.vpc_id(), vpc_);
}

TEST_F(AgentOperationsTest, HeldPoll_AnsweredWhenRunTaskCommits) {
  std::string host = AddHost("us-east-1a");
  PollExpecting(host, 0);  // the host is now known clean: the next poll is held
  struct Held {
    absl::Notification done;
    absl::StatusOr<v1::PollCommandsResponse> result = absl::UnknownError("not answered");
  };
  auto held = std::make_shared<Held>();
  v1::PollCommandsRequest request;
  request.set_host_id(host);
  request.set_wait_ms(20000);
  const absl::Time start = absl::Now();
  agent_->PollCommands(test::AdminCaller(), request,
                       [held](absl::StatusOr<v1::PollCommandsResponse> result) {
                         held->result = std::move(result);
                         held->done.Notify();
                       });
  std::vector<std::string> arns = RunOk(RunRequest());
  ASSERT_EQ(arns.size(), 1u);
  // Well before the 20 s wait: the commit's notification woke the poll.
  ASSERT_TRUE(held->done.WaitForNotificationWithTimeout(absl::Seconds(10)))
      << "the held poll was not woken by the commit";
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  ASSERT_THAT(held->result, IsOk());
  ASSERT_EQ(held->result->commands_size(), 1) << held->result->DebugString();
  EXPECT_EQ(held->result->commands(0).launch().task_arn(), arns[0]);
}

TEST_F(AgentOperationsTest, WaitEnds_AnswersEmpty) {
  std::string host = AddHost("us-east-1a");
  absl::StatusOr<v1::PollCommandsResponse> response = Poll(host, 0, 200);
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->commands_size(), 0);
  EXPECT_EQ(response->host_status(), "ACTIVE");
}

TEST_F(AgentOperationsTest, Acknowledged_NotReturnedAgain_UnacknowledgedAre) {
  std::string host = AddHost("us-east-1a");
  RunPlaced();
  RunPlaced();
  v1::PollCommandsResponse first = PollExpecting(host, 2);
  ASSERT_EQ(first.commands_size(), 2);
  const int64_t one = first.commands(0).sequence();
  const int64_t two = first.commands(1).sequence();
  EXPECT_LT(one, two);
  // Nothing acknowledged: both again, in order.
  v1::PollCommandsResponse again = PollExpecting(host, 2);
  ASSERT_EQ(again.commands_size(), 2);
  EXPECT_EQ(again.commands(0).sequence(), one);
  // The first acknowledged by the poll itself.
  v1::PollCommandsResponse rest = PollExpecting(host, 1, one);
  ASSERT_EQ(rest.commands_size(), 1);
  EXPECT_EQ(rest.commands(0).sequence(), two);
  // The second by Ack.
  v1::AckRequest ack;
  ack.set_host_id(host);
  ack.set_acked_sequence(two);
  EXPECT_THAT(CallOnce(*agent_, &AgentOperations::Ack, ack), IsOk());
  PollExpecting(host, 0, two);
  PollExpecting(host, 0);
}

TEST_F(AgentOperationsTest, MaxCommands_LimitsOneAnswer) {
  std::string host = AddHost("us-east-1a");
  RunPlaced();
  RunPlaced();
  v1::PollCommandsRequest request;
  request.set_host_id(host);
  request.set_max_commands(1);
  absl::StatusOr<v1::PollCommandsResponse> response =
      CallOnce(*agent_, &AgentOperations::PollCommands, request);
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->commands_size(), 1);
}

// storage refuses an acknowledgement of a sequence never issued; the agent must see
// exactly that (it reconnects and acknowledges from 0), not something the hub made up.
TEST_F(AgentOperationsTest, AckNeverIssued_FailedPreconditionReachesTheAgent) {
  std::string host = AddHost("us-east-1a");
  RunPlaced();
  v1::PollCommandsResponse first = PollExpecting(host, 1);
  ASSERT_EQ(first.commands_size(), 1);
  const int64_t issued = first.commands(0).sequence();
  EXPECT_THAT(Poll(host, issued + 100, 5000),
              StatusIs(kFailedPrecondition,
                       absl::StrCat("ackedSequence: ", issued + 100, " was never issued")));
  // Nothing was deleted: after the reconnect, from 0, the command is still there.
  ASSERT_THAT(Reconnect(host, {}), IsOk());
  v1::PollCommandsResponse again = PollExpecting(host, 1);
  ASSERT_EQ(again.commands_size(), 1);
  EXPECT_EQ(again.commands(0).sequence(), issued);
}

// ---- ReportTaskState and StopTask -------------------------------------------------

// A time PostgreSQL cannot store would fail the whole batch (INTERNAL) on every retry.
TEST_F(AgentOperationsTest, ReportTimeOutOfRange_InvalidArgumentNamingTheField) {
  std::string host = AddHost("us-east-1a");
  std::string arn = RunPlaced();
  PollExpecting(host, 1);
  v1::TaskStateReport far = Running(arn);
  far.set_at_unix_ms(99999999999999);
  EXPECT_THAT(Report(host, {Running(arn), far}),
              StatusIs(kInvalid,
                       "tasks[1].atUnixMs: 99999999999999 is out of range; use epoch milliseconds "
                       "between 2000-01-01 and one day from now"));
  v1::TaskStateReport pulled = Running(arn);
  pulled.set_pull_stopped_at_unix_ms(std::numeric_limits<int64_t>::max());
  EXPECT_THAT(Report(host, {pulled}), StatusIs(kInvalid, "tasks[0].pullStoppedAtUnixMs: "));
  EXPECT_THAT(Reconnect(host, {far}), StatusIs(kInvalid, "tasks[0].atUnixMs: 99999999999999"));
  EXPECT_THAT(Report(host, {Running(arn)}), IsOk());
}

TEST_F(AgentOperationsTest, ReportRunning_ShowsInDescribeTasks) {
  std::string host = AddHost("us-east-1a");
  std::string arn = RunPlaced();
  PollExpecting(host, 1);
  absl::StatusOr<v1::ReportTaskStateResponse> reported = Report(host, {Running(arn)});
  ASSERT_THAT(reported, IsOk());
  ASSERT_EQ(reported->results_size(), 1);
  EXPECT_EQ(reported->results(0).task_arn(), arn);
  EXPECT_EQ(reported->results(0).outcome(), "APPLIED");
  EXPECT_EQ(reported->results(0).desired_status(), "RUNNING");

  v1::Task task = DescribeOne(arn);
  EXPECT_EQ(task.last_status(), "RUNNING");
  EXPECT_TRUE(task.has_started_at());
  ASSERT_EQ(task.containers_size(), 2);
  for (const v1::Container& container : task.containers()) {
    EXPECT_EQ(container.last_status(), "RUNNING") << container.name();
    EXPECT_EQ(container.runtime_id(), "runtime-" + container.name());
  }

  reported = Report(host, {Running(arn)});
  ASSERT_THAT(reported, IsOk());
  EXPECT_EQ(reported->results(0).outcome(), "DUPLICATE");

  const std::string unknown = Arn(std::string("task/default/") + kUnknownTaskId);
  reported = Report(host, {Running(unknown)});
  ASSERT_THAT(reported, IsOk());
  EXPECT_EQ(reported->results(0).task_arn(), unknown);
  EXPECT_EQ(reported->results(0).outcome(), "UNKNOWN");
  EXPECT_EQ(reported->results(0).desired_status(), "STOPPED");
}

TEST_F(AgentOperationsTest, StopDeliveredTask_StopCommandOnNextPoll) {
  std::string host = AddHost("us-east-1a");
  std::string arn = RunPlaced();
  v1::PollCommandsResponse launch = PollExpecting(host, 1);
  ASSERT_EQ(launch.commands_size(), 1);
  const int64_t launched = launch.commands(0).sequence();
  ASSERT_THAT(StopTask(arn, "scaling down"), IsOk());
  EXPECT_EQ(DescribeOne(arn).desired_status(), "STOPPED");
  v1::PollCommandsResponse stop = PollExpecting(host, 1, launched);
  ASSERT_EQ(stop.commands_size(), 1);
  EXPECT_GT(stop.commands(0).sequence(), launched);
  ASSERT_TRUE(stop.commands(0).has_stop());
  EXPECT_EQ(stop.commands(0).stop().task_arn(), arn);
  EXPECT_EQ(stop.commands(0).stop().stop_code(), "UserInitiated");
  EXPECT_EQ(stop.commands(0).stop().reason(), "scaling down");
}

// ---- RegisterHost: reconnect ---------------------------------------------------------

TEST_F(AgentOperationsTest, Reconnect_ReturnsWhatToStopAndWhatWasLost) {
  std::string host = AddHost("us-east-1a");
  std::string kept = RunPlaced();
  std::string gone = RunPlaced();
  v1::PollCommandsResponse launches = PollExpecting(host, 2);
  ASSERT_EQ(launches.commands_size(), 2);
  PollExpecting(host, 0, launches.commands(1).sequence());  // both acknowledged
  const std::string unknown = Arn(std::string("task/default/") + kUnknownTaskId);

  absl::StatusOr<v1::RegisterHostResponse> response =
      Reconnect(host, {Running(kept), Running(unknown)});
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->host_id(), host);
  EXPECT_EQ(response->container_instance_arn(), Arn("container-instance/" + host));
  EXPECT_THAT(response->stop_task_arns(), ElementsAre(unknown));
  EXPECT_THAT(response->lost_task_arns(), ElementsAre(gone));
  EXPECT_EQ(response->host_timeout_ms(), absl::ToInt64Milliseconds(kHostTimeout));
  EXPECT_EQ(DescribeOne(kept).last_status(), "RUNNING");
  v1::Task lost = DescribeOne(gone);
  EXPECT_EQ(lost.last_status(), "STOPPED");
  EXPECT_THAT(lost.stopped_reason(), HasSubstr(host));
}

TEST_F(AgentOperationsTest, Reconnect_UnknownHost_IsNotFound) {
  EXPECT_THAT(Reconnect("00000000000000000000000000000001", {}),
              StatusIs(kNotFound,
                       "hostId: host 00000000000000000000000000000001 is not "
                       "registered; register it anew"));
}

// ---- Lost hosts ----------------------------------------------------------------------

TEST_F(AgentOperationsTest, SilentHost_DeclaredLost_PollRefusedUntilReconnect) {
  std::string host = AddHost("us-east-1a");
  std::string arn = RunPlaced();
  std::atomic<int> capacity_changed{0};
  absl::StatusOr<std::unique_ptr<HostMonitor>> monitor =
      HostMonitor::Start({.conninfo = conninfo_, .host_timeout = absl::Milliseconds(300)},
                         hub_.get(), [&capacity_changed] { capacity_changed.fetch_add(1); });
  ASSERT_THAT(monitor, IsOk());
  monitor_ = *std::move(monitor);
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (DescribeHost(host).agent_connected() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  monitor_->Stop();
  ASSERT_FALSE(DescribeHost(host).agent_connected()) << "the silent host was not declared lost";
  v1::Task task = DescribeOne(arn);
  EXPECT_EQ(task.last_status(), "STOPPED");
  EXPECT_EQ(task.stop_code(), "TaskFailedToStart");  // it never ran
  EXPECT_THAT(task.stopped_reason(), HasSubstr(host));
  EXPECT_GE(capacity_changed.load(), 1);

  EXPECT_THAT(Poll(host), StatusIs(kFailedPrecondition,
                                   absl::StrCat("hostId: host ", host, " was declared lost")));
  ASSERT_THAT(Reconnect(host, {}), IsOk());
  EXPECT_TRUE(DescribeHost(host).agent_connected());
  PollExpecting(host, 0);
}

// ---- UpdateContainerInstancesState ---------------------------------------------------

TEST_F(AgentOperationsTest, DrainingHost_GetsNothingNew_ActiveAgainPlaces) {
  std::string host = AddHost("us-east-1a");
  absl::StatusOr<v1::UpdateContainerInstancesStateResponse> drained =
      SetState({host, "ffffffffffffffffffffffffffffffff"}, "DRAINING");
  ASSERT_THAT(drained, IsOk());
  ASSERT_EQ(drained->container_instances_size(), 1);
  EXPECT_EQ(drained->container_instances(0).status(), "DRAINING");
  EXPECT_TRUE(drained->container_instances(0).agent_connected());
  ASSERT_EQ(drained->failures_size(), 1);
  EXPECT_EQ(drained->failures(0).arn(), Arn("container-instance/ffffffffffffffffffffffffffffffff"));
  EXPECT_EQ(drained->failures(0).reason(), "MISSING");
  EXPECT_EQ(DescribeHost(host).status(), "DRAINING");

  absl::StatusOr<v1::RunTaskResponse> run = RunTask(RunRequest());
  ASSERT_THAT(run, IsOk());
  ASSERT_EQ(run->tasks_size(), 1);
  const std::string arn = run->tasks(0).task_arn();
  EXPECT_EQ(run->tasks(0).attachments_size(), 0) << "placed on a draining host";
  EXPECT_EQ(DescribeOne(arn).last_status(), "PROVISIONING");
  PollExpecting(host, 0);

  absl::StatusOr<v1::UpdateContainerInstancesStateResponse> active =
      SetState({Arn("container-instance/" + host)}, "ACTIVE");
  ASSERT_THAT(active, IsOk());
  ASSERT_EQ(active->container_instances_size(), 1);
  EXPECT_EQ(active->container_instances(0).status(), "ACTIVE");
  v1::Task placed = AwaitPlaced(arn);
  EXPECT_EQ(placed.container_instance_arn(), Arn("container-instance/" + host));
}

TEST_F(AgentOperationsTest, UpdateState_Invalid_NamesTheField) {
  std::string host = AddHost("us-east-1a");
  EXPECT_THAT(SetState({host}, "PAUSED"),
              StatusIs(kInvalid, "status: \"PAUSED\" is not valid; use ACTIVE or DRAINING"));
  EXPECT_THAT(SetState({host}, ""), StatusIs(kInvalid, "status: required; use ACTIVE or DRAINING"));
  EXPECT_THAT(SetState({}, "ACTIVE"),
              StatusIs(kInvalid, "containerInstances: 0 given; use 1 to 10"));
  EXPECT_THAT(SetState(std::vector<std::string>(11, host), "ACTIVE"),
              StatusIs(kInvalid, "containerInstances: 11 given; use 1 to 10"));
  EXPECT_THAT(SetState({"i-1"}, "ACTIVE"),
              StatusIs(kInvalid, "containerInstances[0]: \"i-1\" is not a container instance"));
  v1::UpdateContainerInstancesStateRequest request;
  request.set_cluster("nope");
  request.add_container_instances(host);
  request.set_status("DRAINING");
  EXPECT_THAT(CallOnce(*ecs_, &EcsOperations::UpdateContainerInstancesState, request),
              StatusIs(kNotFound, "cluster: cluster \"nope\" does not exist"));
  EXPECT_EQ(DescribeHost(host).status(), "ACTIVE");
}

// ---- Validation ------------------------------------------------------------------------

TEST_F(AgentOperationsTest, Invalid_NamesTheField) {
  std::string host = AddHost("us-east-1a");
  EXPECT_THAT(Poll("not-a-host"), StatusIs(kInvalid, "hostId: \"not-a-host\" is not a host id"));
  EXPECT_THAT(Poll(host, -1), StatusIs(kInvalid, "ackedSequence: -1"));
  EXPECT_THAT(Poll("00000000000000000000000000000002"),
              StatusIs(kNotFound,
                       "hostId: host 00000000000000000000000000000002 is not "
                       "registered"));
  v1::TaskStateReport bad = Running(Arn(std::string("task/default/") + kUnknownTaskId));
  bad.set_status("RUNING");
  EXPECT_THAT(Report(host, {Running(bad.task_arn()), Running(bad.task_arn()), bad}),
              StatusIs(kInvalid,
                       "tasks[2].status: \"RUNING\" is not a task status; use "
                       "PROVISIONING, PENDING"));
  EXPECT_THAT(Report("00000000000000000000000000000002", {}),
              StatusIs(kNotFound, "hostId: host 00000000000000000000000000000002"));
  v1::RegisterHostRequest reconnect;
  reconnect.set_host_id("HOST");
  reconnect.set_availability_zone("us-east-1a");
  reconnect.set_cpu_units(4096);
  reconnect.set_memory_mib(16384);
  reconnect.set_ephemeral_storage_gib(200);
  reconnect.set_eni_slots(16);
  EXPECT_THAT(CallOnce(*agent_, &AgentOperations::RegisterHost, reconnect),
              StatusIs(kInvalid, "hostId: \"HOST\" is not a host id"));
  v1::AckRequest ack;
  ack.set_host_id("00000000000000000000000000000002");
  EXPECT_THAT(CallOnce(*agent_, &AgentOperations::Ack, ack), StatusIs(kNotFound, "hostId: "));
}

}  // namespace
}  // namespace gantry::api::task_operations_test
