// The agent protocol's storage side against a real PostgreSQL: command queues written by
// CommitRound and StopTask, TakeCommands/AckCommands, task reports through the lifecycle
// state machine, reconnection, host loss and host status.
#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/storage/agent_fixture.h"
#include "tests/support/status_matchers.h"

namespace gantry::storage {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using testing::AgentTest;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::kAccount;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

std::vector<int64_t> Sequences(const PolledCommands& polled) {
  std::vector<int64_t> sequences;
  for (const PendingCommand& command : polled.commands) sequences.push_back(command.sequence);
  return sequences;
}

std::vector<std::string> TaskIds(const PolledCommands& polled) {
  std::vector<std::string> ids;
  for (const PendingCommand& command : polled.commands) ids.push_back(command.task.spec.task_id);
  return ids;
}

using CommandsTest = AgentTest;

TEST_F(CommandsTest, CommitRound_LaunchCommands_ConsecutivePerHostInCommitOrder) {
  HostRow a = Host();
  HostRow b = Host();
  Round round{.region = "us-east-1"};
  std::vector<std::string> on_a, on_b;
  for (int i = 0; i < 5; ++i) {
    round.new_tasks.push_back(Task());
    const HostRow& host = i % 2 == 0 ? a : b;
    round.placements.push_back({round.new_tasks.back().task_id, host.host_id, subnet_, "az-a"});
    (i % 2 == 0 ? on_a : on_b).push_back(round.new_tasks.back().task_id);
  }
  ASSERT_THAT(CommitRound(*connection_, round), IsOk());
  std::vector<std::string> later = Place(a, 2);
  on_a.insert(on_a.end(), later.begin(), later.end());

  PolledCommands polled = Take(a);
  EXPECT_THAT(Sequences(polled), ElementsAre(1, 2, 3, 4, 5));
  EXPECT_EQ(TaskIds(polled), on_a);
  for (const PendingCommand& command : polled.commands) EXPECT_EQ(command.kind, "LAUNCH");
  EXPECT_THAT(Sequences(Take(b)), ElementsAre(1, 2));
  EXPECT_EQ(TaskIds(Take(b)), on_b);
}

TEST_F(CommandsTest, CommitRound_SubnetRunsOut_SequencesStayGapFree) {
  subnet_ = Subnet("10.0.2.0/28");  // 11 usable addresses
  HostRow host = Host("az-a", 16384, 64);
  Round round{.region = "us-east-1"};
  for (int i = 0; i < 12; ++i) {
    round.new_tasks.push_back(Task());
    round.placements.push_back({round.new_tasks.back().task_id, host.host_id, subnet_, "az-a"});
  }
  auto result = CommitRound(*connection_, round);
  ASSERT_THAT(result, IsOk());
  ASSERT_THAT(result->displaced_task_ids, SizeIs(1));
  subnet_ = Subnet("10.0.3.0/24");
  Place(host, 1);
  std::vector<int64_t> want;
  for (int64_t seq = 1; seq <= 12; ++seq) want.push_back(seq);
  EXPECT_EQ(Sequences(Take(host)), want);
}

TEST_F(CommandsTest, TakeCommands_LaunchCarriesDetails_MarksDelivered_RetakenUntilAcked) {
  HostRow host = Host();
  std::vector<std::string> ids = Place(host, 3);
  EXPECT_FALSE(Get(ids[0]).delivered_at.has_value());

  PolledCommands first = Take(host, 0, 2);
  EXPECT_EQ(first.host_status, "ACTIVE");
  EXPECT_TRUE(first.agent_connected);
  ASSERT_THAT(first.commands, SizeIs(2));
  const PendingCommand& launch = first.commands[0];
  EXPECT_EQ(launch.kind, "LAUNCH");
  EXPECT_EQ(launch.task.spec.task_id, ids[0]);
  ASSERT_TRUE(launch.task.placement.has_value());
  EXPECT_EQ(launch.task.placement->instance_id, host.instance_id);
  EXPECT_EQ(launch.task.placement->private_ipv4, "10.0.1.4");
  EXPECT_TRUE(launch.task.delivered_at.has_value());
  ASSERT_TRUE(launch.launch.has_value());
  EXPECT_EQ(launch.launch->definition.family(), "web");
  ASSERT_EQ(launch.launch->definition.container_definitions_size(), 1);
  EXPECT_EQ(launch.launch->definition.container_definitions(0).image(), "nginx:1.27");
  EXPECT_EQ(launch.launch->vpc_id, vpc_id_);
  EXPECT_EQ(launch.launch->vpc_cidr_block, "10.0.0.0/16");
  EXPECT_EQ(launch.launch->subnet_cidr_block, "10.0.1.0/24");
  EXPECT_THAT(launch.launch->security_group_ids, ElementsAre("sg-0123456789abcdef0"));
  const absl::Time delivered = *Get(ids[0]).delivered_at;
  EXPECT_FALSE(Get(ids[2]).delivered_at.has_value()) << "beyond the limit";

  // No acknowledgement: the same commands again (at least once), delivery time kept.
  PolledCommands again = Take(host, 0, 2);
  EXPECT_THAT(Sequences(again), ElementsAre(1, 2));
  EXPECT_EQ(*Get(ids[0]).delivered_at, delivered);

  // Acknowledging 2 (by poll) deletes 1 and 2.
  EXPECT_THAT(Sequences(Take(host, 2)), ElementsAre(3));
  EXPECT_THAT(Sequences(Take(host, 0)), ElementsAre(3));
  ASSERT_THAT(AckCommands(*connection_, host.instance_id, 3), IsOk());
  EXPECT_THAT(Take(host).commands, IsEmpty());
  EXPECT_EQ(CountCommands(ids[2]), 0);
}

TEST_F(CommandsTest, UnknownHost_IsNotFound) {
  const std::string unknown(32, 'f');
  EXPECT_THAT(TakeCommands(*connection_, unknown, 0, 10),
              StatusIs(absl::StatusCode::kNotFound, unknown));
  EXPECT_THAT(AckCommands(*connection_, unknown, 1), StatusIs(absl::StatusCode::kNotFound, ""));
  EXPECT_THAT(ApplyTaskReports(*connection_, unknown, {}),
              StatusIs(absl::StatusCode::kNotFound, ""));
  EXPECT_THAT(ReconnectHost(*connection_, unknown, {}), StatusIs(absl::StatusCode::kNotFound, ""));
  EXPECT_THAT(RecordHeartbeats(*connection_, {unknown}), IsOk()) << "ignored";
}

// Taking commands never writes the host row (it would wait for placement rounds
// holding it); heartbeats mark the host seen.
TEST_F(CommandsTest, TakeCommandsLeavesTheHostRow_HeartbeatsMarkItSeen) {
  HostRow host = Host();
  Exec("UPDATE hosts SET last_seen_at = now() - interval '1 hour'");
  EXPECT_LT(Reload(host).last_seen_at, absl::Now() - absl::Minutes(30));
  Take(host);
  EXPECT_LT(Reload(host).last_seen_at, absl::Now() - absl::Minutes(30));
  ASSERT_THAT(RecordHeartbeats(*connection_, {host.instance_id, std::string(32, '0')}), IsOk());
  EXPECT_GT(Reload(host).last_seen_at, absl::Now() - absl::Minutes(1));
}

TEST_F(CommandsTest, AckNeverIssued_FailedPreconditionAndNothingDeleted) {
  HostRow host = Host();
  Place(host, 2);  // sequences 1 and 2; the next is 3
  EXPECT_THAT(TakeCommands(*connection_, host.instance_id, 3, 10),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       absl::StrCat("ackedSequence: 3 was never issued to host ", host.instance_id,
                                    "; the highest issued is 2")));
  EXPECT_THAT(AckCommands(*connection_, host.instance_id, 7),
              StatusIs(absl::StatusCode::kFailedPrecondition, "ackedSequence: 7 was never issued"));
  EXPECT_THAT(Sequences(Take(host)), ElementsAre(1, 2));
  EXPECT_THAT(Take(host, 2).commands, IsEmpty()) << "the highest issued number is fine";

