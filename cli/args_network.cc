// Command table entries of the EC2-like network commands (gantry.v1.Network).
#include <string_view>
#include <vector>

#include "cli/cli.h"
#include "cli/internal/util.h"

namespace gantry::cli::internal {
namespace {

// EC2's filters, as the aws CLI takes them. The server names the filters it knows when
// it refuses one.
constexpr FlagSpec Filters(std::string_view example) {
  return Many("filters", "FILTER",
              "Only resources matching every filter: Name=NAME,Values=V1,V2 (values may use * "
              "and ?)",
              example);
}

void AddVpcCommands(std::vector<CommandSpec>* commands) {
  commands->push_back({"create-vpc",
                       "Create a VPC",
                       {One("cidr-block", "CIDR", "The VPC's IPv4 range, /16 to /28",
                            "--cidr-block 10.0.0.0/16", /*required=*/true)},
                       "gantryctl create-vpc --cidr-block 10.0.0.0/16"});
  commands->push_back(
      {"describe-vpcs",
       "Describe VPCs (default: all)",
       {Many("vpc-ids", "VPC_ID", "Only these VPCs", "--vpc-ids vpc-0a1b2c3d vpc-4e5f6a7b"),
        Filters("--filters Name=cidr,Values=10.0.0.0/16")},
       "gantryctl describe-vpcs --vpc-ids vpc-0a1b2c3d"});
}

void AddSubnetCommands(std::vector<CommandSpec>* commands) {
  commands->push_back(
      {"create-subnet",
       "Create a subnet of a VPC in one availability zone",
       {One("vpc-id", "VPC_ID", "The VPC", "--vpc-id vpc-0a1b2c3d", /*required=*/true),
        One("cidr-block", "CIDR", "The subnet's range, inside the VPC's",
            "--cidr-block 10.0.1.0/24", /*required=*/true),
        One("availability-zone", "AZ", "The zone whose hosts serve the subnet",
            "--availability-zone us-east-1a", /*required=*/true)},
       "gantryctl create-subnet --vpc-id vpc-0a1b2c3d --cidr-block 10.0.1.0/24 "
       "--availability-zone us-east-1a"});
  commands->push_back({"describe-subnets",
                       "Describe subnets (default: all)",
                       {Many("subnet-ids", "SUBNET_ID", "Only these subnets",
                             "--subnet-ids subnet-0a1b2c3d subnet-4e5f6a7b"),
                        Filters("--filters Name=vpc-id,Values=vpc-0a1b2c3d")},
                       "gantryctl describe-subnets --subnet-ids subnet-0a1b2c3d"});
  commands->push_back({"delete-subnet",
                       "Delete a subnet that no task uses (prints nothing on success)",
                       {One("subnet-id", "SUBNET_ID", "The subnet", "--subnet-id subnet-0a1b2c3d",
                            /*required=*/true)},
                       "gantryctl delete-subnet --subnet-id subnet-0a1b2c3d"});
}

void AddSecurityGroupCommands(std::vector<CommandSpec>* commands) {
  commands->push_back(
      {"create-security-group",
       "Create a security group in a VPC",
       {One("group-name", "NAME", "Name, unique in the VPC", "--group-name web",
            /*required=*/true),
        One("description", "TEXT", "What the group is for", "--description \"web servers\"",
            /*required=*/true),
        One("vpc-id", "VPC_ID", "The VPC", "--vpc-id vpc-0a1b2c3d", /*required=*/true)},
       "gantryctl create-security-group --group-name web --description \"web servers\" "
       "--vpc-id vpc-0a1b2c3d"});
  commands->push_back(
      {"describe-security-groups",
       "Describe security groups (default: all)",
       {Many("group-ids", "GROUP_ID", "Only these groups", "--group-ids sg-0a1b2c3d"),
        Many("group-names", "NAME", "Only groups with these names", "--group-names web db"),
        Filters("--filters Name=vpc-id,Values=vpc-0a1b2c3d")},
       "gantryctl describe-security-groups --group-names web"});
}

void AddZoneAndInterfaceCommands(std::vector<CommandSpec>* commands) {
  commands->push_back(
      {"describe-availability-zones",
       "Describe the zones that have hosts or your subnets (default: all)",
       {Many("zone-names", "ZONE", "Only these zones", "--zone-names us-east-1a us-east-1b"),
        Filters("--filters Name=zone-name,Values=us-east-1?")},
       "gantryctl describe-availability-zones --zone-names us-east-1a"});
  commands->push_back(
      {"describe-network-interfaces",
       "Describe your tasks' ENIs (default: all)",
       {Many("network-interface-ids", "ENI_ID", "Only these network interfaces",
             "--network-interface-ids eni-0a1b2c3d eni-4e5f6a7b"),
        Filters("--filters Name=subnet-id,Values=subnet-0a1b2c3d")},
       "gantryctl describe-network-interfaces --network-interface-ids eni-0a1b2c3d"});
}

}  // namespace

void AddNetworkCommands(std::vector<CommandSpec>* commands) {
  AddVpcCommands(commands);
  AddSubnetCommands(commands);
  AddSecurityGroupCommands(commands);
  AddZoneAndInterfaceCommands(commands);
}

}  // namespace gantry::cli::internal
