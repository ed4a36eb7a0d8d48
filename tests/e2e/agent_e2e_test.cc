// The agent protocol end to end: the real gantryd (embedded PostgreSQL), the real
// gantry-agent with its simulated runtime, and gantryctl, over loopback. Each test owns
// its processes, so host timeouts and restarts do not leak between tests.
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gantry/v1/ecs.pb.h"
#include "gantry/v1/network.pb.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/substitute.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"

namespace gantry::testing {
namespace {

using ::testing::Each;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// One essential container; `environment` is a JSON array of {name, value}.
std::string Definition(const std::string& family, const std::string& environment = "[]") {
  return absl::Substitute(R"json({
    "family": "$0", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
    "cpu": "256", "memory": "512",
    "containerDefinitions": [
      {"name": "app", "image": "nginx:1.27", "essential": true, "environment": $1},
      {"name": "sidecar", "image": "busybox:1.36", "essential": false}]
  })json",
                          family, environment);
}

// The number of threads of process `pid` (from /proc), or -1.
int ThreadCount(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, "Threads:")) {
      int threads = 0;
      return absl::SimpleAtoi(absl::StripAsciiWhitespace(rest), &threads) ? threads : -1;
    }
  }
  return -1;
}

class AgentE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<TempDir> dir = TempDir::Create("gantry-e2e-agent");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<TempDir>(*std::move(dir));
  }

  void TearDown() override {
    agents_.clear();
    if (gantryd_ != nullptr && HasFailure()) {
      std::cerr << "--- gantryd log (tail) ---\n" << gantryd_->LogTail(8000) << "\n";
    }
    gantryd_.reset();
  }

  // gantryd on a fresh data dir (or the same one again), with `--host-timeout`.
  void StartGantryd(absl::Duration host_timeout, const std::string& listen = "") {
    GantrydOptions options;
    options.data_dir = dir_->path() / "data";
    options.extra_args = {"--host-timeout", absl::FormatDuration(host_timeout)};
    if (!listen.empty()) {
      options.extra_args.push_back("--listen");
      options.extra_args.push_back(listen);
    }
    absl::StatusOr<std::unique_ptr<Gantryd>> gantryd = Gantryd::Start(options);
    ASSERT_TRUE(gantryd.ok()) << gantryd.status();
    gantryd_ = *std::move(gantryd);
  }

  // A simulated fleet of `hosts` hosts in `zone`, each 4 vCPU / 8 GiB.
  GantryAgent* StartAgent(const std::string& name, const std::string& zone, int hosts,
                          std::vector<std::string> extra = {}) {
    AgentOptions options;
    options.endpoint = gantryd_->endpoint();
    options.state_dir = dir_->path() / name;
    options.args = {"--runtime",
                    "sim",
                    "--hosts",
                    absl::StrCat(hosts),
                    "--availability-zone",
                    zone,
                    "--cpu",
                    "4096",
                    "--memory",
                    "8192",
                    "--ephemeral-storage",
                    "1000",
                    "--launch-delay",
                    "50ms",
                    "--stop-delay",
                    "50ms"};
    options.args.insert(options.args.end(), extra.begin(), extra.end());
    absl::StatusOr<std::unique_ptr<GantryAgent>> agent = GantryAgent::Start(options);
    EXPECT_TRUE(agent.ok()) << agent.status();
    if (!agent.ok()) return nullptr;
    agents_.push_back(*std::move(agent));
    return agents_.back().get();
  }

  template <typename M>
  M Json(std::vector<std::string> args) {
    args.insert(args.begin(), {"--output", "json"});
    CommandResult r = Ctl(gantryd_->endpoint(), args);
    EXPECT_EQ(r.exit_code, 0) << absl::StrJoin(args, " ") << "\n" << Describe(r);
    return ParseJsonOutput<M>(r);
  }

  // A VPC with one /20 subnet per zone; returns the --network-configuration value.
  std::string MakeNetwork(const std::vector<std::string>& zones) {
    auto vpc = Json<v1::CreateVpcResponse>({"create-vpc", "--cidr-block", "10.0.0.0/16"});
    std::vector<std::string> subnets;
    for (size_t i = 0; i < zones.size(); ++i) {
      auto subnet = Json<v1::CreateSubnetResponse>(
          {"create-subnet", "--vpc-id", vpc.vpc().vpc_id(), "--cidr-block",
           absl::StrCat("10.0.", 16 * i, ".0/20"), "--availability-zone", zones[i]});
      subnets.push_back(subnet.subnet().subnet_id());
      subnet_ids_.push_back(subnet.subnet().subnet_id());
    }
    return absl::StrCat("awsvpcConfiguration={subnets=[", absl::StrJoin(subnets, ","), "]}");
  }

  void RegisterFamily(const std::string& family, const std::string& environment = "[]") {
    CommandResult r = Ctl(gantryd_->endpoint(), {"register-task-definition", "--cli-input-json",
                                                 Definition(family, environment)});
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
  }

  std::vector<std::string> RunTasks(const std::string& family, const std::string& network,
                                    int count, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run-task", "--task-definition", family,
                                     "--count",  absl::StrCat(count), "--network-configuration",
                                     network};
    args.insert(args.end(), extra.begin(), extra.end());
    auto response = Json<v1::RunTaskResponse>(args);
    EXPECT_THAT(response.failures(), IsEmpty());
    std::vector<std::string> arns;
    for (const v1::Task& task : response.tasks()) arns.push_back(task.task_arn());
    return arns;
  }

  std::vector<v1::Task> DescribeTasks(const std::vector<std::string>& arns) {
    std::vector<v1::Task> tasks;
    for (size_t i = 0; i < arns.size(); i += 100) {
      std::vector<std::string> args = {"describe-tasks", "--tasks"};
      for (size_t j = i; j < std::min(arns.size(), i + 100); ++j) args.push_back(arns[j]);
      auto response = Json<v1::DescribeTasksResponse>(args);
      EXPECT_THAT(response.failures(), IsEmpty());
      tasks.insert(tasks.end(), response.tasks().begin(), response.tasks().end());
    }
    return tasks;
  }

  // Describes `arns` until every task has lastStatus `status` or `timeout` passes;
  // returns the last description.
  std::vector<v1::Task> WaitForStatus(const std::vector<std::string>& arns,
                                      const std::string& status, absl::Duration timeout) {
    absl::Time deadline = absl::Now() + timeout;
    std::vector<v1::Task> tasks;
    while (true) {
      tasks = DescribeTasks(arns);
      bool all = tasks.size() == arns.size();
      for (const v1::Task& task : tasks) all = all && task.last_status() == status;
      if (all || absl::Now() > deadline) return tasks;
      absl::SleepFor(absl::Milliseconds(100));
    }
  }

  int FreeAddresses() {
    auto subnets = Json<v1::DescribeSubnetsResponse>({"describe-subnets"});
    int free = 0;
    for (const auto& subnet : subnets.subnets()) free += subnet.available_ip_address_count();
    return free;
  }

  // Registered and remaining CPU summed over the fleet, and agentConnected per host.
  struct Fleet {
    int64_t cpu_remaining = 0;
    int64_t cpu_registered = 0;
    int connected = 0;
    int disconnected = 0;
  };
  Fleet DescribeFleet() {
    auto list = Json<v1::ListContainerInstancesResponse>({"list-container-instances"});
    Fleet fleet;
    if (list.container_instance_arns().empty()) return fleet;
    std::vector<v1::ContainerInstance> hosts;
    const auto& arns = list.container_instance_arns();
    for (int i = 0; i < arns.size(); i += 100) {  // DescribeContainerInstances takes 100
      std::vector<std::string> args = {"describe-container-instances", "--container-instances"};
      for (int j = i; j < std::min(arns.size(), i + 100); ++j) args.push_back(arns[j]);
      auto described = Json<v1::DescribeContainerInstancesResponse>(args);
      hosts.insert(hosts.end(), described.container_instances().begin(),
                   described.container_instances().end());
    }
    for (const v1::ContainerInstance& host : hosts) {
      (host.agent_connected() ? fleet.connected : fleet.disconnected)++;
      for (const v1::Resource& r : host.remaining_resources()) {
        if (r.name() == "CPU") fleet.cpu_remaining += r.integer_value();
      }
      for (const v1::Resource& r : host.registered_resources()) {
        if (r.name() == "CPU") fleet.cpu_registered += r.integer_value();
      }
    }
    return fleet;
  }

  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<Gantryd> gantryd_;
  std::vector<std::unique_ptr<GantryAgent>> agents_;
  std::vector<std::string> subnet_ids_;
};

