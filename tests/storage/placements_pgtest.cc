// CommitRound, StopTask's release and the waiting queue against a real PostgreSQL.
// The scheduler's view is played by the tests: they hand CommitRound placements that
// may be stale on purpose and check that the database keeps every invariant.
#include <algorithm>
#include <latch>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/ids.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/storage/fixtures.h"
#include "tests/support/invariants.h"
#include "tests/support/pg_harness.h"
#include "tests/support/status_matchers.h"

namespace gantry::storage {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::PgHarness;
using ::gantry::testing::SchedulerInvariantViolations;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kAccount[] = "000000000000";

class PlacementsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = PgHarness::Get().NewDatabase();
    auto connection = Connection::Open(conninfo_);
    ASSERT_THAT(connection, IsOk());
    connection_ = *std::move(connection);
    ASSERT_THAT(CreateCluster(*connection_, kAccount, "default", {}), IsOk());
    ASSERT_THAT(RegisterTaskDefinition(*connection_, kAccount,
                                       testing::MinimalTaskDefinition("web"), {}, "test"),
                IsOk());
    auto vpc = CreateVpc(*connection_, kAccount, "10.0.0.0/16");
    ASSERT_THAT(vpc, IsOk());
    vpc_id_ = vpc->vpc_id;
  }

  void TearDown() override { EXPECT_THAT(SchedulerInvariantViolations(conninfo_), IsEmpty()); }

  std::string Subnet(const std::string& cidr, const std::string& zone = "az-a") {
    auto subnet = CreateSubnet(*connection_, kAccount, vpc_id_, cidr, zone);
    EXPECT_THAT(subnet, IsOk());
    return subnet.ok() ? subnet->subnet_id : "";
  }

  HostRow Host(const std::string& zone = "az-a", int32_t cpu = 4096, int32_t enis = 16) {
    auto host = RegisterHost(*connection_, {zone, {cpu, cpu * 2, 2000, enis}, "test", "h"});
    EXPECT_THAT(host, IsOk());
    return *host;
  }

  NewTask Task(const std::string& subnet, int32_t cpu = 1024) {
    NewTask task;
    task.task_id = ids::RandomHex(32);
    task.account_id = kAccount;
    task.cluster = "default";
    task.family = "web";
    task.revision = 1;
    task.group = "family:web";
    task.cpu_units = cpu;
    task.memory_mib = 2048;
    task.ephemeral_storage_gib = 20;
    task.subnet_ids = {subnet};
    task.security_group_ids = {"sg-0123456789abcdef0"};
    gantry::v1::Container container;
    container.set_name("app");
    task.containers = {container};
    return task;
  }

  static RoundPlacement At(const NewTask& task, const HostRow& host, const std::string& subnet) {
    return {task.task_id, host.host_id, subnet, host.availability_zone};
  }

  HostRow Reload(const HostRow& host) {
    auto hosts = GetHosts(*connection_, {host.instance_id});
    EXPECT_THAT(hosts, IsOk());
    return hosts->at(0);
  }

  std::string conninfo_;
  std::unique_ptr<Connection> connection_;
  std::string vpc_id_;
};

