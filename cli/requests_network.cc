// Builds the gantry.v1.Network requests from parsed gantryctl flags.
#include <string>

#include "absl/status/statusor.h"
#include "cli/cli.h"

namespace gantry::cli {

absl::StatusOr<v1::CreateVpcRequest> BuildCreateVpcRequest(const Invocation& inv) {
  v1::CreateVpcRequest request;
  request.set_cidr_block(inv.Value("cidr-block"));
  return request;
}

absl::StatusOr<v1::DescribeVpcsRequest> BuildDescribeVpcsRequest(const Invocation& inv) {
  v1::DescribeVpcsRequest request;
  for (const std::string& id : inv.Values("vpc-ids")) {
    request.add_vpc_ids(id);
  }
  return request;
}

absl::StatusOr<v1::CreateSubnetRequest> BuildCreateSubnetRequest(const Invocation& inv) {
  v1::CreateSubnetRequest request;
  request.set_vpc_id(inv.Value("vpc-id"));
  request.set_cidr_block(inv.Value("cidr-block"));
  request.set_availability_zone(inv.Value("availability-zone"));
  return request;
}

absl::StatusOr<v1::DescribeSubnetsRequest> BuildDescribeSubnetsRequest(const Invocation& inv) {
  v1::DescribeSubnetsRequest request;
  for (const std::string& id : inv.Values("subnet-ids")) {
    request.add_subnet_ids(id);
  }
  return request;
}

absl::StatusOr<v1::DeleteSubnetRequest> BuildDeleteSubnetRequest(const Invocation& inv) {
  v1::DeleteSubnetRequest request;
  request.set_subnet_id(inv.Value("subnet-id"));
  return request;
}

absl::StatusOr<v1::CreateSecurityGroupRequest> BuildCreateSecurityGroupRequest(
    const Invocation& inv) {
  v1::CreateSecurityGroupRequest request;
  request.set_group_name(inv.Value("group-name"));
  request.set_description(inv.Value("description"));
  request.set_vpc_id(inv.Value("vpc-id"));
  return request;
}

absl::StatusOr<v1::DescribeSecurityGroupsRequest> BuildDescribeSecurityGroupsRequest(
    const Invocation& inv) {
  v1::DescribeSecurityGroupsRequest request;
  for (const std::string& id : inv.Values("group-ids")) {
    request.add_group_ids(id);
  }
  for (const std::string& name : inv.Values("group-names")) {
    request.add_group_names(name);
  }
  return request;
}

absl::StatusOr<v1::DescribeAvailabilityZonesRequest> BuildDescribeAvailabilityZonesRequest(
    const Invocation& inv) {
  v1::DescribeAvailabilityZonesRequest request;
  for (const std::string& name : inv.Values("zone-names")) {
    request.add_zone_names(name);
  }
  return request;
}

absl::StatusOr<v1::DescribeNetworkInterfacesRequest> BuildDescribeNetworkInterfacesRequest(
    const Invocation& inv) {
  v1::DescribeNetworkInterfacesRequest request;
  for (const std::string& id : inv.Values("network-interface-ids")) {
    request.add_network_interface_ids(id);
  }
  return request;
}

}  // namespace gantry::cli
