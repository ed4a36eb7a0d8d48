#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "api/api.h"
#include "api/internal/access.h"
#include "api/internal/ec2_filters.h"
#include "api/internal/network_requests.h"
#include "api/internal/network_shapes.h"
#include "api/internal/run_on_database.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace gantry::api {

using internal::FirstMissing;
using internal::RunOnDatabase;

namespace {

template <typename Row>
std::vector<std::string> IdsOf(const std::vector<Row>& rows, std::string Row::*id) {
  std::vector<std::string> ids;
  ids.reserve(rows.size());
  for (const Row& row : rows) ids.push_back(row.*id);
  return ids;
}

// DescribeSecurityGroups' GroupNames: keeps the groups with one of `names` (names are
// case-insensitive, as their uniqueness is), so with GroupIds too the result is the
// groups matching both. NOT_FOUND for a name none of those groups has.
absl::Status FilterByName(const std::vector<std::string>& names,
                          std::vector<storage::SecurityGroupRow>& groups) {
  if (names.empty()) return absl::OkStatus();
  absl::flat_hash_set<std::string> wanted;
  for (const std::string& name : names) wanted.insert(absl::AsciiStrToLower(name));
  std::vector<storage::SecurityGroupRow> kept;
  absl::flat_hash_set<std::string> seen;
  for (storage::SecurityGroupRow& group : groups) {
    std::string lower = absl::AsciiStrToLower(group.group_name);
    if (!wanted.contains(lower)) continue;
    seen.insert(std::move(lower));
    kept.push_back(std::move(group));
  }
  groups = std::move(kept);
  for (size_t i = 0; i < names.size(); ++i) {
    if (!seen.contains(absl::AsciiStrToLower(names[i]))) {
      return absl::NotFoundError(
          absl::StrCat("GroupNames[", i, "]: The security group '", names[i], "' does not exist"));
    }
  }
  return absl::OkStatus();
}

// DescribeAvailabilityZones' ZoneNames: the zones among `zones` that are named, in
// `zones`' order. NOT_FOUND for a name that is not a zone.
absl::StatusOr<std::vector<std::string>> KeepNamedZones(const std::vector<std::string>& names,
                                                        std::vector<std::string> zones) {
  if (names.empty()) {
    return zones;
  }
  GANTRY_RETURN_IF_ERROR(FirstMissing("ZoneNames", "availability zone", names, zones));
  const absl::flat_hash_set<std::string> wanted(names.begin(), names.end());
  std::erase_if(zones, [&](const std::string& zone) { return !wanted.contains(zone); });
  return zones;
}

}  // namespace

NetworkOperations::NetworkOperations(Config config, storage::Database* database)
    : config_(std::move(config)), database_(database) {}

// ---- VPCs ------------------------------------------------------------------------

void NetworkOperations::CreateVpc(const Caller& caller, const v1::CreateVpcRequest& request,
                                  Done<v1::CreateVpcResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  absl::StatusOr<std::string> cidr_block = internal::ParseCreateVpc(request);
  if (!cidr_block.ok()) return done(cidr_block.status());
  RunOnDatabase<v1::CreateVpcResponse>(
      database_,
      [config, cidr_block = *std::move(cidr_block)](
          storage::Connection& connection) -> absl::StatusOr<v1::CreateVpcResponse> {
        GANTRY_ASSIGN_OR_RETURN(storage::VpcRow row,
                                storage::CreateVpc(connection, config.account_id, cidr_block));
        log::Info("vpc_created", {{"vpc", row.vpc_id}, {"cidr", row.cidr_block}});
        v1::CreateVpcResponse response;
        *response.mutable_vpc() = internal::ToVpc(row);
        return response;
      },
      std::move(done));
}

void NetworkOperations::DescribeVpcs(const Caller& caller, const v1::DescribeVpcsRequest& request,
                                     Done<v1::DescribeVpcsResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  absl::StatusOr<std::vector<std::string>> ids = internal::ParseDescribeVpcs(request);
  if (!ids.ok()) return done(ids.status());
  RunOnDatabase<v1::DescribeVpcsResponse>(
      database_,
      [config, ids = *std::move(ids), filters = request.filters()](
          storage::Connection& connection) -> absl::StatusOr<v1::DescribeVpcsResponse> {
        GANTRY_ASSIGN_OR_RETURN(std::vector<storage::VpcRow> rows,
                                storage::GetVpcs(connection, config.account_id, ids));
        GANTRY_RETURN_IF_ERROR(
            FirstMissing("VpcIds", "vpc ID", ids, IdsOf(rows, &storage::VpcRow::vpc_id)));
        v1::DescribeVpcsResponse response;
        for (const storage::VpcRow& row : rows) *response.add_vpcs() = internal::ToVpc(row);
        internal::KeepMatching(filters, *response.mutable_vpcs());
        return response;
      },
      std::move(done));
}

