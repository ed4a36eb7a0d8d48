// Real containers end to end: gantryd, gantry-agent with its containerd runtime, a
// private containerd and a private registry on loopback (tests/support/containerd_env.h),
// and gantryctl. One environment for the suite; each test runs its own tasks.
//
// Needs root and the packages of scripts/install-deps; without them every test is
// skipped with the reason (CI runs as root with everything installed).
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gantry/v1/ecs.pb.h"
#include "gantry/v1/network.pb.h"
#include "google/protobuf/struct.pb.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/substitute.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"
#include "tests/support/containerd_env.h"
#include "tests/support/http_client.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kZone[] = "us-east-1r";
// A block no host network here uses; the subnet's bridge takes its .1.
constexpr char kVpcBlock[] = "10.213.0.0/16";
constexpr char kSubnetBlock[] = "10.213.7.0/24";

class ContainerdE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (absl::Status status = CheckContainerdPrerequisites(); !status.ok()) {
      skip_reason_ = new std::string(status.ToString());
      return;
    }
    absl::StatusOr<TempDir> dir = TempDir::Create("gantry-e2e-ctd");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = new TempDir(*std::move(dir));
    absl::StatusOr<std::unique_ptr<ContainerdEnv>> env = ContainerdEnv::Start(dir_->path() / "env");
    if (!env.ok()) {
      std::filesystem::create_directories(dir_->path() / "env");
      env = ContainerdEnv::Start(dir_->path() / "env");
    }
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = env->release();
    absl::StatusOr<std::string> image = env_->PushBusyboxImage("gantry/busybox", "e2e", {"sh"});
    ASSERT_TRUE(image.ok()) << image.status();
    image_ = new std::string(*image);

    GantrydOptions options;
    options.data_dir = dir_->path() / "data";
    options.extra_args = {"--metrics-listen", "127.0.0.1:0"};
    absl::StatusOr<std::unique_ptr<Gantryd>> gantryd = Gantryd::Start(options);
    ASSERT_TRUE(gantryd.ok()) << gantryd.status();
    gantryd_ = gantryd->release();

    AgentOptions agent;
    agent.endpoint = gantryd_->endpoint();
    agent.state_dir = dir_->path() / "agent";
    agent.args = {"--runtime",
                  "containerd",
                  "--availability-zone",
                  kZone,
                  "--containerd-address",
                  env_->containerd_address(),
                  "--insecure-registry",
                  env_->registry(),
                  "--poll-wait",
                  "2s",
                  "--log-max-size",
                  "1",
                  "--metrics-interval",
                  "500ms",
                  "--task-cleanup-wait",
                  "15s"};
    agent_options_ = agent;
    absl::StatusOr<std::unique_ptr<GantryAgent>> started = GantryAgent::Start(agent);
    ASSERT_TRUE(started.ok()) << started.status();
    agent_ = started->release();

    auto vpc = Json<v1::CreateVpcResponse>({"create-vpc", "--cidr-block", kVpcBlock});
    auto subnet = Json<v1::CreateSubnetResponse>({"create-subnet", "--vpc-id", vpc.vpc().vpc_id(),
                                                  "--cidr-block", kSubnetBlock,
                                                  "--availability-zone", kZone});
    subnet_id_ = new std::string(subnet.subnet().subnet_id());
  }

  static void TearDownTestSuite() {
    // Every task is stopped by now: nothing of the tasks' networks may be left.
    if (agent_ != nullptr) {
      absl::StatusOr<CommandResult> links =
          RunCommand(ProcessOptions{.argv = {"/usr/sbin/ip", "-o", "link"}}, "", absl::Seconds(10));
      EXPECT_TRUE(links.ok()) << links.status();
      if (links.ok()) {
        EXPECT_THAT(links->out, ::testing::Not(HasSubstr("gtb-"))) << "a subnet bridge is left";
        EXPECT_THAT(links->out, ::testing::Not(HasSubstr("gtv-"))) << "a task veth is left";
      }
    }
    if (agent_ != nullptr) {
      if (::testing::UnitTest::GetInstance()->failed_test_count() > 0) {
        std::cerr << "--- agent log (tail) ---\n" << agent_->LogTail(12000) << "\n";
      }
      delete agent_;
    }
    delete gantryd_;
    if (env_ != nullptr && ::testing::UnitTest::GetInstance()->failed_test_count() > 0) {
      std::cerr << "--- containerd log (tail) ---\n" << env_->ContainerdLogTail(6000) << "\n";
    }
    delete env_;
    delete dir_;
    delete image_;
    delete subnet_id_;
    delete skip_reason_;
  }

  void SetUp() override {
    if (skip_reason_ != nullptr) {
      GTEST_SKIP() << *skip_reason_;
    }
    ASSERT_NE(agent_, nullptr) << "the suite's set-up failed";
  }

  // Stops what a failed test left running, so that the next tests and the suite's
  // leftover check see a clean host.
  void TearDown() override {
    for (const std::string& arn : *started_) {
      if (gantryd_ != nullptr && Describe1(arn).last_status() != "STOPPED") {
        StopAndWait(arn);
      }
    }
    started_->clear();
  }

  template <typename M>
  static M Json(std::vector<std::string> args) {
    args.insert(args.begin(), {"--output", "json"});
    CommandResult r = Ctl(gantryd_->endpoint(), args);
    EXPECT_EQ(r.exit_code, 0) << absl::StrJoin(args, " ") << "\n" << Describe(r);
    return ParseJsonOutput<M>(r);
  }

  // Registers `family` with `containers` (a JSON array of container definitions).
  static void Register(const std::string& family, const std::string& containers) {
    const std::string definition = absl::Substitute(R"json({
      "family": "$0", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
      "cpu": "256", "memory": "512", "containerDefinitions": $1})json",
                                                    family, containers);
    CommandResult r =
        Ctl(gantryd_->endpoint(), {"register-task-definition", "--cli-input-json", definition});
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
  }

  // One container definition of the test image running `script` with sh -c.
  static std::string Container(const std::string& name, const std::string& script,
                               const std::string& extra = "") {
    return absl::Substitute(
        R"json({"name": "$0", "image": "$1", "command": ["sh", "-c", "$2"]$3})json", name, *image_,
        absl::StrReplaceAll(script, {{"\\", "\\\\"}, {"\"", "\\\""}}),
        extra.empty() ? "" : absl::StrCat(", ", extra));
  }

  static std::string RunTask(const std::string& family) {
    auto response = Json<v1::RunTaskResponse>(
        {"run-task", "--task-definition", family, "--network-configuration",
         absl::StrCat("awsvpcConfiguration={subnets=[", *subnet_id_, "]}")});
    EXPECT_THAT(response.failures(), IsEmpty());
    EXPECT_THAT(response.tasks(), SizeIs(1));
    if (response.tasks().empty()) {
      return "";
    }
    started_->push_back(response.tasks(0).task_arn());
    return response.tasks(0).task_arn();
  }

  static v1::Task Describe1(const std::string& arn) {
    auto response = Json<v1::DescribeTasksResponse>({"describe-tasks", "--tasks", arn});
    return response.tasks().empty() ? v1::Task() : response.tasks(0);
  }

  // Describes the task until `done` holds or `timeout` passes; returns the last view.
  template <typename Predicate>
  static v1::Task WaitFor(const std::string& arn, Predicate done, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    v1::Task task = Describe1(arn);
    while (!done(task) && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(200));
      task = Describe1(arn);
    }
    return task;
  }

  // Waits for `status`, or for STOPPED (which no task leaves), whichever comes first.
  static v1::Task WaitForStatus(const std::string& arn, const std::string& status,
                                absl::Duration timeout = absl::Seconds(60)) {
    return WaitFor(
        arn,
        [&](const v1::Task& task) {
          return task.last_status() == status || task.last_status() == "STOPPED";
        },
        timeout);
  }

  // Fails the test unless the task reaches RUNNING; says why it did not.
  static void ExpectRunning(const std::string& arn) {
    v1::Task task = WaitForStatus(arn, "RUNNING");
    ASSERT_EQ(task.last_status(), "RUNNING")
        << "stopped reason: " << task.stopped_reason() << "\n--- agent log ---\n"
        << agent_->LogTail();
  }

  static const v1::Container* ContainerNamed(const v1::Task& task, const std::string& name) {
    for (const v1::Container& container : task.containers()) {
      if (container.name() == name) {
        return &container;
      }
    }
    return nullptr;
  }

  static std::string TaskId(const std::string& arn) { return arn.substr(arn.rfind('/') + 1); }

  static std::string ReadTrimmed(const std::filesystem::path& path) {
    std::ifstream file(path);
    std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    return std::string(absl::StripAsciiWhitespace(text));
  }

  // The host's own busybox fetching `url` (the test process is in the host's network).
  // (No -T: Debian's busybox wget crashes with it; RunCommand has its own timeout.)
  static CommandResult HostWget(const std::string& url) {
    absl::StatusOr<CommandResult> result =
        RunCommand(ProcessOptions{.argv = {"/bin/busybox", "wget", "-q", "-O", "-", url}}, "",
                   absl::Seconds(10));
    return result.ok() ? *result
                       : CommandResult{.exit_code = -1, .err = result.status().ToString()};
  }

  static void StopAndWait(const std::string& arn) {
    Ctl(gantryd_->endpoint(), {"stop-task", "--task", arn});
    WaitForStatus(arn, "STOPPED");
  }

  static inline std::string* skip_reason_ = nullptr;
  static inline TempDir* dir_ = nullptr;
  static inline ContainerdEnv* env_ = nullptr;
  static inline std::string* image_ = nullptr;
  static inline Gantryd* gantryd_ = nullptr;
  static inline GantryAgent* agent_ = nullptr;
  static inline std::string* subnet_id_ = nullptr;
  static inline AgentOptions agent_options_;
  static inline std::vector<std::string>* started_ = new std::vector<std::string>();
};

