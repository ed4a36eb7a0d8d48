// Builds the gantry.v1.Network requests from parsed gantryctl flags.
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/cli.h"
#include "common/status_macros.h"
#include "google/protobuf/repeated_field.h"

namespace gantry::cli {
namespace {

// --filters: each value one EC2 filter, as the AWS CLI reads them: shorthand
// `Name=vpc-id,Values=vpc-1,vpc-2` or a JSON object `{"Name": ..., "Values": [...]}`.
// The server checks the names.
absl::Status AddFilters(const Invocation& inv,
                        google::protobuf::RepeatedPtrField<v1::Filter>* filters) {
  for (const std::string& text : inv.Values("filters")) {
    GANTRY_RETURN_IF_ERROR(ParseStructuredFlag(text, "filters", filters->Add()));
  }
  return absl::OkStatus();
}

}  // namespace

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
  GANTRY_RETURN_IF_ERROR(AddFilters(inv, request.mutable_filters()));
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
  GANTRY_RETURN_IF_ERROR(AddFilters(inv, request.mutable_filters()));
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
  GANTRY_RETURN_IF_ERROR(AddFilters(inv, request.mutable_filters()));
  return request;
}

absl::StatusOr<v1::DescribeAvailabilityZonesRequest> BuildDescribeAvailabilityZonesRequest(
    const Invocation& inv) {
  v1::DescribeAvailabilityZonesRequest request;
  for (const std::string& name : inv.Values("zone-names")) {
    request.add_zone_names(name);
  }
  GANTRY_RETURN_IF_ERROR(AddFilters(inv, request.mutable_filters()));
  return request;
}

absl::StatusOr<v1::DescribeNetworkInterfacesRequest> BuildDescribeNetworkInterfacesRequest(
    const Invocation& inv) {
  v1::DescribeNetworkInterfacesRequest request;
  for (const std::string& id : inv.Values("network-interface-ids")) {
    request.add_network_interface_ids(id);
  }
  GANTRY_RETURN_IF_ERROR(AddFilters(inv, request.mutable_filters()));
  return request;
}

}  // namespace gantry::cli
