// Argument parsing and request building of the task, container-instance and
// network commands of gantryctl.
#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/cli.h"
#include "cli/internal/util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace gantry::cli {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

constexpr char kNet[] = "awsvpcConfiguration={subnets=[subnet-a],securityGroups=[sg-x]}";

// Parses `args`, failing the test when they do not parse.
Invocation MustParse(const std::vector<std::string>& args) {
  absl::StatusOr<Invocation> inv = ParseArgs(args, "");
  EXPECT_THAT(inv, IsOk());
  return inv.ok() ? *inv : Invocation{};
}

TEST(ParseArgs, NewCommands_RequiredFlagsAndArity) {
  struct Case {
    std::string name;
    std::vector<std::string> args;
    std::string want;
  };
  const Case cases[] = {
      {"create-vpc without cidr", {"create-vpc"}, "missing required flag --cidr-block"},
      {"create-subnet without zone",
       {"create-subnet", "--vpc-id", "vpc-1", "--cidr-block", "10.0.1.0/24"},
       "missing required flag --availability-zone for create-subnet"},
      {"create-subnet without vpc",
       {"create-subnet", "--cidr-block", "10.0.1.0/24", "--availability-zone", "a"},
       "missing required flag --vpc-id"},
      {"delete-subnet without id", {"delete-subnet"}, "missing required flag --subnet-id"},
      {"delete-subnet two ids",
       {"delete-subnet", "--subnet-id", "subnet-1", "subnet-2"},
       "unexpected argument \"subnet-2\" for delete-subnet"},
      {"create-security-group without description",
       {"create-security-group", "--group-name", "web", "--vpc-id", "vpc-1"},
       "missing required flag --description"},
      {"describe-vpcs empty list", {"describe-vpcs", "--vpc-ids"}, "--vpc-ids needs at least one"},
      {"describe-subnets unknown flag",
       {"describe-subnets", "--subnet-id", "s"},
       "unknown flag --subnet-id for describe-subnets"},
      {"describe-availability-zones empty list",
       {"describe-availability-zones", "--zone-names"},
       "--zone-names needs at least one"},
      {"describe-availability-zones singular flag",
       {"describe-availability-zones", "--zone-name", "us-east-1a"},
       "unknown flag --zone-name for describe-availability-zones"},
      {"describe-network-interfaces empty list",
       {"describe-network-interfaces", "--network-interface-ids"},
       "--network-interface-ids needs at least one"},
      {"register without cpu",
       {"register-container-instance", "--availability-zone", "a", "--memory", "1024"},
       "missing required flag --cpu"},
      {"describe-container-instances without ids",
       {"describe-container-instances", "--cluster", "c"},
       "missing required flag --container-instances"},
      {"describe-container-instances empty ids",
       {"describe-container-instances", "--container-instances"},
       "--container-instances needs at least one value"},
      {"run-task without definition",
       {"run-task", "--network-configuration", kNet},
       "missing required flag --task-definition for run-task"},
      {"run-task without network",
       {"run-task", "--task-definition", "web"},
       "missing required flag --network-configuration"},
      {"run-task count twice",
       {"run-task", "--task-definition", "web", "--count", "1", "--count", "2"},
       "--count given more than once"},
      {"stop-task without task", {"stop-task", "--reason", "x"}, "missing required flag --task"},
      {"stop-task two tasks",
       {"stop-task", "--task", "a", "b"},
       "unexpected argument \"b\" for stop-task"},
      {"describe-tasks without tasks", {"describe-tasks"}, "missing required flag --tasks"},
      {"list-tasks status without value",
       {"list-tasks", "--desired-status"},
       "--desired-status needs a value"},
      {"list-tasks paging flag",
       {"list-tasks", "--max-results", "5"},
       "unknown flag --max-results"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseArgs(c.args, ""), StatusIs(absl::StatusCode::kInvalidArgument, c.want));
  }
}