TEST_F(AgentE2E, TasksRunThroughTheAgent_StopTaskEndsUserInitiated_CapacityComesBack) {
  StartGantryd(absl::Seconds(30));
  std::string network = MakeNetwork({"us-east-1a", "us-east-1b"});
  ASSERT_NE(StartAgent("agent-a", "us-east-1a", 2), nullptr);
  ASSERT_NE(StartAgent("agent-b", "us-east-1b", 2), nullptr);
  RegisterFamily("e2e-agent-run");
  const int free_before = FreeAddresses();
  const Fleet idle = DescribeFleet();
  EXPECT_EQ(idle.connected, 4);
  EXPECT_EQ(idle.cpu_remaining, idle.cpu_registered);

  std::vector<std::string> arns = RunTasks("e2e-agent-run", network, 8);
  ASSERT_THAT(arns, SizeIs(8));
  std::vector<v1::Task> tasks = WaitForStatus(arns, "RUNNING", absl::Seconds(30));
  std::set<std::string> zones;
  for (const v1::Task& task : tasks) {
    SCOPED_TRACE(task.task_arn());
    EXPECT_EQ(task.last_status(), "RUNNING");
    EXPECT_EQ(task.desired_status(), "RUNNING");
    EXPECT_TRUE(task.has_started_at());
    EXPECT_TRUE(task.has_pull_started_at());
    EXPECT_TRUE(task.has_pull_stopped_at());
    EXPECT_LE(task.pull_started_at(), task.pull_stopped_at());
    EXPECT_LE(task.created_at(), task.started_at());
    ASSERT_THAT(task.containers(), SizeIs(2));
    for (const v1::Container& container : task.containers()) {
      EXPECT_EQ(container.last_status(), "RUNNING") << container.name();
      EXPECT_FALSE(container.runtime_id().empty()) << container.name();
    }
    zones.insert(task.availability_zone());
  }
  EXPECT_EQ(zones, (std::set<std::string>{"us-east-1a", "us-east-1b"}));
  EXPECT_EQ(FreeAddresses(), free_before - 8);
  EXPECT_EQ(DescribeFleet().cpu_remaining, idle.cpu_registered - 8 * 256);

  // Stop half of them; the agent takes them down and reports.
  std::vector<std::string> stopped(arns.begin(), arns.begin() + 4);
  for (const std::string& arn : stopped) {
    auto response = Json<v1::StopTaskResponse>({"stop-task", "--task", arn, "--reason", "done"});
    EXPECT_EQ(response.task().desired_status(), "STOPPED");
  }
  tasks = WaitForStatus(stopped, "STOPPED", absl::Seconds(30));
  for (const v1::Task& task : tasks) {
    SCOPED_TRACE(task.task_arn());
    EXPECT_EQ(task.last_status(), "STOPPED");
    EXPECT_EQ(task.stop_code(), "UserInitiated");
    EXPECT_EQ(task.stopped_reason(), "done");
    EXPECT_TRUE(task.has_stopping_at());
    EXPECT_TRUE(task.has_execution_stopped_at());
    EXPECT_TRUE(task.has_stopped_at());
    EXPECT_LE(task.stopping_at(), task.stopped_at());
    for (const v1::Container& container : task.containers()) {
      EXPECT_EQ(container.last_status(), "STOPPED");
      EXPECT_TRUE(container.has_exit_code()) << container.name();
    }
  }
  EXPECT_EQ(FreeAddresses(), free_before - 4);
  EXPECT_EQ(DescribeFleet().cpu_remaining, idle.cpu_registered - 4 * 256);
  // The others are untouched.
  for (const v1::Task& task : DescribeTasks({arns.begin() + 4, arns.end()})) {
    EXPECT_EQ(task.last_status(), "RUNNING");
  }
}

