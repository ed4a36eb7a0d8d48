// storage/networks.cc over a real PostgreSQL: VPCs with their default security group,
// subnet containment and overlap (also under concurrent creation), subnet deletion
// while addresses are in use, security group names, and account isolation.
#include <algorithm>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
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

using ::gantry::storage::testing::MinimalTaskDefinition;
using ::gantry::testing::IsOk;
using ::gantry::testing::PgHarness;
using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;

constexpr char kAccount[] = "000000000000";
constexpr char kOtherAccount[] = "111111111111";
constexpr char kZone[] = "us-east-1a";
constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;

template <typename Row>
std::vector<std::string> IdsOf(const std::vector<Row>& rows, std::string Row::*id) {
  std::vector<std::string> ids;
  for (const Row& row : rows) {
    ids.push_back(row.*id);
  }
  return ids;
}

class NetworksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = PgHarness::Get().NewDatabase();
    auto connection = Connection::Open(conninfo_);
    ASSERT_THAT(connection, IsOk());
    connection_ = std::move(*connection);
  }

  VpcRow Vpc(const std::string& cidr = "10.0.0.0/16", const std::string& account = kAccount) {
    auto row = CreateVpc(*connection_, account, cidr);
    EXPECT_THAT(row, IsOk());
    return row.ok() ? *row : VpcRow{};
  }

  SubnetRow Subnet(const std::string& vpc_id, const std::string& cidr,
                   const std::string& account = kAccount) {
    auto row = CreateSubnet(*connection_, account, vpc_id, cidr, kZone);
    EXPECT_THAT(row, IsOk()) << cidr;
    return row.ok() ? *row : SubnetRow{};
  }

  // Raw SQL against the test database, standing in for placement.
  void Exec(const std::string& sql) {
    pqxx::connection admin(conninfo_);
    pqxx::work tx(admin);
    tx.exec0(sql);
    tx.commit();
  }

  std::string conninfo_;
  std::unique_ptr<Connection> connection_;
};

// ---- VPCs ---------------------------------------------------------------------------

TEST_F(NetworksTest, CreateVpc_NewBlock_IsAvailableAndReadBack) {
  absl::Time before = absl::Now();
  VpcRow vpc = Vpc("10.0.0.0/16");
  absl::Time after = absl::Now();
  EXPECT_THAT(vpc.vpc_id, MatchesRegex("vpc-[0-9a-f]{17}"));
  EXPECT_EQ(vpc.account_id, kAccount);
  EXPECT_EQ(vpc.cidr_block, "10.0.0.0/16");
  EXPECT_EQ(vpc.state, "available");
  EXPECT_GE(vpc.created_at, before - absl::Seconds(1));
  EXPECT_LE(vpc.created_at, after + absl::Seconds(1));

  auto got = GetVpcs(*connection_, kAccount, {vpc.vpc_id});
  ASSERT_THAT(got, IsOk());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].vpc_id, vpc.vpc_id);
  EXPECT_EQ((*got)[0].cidr_block, "10.0.0.0/16");
  EXPECT_EQ((*got)[0].created_at, vpc.created_at);
}

TEST_F(NetworksTest, CreateVpc_HostBitsSet_StoresCanonicalBlock) {
  EXPECT_EQ(Vpc("100.68.0.18/18").cidr_block, "100.68.0.0/18");
  EXPECT_EQ(Vpc("10.1.2.3/28").cidr_block, "10.1.2.0/28");
  VpcRow vpc = Vpc("172.31.200.1/16");
  auto got = GetVpcs(*connection_, kAccount, {vpc.vpc_id});
  ASSERT_THAT(got, IsOk());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].cidr_block, "172.31.0.0/16");
}

