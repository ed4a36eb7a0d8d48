// Table output of the network commands (VPCs, subnets, security groups, zones, ENIs).
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/internal/util.h"

namespace gantry::cli {
namespace {

namespace pb = google::protobuf;

using internal::OrNone;

std::string RenderVpcs(const pb::RepeatedPtrField<v1::Vpc>& vpcs) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::Vpc& v : vpcs) {
    rows.push_back({OrNone(v.has_vpc_id(), v.vpc_id()), OrNone(v.has_cidr_block(), v.cidr_block()),
                    OrNone(v.has_state(), v.state())});
  }
  return RenderTable({"ID", "CIDR", "STATE"}, rows);
}

std::string RenderSubnets(const pb::RepeatedPtrField<v1::Subnet>& subnets) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::Subnet& s : subnets) {
    rows.push_back({OrNone(s.has_subnet_id(), s.subnet_id()), OrNone(s.has_vpc_id(), s.vpc_id()),
                    OrNone(s.has_cidr_block(), s.cidr_block()),
                    OrNone(s.has_availability_zone(), s.availability_zone()),
                    OrNone(s.has_available_ip_address_count(), s.available_ip_address_count())});
  }
  return RenderTable({"SUBNET ID", "VPC ID", "CIDR", "ZONE", "FREE IPS"}, rows);
}

}  // namespace

std::string FormatTable(const v1::CreateVpcResponse& response) {
  pb::RepeatedPtrField<v1::Vpc> vpcs;
  if (response.has_vpc()) {
    *vpcs.Add() = response.vpc();
  }
  return RenderVpcs(vpcs);
}

std::string FormatTable(const v1::DescribeVpcsResponse& response) {
  return RenderVpcs(response.vpcs());
}

std::string FormatTable(const v1::CreateSubnetResponse& response) {
  pb::RepeatedPtrField<v1::Subnet> subnets;
  if (response.has_subnet()) {
    *subnets.Add() = response.subnet();
  }
  return RenderSubnets(subnets);
}

std::string FormatTable(const v1::DescribeSubnetsResponse& response) {
  return RenderSubnets(response.subnets());
}

std::string FormatTable(const v1::DeleteSubnetResponse& /*response*/) { return ""; }

std::string FormatTable(const v1::CreateSecurityGroupResponse& response) {
  return RenderTable({"ID", "ARN"},
                     {{OrNone(response.has_group_id(), response.group_id()),
                       OrNone(response.has_security_group_arn(), response.security_group_arn())}});
}

std::string FormatTable(const v1::DescribeSecurityGroupsResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::SecurityGroup& g : response.security_groups()) {
    rows.push_back({OrNone(g.has_group_id(), g.group_id()),
                    OrNone(g.has_group_name(), g.group_name()), OrNone(g.has_vpc_id(), g.vpc_id()),
                    OrNone(g.has_description(), g.description())});
  }
  return RenderTable({"ID", "NAME", "VPC", "DESCRIPTION"}, rows);
}

std::string FormatTable(const v1::DescribeAvailabilityZonesResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::AvailabilityZone& z : response.availability_zones()) {
    rows.push_back({OrNone(z.has_zone_name(), z.zone_name()), OrNone(z.has_state(), z.state())});
  }
  return RenderTable({"ZONE", "STATE"}, rows);
}

std::string FormatTable(const v1::DescribeNetworkInterfacesResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::Ec2NetworkInterface& n : response.network_interfaces()) {
    rows.push_back({OrNone(n.has_network_interface_id(), n.network_interface_id()),
                    OrNone(n.has_subnet_id(), n.subnet_id()),
                    OrNone(n.has_availability_zone(), n.availability_zone()),
                    OrNone(n.has_private_ip_address(), n.private_ip_address()),
                    OrNone(n.has_mac_address(), n.mac_address()),
                    OrNone(n.has_status(), n.status())});
  }
  return RenderTable({"ENI ID", "SUBNET", "ZONE", "PRIVATE IP", "MAC", "STATUS"}, rows);
}

}  // namespace gantry::cli
