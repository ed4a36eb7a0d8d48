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

v1::AvailabilityZone ToAvailabilityZone(const Config& config, std::string_view zone_name) {
  v1::AvailabilityZone zone;
  zone.set_zone_name(std::string(zone_name));
  zone.set_zone_id(std::string(zone_name));
  zone.set_state("available");
  zone.set_region_name(config.region);
  zone.set_zone_type("availability-zone");
  zone.set_opt_in_status("opt-in-not-required");
  // An availability zone's group and network border group are its region.
  zone.set_group_name(config.region);
  zone.set_network_border_group(config.region);
  return zone;
}

v1::Ec2NetworkInterface ToNetworkInterface(const Config& config, std::string_view requester_id,
                                           const storage::NetworkInterfaceRow& row) {
  v1::Ec2NetworkInterface eni;
  eni.set_network_interface_id(row.eni_id);
  eni.set_subnet_id(row.subnet_id);
  eni.set_vpc_id(row.vpc_id);
  eni.set_availability_zone(row.availability_zone);
  if (!row.attachment_id.empty()) {
    eni.set_description(absl::StrCat("arn:aws:ecs:", config.region, ":", row.account_id,
                                     ":attachment/", row.attachment_id));
  }
  eni.set_owner_id(row.account_id);
  eni.set_requester_id(std::string(requester_id));
  eni.set_requester_managed(true);
  // A row exists only while the task holds its address, attached to the task's host.
  eni.set_status("in-use");
  eni.set_mac_address(row.mac_address);
  eni.set_private_ip_address(row.private_ipv4);
  eni.set_private_dns_name(row.private_dns_name);
  v1::NetworkInterfacePrivateIpAddress* address = eni.add_private_ip_addresses();
  address->set_primary(true);
  address->set_private_ip_address(row.private_ipv4);
  address->set_private_dns_name(row.private_dns_name);
  for (const storage::NetworkInterfaceRow::Group& group : row.security_groups) {
    v1::GroupIdentifier* identifier = eni.add_groups();
    identifier->set_group_id(group.group_id);
    if (group.group_name.has_value()) {
      identifier->set_group_name(*group.group_name);
    }
  }
  eni.set_interface_type("interface");
  eni.set_source_dest_check(true);
  return eni;
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
