// NetworkOperations over a real PostgreSQL: request validation (refused on the calling
// thread), EC2's response shapes and JSON names, NOT_FOUND for unknown ids, the subnet
// rules as callers see them, the zones of hosts and subnets, and task ENIs (placed with
// storage::CommitRound, as the scheduler places them) visible to their account only.
#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "common/ids.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/api/call_and_wait.h"
#include "tests/support/pg_harness.h"
#include "tests/support/status_matchers.h"

namespace gantry::api {
namespace {

using ::gantry::api::test::CallAndWait;
using ::gantry::api::test::Reply;
using ::gantry::testing::IsOk;
using ::gantry::testing::PgHarness;
using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;
constexpr char kRegion[] = "eu-west-1";
constexpr char kAccount[] = "123456789012";
constexpr char kMissingVpc[] = "vpc-0123456789abcdef0";
constexpr char kMissingSubnet[] = "subnet-0123456789abcdef0";
constexpr char kMissingGroup[] = "sg-0123456789abcdef0";
constexpr char kMissingEni[] = "eni-0123456789abcdef0";
// Another account, a tenant of the provider kAccount.
constexpr char kTenant[] = "210987654321";

class NetworkOperationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = PgHarness::Get().NewDatabase();
    storage::Database::Options options;
    options.conninfo = conninfo_;
    options.workers = 2;
    absl::StatusOr<std::unique_ptr<storage::Database>> database = storage::Database::Open(options);
    ASSERT_THAT(database, IsOk());
    database_ = *std::move(database);
    operations_ = std::make_unique<NetworkOperations>(Config{kRegion, kAccount}, database_.get());
    absl::StatusOr<std::unique_ptr<storage::Connection>> connection =
        storage::Connection::Open(conninfo_);
    ASSERT_THAT(connection, IsOk());
    connection_ = *std::move(connection);
  }

  // Queued work refers to the operations object: drain it before that goes away.
  void TearDown() override {
    if (database_ != nullptr) {
      database_->Shutdown();
    }
  }

  // Runs one operation to completion as `caller`; checks `done` ran exactly once.
  template <typename Request, typename Response>
  absl::StatusOr<Response> CallAs(const Caller& caller,
                                  void (NetworkOperations::*method)(const Caller&, const Request&,
                                                                    Done<Response>),
                                  const Request& request) {
    Reply<Response> reply = CallAndWait(*operations_, caller, method, request);
    EXPECT_EQ(reply.calls, 1) << "done must be called exactly once";
    last_on_calling_thread_ = reply.on_calling_thread;
    return reply.result;
  }

  // The same as the fixture's caller, of account kAccount.
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(void (NetworkOperations::*method)(const Caller&, const Request&,
                                                                  Done<Response>),
                                const Request& request) {
    return CallAs(caller_, method, request);
  }

  v1::Vpc Vpc(const std::string& cidr = "10.0.0.0/16") {
    v1::CreateVpcRequest request;
    request.set_cidr_block(cidr);
    absl::StatusOr<v1::CreateVpcResponse> response = Call(&NetworkOperations::CreateVpc, request);
    EXPECT_THAT(response, IsOk());
    return response.ok() ? response->vpc() : v1::Vpc();
  }

  absl::StatusOr<v1::CreateSubnetResponse> CreateSubnet(const std::string& vpc_id,
                                                        const std::string& cidr,
                                                        const std::string& zone = "eu-west-1a") {
    v1::CreateSubnetRequest request;
    request.set_vpc_id(vpc_id);
    request.set_cidr_block(cidr);
    request.set_availability_zone(zone);
    return Call(&NetworkOperations::CreateSubnet, request);
  }

  v1::Subnet Subnet(const std::string& vpc_id, const std::string& cidr) {
    absl::StatusOr<v1::CreateSubnetResponse> response = CreateSubnet(vpc_id, cidr);
    EXPECT_THAT(response, IsOk());
    return response.ok() ? response->subnet() : v1::Subnet();
  }

  absl::StatusOr<v1::DescribeSubnetsResponse> DescribeSubnets(const std::vector<std::string>& ids) {
    v1::DescribeSubnetsRequest request;
    for (const std::string& id : ids) {
      request.add_subnet_ids(id);
    }
    return Call(&NetworkOperations::DescribeSubnets, request);
  }

  absl::StatusOr<v1::CreateSecurityGroupResponse> CreateGroup(const std::string& vpc_id,
                                                              const std::string& name) {
    v1::CreateSecurityGroupRequest request;
    request.set_vpc_id(vpc_id);
    request.set_group_name(name);
    request.set_description("group " + name);
    return Call(&NetworkOperations::CreateSecurityGroup, request);
  }

  absl::StatusOr<v1::DescribeSecurityGroupsResponse> DescribeGroups(
      const std::vector<std::string>& ids, const std::vector<std::string>& names = {}) {
    v1::DescribeSecurityGroupsRequest request;
    for (const std::string& id : ids) {
      request.add_group_ids(id);
    }
    for (const std::string& name : names) {
      request.add_group_names(name);
    }
    return Call(&NetworkOperations::DescribeSecurityGroups, request);
  }

  absl::StatusOr<v1::DescribeAvailabilityZonesResponse> DescribeZones(
      const std::vector<std::string>& names, const Caller& caller) {
    v1::DescribeAvailabilityZonesRequest request;
    for (const std::string& name : names) {
      request.add_zone_names(name);
    }
    return CallAs(caller, &NetworkOperations::DescribeAvailabilityZones, request);
  }

  absl::StatusOr<v1::DescribeNetworkInterfacesResponse> DescribeEnis(
      const std::vector<std::string>& ids, const Caller& caller) {
    v1::DescribeNetworkInterfacesRequest request;
    for (const std::string& id : ids) {
      request.add_network_interface_ids(id);
    }
    return CallAs(caller, &NetworkOperations::DescribeNetworkInterfaces, request);
  }

  // The test's own connection, for building state with storage functions.
  storage::Connection& Storage() { return *connection_; }

  // A host registered in `zone`; its instance id.
  std::string AddHost(const std::string& zone) {
    absl::StatusOr<storage::HostRow> host =
        storage::RegisterHost(Storage(), {zone, {4096, 8192, 200, 16}, "test", "h"});
    EXPECT_THAT(host, IsOk());
    return host.ok() ? host->instance_id : "";
  }

  // A subnet of a new VPC of `account` (made in storage, whoever the caller is).
  storage::SubnetRow SubnetOf(const std::string& account, const std::string& zone) {
    absl::StatusOr<storage::VpcRow> vpc = storage::CreateVpc(Storage(), account, "10.1.0.0/16");
    EXPECT_THAT(vpc, IsOk());
    absl::StatusOr<storage::SubnetRow> subnet =
        storage::CreateSubnet(Storage(), account, vpc.ok() ? vpc->vpc_id : "", "10.1.2.0/24", zone);
    EXPECT_THAT(subnet, IsOk());
    return subnet.ok() ? *subnet : storage::SubnetRow();
  }