TEST_F(NetworksTest, CreateVpc_BadBlock_IsInvalidArgument) {
  EXPECT_THAT(CreateVpc(*connection_, kAccount, "10.0.0.0/8"),
              StatusIs(kInvalid,
                       "CidrBlock: \"10.0.0.0/8\" has prefix /8; use a prefix between "
                       "/16 and /28"));
  EXPECT_THAT(CreateVpc(*connection_, kAccount, "10.0.0.0/29"), StatusIs(kInvalid, "/29"));
  EXPECT_THAT(CreateVpc(*connection_, kAccount, "10.0.0/16"),
              StatusIs(kInvalid, "CidrBlock: \"10.0.0/16\" is not a CIDR block"));
  auto all = GetVpcs(*connection_, kAccount, {});
  ASSERT_THAT(all, IsOk());
  EXPECT_THAT(*all, IsEmpty());
}

TEST_F(NetworksTest, CreateVpc_CreatesDefaultSecurityGroupInTheVpc) {
  VpcRow vpc = Vpc();
  auto groups = GetSecurityGroups(*connection_, kAccount, {});
  ASSERT_THAT(groups, IsOk());
  ASSERT_EQ(groups->size(), 1u);
  const SecurityGroupRow& group = (*groups)[0];
  EXPECT_THAT(group.group_id, MatchesRegex("sg-[0-9a-f]{17}"));
  EXPECT_EQ(group.account_id, kAccount);
  EXPECT_EQ(group.vpc_id, vpc.vpc_id);
  EXPECT_EQ(group.group_name, "default");
  EXPECT_EQ(group.description, "default VPC security group");
}

TEST_F(NetworksTest, GetVpcs_NoIds_ReturnsTheAccountsOrderedById) {
  std::vector<std::string> ids = {Vpc().vpc_id, Vpc().vpc_id, Vpc().vpc_id};
  Vpc("10.0.0.0/16", kOtherAccount);
  std::sort(ids.begin(), ids.end());
  auto all = GetVpcs(*connection_, kAccount, {});
  ASSERT_THAT(all, IsOk());
  EXPECT_THAT(IdsOf(*all, &VpcRow::vpc_id), ElementsAreArray(ids));
  auto some = GetVpcs(*connection_, kAccount, {ids[2], "vpc-0123456789abcdef0", ids[0]});
  ASSERT_THAT(some, IsOk());
  EXPECT_THAT(IdsOf(*some, &VpcRow::vpc_id), ElementsAre(ids[0], ids[2]));
}

TEST_F(NetworksTest, GetVpcs_OtherAccountsVpc_IsNotReturned) {
  VpcRow theirs = Vpc("10.0.0.0/16", kOtherAccount);
  auto got = GetVpcs(*connection_, kAccount, {theirs.vpc_id});
  ASSERT_THAT(got, IsOk());
  EXPECT_THAT(*got, IsEmpty());
  auto groups = GetSecurityGroups(*connection_, kAccount, {});
  ASSERT_THAT(groups, IsOk());
  EXPECT_THAT(*groups, IsEmpty());
}

// ---- Subnets ------------------------------------------------------------------------

TEST_F(NetworksTest, CreateSubnet_InsideVpc_CountsUsableAddresses) {
  VpcRow vpc = Vpc();
  SubnetRow subnet = Subnet(vpc.vpc_id, "10.0.1.7/24");
  EXPECT_THAT(subnet.subnet_id, MatchesRegex("subnet-[0-9a-f]{17}"));
  EXPECT_EQ(subnet.account_id, kAccount);
  EXPECT_EQ(subnet.vpc_id, vpc.vpc_id);
  EXPECT_EQ(subnet.cidr_block, "10.0.1.0/24");
  EXPECT_EQ(subnet.availability_zone, kZone);
  EXPECT_EQ(subnet.usable_addresses, 251);
  EXPECT_EQ(subnet.addresses_in_use, 0);
  EXPECT_EQ(subnet.state, "available");
  EXPECT_EQ(Subnet(vpc.vpc_id, "10.0.2.0/28").usable_addresses, 11);
  EXPECT_EQ(Subnet(Vpc("10.1.0.0/16").vpc_id, "10.1.0.0/16").usable_addresses, 65531);

  auto got = GetSubnets(*connection_, kAccount, {subnet.subnet_id});
  ASSERT_THAT(got, IsOk());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].cidr_block, "10.0.1.0/24");
  EXPECT_EQ((*got)[0].usable_addresses, 251);
  EXPECT_EQ((*got)[0].created_at, subnet.created_at);
}