TEST_F(AgentE2E, EssentialContainerExit_And_FailedStart_StopWithEcsStopCodes) {
  StartGantryd(absl::Seconds(30));
  std::string network = MakeNetwork({"us-east-1a"});
  ASSERT_NE(StartAgent("agent", "us-east-1a", 2), nullptr);
  RegisterFamily("e2e-exits",
                 R"([{"name": "GANTRY_SIM_EXIT_AFTER", "value": "300ms"},
                     {"name": "GANTRY_SIM_EXIT_CODE", "value": "3"}])");
  RegisterFamily("e2e-fails",
                 R"([{"name": "GANTRY_SIM_FAIL_START",
                      "value": "CannotPullContainerError: no such image nginx:9.99"}])");
  const int free_before = FreeAddresses();

  std::vector<std::string> exits = RunTasks("e2e-exits", network, 2);
  std::vector<std::string> fails = RunTasks("e2e-fails", network, 2);
  ASSERT_THAT(exits, SizeIs(2));
  ASSERT_THAT(fails, SizeIs(2));
  for (const v1::Task& task : WaitForStatus(exits, "STOPPED", absl::Seconds(30))) {
    SCOPED_TRACE(task.task_arn());
    EXPECT_EQ(task.last_status(), "STOPPED");
    EXPECT_EQ(task.stop_code(), "EssentialContainerExited");
    EXPECT_THAT(task.stopped_reason(), HasSubstr("Essential container in task exited"));
    EXPECT_TRUE(task.has_started_at());
    std::map<std::string, v1::Container> by_name;
    for (const v1::Container& c : task.containers()) by_name[c.name()] = c;
    EXPECT_EQ(by_name["app"].last_status(), "STOPPED");
    EXPECT_EQ(by_name["app"].exit_code(), 3);
    EXPECT_EQ(by_name["sidecar"].last_status(), "STOPPED");
  }
  for (const v1::Task& task : WaitForStatus(fails, "STOPPED", absl::Seconds(30))) {
    SCOPED_TRACE(task.task_arn());
    EXPECT_EQ(task.last_status(), "STOPPED");
    EXPECT_EQ(task.stop_code(), "TaskFailedToStart");
    EXPECT_THAT(task.stopped_reason(), HasSubstr("CannotPullContainerError: no such image"));
    EXPECT_FALSE(task.has_started_at());
  }
  EXPECT_EQ(FreeAddresses(), free_before);
}