  // Commits a task of kTenant placed in `subnet` on a new host of the subnet's zone, as
  // a scheduler round does; the task as committed, with its ENI.
  storage::TaskRow PlaceTenantTask(const storage::SubnetRow& subnet,
                                   std::vector<std::string> group_ids) {
    EXPECT_THAT(EnsureDefaultCluster(Storage(), Config{kRegion, kTenant}), IsOk());
    v1::TaskDefinition web;
    web.set_family("web");
    web.set_cpu("256");
    web.set_memory("512");
    web.set_network_mode("awsvpc");
    web.add_container_definitions()->set_name("app");
    EXPECT_THAT(storage::RegisterTaskDefinition(Storage(), kTenant, web, {}, "test"), IsOk());
    absl::StatusOr<std::vector<storage::HostRow>> hosts =
        storage::GetHosts(Storage(), {AddHost(subnet.availability_zone)});
    EXPECT_THAT(hosts, IsOk());
    if (!hosts.ok() || hosts->size() != 1) {
      return storage::TaskRow();
    }
    storage::NewTask task{.task_id = ids::RandomHex(32),
                          .account_id = kTenant,
                          .cluster = "default",
                          .family = "web",
                          .revision = 1,
                          .group = "family:web",
                          .cpu_units = 256,
                          .memory_mib = 512,
                          .subnet_ids = {subnet.subnet_id},
                          .security_group_ids = std::move(group_ids)};
    task.containers.emplace_back().set_name("app");
    storage::Round round{.region = kRegion};
    round.placements.push_back(
        {task.task_id, (*hosts)[0].host_id, subnet.subnet_id, subnet.availability_zone});
    round.new_tasks.push_back(std::move(task));
    absl::StatusOr<storage::RoundResult> result = storage::CommitRound(Storage(), round);
    EXPECT_THAT(result, IsOk());
    if (!result.ok() || result->tasks.size() != 1 || !result->tasks[0].placement.has_value()) {
      ADD_FAILURE() << "the task was not placed";
      return storage::TaskRow();
    }
    return result->tasks[0];
  }

  std::string conninfo_;
  std::unique_ptr<storage::Database> database_;
  std::unique_ptr<storage::Connection> connection_;
  // An account's own key, in the account the operations print in ARNs.
  Caller caller_{.account_id = kAccount, .role = Caller::Role::kUser};
  Caller tenant_{.account_id = kTenant, .role = Caller::Role::kUser};
  std::unique_ptr<NetworkOperations> operations_;
  bool last_on_calling_thread_ = false;
};

// ---- Validation --------------------------------------------------------------------