  HostRow fresh = Host();
  EXPECT_THAT(TakeCommands(*connection_, fresh.instance_id, 1, 10),
              StatusIs(absl::StatusCode::kFailedPrecondition, "the highest issued is 0"));
}

TEST_F(CommandsTest, MorePending_WhenCutByTheLimit) {
  HostRow host = Host();
  Place(host, 3);
  PolledCommands first = Take(host, 0, 2);
  EXPECT_THAT(Sequences(first), ElementsAre(1, 2));
  EXPECT_TRUE(first.more_pending);
  PolledCommands rest = Take(host, 2, 1);
  EXPECT_THAT(Sequences(rest), ElementsAre(3));
  EXPECT_FALSE(rest.more_pending) << "exactly the limit left is all there is";
  EXPECT_FALSE(Take(host, 3, 1).more_pending);
}

// A launch whose task stopped after the poll's read (a StopTask racing it) is dropped;
// the answer is then empty while a later command waits beyond the limit.
TEST_F(CommandsTest, DroppedLaunch_EmptyAnswerSaysMorePending) {
  HostRow host = Host();
  std::vector<std::string> ids = Place(host, 2);
  // Stopped behind storage's back, its LAUNCH row left in place, as the race leaves it
  // for the poll to find.
  const std::string id = "'" + ids[0] + "'";
  Exec(absl::StrCat(
      "UPDATE hosts h SET cpu_used = cpu_used - t.cpu, memory_used = memory_used - t.memory, "
      "storage_used = storage_used - t.ephemeral_storage, eni_used = eni_used - 1 "
      "FROM tasks t WHERE t.task_id = ",
      id,
      " AND h.host_id = t.host_id; "
      "WITH gone AS (DELETE FROM network_interfaces WHERE task_id = ",
      id,
      " RETURNING subnet_id, address_offset), "
      "freed AS (INSERT INTO subnet_free_addresses SELECT subnet_id, address_offset FROM gone) "
      "UPDATE subnets s SET addresses_in_use = addresses_in_use - 1 FROM gone "
      "WHERE s.subnet_id = gone.subnet_id; "
      "UPDATE tasks SET last_status = 'STOPPED', desired_status = 'STOPPED', stopped_at = now(), "
      "holds_resources = false WHERE task_id = ",
      id));
  PolledCommands dropped = Take(host, 0, 1);
  EXPECT_THAT(dropped.commands, IsEmpty());
  EXPECT_TRUE(dropped.more_pending);
  EXPECT_EQ(CountCommands(ids[0]), 0);
  EXPECT_FALSE(Get(ids[0]).delivered_at.has_value());
  PolledCommands next = Take(host, 0, 1);
  EXPECT_EQ(TaskIds(next), std::vector<std::string>{ids[1]});
  EXPECT_FALSE(next.more_pending);
}