TEST_F(AgentE2E, KilledAgent_TasksStopAfterHostTimeout_WithReason_CapacityFreed) {
  StartGantryd(absl::Seconds(3));
  std::string network = MakeNetwork({"us-east-1a", "us-east-1b"});
  ASSERT_NE(StartAgent("agent-a", "us-east-1a", 2), nullptr);
  GantryAgent* doomed = StartAgent("agent-b", "us-east-1b", 2);
  ASSERT_NE(doomed, nullptr);
  RegisterFamily("e2e-lost");
  const int free_before = FreeAddresses();
  const Fleet idle = DescribeFleet();

  std::vector<std::string> arns = RunTasks("e2e-lost", network, 6);
  ASSERT_THAT(arns, SizeIs(6));
  std::vector<v1::Task> tasks = WaitForStatus(arns, "RUNNING", absl::Seconds(30));
  std::vector<std::string> on_b, on_a;
  for (const v1::Task& task : tasks) {
    (task.availability_zone() == "us-east-1b" ? on_b : on_a).push_back(task.task_arn());
  }
  ASSERT_THAT(on_b, SizeIs(3));

  ASSERT_TRUE(doomed->Kill().ok());
  const absl::Time killed = absl::Now();
  tasks = WaitForStatus(on_b, "STOPPED", absl::Seconds(30));
  // Not before the host timeout has passed (minus the time since the last poll).
  EXPECT_GE(absl::Now() - killed, absl::Seconds(1));
  for (const v1::Task& task : tasks) {
    SCOPED_TRACE(task.task_arn());
    EXPECT_EQ(task.last_status(), "STOPPED");
    EXPECT_EQ(task.stop_code(), "InfrastructureHealth");
    EXPECT_THAT(task.stopped_reason(), HasSubstr("was lost"));
    EXPECT_THAT(
        task.stopped_reason(),
        HasSubstr(std::string(absl::StripPrefix(
            task.container_instance_arn().substr(task.container_instance_arn().rfind('/')), "/"))));
  }
  for (const v1::Task& task : DescribeTasks(on_a)) EXPECT_EQ(task.last_status(), "RUNNING");
  EXPECT_EQ(FreeAddresses(), free_before - 3);
  Fleet fleet = DescribeFleet();
  EXPECT_EQ(fleet.connected, 2);
  EXPECT_EQ(fleet.disconnected, 2);
  // The lost hosts hold nothing any more; the live ones hold the three tasks of us-east-1a.
  EXPECT_EQ(fleet.cpu_remaining, idle.cpu_registered - 3 * 256);

  // New work goes to the hosts that are left.
  std::vector<std::string> more = RunTasks("e2e-lost", network, 2);
  for (const v1::Task& task : WaitForStatus(more, "RUNNING", absl::Seconds(30))) {
    EXPECT_EQ(task.last_status(), "RUNNING");
    EXPECT_EQ(task.availability_zone(), "us-east-1a");
  }
}

