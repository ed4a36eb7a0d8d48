// Hosts (ECS container instances) in a real PostgreSQL: registration, reads with task
// counts, keyset listing, and the CHECK constraints that keep a host from holding more
// than it has.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/storage/fixtures.h"
#include "tests/support/pg_harness.h"
#include "tests/support/status_matchers.h"

namespace gantry::storage {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::PgHarness;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

constexpr char kAccount[] = "000000000000";

NewHost Host(const std::string& zone = "us-east-1a") {
  NewHost host;
  host.availability_zone = zone;
  host.total = {4096, 16384, 200, 16};
  host.agent_version = "gantry-agent 0.1.0";
  host.host_name = "worker-1";
  return host;
}

bool IsLowerHex32(const std::string& id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

class HostsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = PgHarness::Get().NewDatabase();
    auto connection = Connection::Open(conninfo_);
    ASSERT_THAT(connection, IsOk());
    connection_ = std::move(*connection);
  }

  HostRow Register(const NewHost& host = Host()) {
    auto row = RegisterHost(*connection_, host);
    EXPECT_THAT(row, IsOk());
    return row.ok() ? *row : HostRow{};
  }

  // Runs one statement outside storage, as an operator with psql would.
  void Exec(const std::string& sql) {
    pqxx::connection admin(conninfo_);
    pqxx::work tx(admin);
    tx.exec0(sql);
    tx.commit();
  }

  // The cluster and task definition rows the tasks' foreign keys need.
  void CreateTaskParents() {
    ASSERT_THAT(CreateCluster(*connection_, kAccount, "default", gantry::v1::Cluster()), IsOk());
    ASSERT_THAT(RegisterTaskDefinition(*connection_, kAccount,
                                       storage::testing::MinimalTaskDefinition("web"), {},
                                       "arn:aws:iam::000000000000:root"),
                IsOk());
  }

  // A task row on `host_id` (none when 0) with the given state.
  void InsertTask(int64_t host_id, bool holds_resources, const std::string& last_status) {
    static int next = 0;
    char task_id[33];
    std::snprintf(task_id, sizeof(task_id), "%032x", ++next);
    pqxx::connection admin(conninfo_);
    pqxx::work tx(admin);
    tx.exec_params0(
        R"sql(
        INSERT INTO tasks (task_id, account_id, cluster, family, revision, task_group,
                           last_status, desired_status, cpu, memory, ephemeral_storage,
                           subnet_ids, security_group_ids, containers, host_id, eni_id,
                           holds_resources, stopped_at)
        VALUES ($1::text, $2, 'default', 'web', 1, 'family:web', $3::text,
                CASE WHEN $3::text = 'STOPPED' THEN 'STOPPED' ELSE 'RUNNING' END,
                256, 512, 20, '{subnet-1}', '{}', '[]', NULLIF($4::int8, 0),
                CASE WHEN $4::int8 = 0 THEN NULL ELSE 'eni-' || $1::text END, $5::boolean,
                CASE WHEN $3::text = 'STOPPED' THEN now() END))sql",
        std::string(task_id), std::string(kAccount), last_status, host_id, holds_resources);
    tx.commit();
  }

  std::vector<std::string> AllIdPages(int page_size, std::optional<std::string> status) {
    std::vector<std::string> all;
    std::string after;
    for (int page = 0; page < 1000; ++page) {
      auto ids = ListHostIds(*connection_, status, after, page_size);
      EXPECT_THAT(ids, IsOk());
      if (!ids.ok() || ids->empty()) {
        break;
      }
      EXPECT_LE(ids->size(), static_cast<size_t>(page_size));
      all.insert(all.end(), ids->begin(), ids->end());
      after = ids->back();
    }
    return all;
  }

  std::string conninfo_;
  std::unique_ptr<Connection> connection_;
};