TEST(Commands, EveryCommandHasAHandler) {
  for (const CommandSpec& command : Commands()) {
    EXPECT_TRUE(internal::HasHandler(command.name)) << command.name;
  }
}

TEST(BuildRequests, Network_CopiesEveryFlag) {
  absl::StatusOr<v1::CreateSubnetRequest> subnet =
      BuildCreateSubnetRequest(MustParse({"create-subnet", "--vpc-id", "vpc-1", "--cidr-block",
                                          "10.0.1.0/24", "--availability-zone", "us-east-1a"}));
  ASSERT_THAT(subnet, IsOk());
  EXPECT_EQ(subnet->vpc_id(), "vpc-1");
  EXPECT_EQ(subnet->cidr_block(), "10.0.1.0/24");
  EXPECT_EQ(subnet->availability_zone(), "us-east-1a");

  absl::StatusOr<v1::CreateSecurityGroupRequest> group = BuildCreateSecurityGroupRequest(
      MustParse({"create-security-group", "--group-name", "web", "--description", "web servers",
                 "--vpc-id", "vpc-1"}));
  ASSERT_THAT(group, IsOk());
  EXPECT_EQ(group->group_name(), "web");
  EXPECT_EQ(group->description(), "web servers");
  EXPECT_EQ(group->vpc_id(), "vpc-1");

  absl::StatusOr<v1::DescribeSecurityGroupsRequest> groups =
      BuildDescribeSecurityGroupsRequest(MustParse(
          {"describe-security-groups", "--group-ids", "sg-1", "sg-2", "--group-names", "db"}));
  ASSERT_THAT(groups, IsOk());
  EXPECT_THAT(groups->group_ids(), ElementsAre("sg-1", "sg-2"));
  EXPECT_THAT(groups->group_names(), ElementsAre("db"));

  absl::StatusOr<v1::DescribeVpcsRequest> all_vpcs =
      BuildDescribeVpcsRequest(MustParse({"describe-vpcs"}));
  ASSERT_THAT(all_vpcs, IsOk());
  EXPECT_EQ(all_vpcs->vpc_ids_size(), 0);

  absl::StatusOr<v1::DeleteSubnetRequest> del =
      BuildDeleteSubnetRequest(MustParse({"delete-subnet", "--subnet-id", "subnet-9"}));
  ASSERT_THAT(del, IsOk());
  EXPECT_EQ(del->subnet_id(), "subnet-9");
}

// --filters on every network describe command: shorthand or JSON, one filter per value.
TEST(BuildRequests, Filters_Table) {
  struct Case {
    std::string name;
    std::vector<std::string> args;
    std::string want;  // the filters as text, "Name=V1|V2;..."; or an error substring
    bool ok = true;
  };
  const std::vector<Case> cases = {
      {"one filter, one value",
       {"describe-subnets", "--filters", "Name=vpc-id,Values=vpc-1"},
       "vpc-id=vpc-1;"},
      {"several values and filters",
       {"describe-subnets", "--filters", "Name=vpc-id,Values=vpc-1,vpc-2",
        "Name=availability-zone,Values=us-east-1?"},
       "vpc-id=vpc-1|vpc-2;availability-zone=us-east-1?;"},
      {"JSON object",
       {"describe-vpcs", "--filters", R"({"Name":"cidr","Values":["10.*"]})"},
       "cidr=10.*;"},
      {"groups",
       {"describe-security-groups", "--filters", "Name=group-name,Values=web"},
       "group-name=web;"},
      {"zones",
       {"describe-availability-zones", "--filters", "Name=zone-name,Values=a"},
       "zone-name=a;"},
      {"interfaces",
       {"describe-network-interfaces", "--filters", "Name=subnet-id,Values=s"},
       "subnet-id=s;"},
      {"unknown member",
       {"describe-vpcs", "--filters", "Name=vpc-id,Value=vpc-1"},
       "--filters",
       false},
  };
  auto text = [](const auto& filters) {
    std::string out;
    for (const v1::Filter& filter : filters) {
      out += filter.name() + "=" + absl::StrJoin(filter.values(), "|") + ";";
    }
    return out;
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Invocation inv = MustParse(c.args);
    absl::StatusOr<std::string> got = absl::InvalidArgumentError("no such command");
    const std::string& command = c.args[0];
    auto take = [&](const auto& request) -> absl::StatusOr<std::string> {
      if (!request.ok()) {
        return request.status();
      }
      return text(request->filters());
    };
    if (command == "describe-vpcs") {
      got = take(BuildDescribeVpcsRequest(inv));
    } else if (command == "describe-subnets") {
      got = take(BuildDescribeSubnetsRequest(inv));
    } else if (command == "describe-security-groups") {
      got = take(BuildDescribeSecurityGroupsRequest(inv));
    } else if (command == "describe-availability-zones") {
      got = take(BuildDescribeAvailabilityZonesRequest(inv));
    } else if (command == "describe-network-interfaces") {
      got = take(BuildDescribeNetworkInterfacesRequest(inv));
    }
    if (c.ok) {
      ASSERT_THAT(got, IsOk());
      EXPECT_EQ(*got, c.want);
    } else {
      EXPECT_THAT(got, StatusIs(absl::StatusCode::kInvalidArgument, c.want));
    }
  }
}