TEST_F(ContainerdE2E, TwoContainers_RunTalkOverLocalhost_HostReachesTheTaskAddress) {
  // web serves /etc over HTTP; probe (not essential) exits 0 once it fetched a page
  // from web over localhost, 3 if it never could. httpd as PID 1 ignores SIGTERM: a
  // short stopTimeout keeps the final stop quick.
  Register(
      "ctd-two",
      absl::StrCat("[", Container("web", "httpd -f -p 8080 -h /etc", R"("stopTimeout": 2)"), ",",
                   Container("probe",
                             "for i in $(seq 50); do wget -q -O /dev/null "
                             "http://127.0.0.1:8080/passwd && exit 0; sleep 0.2; done; "
                             "exit 3",
                             R"("essential": false)"),
                   "]"));
  const std::string arn = RunTask("ctd-two");
  ASSERT_NO_FATAL_FAILURE(ExpectRunning(arn));
  v1::Task task = Describe1(arn);
  ASSERT_THAT(task.containers(), SizeIs(2));
  for (const v1::Container& container : task.containers()) {
    EXPECT_FALSE(container.runtime_id().empty()) << container.name();
    EXPECT_TRUE(absl::StartsWith(container.image_digest(), "sha256:")) << container.name();
  }

  task = WaitFor(
      arn,
      [](const v1::Task& t) {
        const v1::Container* probe = ContainerNamed(t, "probe");
        return probe != nullptr && probe->has_exit_code();
      },
      absl::Seconds(30));
  const v1::Container* probe = ContainerNamed(task, "probe");
  ASSERT_NE(probe, nullptr);
  EXPECT_EQ(probe->last_status(), "STOPPED");
  EXPECT_EQ(probe->exit_code(), 0) << "the probe could not reach web on localhost";
  EXPECT_EQ(task.last_status(), "RUNNING") << "a non-essential exit must not stop the task";

  ASSERT_THAT(task.containers(0).network_interfaces(), SizeIs(1));
  const std::string address = task.containers(0).network_interfaces(0).private_ipv4_address();
  CommandResult fetched = HostWget(absl::StrCat("http://", address, ":8080/passwd"));
  EXPECT_EQ(fetched.exit_code, 0) << Describe(fetched);
  EXPECT_THAT(fetched.out, HasSubstr("root:x:0:0"));

  StopAndWait(arn);
}

