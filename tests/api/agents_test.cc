// The agent protocol's pure half (api/internal/agents.h): validation of polls, acks and
// task reports, and stored commands as the agent receives them.
#include "api/internal/agents.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/support/status_matchers.h"

namespace gantry::api::internal {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr char kHost[] = "0123456789abcdef0123456789abcdef";
constexpr char kTaskId[] = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
constexpr char kArnPrefix[] = "arn:aws:ecs:us-east-1:000000000000:";

std::string Arn(const std::string& resource) { return kArnPrefix + resource; }

// ---- PollCommands and Ack --------------------------------------------------------

TEST(ParsePoll, Cases) {
  struct Case {
    std::string name;
    std::string host_id = kHost;
    int64_t acked = 0;
    int64_t wait_ms = 0;
    int32_t max_commands = 0;
    std::string want_error;  // empty: valid
    absl::Duration want_wait = absl::ZeroDuration();
    int want_limit = kDefaultPollCommands;
  };
  const std::vector<Case> cases = {
      {.name = "defaults"},
      {.name = "wait kept", .acked = 7, .wait_ms = 10000, .want_wait = absl::Seconds(10)},
      {.name = "wait capped at half the timeout", .wait_ms = 60000, .want_wait = absl::Seconds(15)},
      {.name = "most commands", .max_commands = 1000, .want_limit = 1000},
      {.name = "one command", .max_commands = 1, .want_limit = 1},
      {.name = "too many commands",
       .max_commands = 1001,
       .want_error = "maxCommands: 1001 is out of range; use 0 (100) to 1000"},
      {.name = "negative commands", .max_commands = -1, .want_error = "maxCommands: -1"},
      {.name = "no host", .host_id = "", .want_error = "hostId: required"},
      {.name = "uppercase host",
       .host_id = "0123456789ABCDEF0123456789ABCDEF",
       .want_error = "hostId: \"0123456789ABCDEF0123456789ABCDEF\" is not a host id"},
      {.name = "negative ack", .acked = -1, .want_error = "ackedSequence: -1 is below the minimum"},
      {.name = "negative wait", .wait_ms = -5, .want_error = "waitMs: -5 is below the minimum"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::PollCommandsRequest request;
    request.set_host_id(c.host_id);
    request.set_acked_sequence(c.acked);
    request.set_wait_ms(c.wait_ms);
    request.set_max_commands(c.max_commands);
    absl::StatusOr<PollPlan> plan = ParsePoll(request, absl::Seconds(30));
    if (!c.want_error.empty()) {
      EXPECT_THAT(plan, StatusIs(kInvalid, c.want_error));
      continue;
    }
    ASSERT_THAT(plan, IsOk());
    EXPECT_EQ(plan->host_id, c.host_id);
    EXPECT_EQ(plan->acked_sequence, c.acked);
    EXPECT_EQ(plan->wait, c.want_wait);
    EXPECT_EQ(plan->limit, c.want_limit);
  }
}

TEST(ParsePoll, EveryProblem_OneLineEach) {
  v1::PollCommandsRequest request;
  request.set_acked_sequence(-1);
  request.set_wait_ms(-1);
  request.set_max_commands(5000);
  absl::StatusOr<PollPlan> plan = ParsePoll(request, absl::Seconds(30));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(std::string(plan.status().message()),
            "hostId: required; use the host id RegisterHost returned (32 hex digits)\n"
            "ackedSequence: -1 is below the minimum; use 0 (nothing) or the last sequence "
            "applied\n"
            "waitMs: -1 is below the minimum; use 0 (answer at once) or more\n"
            "maxCommands: 5000 is out of range; use 0 (100) to 1000");
}

TEST(ValidateAck, Cases) {
  v1::AckRequest request;
  request.set_host_id(kHost);
  request.set_acked_sequence(12);
  EXPECT_THAT(ValidateAck(request), IsOk());
  request.set_acked_sequence(-3);
  EXPECT_THAT(ValidateAck(request), StatusIs(kInvalid, "ackedSequence: -3"));
  request.set_host_id("host-1");
  EXPECT_THAT(ValidateAck(request), StatusIs(kInvalid, "hostId: \"host-1\" is not a host id"));
}

// ---- Task reports ----------------------------------------------------------------

v1::TaskStateReport ValidReport() {
  v1::TaskStateReport report;
  report.set_task_arn(Arn(absl::StrCat("task/prod/", kTaskId)));
  report.set_status("RUNNING");
  report.set_at_unix_ms(1718000000123);
  report.set_pull_started_at_unix_ms(1718000000000);
  report.set_pull_stopped_at_unix_ms(1718000000100);
  report.set_private_ipv4_address("10.0.1.23");
  v1::ContainerStateReport* app = report.add_containers();
  app->set_name("app");
  app->set_status("RUNNING");
  app->set_runtime_id("c0ffee");
  app->set_image_digest("sha256:abc");
  app->set_health_status("HEALTHY");
  v1::ContainerStateReport* sidecar = report.add_containers();
  sidecar->set_name("sidecar");
  sidecar->set_status("STOPPED");
  sidecar->set_exit_code(0);
  sidecar->set_reason("done");
  return report;
}

// "Now" for the reports' time range: shortly after ValidReport's times.
const absl::Time kNow = absl::FromUnixMillis(1718000060000);

absl::StatusOr<ParsedReports> Parse(const std::vector<v1::TaskStateReport>& reports,
                                    int max = kMaxReportsPerCall) {
  v1::ReportTaskStateRequest request;
  for (const v1::TaskStateReport& report : reports) *request.add_tasks() = report;
  return ParseTaskReports(Config{}, request.tasks(), max, kNow);
}

TEST(ParseTaskReports, Valid_ConvertedInOrder) {
  v1::TaskStateReport bare = ValidReport();
  bare.set_task_arn(kTaskId);
  bare.set_status("PENDING");
  bare.set_reason("pulling");
  bare.set_pull_started_at_unix_ms(0);
  bare.set_pull_stopped_at_unix_ms(0);
  bare.clear_containers();
  absl::StatusOr<ParsedReports> parsed = Parse({ValidReport(), bare});
  ASSERT_THAT(parsed, IsOk());
  ASSERT_EQ(parsed->reports.size(), 2u);
  ASSERT_EQ(parsed->refs.size(), 2u);

  const storage::TaskReport& first = parsed->reports[0];
  EXPECT_EQ(first.task_id, kTaskId);
  EXPECT_EQ(parsed->refs[0].cluster, std::optional<std::string>("prod"));
  EXPECT_EQ(first.status, "RUNNING");
  EXPECT_EQ(first.at, absl::FromUnixMillis(1718000000123));
  EXPECT_EQ(first.reason, std::nullopt);
  EXPECT_EQ(first.pull_started_at, absl::FromUnixMillis(1718000000000));
  EXPECT_EQ(first.pull_stopped_at, absl::FromUnixMillis(1718000000100));
  ASSERT_EQ(first.containers.size(), 2u);
  EXPECT_EQ(first.containers[0].name, "app");
  EXPECT_EQ(first.containers[0].status, "RUNNING");
  EXPECT_EQ(first.containers[0].exit_code, std::nullopt);
  EXPECT_EQ(first.containers[0].runtime_id, "c0ffee");
  EXPECT_EQ(first.containers[0].image_digest, "sha256:abc");
  EXPECT_EQ(first.containers[0].health_status, "HEALTHY");
  EXPECT_EQ(first.containers[1].status, "STOPPED");
  EXPECT_EQ(first.containers[1].exit_code, std::optional<int32_t>(0));
  EXPECT_EQ(first.containers[1].reason, "done");

  const storage::TaskReport& second = parsed->reports[1];
  EXPECT_EQ(second.task_id, kTaskId);
  EXPECT_EQ(parsed->refs[1].cluster, std::nullopt);
  EXPECT_EQ(second.status, "PENDING");
  EXPECT_EQ(second.reason, std::optional<std::string>("pulling"));
  EXPECT_EQ(second.pull_started_at, std::nullopt);
  EXPECT_EQ(second.pull_stopped_at, std::nullopt);
  EXPECT_TRUE(second.containers.empty());
}

TEST(ParseTaskReports, Invalid_NamesTheMember) {
  struct Case {
    std::string name;
    std::function<void(v1::TaskStateReport&)> mutate;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"misspelt status", [](auto& r) { r.set_status("RUNING"); },
       "tasks[2].status: \"RUNING\" is not a task status; use PROVISIONING, PENDING, "
       "ACTIVATING, RUNNING, DEACTIVATING, STOPPING, DEPROVISIONING or STOPPED"},
      {"no status", [](auto& r) { r.clear_status(); }, "tasks[2].status: required; use"},
      {"DELETED is not a status", [](auto& r) { r.set_status("DELETED"); },
       "tasks[2].status: \"DELETED\" is not a task status"},
      {"no time", [](auto& r) { r.set_at_unix_ms(0); }, "tasks[2].atUnixMs: 0 is not a time"},
      {"negative pull time", [](auto& r) { r.set_pull_started_at_unix_ms(-1); },
       "tasks[2].pullStartedAtUnixMs: -1 is not a time"},
      {"not a task", [](auto& r) { r.set_task_arn("web-1"); },
       "tasks[2].taskArn: \"web-1\" is not a task id (32 hex digits) or ARN"},
      // Hosts run tasks of every account, but of this region only.
      {"other region",
       [](auto& r) {
         r.set_task_arn(absl::StrCat("arn:aws:ecs:eu-west-1:999999999999:task/prod/", kTaskId));
       },
       "tasks[2].taskArn: \"arn:aws:ecs:eu-west-1:999999999999:task/prod/"},
      {"not an account id",
       [](auto& r) {
         r.set_task_arn(absl::StrCat("arn:aws:ecs:us-east-1:99999:task/prod/", kTaskId));
       },
       "tasks[2].taskArn: \"arn:aws:ecs:us-east-1:99999:task/prod/"},
      {"long reason", [](auto& r) { r.set_reason(std::string(1025, 'x')); },
       "tasks[2].reason: 1025 characters is too long; use at most 1024"},
      {"bad address", [](auto& r) { r.set_private_ipv4_address("10.0.1"); },
       "tasks[2].privateIpv4Address: \"10.0.1\" is not an IPv4 address"},
      {"container status", [](auto& r) { r.mutable_containers(1)->set_status("UP"); },
       "tasks[2].containers[1].status: \"UP\" is not a container status; use PENDING, RUNNING "
       "or STOPPED"},
      {"container without status", [](auto& r) { r.mutable_containers(0)->clear_status(); },
       "tasks[2].containers[0].status: required"},
      {"container without name", [](auto& r) { r.mutable_containers(0)->clear_name(); },
       "tasks[2].containers[0].name: required"},
      {"container twice", [](auto& r) { r.mutable_containers(1)->set_name("app"); },
       "tasks[2].containers[1].name: \"app\" is reported twice"},
      {"health", [](auto& r) { r.mutable_containers(0)->set_health_status("OK"); },
       "tasks[2].containers[0].healthStatus: \"OK\" is not a health status"},
      {"too many containers",
       [](auto& r) {
         for (int i = 0; i < 9; ++i) {
           v1::ContainerStateReport* c = r.add_containers();
           c->set_name(absl::StrCat("c", i));
           c->set_status("PENDING");
         }
       },
       "tasks[2].containers: 11 given; at most 10"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::TaskStateReport bad = ValidReport();
    c.mutate(bad);
    EXPECT_THAT(Parse({ValidReport(), ValidReport(), bad}), StatusIs(kInvalid, c.want));
  }
}

// Hosts are the provider's and run tasks of every account: a report names its task by
// the ARN gantryd gave the agent, in the task's own account.
TEST(ParseTaskReports, TaskOfAnotherAccount_KeepsItsAccount) {
  v1::TaskStateReport report = ValidReport();
  report.set_task_arn(absl::StrCat("arn:aws:ecs:us-east-1:111122223333:task/prod/", kTaskId));
  absl::StatusOr<ParsedReports> parsed = Parse({report});
  ASSERT_THAT(parsed, IsOk());
  ASSERT_EQ(parsed->refs.size(), 1u);
  EXPECT_EQ(parsed->refs[0].account_id, "111122223333");
  EXPECT_EQ(ReportedTaskArn(Config{}, parsed->refs[0]), report.task_arn());
}

// Times the database cannot store would fail the whole batch (INTERNAL) on every retry.
TEST(ParseTaskReports, TimeRange_From2000ToOneDayAhead) {
  constexpr char kRange[] =
      "is out of range; use epoch milliseconds between 2000-01-01 and one "
      "day from now";
  const int64_t now_ms = absl::ToUnixMillis(kNow);
  const int64_t day_ms = 24 * 3600 * 1000;
  struct Case {
    std::string name;
    std::function<void(v1::TaskStateReport&)> mutate;
    std::string want_error;  // empty: valid
  };
  const std::vector<Case> cases = {
      {"far future", [](auto& r) { r.set_at_unix_ms(99999999999999); },
       absl::StrCat("tasks[3].atUnixMs: 99999999999999 ", kRange)},
      {"largest int64", [](auto& r) { r.set_at_unix_ms(INT64_MAX); },
       absl::StrCat("tasks[3].atUnixMs: ", INT64_MAX, " ", kRange)},
      {"seconds instead of milliseconds", [](auto& r) { r.set_at_unix_ms(1718000000); },
       absl::StrCat("tasks[3].atUnixMs: 1718000000 ", kRange)},
      {"just before 2000", [](auto& r) { r.set_at_unix_ms(946684799999); },
       absl::StrCat("tasks[3].atUnixMs: 946684799999 ", kRange)},
      {"2000-01-01", [](auto& r) { r.set_at_unix_ms(946684800000); }, ""},
      {"one day ahead", [&](auto& r) { r.set_at_unix_ms(now_ms + day_ms); }, ""},
      {"one day and a millisecond ahead", [&](auto& r) { r.set_at_unix_ms(now_ms + day_ms + 1); },
       absl::StrCat("tasks[3].atUnixMs: ", now_ms + day_ms + 1, " ", kRange)},
      {"pull start far future", [](auto& r) { r.set_pull_started_at_unix_ms(99999999999999); },
       absl::StrCat("tasks[3].pullStartedAtUnixMs: 99999999999999 ", kRange,
                    ", or 0 when unknown")},
      {"pull stop in 1970", [](auto& r) { r.set_pull_stopped_at_unix_ms(1000); },
       absl::StrCat("tasks[3].pullStoppedAtUnixMs: 1000 ", kRange, ", or 0 when unknown")},
      {"pull times unknown",
       [](auto& r) {
         r.set_pull_started_at_unix_ms(0);
         r.set_pull_stopped_at_unix_ms(0);
       },
       ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::TaskStateReport report = ValidReport();
    c.mutate(report);
    absl::StatusOr<ParsedReports> parsed =
        Parse({ValidReport(), ValidReport(), ValidReport(), report});
    if (c.want_error.empty()) {
      EXPECT_THAT(parsed, IsOk());
    } else {
      EXPECT_THAT(parsed, StatusIs(kInvalid, c.want_error));
    }
  }
}

TEST(ParseTaskReports, EveryProblem_OneLineEachInOrder) {
  v1::TaskStateReport first = ValidReport();
  first.set_status("UP");
  v1::TaskStateReport second = ValidReport();
  second.set_at_unix_ms(-1);
  second.mutable_containers(0)->set_status("");
  absl::StatusOr<ParsedReports> parsed = Parse({first, second});
  ASSERT_FALSE(parsed.ok());
  std::string message(parsed.status().message());
  EXPECT_THAT(message, HasSubstr("tasks[0].status: \"UP\""));
  EXPECT_THAT(message, HasSubstr("\ntasks[1].atUnixMs: -1"));
  EXPECT_THAT(message, HasSubstr("\ntasks[1].containers[0].status: required"));
  EXPECT_LT(message.find("tasks[0]"), message.find("tasks[1]"));
}

TEST(ParseTaskReports, TooMany_Refused) {
  EXPECT_THAT(Parse({ValidReport(), ValidReport(), ValidReport()}, 2),
              StatusIs(kInvalid, "tasks: 3 reports given; at most 2 per call"));
  EXPECT_THAT(Parse({}), IsOk());
}

TEST(ReportedTaskArn, WithAndWithoutCluster) {
  EXPECT_EQ(ReportedTaskArn(Config{}, TaskRef{"prod", kTaskId}),
            Arn(absl::StrCat("task/prod/", kTaskId)));
  EXPECT_EQ(ReportedTaskArn(Config{}, TaskRef{std::nullopt, kTaskId}),
            Arn(absl::StrCat("task/", kTaskId)));
}

TEST(OutcomeName, EveryOutcome) {
  EXPECT_EQ(OutcomeName(storage::ReportOutcome::kApplied), "APPLIED");
  EXPECT_EQ(OutcomeName(storage::ReportOutcome::kDuplicate), "DUPLICATE");
  EXPECT_EQ(OutcomeName(storage::ReportOutcome::kStale), "STALE");
  EXPECT_EQ(OutcomeName(storage::ReportOutcome::kUnknown), "UNKNOWN");
}

// ---- Commands ----------------------------------------------------------------------

storage::PendingCommand Launch() {
  storage::PendingCommand command;
  command.sequence = 7;
  command.kind = "LAUNCH";
  storage::TaskRow& task = command.task;
  task.spec.task_id = kTaskId;
  task.spec.account_id = "000000000000";
  task.spec.cluster = "prod";
  task.spec.family = "web";
  task.spec.revision = 3;
  task.spec.group = "family:web";
  task.spec.cpu_units = 512;
  task.spec.memory_mib = 1024;
  task.spec.ephemeral_storage_gib = 30;
  task.spec.security_group_ids = {"sg-0123456789abcdef0"};
  task.spec.overrides.add_container_overrides()->set_name("app");
  v1::Container& app = task.spec.containers.emplace_back();
  app.set_name("app");
  app.set_container_arn(Arn(absl::StrCat("container/prod/", kTaskId, "/uuid")));
  task.last_status = "PROVISIONING";
  task.desired_status = "RUNNING";
  task.version = 2;
  storage::TaskPlacement& placement = task.placement.emplace();
  placement.instance_id = kHost;
  placement.availability_zone = "us-east-1a";
  placement.subnet_id = "subnet-0123456789abcdef0";
  placement.eni_id = "eni-0fedcba9876543210";
  placement.attachment_id = "2f1c9a7e-5b1d-4c0e-9a55-0d7b3c6e9f10";
  placement.private_ipv4 = "10.0.1.23";
  placement.mac_address = "0a:1b:2c:3d:4e:5f";
  placement.private_dns_name = "ip-10-0-1-23.ec2.internal";
  storage::LaunchDetails& details = command.launch.emplace();
  details.definition.set_network_mode("awsvpc");
  details.definition.add_container_definitions()->set_name("app");
  details.vpc_id = "vpc-0123456789abcdef0";
  details.vpc_cidr_block = "10.0.0.0/16";
  details.subnet_cidr_block = "10.0.1.0/24";
  details.security_group_ids = {"sg-0123456789abcdef0", "sg-00000000000000001"};
  return command;
}

TEST(ToCommand, Launch_CarriesEverythingTheAgentNeeds) {
  absl::StatusOr<v1::Command> command = ToCommand(Config{}, Launch());
  ASSERT_THAT(command, IsOk());
  EXPECT_EQ(command->sequence(), 7);
  ASSERT_TRUE(command->has_launch());
  const v1::LaunchTask& launch = command->launch();
  EXPECT_EQ(launch.task_arn(), Arn(absl::StrCat("task/prod/", kTaskId)));
  EXPECT_EQ(launch.cluster_arn(), Arn("cluster/prod"));
  EXPECT_EQ(launch.task_definition_arn(), Arn("task-definition/web:3"));
  EXPECT_EQ(launch.task_definition().task_definition_arn(), Arn("task-definition/web:3"));
  EXPECT_EQ(launch.task_definition().family(), "web");
  EXPECT_EQ(launch.task_definition().revision(), 3);
  EXPECT_EQ(launch.task_definition().network_mode(), "awsvpc");
  EXPECT_EQ(launch.task_definition().container_definitions_size(), 1);
  EXPECT_EQ(launch.overrides().container_overrides_size(), 1);
  ASSERT_EQ(launch.containers_size(), 1);
  EXPECT_EQ(launch.containers(0).container_arn(),
            Arn(absl::StrCat("container/prod/", kTaskId, "/uuid")));
  EXPECT_EQ(launch.cpu_units(), 512);
  EXPECT_EQ(launch.memory_mib(), 1024);
  EXPECT_EQ(launch.ephemeral_storage_gib(), 30);
  EXPECT_EQ(launch.availability_zone(), "us-east-1a");
  EXPECT_EQ(launch.group(), "family:web");
  EXPECT_EQ(launch.desired_status(), "RUNNING");
  EXPECT_EQ(launch.version(), 2);
  const v1::TaskNetworkInterface& eni = launch.network_interface();
  EXPECT_EQ(eni.eni_id(), "eni-0fedcba9876543210");
  EXPECT_EQ(eni.attachment_id(), "2f1c9a7e-5b1d-4c0e-9a55-0d7b3c6e9f10");
  EXPECT_EQ(eni.mac_address(), "0a:1b:2c:3d:4e:5f");
  EXPECT_EQ(eni.private_ipv4_address(), "10.0.1.23");
  EXPECT_EQ(eni.subnet_id(), "subnet-0123456789abcdef0");
  EXPECT_EQ(eni.subnet_cidr_block(), "10.0.1.0/24");
  EXPECT_EQ(eni.subnet_gateway_ipv4_address(), "10.0.1.1");
  EXPECT_EQ(eni.private_dns_name(), "ip-10-0-1-23.ec2.internal");
  EXPECT_THAT(eni.security_group_ids(),
              ElementsAre("sg-0123456789abcdef0", "sg-00000000000000001"));
  EXPECT_THAT(eni.domain_name_servers(), ElementsAre("10.0.0.2"));
  EXPECT_EQ(eni.vpc_id(), "vpc-0123456789abcdef0");
}

TEST(ToCommand, Launch_RouterAndResolverFollowTheBlocks) {
  struct Case {
    std::string vpc;
    std::string subnet;
    std::string gateway;
    std::string resolver;
  };
  const std::vector<Case> cases = {
      {"172.31.0.0/16", "172.31.16.0/20", "172.31.16.1", "172.31.0.2"},
      {"100.64.0.0/10", "100.127.255.240/28", "100.127.255.241", "100.64.0.2"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.subnet);
    storage::PendingCommand pending = Launch();
    pending.launch->vpc_cidr_block = c.vpc;
    pending.launch->subnet_cidr_block = c.subnet;
    absl::StatusOr<v1::Command> command = ToCommand(Config{}, pending);
    ASSERT_THAT(command, IsOk());
    EXPECT_EQ(command->launch().network_interface().subnet_gateway_ipv4_address(), c.gateway);
    EXPECT_THAT(command->launch().network_interface().domain_name_servers(),
                ElementsAre(c.resolver));
  }
}

TEST(ToCommand, Stop_TaskArnCodeAndReason) {
  storage::PendingCommand pending = Launch();
  pending.kind = "STOP";
  pending.launch.reset();
  pending.task.desired_status = "STOPPED";
  pending.task.stop_code = "UserInitiated";
  pending.task.stopped_reason = "scaling down";
  absl::StatusOr<v1::Command> command = ToCommand(Config{}, pending);
  ASSERT_THAT(command, IsOk());
  EXPECT_EQ(command->sequence(), 7);
  ASSERT_TRUE(command->has_stop());
  EXPECT_EQ(command->stop().task_arn(), Arn(absl::StrCat("task/prod/", kTaskId)));
  EXPECT_EQ(command->stop().stop_code(), "UserInitiated");
  EXPECT_EQ(command->stop().reason(), "scaling down");
}

TEST(ToCommand, Corrupt_IsInternal) {
  struct Case {
    std::string name;
    std::function<void(storage::PendingCommand&)> mutate;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"unplaced launch", [](auto& c) { c.task.placement.reset(); }, "the task is not placed"},
      {"launch without details", [](auto& c) { c.launch.reset(); }, "no launch details"},
      {"bad subnet block", [](auto& c) { c.launch->subnet_cidr_block = "10.0.1.0"; },
       "stored CIDR block \"10.0.1.0\""},
      {"unknown kind", [](auto& c) { c.kind = "REBOOT"; }, "unknown command kind"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    storage::PendingCommand pending = Launch();
    c.mutate(pending);
    EXPECT_THAT(ToCommand(Config{}, pending), StatusIs(absl::StatusCode::kInternal, c.want));
  }
}

TEST(ToPollResponse, CommandsInOrderWithHostStatus) {
  storage::PolledCommands polled;
  polled.host_status = "DRAINING";
  polled.commands.push_back(Launch());
  storage::PendingCommand stop = Launch();
  stop.sequence = 8;
  stop.kind = "STOP";
  polled.commands.push_back(stop);
  absl::StatusOr<v1::PollCommandsResponse> response = ToPollResponse(Config{}, kHost, polled);
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->host_status(), "DRAINING");
  ASSERT_EQ(response->commands_size(), 2);
  EXPECT_TRUE(response->commands(0).has_launch());
  EXPECT_EQ(response->commands(1).sequence(), 8);
  EXPECT_TRUE(response->commands(1).has_stop());
}

TEST(ToPollResponse, LostHost_IsFailedPrecondition) {
  storage::PolledCommands polled;
  polled.host_status = "ACTIVE";
  polled.agent_connected = false;
  EXPECT_THAT(ToPollResponse(Config{}, kHost, polled),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       absl::StrCat("hostId: host ", kHost, " was declared lost")));
  EXPECT_THAT(ToPollResponse(Config{}, kHost, polled),
              StatusIs(absl::StatusCode::kFailedPrecondition, "register again with its host id"));
}

}  // namespace
}  // namespace gantry::api::internal