TEST_F(CommandsTest, LaunchHandedOutAgain_DoesNotWriteTheTask) {
  HostRow host = Host();
  std::string id = Place(host, 1)[0];
  auto xmin = [&] {
    pqxx::connection admin(conninfo_);
    pqxx::read_transaction tx(admin);
    return tx.exec_params1("SELECT xmin::text FROM tasks WHERE task_id = $1", id)[0]
        .as<std::string>();
  };
  ASSERT_THAT(Take(host).commands, SizeIs(1));
  const std::string delivered = xmin();
  PolledCommands again = Take(host);
  ASSERT_THAT(again.commands, SizeIs(1));
  EXPECT_EQ(again.commands[0].kind, "LAUNCH");
  EXPECT_TRUE(again.commands[0].task.delivered_at.has_value());
  EXPECT_EQ(xmin(), delivered) << "no new row version";
}

using StopTest = AgentTest;

TEST_F(StopTest, StopTask_BeforeDelivery_StopsNowAndLaunchCommandGone) {
  HostRow host = Host();
  std::vector<std::string> ids = Place(host, 2);
  auto stopped = StopTask(*connection_, kAccount, "default", ids[0], "UserInitiated", "not needed");
  ASSERT_THAT(stopped, IsOk());
  EXPECT_TRUE(stopped->released);
  EXPECT_EQ(stopped->task.last_status, "STOPPED");
  EXPECT_EQ(stopped->task.stop_code, "UserInitiated");
  EXPECT_EQ(CountCommands(ids[0]), 0);
  EXPECT_EQ(Reload(host).used.cpu_units, 256);
  PolledCommands polled = Take(host);
  EXPECT_EQ(TaskIds(polled), std::vector<std::string>{ids[1]});
  EXPECT_THAT(Sequences(polled), ElementsAre(2));
}

TEST_F(StopTest, StopTask_AfterDelivery_QueuesStopCommandAndKeepsResources) {
  HostRow host = Host();
  std::vector<std::string> ids = Place(host, 1);
  TakeAndAck(host);
  const absl::Time before = absl::Now() - absl::Seconds(5);
  auto stopped = StopTask(*connection_, kAccount, "default", ids[0], "UserInitiated", "done");
  ASSERT_THAT(stopped, IsOk());
  EXPECT_FALSE(stopped->released);
  EXPECT_EQ(stopped->task.last_status, "PROVISIONING");
  EXPECT_EQ(stopped->task.desired_status, "STOPPED");
  EXPECT_EQ(stopped->task.stop_code, "UserInitiated");
  EXPECT_EQ(stopped->task.stopped_reason, "done");
  ASSERT_TRUE(stopped->task.stopping_at.has_value()) << "stoppingAt from the request";
  EXPECT_GT(*stopped->task.stopping_at, before);
  EXPECT_TRUE(stopped->task.holds_resources);
  EXPECT_EQ(stopped->task.version, 2);
  EXPECT_EQ(Reload(host).used.cpu_units, 256);

  PolledCommands polled = Take(host);
  ASSERT_THAT(polled.commands, SizeIs(1));
  EXPECT_EQ(polled.commands[0].kind, "STOP");
  EXPECT_EQ(polled.commands[0].sequence, 2);
  EXPECT_EQ(polled.commands[0].task.spec.task_id, ids[0]);
  EXPECT_FALSE(polled.commands[0].launch.has_value());

  // A second stop changes nothing and queues nothing.
  auto again =
      StopTask(*connection_, kAccount, "default", ids[0], "ServiceSchedulerInitiated", "x");
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->task.stop_code, "UserInitiated");
  EXPECT_EQ(again->task.version, stopped->task.version);
  EXPECT_THAT(Sequences(Take(host)), ElementsAre(2));
}