TEST_F(ContainerdE2E, EssentialContainerExits_TaskStopsWithItsExitCode) {
  Register("ctd-exit", absl::StrCat("[", Container("main", "sleep 0.5; exit 3"), "]"));
  const std::string arn = RunTask("ctd-exit");
  v1::Task task = WaitForStatus(arn, "STOPPED");
  ASSERT_EQ(task.last_status(), "STOPPED") << task.DebugString() << agent_->LogTail();
  EXPECT_EQ(task.stopped_reason(), "Essential container in task exited");
  ASSERT_THAT(task.containers(), SizeIs(1));
  EXPECT_EQ(task.containers(0).exit_code(), 3);
  EXPECT_FALSE(std::filesystem::exists("/run/netns/gantry-" + TaskId(arn)));
}

// SYS_PTRACE is bit 19 of the effective set: the container exits 10 when it has it,
// 11 when not.
TEST_F(ContainerdE2E, SysPtrace_InTheEffectiveSetOnlyWhenAdded) {
  const std::string check =
      "cap=$(grep CapEff /proc/self/status | cut -f2); "
      "if [ $(( 0x$cap & 0x80000 )) -ne 0 ]; then exit 10; else exit 11; fi";
  Register("ctd-ptrace", absl::StrCat("[", Container("main", check, R"("linuxParameters":
      {"capabilities": {"add": ["SYS_PTRACE"]}})"),
                                      "]"));
  Register("ctd-noptrace", absl::StrCat("[", Container("main", check), "]"));
  const std::string with = RunTask("ctd-ptrace");
  const std::string without = RunTask("ctd-noptrace");
  v1::Task with_task = WaitForStatus(with, "STOPPED");
  v1::Task without_task = WaitForStatus(without, "STOPPED");
  ASSERT_THAT(with_task.containers(), SizeIs(1));
  ASSERT_THAT(without_task.containers(), SizeIs(1));
  EXPECT_EQ(with_task.containers(0).exit_code(), 10) << with_task.DebugString();
  EXPECT_EQ(without_task.containers(0).exit_code(), 11) << without_task.DebugString();
}

