// Networks, hosts and tasks end to end: gantryctl -> gantryd (scheduler, embedded
// PostgreSQL). One gantryd for the suite; every test builds its own VPC and zones so
// tests do not share capacity.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gantry/v1/agent.pb.h"
#include "gantry/v1/ecs.pb.h"
#include "gantry/v1/network.pb.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/substitute.h"
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

std::string Definition(const std::string& family) {
  return absl::Substitute(R"json({
    "family": "$0", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
    "cpu": "256", "memory": "512",
    "containerDefinitions": [{"name": "app", "image": "nginx:1.27", "essential": true}]
  })json",
                          family);
}

uint32_t ParseIpv4(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '.');
  uint32_t value = 0;
  for (const std::string& part : parts) {
    int octet = 0;
    EXPECT_TRUE(absl::SimpleAtoi(part, &octet)) << text;
    value = value << 8 | static_cast<uint32_t>(octet);
  }
  return value;
}

std::string Detail(const v1::Task& task, const std::string& name) {
  for (const v1::Attachment& attachment : task.attachments()) {
    for (const v1::KeyValuePair& pair : attachment.details()) {
      if (pair.name() == name) return pair.value();
    }
  }
  return "";
}

class RunTaskE2E : public SharedGantrydTest {
 protected:
  struct Network {
    std::string vpc_id;
    std::vector<std::string> subnet_ids;
    std::map<std::string, std::string> cidr_by_subnet;
    std::map<std::string, std::string> zone_by_subnet;
  };

  // A VPC 10.N.0.0/16 with one /24 subnet in each of `zones`.
  static Network MakeNetwork(int n, const std::vector<std::string>& zones) {
    Network network;
    auto vpc = RunJson<v1::CreateVpcResponse>(
        {"create-vpc", "--cidr-block", absl::StrCat("10.", n, ".0.0/16")});
    network.vpc_id = vpc.vpc().vpc_id();
    for (size_t i = 0; i < zones.size(); ++i) {
      std::string cidr = absl::StrCat("10.", n, ".", i + 1, ".0/24");
      auto subnet = RunJson<v1::CreateSubnetResponse>({"create-subnet", "--vpc-id", network.vpc_id,
                                                       "--cidr-block", cidr, "--availability-zone",
                                                       zones[i]});
      network.subnet_ids.push_back(subnet.subnet().subnet_id());
      network.cidr_by_subnet[subnet.subnet().subnet_id()] = cidr;
      network.zone_by_subnet[subnet.subnet().subnet_id()] = zones[i];
    }
    return network;
  }

  static std::string RegisterHost(const std::string& zone, int cpu = 4096, int memory = 8192) {
    auto host = RunJson<v1::RegisterHostResponse>(
        {"register-container-instance", "--availability-zone", zone, "--cpu", absl::StrCat(cpu),
         "--memory", absl::StrCat(memory), "--ephemeral-storage", "1000"});
    return host.container_instance_arn();
  }

  static void RegisterFamily(const std::string& family) {
    CommandResult r = RunCtl({"register-task-definition", "--cli-input-json", Definition(family)});
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
  }

  static std::string NetworkFlag(const std::vector<std::string>& subnets) {
    return absl::StrCat("awsvpcConfiguration={subnets=[", absl::StrJoin(subnets, ","),
                        "],assignPublicIp=DISABLED}");
  }

  static std::vector<v1::Task> DescribeAll(const std::vector<std::string>& arns) {
    std::vector<v1::Task> tasks;
    for (size_t i = 0; i < arns.size(); i += 100) {
      std::vector<std::string> args = {"describe-tasks", "--tasks"};
      for (size_t j = i; j < std::min(arns.size(), i + 100); ++j) args.push_back(arns[j]);
      auto response = RunJson<v1::DescribeTasksResponse>(args);
      EXPECT_THAT(response.failures(), IsEmpty());
      tasks.insert(tasks.end(), response.tasks().begin(), response.tasks().end());
    }
    return tasks;
  }

  static int FreeAddresses(const std::string& subnet_id) {
    auto subnets =
        RunJson<v1::DescribeSubnetsResponse>({"describe-subnets", "--subnet-ids", subnet_id});
    return subnets.subnets_size() == 1 ? subnets.subnets(0).available_ip_address_count() : -1;
  }
};