// Agents polling while users stop the same undelivered tasks: each task ends either
// handed out and stopped through its agent, or stopped at once and never handed out.
TEST_F(StopTest, StopTaskRacingTakeCommands_NeverBothOrNeither) {
  HostRow host = Host("az-a", 16384, 64);
  std::vector<std::string> ids = Place(host, 20);
  std::latch start(2);
  std::set<std::string> handed_out;
  std::vector<absl::Status> statuses(2);
  std::thread poller([&] {
    auto connection = Connection::Open(conninfo_);
    if (!connection.ok()) return;
    start.arrive_and_wait();
    for (int i = 0; i < 20; ++i) {
      auto polled = TakeCommands(**connection, host.instance_id, 0, 1 + i % 3);
      if (!polled.ok()) {
        statuses[0] = polled.status();
        return;
      }
      for (const PendingCommand& command : polled->commands) {
        if (command.kind == "LAUNCH") handed_out.insert(command.task.spec.task_id);
      }
      if (!polled->commands.empty()) {
        (void)AckCommands(**connection, host.instance_id, polled->commands.back().sequence);
      }
    }
  });
  std::thread stopper([&] {
    auto connection = Connection::Open(conninfo_);
    if (!connection.ok()) return;
    start.arrive_and_wait();
    for (const std::string& id : ids) {
      auto stopped = StopTask(**connection, kAccount, "default", id, "UserInitiated", "race");
      if (!stopped.ok()) statuses[1] = stopped.status();
    }
  });
  poller.join();
  stopper.join();
  for (const absl::Status& status : statuses) EXPECT_THAT(status, IsOk());
  for (const std::string& id : ids) {
    SCOPED_TRACE(id);
    TaskRow task = Get(id);
    EXPECT_EQ(task.desired_status, "STOPPED");
    if (task.delivered_at.has_value()) {
      EXPECT_EQ(task.last_status, "PROVISIONING") << "stopped through the agent";
      EXPECT_TRUE(task.holds_resources);
    } else {
      EXPECT_EQ(task.last_status, "STOPPED");
      EXPECT_FALSE(handed_out.contains(id)) << "handed out but stopped without the agent";
    }
  }
}

using ReportsTest = AgentTest;

TEST_F(ReportsTest, FullLifecycle_TimestampsAndResourcesReleasedOnlyAtStopped) {
  HostRow host = Host();
  std::vector<std::string> ids = Place(host, 1);
  const std::string& id = ids[0];
  TakeAndAck(host);

  TaskReport pending = Report(id, "PENDING", 5);
  pending.pull_started_at = At(6);
  pending.pull_stopped_at = At(9);
  TaskReport running = Report(id, "RUNNING", 10);
  running.containers = {Container("app", "RUNNING")};
  ReportsApplied applied = Apply(host, {running, pending});  // oldest first
  ASSERT_THAT(applied.results, SizeIs(2));
  EXPECT_EQ(applied.results[0].outcome, ReportOutcome::kApplied);
  EXPECT_EQ(applied.results[1].outcome, ReportOutcome::kApplied);
  EXPECT_EQ(applied.results[0].desired_status, "RUNNING");
  EXPECT_FALSE(applied.released);
  TaskRow task = Get(id);
  EXPECT_EQ(task.last_status, "RUNNING");
  EXPECT_EQ(task.version, 3);
  EXPECT_EQ(task.pull_started_at, At(6));
  EXPECT_EQ(task.pull_stopped_at, At(9));
  EXPECT_EQ(task.started_at, At(10));
  ASSERT_THAT(task.spec.containers, SizeIs(1));
  EXPECT_EQ(task.spec.containers[0].last_status(), "RUNNING");
  EXPECT_EQ(task.spec.containers[0].runtime_id(), "runtime-app");

  // Duplicates and stale reports change nothing.
  applied = Apply(host, {running, Report(id, "PENDING", 11)});
  EXPECT_EQ(applied.results[0].outcome, ReportOutcome::kDuplicate);
  EXPECT_EQ(applied.results[1].outcome, ReportOutcome::kStale);
  EXPECT_EQ(Get(id).version, 3);

  auto requested = StopTask(*connection_, kAccount, "default", id, "UserInitiated", "done");
  ASSERT_THAT(requested, IsOk());
  ASSERT_TRUE(requested->task.stopping_at.has_value());
  applied = Apply(host, {Report(id, "DEACTIVATING", 20), Report(id, "STOPPING", 21),
                         Report(id, "DEPROVISIONING", 22)});
  EXPECT_FALSE(applied.released);
  EXPECT_EQ(applied.results[2].desired_status, "STOPPED");
  task = Get(id);
  EXPECT_EQ(task.last_status, "DEPROVISIONING");
  EXPECT_TRUE(task.holds_resources) << "the agent may still hold the ENI";
  EXPECT_EQ(task.execution_stopped_at, At(22));
  EXPECT_EQ(Reload(host).used.cpu_units, 256);
  EXPECT_EQ(Reload(host).used.enis, 1);
  EXPECT_EQ(AddressesInUse(), 1);

  TaskReport stopped = Report(id, "STOPPED", 30);
  stopped.containers = {Container("app", "STOPPED", 0)};
  applied = Apply(host, {stopped});
  EXPECT_EQ(applied.results[0].outcome, ReportOutcome::kApplied);
  EXPECT_TRUE(applied.released);
  task = Get(id);
  EXPECT_EQ(task.last_status, "STOPPED");
  EXPECT_FALSE(task.holds_resources);
  EXPECT_EQ(task.stop_code, "UserInitiated");
  EXPECT_EQ(task.stopped_reason, "done");
  EXPECT_EQ(task.stopped_at, At(30));
  EXPECT_EQ(task.stopping_at, requested->task.stopping_at) << "when StopTask asked, kept";
  EXPECT_EQ(task.spec.containers[0].last_status(), "STOPPED");
  EXPECT_EQ(task.spec.containers[0].exit_code(), 0);
  EXPECT_EQ(Reload(host).used.cpu_units, 0);
  EXPECT_EQ(Reload(host).used.enis, 0);
  EXPECT_EQ(AddressesInUse(), 0);
  EXPECT_EQ(CountCommands(id), 0) << "the STOP command went with it";

  // After STOPPED everything is a duplicate or stale, and nothing is released twice.
  applied = Apply(host, {stopped, running});
  EXPECT_EQ(applied.results[0].outcome, ReportOutcome::kDuplicate);
  EXPECT_EQ(applied.results[1].outcome, ReportOutcome::kStale);
  EXPECT_FALSE(applied.released);
}