// sleep as PID 1 ignores SIGTERM, so the stop falls back to SIGKILL after stopTimeout;
// with initProcessEnabled, tini forwards SIGTERM and the stop is prompt. While they run,
// the task's cgroup holds its cpu and memory.
TEST_F(ContainerdE2E, StopTask_StopsWithinStopTimeout_FreesNamespaceAndVeth) {
  Register("ctd-stop",
           absl::StrCat("[", Container("main", "sleep 1000", R"("stopTimeout": 2)"), "]"));
  Register("ctd-init", absl::StrCat("[",
                                    Container("main", "sleep 1000",
                                              R"("linuxParameters": {"initProcessEnabled": true})"),
                                    "]"));
  const std::string plain = RunTask("ctd-stop");
  const std::string init = RunTask("ctd-init");
  ASSERT_NO_FATAL_FAILURE(ExpectRunning(plain));
  ASSERT_NO_FATAL_FAILURE(ExpectRunning(init));
  ASSERT_TRUE(std::filesystem::exists("/run/netns/gantry-" + TaskId(plain)));
  // The task's cpu (256 units: a quarter CPU) and memory (512 MiB) bound its cgroup.
  const std::filesystem::path v1_cpu = "/sys/fs/cgroup/cpu/gantry/" + TaskId(plain);
  const std::filesystem::path v2_task = "/sys/fs/cgroup/gantry/" + TaskId(plain);
  if (std::filesystem::exists(v1_cpu)) {
    EXPECT_EQ(ReadTrimmed(v1_cpu / "cpu.cfs_quota_us"), "25000");
    EXPECT_EQ(ReadTrimmed(v1_cpu / "cpu.cfs_period_us"), "100000");
    EXPECT_EQ(
        ReadTrimmed("/sys/fs/cgroup/memory/gantry/" + TaskId(plain) + "/memory.limit_in_bytes"),
        "536870912");
  } else {
    EXPECT_EQ(ReadTrimmed(v2_task / "cpu.max"), "25000 100000");
    EXPECT_EQ(ReadTrimmed(v2_task / "memory.max"), "536870912");
  }

  const absl::Time stop_at = absl::Now();
  Ctl(gantryd_->endpoint(), {"stop-task", "--task", plain});
  Ctl(gantryd_->endpoint(), {"stop-task", "--task", init});
  v1::Task plain_task = WaitForStatus(plain, "STOPPED", absl::Seconds(30));
  const absl::Duration took = absl::Now() - stop_at;
  v1::Task init_task = WaitForStatus(init, "STOPPED", absl::Seconds(30));
  ASSERT_EQ(plain_task.last_status(), "STOPPED");
  ASSERT_EQ(init_task.last_status(), "STOPPED");
  EXPECT_EQ(plain_task.containers(0).exit_code(), 137) << "SIGKILL after the stop timeout";
  EXPECT_EQ(init_task.containers(0).exit_code(), 143) << "SIGTERM through the init";
  EXPECT_GE(took, absl::Seconds(2));
  EXPECT_LT(took, absl::Seconds(15));

  for (const std::string& arn : {plain, init}) {
    EXPECT_FALSE(std::filesystem::exists("/run/netns/gantry-" + TaskId(arn))) << arn;
  }
  const std::string address =
      plain_task.containers(0).network_interfaces().empty()
          ? ""
          : plain_task.containers(0).network_interfaces(0).private_ipv4_address();
  absl::StatusOr<CommandResult> links =
      RunCommand(ProcessOptions{.argv = {"/usr/sbin/ip", "-o", "addr"}}, "", absl::Seconds(10));
  ASSERT_TRUE(links.ok()) << links.status();
  EXPECT_THAT(links->out, ::testing::Not(HasSubstr(absl::StrCat(address, "/"))));
}

