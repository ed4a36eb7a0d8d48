// Validation of the network API's requests (VPCs, subnets, security groups, zones and
// network interfaces). Pure functions, no I/O. Errors are INVALID_ARGUMENT; each
// violation found is one line starting with the request's PascalCase member name
// (`SubnetIds[1]: ...`), in request order, at most 20. When EC2 has its own code for the
// first violation (a malformed id, a block of the wrong size), the status carries it
// (ec2_error_code.h). Describe requests' Filters are checked too (ec2_filters.h); the
// operations apply them after their read.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gantry/v1/network.pb.h"

#include "absl/status/statusor.h"

namespace gantry::api::internal {

// A CreateVpc request's block, as given (storage stores it canonicalised). A prefix
// outside /16../28 carries InvalidVpc.Range.
absl::StatusOr<std::string> ParseCreateVpc(const v1::CreateVpcRequest& request);

struct NewSubnet {
  std::string vpc_id;
  std::string cidr_block;  // as given
  std::string availability_zone;
};
// AvailabilityZone must be one of `region`'s zones (zones.h). A prefix outside /16../28
// carries InvalidSubnet.Range.
absl::StatusOr<NewSubnet> ParseCreateSubnet(std::string_view region,
                                            const v1::CreateSubnetRequest& request);

// The subnet to delete.
absl::StatusOr<std::string> ParseDeleteSubnet(const v1::DeleteSubnetRequest& request);

struct NewSecurityGroup {
  std::string vpc_id;
  std::string group_name;
  std::string description;
};
absl::StatusOr<NewSecurityGroup> ParseCreateSecurityGroup(
    const v1::CreateSecurityGroupRequest& request);

// VpcIds / SubnetIds: each must be an id of its kind; at most kMaxDescribeIds.
absl::StatusOr<std::vector<std::string>> ParseDescribeVpcs(const v1::DescribeVpcsRequest& request);
absl::StatusOr<std::vector<std::string>> ParseDescribeSubnets(
    const v1::DescribeSubnetsRequest& request);

struct SecurityGroupQuery {
  std::vector<std::string> group_ids;    // as given; empty: every group
  std::vector<std::string> group_names;  // as given; empty: no name filter
};
absl::StatusOr<SecurityGroupQuery> ParseDescribeSecurityGroups(
    const v1::DescribeSecurityGroupsRequest& request);

// ZoneNames: each a zone name (as CreateSubnet's AvailabilityZone); at most
// kMaxDescribeIds. AllAvailabilityZones is not checked: no zone needs opting in.
absl::StatusOr<std::vector<std::string>> ParseDescribeAvailabilityZones(
    const v1::DescribeAvailabilityZonesRequest& request);
// NetworkInterfaceIds: each an eni- id; at most kMaxDescribeIds.
absl::StatusOr<std::vector<std::string>> ParseDescribeNetworkInterfaces(
    const v1::DescribeNetworkInterfacesRequest& request);

// How many ids (or names) one Describe call may name.
inline constexpr int kMaxDescribeIds = 1000;

}  // namespace gantry::api::internal