TEST_F(NetworkOperationsTest, InvalidRequests_AreRefusedOnTheCallingThread) {
  const std::string long_text(256, 'a');
  auto create_vpc = [](const char* cidr, const char* tenancy) {
    v1::CreateVpcRequest request;
    if (cidr != nullptr) request.set_cidr_block(cidr);
    if (tenancy != nullptr) request.set_instance_tenancy(tenancy);
    return request;
  };
  auto create_subnet = [](const char* vpc, const char* cidr, const std::string& zone) {
    v1::CreateSubnetRequest request;
    if (vpc != nullptr) request.set_vpc_id(vpc);
    if (cidr != nullptr) request.set_cidr_block(cidr);
    if (!zone.empty()) request.set_availability_zone(zone);
    return request;
  };
  auto create_group = [](const std::string& name, const std::string& description, const char* vpc) {
    v1::CreateSecurityGroupRequest request;
    if (!name.empty()) request.set_group_name(name);
    if (!description.empty()) request.set_description(description);
    if (vpc != nullptr) request.set_vpc_id(vpc);
    return request;
  };
  using Invoke = std::function<absl::Status()>;
  auto call = [this](auto method, auto request) -> Invoke {
    return [this, method, request] { return Call(method, request).status(); };
  };
  v1::DescribeSubnetsRequest bad_subnet_ids;
  bad_subnet_ids.add_subnet_ids(kMissingSubnet);
  bad_subnet_ids.add_subnet_ids("sg-01234567");
  v1::DescribeSubnetsRequest too_many_subnet_ids;
  for (int i = 0; i < 1001; ++i) too_many_subnet_ids.add_subnet_ids(kMissingSubnet);
  v1::DescribeVpcsRequest empty_vpc_id;
  empty_vpc_id.add_vpc_ids("");
  v1::DescribeVpcsRequest upper_vpc_id;
  upper_vpc_id.add_vpc_ids("vpc-0123456789ABCDEF0");
  v1::DescribeSecurityGroupsRequest bad_group_id;
  bad_group_id.add_group_ids("subnet-01234567");
  v1::DescribeSecurityGroupsRequest empty_group_name;
  empty_group_name.add_group_names("web");
  empty_group_name.add_group_names("");
  v1::DeleteSubnetRequest no_subnet_id;
  v1::DeleteSubnetRequest bad_subnet_id;
  bad_subnet_id.set_subnet_id("subnet-xyz");
  v1::DescribeAvailabilityZonesRequest bad_zone_name;
  bad_zone_name.add_zone_names("eu-west-1a");
  bad_zone_name.add_zone_names("EU-WEST-1A");
  v1::DescribeAvailabilityZonesRequest empty_zone_name;
  empty_zone_name.add_zone_names("");
  v1::DescribeAvailabilityZonesRequest too_many_zone_names;
  for (int i = 0; i < 1001; ++i) {
    too_many_zone_names.add_zone_names("eu-west-1a");
  }
  v1::DescribeNetworkInterfacesRequest bad_eni_ids;
  bad_eni_ids.add_network_interface_ids(kMissingEni);
  bad_eni_ids.add_network_interface_ids("subnet-01234567");
  v1::DescribeNetworkInterfacesRequest short_eni_id;
  short_eni_id.add_network_interface_ids("eni-xyz");

  struct Case {
    const char* name;
    Invoke invoke;
    const char* want;
  };
  const Case cases[] = {
      {"vpc without block", call(&NetworkOperations::CreateVpc, create_vpc(nullptr, nullptr)),
       "CidrBlock: required"},
      {"vpc /8", call(&NetworkOperations::CreateVpc, create_vpc("10.0.0.0/8", nullptr)),
       "CidrBlock: \"10.0.0.0/8\" has prefix /8; use a prefix between /16 and /28"},
      {"vpc /29", call(&NetworkOperations::CreateVpc, create_vpc("10.0.0.0/29", nullptr)),
       "CidrBlock: \"10.0.0.0/29\" has prefix /29; use a prefix between /16 and /28"},
      {"vpc bad octet", call(&NetworkOperations::CreateVpc, create_vpc("10.0.0.256/16", nullptr)),
       "CidrBlock: \"10.0.0.256/16\" is not a CIDR block: address part 4 (\"256\") is above 255"},
      {"vpc no prefix", call(&NetworkOperations::CreateVpc, create_vpc("10.0.0.0", nullptr)),
       "CidrBlock: \"10.0.0.0\" is not a CIDR block: missing \"/prefix\""},
      {"vpc dedicated", call(&NetworkOperations::CreateVpc, create_vpc("10.0.0.0/16", "dedicated")),
       "InstanceTenancy: \"dedicated\" is not supported; use \"default\""},
      {"subnet bad vpc id",
       call(&NetworkOperations::CreateSubnet, create_subnet("vpc-zz", "10.0.0.0/24", "eu-west-1a")),
       "VpcId: \"vpc-zz\" is not a VPC id (vpc- followed by 8 or 17 hex digits)"},
      {"subnet 9 hex digits",
       call(&NetworkOperations::CreateSubnet,
            create_subnet("vpc-012345678", "10.0.0.0/24", "eu-west-1a")),
       "VpcId: \"vpc-012345678\" is not a VPC id"},
      {"subnet without zone",
       call(&NetworkOperations::CreateSubnet, create_subnet(kMissingVpc, "10.0.0.0/24", "")),
       "AvailabilityZone: required"},
      {"subnet upper-case zone",
       call(&NetworkOperations::CreateSubnet,
            create_subnet(kMissingVpc, "10.0.0.0/24", "EU-WEST-1A")),
       "AvailabilityZone: \"EU-WEST-1A\" is not an availability zone name; use up to 64 "
       "lowercase letters, digits and '-'"},
      {"subnet long zone",
       call(&NetworkOperations::CreateSubnet,
            create_subnet(kMissingVpc, "10.0.0.0/24", std::string(65, 'a'))),
       "AvailabilityZone: \"aaaa"},
      {"subnet /30",
       call(&NetworkOperations::CreateSubnet,
            create_subnet(kMissingVpc, "10.0.0.0/30", "eu-west-1a")),
       "CidrBlock: \"10.0.0.0/30\" has prefix /30"},
      {"subnet everything missing",
       call(&NetworkOperations::CreateSubnet, create_subnet(nullptr, nullptr, "")),
       "VpcId: required\nCidrBlock: required\nAvailabilityZone: required"},
      {"describe subnets bad id", call(&NetworkOperations::DescribeSubnets, bad_subnet_ids),
       "SubnetIds[1]: \"sg-01234567\" is not a subnet id (subnet- followed by 8 or 17 hex "
       "digits)"},
      {"describe subnets too many", call(&NetworkOperations::DescribeSubnets, too_many_subnet_ids),
       "SubnetIds: 1001 ids given; give at most 1000"},
      {"describe vpcs empty id", call(&NetworkOperations::DescribeVpcs, empty_vpc_id),
       "VpcIds[0]: required"},
      {"describe vpcs upper-case id", call(&NetworkOperations::DescribeVpcs, upper_vpc_id),
       "VpcIds[0]: \"vpc-0123456789ABCDEF0\" is not a VPC id"},
      {"describe groups bad id", call(&NetworkOperations::DescribeSecurityGroups, bad_group_id),
       "GroupIds[0]: \"subnet-01234567\" is not a security group id (sg- followed by"},
      {"describe groups empty name",
       call(&NetworkOperations::DescribeSecurityGroups, empty_group_name),
       "GroupNames[1]: must not be empty"},
      {"delete without id", call(&NetworkOperations::DeleteSubnet, no_subnet_id),
       "SubnetId: required"},
      {"delete bad id", call(&NetworkOperations::DeleteSubnet, bad_subnet_id),
       "SubnetId: \"subnet-xyz\" is not a subnet id"},
      {"group without name",
       call(&NetworkOperations::CreateSecurityGroup, create_group("", "d", kMissingVpc)),
       "GroupName: required"},
      {"group long name",
       call(&NetworkOperations::CreateSecurityGroup, create_group(long_text, "d", kMissingVpc)),
       "GroupName: 256 characters; use up to 255 characters"},
      {"group sg- name",
       call(&NetworkOperations::CreateSecurityGroup, create_group("sg-web", "d", kMissingVpc)),
       "GroupName: \"sg-web\" may not start with \"sg-\""},
      {"group SG- name",
       call(&NetworkOperations::CreateSecurityGroup, create_group("SG-web", "d", kMissingVpc)),
       "GroupName: \"SG-web\" may not start with \"sg-\""},
      {"group name with newline",
       call(&NetworkOperations::CreateSecurityGroup, create_group("web\nx", "d", kMissingVpc)),
       "GroupName: \"web\nx\" has a character that is not allowed; use letters, digits, spaces "
       "and ._-:/()#,@[]+=&;{}!$*"},
      {"group without description",
       call(&NetworkOperations::CreateSecurityGroup, create_group("web", "", kMissingVpc)),
       "Description: required"},
      {"group long description",
       call(&NetworkOperations::CreateSecurityGroup, create_group("web", long_text, kMissingVpc)),
       "Description: 256 characters; use up to 255 characters"},
      {"group without vpc",
       call(&NetworkOperations::CreateSecurityGroup, create_group("web", "d", nullptr)),
       "VpcId: required"},
      {"describe zones bad name",
       call(&NetworkOperations::DescribeAvailabilityZones, bad_zone_name),
       "ZoneNames[1]: \"EU-WEST-1A\" is not an availability zone name; use up to 64 lowercase "
       "letters, digits and '-'"},
      {"describe zones empty name",
       call(&NetworkOperations::DescribeAvailabilityZones, empty_zone_name),
       "ZoneNames[0]: required"},
      {"describe zones too many",
       call(&NetworkOperations::DescribeAvailabilityZones, too_many_zone_names),
       "ZoneNames: 1001 names given; give at most 1000"},
      {"describe enis another kind of id",
       call(&NetworkOperations::DescribeNetworkInterfaces, bad_eni_ids),
       "NetworkInterfaceIds[1]: \"subnet-01234567\" is not a network interface id (eni- "
       "followed by 8 or 17 hex digits)"},
      {"describe enis short id", call(&NetworkOperations::DescribeNetworkInterfaces, short_eni_id),
       "NetworkInterfaceIds[0]: \"eni-xyz\" is not a network interface id"},
      {"group everything wrong",
       call(&NetworkOperations::CreateSecurityGroup, create_group("sg-x", "", "vpc-1")),
       "GroupName: \"sg-x\" may not start with \"sg-\"\nDescription: required\nVpcId: \"vpc-1\" "
       "is not a VPC id"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(c.invoke(), StatusIs(kInvalid, c.want));
    EXPECT_TRUE(last_on_calling_thread_) << "refused before reaching the database";
  }
}

// ---- VPCs --------------------------------------------------------------------------

TEST_F(NetworkOperationsTest, CreateVpc_ReturnsEc2Shape_WithCanonicalBlock) {
  v1::CreateVpcRequest request;
  request.set_cidr_block("100.68.0.18/18");
  request.set_instance_tenancy("default");
  absl::StatusOr<v1::CreateVpcResponse> response = Call(&NetworkOperations::CreateVpc, request);
  ASSERT_THAT(response, IsOk());
  EXPECT_FALSE(last_on_calling_thread_) << "database work runs on a worker";
  const v1::Vpc& vpc = response->vpc();
  EXPECT_THAT(vpc.vpc_id(), MatchesRegex("vpc-[0-9a-f]{17}"));
  EXPECT_EQ(vpc.state(), "available");
  EXPECT_EQ(vpc.cidr_block(), "100.68.0.0/18");
  EXPECT_EQ(vpc.owner_id(), kAccount);
  EXPECT_EQ(vpc.instance_tenancy(), "default");
  ASSERT_TRUE(vpc.has_is_default());
  EXPECT_FALSE(vpc.is_default());

  v1::DescribeVpcsRequest describe;
  describe.add_vpc_ids(vpc.vpc_id());
  absl::StatusOr<v1::DescribeVpcsResponse> described =
      Call(&NetworkOperations::DescribeVpcs, describe);
  ASSERT_THAT(described, IsOk());
  ASSERT_EQ(described->vpcs_size(), 1);
  EXPECT_EQ(described->vpcs(0).SerializeAsString(), vpc.SerializeAsString());

  // Its default security group came with it.
  absl::StatusOr<v1::DescribeSecurityGroupsResponse> groups = DescribeGroups({}, {"default"});
  ASSERT_THAT(groups, IsOk());
  ASSERT_EQ(groups->security_groups_size(), 1);
  EXPECT_EQ(groups->security_groups(0).vpc_id(), vpc.vpc_id());
  EXPECT_EQ(groups->security_groups(0).description(), "default VPC security group");
}

TEST_F(NetworkOperationsTest, DescribeVpcs_NoIdsAllById_MissingIdNotFound) {
  std::vector<std::string> ids = {Vpc().vpc_id(), Vpc().vpc_id()};
  std::sort(ids.begin(), ids.end());
  absl::StatusOr<v1::DescribeVpcsResponse> all =
      Call(&NetworkOperations::DescribeVpcs, v1::DescribeVpcsRequest());
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->vpcs_size(), 2);
  EXPECT_EQ(all->vpcs(0).vpc_id(), ids[0]);
  EXPECT_EQ(all->vpcs(1).vpc_id(), ids[1]);

  v1::DescribeVpcsRequest request;
  request.add_vpc_ids(ids[1]);
  request.add_vpc_ids(kMissingVpc);
  EXPECT_THAT(Call(&NetworkOperations::DescribeVpcs, request),
              StatusIs(kNotFound, "VpcIds[1]: The vpc ID 'vpc-0123456789abcdef0' does not exist"));
}

