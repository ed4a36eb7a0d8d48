#include "api/internal/network_shapes.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace gantry::api::internal {

std::string SubnetArn(const Config& config, std::string_view account_id,
                      std::string_view subnet_id) {
  return absl::StrCat("arn:aws:ec2:", config.region, ":", std::string(account_id), ":subnet/",
                      std::string(subnet_id));
}

std::string SecurityGroupArn(const Config& config, std::string_view account_id,
                             std::string_view group_id) {
  return absl::StrCat("arn:aws:ec2:", config.region, ":", std::string(account_id),
                      ":security-group/", std::string(group_id));
}

v1::Vpc ToVpc(const storage::VpcRow& row) {
  v1::Vpc vpc;
  vpc.set_vpc_id(row.vpc_id);
  vpc.set_state(row.state);
  vpc.set_cidr_block(row.cidr_block);
  vpc.set_owner_id(row.account_id);
  vpc.set_instance_tenancy("default");
  vpc.set_is_default(false);
  return vpc;
}

v1::Subnet ToSubnet(const Config& config, const storage::SubnetRow& row) {
  v1::Subnet subnet;
  subnet.set_subnet_id(row.subnet_id);
  subnet.set_vpc_id(row.vpc_id);
  subnet.set_cidr_block(row.cidr_block);
  subnet.set_availability_zone(row.availability_zone);
  subnet.set_available_ip_address_count(std::max(0, row.usable_addresses - row.addresses_in_use));
  subnet.set_state(row.state);
  subnet.set_default_for_az(false);
  subnet.set_map_public_ip_on_launch(false);
  subnet.set_owner_id(row.account_id);
  subnet.set_subnet_arn(SubnetArn(config, row.account_id, row.subnet_id));
  return subnet;
}

v1::SecurityGroup ToSecurityGroup(const Config& config, const storage::SecurityGroupRow& row) {
  v1::SecurityGroup group;
  group.set_group_id(row.group_id);
  group.set_group_name(row.group_name);
  group.set_description(row.description);
  group.set_vpc_id(row.vpc_id);
  group.set_owner_id(row.account_id);
  group.set_security_group_arn(SecurityGroupArn(config, row.account_id, row.group_id));
  return group;
}

absl::Status FirstMissing(std::string_view field, std::string_view noun,
                          const std::vector<std::string>& wanted,
                          const std::vector<std::string>& found) {
  absl::flat_hash_set<std::string> have(found.begin(), found.end());
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (!have.contains(wanted[i])) {
      return absl::NotFoundError(absl::StrCat(std::string(field), "[", i, "]: The ",
                                              std::string(noun), " '", wanted[i],
                                              "' does not exist"));
    }
  }
  return absl::OkStatus();
}

}  // namespace gantry::api::internal