TEST_F(AgentE2E, DrainedHost_GetsNothingNew) {
  StartGantryd(absl::Seconds(30));
  std::string network = MakeNetwork({"us-east-1a"});
  ASSERT_NE(StartAgent("agent", "us-east-1a", 2), nullptr);
  RegisterFamily("e2e-drain");
  auto list = Json<v1::ListContainerInstancesResponse>({"list-container-instances"});
  ASSERT_THAT(list.container_instance_arns(), SizeIs(2));
  const std::string drained = list.container_instance_arns(0);
  auto updated = Json<v1::UpdateContainerInstancesStateResponse>(
      {"update-container-instances-state", "--container-instances", drained, "--status",
       "DRAINING"});
  ASSERT_THAT(updated.container_instances(), SizeIs(1));
  EXPECT_EQ(updated.container_instances(0).status(), "DRAINING");

  std::vector<std::string> arns = RunTasks("e2e-drain", network, 6);
  for (const v1::Task& task : WaitForStatus(arns, "RUNNING", absl::Seconds(30))) {
    EXPECT_EQ(task.last_status(), "RUNNING");
    EXPECT_NE(task.container_instance_arn(), drained);
  }
}

// A restarted agent keeps its host ids (state dir) and reconnects at once; the tasks
// its simulated runtime lost with the old process are stopped then, not after the host
// timeout.
TEST_F(AgentE2E, RestartedAgent_KeepsHostIds_LostTasksStopAtReconnect) {
  StartGantryd(absl::Seconds(60));
  std::string network = MakeNetwork({"us-east-1a"});
  GantryAgent* agent = StartAgent("agent", "us-east-1a", 2);
  ASSERT_NE(agent, nullptr);
  RegisterFamily("e2e-restart-agent");
  auto before = Json<v1::ListContainerInstancesResponse>({"list-container-instances"});
  std::vector<std::string> arns = RunTasks("e2e-restart-agent", network, 2);
  WaitForStatus(arns, "RUNNING", absl::Seconds(30));

  ASSERT_TRUE(agent->Kill().ok());
  agents_.clear();
  const absl::Time restarted = absl::Now();
  ASSERT_NE(StartAgent("agent", "us-east-1a", 2), nullptr);
  auto after = Json<v1::ListContainerInstancesResponse>({"list-container-instances"});
  EXPECT_THAT(after.container_instance_arns(),
              ::testing::UnorderedElementsAreArray(before.container_instance_arns()));
  for (const v1::Task& task : WaitForStatus(arns, "STOPPED", absl::Seconds(20))) {
    EXPECT_EQ(task.last_status(), "STOPPED");
    EXPECT_THAT(task.stopped_reason(), HasSubstr("lost"));
  }
  EXPECT_LT(absl::Now() - restarted, absl::Seconds(30)) << "waited for the host timeout";
  std::vector<std::string> next = RunTasks("e2e-restart-agent", network, 1);
  EXPECT_EQ(WaitForStatus(next, "RUNNING", absl::Seconds(30)).at(0).last_status(), "RUNNING");
}