// ---- Subnets -----------------------------------------------------------------------

TEST_F(NetworkOperationsTest, CreateSubnet_ReturnsEc2Shape) {
  v1::Vpc vpc = Vpc();
  absl::StatusOr<v1::CreateSubnetResponse> response = CreateSubnet(vpc.vpc_id(), "10.0.1.9/24");
  ASSERT_THAT(response, IsOk());
  const v1::Subnet& subnet = response->subnet();
  EXPECT_THAT(subnet.subnet_id(), MatchesRegex("subnet-[0-9a-f]{17}"));
  EXPECT_EQ(subnet.vpc_id(), vpc.vpc_id());
  EXPECT_EQ(subnet.cidr_block(), "10.0.1.0/24");
  EXPECT_EQ(subnet.availability_zone(), "eu-west-1a");
  EXPECT_EQ(subnet.available_ip_address_count(), 251);
  EXPECT_EQ(subnet.state(), "available");
  ASSERT_TRUE(subnet.has_default_for_az());
  EXPECT_FALSE(subnet.default_for_az());
  ASSERT_TRUE(subnet.has_map_public_ip_on_launch());
  EXPECT_FALSE(subnet.map_public_ip_on_launch());
  EXPECT_EQ(subnet.owner_id(), kAccount);
  EXPECT_EQ(subnet.subnet_arn(), "arn:aws:ec2:eu-west-1:123456789012:subnet/" + subnet.subnet_id());

  EXPECT_EQ(Subnet(vpc.vpc_id(), "10.0.2.0/28").available_ip_address_count(), 11);
  EXPECT_EQ(Subnet(Vpc("10.1.0.0/16").vpc_id(), "10.1.0.0/16").available_ip_address_count(), 65531);
}

TEST_F(NetworkOperationsTest, CreateSubnet_StateRules_ReportedToTheCaller) {
  v1::Vpc vpc = Vpc("10.0.0.0/20");
  v1::Subnet existing = Subnet(vpc.vpc_id(), "10.0.0.0/24");
  EXPECT_THAT(CreateSubnet(kMissingVpc, "10.0.0.0/24"),
              StatusIs(kNotFound, "VpcId: vpc-0123456789abcdef0 does not exist"));
  EXPECT_THAT(CreateSubnet(vpc.vpc_id(), "10.0.16.0/24"),
              StatusIs(kInvalid, "CidrBlock: \"10.0.16.0/24\" is not within " + vpc.vpc_id() +
                                     "'s CIDR block 10.0.0.0/20"));
  EXPECT_THAT(CreateSubnet(vpc.vpc_id(), "10.0.0.128/25"),
              StatusIs(kInvalid, "CidrBlock: \"10.0.0.128/25\" overlaps " + existing.subnet_id() +
                                     " (10.0.0.0/24)"));
  EXPECT_FALSE(last_on_calling_thread_);
}

TEST_F(NetworkOperationsTest, DescribeSubnets_AllOrByIds_CountsAddressesInUse) {
  v1::Vpc vpc = Vpc();
  std::vector<std::string> ids = {Subnet(vpc.vpc_id(), "10.0.0.0/24").subnet_id(),
                                  Subnet(vpc.vpc_id(), "10.0.1.0/28").subnet_id()};
  {
    pqxx::connection admin(conninfo_);
    pqxx::work tx(admin);
    tx.exec_params0("UPDATE subnets SET addresses_in_use = 3 WHERE subnet_id = $1", ids[0]);
    tx.commit();
  }
  absl::StatusOr<v1::DescribeSubnetsResponse> all = DescribeSubnets({});
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->subnets_size(), 2);
  EXPECT_LT(all->subnets(0).subnet_id(), all->subnets(1).subnet_id());

  absl::StatusOr<v1::DescribeSubnetsResponse> one = DescribeSubnets({ids[0]});
  ASSERT_THAT(one, IsOk());
  ASSERT_EQ(one->subnets_size(), 1);
  EXPECT_EQ(one->subnets(0).available_ip_address_count(), 248);

  EXPECT_THAT(
      DescribeSubnets({ids[1], ids[0], kMissingSubnet}),
      StatusIs(kNotFound, "SubnetIds[2]: The subnet ID 'subnet-0123456789abcdef0' does not exist"));
}