// ---- Subnets ---------------------------------------------------------------------

void NetworkOperations::CreateSubnet(const Caller& caller, const v1::CreateSubnetRequest& request,
                                     Done<v1::CreateSubnetResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  absl::StatusOr<internal::NewSubnet> subnet = internal::ParseCreateSubnet(config.region, request);
  if (!subnet.ok()) return done(subnet.status());
  RunOnDatabase<v1::CreateSubnetResponse>(
      database_,
      [config, subnet = *std::move(subnet)](
          storage::Connection& connection) -> absl::StatusOr<v1::CreateSubnetResponse> {
        GANTRY_ASSIGN_OR_RETURN(storage::SubnetRow row,
                                storage::CreateSubnet(connection, config.account_id, subnet.vpc_id,
                                                      subnet.cidr_block, subnet.availability_zone));
        log::Info("subnet_created", {{"subnet", row.subnet_id},
                                     {"vpc", row.vpc_id},
                                     {"cidr", row.cidr_block},
                                     {"zone", row.availability_zone}});
        v1::CreateSubnetResponse response;
        *response.mutable_subnet() = internal::ToSubnet(config, row);
        return response;
      },
      std::move(done));
}

void NetworkOperations::DescribeSubnets(const Caller& caller,
                                        const v1::DescribeSubnetsRequest& request,
                                        Done<v1::DescribeSubnetsResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  absl::StatusOr<std::vector<std::string>> ids = internal::ParseDescribeSubnets(request);
  if (!ids.ok()) return done(ids.status());
  RunOnDatabase<v1::DescribeSubnetsResponse>(
      database_,
      [config, ids = *std::move(ids), filters = request.filters()](
          storage::Connection& connection) -> absl::StatusOr<v1::DescribeSubnetsResponse> {
        GANTRY_ASSIGN_OR_RETURN(std::vector<storage::SubnetRow> rows,
                                storage::GetSubnets(connection, config.account_id, ids));
        GANTRY_RETURN_IF_ERROR(FirstMissing("SubnetIds", "subnet ID", ids,
                                            IdsOf(rows, &storage::SubnetRow::subnet_id)));
        v1::DescribeSubnetsResponse response;
        for (const storage::SubnetRow& row : rows) {
          *response.add_subnets() = internal::ToSubnet(config, row);
        }
        internal::KeepMatching(filters, *response.mutable_subnets());
        return response;
      },
      std::move(done));
}

void NetworkOperations::DeleteSubnet(const Caller& caller, const v1::DeleteSubnetRequest& request,
                                     Done<v1::DeleteSubnetResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  absl::StatusOr<std::string> subnet_id = internal::ParseDeleteSubnet(request);
  if (!subnet_id.ok()) return done(subnet_id.status());
  RunOnDatabase<v1::DeleteSubnetResponse>(
      database_,
      [config, subnet_id = *std::move(subnet_id)](
          storage::Connection& connection) -> absl::StatusOr<v1::DeleteSubnetResponse> {
        GANTRY_RETURN_IF_ERROR(storage::DeleteSubnet(connection, config.account_id, subnet_id));
        log::Info("subnet_deleted", {{"subnet", subnet_id}});
        return v1::DeleteSubnetResponse();
      },
      std::move(done));
}

// ---- Security groups -------------------------------------------------------------

void NetworkOperations::CreateSecurityGroup(const Caller& caller,
                                            const v1::CreateSecurityGroupRequest& request,
                                            Done<v1::CreateSecurityGroupResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  absl::StatusOr<internal::NewSecurityGroup> group = internal::ParseCreateSecurityGroup(request);
  if (!group.ok()) return done(group.status());
  RunOnDatabase<v1::CreateSecurityGroupResponse>(
      database_,
      [config, group = *std::move(group)](
          storage::Connection& connection) -> absl::StatusOr<v1::CreateSecurityGroupResponse> {
        GANTRY_ASSIGN_OR_RETURN(
            storage::SecurityGroupRow row,
            storage::CreateSecurityGroup(connection, config.account_id, group.vpc_id,
                                         group.group_name, group.description));
        log::Info("security_group_created", {{"group", row.group_id}, {"vpc", row.vpc_id}});
        v1::CreateSecurityGroupResponse response;
        response.set_group_id(row.group_id);
        response.set_security_group_arn(
            internal::SecurityGroupArn(config, row.account_id, row.group_id));
        return response;
      },
      std::move(done));
}