// The container's root and its task volume are on the task's own 20 GiB file system:
// df sees its size, allocating past it fails inside the container, and what the
// container writes shows on the host in the task's storage. The script exits with a
// code naming the check that failed, or marks the volume "done" and sleeps.
TEST_F(ContainerdE2E, EphemeralStorage_TwentyGibForRootAndVolumes_NoWritePastIt) {
  const std::string checks =
      "total=$(df -k / | awk 'NR==2 {print $2}'); "
      "[ $total -gt 19000000 ] && [ $total -lt 21500000 ] || exit 4; "
      "fallocate -l 1G /tmp/fits || exit 5; "
      "fallocate -l 25G /tmp/too-big && exit 6; "
      // ext4 keeps what a failed fallocate got before ENOSPC: free it.
      "rm -f /tmp/too-big; "
      "dd if=/dev/zero of=/scratch/data bs=1M count=4 || exit 7; "
      "touch /scratch/done; sleep 1000";
  const std::string definition = absl::Substitute(
      R"json({"family": "ctd-storage", "networkMode": "awsvpc",
      "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
      "volumes": [{"name": "scratch"}], "containerDefinitions": [$0]})json",
      Container("main", checks,
                R"("stopTimeout": 2, "mountPoints": [{"sourceVolume": "scratch",
                   "containerPath": "/scratch"}])"));
  CommandResult registered =
      Ctl(gantryd_->endpoint(), {"register-task-definition", "--cli-input-json", definition});
  ASSERT_EQ(registered.exit_code, 0) << Describe(registered);

  const std::string arn = RunTask("ctd-storage");
  ASSERT_NO_FATAL_FAILURE(ExpectRunning(arn));
  const std::filesystem::path storage =
      dir_->path() / "agent" / "tasks" / TaskId(arn) / "ephemeral";
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!std::filesystem::exists(storage / "volumes" / "scratch" / "done") &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(200));
  }
  v1::Task task = Describe1(arn);
  ASSERT_TRUE(std::filesystem::exists(storage / "volumes" / "scratch" / "done"))
      << "the checks failed: exit code "
      << (task.containers().empty() ? -1 : task.containers(0).exit_code()) << "\n"
      << task.DebugString();
  EXPECT_EQ(std::filesystem::file_size(storage / "volumes" / "scratch" / "data"), 4u << 20);
  absl::StatusOr<CommandResult> df =
      RunCommand(ProcessOptions{.argv = {"/bin/df", "-k", "--output=used", storage.string()}}, "",
                 absl::Seconds(10));
  ASSERT_TRUE(df.ok()) << df.status();
  int64_t used_kib = 0;
  std::vector<std::string> lines = absl::StrSplit(df->out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << df->out;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(lines[1]), &used_kib)) << df->out;
  EXPECT_GE(used_kib, 1 << 20) << "the container's 1 GiB allocation is on the task's storage";

  StopAndWait(arn);
  EXPECT_FALSE(std::filesystem::exists(storage)) << "the task's file system is removed";
  EXPECT_FALSE(std::filesystem::exists(storage.parent_path() / "ephemeral.img"));
}

// A restarted agent takes over the containers it left running: the task stays
// RUNNING, and a stop then goes through the new agent. A network namespace of a task
// that no longer exists is removed at the restart.
TEST_F(ContainerdE2E, AgentRestart_TakesOverRunningTask_RemovesLeftoverNamespace) {
  Register("ctd-restart",
           absl::StrCat("[", Container("main", "sleep 1000", R"("stopTimeout": 2)"), "]"));
  const std::string arn = RunTask("ctd-restart");
  ASSERT_NO_FATAL_FAILURE(ExpectRunning(arn));
  const std::string runtime_id = Describe1(arn).containers(0).runtime_id();
  const std::string stale = "gantry-00000000000000000000000000000bad";
  absl::StatusOr<CommandResult> added = RunCommand(
      ProcessOptions{.argv = {"/usr/sbin/ip", "netns", "add", stale}}, "", absl::Seconds(10));
  ASSERT_TRUE(added.ok() && added->exit_code == 0) << added.status();

  absl::StatusOr<int> exit_code = agent_->Terminate();
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0) << agent_->LogTail();
  delete agent_;
  agent_ = nullptr;
  absl::StatusOr<std::unique_ptr<GantryAgent>> restarted = GantryAgent::Start(agent_options_);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  agent_ = restarted->release();

  EXPECT_FALSE(std::filesystem::exists("/run/netns/" + stale));
  absl::SleepFor(absl::Seconds(3));  // a few polls and reports of the new agent
  v1::Task task = Describe1(arn);
  EXPECT_EQ(task.last_status(), "RUNNING") << task.stopped_reason();
  ASSERT_THAT(task.containers(), SizeIs(1));
  EXPECT_EQ(task.containers(0).runtime_id(), runtime_id);

  Ctl(gantryd_->endpoint(), {"stop-task", "--task", arn});
  task = WaitForStatus(arn, "STOPPED");
  ASSERT_EQ(task.last_status(), "STOPPED") << agent_->LogTail();
  EXPECT_EQ(task.containers(0).exit_code(), 137) << "killed after its stop timeout";
  EXPECT_FALSE(std::filesystem::exists("/run/netns/gantry-" + TaskId(arn)));
}