TEST_F(NetworksTest, CreateSubnet_NotInsideVpc_IsInvalidArgument) {
  VpcRow vpc = Vpc("10.0.0.0/20");
  struct Case {
    const char* name;
    const char* cidr;
  };
  const Case cases[] = {
      {"disjoint", "10.1.0.0/24"},
      {"containing the vpc", "10.0.0.0/16"},
      {"just below", "9.255.255.240/28"},
      {"just above", "10.0.16.0/24"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(CreateSubnet(*connection_, kAccount, vpc.vpc_id, c.cidr, kZone),
                StatusIs(kInvalid, "CidrBlock: \"" + std::string(c.cidr) + "\" is not within " +
                                       vpc.vpc_id + "'s CIDR block 10.0.0.0/20"));
  }
  Subnet(vpc.vpc_id, "10.0.0.0/20");  // the whole VPC is inside it
  auto all = GetSubnets(*connection_, kAccount, {});
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->size(), 1u);
}

TEST_F(NetworksTest, CreateSubnet_OverlapsAnother_IsInvalidArgumentNamingIt) {
  VpcRow vpc = Vpc();
  SubnetRow existing = Subnet(vpc.vpc_id, "10.0.4.0/24");
  struct Case {
    const char* name;
    const char* cidr;
  };
  const Case cases[] = {
      {"equal", "10.0.4.0/24"},
      {"equal with host bits", "10.0.4.99/24"},
      {"containing", "10.0.4.0/22"},
      {"inside", "10.0.4.128/25"},
      {"smallest inside", "10.0.4.240/28"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(CreateSubnet(*connection_, kAccount, vpc.vpc_id, c.cidr, kZone),
                StatusIs(kInvalid, "CidrBlock: \"" + std::string(c.cidr) + "\" overlaps " +
                                       existing.subnet_id + " (10.0.4.0/24)"));
  }
  // Neighbours on both sides do not overlap; nor does the same block in another VPC.
  Subnet(vpc.vpc_id, "10.0.3.0/24");
  Subnet(vpc.vpc_id, "10.0.5.0/24");
  Subnet(Vpc().vpc_id, "10.0.4.0/24");
  auto all = GetSubnets(*connection_, kAccount, {});
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->size(), 4u);
}

TEST_F(NetworksTest, CreateSubnet_UnknownOrForeignVpc_IsNotFound) {
  EXPECT_THAT(CreateSubnet(*connection_, kAccount, "vpc-0123456789abcdef0", "10.0.0.0/24", kZone),
              StatusIs(kNotFound, "VpcId: vpc-0123456789abcdef0 does not exist"));
  VpcRow theirs = Vpc("10.0.0.0/16", kOtherAccount);
  EXPECT_THAT(CreateSubnet(*connection_, kAccount, theirs.vpc_id, "10.0.0.0/24", kZone),
              StatusIs(kNotFound, "VpcId: " + theirs.vpc_id + " does not exist"));
}

TEST_F(NetworksTest, CreateSubnet_BadBlock_IsInvalidArgument) {
  VpcRow vpc = Vpc();
  EXPECT_THAT(CreateSubnet(*connection_, kAccount, vpc.vpc_id, "10.0.0.0/30", kZone),
              StatusIs(kInvalid, "has prefix /30"));
  EXPECT_THAT(CreateSubnet(*connection_, kAccount, vpc.vpc_id, "10.0.0.0", kZone),
              StatusIs(kInvalid, "CidrBlock: \"10.0.0.0\" is not a CIDR block"));
}