TEST_F(ReportsTest, DuplicateStatusWithNewContainerState_IsApplied) {
  HostRow host = Host();
  std::string id = Place(host, 1)[0];
  TakeAndAck(host);
  Apply(host, {Report(id, "RUNNING", 10)});
  TaskReport healthy = Report(id, "RUNNING", 11);
  ContainerReport app = Container("app", "RUNNING");
  app.health_status = "HEALTHY";
  gantry::v1::NetworkBinding binding;
  binding.set_container_port(80);
  binding.set_protocol("tcp");
  app.network_bindings = {binding};
  healthy.containers = {app};
  ReportsApplied applied = Apply(host, {healthy});
  EXPECT_EQ(applied.results[0].outcome, ReportOutcome::kApplied);
  TaskRow task = Get(id);
  EXPECT_EQ(task.version, 3);
  EXPECT_EQ(task.spec.containers[0].health_status(), "HEALTHY");
  EXPECT_EQ(task.health_status, "HEALTHY") << "its one essential container is";
  ASSERT_EQ(task.spec.containers[0].network_bindings_size(), 1);
  EXPECT_EQ(task.spec.containers[0].network_bindings(0).container_port(), 80);
  EXPECT_EQ(Apply(host, {healthy}).results[0].outcome, ReportOutcome::kDuplicate);
}

TEST_F(ReportsTest, TaskHealth_FollowsEssentialContainersOnly) {
  HostRow host = Host();
  std::string id = Place(host, 1, "duo")[0];  // app essential, sidecar not
  TakeAndAck(host);
  EXPECT_EQ(Get(id).health_status, "UNKNOWN") << "before any check";
  auto report = [&](int64_t at, const char* app, const char* sidecar) {
    TaskReport running = Report(id, "RUNNING", at);
    ContainerReport app_report = Container("app", "RUNNING");
    app_report.health_status = app;
    ContainerReport sidecar_report = Container("sidecar", "RUNNING");
    sidecar_report.health_status = sidecar;
    running.containers = {app_report, sidecar_report};
    EXPECT_EQ(Apply(host, {running}).results[0].outcome, ReportOutcome::kApplied);
    return Get(id).health_status;
  };
  EXPECT_EQ(report(10, "UNKNOWN", "HEALTHY"), "UNKNOWN") << "the essential one is not checked yet";
  EXPECT_EQ(report(11, "HEALTHY", "UNHEALTHY"), "HEALTHY") << "a sidecar does not count";
  EXPECT_EQ(report(12, "UNHEALTHY", "HEALTHY"), "UNHEALTHY");
  EXPECT_EQ(report(13, "HEALTHY", "HEALTHY"), "HEALTHY");
}