TEST_F(PlacementsTest, CommitRound_PlacesTasks_ReservesHostAndGivesFirstUsableAddresses) {
  std::string subnet = Subnet("10.0.1.0/24");
  HostRow host = Host();
  Round round{.region = "us-east-1"};
  for (int i = 0; i < 3; ++i) {
    round.new_tasks.push_back(Task(subnet));
    round.placements.push_back(At(round.new_tasks.back(), host, subnet));
  }
  auto result = CommitRound(*connection_, round);
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(result->displaced_task_ids, IsEmpty());
  ASSERT_THAT(result->tasks, SizeIs(3));
  std::set<std::string> addresses, macs;
  for (const TaskRow& task : result->tasks) {
    ASSERT_TRUE(task.placement.has_value());
    EXPECT_TRUE(task.holds_resources);
    EXPECT_EQ(task.last_status, "PROVISIONING");
    EXPECT_EQ(task.placement->instance_id, host.instance_id);
    EXPECT_EQ(task.placement->availability_zone, "az-a");
    EXPECT_EQ(task.placement->private_dns_name,
              absl::StrCat("ip-", absl::StrReplaceAll(task.placement->private_ipv4, {{".", "-"}}),
                           ".ec2.internal"));
    EXPECT_TRUE(ids::IsEc2Id("eni", task.placement->eni_id));
    addresses.insert(task.placement->private_ipv4);
    macs.insert(task.placement->mac_address);
  }
  EXPECT_EQ(addresses, (std::set<std::string>{"10.0.1.4", "10.0.1.5", "10.0.1.6"}));
  EXPECT_THAT(macs, SizeIs(3));
  HostRow after = Reload(host);
  EXPECT_EQ(after.used.cpu_units, 3072);
  EXPECT_EQ(after.used.enis, 3);
  auto subnets = GetSubnets(*connection_, kAccount, {subnet});
  ASSERT_THAT(subnets, IsOk());
  EXPECT_EQ(subnets->at(0).addresses_in_use, 3);
}

TEST_F(PlacementsTest, CommitRound_StaleViewOverfillsHost_TasksWaitAndHostUntouched) {
  std::string subnet = Subnet("10.0.1.0/24");
  HostRow host = Host("az-a", 2048);
  Round round{.region = "us-east-1"};
  for (int i = 0; i < 3; ++i) {
    round.new_tasks.push_back(Task(subnet));
    round.placements.push_back(At(round.new_tasks.back(), host, subnet));
  }
  auto result = CommitRound(*connection_, round);
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(result->displaced_task_ids, SizeIs(3));
  EXPECT_THAT(result->stale_hosts, ElementsAre(host.host_id));
  ASSERT_THAT(result->tasks, SizeIs(3));
  for (const TaskRow& task : result->tasks) EXPECT_FALSE(task.placement.has_value());
  EXPECT_EQ(Reload(host).used.cpu_units, 0);
  auto waiting = LoadWaitingTasks(*connection_, 10);
  ASSERT_THAT(waiting, IsOk());
  ASSERT_THAT(*waiting, SizeIs(3));
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(waiting->at(i).spec.task_id, round.new_tasks[i].task_id) << "arrival order";
  }
}

TEST_F(PlacementsTest, CommitRound_SubnetRunsOut_ExtraTasksWaitAndTheirHostShareIsUndone) {
  std::string subnet = Subnet("10.0.1.0/28");  // 11 usable addresses
  HostRow host = Host("az-a", 16384, 64);
  Round round{.region = "eu-west-1"};
  for (int i = 0; i < 12; ++i) {
    round.new_tasks.push_back(Task(subnet, 256));
    round.placements.push_back(At(round.new_tasks.back(), host, subnet));
  }
  auto result = CommitRound(*connection_, round);
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(result->displaced_task_ids, SizeIs(1));
  EXPECT_EQ(Reload(host).used.cpu_units, 11 * 256);
  std::set<std::string> addresses;
  for (const TaskRow& task : result->tasks) {
    if (!task.placement.has_value()) continue;
    addresses.insert(task.placement->private_ipv4);
    EXPECT_THAT(task.placement->private_dns_name,
                ::testing::EndsWith(".eu-west-1.compute.internal"));
  }
  EXPECT_THAT(addresses, SizeIs(11));
  EXPECT_FALSE(addresses.contains("10.0.1.15")) << "broadcast is reserved";
  EXPECT_FALSE(addresses.contains("10.0.1.3"));
}