// app starts only once db's health check passes and init exited with 0; db's health
// is then checked every 5 s and reported. A container whose check always fails is
// UNHEALTHY after its retries. A SUCCESS dependency that exits 3 stops the task.
TEST_F(ContainerdE2E, HealthChecksAndDependsOn_HealthyGatesTheStart_StatusReported) {
  // db serves on localhost only after a second; app fetches from it at once and exits 9
  // (stopping the task) if it started too early.
  const std::string healthy_db =
      Container("db", "sleep 1; exec httpd -f -p 8081 -h /etc",
                R"("stopTimeout": 2, "healthCheck": {"command": ["CMD-SHELL",
         "wget -q -O /dev/null http://127.0.0.1:8081/passwd"],
         "interval": 5, "timeout": 2, "retries": 2})");
  const std::string sick = Container(
      "sick", "sleep 1000",
      R"("essential": false, "stopTimeout": 2, "healthCheck": {"command": ["CMD", "false"],
         "interval": 5, "timeout": 2, "retries": 1})");
  const std::string init = Container("init", "exit 0", R"("essential": false)");
  const std::string app =
      Container("app", "wget -q -O /dev/null http://127.0.0.1:8081/passwd || exit 9; sleep 1000",
                R"("stopTimeout": 2, "dependsOn": [{"containerName": "db", "condition": "HEALTHY"},
         {"containerName": "init", "condition": "SUCCESS"}])");
  Register("ctd-health", absl::StrCat("[", app, ",", healthy_db, ",", sick, ",", init, "]"));
  const std::string arn = RunTask("ctd-health");
  ASSERT_NO_FATAL_FAILURE(ExpectRunning(arn));
  v1::Task task = WaitFor(
      arn,
      [](const v1::Task& t) {
        const v1::Container* db = ContainerNamed(t, "db");
        const v1::Container* sick = ContainerNamed(t, "sick");
        return db != nullptr && sick != nullptr && db->health_status() == "HEALTHY" &&
               sick->health_status() == "UNHEALTHY";
      },
      absl::Seconds(30));
  EXPECT_EQ(ContainerNamed(task, "db")->health_status(), "HEALTHY") << task.DebugString();
  EXPECT_EQ(ContainerNamed(task, "sick")->health_status(), "UNHEALTHY") << task.DebugString();
  EXPECT_EQ(ContainerNamed(task, "app")->last_status(), "RUNNING");
  EXPECT_EQ(ContainerNamed(task, "init")->exit_code(), 0);
  EXPECT_EQ(task.last_status(), "RUNNING");
  StopAndWait(arn);

  Register("ctd-depfail",
           absl::StrCat("[", Container("init", "exit 3", R"("essential": false)"), ",",
                        Container("app", "sleep 1000",
                                  R"("dependsOn": [{"containerName": "init",
                                     "condition": "SUCCESS"}])"),
                        "]"));
  const std::string failing = RunTask("ctd-depfail");
  task = WaitForStatus(failing, "STOPPED");
  ASSERT_EQ(task.last_status(), "STOPPED");
  EXPECT_THAT(task.stopped_reason(), HasSubstr("dependency \"init\" exited with code 3"));
  EXPECT_THAT(task.stopped_reason(), ::testing::StartsWith("CannotStartContainerError: "));
}

// The container reads its task's metadata and its stats at ECS_CONTAINER_METADATA_URI_V4
// and prints them (its output goes to the task's log file, which the test reads): the
// task's ARN, zone and address are there, and the network counters grow with traffic.
// The host, which is not the task, gets nothing for the same token.
TEST_F(ContainerdE2E, MetadataEndpoint_TaskDocumentAndGrowingNetworkStats_OnlyForTheTask) {
  const std::string script =
      "uri=$ECS_CONTAINER_METADATA_URI_V4; echo \"URI $uri\"; "
      "echo \"TASK $(wget -q -O - $uri/task)\"; "
      "echo \"STATS1 $(wget -q -O - $uri/stats)\"; "
      "for i in $(seq 20); do wget -q -O /dev/null $uri/task; done; "
      "echo \"STATS2 $(wget -q -O - $uri/stats)\"; sleep 1000";
  Register("ctd-metadata",
           absl::StrCat("[", Container("main", script, R"("stopTimeout": 2)"), "]"));
  const std::string arn = RunTask("ctd-metadata");
  ASSERT_NO_FATAL_FAILURE(ExpectRunning(arn));
  const std::filesystem::path log = dir_->path() / "agent" / "tasks" / TaskId(arn) / "main.log";
  std::map<std::string, std::string> lines;  // by the first word
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!lines.contains("STATS2") && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(200));
    std::ifstream file(log);
    std::string line;
    while (std::getline(file, line)) {
      const size_t space = line.find(' ');
      if (space != std::string::npos) {
        lines[line.substr(0, space)] = line.substr(space + 1);
      }
    }
  }
  ASSERT_TRUE(lines.contains("STATS2")) << "the container's output so far:\n"
                                        << absl::StrJoin(lines, "\n", absl::PairFormatter(" "));
  const v1::Task described = Describe1(arn);
  google::protobuf::Struct task;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines["TASK"], &task).ok())
      << lines["TASK"];
  EXPECT_EQ(task.fields().at("TaskARN").string_value(), arn);
  EXPECT_EQ(task.fields().at("AvailabilityZone").string_value(), kZone);
  EXPECT_EQ(task.fields().at("Family").string_value(), "ctd-metadata");
  // Asked as soon as its container started: the task may not be RUNNING yet.
  EXPECT_THAT(task.fields().at("KnownStatus").string_value(),
              ::testing::AnyOf("PENDING", "RUNNING"));
  const auto& containers = task.fields().at("Containers").list_value();
  ASSERT_EQ(containers.values_size(), 1);
  const auto& network =
      containers.values(0).struct_value().fields().at("Networks").list_value().values(0);
  EXPECT_EQ(
      network.struct_value().fields().at("IPv4Addresses").list_value().values(0).string_value(),
      described.containers(0).network_interfaces(0).private_ipv4_address());
  EXPECT_EQ(network.struct_value().fields().at("IPv4SubnetCIDRBlock").string_value(), kSubnetBlock);

  google::protobuf::Struct first;
  google::protobuf::Struct second;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines["STATS1"], &first).ok())
      << lines["STATS1"];
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines["STATS2"], &second).ok())
      << lines["STATS2"];
  const double rx_first = first.fields()
                              .at("networks")
                              .struct_value()
                              .fields()
                              .at("eth0")
                              .struct_value()
                              .fields()
                              .at("rx_bytes")
                              .number_value();
  const double rx_second = second.fields()
                               .at("networks")
                               .struct_value()
                               .fields()
                               .at("eth0")
                               .struct_value()
                               .fields()
                               .at("rx_bytes")
                               .number_value();
  EXPECT_GT(rx_second, rx_first + 20 * 100) << "twenty answers came in between";
  EXPECT_TRUE(second.fields().contains("network_rate_stats")) << lines["STATS2"];
  EXPECT_GT(second.fields().at("memory_stats").struct_value().fields().at("usage").number_value(),
            0);

  CommandResult from_host = HostWget(absl::StrCat(lines["URI"], "/task"));
  EXPECT_NE(from_host.exit_code, 0) << "the host is not the task: " << from_host.out;
  EXPECT_THAT(from_host.out, ::testing::Not(HasSubstr(arn)));
  StopAndWait(arn);
}

