// Stored network rows (VPCs, subnets, security groups) in EC2's response shapes, their
// ARNs, and the NOT_FOUND EC2 gives for ids that do not exist. Pure functions.
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

// NOT_FOUND for the first of `wanted` (the request's `field` list, in its order) that
// is not among `found`, in EC2's words: `SubnetIds[1]: The subnet ID 'subnet-...' does
// not exist` for `noun` "subnet ID". OK when every one was found.
absl::Status FirstMissing(std::string_view field, std::string_view noun,
                          const std::vector<std::string>& wanted,
                          const std::vector<std::string>& found);

}  // namespace gantry::api::internal
