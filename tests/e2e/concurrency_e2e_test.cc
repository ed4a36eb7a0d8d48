// Two gantryd processes on one PostgreSQL, many RunTask and StopTask calls in
// parallel through both, then every scheduler invariant checked in SQL. Also the
// placement deadline, which needs a gantryd started with a short --placement-timeout.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gantry/v1/admin.pb.h"
#include "gantry/v1/agent.pb.h"
#include "gantry/v1/ecs.pb.h"
#include "gantry/v1/network.pb.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"
#include "tests/support/invariants.h"
#include "tests/support/pg_harness.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kDefinition[] = R"json({
  "family": "race", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
  "cpu": "512", "memory": "1024",
  "containerDefinitions": [{"name": "app", "image": "nginx:1.27"}]
})json";

template <typename M>
M Json(const std::string& endpoint, std::vector<std::string> args) {
  args.insert(args.begin(), {"--output", "json"});
  CommandResult r = Ctl(endpoint, args);
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  return ParseJsonOutput<M>(r);
}

std::unique_ptr<Gantryd> StartGantryd(const TempDir& dir, const std::string& name,
                                      std::vector<std::string> extra_args) {
  GantrydOptions options;
  options.data_dir = dir.path() / name;
  options.extra_args = std::move(extra_args);
  // Hosts are registered by hand, with no agent heartbeating: never lose them here.
  options.extra_args.insert(options.extra_args.end(), {"--host-timeout", "1h"});
  absl::StatusOr<std::unique_ptr<Gantryd>> gantryd = Gantryd::Start(options);
  EXPECT_TRUE(gantryd.ok()) << gantryd.status();
  return gantryd.ok() ? *std::move(gantryd) : nullptr;
}