double MetricNamed(const v1::TaskMetricsRecord& record, const std::string& name) {
  for (const v1::TaskMetric& metric : record.metrics()) {
    if (metric.name() == name) {
      return metric.value();
    }
  }
  return -1;
}

// Real usage reaches gantryd: the task's cgroup (CPU held to the task's 256 units by its
// CFS quota, memory), its ephemeral file system (40 MiB written) and its veth (the host
// fetches from it), through the agent's reports to describe-task-metrics and /metrics.
TEST_F(ContainerdE2E, TaskMetrics_RealUsageReported_CpuWithinTheTasksCap) {
  Register("ctd-metrics", absl::StrCat("[",
                                       Container("main",
                                                 "dd if=/dev/zero of=/tmp/blob bs=1M count=40; "
                                                 "httpd -p 8080 -h /etc; while :; do :; done",
                                                 R"("stopTimeout": 2)"),
                                       "]"));
  const std::string arn = RunTask("ctd-metrics");
  ASSERT_NO_FATAL_FAILURE(ExpectRunning(arn));
  v1::TaskMetricsRecord record;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    auto response = Json<v1::DescribeTaskMetricsResponse>({"describe-task-metrics", "--task", arn});
    if (response.task_metrics_size() == 1) {
      record = response.task_metrics(0);
      if (MetricNamed(record, "CpuUtilized") > 100 &&
          MetricNamed(record, "EphemeralStorageUtilized") >= 40.0 / 1024) {
        break;
      }
    }
    absl::SleepFor(absl::Milliseconds(250));
  }
  EXPECT_GT(MetricNamed(record, "CpuUtilized"), 100) << record.DebugString();
  EXPECT_LT(MetricNamed(record, "CpuUtilized"), 256 * 1.2) << "the task's CPU is capped";
  EXPECT_EQ(MetricNamed(record, "CpuReserved"), 256);
  EXPECT_GT(MetricNamed(record, "MemoryUtilized"), 0);
  EXPECT_EQ(MetricNamed(record, "MemoryReserved"), 512);
  EXPECT_GE(MetricNamed(record, "EphemeralStorageUtilized"), 40.0 / 1024);
  EXPECT_LT(MetricNamed(record, "EphemeralStorageUtilized"), 1) << "not the whole 20 GiB";
  EXPECT_EQ(MetricNamed(record, "EphemeralStorageReserved"), 20);

  const std::string series = absl::StrCat(
      "gantry_task_network_rx_bytes_total{account_id=\"000000000000\",cluster=\"default\","
      "family=\"ctd-metrics\",task_id=\"",
      TaskId(arn), "\"}");
  auto scrape = [] { return HttpRequest(gantryd_->metrics_endpoint(), "GET", "/metrics").body; };
  const double before = PrometheusValue(scrape(), series);
  EXPECT_GE(before, 0) << "no series " << series;
  const std::string address =
      Describe1(arn).containers(0).network_interfaces(0).private_ipv4_address();
  for (int i = 0; i < 10; ++i) {
    CommandResult fetched = HostWget(absl::StrCat("http://", address, ":8080/passwd"));
    ASSERT_EQ(fetched.exit_code, 0) << Describe(fetched);
  }
  double after = before;
  const absl::Time counted = absl::Now() + absl::Seconds(10);
  while (after < before + 10 * 100 && absl::Now() < counted) {
    absl::SleepFor(absl::Milliseconds(250));
    after = PrometheusValue(scrape(), series);
  }
  EXPECT_GE(after, before + 10 * 100) << "ten requests came in through the task's veth";
  StopAndWait(arn);
}