// The VPC row lock serialises creations: of two overlapping subnets created at once on
// separate connections, exactly one is stored.
TEST_F(NetworksTest, CreateSubnet_ConcurrentOverlapping_ExactlyOneSucceeds) {
  auto first = Connection::Open(conninfo_);
  auto second = Connection::Open(conninfo_);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  for (int round = 0; round < 8; ++round) {
    SCOPED_TRACE(round);
    VpcRow vpc = Vpc();
    absl::StatusOr<SubnetRow> results[2] = {absl::UnknownError("not run"),
                                            absl::UnknownError("not run")};
    std::latch start(2);
    auto create = [&](Connection* connection, const char* cidr, absl::StatusOr<SubnetRow>* out) {
      start.arrive_and_wait();
      *out = CreateSubnet(*connection, kAccount, vpc.vpc_id, cidr, kZone);
    };
    // Equal blocks in even rounds, one containing the other in odd ones.
    std::thread a(create, first->get(), "10.0.8.0/24", &results[0]);
    std::thread b(create, second->get(), round % 2 == 0 ? "10.0.8.0/24" : "10.0.8.0/21",
                  &results[1]);
    a.join();
    b.join();
    int ok = 0;
    for (const auto& result : results) {
      if (result.ok()) {
        ++ok;
      } else {
        EXPECT_THAT(result, StatusIs(kInvalid, "overlaps subnet-"));
      }
    }
    EXPECT_EQ(ok, 1);
    auto stored = GetSubnets(*connection_, kAccount, {});
    ASSERT_THAT(stored, IsOk());
    int in_vpc = 0;
    for (const SubnetRow& row : *stored) {
      in_vpc += row.vpc_id == vpc.vpc_id ? 1 : 0;
    }
    EXPECT_EQ(in_vpc, 1);
  }
}

TEST_F(NetworksTest, GetSubnets_IdsAndAccounts_ReturnsOnlyTheAccountsById) {
  VpcRow vpc = Vpc();
  std::vector<std::string> ids = {Subnet(vpc.vpc_id, "10.0.0.0/24").subnet_id,
                                  Subnet(vpc.vpc_id, "10.0.1.0/24").subnet_id,
                                  Subnet(vpc.vpc_id, "10.0.2.0/24").subnet_id};
  SubnetRow theirs = Subnet(Vpc("10.0.0.0/16", kOtherAccount).vpc_id, "10.0.0.0/24", kOtherAccount);
  std::sort(ids.begin(), ids.end());
  auto all = GetSubnets(*connection_, kAccount, {});
  ASSERT_THAT(all, IsOk());
  EXPECT_THAT(IdsOf(*all, &SubnetRow::subnet_id), ElementsAreArray(ids));
  auto some = GetSubnets(*connection_, kAccount, {ids[1], theirs.subnet_id, ids[1]});
  ASSERT_THAT(some, IsOk());
  EXPECT_THAT(IdsOf(*some, &SubnetRow::subnet_id), ElementsAre(ids[1]));
  auto missing = GetSubnets(*connection_, kAccount, {"subnet-0123456789abcdef0"});
  ASSERT_THAT(missing, IsOk());
  EXPECT_THAT(*missing, IsEmpty());
}

