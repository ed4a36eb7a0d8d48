// A fixture for the agent protocol's storage tests: a migrated database with a cluster,
// task definitions, a VPC and subnet, and helpers to place tasks, take their commands and
// report on them as an agent would. Every test ends with the scheduler's invariants.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/time/time.h"
#include "common/ids.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/storage/fixtures.h"
#include "tests/support/invariants.h"
#include "tests/support/pg_harness.h"
#include "tests/support/status_matchers.h"

namespace gantry::storage::testing {

inline constexpr char kAccount[] = "000000000000";

// "web" has one essential container, "app"; "duo" has "app" (essential by default) and
// "sidecar" (essential: false).
inline gantry::v1::TaskDefinition DuoTaskDefinition() {
  gantry::v1::TaskDefinition body = MinimalTaskDefinition("duo");
  auto* sidecar = body.add_container_definitions();
  sidecar->set_name("sidecar");
  sidecar->set_image("busybox:1.36");
  sidecar->set_essential(false);
  return body;
}

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = ::gantry::testing::PgHarness::Get().NewDatabase();
    auto connection = Connection::Open(conninfo_);
    ASSERT_THAT(connection, ::gantry::testing::IsOk());
    connection_ = *std::move(connection);
    ASSERT_THAT(CreateCluster(*connection_, kAccount, "default", {}), ::gantry::testing::IsOk());
    ASSERT_THAT(
        RegisterTaskDefinition(*connection_, kAccount, MinimalTaskDefinition("web"), {}, "test"),
        ::gantry::testing::IsOk());
    ASSERT_THAT(RegisterTaskDefinition(*connection_, kAccount, DuoTaskDefinition(), {}, "test"),
                ::gantry::testing::IsOk());
    auto vpc = CreateVpc(*connection_, kAccount, "10.0.0.0/16");
    ASSERT_THAT(vpc, ::gantry::testing::IsOk());
    vpc_id_ = vpc->vpc_id;
    subnet_ = Subnet("10.0.1.0/24");
  }

  void TearDown() override {
    EXPECT_THAT(::gantry::testing::SchedulerInvariantViolations(conninfo_), ::testing::IsEmpty());
  }

  std::string Subnet(const std::string& cidr, const std::string& zone = "az-a") {
    auto subnet = CreateSubnet(*connection_, kAccount, vpc_id_, cidr, zone);
    EXPECT_THAT(subnet, ::gantry::testing::IsOk());
    return subnet.ok() ? subnet->subnet_id : "";
  }

  HostRow Host(const std::string& zone = "az-a", int32_t cpu = 4096, int32_t enis = 16) {
    auto host = RegisterHost(*connection_, {zone, {cpu, cpu * 2, 2000, enis}, "test", "h"});
    EXPECT_THAT(host, ::gantry::testing::IsOk());
    return host.ok() ? *host : HostRow{};
  }

  NewTask Task(const std::string& family = "web", int32_t cpu = 256) {
    NewTask task;
    task.task_id = ids::RandomHex(32);
    task.account_id = kAccount;
    task.cluster = "default";
    task.family = family;
    task.revision = 1;
    task.group = "family:" + family;
    task.cpu_units = cpu;
    task.memory_mib = 512;
    task.ephemeral_storage_gib = 20;
    task.subnet_ids = {subnet_};
    task.security_group_ids = {"sg-0123456789abcdef0"};
    for (const char* name : {"app", "sidecar"}) {
      if (family != "duo" && std::string(name) == "sidecar") continue;
      gantry::v1::Container container;
      container.set_name(name);
      task.containers.push_back(container);
    }
    return task;
  }

  // Places `count` new tasks of `family` on `host` in one round; returns their ids in
  // round order.
  std::vector<std::string> Place(const HostRow& host, int count,
                                 const std::string& family = "web") {
    Round round{.region = "us-east-1"};
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) {
      round.new_tasks.push_back(Task(family));
      round.placements.push_back(
          {round.new_tasks.back().task_id, host.host_id, subnet_, host.availability_zone});
      ids.push_back(round.new_tasks.back().task_id);
    }
    auto result = CommitRound(*connection_, round);
    EXPECT_THAT(result, ::gantry::testing::IsOk());
    if (result.ok()) {
      EXPECT_THAT(result->displaced_task_ids, ::testing::IsEmpty());
    }
    return ids;
  }

  PolledCommands Take(const HostRow& host, int64_t acked = 0, int limit = 100) {
    auto polled = TakeCommands(*connection_, host.instance_id, acked, limit);
    EXPECT_THAT(polled, ::gantry::testing::IsOk());
    return polled.ok() ? *polled : PolledCommands{};
  }

  // Hands every pending command to the agent and acknowledges it.
  void TakeAndAck(const HostRow& host) {
    PolledCommands polled = Take(host);
    if (!polled.commands.empty()) {
      EXPECT_THAT(AckCommands(*connection_, host.instance_id, polled.commands.back().sequence),
                  ::gantry::testing::IsOk());
    }
  }

  TaskRow Get(const std::string& task_id) {
    auto tasks = GetTasks(*connection_, kAccount, "default", {task_id});
    EXPECT_THAT(tasks, ::gantry::testing::IsOk());
    if (!tasks.ok() || tasks->size() != 1) {
      ADD_FAILURE() << "no task " << task_id;
      return TaskRow{};
    }
    return tasks->at(0);
  }

  HostRow Reload(const HostRow& host) {
    auto hosts = GetHosts(*connection_, {host.instance_id});
    EXPECT_THAT(hosts, ::gantry::testing::IsOk());
    return hosts.ok() && !hosts->empty() ? hosts->at(0) : HostRow{};
  }

  int32_t AddressesInUse() {
    auto subnets = GetSubnets(*connection_, kAccount, {subnet_});
    EXPECT_THAT(subnets, ::gantry::testing::IsOk());
    return subnets.ok() ? subnets->at(0).addresses_in_use : -1;
  }

  // Runs one statement outside storage, as an operator with psql would.
  void Exec(const std::string& sql) {
    pqxx::connection admin(conninfo_);
    pqxx::work tx(admin);
    tx.exec0(sql);
    tx.commit();
  }

  int64_t CountCommands(const std::string& task_id) {
    pqxx::connection admin(conninfo_);
    pqxx::read_transaction tx(admin);
    return tx.exec_params1("SELECT count(*) FROM host_commands WHERE task_id = $1", task_id)[0]
        .as<int64_t>();
  }

  static TaskReport Report(const std::string& task_id, const std::string& status, int64_t second,
                           std::optional<std::string> reason = std::nullopt) {
    TaskReport report;
    report.task_id = task_id;
    report.status = status;
    report.at = At(second);
    report.reason = std::move(reason);
    return report;
  }

  static ContainerReport Container(const std::string& name, const std::string& status,
                                   std::optional<int32_t> exit_code = std::nullopt) {
    ContainerReport container;
    container.name = name;
    container.status = status;
    container.exit_code = exit_code;
    container.runtime_id = "runtime-" + name;
    return container;
  }

  // Seconds after a fixed start, so expected timestamps read as small numbers.
  static absl::Time At(int64_t second) { return absl::FromUnixSeconds(1718000000 + second); }

  ReportsApplied Apply(const HostRow& host, const std::vector<TaskReport>& reports) {
    auto applied = ApplyTaskReports(*connection_, host.instance_id, reports);
    EXPECT_THAT(applied, ::gantry::testing::IsOk());
    return applied.ok() ? *applied : ReportsApplied{};
  }

  std::string conninfo_;
  std::unique_ptr<Connection> connection_;
  std::string vpc_id_;
  std::string subnet_;
};

}  // namespace gantry::storage::testing