TEST(SchedulerRace, TwoGantrydOnOneDatabase_ParallelRunAndStop_InvariantsHold) {
  absl::StatusOr<TempDir> dir = TempDir::Create("gantry-race");
  ASSERT_TRUE(dir.ok()) << dir.status();
  std::string conninfo = PgHarness::Get().NewDatabase();
  std::unique_ptr<Gantryd> a = StartGantryd(*dir, "a", {"--database-url", conninfo});
  std::unique_ptr<Gantryd> b = StartGantryd(*dir, "b", {"--database-url", conninfo});
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  const std::vector<std::string> endpoints = {a->endpoint(), b->endpoint()};

  auto vpc =
      Json<v1::CreateVpcResponse>(endpoints[0], {"create-vpc", "--cidr-block", "10.9.0.0/16"});
  std::vector<std::string> subnets;
  const std::vector<std::string> zones = {"us-east-1g", "us-east-1h", "us-east-1i"};
  for (size_t i = 0; i < zones.size(); ++i) {
    // /26: 59 addresses per zone, fewer than the hosts could take, so addresses run
    // out in some zones while CPU runs out in others.
    auto subnet = Json<v1::CreateSubnetResponse>(
        endpoints[i % 2], {"create-subnet", "--vpc-id", vpc.vpc().vpc_id(), "--cidr-block",
                           absl::StrCat("10.9.", i, ".0/26"), "--availability-zone", zones[i]});
    subnets.push_back(subnet.subnet().subnet_id());
    for (int h = 0; h < 3; ++h) {
      // 8 tasks of 512 CPU per host: 24 per zone, 72 in all.
      Json<v1::RegisterHostResponse>(
          endpoints[h % 2], {"register-container-instance", "--availability-zone", zones[i],
                             "--cpu", "4096", "--memory", "16384", "--ephemeral-storage", "1000"});
    }
  }
  CommandResult registered =
      Ctl(endpoints[0], {"register-task-definition", "--cli-input-json", kDefinition});
  ASSERT_EQ(registered.exit_code, 0) << Describe(registered);
  std::string network = absl::StrCat("awsvpcConfiguration={subnets=[", subnets[0], ",", subnets[1],
                                     ",", subnets[2], "]}");

  // 8 clients x 4 calls x 5 tasks = 160 tasks for 72 slots; a third of the calls
  // stop a task they started, freeing capacity that the other gantryd's waiting
  // tasks race for.
  constexpr int kClients = 8;
  std::atomic<int> created = 0;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int call = 0; call < 4; ++call) {
        const std::string& endpoint = endpoints[(c + call) % 2];
        auto run =
            Json<v1::RunTaskResponse>(endpoint, {"run-task", "--task-definition", "race", "--count",
                                                 "5", "--network-configuration", network});
        created += run.tasks_size();
        if (call % 3 == 1 && run.tasks_size() > 0) {
          Json<v1::StopTaskResponse>(endpoints[(c + call + 1) % 2],
                                     {"stop-task", "--task", run.tasks(0).task_arn()});
        }
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(created.load(), kClients * 4 * 5);

  // Let both schedulers finish placing what now fits, then check.
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  int placed = 0;
  while (absl::Now() < deadline) {
    auto listed = Json<v1::ListTasksResponse>(endpoints[0], {"list-tasks", "--family", "race"});
    std::vector<std::string> args = {"describe-tasks", "--tasks"};
    for (const std::string& arn : listed.task_arns()) args.push_back(arn);
    placed = 0;
    for (size_t i = 2; i < args.size(); i += 100) {
      std::vector<std::string> page(args.begin(), args.begin() + 2);
      page.insert(page.end(), args.begin() + i, args.begin() + std::min(args.size(), i + 100));
      auto described = Json<v1::DescribeTasksResponse>(endpoints[1], page);
      for (const v1::Task& task : described.tasks()) placed += task.has_container_instance_arn();
    }
    if (placed == 72) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(placed, 72) << "every slot is taken once capacity settles";
  EXPECT_THAT(SchedulerInvariantViolations(conninfo), IsEmpty());
  EXPECT_TRUE(a->Terminate().ok());
  EXPECT_TRUE(b->Terminate().ok());
}

// gantryctl on `endpoint` signing with the key in `credentials`: whether the call went
// through.
bool CallsWith(const std::string& endpoint, const std::filesystem::path& credentials) {
  return Ctl(endpoint, {"--credentials-file", credentials.string(), "list-clusters"}).exit_code ==
         0;
}

// Waits up to 10 s for CallsWith to answer `want`.
bool EventuallyCalls(const std::string& endpoint, const std::filesystem::path& credentials,
                     bool want) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (CallsWith(endpoint, credentials) != want) {
    if (absl::Now() > deadline) {
      return false;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return true;
}

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(AccessKeys, TwoGantrydOnOneDatabase_KeysFollowAndADeletedAdminKeyStaysDeleted) {
  absl::StatusOr<TempDir> dir = TempDir::Create("gantry-keys");
  ASSERT_TRUE(dir.ok()) << dir.status();
  std::string conninfo = PgHarness::Get().NewDatabase();
  // Replicas open each other's sealed secrets only with one secrets key.
  const std::vector<std::string> args = {"--database-url", conninfo, "--secrets-key-file",
                                         (dir->path() / "secrets.key").string()};
  std::unique_ptr<Gantryd> a = StartGantryd(*dir, "a", args);
  std::unique_ptr<Gantryd> b = StartGantryd(*dir, "b", args);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);

  // A key made through a works through b, and deleted through a stops working on b.
  auto made = Json<v1::CreateAccessKeyResponse>(a->endpoint(),
                                                {"create-access-key", "--account", "000000000000"});
  const std::filesystem::path key_file = dir->path() / "made-credentials";
  std::ofstream(key_file) << "[default]\naws_access_key_id = " << made.access_key().access_key_id()
                          << "\naws_secret_access_key = " << made.access_key().secret_access_key()
                          << "\n";
  EXPECT_TRUE(EventuallyCalls(b->endpoint(), key_file, true))
      << "a key made on one replica is unknown to the other";
  Json<v1::DeleteAccessKeyResponse>(
      a->endpoint(), {"delete-access-key", "--access-key-id", made.access_key().access_key_id()});
  EXPECT_FALSE(CallsWith(a->endpoint(), key_file)) << "at once where it was deleted";
  EXPECT_TRUE(EventuallyCalls(b->endpoint(), key_file, false))
      << "a key deleted on one replica still works on the other";

  // a's bootstrap admin key, deleted (through b), stays deleted when a starts again: a
  // writes itself a new one.
  const std::filesystem::path a_credentials = dir->path() / "a" / "admin-credentials";
  const std::filesystem::path old_copy = dir->path() / "a-old-credentials";
  std::filesystem::copy_file(a_credentials, old_copy);
  const std::string old_text = ReadText(a_credentials);
  const std::string old_id = old_text.substr(old_text.find("AKIA"), 20);
  Json<v1::DeleteAccessKeyResponse>(b->endpoint(),
                                    {"delete-access-key", "--access-key-id", old_id});
  ASSERT_TRUE(a->Terminate().ok());
  a = StartGantryd(*dir, "a", args);
  ASSERT_NE(a, nullptr);
  EXPECT_THAT(ReadText(a_credentials), Not(HasSubstr(old_id))) << "the file was not replaced";
  EXPECT_EQ(std::filesystem::status(a_credentials).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_TRUE(CallsWith(a->endpoint(), a_credentials)) << "the new admin key works";
  EXPECT_TRUE(EventuallyCalls(b->endpoint(), a_credentials, true)) << "on the other replica too";
  EXPECT_FALSE(CallsWith(a->endpoint(), old_copy)) << "the deleted key came back";
  EXPECT_FALSE(CallsWith(b->endpoint(), old_copy)) << "the deleted key came back";
  EXPECT_THAT(a->LogTail(), HasSubstr("admin_key_replaced"));
  EXPECT_TRUE(a->Terminate().ok());
  EXPECT_TRUE(b->Terminate().ok());
}

TEST(PlacementDeadline, TaskWaitingTooLong_StopsWithTaskFailedToStart) {
  absl::StatusOr<TempDir> dir = TempDir::Create("gantry-deadline");
  ASSERT_TRUE(dir.ok()) << dir.status();
  std::unique_ptr<Gantryd> gantryd = StartGantryd(*dir, "data", {"--placement-timeout", "1s"});
  ASSERT_NE(gantryd, nullptr);
  const std::string& endpoint = gantryd->endpoint();
  auto vpc = Json<v1::CreateVpcResponse>(endpoint, {"create-vpc", "--cidr-block", "10.0.0.0/16"});
  auto subnet = Json<v1::CreateSubnetResponse>(
      endpoint, {"create-subnet", "--vpc-id", vpc.vpc().vpc_id(), "--cidr-block", "10.0.1.0/24",
                 "--availability-zone", "us-east-1a"});
  Json<v1::RegisterHostResponse>(endpoint, {"register-container-instance", "--availability-zone",
                                            "us-east-1a", "--cpu", "1024", "--memory", "2048"});
  ASSERT_EQ(Ctl(endpoint, {"register-task-definition", "--cli-input-json", kDefinition}).exit_code,
            0);
  std::string network =
      absl::StrCat("awsvpcConfiguration={subnets=[", subnet.subnet().subnet_id(), "]}");
  // Two fit; the third waits, then gives up.
  auto run =
      Json<v1::RunTaskResponse>(endpoint, {"run-task", "--task-definition", "race", "--count", "3",
                                           "--network-configuration", network});
  ASSERT_THAT(run.tasks(), SizeIs(3));
  std::string waiting = run.tasks(2).task_arn();
  EXPECT_FALSE(run.tasks(2).has_container_instance_arn());
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  v1::Task task;
  while (absl::Now() < deadline) {
    auto described =
        Json<v1::DescribeTasksResponse>(endpoint, {"describe-tasks", "--tasks", waiting});
    if (described.tasks_size() == 1) task = described.tasks(0);
    if (task.last_status() == "STOPPED") break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(task.last_status(), "STOPPED");
  EXPECT_EQ(task.stop_code(), "TaskFailedToStart");
  EXPECT_THAT(task.stopped_reason(), HasSubstr("no host in us-east-1a has 512 CPU units free"));
  EXPECT_TRUE(gantryd->Terminate().ok());
}

}  // namespace
}  // namespace gantry::testing