TEST_F(NetworksTest, DeleteSubnet_AddressesInUse_IsRefusedUntilReleased) {
  VpcRow vpc = Vpc();
  SubnetRow subnet = Subnet(vpc.vpc_id, "10.0.0.0/24");
  Exec("UPDATE subnets SET addresses_in_use = 3, next_offset = 9 WHERE subnet_id = '" +
       subnet.subnet_id + "'");
  Exec("INSERT INTO subnet_free_addresses (subnet_id, address_offset) VALUES ('" +
       subnet.subnet_id + "', 5), ('" + subnet.subnet_id + "', 7)");
  auto got = GetSubnets(*connection_, kAccount, {subnet.subnet_id});
  ASSERT_THAT(got, IsOk());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].addresses_in_use, 3);

  EXPECT_THAT(DeleteSubnet(*connection_, kAccount, subnet.subnet_id),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       subnet.subnet_id + " has 3 addresses in use; stop its tasks first"));
  got = GetSubnets(*connection_, kAccount, {subnet.subnet_id});
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->size(), 1u);

  Exec("UPDATE subnets SET addresses_in_use = 0 WHERE subnet_id = '" + subnet.subnet_id + "'");
  EXPECT_THAT(DeleteSubnet(*connection_, kAccount, subnet.subnet_id), IsOk());
  got = GetSubnets(*connection_, kAccount, {subnet.subnet_id});
  ASSERT_THAT(got, IsOk());
  EXPECT_THAT(*got, IsEmpty());
  // The released-address rows went with it.
  pqxx::connection admin(conninfo_);
  pqxx::work tx(admin);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM subnet_free_addresses")[0].as<int>(), 0);
  // Its block is free again.
  Subnet(vpc.vpc_id, "10.0.0.0/24");
}

// An ENI row keeps the subnet even when the counter says nothing is in use.
TEST_F(NetworksTest, DeleteSubnet_NetworkInterfaceExists_IsRefused) {
  VpcRow vpc = Vpc();
  SubnetRow subnet = Subnet(vpc.vpc_id, "10.0.0.0/24");
  ASSERT_THAT(CreateCluster(*connection_, kAccount, "default", gantry::v1::Cluster()), IsOk());
  ASSERT_THAT(
      RegisterTaskDefinition(*connection_, kAccount, MinimalTaskDefinition("web"), {}, "test"),
      IsOk());
  const std::string task_id(32, 'a');
  Exec(
      "INSERT INTO tasks (task_id, account_id, cluster, family, revision, task_group, "
      "last_status, desired_status, cpu, memory, ephemeral_storage, subnet_ids, "
      "security_group_ids, containers) VALUES ('" +
      task_id + "', '" + kAccount +
      "', 'default', 'web', 1, 'family:web', 'PROVISIONING', 'RUNNING', 256, 512, 20, "
      "ARRAY['" +
      subnet.subnet_id + "'], ARRAY[]::text[], '[]')");
  Exec(
      "INSERT INTO network_interfaces (eni_id, account_id, subnet_id, address_offset, "
      "private_ipv4, mac_address, private_dns_name, security_group_ids, task_id) VALUES "
      "('eni-0123456789abcdef0', '" +
      std::string(kAccount) + "', '" + subnet.subnet_id +
      "', 4, '10.0.0.4', '0a:00:00:00:00:01', 'ip-10-0-0-4.ec2.internal', ARRAY[]::text[], '" +
      task_id + "')");

  EXPECT_THAT(DeleteSubnet(*connection_, kAccount, subnet.subnet_id),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       subnet.subnet_id + " has 1 addresses in use"));
  auto got = GetSubnets(*connection_, kAccount, {subnet.subnet_id});
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->size(), 1u);
}

TEST_F(NetworksTest, DeleteSubnet_UnknownOrForeign_IsNotFound) {
  EXPECT_THAT(DeleteSubnet(*connection_, kAccount, "subnet-0123456789abcdef0"),
              StatusIs(kNotFound, "SubnetId: subnet-0123456789abcdef0 does not exist"));
  SubnetRow theirs = Subnet(Vpc("10.0.0.0/16", kOtherAccount).vpc_id, "10.0.0.0/24", kOtherAccount);
  EXPECT_THAT(DeleteSubnet(*connection_, kAccount, theirs.subnet_id),
              StatusIs(kNotFound, "SubnetId: " + theirs.subnet_id + " does not exist"));
  auto still = GetSubnets(*connection_, kOtherAccount, {theirs.subnet_id});
  ASSERT_THAT(still, IsOk());
  EXPECT_EQ(still->size(), 1u);
}