TEST_F(HostsTest, Register_NewHost_IsActiveWithNothingUsed) {
  absl::Time before = absl::Now();
  HostRow row = Register();
  absl::Time after = absl::Now();
  EXPECT_GT(row.host_id, 0);
  EXPECT_TRUE(IsLowerHex32(row.instance_id)) << row.instance_id;
  EXPECT_EQ(row.availability_zone, "us-east-1a");
  EXPECT_EQ(row.status, "ACTIVE");
  EXPECT_EQ(row.total.cpu_units, 4096);
  EXPECT_EQ(row.total.memory_mib, 16384);
  EXPECT_EQ(row.total.ephemeral_storage_gib, 200);
  EXPECT_EQ(row.total.enis, 16);
  EXPECT_EQ(row.used.cpu_units, 0);
  EXPECT_EQ(row.used.memory_mib, 0);
  EXPECT_EQ(row.used.ephemeral_storage_gib, 0);
  EXPECT_EQ(row.used.enis, 0);
  EXPECT_EQ(row.agent_version, "gantry-agent 0.1.0");
  EXPECT_EQ(row.host_name, "worker-1");
  EXPECT_EQ(row.version, 1);
  EXPECT_EQ(row.running_tasks, 0);
  EXPECT_EQ(row.pending_tasks, 0);
  EXPECT_GE(row.registered_at, before - absl::Seconds(2));
  EXPECT_LE(row.registered_at, after + absl::Seconds(2));
  EXPECT_EQ(row.last_seen_at, row.registered_at);
}

TEST_F(HostsTest, Get_RegisteredHost_ReadsBackAsRegistered) {
  HostRow registered = Register(Host("eu-west-1b"));
  auto read = GetHosts(*connection_, {registered.instance_id});
  ASSERT_THAT(read, IsOk());
  ASSERT_EQ(read->size(), 1u);
  const HostRow& row = (*read)[0];
  EXPECT_EQ(row.host_id, registered.host_id);
  EXPECT_EQ(row.instance_id, registered.instance_id);
  EXPECT_EQ(row.availability_zone, "eu-west-1b");
  EXPECT_EQ(row.status, "ACTIVE");
  EXPECT_EQ(row.total.cpu_units, 4096);
  EXPECT_EQ(row.total.enis, 16);
  EXPECT_EQ(row.agent_version, registered.agent_version);
  EXPECT_EQ(row.host_name, registered.host_name);
  EXPECT_EQ(row.registered_at, registered.registered_at);
  EXPECT_EQ(row.version, 1);
}

TEST_F(HostsTest, Get_UnknownAndEmpty_ReturnOnlyExistingHosts) {
  HostRow a = Register();
  auto none = GetHosts(*connection_, {});
  ASSERT_THAT(none, IsOk());
  EXPECT_THAT(*none, IsEmpty());
  auto some = GetHosts(*connection_, {std::string(32, '0'), a.instance_id});
  ASSERT_THAT(some, IsOk());
  ASSERT_EQ(some->size(), 1u);
  EXPECT_EQ((*some)[0].instance_id, a.instance_id);
}

TEST_F(HostsTest, Register_ManyHosts_IdsAreUniqueHex) {
  std::set<std::string> ids;
  std::set<int64_t> host_ids;
  for (int i = 0; i < 50; ++i) {
    HostRow row = Register();
    EXPECT_TRUE(IsLowerHex32(row.instance_id)) << row.instance_id;
    ids.insert(row.instance_id);
    host_ids.insert(row.host_id);
  }
  EXPECT_EQ(ids.size(), 50u);
  EXPECT_EQ(host_ids.size(), 50u);
}

TEST_F(HostsTest, List_Paging_ReturnsEveryIdOnceInOrder) {
  std::vector<std::string> want;
  for (int i = 0; i < 7; ++i) {
    want.push_back(Register().instance_id);
  }
  std::sort(want.begin(), want.end());
  EXPECT_THAT(AllIdPages(3, std::nullopt), ElementsAreArray(want));
  EXPECT_THAT(AllIdPages(100, std::nullopt), ElementsAreArray(want));

  auto first = ListHostIds(*connection_, std::nullopt, "", 2);
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(*first, ElementsAre(want[0], want[1]));
  auto after_last = ListHostIds(*connection_, std::nullopt, want.back(), 10);
  ASSERT_THAT(after_last, IsOk());
  EXPECT_THAT(*after_last, IsEmpty());
}