TEST(BuildRequests, ZonesAndNetworkInterfaces_CopyEveryValue) {
  absl::StatusOr<v1::DescribeAvailabilityZonesRequest> zones =
      BuildDescribeAvailabilityZonesRequest(
          MustParse({"describe-availability-zones", "--zone-names", "us-east-1a", "us-east-1b"}));
  ASSERT_THAT(zones, IsOk());
  EXPECT_THAT(zones->zone_names(), ElementsAre("us-east-1a", "us-east-1b"));
  EXPECT_FALSE(zones->has_all_availability_zones());

  absl::StatusOr<v1::DescribeAvailabilityZonesRequest> all_zones =
      BuildDescribeAvailabilityZonesRequest(MustParse({"describe-availability-zones"}));
  ASSERT_THAT(all_zones, IsOk());
  EXPECT_EQ(all_zones->zone_names_size(), 0);

  absl::StatusOr<v1::DescribeNetworkInterfacesRequest> enis = BuildDescribeNetworkInterfacesRequest(
      MustParse({"describe-network-interfaces", "--network-interface-ids", "eni-1", "eni-2"}));
  ASSERT_THAT(enis, IsOk());
  EXPECT_THAT(enis->network_interface_ids(), ElementsAre("eni-1", "eni-2"));

  absl::StatusOr<v1::DescribeNetworkInterfacesRequest> all_enis =
      BuildDescribeNetworkInterfacesRequest(MustParse({"describe-network-interfaces"}));
  ASSERT_THAT(all_enis, IsOk());
  EXPECT_EQ(all_enis->network_interface_ids_size(), 0);
}

TEST(BuildRequests, RunTask_CopiesEveryFlag) {
  absl::StatusOr<v1::RunTaskRequest> request = BuildRunTaskRequest(
      MustParse({"run-task",
                 "--cluster",
                 "prod",
                 "--task-definition",
                 "web:3",
                 "--count",
                 "4",
                 "--group",
                 "batch",
                 "--started-by",
                 "cron",
                 "--client-token",
                 "tok-1",
                 "--launch-type",
                 "FARGATE",
                 "--platform-version",
                 "1.4.0",
                 "--overrides",
                 R"({"cpu":"512","containerOverrides":[{"name":"app","command":["sleep","60"]}]})",
                 "--network-configuration",
                 kNet,
                 "--tags",
                 "key=team,value=core"}));
  ASSERT_THAT(request, IsOk());
  EXPECT_EQ(request->cluster(), "prod");
  EXPECT_EQ(request->task_definition(), "web:3");
  EXPECT_EQ(request->count(), 4);
  EXPECT_EQ(request->group(), "batch");
  EXPECT_EQ(request->started_by(), "cron");
  EXPECT_EQ(request->client_token(), "tok-1");
  EXPECT_EQ(request->launch_type(), "FARGATE");
  EXPECT_EQ(request->platform_version(), "1.4.0");
  EXPECT_EQ(request->overrides().cpu(), "512");
  ASSERT_EQ(request->overrides().container_overrides_size(), 1);
  EXPECT_THAT(request->overrides().container_overrides(0).command(), ElementsAre("sleep", "60"));
  EXPECT_THAT(request->network_configuration().awsvpc_configuration().subnets(),
              ElementsAre("subnet-a"));
  ASSERT_EQ(request->tags_size(), 1);
  EXPECT_EQ(request->tags(0).key(), "team");
}