// The issue's acceptance run: 90 tasks of one group in 9 calls over three zones.
TEST_F(RunTaskE2E, NinetyTasksInNineCalls_SpreadEvenly_UniqueAddressesInTheirSubnets) {
  Network network = MakeNetwork(1, {"us-east-1a", "us-east-1b", "us-east-1c"});
  for (const char* zone : {"us-east-1a", "us-east-1b", "us-east-1c"}) {
    RegisterHost(zone);
    RegisterHost(zone);
  }
  RegisterFamily("e2e-spread");
  std::vector<std::string> arns;
  for (int call = 0; call < 9; ++call) {
    auto response = RunJson<v1::RunTaskResponse>(
        {"run-task", "--task-definition", "e2e-spread", "--count", "10", "--group", "spread",
         "--network-configuration", NetworkFlag(network.subnet_ids)});
    EXPECT_THAT(response.failures(), IsEmpty());
    ASSERT_THAT(response.tasks(), SizeIs(10));
    for (const v1::Task& task : response.tasks()) arns.push_back(task.task_arn());
  }
  std::vector<v1::Task> tasks = DescribeAll(arns);
  ASSERT_THAT(tasks, SizeIs(90));
  std::map<std::string, int> per_zone;
  std::map<std::string, int> cpu_per_host;
  std::set<std::string> addresses;
  for (const v1::Task& task : tasks) {
    EXPECT_EQ(task.last_status(), "PROVISIONING");
    EXPECT_EQ(task.group(), "spread");
    ++per_zone[task.availability_zone()];
    cpu_per_host[task.container_instance_arn()] += 256;
    std::string subnet = Detail(task, "subnetId");
    std::string ip = Detail(task, "privateIPv4Address");
    ASSERT_TRUE(network.cidr_by_subnet.contains(subnet)) << subnet;
    EXPECT_EQ(network.zone_by_subnet[subnet], task.availability_zone());
    EXPECT_TRUE(addresses.insert(ip).second) << "address given twice: " << ip;
    uint32_t base = ParseIpv4(
        network.cidr_by_subnet[subnet].substr(0, network.cidr_by_subnet[subnet].find('/')));
    uint32_t offset = ParseIpv4(ip) - base;
    EXPECT_GE(offset, 4u) << ip << " is reserved";
    EXPECT_LE(offset, 254u) << ip << " is outside or the broadcast address";
    EXPECT_EQ(Detail(task, "privateDnsName"),
              absl::StrCat("ip-", absl::StrJoin(absl::StrSplit(ip, '.'), "-"), ".ec2.internal"));
    ASSERT_THAT(task.containers(), SizeIs(1));
    ASSERT_THAT(task.containers(0).network_interfaces(), SizeIs(1));
    EXPECT_EQ(task.containers(0).network_interfaces(0).private_ipv4_address(), ip);
  }
  EXPECT_EQ(per_zone, (std::map<std::string, int>{
                          {"us-east-1a", 30}, {"us-east-1b", 30}, {"us-east-1c", 30}}));
  for (const auto& [host, cpu] : cpu_per_host) EXPECT_LE(cpu, 4096) << host;
  for (const std::string& subnet : network.subnet_ids) EXPECT_EQ(FreeAddresses(subnet), 251 - 30);

  // Stopping ten tasks of us-east-1a returns their addresses.
  std::string subnet_a = network.subnet_ids[0];
  int stopped = 0;
  for (const v1::Task& task : tasks) {
    if (task.availability_zone() != "us-east-1a" || stopped == 10) continue;
    auto response = RunJson<v1::StopTaskResponse>(
        {"stop-task", "--task", task.task_arn(), "--reason", "e2e done"});
    EXPECT_EQ(response.task().last_status(), "STOPPED");
    EXPECT_EQ(response.task().stop_code(), "UserInitiated");
    EXPECT_EQ(response.task().stopped_reason(), "e2e done");
    ++stopped;
  }
  EXPECT_EQ(FreeAddresses(subnet_a), 251 - 20);
  auto running = RunJson<v1::ListTasksResponse>({"list-tasks", "--family", "e2e-spread"});
  EXPECT_THAT(running.task_arns(), SizeIs(80));
  auto gone = RunJson<v1::ListTasksResponse>(
      {"list-tasks", "--family", "e2e-spread", "--desired-status", "STOPPED"});
  EXPECT_THAT(gone.task_arns(), SizeIs(10));
}

TEST_F(RunTaskE2E, NoHostInZone_TaskWaits_ThenPlacedWhenAHostRegisters) {
  Network network = MakeNetwork(2, {"us-east-1w"});
  RegisterFamily("e2e-wait");
  auto response =
      RunJson<v1::RunTaskResponse>({"run-task", "--task-definition", "e2e-wait",
                                    "--network-configuration", NetworkFlag(network.subnet_ids)});
  ASSERT_THAT(response.tasks(), SizeIs(1));
  EXPECT_EQ(response.tasks(0).last_status(), "PROVISIONING");
  EXPECT_FALSE(response.tasks(0).has_container_instance_arn());
  std::string arn = response.tasks(0).task_arn();

  std::string host = RegisterHost("us-east-1w");
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  v1::Task task;
  do {
    task = DescribeAll({arn}).at(0);
    if (task.has_container_instance_arn()) break;
    absl::SleepFor(absl::Milliseconds(50));
  } while (absl::Now() < deadline);
  EXPECT_EQ(task.container_instance_arn(), host);
  EXPECT_EQ(task.availability_zone(), "us-east-1w");
  EXPECT_EQ(FreeAddresses(network.subnet_ids[0]), 250);
}