TEST_F(HostsTest, List_StatusFilter_ReturnsOnlyThatStatus) {
  HostRow active = Register();
  HostRow draining = Register();
  HostRow inactive = Register();
  Exec("UPDATE hosts SET status = 'DRAINING' WHERE instance_id = '" + draining.instance_id + "'");
  Exec("UPDATE hosts SET status = 'INACTIVE' WHERE instance_id = '" + inactive.instance_id + "'");

  EXPECT_THAT(AllIdPages(1, "ACTIVE"), ElementsAre(active.instance_id));
  EXPECT_THAT(AllIdPages(1, "DRAINING"), ElementsAre(draining.instance_id));
  EXPECT_THAT(AllIdPages(1, "INACTIVE"), ElementsAre(inactive.instance_id));
  EXPECT_THAT(AllIdPages(1, "REGISTERING"), IsEmpty());
  EXPECT_EQ(AllIdPages(1, std::nullopt).size(), 3u);
}

TEST_F(HostsTest, Get_TaskCounts_CountOnlyTasksHoldingResources) {
  CreateTaskParents();
  HostRow busy = Register();
  HostRow idle = Register();
  InsertTask(busy.host_id, true, "RUNNING");
  InsertTask(busy.host_id, true, "RUNNING");
  InsertTask(busy.host_id, true, "PENDING");
  InsertTask(busy.host_id, true, "ACTIVATING");
  InsertTask(busy.host_id, true, "STOPPING");
  // Released already: not counted, whatever the status.
  InsertTask(busy.host_id, false, "DEPROVISIONING");
  InsertTask(busy.host_id, false, "STOPPED");
  // Waiting for capacity on no host.
  InsertTask(0, false, "PROVISIONING");

  auto read = GetHosts(*connection_, {busy.instance_id, idle.instance_id});
  ASSERT_THAT(read, IsOk());
  ASSERT_EQ(read->size(), 2u);
  for (const HostRow& row : *read) {
    if (row.instance_id == busy.instance_id) {
      EXPECT_EQ(row.running_tasks, 2);
      EXPECT_EQ(row.pending_tasks, 3);
    } else {
      EXPECT_EQ(row.running_tasks, 0);
      EXPECT_EQ(row.pending_tasks, 0);
    }
  }
}

TEST_F(HostsTest, CheckConstraint_UsedAboveTotal_IsRefused) {
  HostRow row = Register();
  const std::string where = " WHERE instance_id = '" + row.instance_id + "'";
  EXPECT_THROW(Exec("UPDATE hosts SET cpu_used = cpu_total + 1" + where), pqxx::check_violation);
  EXPECT_THROW(Exec("UPDATE hosts SET memory_used = memory_total + 1" + where),
               pqxx::check_violation);
  EXPECT_THROW(Exec("UPDATE hosts SET storage_used = storage_total + 1" + where),
               pqxx::check_violation);
  EXPECT_THROW(Exec("UPDATE hosts SET eni_used = eni_total + 1" + where), pqxx::check_violation);
  EXPECT_THROW(Exec("UPDATE hosts SET cpu_used = -1" + where), pqxx::check_violation);
  EXPECT_THROW(Exec("UPDATE hosts SET status = 'REGISTERING'" + where), pqxx::check_violation);
  // Exactly full is allowed.
  EXPECT_NO_THROW(Exec("UPDATE hosts SET cpu_used = cpu_total" + where));
  auto read = GetHosts(*connection_, {row.instance_id});
  ASSERT_THAT(read, IsOk());
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].used.cpu_units, 4096);
}

}  // namespace
}  // namespace gantry::storage