TEST_F(NetworkOperationsTest, DescribeSubnetsResponse_PrintsEc2JsonNames) {
  v1::Subnet subnet = Subnet(Vpc().vpc_id(), "10.0.0.0/24");
  absl::StatusOr<v1::DescribeSubnetsResponse> response = DescribeSubnets({subnet.subnet_id()});
  ASSERT_THAT(response, IsOk());
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(*response, &json).ok());
  EXPECT_THAT(json, StartsWith("{\"Subnets\":[{\"SubnetId\":\"" + subnet.subnet_id() + "\","));
  for (const char* member :
       {"\"VpcId\":\"vpc-", "\"CidrBlock\":\"10.0.0.0/24\"", "\"AvailabilityZone\":\"eu-west-1a\"",
        "\"AvailableIpAddressCount\":251", "\"State\":\"available\"", "\"DefaultForAz\":false",
        "\"MapPublicIpOnLaunch\":false", "\"OwnerId\":\"123456789012\"",
        "\"SubnetArn\":\"arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-"}) {
    EXPECT_THAT(json, HasSubstr(member));
  }
}

TEST_F(NetworkOperationsTest, DeleteSubnet_InUseRefused_ThenDeleted) {
  v1::Subnet subnet = Subnet(Vpc().vpc_id(), "10.0.0.0/24");
  v1::DeleteSubnetRequest request;
  request.set_subnet_id(subnet.subnet_id());
  {
    pqxx::connection admin(conninfo_);
    pqxx::work tx(admin);
    tx.exec_params0("UPDATE subnets SET addresses_in_use = 2 WHERE subnet_id = $1",
                    subnet.subnet_id());
    tx.commit();
  }
  EXPECT_THAT(Call(&NetworkOperations::DeleteSubnet, request),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       subnet.subnet_id() + " has 2 addresses in use; stop its tasks first"));
  {
    pqxx::connection admin(conninfo_);
    pqxx::work tx(admin);
    tx.exec_params0("UPDATE subnets SET addresses_in_use = 0 WHERE subnet_id = $1",
                    subnet.subnet_id());
    tx.commit();
  }
  EXPECT_THAT(Call(&NetworkOperations::DeleteSubnet, request), IsOk());
  EXPECT_THAT(DescribeSubnets({subnet.subnet_id()}), StatusIs(kNotFound, "SubnetIds[0]"));
  EXPECT_THAT(Call(&NetworkOperations::DeleteSubnet, request),
              StatusIs(kNotFound, "SubnetId: " + subnet.subnet_id() + " does not exist"));
}

// ---- Security groups ---------------------------------------------------------------

TEST_F(NetworkOperationsTest, CreateSecurityGroup_ReturnsIdAndArn_DescribedInEc2Shape) {
  v1::Vpc vpc = Vpc();
  absl::StatusOr<v1::CreateSecurityGroupResponse> created = CreateGroup(vpc.vpc_id(), "web");
  ASSERT_THAT(created, IsOk());
  EXPECT_THAT(created->group_id(), MatchesRegex("sg-[0-9a-f]{17}"));
  EXPECT_EQ(created->security_group_arn(),
            "arn:aws:ec2:eu-west-1:123456789012:security-group/" + created->group_id());

  absl::StatusOr<v1::DescribeSecurityGroupsResponse> described =
      DescribeGroups({created->group_id()});
  ASSERT_THAT(described, IsOk());
  ASSERT_EQ(described->security_groups_size(), 1);
  const v1::SecurityGroup& group = described->security_groups(0);
  EXPECT_EQ(group.group_id(), created->group_id());
  EXPECT_EQ(group.group_name(), "web");
  EXPECT_EQ(group.description(), "group web");
  EXPECT_EQ(group.vpc_id(), vpc.vpc_id());
  EXPECT_EQ(group.owner_id(), kAccount);
  EXPECT_EQ(group.security_group_arn(), created->security_group_arn());

  EXPECT_THAT(CreateGroup(vpc.vpc_id(), "WEB"),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       "GroupName: \"WEB\" already exists in " + vpc.vpc_id()));
  EXPECT_THAT(CreateGroup(kMissingVpc, "web"),
              StatusIs(kNotFound, "VpcId: vpc-0123456789abcdef0 does not exist"));
}

TEST_F(NetworkOperationsTest, DescribeSecurityGroups_IdsAndNames_FilterOrNotFound) {
  v1::Vpc first = Vpc();
  v1::Vpc second = Vpc();
  absl::StatusOr<v1::CreateSecurityGroupResponse> web = CreateGroup(first.vpc_id(), "Web");
  ASSERT_THAT(web, IsOk());

  absl::StatusOr<v1::DescribeSecurityGroupsResponse> all = DescribeGroups({});
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->security_groups_size(), 3);  // two defaults and "Web"
  EXPECT_LT(all->security_groups(0).group_id(), all->security_groups(1).group_id());
  EXPECT_LT(all->security_groups(1).group_id(), all->security_groups(2).group_id());

  absl::StatusOr<v1::DescribeSecurityGroupsResponse> defaults = DescribeGroups({}, {"default"});
  ASSERT_THAT(defaults, IsOk());
  std::vector<std::string> vpcs;
  for (const v1::SecurityGroup& group : defaults->security_groups()) {
    EXPECT_EQ(group.group_name(), "default");
    vpcs.push_back(group.vpc_id());
  }
  std::sort(vpcs.begin(), vpcs.end());
  std::vector<std::string> want = {first.vpc_id(), second.vpc_id()};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(vpcs, want);

  absl::StatusOr<v1::DescribeSecurityGroupsResponse> by_name = DescribeGroups({}, {"web"});
  ASSERT_THAT(by_name, IsOk());
  ASSERT_EQ(by_name->security_groups_size(), 1);
  EXPECT_EQ(by_name->security_groups(0).group_id(), web->group_id());

  absl::StatusOr<v1::DescribeSecurityGroupsResponse> both =
      DescribeGroups({web->group_id()}, {"default"});
  EXPECT_THAT(both, StatusIs(kNotFound,
                             "GroupNames[0]: The security group 'default' does not "
                             "exist"));

  EXPECT_THAT(DescribeGroups({web->group_id(), kMissingGroup}),
              StatusIs(kNotFound,
                       "GroupIds[1]: The security group 'sg-0123456789abcdef0' does "
                       "not exist"));
  EXPECT_THAT(DescribeGroups({}, {"db"}),
              StatusIs(kNotFound, "GroupNames[0]: The security group 'db' does not exist"));
}

// ---- Availability zones -------------------------------------------------------------

std::vector<std::string> ZoneNames(const v1::DescribeAvailabilityZonesResponse& response) {
  std::vector<std::string> names;
  for (const v1::AvailabilityZone& zone : response.availability_zones()) {
    names.push_back(zone.zone_name());
  }
  return names;
}