TEST_F(ReportsTest, EssentialContainerExits_TaskStopsWithEssentialContainerExited) {
  HostRow host = Host();
  std::string id = Place(host, 1, "duo")[0];
  TakeAndAck(host);
  TaskReport running = Report(id, "RUNNING", 10);
  running.containers = {Container("app", "RUNNING"), Container("sidecar", "RUNNING")};
  Apply(host, {running});

  // The sidecar is not essential: the task keeps running.
  TaskReport sidecar_exit = Report(id, "RUNNING", 20);
  sidecar_exit.containers = {Container("sidecar", "STOPPED", 1)};
  ReportsApplied applied = Apply(host, {sidecar_exit});
  EXPECT_EQ(applied.results[0].outcome, ReportOutcome::kApplied);
  EXPECT_EQ(applied.results[0].desired_status, "RUNNING");

  TaskReport app_exit = Report(id, "RUNNING", 30);
  app_exit.containers = {Container("app", "STOPPED", 3)};
  applied = Apply(host, {app_exit});
  EXPECT_EQ(applied.results[0].outcome, ReportOutcome::kApplied);
  EXPECT_EQ(applied.results[0].desired_status, "STOPPED");
  TaskRow task = Get(id);
  EXPECT_EQ(task.desired_status, "STOPPED");
  EXPECT_EQ(task.stop_code, "EssentialContainerExited");
  EXPECT_EQ(task.stopped_reason, "Essential container in task exited");
  EXPECT_EQ(task.stopping_at, At(30));
  EXPECT_EQ(task.spec.containers[0].exit_code(), 3);

  applied = Apply(host, {Report(id, "STOPPED", 40)});
  EXPECT_TRUE(applied.released);
  EXPECT_EQ(Get(id).stop_code, "EssentialContainerExited");
}

TEST_F(ReportsTest, FailedLaunch_TaskFailedToStartWithTheAgentsReason) {
  HostRow host = Host();
  std::string id = Place(host, 1, "duo")[0];
  TakeAndAck(host);
  Apply(host, {Report(id, "PENDING", 5)});
  TaskReport failed = Report(id, "STOPPED", 9, "CannotPullContainerError: no such image");
  failed.containers = {Container("app", "STOPPED"), Container("sidecar", "STOPPED")};
  ReportsApplied applied = Apply(host, {failed});
  EXPECT_EQ(applied.results[0].outcome, ReportOutcome::kApplied);
  EXPECT_TRUE(applied.released);
  TaskRow task = Get(id);
  EXPECT_EQ(task.last_status, "STOPPED");
  EXPECT_EQ(task.stop_code, "TaskFailedToStart");
  EXPECT_EQ(task.stopped_reason, "CannotPullContainerError: no such image");
  EXPECT_FALSE(task.started_at.has_value());
  EXPECT_EQ(Reload(host).used.cpu_units, 0);
}

TEST_F(ReportsTest, UnknownTasksAndStatuses_AreUnknown) {
  HostRow host = Host();
  HostRow other = Host();
  std::string mine = Place(host, 1)[0];
  std::string theirs = Place(other, 1)[0];
  ReportsApplied applied =
      Apply(host, {Report(ids::RandomHex(32), "RUNNING", 1), Report(theirs, "RUNNING", 2),
                   Report(mine, "DELETED", 3), Report(mine, "PENDING", 4)});
  ASSERT_THAT(applied.results, SizeIs(4));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(applied.results[i].outcome, ReportOutcome::kUnknown) << i;
    EXPECT_EQ(applied.results[i].desired_status, "STOPPED") << i;
  }
  EXPECT_EQ(applied.results[3].outcome, ReportOutcome::kApplied);
  EXPECT_EQ(Get(theirs).last_status, "PROVISIONING");
}

using ReconnectTest = AgentTest;

TEST_F(ReconnectTest, ReconnectHost_StopListAndLostTasks) {
  HostRow host = Host();
  // kept: reported RUNNING. ran: RUNNING, not reported. never: handed out, never ran,
  // not reported. stopping: desired STOPPED, reported. pending: launch not acked.
  std::vector<std::string> ids = Place(host, 4);
  const std::string kept = ids[0], ran = ids[1], never = ids[2], stopping = ids[3];
  TakeAndAck(host);
  Apply(host,
        {Report(kept, "RUNNING", 10), Report(ran, "RUNNING", 10), Report(stopping, "RUNNING", 10)});
  ASSERT_THAT(StopTask(*connection_, kAccount, "default", stopping, "UserInitiated", "bye"),
              IsOk());
  const std::string pending = Place(host, 1)[0];
  Take(host);  // handed out, not acknowledged
  const std::string unknown = ids::RandomHex(32);

  auto result = ReconnectHost(*connection_, host.instance_id,
                              {Report(kept, "RUNNING", 50), Report(stopping, "RUNNING", 50),
                               Report(unknown, "RUNNING", 50)});
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(result->stop_task_ids, UnorderedElementsAre(stopping, unknown));
  EXPECT_THAT(result->lost_task_ids, UnorderedElementsAre(ran, never));
  EXPECT_TRUE(result->released);
  EXPECT_TRUE(result->host.agent_connected);
  EXPECT_EQ(result->host.used.cpu_units, 3 * 256);

  TaskRow lost_ran = Get(ran);
  EXPECT_EQ(lost_ran.last_status, "STOPPED");
  EXPECT_EQ(lost_ran.stop_code, "InfrastructureHealth");
  EXPECT_EQ(lost_ran.stopped_reason,
            absl::StrCat("Task lost: host ", host.instance_id, " reconnected without it"));
  EXPECT_EQ(Get(never).stop_code, "TaskFailedToStart");
  EXPECT_EQ(Get(kept).last_status, "RUNNING");
  EXPECT_EQ(Get(stopping).last_status, "RUNNING");
  EXPECT_EQ(Get(pending).last_status, "PROVISIONING") << "its launch is still pending";
  EXPECT_EQ(CountCommands(pending), 1);
}

