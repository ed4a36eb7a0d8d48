// Stored network rows (VPCs, subnets, security groups, zones, task ENIs) in EC2's
// response shapes, their ARNs, and the NOT_FOUND EC2 gives for ids that do not exist.
// Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gantry/v1/network.pb.h"

#include "absl/status/status.h"
#include "api/api.h"
#include "storage/storage.h"

namespace gantry::api::internal {

// arn:aws:ec2:REGION:ACCOUNT:subnet/ID and ...:security-group/ID.
std::string SubnetArn(const Config& config, std::string_view account_id,
                      std::string_view subnet_id);
std::string SecurityGroupArn(const Config& config, std::string_view account_id,
                             std::string_view group_id);

v1::Vpc ToVpc(const storage::VpcRow& row);
// AvailableIpAddressCount is the usable addresses less those in use.
v1::Subnet ToSubnet(const Config& config, const storage::SubnetRow& row);
v1::SecurityGroup ToSecurityGroup(const Config& config, const storage::SecurityGroupRow& row);

// A zone of `config`'s region, always available. Gantry's zone names are the same in
// every account (EC2 maps names to zones per account, and its zone ids are what stays
// the same across accounts), so the name is also the zone's id: ZoneId = ZoneName.
v1::AvailabilityZone ToAvailabilityZone(const Config& config, std::string_view zone_name);

// A task ENI as EC2 shows a requester-managed interface: in use, one primary private
// address, Description the ECS attachment's ARN (as Fargate's ENIs have), and
// RequesterId `requester_id`, the account of the service that created it (Gantry's
// provider account, where AWS shows one of its own).
v1::Ec2NetworkInterface ToNetworkInterface(const Config& config, std::string_view requester_id,
                                           const storage::NetworkInterfaceRow& row);

// NOT_FOUND for the first of `wanted` (the request's `field` list, in its order) that
// is not among `found`, in EC2's words: `SubnetIds[1]: The subnet ID 'subnet-...' does
// not exist` for `noun` "subnet ID". OK when every one was found.
absl::Status FirstMissing(std::string_view field, std::string_view noun,
                          const std::vector<std::string>& wanted,
                          const std::vector<std::string>& found);

}  // namespace gantry::api::internal