// gantryctl logs reads a container's output through gantryd from the agent's log file;
// --follow prints lines as they are written and ends once the task has stopped.
TEST_F(ContainerdE2E, Logs_ThroughGantryd_FollowEndsWhenTheTaskStops) {
  Register("ctd-logs",
           absl::StrCat("[",
                        Container("main",
                                  "echo starting; sleep 2; for i in 1 2 3 4 5; do echo tick $i; "
                                  "sleep 0.3; done; echo bye >&2; sleep 1"),
                        "]"));
  const std::string arn = RunTask("ctd-logs");
  ASSERT_NO_FATAL_FAILURE(ExpectRunning(arn));
  CommandResult followed = Ctl(gantryd_->endpoint(), {"logs", "--task", arn, "--follow"});
  EXPECT_EQ(followed.exit_code, 0) << Describe(followed);
  EXPECT_EQ(followed.out, "starting\ntick 1\ntick 2\ntick 3\ntick 4\ntick 5\nbye\n");
  EXPECT_EQ(WaitForStatus(arn, "STOPPED").last_status(), "STOPPED");
  CommandResult after = Ctl(gantryd_->endpoint(), {"logs", "--task", arn});
  EXPECT_EQ(after.exit_code, 0) << Describe(after);
  EXPECT_EQ(after.out, followed.out) << "kept after the task stopped";

  // --task-cleanup-wait 15s: the task's directory goes a little later (the agent forgets
  // the task once gantryd has its STOPPED report; the sweep runs every 10 s).
  const std::filesystem::path task_dir = dir_->path() / "agent" / "tasks" / TaskId(arn);
  EXPECT_TRUE(std::filesystem::exists(task_dir));
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (std::filesystem::exists(task_dir) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_FALSE(std::filesystem::exists(task_dir)) << "kept past --task-cleanup-wait";
  CommandResult gone = Ctl(gantryd_->endpoint(), {"logs", "--task", arn});
  EXPECT_EQ(gone.exit_code, 1) << Describe(gone);
  EXPECT_THAT(gone.err, HasSubstr("has no logs on this host"));
}

// The agent runs with --log-max-size 1: a container that prints 3 MiB has its log
// rotated within the rotation period (10 s), its live file started again.
TEST_F(ContainerdE2E, ContainerLog_RotatedPastItsMaxSize) {
  Register("ctd-log", absl::StrCat("[",
                                   Container("main",
                                             "for i in $(seq 3072); do head -c 1023 /dev/zero | "
                                             "tr '\\0' x; echo; done; sleep 1000",
                                             R"("stopTimeout": 2)"),
                                   "]"));
  const std::string arn = RunTask("ctd-log");
  ASSERT_NO_FATAL_FAILURE(ExpectRunning(arn));
  const std::filesystem::path log = dir_->path() / "agent" / "tasks" / TaskId(arn) / "main.log";
  const std::filesystem::path rotated = log.string() + ".1";
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!std::filesystem::exists(rotated) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(250));
  }
  ASSERT_TRUE(std::filesystem::exists(rotated)) << "no rotation within 30 s";
  EXPECT_GT(std::filesystem::file_size(rotated), 1u << 20);
  EXPECT_LT(std::filesystem::file_size(log), std::filesystem::file_size(rotated));
  StopAndWait(arn);
}

TEST_F(ContainerdE2E, FailingPull_StopsWithCannotPullContainerError) {
  Register("ctd-nopull",
           absl::Substitute(R"json([{"name": "main", "image": "$0/gantry/missing:nope"}])json",
                            env_->registry()));
  const std::string arn = RunTask("ctd-nopull");
  v1::Task task = WaitForStatus(arn, "STOPPED");
  ASSERT_EQ(task.last_status(), "STOPPED") << task.DebugString();
  EXPECT_THAT(task.stopped_reason(), ::testing::StartsWith("CannotPullContainerError: "));
  EXPECT_THAT(task.stopped_reason(), HasSubstr("not found"));
}

}  // namespace
}  // namespace gantry::testing