using LostHostTest = AgentTest;

TEST_F(LostHostTest, MarkLostHosts_StopsTasksFreesCapacity_SkipsFreshHosts_HostComesBack) {
  HostRow doomed = Host();
  HostRow fresh = Host();
  std::vector<std::string> ids = Place(doomed, 3);
  const std::string ran = ids[0], never = ids[1], undelivered = ids[2];
  Take(doomed, 0, 2);
  Apply(doomed, {Report(ran, "RUNNING", 10)});
  std::string survivor = Place(fresh, 1)[0];
  Exec("UPDATE hosts SET last_seen_at = now() - interval '45 seconds' WHERE instance_id = '" +
       doomed.instance_id + "'");

  auto lost = MarkLostHosts(*connection_, absl::Seconds(30), 10);
  ASSERT_THAT(lost, IsOk());
  ASSERT_THAT(*lost, SizeIs(1));
  EXPECT_EQ(lost->at(0).instance_id, doomed.instance_id);
  EXPECT_THAT(lost->at(0).stopped_task_ids, UnorderedElementsAre(ran, never, undelivered));
  const std::string reason =
      absl::StrCat("Host ", doomed.instance_id, " was lost: no heartbeat for 30s");
  EXPECT_EQ(Get(ran).stop_code, "InfrastructureHealth");
  EXPECT_EQ(Get(never).stop_code, "TaskFailedToStart");
  for (const std::string& id : ids) {
    TaskRow task = Get(id);
    EXPECT_EQ(task.last_status, "STOPPED");
    EXPECT_EQ(task.desired_status, "STOPPED");
    EXPECT_EQ(task.stopped_reason, reason);
    EXPECT_TRUE(task.stopping_at.has_value() && task.execution_stopped_at.has_value());
    EXPECT_FALSE(task.holds_resources);
    EXPECT_EQ(CountCommands(id), 0);
  }
  HostRow after = Reload(doomed);
  EXPECT_FALSE(after.agent_connected);
  EXPECT_TRUE(after.lost_at.has_value());
  EXPECT_EQ(after.used.cpu_units, 0);
  EXPECT_EQ(after.used.enis, 0);
  EXPECT_EQ(AddressesInUse(), 1);
  EXPECT_EQ(Get(survivor).last_status, "PROVISIONING");
  EXPECT_TRUE(Reload(fresh).agent_connected);
  EXPECT_THAT(*MarkLostHosts(*connection_, absl::Seconds(30), 10), IsEmpty());

  // A lost host is out of the scheduler's view and refuses placements.
  auto capacity = LoadCapacity(*connection_);
  ASSERT_THAT(capacity, IsOk());
  ASSERT_THAT(capacity->hosts, SizeIs(1));
  EXPECT_EQ(capacity->hosts[0].host_id, fresh.host_id);
  Round refused{.region = "us-east-1"};
  refused.new_tasks = {Task()};
  refused.placements = {{refused.new_tasks[0].task_id, doomed.host_id, subnet_, "az-a"}};
  auto result = CommitRound(*connection_, refused);
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(result->stale_hosts, ElementsAre(doomed.host_id));
  PolledCommands polled = Take(doomed);
  EXPECT_FALSE(polled.agent_connected);
  EXPECT_THAT(polled.commands, IsEmpty());

  // Its agent comes back (a partition): told to stop what the control plane gave up on.
  auto back = ReconnectHost(*connection_, doomed.instance_id, {Report(ran, "RUNNING", 60)});
  ASSERT_THAT(back, IsOk());
  EXPECT_THAT(back->stop_task_ids, ElementsAre(ran));
  EXPECT_THAT(back->lost_task_ids, IsEmpty());
  EXPECT_TRUE(back->host.agent_connected);
  EXPECT_FALSE(back->host.lost_at.has_value());
  EXPECT_EQ(back->host.status, "ACTIVE");
  EXPECT_EQ(back->host.used.cpu_units, 0);
  EXPECT_EQ(Get(ran).last_status, "STOPPED");
  capacity = LoadCapacity(*connection_);
  ASSERT_THAT(capacity, IsOk());
  EXPECT_THAT(capacity->hosts, SizeIs(2));
  Place(doomed, 1);
}