TEST_F(NetworkOperationsTest, DescribeAvailabilityZones_LiveHostsAndOwnSubnets_SortedEc2Shape) {
  absl::StatusOr<v1::DescribeAvailabilityZonesResponse> none = DescribeZones({}, caller_);
  ASSERT_THAT(none, IsOk());
  EXPECT_THAT(none->availability_zones(), IsEmpty());

  // The fleet is every account's; an INACTIVE host's zone is not a zone any more.
  AddHost("eu-west-1b");
  AddHost("eu-west-1b");
  const std::string draining = AddHost("eu-west-1d");
  ASSERT_THAT(storage::UpdateHostStatus(Storage(), {draining}, "DRAINING"), IsOk());
  const std::string retired = AddHost("eu-west-1c");
  {
    pqxx::connection admin(conninfo_);
    pqxx::work tx(admin);
    tx.exec_params0("UPDATE hosts SET status = 'INACTIVE' WHERE instance_id = $1", retired);
    tx.commit();
  }
  // Subnets count for their own account only.
  Subnet(Vpc().vpc_id(), "10.0.0.0/24");  // eu-west-1a
  SubnetOf(kTenant, "eu-west-1e");

  absl::StatusOr<v1::DescribeAvailabilityZonesResponse> mine = DescribeZones({}, caller_);
  ASSERT_THAT(mine, IsOk());
  EXPECT_FALSE(last_on_calling_thread_) << "database work runs on a worker";
  EXPECT_THAT(ZoneNames(*mine), ElementsAre("eu-west-1a", "eu-west-1b", "eu-west-1d"));
  absl::StatusOr<v1::DescribeAvailabilityZonesResponse> theirs = DescribeZones({}, tenant_);
  ASSERT_THAT(theirs, IsOk());
  EXPECT_THAT(ZoneNames(*theirs), ElementsAre("eu-west-1b", "eu-west-1d", "eu-west-1e"));

  const v1::AvailabilityZone& zone = mine->availability_zones(0);
  EXPECT_EQ(zone.zone_id(), "eu-west-1a");
  EXPECT_EQ(zone.state(), "available");
  EXPECT_EQ(zone.region_name(), kRegion);
  EXPECT_EQ(zone.zone_type(), "availability-zone");
  EXPECT_EQ(zone.opt_in_status(), "opt-in-not-required");
  EXPECT_EQ(zone.group_name(), kRegion);
  EXPECT_EQ(zone.network_border_group(), kRegion);
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(*mine, &json).ok());
  EXPECT_THAT(json,
              StartsWith("{\"AvailabilityZones\":[{\"ZoneName\":\"eu-west-1a\","
                         "\"ZoneId\":\"eu-west-1a\",\"State\":\"available\","
                         "\"RegionName\":\"eu-west-1\",\"ZoneType\":\"availability-zone\","
                         "\"OptInStatus\":\"opt-in-not-required\",\"GroupName\":\"eu-west-1\","
                         "\"NetworkBorderGroup\":\"eu-west-1\"}"));
}

TEST_F(NetworkOperationsTest, DescribeAvailabilityZones_ZoneNames_FilterOrNotFound) {
  AddHost("eu-west-1b");
  Subnet(Vpc().vpc_id(), "10.0.0.0/24");  // eu-west-1a
  SubnetOf(kTenant, "eu-west-1e");

  absl::StatusOr<v1::DescribeAvailabilityZonesResponse> named =
      DescribeZones({"eu-west-1b", "eu-west-1a", "eu-west-1b"}, caller_);
  ASSERT_THAT(named, IsOk());
  EXPECT_THAT(ZoneNames(*named), ElementsAre("eu-west-1a", "eu-west-1b"));

  v1::DescribeAvailabilityZonesRequest all;
  all.set_all_availability_zones(true);
  absl::StatusOr<v1::DescribeAvailabilityZonesResponse> everything =
      Call(&NetworkOperations::DescribeAvailabilityZones, all);
  ASSERT_THAT(everything, IsOk());
  EXPECT_THAT(ZoneNames(*everything), ElementsAre("eu-west-1a", "eu-west-1b"));

  // Another account's subnet makes no zone for this one.
  EXPECT_THAT(
      DescribeZones({"eu-west-1a", "eu-west-1e"}, caller_),
      StatusIs(kNotFound, "ZoneNames[1]: The availability zone 'eu-west-1e' does not exist"));
  EXPECT_THAT(
      DescribeZones({"eu-west-1z"}, tenant_),
      StatusIs(kNotFound, "ZoneNames[0]: The availability zone 'eu-west-1z' does not exist"));
}

// ---- Network interfaces -------------------------------------------------------------

TEST_F(NetworkOperationsTest, DescribeNetworkInterfaces_TaskEniInEc2Shape_OwnAccountOnly) {
  const storage::SubnetRow subnet = SubnetOf(kTenant, "eu-west-1a");
  absl::StatusOr<storage::SecurityGroupRow> web =
      storage::CreateSecurityGroup(Storage(), kTenant, subnet.vpc_id, "web", "web tasks");
  ASSERT_THAT(web, IsOk());
  absl::StatusOr<std::vector<storage::SecurityGroupRow>> groups =
      storage::GetSecurityGroups(Storage(), kTenant, {});
  ASSERT_THAT(groups, IsOk());
  std::string default_group;
  for (const storage::SecurityGroupRow& group : *groups) {
    if (group.group_name == "default") {
      default_group = group.group_id;
    }
  }
  const storage::TaskRow task = PlaceTenantTask(subnet, {web->group_id, default_group});
  ASSERT_TRUE(task.placement.has_value());
  const storage::TaskPlacement& placed = *task.placement;

  absl::StatusOr<v1::DescribeNetworkInterfacesResponse> all = DescribeEnis({}, tenant_);
  ASSERT_THAT(all, IsOk());
  EXPECT_FALSE(last_on_calling_thread_) << "database work runs on a worker";
  ASSERT_EQ(all->network_interfaces_size(), 1);
  const v1::Ec2NetworkInterface& eni = all->network_interfaces(0);
  EXPECT_THAT(eni.network_interface_id(), MatchesRegex("eni-[0-9a-f]{17}"));
  EXPECT_EQ(eni.network_interface_id(), placed.eni_id);
  EXPECT_EQ(eni.subnet_id(), subnet.subnet_id);
  EXPECT_EQ(eni.vpc_id(), subnet.vpc_id);
  EXPECT_EQ(eni.availability_zone(), "eu-west-1a");
  EXPECT_EQ(eni.description(),
            "arn:aws:ecs:eu-west-1:210987654321:attachment/" + placed.attachment_id);
  EXPECT_EQ(eni.owner_id(), kTenant);
  EXPECT_EQ(eni.requester_id(), kAccount) << "the provider's account made it";
  EXPECT_TRUE(eni.requester_managed());
  EXPECT_EQ(eni.status(), "in-use");
  EXPECT_THAT(eni.mac_address(), MatchesRegex("([0-9a-f]{2}:){5}[0-9a-f]{2}"));
  EXPECT_EQ(eni.mac_address(), placed.mac_address);
  EXPECT_THAT(eni.private_ip_address(), StartsWith("10.1.2."));
  EXPECT_EQ(eni.private_ip_address(), placed.private_ipv4);
  EXPECT_THAT(eni.private_dns_name(), EndsWith(".eu-west-1.compute.internal"));
  EXPECT_EQ(eni.private_dns_name(), placed.private_dns_name);
  ASSERT_EQ(eni.private_ip_addresses_size(), 1);
  EXPECT_TRUE(eni.private_ip_addresses(0).primary());
  EXPECT_EQ(eni.private_ip_addresses(0).private_ip_address(), placed.private_ipv4);
  EXPECT_EQ(eni.private_ip_addresses(0).private_dns_name(), placed.private_dns_name);
  ASSERT_EQ(eni.groups_size(), 2);
  EXPECT_EQ(eni.groups(0).group_id(), web->group_id);
  EXPECT_EQ(eni.groups(0).group_name(), "web");
  EXPECT_EQ(eni.groups(1).group_id(), default_group);
  EXPECT_EQ(eni.groups(1).group_name(), "default");
  EXPECT_EQ(eni.interface_type(), "interface");
  EXPECT_TRUE(eni.source_dest_check());

  absl::StatusOr<v1::DescribeNetworkInterfacesResponse> by_id =
      DescribeEnis({placed.eni_id}, tenant_);
  ASSERT_THAT(by_id, IsOk());
  ASSERT_EQ(by_id->network_interfaces_size(), 1);
  EXPECT_EQ(by_id->network_interfaces(0).SerializeAsString(), eni.SerializeAsString());
  EXPECT_THAT(DescribeEnis({placed.eni_id, kMissingEni}, tenant_),
              StatusIs(kNotFound,
                       "NetworkInterfaceIds[1]: The networkInterface ID "
                       "'eni-0123456789abcdef0' does not exist"));

  // Another account sees nothing of it.
  absl::StatusOr<v1::DescribeNetworkInterfacesResponse> others = DescribeEnis({}, caller_);
  ASSERT_THAT(others, IsOk());
  EXPECT_THAT(others->network_interfaces(), IsEmpty());
  EXPECT_THAT(DescribeEnis({placed.eni_id}, caller_),
              StatusIs(kNotFound, "NetworkInterfaceIds[0]: The networkInterface ID '" +
                                      placed.eni_id + "' does not exist"));

  // Stopping the task (never delivered: at once) releases the ENI.
  ASSERT_THAT(
      storage::StopTask(Storage(), kTenant, "default", task.spec.task_id, "UserInitiated", "done"),
      IsOk());
  absl::StatusOr<v1::DescribeNetworkInterfacesResponse> after = DescribeEnis({}, tenant_);
  ASSERT_THAT(after, IsOk());
  EXPECT_THAT(after->network_interfaces(), IsEmpty());
  EXPECT_THAT(DescribeEnis({placed.eni_id}, tenant_),
              StatusIs(kNotFound, "NetworkInterfaceIds[0]: The networkInterface ID"));
}

