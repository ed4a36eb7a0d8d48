// gantryctl's waiting and scripting features end to end: the real gantryd (embedded
// PostgreSQL), one real gantry-agent with the simulated runtime, and gantryctl, over
// loopback. The suite shares one gantryd, one agent, one VPC and its task
// definitions; every test starts its own tasks.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gantry/v1/ecs.pb.h"
#include "gantry/v1/network.pb.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/substitute.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"

namespace gantry::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kFamily[] = "cli-e2e-web";
constexpr char kFailingFamily[] = "cli-e2e-broken";
constexpr char kPullError[] = "CannotPullContainerError: no such image nginx:9.99";

// One essential container; `environment` is a JSON array of {name, value}.
std::string Definition(const std::string& family, const std::string& environment) {
  return absl::Substitute(R"json({
    "family": "$0", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
    "cpu": "256", "memory": "512",
    "containerDefinitions": [
      {"name": "app", "image": "nginx:1.27", "essential": true, "environment": $1}]
  })json",
                          family, environment);
}

class CliE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<TempDir> dir = TempDir::Create("gantry-e2e-cli");
    if (!dir.ok()) {
      start_error_ = absl::StrCat("temp dir: ", dir.status().ToString());
      return;
    }
    dir_ = std::make_unique<TempDir>(*std::move(dir));
    GantrydOptions options;
    options.data_dir = dir_->path() / "data";
    absl::StatusOr<std::unique_ptr<Gantryd>> gantryd = Gantryd::Start(options);
    if (!gantryd.ok()) {
      start_error_ = absl::StrCat("gantryd: ", gantryd.status().ToString());
      return;
    }
    gantryd_ = *std::move(gantryd);
    start_error_ = SetUpFleet();
  }

  static void TearDownTestSuite() {
    agent_.reset();
    gantryd_.reset();
    dir_.reset();
  }

  void SetUp() override { ASSERT_THAT(start_error_, IsEmpty()); }

  void TearDown() override {
    if (HasFailure() && gantryd_ != nullptr) {
      std::cerr << "--- gantryd log (tail) ---\n" << gantryd_->LogTail(6000) << "\n";
      if (agent_ != nullptr) {
        std::cerr << "--- gantry-agent log (tail) ---\n" << agent_->LogTail(3000) << "\n";
      }
    }
  }

  // A VPC with one subnet, two simulated hosts in its zone and the task definitions;
  // empty on success, else what failed.
  static std::string SetUpFleet() {
    CommandResult vpc = Ctl(endpoint(), {"create-vpc", "--cidr-block", "10.0.0.0/16", "--query",
                                         "Vpc.VpcId", "--output", "text"});
    if (vpc.exit_code != 0) {
      return "create-vpc: " + Describe(vpc);
    }
    CommandResult subnet =
        Ctl(endpoint(), {"create-subnet", "--vpc-id", std::string(absl::StripSuffix(vpc.out, "\n")),
                         "--cidr-block", "10.0.1.0/24", "--availability-zone", "us-east-1a",
                         "--query", "Subnet.SubnetId", "--output", "text"});
    if (subnet.exit_code != 0) {
      return "create-subnet: " + Describe(subnet);
    }
    subnet_id_ = std::string(absl::StripSuffix(subnet.out, "\n"));
    AgentOptions options;
    options.endpoint = endpoint();
    options.state_dir = dir_->path() / "agent";
    options.args = {"--runtime",      "sim",   "--hosts",      "2",        "--availability-zone",
                    "us-east-1a",     "--cpu", "4096",         "--memory", "8192",
                    "--launch-delay", "300ms", "--stop-delay", "100ms"};
    absl::StatusOr<std::unique_ptr<GantryAgent>> agent = GantryAgent::Start(options);
    if (!agent.ok()) {
      return absl::StrCat("gantry-agent: ", agent.status().ToString());
    }
    agent_ = *std::move(agent);
    for (const auto& [family, environment] : std::vector<std::pair<std::string, std::string>>{
             {kFamily, "[]"},
             {kFailingFamily, absl::StrCat(R"([{"name": "GANTRY_SIM_FAIL_START", "value": ")",
                                           kPullError, R"("}])")}}) {
      CommandResult r = Ctl(endpoint(), {"register-task-definition", "--cli-input-json",
                                         Definition(family, environment)});
      if (r.exit_code != 0) {
        return "register-task-definition: " + Describe(r);
      }
    }
    return "";
  }

  static const std::string& endpoint() { return gantryd_->endpoint(); }

  static std::string Network() {
    return absl::StrCat("awsvpcConfiguration={subnets=[", subnet_id_, "]}");
  }

  static CommandResult RunCtl(const std::vector<std::string>& args) {
    return Ctl(endpoint(), args);
  }

  // run-task for `family` with `extra` flags.
  static CommandResult RunTask(const std::string& family, int count,
                               std::vector<std::string> extra) {
    std::vector<std::string> args = {"run-task", "--task-definition", family,
                                     "--count",  absl::StrCat(count), "--network-configuration",
                                     Network()};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCtl(args);
  }

  // Starts one task of kFamily and waits until it runs; returns its ARN.
  static std::string RunningTask() {
    CommandResult r =
        RunTask(kFamily, 1, {"--wait", "--query", "tasks[0].taskArn", "--output", "text"});
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    return std::string(absl::StripSuffix(r.out, "\n"));
  }

  static inline std::unique_ptr<TempDir> dir_;
  static inline std::unique_ptr<Gantryd> gantryd_;
  static inline std::unique_ptr<GantryAgent> agent_;
  static inline std::string subnet_id_;
  static inline std::string start_error_;
};