TEST_F(PlacementsTest, StopTask_ReleasesHostAndAddress_AddressIsReusedFirst) {
  std::string subnet = Subnet("10.0.1.0/24");
  HostRow host = Host();
  Round round{.region = "us-east-1"};
  for (int i = 0; i < 3; ++i) {
    round.new_tasks.push_back(Task(subnet));
    round.placements.push_back(At(round.new_tasks.back(), host, subnet));
  }
  ASSERT_THAT(CommitRound(*connection_, round), IsOk());
  // The task at 10.0.1.5 stops; the next task gets 10.0.1.5 back, not 10.0.1.7.
  auto tasks = GetTasks(
      *connection_, kAccount, "default",
      {round.new_tasks[0].task_id, round.new_tasks[1].task_id, round.new_tasks[2].task_id});
  ASSERT_THAT(tasks, IsOk());
  auto middle = std::find_if(tasks->begin(), tasks->end(), [](const TaskRow& t) {
    return t.placement->private_ipv4 == "10.0.1.5";
  });
  ASSERT_NE(middle, tasks->end());
  auto stopped =
      StopTask(*connection_, kAccount, "default", middle->spec.task_id, "UserInitiated", "done");
  ASSERT_THAT(stopped, IsOk());
  EXPECT_TRUE(stopped->released);
  EXPECT_EQ(stopped->task.last_status, "STOPPED");
  EXPECT_EQ(stopped->task.desired_status, "STOPPED");
  EXPECT_EQ(stopped->task.stop_code, "UserInitiated");
  EXPECT_EQ(stopped->task.stopped_reason, "done");
  EXPECT_FALSE(stopped->task.holds_resources);
  EXPECT_EQ(stopped->task.placement->private_ipv4, "10.0.1.5") << "kept for describing";
  EXPECT_EQ(Reload(host).used.cpu_units, 2048);

  auto again =
      StopTask(*connection_, kAccount, "default", middle->spec.task_id, "UserInitiated", "x");
  ASSERT_THAT(again, IsOk());
  EXPECT_FALSE(again->released);
  EXPECT_EQ(again->task.stopped_reason, "done") << "a second stop changes nothing";

  Round next{.region = "us-east-1"};
  next.new_tasks.push_back(Task(subnet));
  next.placements.push_back(At(next.new_tasks.back(), host, subnet));
  auto result = CommitRound(*connection_, next);
  ASSERT_THAT(result, IsOk());
  ASSERT_THAT(result->tasks, SizeIs(1));
  EXPECT_EQ(result->tasks[0].placement->private_ipv4, "10.0.1.5");
}

TEST_F(PlacementsTest, StopTask_WaitingTask_StopsAtOnce) {
  std::string subnet = Subnet("10.0.1.0/24");
  Round round{.region = "us-east-1"};
  round.new_tasks.push_back(Task(subnet));
  ASSERT_THAT(CommitRound(*connection_, round), IsOk());
  auto stopped = StopTask(*connection_, kAccount, "default", round.new_tasks[0].task_id,
                          "UserInitiated", "not needed");
  ASSERT_THAT(stopped, IsOk());
  EXPECT_FALSE(stopped->released);
  EXPECT_EQ(stopped->task.last_status, "STOPPED");
  auto waiting = LoadWaitingTasks(*connection_, 10);
  ASSERT_THAT(waiting, IsOk());
  EXPECT_THAT(*waiting, IsEmpty());
  EXPECT_THAT(StopTask(*connection_, kAccount, "default", ids::RandomHex(32), "UserInitiated", ""),
              ::gantry::testing::StatusIs(absl::StatusCode::kNotFound, "does not exist"));
}

TEST_F(PlacementsTest, CommitRound_WaitingTaskPlacedLater_AndExpiryLeavesPlacedTasksAlone) {
  std::string subnet = Subnet("10.0.1.0/24");
  Round first{.region = "us-east-1"};
  first.new_tasks = {Task(subnet), Task(subnet)};
  ASSERT_THAT(CommitRound(*connection_, first), IsOk());
  HostRow host = Host();
  Round second{.region = "us-east-1"};
  second.placements.push_back(At(first.new_tasks[0], host, subnet));
  auto placed = CommitRound(*connection_, second);
  ASSERT_THAT(placed, IsOk());
  ASSERT_THAT(placed->tasks, SizeIs(1));
  EXPECT_TRUE(placed->tasks[0].placement.has_value());
  EXPECT_EQ(placed->tasks[0].version, 2);

  auto expired = ExpireWaitingTasks(*connection_, {{first.new_tasks[0].task_id, "late"},
                                                   {first.new_tasks[1].task_id, "no capacity"}});
  ASSERT_THAT(expired, IsOk());
  EXPECT_THAT(*expired, ElementsAre(first.new_tasks[1].task_id));
  auto rows = GetTasks(*connection_, kAccount, "default", {first.new_tasks[1].task_id});
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ(rows->at(0).stop_code, "TaskFailedToStart");
  EXPECT_EQ(rows->at(0).stopped_reason, "no capacity");

  // Placing an expired task again is refused by the claim: it is no longer waiting.
  Round third{.region = "us-east-1"};
  third.placements.push_back(At(first.new_tasks[1], host, subnet));
  auto refused = CommitRound(*connection_, third);
  ASSERT_THAT(refused, IsOk());
  EXPECT_THAT(refused->displaced_task_ids, ElementsAre(first.new_tasks[1].task_id));
}