TEST_F(NetworkOperationsTest, DescribeNetworkInterfacesResponse_PrintsEc2JsonNames) {
  const storage::SubnetRow subnet = SubnetOf(kTenant, "eu-west-1a");
  const storage::TaskRow task = PlaceTenantTask(subnet, {kMissingGroup});
  ASSERT_TRUE(task.placement.has_value());
  absl::StatusOr<v1::DescribeNetworkInterfacesResponse> response = DescribeEnis({}, tenant_);
  ASSERT_THAT(response, IsOk());
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(*response, &json).ok());
  EXPECT_THAT(json, StartsWith("{\"NetworkInterfaces\":[{\"NetworkInterfaceId\":\"" +
                               task.placement->eni_id + "\",\"SubnetId\":\"" + subnet.subnet_id +
                               "\",\"VpcId\":\"" + subnet.vpc_id + "\","));
  for (const std::string& member :
       {std::string("\"AvailabilityZone\":\"eu-west-1a\""), std::string("\"OwnerId\":\"") + kTenant,
        std::string("\"RequesterId\":\"") + kAccount, std::string("\"RequesterManaged\":true"),
        std::string("\"Status\":\"in-use\""), std::string("\"MacAddress\":\""),
        std::string("\"PrivateIpAddress\":\"10.1.2."),
        std::string("\"PrivateIpAddresses\":[{\"Primary\":true,\"PrivateIpAddress\":\"10.1.2."),
        // A group id the account has no group of (storage does not check them) has no name.
        std::string("\"Groups\":[{\"GroupId\":\"sg-0123456789abcdef0\"}]"),
        std::string("\"InterfaceType\":\"interface\""), std::string("\"SourceDestCheck\":true")}) {
    EXPECT_THAT(json, HasSubstr(member));
  }
}

// ---- Filters --------------------------------------------------------------------------

void AddFilter(google::protobuf::RepeatedPtrField<v1::Filter>* filters, const std::string& name,
               const std::vector<std::string>& values) {
  v1::Filter* filter = filters->Add();
  filter->set_name(name);
  for (const std::string& value : values) {
    filter->add_values(value);
  }
}