// ---- Security groups ----------------------------------------------------------------

TEST_F(NetworksTest, CreateSecurityGroup_NewName_IsStoredAndListed) {
  VpcRow vpc = Vpc();
  auto group = CreateSecurityGroup(*connection_, kAccount, vpc.vpc_id, "web", "Web servers");
  ASSERT_THAT(group, IsOk());
  EXPECT_THAT(group->group_id, MatchesRegex("sg-[0-9a-f]{17}"));
  EXPECT_EQ(group->account_id, kAccount);
  EXPECT_EQ(group->vpc_id, vpc.vpc_id);
  EXPECT_EQ(group->group_name, "web");
  EXPECT_EQ(group->description, "Web servers");

  auto got = GetSecurityGroups(*connection_, kAccount, {group->group_id});
  ASSERT_THAT(got, IsOk());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].group_name, "web");
  EXPECT_EQ((*got)[0].description, "Web servers");
  EXPECT_EQ((*got)[0].created_at, group->created_at);

  auto all = GetSecurityGroups(*connection_, kAccount, {});
  ASSERT_THAT(all, IsOk());
  std::vector<std::string> ids = IdsOf(*all, &SecurityGroupRow::group_id);
  EXPECT_EQ(ids.size(), 2u);  // and "default"
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
}

TEST_F(NetworksTest, CreateSecurityGroup_NameTakenInAnyCase_IsAlreadyExists) {
  VpcRow vpc = Vpc();
  ASSERT_THAT(CreateSecurityGroup(*connection_, kAccount, vpc.vpc_id, "web", "d"), IsOk());
  for (const char* name : {"web", "WEB", "Web"}) {
    SCOPED_TRACE(name);
    EXPECT_THAT(
        CreateSecurityGroup(*connection_, kAccount, vpc.vpc_id, name, "d"),
        StatusIs(absl::StatusCode::kAlreadyExists,
                 "GroupName: \"" + std::string(name) + "\" already exists in " + vpc.vpc_id));
  }
  EXPECT_THAT(CreateSecurityGroup(*connection_, kAccount, vpc.vpc_id, "Default", "d"),
              StatusIs(absl::StatusCode::kAlreadyExists, "GroupName: \"Default\" already exists"));
  // Names are per VPC.
  EXPECT_THAT(CreateSecurityGroup(*connection_, kAccount, Vpc().vpc_id, "web", "d"), IsOk());
}

TEST_F(NetworksTest, CreateSecurityGroup_UnknownOrForeignVpc_IsNotFound) {
  EXPECT_THAT(CreateSecurityGroup(*connection_, kAccount, "vpc-0123456789abcdef0", "web", "d"),
              StatusIs(kNotFound, "VpcId: vpc-0123456789abcdef0 does not exist"));
  VpcRow theirs = Vpc("10.0.0.0/16", kOtherAccount);
  EXPECT_THAT(CreateSecurityGroup(*connection_, kAccount, theirs.vpc_id, "web", "d"),
              StatusIs(kNotFound, "VpcId: " + theirs.vpc_id + " does not exist"));
}

TEST_F(NetworksTest, GetSecurityGroups_OtherAccountsIds_AreNotReturned) {
  VpcRow mine = Vpc();
  VpcRow theirs = Vpc("10.0.0.0/16", kOtherAccount);
  auto their_group = CreateSecurityGroup(*connection_, kOtherAccount, theirs.vpc_id, "x", "d");
  ASSERT_THAT(their_group, IsOk());
  auto got = GetSecurityGroups(*connection_, kAccount, {their_group->group_id});
  ASSERT_THAT(got, IsOk());
  EXPECT_THAT(*got, IsEmpty());
  auto all = GetSecurityGroups(*connection_, kAccount, {});
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].vpc_id, mine.vpc_id);
}

}  // namespace
}  // namespace gantry::storage