TEST_F(CliE2E, RunTaskWait_ExitsZeroOnceRunning_PrintsTheDescribeTasksJson) {
  CommandResult r = RunTask(kFamily, 2, {"--wait", "--timeout", "1m", "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  // Not a terminal: no progress lines at all.
  EXPECT_THAT(r.err, IsEmpty());
  auto waited = ParseJsonOutput<v1::DescribeTasksResponse>(r);
  ASSERT_THAT(waited.tasks(), SizeIs(2));
  std::vector<std::string> args = {"--output", "json", "describe-tasks", "--tasks"};
  for (const v1::Task& task : waited.tasks()) {
    EXPECT_EQ(task.last_status(), "RUNNING") << task.task_arn();
    EXPECT_TRUE(task.has_started_at());
    args.push_back(task.task_arn());
  }
  CommandResult described = RunCtl(args);
  ASSERT_EQ(described.exit_code, 0) << Describe(described);
  auto now = ParseJsonOutput<v1::DescribeTasksResponse>(described);
  ASSERT_THAT(now.tasks(), SizeIs(2));
  for (const v1::Task& task : now.tasks()) {
    EXPECT_EQ(task.last_status(), "RUNNING") << task.task_arn();
  }
}

TEST_F(CliE2E, RunTaskWait_TableOutput_ShowsTheRunningTasks) {
  CommandResult r = RunTask(kFamily, 1, {"--wait"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("LAST STATUS"));
  EXPECT_THAT(r.out, ContainsRegex("cli-e2e-web:1 +RUNNING +RUNNING +us-east-1a"));
  EXPECT_THAT(r.err, IsEmpty());
}

TEST_F(CliE2E, RunTaskWait_FailedStart_ExitsOneNamingTheReason) {
  CommandResult r = RunTask(kFailingFamily, 1, {"--wait", "--timeout", "1m"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_THAT(r.err, ContainsRegex("^error: task [0-9a-f]+ stopped before RUNNING: "
                                   "TaskFailedToStart: [^\n]*CannotPullContainerError: no such "
                                   "image nginx:9[.]99\n"))
      << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat("\n  container app: ", kPullError)));
  // Which task it started comes last, so it can be found (and stopped).
  EXPECT_THAT(r.err, ContainsRegex("\nerror: run-task started 1 task: [0-9a-f]{32}\n$"))
      << Describe(r);
}

// A wait that gives up names the task it started; a script can stop it from that.
TEST_F(CliE2E, RunTaskWaitTimesOut_NamesTheStartedTaskWhichCanThenBeStopped) {
  // The simulated launch takes 300 ms, so the task cannot be RUNNING after 1 ms.
  CommandResult r = RunTask(kFamily, 1, {"--wait", "--timeout", "1ms"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_THAT(r.err,
              MatchesRegex("error: timed out after 1ms waiting for tasks to be RUNNING: 0 of 1 "
                           "RUNNING \\(1 [A-Z]+\\); not yet RUNNING: ([0-9a-f]{32})\n"
                           "error: run-task started 1 task: [0-9a-f]{32}\n"))
      << Describe(r);
  const std::string prefix = "error: run-task started 1 task: ";
  const size_t at = r.err.find(prefix);
  ASSERT_NE(at, std::string::npos) << Describe(r);
  const std::string id(absl::StripSuffix(r.err.substr(at + prefix.size()), "\n"));
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat("not yet RUNNING: ", id, "\n")));

  CommandResult stop = RunCtl({"stop-task", "--task", id, "--reason", "timed out"});
  EXPECT_EQ(stop.exit_code, 0) << Describe(stop);
  CommandResult stopped = RunCtl({"wait", "tasks-stopped", "--tasks", id, "--timeout", "30"});
  EXPECT_EQ(stopped.exit_code, 0) << Describe(stopped);
}

// Shorthand as the AWS CLI reads it: quotes keep a tag value as written (blanks
// included; commas would be kept too, but tag values may not have any), and a list
// needs no brackets.
TEST_F(CliE2E, RunTaskShorthand_QuotedTagValueAndListWithoutBrackets) {
  CommandResult r = RunCtl({"run-task", "--task-definition", kFamily, "--network-configuration",
                            absl::StrCat("awsvpcConfiguration={subnets=", subnet_id_, ",",
                                         subnet_id_, ",assignPublicIp=DISABLED}"),
                            "--tags", R"(key=team,value=" core=1 ")", "--wait", "--timeout", "1m",
                            "--query", "tasks[0].taskArn", "--output", "text"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  const std::string arn(absl::StripSuffix(r.out, "\n"));
  CommandResult tags = RunCtl({"describe-tasks", "--tasks", arn, "--include", "TAGS", "--query",
                               "tasks[0].tags[0].value", "--output", "text"});
  ASSERT_EQ(tags.exit_code, 0) << Describe(tags);
  EXPECT_EQ(tags.out, " core=1 \n");
  RunCtl({"stop-task", "--task", arn});
}

TEST_F(CliE2E, RunTaskWait_UnknownSubnet_ExitsOne) {
  CommandResult r = RunCtl({"run-task", "--task-definition", kFamily, "--network-configuration",
                            "awsvpcConfiguration={subnets=[subnet-0000dead]}", "--wait"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_THAT(r.err, HasSubstr("subnet-0000dead")) << Describe(r);
  EXPECT_THAT(r.err, Not(HasSubstr("waiting"))) << Describe(r);
}

// Shorthand overrides end to end: a task bigger than every host is a RunTask failure,
// which --wait reports instead of waiting.
TEST_F(CliE2E, RunTaskWait_NoHostBigEnough_PrintsTheFailureAndExitsOne) {
  CommandResult r = RunTask(kFamily, 1, {"--overrides", "cpu=16384,memory=32768", "--wait"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_THAT(r.err, ContainsRegex("^error: task not started: RESOURCE:CPU: [^\n]*16384"))
      << Describe(r);
}

TEST_F(CliE2E, WaitTasksStopped_AfterStopTask_ExitsZero) {
  const std::string arn = RunningTask();
  ASSERT_THAT(arn, HasSubstr(":task/"));
  CommandResult running = RunCtl({"wait", "tasks-running", "--tasks", arn});
  EXPECT_EQ(running.exit_code, 0) << Describe(running);

  CommandResult stop = RunCtl({"stop-task", "--task", arn, "--reason", "done"});
  ASSERT_EQ(stop.exit_code, 0) << Describe(stop);
  CommandResult stopped = RunCtl({"wait", "tasks-stopped", "--tasks", arn, "--timeout", "1m"});
  ASSERT_EQ(stopped.exit_code, 0) << Describe(stopped);
  EXPECT_THAT(stopped.out, ContainsRegex("cli-e2e-web:1 +STOPPED +STOPPED"));
  EXPECT_THAT(stopped.err, IsEmpty());

  // It ran, so waiting for it to run again fails at once, naming how it ended.
  CommandResult again = RunCtl({"wait", "tasks-running", "--tasks", arn});
  EXPECT_EQ(again.exit_code, 1) << Describe(again);
  EXPECT_THAT(again.err, ContainsRegex("^error: task [0-9a-f]+ stopped: UserInitiated: done\n"))
      << Describe(again);
}

TEST_F(CliE2E, WaitTimesOut_ExitsOneWithTheCounts) {
  const std::string arn = RunningTask();
  CommandResult r = RunCtl({"wait", "tasks-stopped", "--tasks", arn, "--timeout", "1s"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_EQ(r.err, absl::StrCat("error: timed out after 1s waiting for tasks to be STOPPED: 0 of 1 "
                                "STOPPED (1 RUNNING); not yet STOPPED: ",
                                absl::StripPrefix(arn.substr(arn.rfind('/')), "/"), "\n"));
  RunCtl({"stop-task", "--task", arn});
}

// A server that accepts connections and never answers: the wait ends at --timeout,
// not at the 30 s deadline every other RPC gets, and is not retried (gantryd never
// answered, so the endpoint is likely wrong).
TEST_F(CliE2E, WaitAgainstAHangingServer_EndsAtTheTimeout) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(listener, 8), 0);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string hanging = absl::StrCat("127.0.0.1:", ntohs(address.sin_port));

  const absl::Time start = absl::Now();
  CommandResult r = Ctl(hanging, {"wait", "tasks-running", "--tasks",
                                  "0123456789abcdef0123456789abcdef", "--timeout", "2"});
  const absl::Duration took = absl::Now() - start;
  close(listener);
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat("error: could not reach gantryd at ", hanging,
                                            " (DEADLINE_EXCEEDED")))
      << Describe(r);
  EXPECT_GE(took, absl::Seconds(2));
  EXPECT_LT(took, absl::Seconds(15)) << "the call kept the 30 s RPC deadline";
}

TEST_F(CliE2E, WaitMissingTask_ExitsOne) {
  CommandResult r =
      RunCtl({"wait", "tasks-running", "--tasks", "0123456789abcdef0123456789abcdef"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("error: task 0123456789abcdef0123456789abcdef: MISSING"));
}

TEST_F(CliE2E, QueryOutputText_PrintsBareValues) {
  CommandResult vpc = RunCtl(
      {"create-vpc", "--cidr-block", "10.7.0.0/16", "--query", "Vpc.VpcId", "--output", "text"});
  ASSERT_EQ(vpc.exit_code, 0) << Describe(vpc);
  EXPECT_THAT(vpc.out, MatchesRegex("vpc-[0-9a-f]+\n"));
  const std::string vpc_id(absl::StripSuffix(vpc.out, "\n"));

  CommandResult cidr = RunCtl(
      {"describe-vpcs", "--vpc-ids", vpc_id, "--query", "Vpcs[0].[CidrBlock]", "--output", "text"});
  EXPECT_EQ(cidr.exit_code, 2) << "multi-select lists are not supported\n" << Describe(cidr);
  cidr = RunCtl(
      {"describe-vpcs", "--vpc-ids", vpc_id, "--query", "Vpcs[0].CidrBlock", "--output", "text"});
  ASSERT_EQ(cidr.exit_code, 0) << Describe(cidr);
  EXPECT_EQ(cidr.out, "10.7.0.0/16\n");

  CommandResult subnets =
      RunCtl({"describe-subnets", "--query", "Subnets[*].SubnetId", "--output", "text"});
  ASSERT_EQ(subnets.exit_code, 0) << Describe(subnets);
  std::vector<std::string> ids = absl::StrSplit(absl::StripSuffix(subnets.out, "\n"), '\t');
  EXPECT_THAT(ids, ::testing::Contains(subnet_id_)) << subnets.out;
  EXPECT_THAT(subnets.out, Not(HasSubstr("\n\t")));

  CommandResult json = RunCtl(
      {"describe-subnets", "--subnet-ids", subnet_id_, "--query", "Subnets[0].AvailabilityZone"});
  ASSERT_EQ(json.exit_code, 0) << Describe(json);
  EXPECT_EQ(json.out, "\"us-east-1a\"\n");
}

// The simulated runtime logs a line per container status change; gantryctl logs reads
// it from the agent through gantryd.
TEST_F(CliE2E, Logs_ShowTheContainersLines_JsonHasTheOffset_ErrorsNameWhatIsWrong) {
  const std::string arn = RunningTask();
  CommandResult logs = RunCtl({"logs", "--task", arn});
  ASSERT_EQ(logs.exit_code, 0) << Describe(logs);
  EXPECT_THAT(logs.out, ContainsRegex("Z container app is PENDING\n"));
  EXPECT_THAT(logs.out, ContainsRegex("Z container app is RUNNING\n"));

  CommandResult json = RunCtl({"logs", "--task", arn, "--container", "app", "--output", "json"});
  ASSERT_EQ(json.exit_code, 0) << Describe(json);
  v1::GetTaskLogsResponse response = ParseJsonOutput<v1::GetTaskLogsResponse>(json);
  EXPECT_EQ(response.task_arn(), arn);
  EXPECT_EQ(response.container_name(), "app");
  EXPECT_EQ(response.last_status(), "RUNNING");
  EXPECT_EQ(response.data(), logs.out);
  EXPECT_EQ(response.next_offset(), static_cast<int64_t>(logs.out.size()));

  CommandResult wrong = RunCtl({"logs", "--task", arn, "--container", "db"});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(wrong.err, HasSubstr("the task's containers: app"));
  CommandResult unknown = RunCtl({"logs", "--task", "0123456789abcdef0123456789abcdef"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("NOT_FOUND"));
  RunCtl({"stop-task", "--task", arn});
}

TEST_F(CliE2E, LogsFollow_PrintsWhatComesAndEndsOnceTheTaskStopped) {
  const std::string arn = RunningTask();
  CommandResult followed;
  std::thread follower([&] { followed = RunCtl({"logs", "--task", arn, "--follow"}); });
  absl::SleepFor(absl::Seconds(1));
  CommandResult stop = RunCtl({"stop-task", "--task", arn});
  EXPECT_EQ(stop.exit_code, 0) << Describe(stop);
  follower.join();
  EXPECT_EQ(followed.exit_code, 0) << Describe(followed);
  EXPECT_THAT(followed.out, ContainsRegex("container app is RUNNING\n.*"
                                          "container app is STOPPED with exit code 143\n"));
  // Still readable once the agent has forgotten the stopped task.
  CommandResult later = RunCtl({"logs", "--task", arn});
  EXPECT_EQ(later.exit_code, 0) << Describe(later);
  EXPECT_EQ(later.out, followed.out);
}

}  // namespace
}  // namespace gantry::testing