TEST_F(PlacementsTest, CommitRound_TokenBoundEarlier_TasksOfTheSecondCallAreNotCreated) {
  std::string subnet = Subnet("10.0.1.0/24");
  HostRow host = Host();
  Round first{.region = "us-east-1"};
  first.new_tasks = {Task(subnet)};
  first.placements = {At(first.new_tasks[0], host, subnet)};
  first.tokens = {{kAccount, "token-1", "fp", {first.new_tasks[0].task_id}}};
  auto committed = CommitRound(*connection_, first);
  ASSERT_THAT(committed, IsOk());
  EXPECT_THAT(committed->lost_tokens, IsEmpty());

  Round second{.region = "us-east-1"};
  second.new_tasks = {Task(subnet)};
  second.placements = {At(second.new_tasks[0], host, subnet)};
  second.tokens = {{kAccount, "token-1", "fp", {second.new_tasks[0].task_id}}};
  auto replayed = CommitRound(*connection_, second);
  ASSERT_THAT(replayed, IsOk());
  EXPECT_THAT(replayed->lost_tokens, ElementsAre(0));
  EXPECT_THAT(replayed->tasks, IsEmpty());
  EXPECT_EQ(Reload(host).used.cpu_units, 1024);
  auto binding = GetRunTaskToken(*connection_, kAccount, "token-1");
  ASSERT_THAT(binding, IsOk());
  ASSERT_TRUE(binding->has_value());
  EXPECT_THAT((*binding)->task_ids, ElementsAre(first.new_tasks[0].task_id));
}

// Two writers with the same stale view fight over one host and one small subnet on
// separate connections: the database admits exactly what fits.
TEST_F(PlacementsTest, CommitRound_ConcurrentStaleRounds_NeverOvercommit) {
  std::string subnet = Subnet("10.0.1.0/28");  // 11 addresses
  HostRow host = Host("az-a", 8192, 64);       // 8 tasks of 1024 CPU
  constexpr int kWriters = 4;
  std::vector<Round> rounds(kWriters);
  for (Round& round : rounds) {
    round.region = "us-east-1";
    for (int i = 0; i < 5; ++i) {
      round.new_tasks.push_back(Task(subnet));
      round.placements.push_back(At(round.new_tasks.back(), host, subnet));
    }
  }
  std::latch start(kWriters);
  std::vector<std::thread> writers;
  std::vector<absl::Status> statuses(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto connection = Connection::Open(conninfo_);
      if (!connection.ok()) {
        statuses[w] = connection.status();
        return;
      }
      start.arrive_and_wait();
      statuses[w] = CommitRound(**connection, rounds[w]).status();
    });
  }
  for (std::thread& writer : writers) writer.join();
  for (const absl::Status& status : statuses) EXPECT_THAT(status, IsOk());
  HostRow after = Reload(host);
  EXPECT_LE(after.used.cpu_units, 8192);
  EXPECT_EQ(after.used.cpu_units % 1024, 0);
  // Whole rounds of 5 fit or not: one round fits (5 tasks), a second would need 10.
  EXPECT_EQ(after.used.enis, 5);
}

}  // namespace
}  // namespace gantry::storage