void NetworkOperations::DescribeSecurityGroups(const Caller& caller,
                                               const v1::DescribeSecurityGroupsRequest& request,
                                               Done<v1::DescribeSecurityGroupsResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  absl::StatusOr<internal::SecurityGroupQuery> query =
      internal::ParseDescribeSecurityGroups(request);
  if (!query.ok()) return done(query.status());
  RunOnDatabase<v1::DescribeSecurityGroupsResponse>(
      database_,
      [config, query = *std::move(query), filters = request.filters()](
          storage::Connection& connection) -> absl::StatusOr<v1::DescribeSecurityGroupsResponse> {
        GANTRY_ASSIGN_OR_RETURN(
            std::vector<storage::SecurityGroupRow> rows,
            storage::GetSecurityGroups(connection, config.account_id, query.group_ids));
        GANTRY_RETURN_IF_ERROR(FirstMissing("GroupIds", "security group", query.group_ids,
                                            IdsOf(rows, &storage::SecurityGroupRow::group_id)));
        GANTRY_RETURN_IF_ERROR(FilterByName(query.group_names, rows));
        v1::DescribeSecurityGroupsResponse response;
        for (const storage::SecurityGroupRow& row : rows) {
          *response.add_security_groups() = internal::ToSecurityGroup(config, row);
        }
        internal::KeepMatching(filters, *response.mutable_security_groups());
        return response;
      },
      std::move(done));
}

// ---- Zones and network interfaces --------------------------------------------------

void NetworkOperations::DescribeAvailabilityZones(
    const Caller& caller, const v1::DescribeAvailabilityZonesRequest& request,
    Done<v1::DescribeAvailabilityZonesResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  GANTRY_ASSIGN_OR_DONE(std::vector<std::string> names,
                        internal::ParseDescribeAvailabilityZones(request), done);
  RunOnDatabase<v1::DescribeAvailabilityZonesResponse>(
      database_,
      [config, names = std::move(names),
       filters = request.filters()](storage::Connection& connection)
          -> absl::StatusOr<v1::DescribeAvailabilityZonesResponse> {
        GANTRY_ASSIGN_OR_RETURN(std::vector<std::string> zones,
                                storage::GetAvailabilityZones(connection, config.account_id));
        GANTRY_ASSIGN_OR_RETURN(zones, KeepNamedZones(names, std::move(zones)));
        v1::DescribeAvailabilityZonesResponse response;
        for (const std::string& zone : zones) {
          *response.add_availability_zones() = internal::ToAvailabilityZone(config, zone);
        }
        internal::KeepMatching(filters, *response.mutable_availability_zones());
        return response;
      },
      std::move(done));
}

void NetworkOperations::DescribeNetworkInterfaces(
    const Caller& caller, const v1::DescribeNetworkInterfacesRequest& request,
    Done<v1::DescribeNetworkInterfacesResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  GANTRY_ASSIGN_OR_DONE(std::vector<std::string> ids,
                        internal::ParseDescribeNetworkInterfaces(request), done);
  // Gantry creates every task ENI on the account's behalf, as the provider.
  const std::string requester_id = config_.account_id;
  RunOnDatabase<v1::DescribeNetworkInterfacesResponse>(
      database_,
      [config, requester_id, ids = std::move(ids),
       filters = request.filters()](storage::Connection& connection)
          -> absl::StatusOr<v1::DescribeNetworkInterfacesResponse> {
        GANTRY_ASSIGN_OR_RETURN(std::vector<storage::NetworkInterfaceRow> rows,
                                storage::GetNetworkInterfaces(connection, config.account_id, ids));
        GANTRY_RETURN_IF_ERROR(FirstMissing("NetworkInterfaceIds", "networkInterface ID", ids,
                                            IdsOf(rows, &storage::NetworkInterfaceRow::eni_id)));
        v1::DescribeNetworkInterfacesResponse response;
        for (const storage::NetworkInterfaceRow& row : rows) {
          *response.add_network_interfaces() =
              internal::ToNetworkInterface(config, requester_id, row);
        }
        internal::KeepMatching(filters, *response.mutable_network_interfaces());
        return response;
      },
      std::move(done));
}

}  // namespace gantry::api