TEST_F(LostHostTest, MarkLostHosts_TaskLockedElsewhere_HostLeftForNextCallWithoutWaiting) {
  HostRow host = Host();
  std::string id = Place(host, 1)[0];
  Exec("UPDATE hosts SET last_seen_at = now() - interval '1 minute'");
  pqxx::connection other(conninfo_);
  auto holder = std::make_unique<pqxx::work>(other);
  holder->exec_params("SELECT 1 FROM tasks WHERE task_id = $1 FOR UPDATE", id);

  auto lost = MarkLostHosts(*connection_, absl::Seconds(30), 10);
  ASSERT_THAT(lost, IsOk());
  EXPECT_THAT(*lost, IsEmpty());
  EXPECT_TRUE(Reload(host).agent_connected);
  holder->commit();

  lost = MarkLostHosts(*connection_, absl::Seconds(30), 10);
  ASSERT_THAT(lost, IsOk());
  ASSERT_THAT(*lost, SizeIs(1));
  EXPECT_EQ(Get(id).last_status, "STOPPED");
}

TEST_F(LostHostTest, MarkLostHosts_Limit_OldestFirst) {
  HostRow older = Host();
  HostRow old = Host();
  Exec("UPDATE hosts SET last_seen_at = now() - interval '2 minutes' WHERE instance_id = '" +
       older.instance_id + "'");
  Exec("UPDATE hosts SET last_seen_at = now() - interval '1 minute' WHERE instance_id = '" +
       old.instance_id + "'");
  auto lost = MarkLostHosts(*connection_, absl::Seconds(30), 1);
  ASSERT_THAT(lost, IsOk());
  ASSERT_THAT(*lost, SizeIs(1));
  EXPECT_EQ(lost->at(0).instance_id, older.instance_id);
  EXPECT_THAT(lost->at(0).stopped_task_ids, IsEmpty());
}

using HostStatusTest = AgentTest;

TEST_F(HostStatusTest, Draining_RefusesPlacements_ActiveTakesThemAgain) {
  HostRow host = Host();
  HostRow other = Host();
  auto drained =
      UpdateHostStatus(*connection_, {host.instance_id, std::string(32, '0')}, "DRAINING");
  ASSERT_THAT(drained, IsOk());
  ASSERT_THAT(*drained, SizeIs(1));
  EXPECT_EQ(drained->at(0).status, "DRAINING");
  EXPECT_EQ(drained->at(0).version, host.version + 1);
  auto same = UpdateHostStatus(*connection_, {host.instance_id}, "DRAINING");
  ASSERT_THAT(same, IsOk());
  EXPECT_EQ(same->at(0).version, host.version + 1) << "unchanged";

  auto capacity = LoadCapacity(*connection_);
  ASSERT_THAT(capacity, IsOk());
  for (const HostCapacity& h : capacity->hosts) {
    EXPECT_EQ(h.status, h.host_id == host.host_id ? "DRAINING" : "ACTIVE");
  }
  Round round{.region = "us-east-1"};
  round.new_tasks = {Task()};
  round.placements = {{round.new_tasks[0].task_id, host.host_id, subnet_, "az-a"}};
  auto result = CommitRound(*connection_, round);
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(result->stale_hosts, ElementsAre(host.host_id));
  EXPECT_THAT(Take(host).commands, IsEmpty());
  EXPECT_EQ(Take(host).host_status, "DRAINING");

  ASSERT_THAT(UpdateHostStatus(*connection_, {host.instance_id}, "ACTIVE"), IsOk());
  Place(host, 1);
  EXPECT_EQ(Reload(other).version, other.version);
}

TEST_F(HostStatusTest, OtherStatuses_AreInvalidAndInactiveHostsStayInactive) {
  HostRow host = Host();
  EXPECT_THAT(UpdateHostStatus(*connection_, {host.instance_id}, "INACTIVE"),
              StatusIs(absl::StatusCode::kInvalidArgument, "use ACTIVE or DRAINING"));
  EXPECT_THAT(UpdateHostStatus(*connection_, {host.instance_id}, "draining"),
              StatusIs(absl::StatusCode::kInvalidArgument, "\"draining\""));
  Exec("UPDATE hosts SET status = 'INACTIVE'");
  auto result = UpdateHostStatus(*connection_, {host.instance_id}, "ACTIVE");
  ASSERT_THAT(result, IsOk());
  ASSERT_THAT(*result, SizeIs(1));
  EXPECT_EQ(result->at(0).status, "INACTIVE");
}

}  // namespace
}  // namespace gantry::storage