// The issue's robustness run: gantryd is SIGKILLed in the middle of a burst of RunTask
// calls, started again on the same data and port, and every call is retried with its
// clientToken: each token ends with exactly its own tasks, no task is created twice,
// and the agent (which reconnected by itself) runs them all.
TEST_F(AgentE2E, GantrydKilledDuringRunTaskBurst_RetriedTokensAccountForEveryTaskOnce) {
  StartGantryd(absl::Seconds(30));
  const std::string listen = gantryd_->endpoint();
  std::string network = MakeNetwork({"us-east-1a"});
  ASSERT_NE(StartAgent("agent", "us-east-1a", 8), nullptr);
  RegisterFamily("e2e-burst");

  constexpr int kCalls = 60;
  constexpr int kPerCall = 2;
  auto args_for = [&](int call) {
    return std::vector<std::string>{"--output",
                                    "json",
                                    "run-task",
                                    "--task-definition",
                                    "e2e-burst",
                                    "--count",
                                    absl::StrCat(kPerCall),
                                    "--client-token",
                                    absl::StrCat("burst-token-", call),
                                    "--network-configuration",
                                    network};
  };
  std::vector<std::thread> callers;
  absl::Mutex mu;
  int answered = 0;
  const std::string endpoint = gantryd_->endpoint();
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      for (int call = t; call < kCalls; call += 4) {
        absl::StatusOr<CommandResult> r = RunGantryctl(endpoint, args_for(call));
        absl::MutexLock lock(&mu);
        if (r.ok() && r->exit_code == 0) ++answered;
      }
    });
  }
  {
    // Kill once part of the burst is through, so the crash lands mid-burst.
    absl::MutexLock lock(&mu);
    auto some = [&] { return answered >= kCalls / 4; };
    mu.AwaitWithTimeout(absl::Condition(&some), absl::Seconds(60));
  }
  ASSERT_TRUE(gantryd_->Kill().ok());
  for (std::thread& caller : callers) caller.join();
  EXPECT_LT(answered, kCalls) << "the kill landed after the burst; the test proved nothing";

  StartGantryd(absl::Seconds(30), listen);
  std::set<std::string> all;
  for (int call = 0; call < kCalls; ++call) {
    CommandResult r = Ctl(gantryd_->endpoint(), args_for(call));
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    auto response = ParseJsonOutput<v1::RunTaskResponse>(r);
    EXPECT_THAT(response.tasks(), SizeIs(kPerCall)) << "token " << call;
    for (const v1::Task& task : response.tasks()) {
      EXPECT_TRUE(all.insert(task.task_arn()).second) << "task in two calls: " << task.task_arn();
    }
    // A second retry answers the same tasks.
    auto again = ParseJsonOutput<v1::RunTaskResponse>(Ctl(gantryd_->endpoint(), args_for(call)));
    ASSERT_EQ(again.tasks_size(), response.tasks_size());
    for (int i = 0; i < again.tasks_size(); ++i) {
      EXPECT_EQ(again.tasks(i).task_arn(), response.tasks(i).task_arn());
    }
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kCalls * kPerCall));
  // Nothing else exists: every task of the family belongs to some token.
  auto listed = Json<v1::ListTasksResponse>({"list-tasks", "--family", "e2e-burst"});
  std::set<std::string> listed_set(listed.task_arns().begin(), listed.task_arns().end());
  EXPECT_EQ(listed_set, all);
  std::vector<std::string> arns(all.begin(), all.end());
  std::vector<v1::Task> tasks = WaitForStatus(arns, "RUNNING", absl::Seconds(60));
  std::set<std::string> addresses;
  for (const v1::Task& task : tasks) {
    EXPECT_EQ(task.last_status(), "RUNNING") << task.DebugString();
    for (const auto& attachment : task.attachments()) {
      for (const auto& detail : attachment.details()) {
        if (detail.name() == "privateIPv4Address") {
          EXPECT_TRUE(addresses.insert(detail.value()).second) << detail.value();
        }
      }
    }
  }
}

// Thousands of simulated hosts hold a long poll each on one gantryd, which serves them
// with a handful of threads, and tasks still reach RUNNING promptly.
TEST_F(AgentE2E, PollStorm_ThousandsOfHosts_FewThreads_TasksRun) {
  constexpr int kHosts = 3000;
  StartGantryd(absl::Seconds(30));
  std::string network = MakeNetwork({"us-east-1a", "us-east-1b"});
  ASSERT_NE(StartAgent("agent-a", "us-east-1a", kHosts / 2), nullptr);
  ASSERT_NE(StartAgent("agent-b", "us-east-1b", kHosts / 2), nullptr);
  RegisterFamily("e2e-storm");
  EXPECT_EQ(DescribeFleet().connected, kHosts);
  const int threads = ThreadCount(gantryd_->pid());
  EXPECT_GT(threads, 0);
  EXPECT_LT(threads, 200) << "gantryd should not use a thread per poll";

  std::vector<std::string> arns;
  for (int call = 0; call < 20; ++call) {
    std::vector<std::string> batch = RunTasks("e2e-storm", network, 10);
    arns.insert(arns.end(), batch.begin(), batch.end());
  }
  ASSERT_THAT(arns, SizeIs(200));
  std::vector<v1::Task> tasks = WaitForStatus(arns, "RUNNING", absl::Seconds(60));
  int running = 0;
  for (const v1::Task& task : tasks) running += task.last_status() == "RUNNING" ? 1 : 0;
  EXPECT_EQ(running, 200);
  EXPECT_LT(ThreadCount(gantryd_->pid()), 200);
}

}  // namespace
}  // namespace gantry::testing