std::vector<std::string> SubnetIds(const v1::DescribeSubnetsResponse& response) {
  std::vector<std::string> ids;
  for (const v1::Subnet& subnet : response.subnets()) {
    ids.push_back(subnet.subnet_id());
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST_F(NetworkOperationsTest, Describe_Filters_NarrowWhatTheReadFound) {
  const v1::Vpc first = Vpc("10.0.0.0/16");
  const v1::Vpc second = Vpc("10.1.0.0/16");
  const std::string a = Subnet(first.vpc_id(), "10.0.1.0/24").subnet_id();  // eu-west-1a
  absl::StatusOr<v1::CreateSubnetResponse> b =
      CreateSubnet(first.vpc_id(), "10.0.2.0/24", "eu-west-1b");
  ASSERT_THAT(b, IsOk());
  absl::StatusOr<v1::CreateSubnetResponse> c =
      CreateSubnet(second.vpc_id(), "10.1.1.0/24", "eu-west-1b");
  ASSERT_THAT(c, IsOk());
  // Another account's subnet in the same zone never shows up.
  SubnetOf(kTenant, "eu-west-1b");

  struct Case {
    std::string name;
    std::vector<std::string> ids;
    std::vector<std::pair<std::string, std::vector<std::string>>> filters;
    std::vector<std::string> want;
  };
  std::vector<std::string> first_two = {a, b->subnet().subnet_id()};
  std::sort(first_two.begin(), first_two.end());
  const std::vector<Case> cases = {
      {"by vpc, as scripts find a VPC's subnets", {}, {{"vpc-id", {first.vpc_id()}}}, first_two},
      {"values OR'ed",
       {},
       {{"subnet-id", {a, c->subnet().subnet_id()}}},
       [&] {
         std::vector<std::string> ids = {a, c->subnet().subnet_id()};
         std::sort(ids.begin(), ids.end());
         return ids;
       }()},
      {"filters AND'ed",
       {},
       {{"vpc-id", {first.vpc_id()}}, {"availability-zone", {"eu-west-1b"}}},
       {b->subnet().subnet_id()}},
      {"wildcard on the block", {}, {{"cidr-block", {"10.1.*"}}}, {c->subnet().subnet_id()}},
      {"owner", {}, {{"owner-id", {kTenant}}}, {}},
      {"ids and filters intersect", {a}, {{"availability-zone", {"eu-west-1b"}}}, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::DescribeSubnetsRequest request;
    for (const std::string& id : c.ids) {
      request.add_subnet_ids(id);
    }
    for (const auto& [name, values] : c.filters) {
      AddFilter(request.mutable_filters(), name, values);
    }
    absl::StatusOr<v1::DescribeSubnetsResponse> response =
        Call(&NetworkOperations::DescribeSubnets, request);
    ASSERT_THAT(response, IsOk());
    EXPECT_EQ(SubnetIds(*response), c.want);
  }

  // An id that does not exist is still NOT_FOUND, whatever the filters would keep.
  v1::DescribeSubnetsRequest missing;
  missing.add_subnet_ids(kMissingSubnet);
  AddFilter(missing.mutable_filters(), "vpc-id", {first.vpc_id()});
  EXPECT_THAT(Call(&NetworkOperations::DescribeSubnets, missing),
              StatusIs(kNotFound, "SubnetIds[0]: The subnet ID"));

  v1::DescribeVpcsRequest vpcs;
  AddFilter(vpcs.mutable_filters(), "cidr", {"10.1.0.0/16"});
  AddFilter(vpcs.mutable_filters(), "state", {"available"});
  absl::StatusOr<v1::DescribeVpcsResponse> found = Call(&NetworkOperations::DescribeVpcs, vpcs);
  ASSERT_THAT(found, IsOk());
  ASSERT_EQ(found->vpcs_size(), 1);
  EXPECT_EQ(found->vpcs(0).vpc_id(), second.vpc_id());

  v1::DescribeVpcsRequest missing_vpc;
  missing_vpc.add_vpc_ids(kMissingVpc);
  AddFilter(missing_vpc.mutable_filters(), "is-default", {"true"});
  EXPECT_THAT(Call(&NetworkOperations::DescribeVpcs, missing_vpc),
              StatusIs(kNotFound, "VpcIds[0]: The vpc ID"));

  // Unknown names are refused before the read.
  v1::DescribeSubnetsRequest unknown;
  AddFilter(unknown.mutable_filters(), "tag:Name", {"web"});
  EXPECT_THAT(Call(&NetworkOperations::DescribeSubnets, unknown),
              StatusIs(kInvalid,
                       "Filters[0].Name: \"tag:Name\" is not a filter of "
                       "DescribeSubnets; use one of availability-zone, "));
  EXPECT_TRUE(last_on_calling_thread_);
}

TEST_F(NetworkOperationsTest, DescribeSecurityGroupsAndZones_Filters) {
  const v1::Vpc vpc = Vpc();
  absl::StatusOr<v1::CreateSecurityGroupResponse> web = CreateGroup(vpc.vpc_id(), "web");
  ASSERT_THAT(web, IsOk());
  ASSERT_THAT(CreateGroup(vpc.vpc_id(), "db"), IsOk());

  v1::DescribeSecurityGroupsRequest groups;
  AddFilter(groups.mutable_filters(), "vpc-id", {vpc.vpc_id()});
  AddFilter(groups.mutable_filters(), "group-name", {"w*", "nothing"});
  absl::StatusOr<v1::DescribeSecurityGroupsResponse> found =
      Call(&NetworkOperations::DescribeSecurityGroups, groups);
  ASSERT_THAT(found, IsOk());
  ASSERT_EQ(found->security_groups_size(), 1);
  EXPECT_EQ(found->security_groups(0).group_id(), web->group_id());

  // GroupNames keep their NOT_FOUND; filters narrow what they found.
  v1::DescribeSecurityGroupsRequest by_name;
  by_name.add_group_names("db");
  AddFilter(by_name.mutable_filters(), "description", {"group web"});
  found = Call(&NetworkOperations::DescribeSecurityGroups, by_name);
  ASSERT_THAT(found, IsOk());
  EXPECT_THAT(found->security_groups(), IsEmpty());

  Subnet(vpc.vpc_id(), "10.0.0.0/24");  // eu-west-1a
  AddHost("eu-west-1c");
  v1::DescribeAvailabilityZonesRequest zones;
  AddFilter(zones.mutable_filters(), "zone-name", {"*c"});
  AddFilter(zones.mutable_filters(), "region-name", {kRegion});
  absl::StatusOr<v1::DescribeAvailabilityZonesResponse> zone =
      Call(&NetworkOperations::DescribeAvailabilityZones, zones);
  ASSERT_THAT(zone, IsOk());
  EXPECT_THAT(ZoneNames(*zone), ElementsAre("eu-west-1c"));
}

TEST_F(NetworkOperationsTest, DescribeNetworkInterfaces_Filters) {
  const storage::SubnetRow subnet = SubnetOf(kTenant, "eu-west-1a");
  const storage::TaskRow task = PlaceTenantTask(subnet, {kMissingGroup});
  ASSERT_TRUE(task.placement.has_value());
  struct Case {
    std::string name;
    std::vector<std::pair<std::string, std::vector<std::string>>> filters;
    int want;
  };
  const std::vector<Case> cases = {
      {"subnet", {{"subnet-id", {subnet.subnet_id}}}, 1},
      {"other subnet", {{"subnet-id", {kMissingSubnet}}}, 0},
      {"group and status", {{"group-id", {kMissingGroup}}, {"status", {"in-use"}}}, 1},
      {"address", {{"private-ip-address", {"10.1.2.*"}}}, 1},
      {"requester is the provider", {{"requester-id", {kAccount}}}, 1},
      {"owner", {{"owner-id", {kAccount}}}, 0},
      {"description", {{"description", {"arn:aws:ecs:*"}}}, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::DescribeNetworkInterfacesRequest request;
    for (const auto& [name, values] : c.filters) {
      AddFilter(request.mutable_filters(), name, values);
    }
    absl::StatusOr<v1::DescribeNetworkInterfacesResponse> response =
        CallAs(tenant_, &NetworkOperations::DescribeNetworkInterfaces, request);
    ASSERT_THAT(response, IsOk());
    EXPECT_EQ(response->network_interfaces_size(), c.want);
  }
}

// ---- Zones of subnets -----------------------------------------------------------------

TEST_F(NetworkOperationsTest, CreateSubnet_ZoneOutsideTheRegion_InvalidArgument) {
  const v1::Vpc vpc = Vpc();
  for (const std::string zone : {"mars-1a", "us-east-1a", "eu-west-1", "eu-west-1aa"}) {
    SCOPED_TRACE(zone);
    EXPECT_THAT(CreateSubnet(vpc.vpc_id(), "10.0.0.0/24", zone),
                StatusIs(kInvalid, "AvailabilityZone: Value (" + zone +
                                       ") for parameter availabilityZone is invalid. Subnets "
                                       "can currently only be created in the following "
                                       "availability zones: eu-west-1a, eu-west-1b, "));
    EXPECT_TRUE(last_on_calling_thread_) << "refused before reaching the database";
  }
  EXPECT_THAT(CreateSubnet(vpc.vpc_id(), "10.0.0.0/24", "eu-west-1f"), IsOk());
}

}  // namespace
}  // namespace gantry::api
