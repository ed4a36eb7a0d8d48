// EC2 filters (api/internal/ec2_filters.h) and zone names (api/internal/zones.h): pure
// logic, no database.
#include "api/internal/ec2_filters.h"

#include <string>
#include <utility>
#include <vector>

#include "gantry/v1/network.pb.h"

#include "absl/strings/str_join.h"
#include "api/internal/zones.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gantry::api::internal {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::SizeIs;

// Filters from {name, {values...}} pairs.
Filters MakeFilters(const std::vector<std::pair<std::string, std::vector<std::string>>>& spec) {
  Filters filters;
  for (const auto& [name, values] : spec) {
    v1::Filter* filter = filters.Add();
    filter->set_name(name);
    for (const std::string& value : values) {
      filter->add_values(value);
    }
  }
  return filters;
}

TEST(WildcardMatch, Table) {
  struct Case {
    std::string pattern;
    std::string text;
    bool want;
  };
  const std::vector<Case> cases = {
      {"vpc-1", "vpc-1", true},
      {"vpc-1", "vpc-12", false},
      {"vpc-12", "vpc-1", false},
      {"VPC-1", "vpc-1", false},  // case-sensitive, as EC2's filters are
      {"", "", true},
      {"", "a", false},
      {"*", "", true},
      {"*", "anything", true},
      {"vpc-*", "vpc-0123", true},
      {"vpc-*", "subnet-1", false},
      {"*-1a", "us-east-1a", true},
      {"*-1a", "us-east-1b", false},
      {"us-east-1?", "us-east-1a", true},
      {"us-east-1?", "us-east-1", false},
      {"us-east-1?", "us-east-1ab", false},
      {"10.0.*.0/24", "10.0.3.0/24", true},
      {"10.0.*.0/24", "10.0.3.0/28", false},
      {"a*b*c", "aXXbYYc", true},
      {"a*b*c", "aXXbYY", false},
      {"a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
      {"**", "x", true},
      {"?*?", "ab", true},
      {"?*?", "a", false},
      {"\\*", "*", true},  // an escaped wildcard is literal
      {"\\*", "x", false},
      {"\\?", "?", true},
      {"\\?", "x", false},
      {"a\\\\b", "a\\b", true},
      {"a\\", "a\\", true},  // a trailing backslash stands for itself
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.pattern + " ~ " + c.text);
    EXPECT_EQ(WildcardMatch(c.pattern, c.text), c.want);
  }
}