TEST(BuildRequests, RunTask_OptionalFlagsAbsent_LeavesFieldsUnset) {
  absl::StatusOr<v1::RunTaskRequest> request = BuildRunTaskRequest(
      MustParse({"run-task", "--task-definition", "web", "--network-configuration", kNet}));
  ASSERT_THAT(request, IsOk());
  EXPECT_FALSE(request->has_cluster());
  EXPECT_FALSE(request->has_count());
  EXPECT_FALSE(request->has_group());
  EXPECT_FALSE(request->has_client_token());
  EXPECT_FALSE(request->has_launch_type());
  EXPECT_FALSE(request->has_overrides());
  EXPECT_EQ(request->tags_size(), 0);
}

TEST(BuildRequests, RunTask_BadValues_NameTheFlag) {
  struct Case {
    std::string name;
    std::vector<std::string> extra;
    std::string want;
  };
  const Case cases[] = {
      {"count not integer", {"--count", "two"}, "--count: \"two\" is not an integer"},
      {"count zero", {"--count", "0"}, "--count: 0 is out of range; use 1 to 2147483647"},
      {"count negative", {"--count", "-3"}, "--count: -3 is out of range"},
      {"count too big", {"--count", "99999999999"}, "--count: 99999999999 is out of range"},
      {"overrides not json", {"--overrides", "{cpu=1}"}, "--overrides: invalid JSON"},
      {"overrides unknown member",
       {"--overrides", R"({"containerOverride":[]})"},
       "--overrides: containerOverride: unknown field"},
      {"overrides wrong type",
       {"--overrides", R"({"containerOverrides":[{"name":"app","cpu":"lots"}]})"},
       "--overrides: containerOverrides[0].cpu"},
      {"overrides not object", {"--overrides", "[1]"}, "--overrides: expected a JSON object"},
      {"bad tag", {"--tags", "team"}, "--tags: \"team\" is not a tag"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> args = {"run-task", "--task-definition", "web",
                                     "--network-configuration", kNet};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    EXPECT_THAT(BuildRunTaskRequest(MustParse(args)),
                StatusIs(absl::StatusCode::kInvalidArgument, c.want));
  }
}

TEST(BuildRequests, RunTask_OverridesErrors_PrefixEveryLine) {
  absl::StatusOr<v1::RunTaskRequest> request = BuildRunTaskRequest(
      MustParse({"run-task", "--task-definition", "web", "--network-configuration", kNet,
                 "--overrides", R"({"cpux":"1","memoryx":"2"})"}));
  ASSERT_FALSE(request.ok());
  std::string message(request.status().message());
  EXPECT_THAT(message, ::testing::HasSubstr("--overrides: cpux"));
  EXPECT_THAT(message, ::testing::HasSubstr("\n--overrides: memoryx"));
}

TEST(BuildRequests, TaskQueries_CopyEveryFlag) {
  absl::StatusOr<v1::StopTaskRequest> stop = BuildStopTaskRequest(
      MustParse({"stop-task", "--cluster", "c", "--task", "abc", "--reason", "done"}));
  ASSERT_THAT(stop, IsOk());
  EXPECT_EQ(stop->cluster(), "c");
  EXPECT_EQ(stop->task(), "abc");
  EXPECT_EQ(stop->reason(), "done");

  absl::StatusOr<v1::DescribeTasksRequest> describe = BuildDescribeTasksRequest(
      MustParse({"describe-tasks", "--tasks", "a", "b", "--include", "TAGS"}));
  ASSERT_THAT(describe, IsOk());
  EXPECT_FALSE(describe->has_cluster());
  EXPECT_THAT(describe->tasks(), ElementsAre("a", "b"));
  EXPECT_THAT(describe->include(), ElementsAre("TAGS"));

  absl::StatusOr<v1::ListTasksRequest> list = BuildListTasksRequest(
      MustParse({"list-tasks", "--cluster", "c", "--family", "web", "--desired-status", "STOPPED",
                 "--started-by", "cron", "--container-instance", "ci-1"}));
  ASSERT_THAT(list, IsOk());
  EXPECT_EQ(list->cluster(), "c");
  EXPECT_EQ(list->family(), "web");
  EXPECT_EQ(list->desired_status(), "STOPPED");
  EXPECT_EQ(list->started_by(), "cron");
  EXPECT_EQ(list->container_instance(), "ci-1");
  EXPECT_FALSE(list->has_next_token());

  absl::StatusOr<v1::ListTasksRequest> bare = BuildListTasksRequest(MustParse({"list-tasks"}));
  ASSERT_THAT(bare, IsOk());
  EXPECT_FALSE(bare->has_cluster());
  EXPECT_FALSE(bare->has_desired_status());
}

TEST(BuildRequests, ContainerInstances_CopyEveryFlag) {
  absl::StatusOr<v1::ListContainerInstancesRequest> list = BuildListContainerInstancesRequest(
      MustParse({"list-container-instances", "--cluster", "c", "--status", "DRAINING"}));
  ASSERT_THAT(list, IsOk());
  EXPECT_EQ(list->cluster(), "c");
  EXPECT_EQ(list->status(), "DRAINING");

  absl::StatusOr<v1::DescribeContainerInstancesRequest> describe =
      BuildDescribeContainerInstancesRequest(
          MustParse({"describe-container-instances", "--container-instances", "i1", "i2"}));
  ASSERT_THAT(describe, IsOk());
  EXPECT_FALSE(describe->has_cluster());
  EXPECT_THAT(describe->container_instances(), ElementsAre("i1", "i2"));
}

TEST(ParseArgs, UpdateContainerInstancesState_Table) {
  struct Case {
    std::string name;
    std::vector<std::string> args;
    std::string want_error;  // empty: parses and builds
    std::string want_cluster;
    std::vector<std::string> want_instances;
    std::string want_status;
  };
  const std::vector<Case> cases = {
      {"one instance",
       {"update-container-instances-state", "--container-instances", "i1", "--status", "DRAINING"},
       "",
       "",
       {"i1"},
       "DRAINING"},
      {"several, cluster, inline status",
       {"update-container-instances-state", "--cluster", "prod", "--container-instances", "i1",
        "i2", "i3", "--status=ACTIVE"},
       "",
       "prod",
       {"i1", "i2", "i3"},
       "ACTIVE"},
      {"status first",
       {"update-container-instances-state", "--status", "DRAINING", "--container-instances",
        "arn:aws:ecs:us-east-1:000000000000:container-instance/i1"},
       "",
       "",
       {"arn:aws:ecs:us-east-1:000000000000:container-instance/i1"},
       "DRAINING"},
      {"without status",
       {"update-container-instances-state", "--container-instances", "i1"},
       "missing required flag --status for update-container-instances-state"},
      {"without instances",
       {"update-container-instances-state", "--status", "ACTIVE"},
       "missing required flag --container-instances"},
      {"empty instances",
       {"update-container-instances-state", "--container-instances", "--status", "ACTIVE"},
       "--container-instances needs at least one value"},
      {"status twice",
       {"update-container-instances-state", "--container-instances", "i1", "--status", "ACTIVE",
        "--status", "DRAINING"},
       "--status given more than once"},
      {"status without value",
       {"update-container-instances-state", "--container-instances", "i1", "--status"},
       "--status needs a value"},
      {"two statuses",
       {"update-container-instances-state", "--status", "ACTIVE", "DRAINING",
        "--container-instances", "i1"},
       "unexpected argument \"DRAINING\" for update-container-instances-state"},
      {"unknown flag",
       {"update-container-instances-state", "--container-instances", "i1", "--status", "ACTIVE",
        "--force"},
       "unknown flag --force for update-container-instances-state"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<Invocation> inv = ParseArgs(c.args, "");
    if (!c.want_error.empty()) {
      EXPECT_THAT(inv, StatusIs(absl::StatusCode::kInvalidArgument, c.want_error));
      continue;
    }
    ASSERT_THAT(inv, IsOk());
    absl::StatusOr<v1::UpdateContainerInstancesStateRequest> request =
        BuildUpdateContainerInstancesStateRequest(*inv);
    ASSERT_THAT(request, IsOk());
    EXPECT_EQ(request->has_cluster(), !c.want_cluster.empty());
    EXPECT_EQ(request->cluster(), c.want_cluster);
    EXPECT_THAT(request->container_instances(), ElementsAreArray(c.want_instances));
    EXPECT_EQ(request->status(), c.want_status);
  }
}

TEST(BuildRequests, RegisterHost_DefaultsAndOverrides) {
  absl::StatusOr<v1::RegisterHostRequest> defaults =
      BuildRegisterHostRequest(MustParse({"register-container-instance", "--availability-zone",
                                          "us-east-1a", "--cpu", "4096", "--memory", "16384"}));
  ASSERT_THAT(defaults, IsOk());
  EXPECT_EQ(defaults->availability_zone(), "us-east-1a");
  EXPECT_EQ(defaults->cpu_units(), 4096);
  EXPECT_EQ(defaults->memory_mib(), 16384);
  EXPECT_EQ(defaults->ephemeral_storage_gib(), 200);
  EXPECT_EQ(defaults->eni_slots(), 16);
  EXPECT_EQ(defaults->agent_version(), "");

  absl::StatusOr<v1::RegisterHostRequest> all = BuildRegisterHostRequest(
      MustParse({"register-container-instance", "--availability-zone", "b", "--cpu", "1024",
                 "--memory", "2048", "--ephemeral-storage", "500", "--enis", "4", "--agent-version",
                 "0.2.0", "--host-name", "node7"}));
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->ephemeral_storage_gib(), 500);
  EXPECT_EQ(all->eni_slots(), 4);
  EXPECT_EQ(all->agent_version(), "0.2.0");
  EXPECT_EQ(all->host_name(), "node7");
}

TEST(BuildRequests, RegisterHost_BadIntegers_NameTheFlag) {
  struct Case {
    std::string flag;
    std::string value;
    std::string want;
  };
  const Case cases[] = {
      {"cpu", "4 vCPU", "--cpu: \"4 vCPU\" is not an integer"},
      {"memory", "0", "--memory: 0 is out of range"},
      {"ephemeral-storage", "1.5", "--ephemeral-storage: \"1.5\" is not an integer"},
      {"enis", "-1", "--enis: -1 is out of range"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.flag);
    std::vector<std::string> args = {"register-container-instance",
                                     "--availability-zone",
                                     "a",
                                     "--cpu",
                                     "1024",
                                     "--memory",
                                     "2048"};
    if (c.flag == "cpu" || c.flag == "memory") {
      args[c.flag == "cpu" ? 4 : 6] = c.value;
    } else {
      args.push_back("--" + c.flag);
      args.push_back(c.value);
    }
    EXPECT_THAT(BuildRegisterHostRequest(MustParse(args)),
                StatusIs(absl::StatusCode::kInvalidArgument, c.want));
  }
}

TEST(BuildRequests, RunTask_OverridesShorthand) {
  absl::StatusOr<v1::RunTaskRequest> request = BuildRunTaskRequest(MustParse(
      {"run-task", "--task-definition", "web", "--network-configuration", kNet, "--overrides",
       "containerOverrides=[{name=app,command=[sleep,60],environment=[{name=A,value=1}],"
       "cpu=256}],cpu=512,memory=1024"}));
  ASSERT_THAT(request, IsOk());
  const v1::TaskOverride& overrides = request->overrides();
  EXPECT_EQ(overrides.cpu(), "512");
  EXPECT_EQ(overrides.memory(), "1024");
  ASSERT_EQ(overrides.container_overrides_size(), 1);
  const v1::ContainerOverride& app = overrides.container_overrides(0);
  EXPECT_EQ(app.name(), "app");
  EXPECT_THAT(app.command(), ElementsAre("sleep", "60"));
  ASSERT_EQ(app.environment_size(), 1);
  EXPECT_EQ(app.environment(0).name(), "A");
  EXPECT_EQ(app.environment(0).value(), "1");
  EXPECT_EQ(app.cpu(), 256);
}

TEST(BuildRequests, RunTask_WaitFlags) {
  struct Case {
    std::string name;
    std::vector<std::string> extra;
    std::string want_error;  // empty: builds
  };
  const Case cases[] = {
      {"wait", {"--wait"}, ""},
      {"wait with timeout", {"--wait", "--timeout", "5m"}, ""},
      {"timeout first", {"--timeout=90", "--wait"}, ""},
      {"timeout in fractional seconds", {"--wait", "--timeout", "1.5"}, ""},
      {"timeout without wait", {"--timeout", "5m"}, "--timeout needs --wait"},
      {"bad timeout", {"--wait", "--timeout", "later"}, "--timeout: \"later\" is not a duration"},
      {"zero timeout", {"--wait", "--timeout", "0s"}, "--timeout: \"0s\" is not positive"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> args = {"run-task", "--task-definition", "web",
                                     "--network-configuration", kNet};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    absl::StatusOr<v1::RunTaskRequest> request = BuildRunTaskRequest(MustParse(args));
    if (c.want_error.empty()) {
      EXPECT_THAT(request, IsOk());
    } else {
      EXPECT_THAT(request, StatusIs(absl::StatusCode::kInvalidArgument, c.want_error));
    }
  }
}

TEST(ParseArgs, WaitCommands_SubCommandWordAndFlags) {
  struct Case {
    std::string name;
    std::vector<std::string> args;
    std::string want_error;  // empty: parses
    std::string want_command;
  };
  const Case cases[] = {
      {"running", {"wait", "tasks-running", "--tasks", "a", "b"}, "", "wait tasks-running"},
      {"stopped with everything",
       {"wait", "tasks-stopped", "--cluster", "c", "--tasks", "a", "--timeout", "1m"},
       "",
       "wait tasks-stopped"},
      {"global flags around",
       {"--output", "json", "wait", "tasks-running", "--tasks", "a", "--endpoint", "h:1"},
       "",
       "wait tasks-running"},
      {"no sub-command", {"wait"}, "wait needs a sub-command: tasks-running or tasks-stopped", ""},
      {"unknown sub-command",
       {"wait", "task-running"},
       "unknown command \"wait task-running\"; wait takes tasks-running or tasks-stopped",
       ""},
      {"flag before the sub-command",
       {"wait", "--tasks", "a", "tasks-running"},
       "wait needs a sub-command before --tasks: tasks-running or tasks-stopped",
       ""},
      {"only flags", {"wait", "--timeout=5m"}, "wait needs a sub-command before --timeout", ""},
      {"flag before the command",
       {"--tasks", "a", "describe-tasks"},
       "unknown flag --tasks (command flags go after the command)",
       ""},
      {"without tasks",
       {"wait", "tasks-running"},
       "missing required flag --tasks for wait tasks-running",
       ""},
      {"run-task flag",
       {"wait", "tasks-running", "--tasks", "a", "--wait"},
       "unknown flag --wait",
       ""},
      {"wait takes no value",
       {"run-task", "--task-definition", "web", "--network-configuration", kNet, "--wait=yes"},
       "--wait takes no value",
       ""},
      {"wait twice",
       {"run-task", "--task-definition", "web", "--network-configuration", kNet, "--wait",
        "--wait"},
       "--wait given more than once",
       ""},
      {"value after wait",
       {"run-task", "--task-definition", "web", "--network-configuration", kNet, "--wait", "5m"},
       "unexpected argument \"5m\" for run-task",
       ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<Invocation> inv = ParseArgs(c.args, "");
    if (!c.want_error.empty()) {
      EXPECT_THAT(inv, StatusIs(absl::StatusCode::kInvalidArgument, c.want_error));
      continue;
    }
    ASSERT_THAT(inv, IsOk());
    EXPECT_EQ(inv->command, c.want_command);
  }
  Invocation inv = MustParse(
      {"wait", "tasks-stopped", "--cluster", "c", "--tasks", "a", "b", "--timeout", "1m"});
  absl::StatusOr<v1::DescribeTasksRequest> request = BuildDescribeTasksRequest(inv);
  ASSERT_THAT(request, IsOk());
  EXPECT_EQ(request->cluster(), "c");
  EXPECT_THAT(request->tasks(), ElementsAre("a", "b"));
  EXPECT_EQ(request->include_size(), 0);
}

// Task and container instance ids are 32 hex digits; examples that people copy must
// show real-looking ones.
TEST(Help, ExampleIds_Are32HexDigits) {
  std::vector<std::string> texts = {GeneralHelp()};
  for (const CommandSpec& command : Commands()) {
    texts.emplace_back(command.example);
    for (const FlagSpec& flag : command.flags) {
      texts.emplace_back(flag.example);
    }
  }
  const std::set<std::string> id_flags = {"--task", "--tasks", "--container-instance",
                                          "--container-instances"};
  int ids = 0;
  for (const std::string& text : texts) {
    bool in_ids = false;
    for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
      if (absl::StartsWith(word, "--") || absl::StartsWith(word, "\n")) {
        in_ids = id_flags.count(std::string(word)) > 0;
        continue;
      }
      if (!in_ids) {
        continue;
      }
      std::string id(absl::StripSuffix(word, "\n"));
      ++ids;
      EXPECT_TRUE(id.size() == 32 &&
                  std::all_of(id.begin(), id.end(),
                              [](char c) {
                                return absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
                                       (c >= 'a' && c <= 'f');
                              }))
          << "\"" << id << "\" in: " << text;
    }
  }
  EXPECT_GE(ids, 10);  // the examples were found
}

TEST(ParseArgs, WaitHelp_NamesTheGroupOrCommand) {
  struct Case {
    std::vector<std::string> args;
    std::string want_command;
  };
  const Case cases[] = {
      {{"wait", "--help"}, "wait"},
      {{"help", "wait"}, "wait"},
      {{"wait", "tasks-running", "--help"}, "wait tasks-running"},
      {{"help", "wait", "tasks-stopped"}, "wait tasks-stopped"},
      {{"wait", "-h", "tasks-stopped"}, "wait tasks-stopped"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.want_command);
    absl::StatusOr<Invocation> inv = ParseArgs(c.args, "");
    ASSERT_THAT(inv, IsOk());
    EXPECT_TRUE(inv->help);
    EXPECT_EQ(inv->command, c.want_command);
  }
}

}  // namespace
}  // namespace gantry::cli