TEST_F(RunTaskE2E, RequestsThatCanNeverSucceed_AreRefusedOrReportedAsFailures) {
  Network first = MakeNetwork(3, {"us-east-1x"});
  Network second = MakeNetwork(4, {"us-east-1x"});
  RegisterHost("us-east-1x", 1024, 2048);
  RegisterFamily("e2e-never");

  CommandResult two_vpcs =
      RunCtl({"run-task", "--task-definition", "e2e-never", "--network-configuration",
              NetworkFlag({first.subnet_ids[0], second.subnet_ids[0]})});
  EXPECT_EQ(two_vpcs.exit_code, 1) << Describe(two_vpcs);
  EXPECT_THAT(two_vpcs.err, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(two_vpcs.err, HasSubstr("all subnets must be in one VPC"));

  CommandResult unknown_group =
      RunCtl({"run-task", "--task-definition", "e2e-never", "--network-configuration",
              absl::StrCat("awsvpcConfiguration={subnets=[", first.subnet_ids[0],
                           "],securityGroups=[sg-0123456789abcdef0]}")});
  EXPECT_EQ(unknown_group.exit_code, 1) << Describe(unknown_group);
  EXPECT_THAT(unknown_group.err,
              HasSubstr("securityGroups[0]: sg-0123456789abcdef0 does not exist"));

  auto too_big =
      RunJson<v1::RunTaskResponse>({"run-task", "--task-definition", "e2e-never", "--count", "2",
                                    "--overrides", R"({"cpu": "4096", "memory": "8192"})",
                                    "--network-configuration", NetworkFlag(first.subnet_ids)});
  EXPECT_THAT(too_big.tasks(), IsEmpty());
  ASSERT_THAT(too_big.failures(), SizeIs(2));
  EXPECT_EQ(too_big.failures(0).reason(), "RESOURCE:CPU");
  EXPECT_THAT(too_big.failures(0).detail(), HasSubstr("4096"));
}

TEST_F(RunTaskE2E, ClientToken_SameRequestSameTasks_DifferentRequestRefused) {
  Network network = MakeNetwork(5, {"us-east-1t"});
  RegisterHost("us-east-1t");
  RegisterFamily("e2e-token");
  std::vector<std::string> args = {"run-task",
                                   "--task-definition",
                                   "e2e-token",
                                   "--count",
                                   "3",
                                   "--client-token",
                                   "token-e2e-1",
                                   "--network-configuration",
                                   NetworkFlag(network.subnet_ids)};
  auto first = RunJson<v1::RunTaskResponse>(args);
  auto again = RunJson<v1::RunTaskResponse>(args);
  ASSERT_THAT(first.tasks(), SizeIs(3));
  ASSERT_THAT(again.tasks(), SizeIs(3));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(first.tasks(i).task_arn(), again.tasks(i).task_arn());

  args[4] = "2";
  CommandResult conflict = RunCtl(args);
  EXPECT_EQ(conflict.exit_code, 1) << Describe(conflict);
  EXPECT_THAT(conflict.err, HasSubstr("ALREADY_EXISTS"));
  EXPECT_THAT(
      conflict.err,
      HasSubstr(first.tasks(0).task_arn().substr(first.tasks(0).task_arn().rfind('/') + 1)));
  EXPECT_EQ(FreeAddresses(network.subnet_ids[0]), 248);
}

TEST_F(RunTaskE2E, DeleteSubnet_RefusedWhileAddressesAreInUse) {
  Network network = MakeNetwork(6, {"us-east-1d"});
  RegisterHost("us-east-1d");
  RegisterFamily("e2e-delete");
  auto run =
      RunJson<v1::RunTaskResponse>({"run-task", "--task-definition", "e2e-delete",
                                    "--network-configuration", NetworkFlag(network.subnet_ids)});
  ASSERT_THAT(run.tasks(), SizeIs(1));
  CommandResult refused = RunCtl({"delete-subnet", "--subnet-id", network.subnet_ids[0]});
  EXPECT_EQ(refused.exit_code, 1) << Describe(refused);
  EXPECT_THAT(refused.err, HasSubstr("FAILED_PRECONDITION"));
  RunJson<v1::StopTaskResponse>({"stop-task", "--task", run.tasks(0).task_arn()});
  CommandResult deleted = RunCtl({"delete-subnet", "--subnet-id", network.subnet_ids[0]});
  EXPECT_EQ(deleted.exit_code, 0) << Describe(deleted);
}

}  // namespace
}  // namespace gantry::testing