TEST(FilterProblems, Table) {
  struct Case {
    std::string name;
    FilterKind kind;
    Filters filters;
    std::vector<std::string> want;  // substrings of each problem line, in order
  };
  Filters too_many;
  for (int i = 0; i <= kMaxFilters; ++i) {
    *too_many.Add() = MakeFilters({{"vpc-id", {"vpc-1"}}})[0];
  }
  const std::vector<std::string> many_values(kMaxFilterValues + 1, "vpc-1");
  const std::vector<Case> cases = {
      {"none", FilterKind::kVpc, {}, {}},
      {"every vpc name",
       FilterKind::kVpc,
       MakeFilters({{"vpc-id", {"v"}},
                    {"cidr", {"c"}},
                    {"cidr-block-association.cidr-block", {"c"}},
                    {"state", {"available"}},
                    {"is-default", {"false"}},
                    {"owner-id", {"1"}}}),
       {}},
      {"every subnet name",
       FilterKind::kSubnet,
       MakeFilters({{"vpc-id", {"v"}},
                    {"subnet-id", {"s"}},
                    {"availability-zone", {"z"}},
                    {"cidr-block", {"c"}},
                    {"cidr", {"c"}},
                    {"cidrBlock", {"c"}},
                    {"state", {"s"}},
                    {"default-for-az", {"false"}},
                    {"owner-id", {"1"}}}),
       {}},
      {"every group name",
       FilterKind::kSecurityGroup,
       MakeFilters({{"vpc-id", {"v"}},
                    {"group-id", {"g"}},
                    {"group-name", {"n"}},
                    {"description", {"d"}},
                    {"owner-id", {"1"}}}),
       {}},
      {"every interface name",
       FilterKind::kNetworkInterface,
       MakeFilters({{"network-interface-id", {"e"}},
                    {"subnet-id", {"s"}},
                    {"vpc-id", {"v"}},
                    {"availability-zone", {"z"}},
                    {"private-ip-address", {"10.0.0.4"}},
                    {"status", {"in-use"}},
                    {"group-id", {"g"}},
                    {"owner-id", {"1"}},
                    {"requester-id", {"1"}},
                    {"description", {"d"}}}),
       {}},
      {"every zone name",
       FilterKind::kAvailabilityZone,
       MakeFilters({{"zone-name", {"z"}},
                    {"zone-id", {"z"}},
                    {"region-name", {"r"}},
                    {"state", {"available"}}}),
       {}},
      {"unknown name lists the supported ones",
       FilterKind::kSecurityGroup,
       MakeFilters({{"group-id", {"g"}}, {"ip-permission.cidr", {"0.0.0.0/0"}}}),
       {"Filters[1].Name: \"ip-permission.cidr\" is not a filter of DescribeSecurityGroups; use "
        "one of description, group-id, group-name, owner-id, vpc-id"}},
      {"names are case-sensitive",
       FilterKind::kVpc,
       MakeFilters({{"VPC-ID", {"v"}}}),
       {"Filters[0].Name: \"VPC-ID\" is not a filter of DescribeVpcs"}},
      {"another call's name",
       FilterKind::kAvailabilityZone,
       MakeFilters({{"vpc-id", {"v"}}}),
       {"Filters[0].Name: \"vpc-id\" is not a filter of DescribeAvailabilityZones; use one of "
        "group-name, network-border-group, opt-in-status, region-name, state, zone-id, "
        "zone-name, zone-type"}},
      {"name and values missing",
       FilterKind::kSubnet,
       MakeFilters({{"", {}}}),
       {"Filters[0].Name: required", "Filters[0].Values: required; give at least one value"}},
      {"too many filters",
       FilterKind::kVpc,
       too_many,
       {"Filters: 51 filters given; give at most 50"}},
      {"too many values",
       FilterKind::kVpc,
       MakeFilters({{"vpc-id", many_values}}),
       {"Filters[0].Values: 201 values given; give at most 200"}},
      {"value too long",
       FilterKind::kVpc,
       MakeFilters({{"vpc-id", {"vpc-1", std::string(kMaxFilterValueLength + 1, 'a')}}}),
       {"Filters[0].Values[1]: 1025 characters; use up to 1024 characters"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::vector<std::string> got = FilterProblems(c.kind, c.filters);
    ASSERT_THAT(got, SizeIs(c.want.size())) << absl::StrJoin(got, "\n");
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_THAT(got[i], HasSubstr(c.want[i]));
    }
  }
}

v1::Subnet MakeSubnet(const std::string& id, const std::string& vpc, const std::string& zone,
                      const std::string& cidr) {
  v1::Subnet subnet;
  subnet.set_subnet_id(id);
  subnet.set_vpc_id(vpc);
  subnet.set_availability_zone(zone);
  subnet.set_cidr_block(cidr);
  subnet.set_state("available");
  subnet.set_default_for_az(false);
  subnet.set_owner_id("123456789012");
  subnet.set_available_ip_address_count(251);
  return subnet;
}

// The ids KeepMatching leaves of `all`.
template <typename Resource, typename IdOf>
std::vector<std::string> Kept(const Filters& filters, std::vector<Resource> all, IdOf id_of) {
  google::protobuf::RepeatedPtrField<Resource> resources(all.begin(), all.end());
  KeepMatching(filters, resources);
  std::vector<std::string> ids;
  for (const Resource& resource : resources) {
    ids.push_back(id_of(resource));
  }
  return ids;
}

TEST(KeepMatching, Subnets_Table) {
  const std::vector<v1::Subnet> subnets = {
      MakeSubnet("subnet-a", "vpc-1", "us-east-1a", "10.0.1.0/24"),
      MakeSubnet("subnet-b", "vpc-1", "us-east-1b", "10.0.2.0/24"),
      MakeSubnet("subnet-c", "vpc-2", "us-east-1a", "10.1.1.0/24"),
  };
  struct Case {
    std::string name;
    Filters filters;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"no filters keep everything", {}, {"subnet-a", "subnet-b", "subnet-c"}},
      {"one value", MakeFilters({{"vpc-id", {"vpc-1"}}}), {"subnet-a", "subnet-b"}},
      {"values are OR'ed",
       MakeFilters({{"subnet-id", {"subnet-c", "subnet-a"}}}),
       {"subnet-a", "subnet-c"}},
      {"filters are AND'ed",
       MakeFilters({{"vpc-id", {"vpc-1"}}, {"availability-zone", {"us-east-1a"}}}),
       {"subnet-a"}},
      {"no match", MakeFilters({{"vpc-id", {"vpc-3"}}}), {}},
      {"wildcard", MakeFilters({{"cidr-block", {"10.0.*"}}}), {"subnet-a", "subnet-b"}},
      {"alias cidr", MakeFilters({{"cidr", {"10.1.1.0/24"}}}), {"subnet-c"}},
      {"alias cidrBlock", MakeFilters({{"cidrBlock", {"10.1.1.0/24"}}}), {"subnet-c"}},
      {"boolean",
       MakeFilters({{"default-for-az", {"false"}}}),
       {"subnet-a", "subnet-b", "subnet-c"}},
      {"boolean true matches none", MakeFilters({{"default-for-az", {"true"}}}), {}},
      {"state and owner",
       MakeFilters({{"state", {"available"}}, {"owner-id", {"123456789012"}}}),
       {"subnet-a", "subnet-b", "subnet-c"}},
      {"zone wildcard one character",
       MakeFilters({{"availability-zone", {"us-east-1?"}}}),
       {"subnet-a", "subnet-b", "subnet-c"}},
      {"count as text",
       MakeFilters({{"available-ip-address-count", {"251"}}}),
       {"subnet-a", "subnet-b", "subnet-c"}},
      {"a filter with an empty value list matches nothing", MakeFilters({{"vpc-id", {}}}), {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Kept(c.filters, subnets, [](const v1::Subnet& s) { return s.subnet_id(); }), c.want);
  }
}

TEST(KeepMatching, Vpcs_Table) {
  v1::Vpc a;
  a.set_vpc_id("vpc-a");
  a.set_cidr_block("10.0.0.0/16");
  a.set_state("available");
  a.set_is_default(false);
  a.set_owner_id("123456789012");
  v1::Vpc b = a;
  b.set_vpc_id("vpc-b");
  b.set_cidr_block("172.16.0.0/16");
  b.set_owner_id("210987654321");
  v1::Vpc unset;  // fields a filter names but the shape lacks match nothing
  unset.set_vpc_id("vpc-unset");
  struct Case {
    std::string name;
    Filters filters;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"vpc-id", MakeFilters({{"vpc-id", {"vpc-b"}}}), {"vpc-b"}},
      {"cidr exact", MakeFilters({{"cidr", {"10.0.0.0/16"}}}), {"vpc-a"}},
      {"association block",
       MakeFilters({{"cidr-block-association.cidr-block", {"172.*"}}}),
       {"vpc-b"}},
      {"state", MakeFilters({{"state", {"available"}}}), {"vpc-a", "vpc-b"}},
      {"is-default", MakeFilters({{"is-default", {"false"}}}), {"vpc-a", "vpc-b"}},
      {"owner-id", MakeFilters({{"owner-id", {"2*"}}}), {"vpc-b"}},
      {"dhcp options",
       MakeFilters({{"dhcp-options-id", {"default"}}}),
       {"vpc-a", "vpc-b", "vpc-unset"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Kept(c.filters, std::vector<v1::Vpc>{a, b, unset},
                   [](const v1::Vpc& v) { return v.vpc_id(); }),
              c.want);
  }
}

TEST(KeepMatching, SecurityGroups_Table) {
  v1::SecurityGroup web;
  web.set_group_id("sg-web");
  web.set_group_name("web");
  web.set_description("web tier");
  web.set_vpc_id("vpc-1");
  web.set_owner_id("123456789012");
  v1::SecurityGroup db = web;
  db.set_group_id("sg-db");
  db.set_group_name("db");
  db.set_description("database (private)");
  db.set_vpc_id("vpc-2");
  struct Case {
    std::string name;
    Filters filters;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"vpc-id", MakeFilters({{"vpc-id", {"vpc-2"}}}), {"sg-db"}},
      {"group-id", MakeFilters({{"group-id", {"sg-web", "sg-none"}}}), {"sg-web"}},
      {"group-name", MakeFilters({{"group-name", {"w*"}}}), {"sg-web"}},
      {"description with spaces", MakeFilters({{"description", {"*(private)"}}}), {"sg-db"}},
      {"owner-id", MakeFilters({{"owner-id", {"123456789012"}}}), {"sg-web", "sg-db"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Kept(c.filters, std::vector<v1::SecurityGroup>{web, db},
                   [](const v1::SecurityGroup& g) { return g.group_id(); }),
              c.want);
  }
}

TEST(KeepMatching, NetworkInterfaces_Table) {
  v1::Ec2NetworkInterface a;
  a.set_network_interface_id("eni-a");
  a.set_subnet_id("subnet-a");
  a.set_vpc_id("vpc-1");
  a.set_availability_zone("us-east-1a");
  a.set_private_ip_address("10.0.1.4");
  a.add_private_ip_addresses()->set_private_ip_address("10.0.1.4");
  a.set_status("in-use");
  a.set_owner_id("123456789012");
  a.set_requester_id("000000000000");
  a.set_requester_managed(true);
  a.set_description("arn:aws:ecs:us-east-1:123456789012:attachment/1234");
  v1::GroupIdentifier* web = a.add_groups();
  web->set_group_id("sg-web");
  web->set_group_name("web");
  a.add_groups()->set_group_id("sg-db");  // a group whose name is unknown
  v1::Ec2NetworkInterface b;
  b.set_network_interface_id("eni-b");
  b.set_subnet_id("subnet-b");
  b.set_vpc_id("vpc-1");
  b.set_availability_zone("us-east-1b");
  b.set_private_ip_address("10.0.2.9");
  b.set_status("in-use");
  b.set_owner_id("123456789012");
  b.set_requester_id("000000000000");
  struct Case {
    std::string name;
    Filters filters;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"network-interface-id", MakeFilters({{"network-interface-id", {"eni-b"}}}), {"eni-b"}},
      {"subnet-id", MakeFilters({{"subnet-id", {"subnet-a"}}}), {"eni-a"}},
      {"vpc-id", MakeFilters({{"vpc-id", {"vpc-1"}}}), {"eni-a", "eni-b"}},
      {"availability-zone", MakeFilters({{"availability-zone", {"us-east-1b"}}}), {"eni-b"}},
      {"private-ip-address", MakeFilters({{"private-ip-address", {"10.0.2.*"}}}), {"eni-b"}},
      {"addresses.private-ip-address",
       MakeFilters({{"addresses.private-ip-address", {"10.*"}}}),
       {"eni-a"}},
      {"status", MakeFilters({{"status", {"in-use"}}}), {"eni-a", "eni-b"}},
      {"status available matches none", MakeFilters({{"status", {"available"}}}), {}},
      {"any of the groups matches", MakeFilters({{"group-id", {"sg-db"}}}), {"eni-a"}},
      {"group-name", MakeFilters({{"group-name", {"web"}}}), {"eni-a"}},
      {"owner-id", MakeFilters({{"owner-id", {"123456789012"}}}), {"eni-a", "eni-b"}},
      {"requester-id", MakeFilters({{"requester-id", {"000000000000"}}}), {"eni-a", "eni-b"}},
      {"requester-managed", MakeFilters({{"requester-managed", {"true"}}}), {"eni-a"}},
      {"description", MakeFilters({{"description", {"arn:aws:ecs:*:attachment/*"}}}), {"eni-a"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Kept(c.filters, std::vector<v1::Ec2NetworkInterface>{a, b},
                   [](const v1::Ec2NetworkInterface& e) { return e.network_interface_id(); }),
              c.want);
  }
}

TEST(KeepMatching, AvailabilityZones_Table) {
  std::vector<v1::AvailabilityZone> zones;
  for (const char* name : {"eu-west-1a", "eu-west-1b"}) {
    v1::AvailabilityZone zone;
    zone.set_zone_name(name);
    zone.set_zone_id(name);
    zone.set_region_name("eu-west-1");
    zone.set_state("available");
    zones.push_back(zone);
  }
  struct Case {
    std::string name;
    Filters filters;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"zone-name", MakeFilters({{"zone-name", {"eu-west-1b"}}}), {"eu-west-1b"}},
      {"zone-id", MakeFilters({{"zone-id", {"*a"}}}), {"eu-west-1a"}},
      {"region-name", MakeFilters({{"region-name", {"eu-west-1"}}}), {"eu-west-1a", "eu-west-1b"}},
      {"other region", MakeFilters({{"region-name", {"us-east-1"}}}), {}},
      {"state", MakeFilters({{"state", {"available"}}}), {"eu-west-1a", "eu-west-1b"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Kept(c.filters, zones, [](const v1::AvailabilityZone& z) { return z.zone_name(); }),
              c.want);
  }
}

// ---- Zones -------------------------------------------------------------------------

TEST(Zones, IsZoneOfRegion_Table) {
  struct Case {
    std::string region;
    std::string zone;
    bool want;
  };
  const std::vector<Case> cases = {
      {"us-east-1", "us-east-1a", true},   {"us-east-1", "us-east-1f", true},
      {"us-east-1", "us-east-1z", true},   {"eu-west-1", "eu-west-1c", true},
      {"us-east-1", "mars-1a", false},     {"us-east-1", "us-east-1", false},
      {"us-east-1", "us-east-1aa", false}, {"us-east-1", "us-east-1A", false},
      {"us-east-1", "us-east-11", false},  {"us-east-1", "us-east-2a", false},
      {"us-east-1", "use1-az1", false},  // a zone id is not a zone name
      {"us-east-1", "az-a", false},        {"", "a", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.region + " / " + c.zone);
    EXPECT_EQ(IsZoneOfRegion(c.region, c.zone), c.want);
  }
}

TEST(Zones, IsZoneName_Table) {
  struct Case {
    std::string zone;
    bool want;
  };
  const std::vector<Case> cases = {
      {"us-east-1a", true},
      {"use1-az1", true},
      {"az-a", true},
      {"", false},
      {"US-EAST-1A", false},
      {"us east", false},
      {std::string(64, 'a'), true},
      {std::string(65, 'a'), false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.zone);
    EXPECT_EQ(IsZoneName(c.zone), c.want);
  }
}

TEST(Zones, ZonesOfRegion_EveryLetterInOrder) {
  const std::vector<std::string> zones = ZonesOfRegion("eu-west-1");
  ASSERT_THAT(zones, SizeIs(26));
  EXPECT_EQ(zones.front(), "eu-west-1a");
  EXPECT_EQ(zones[5], "eu-west-1f");
  EXPECT_EQ(zones.back(), "eu-west-1z");
  for (const std::string& zone : zones) {
    EXPECT_TRUE(IsZoneOfRegion("eu-west-1", zone)) << zone;
  }
  EXPECT_THAT(ZonesOfRegion("us-east-1"), Contains("us-east-1c"));
}

}  // namespace
}  // namespace gantry::api::internal
