#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/ipv4.h"
#include "common/status_macros.h"
#include "storage/internal/errors.h"
#include "storage/internal/statements.h"
#include "storage/storage.h"

namespace gantry::storage {
namespace {

constexpr int kMinPrefix = 16;
constexpr int kMaxPrefix = 28;
constexpr char kDefaultGroupName[] = "default";
constexpr char kDefaultGroupDescription[] = "default VPC security group";

#define GANTRY_MICROS(column) "(extract(epoch FROM " column ") * 1000000)::int8"
#define GANTRY_VPC_COLUMNS \
  "vpc_id, account_id, cidr_block::text, state, " GANTRY_MICROS("created_at")
// AWS withholds the first four addresses and the last one of every subnet: usable is
// address_count - 5.
#define GANTRY_SUBNET_COLUMNS                                            \
  "subnet_id, account_id, vpc_id, cidr_block::text, availability_zone, " \
  "address_count - 5, addresses_in_use, state, " GANTRY_MICROS("created_at")
#define GANTRY_GROUP_COLUMNS \
  "group_id, account_id, vpc_id, group_name, description, " GANTRY_MICROS("created_at")

// network() clears host bits, so the stored block is canonical whatever was passed.
constexpr char kInsertVpc[] = R"sql(
  INSERT INTO vpcs (vpc_id, account_id, cidr_block) VALUES ($1, $2, network($3::inet))
  RETURNING )sql" GANTRY_VPC_COLUMNS;
// An empty $2 means every VPC of the account.
constexpr char kSelectVpcs[] = "SELECT " GANTRY_VPC_COLUMNS
                               " FROM vpcs WHERE account_id = $1"
                               " AND (cardinality($2::text[]) = 0 OR vpc_id = ANY($2::text[]))"
                               " ORDER BY vpc_id";
// The VPC row lock serialises subnet creation in one VPC: the overlap check below and
// the insert cannot interleave with another creation's.
constexpr char kLockVpc[] = R"sql(
  SELECT cidr_block::text, network($3::inet) <<= cidr_block FROM vpcs
  WHERE account_id = $1 AND vpc_id = $2 FOR UPDATE)sql";
constexpr char kFindOverlap[] = R"sql(
  SELECT subnet_id, cidr_block::text FROM subnets
  WHERE vpc_id = $1 AND cidr_block && network($2::inet)
  ORDER BY subnet_id LIMIT 1)sql";
constexpr char kInsertSubnet[] = R"sql(
  INSERT INTO subnets (subnet_id, account_id, vpc_id, cidr_block, availability_zone, address_count)
  VALUES ($1, $2, $3, network($4::inet), $5, $6)
  RETURNING )sql" GANTRY_SUBNET_COLUMNS;
constexpr char kSelectSubnets[] =
    "SELECT " GANTRY_SUBNET_COLUMNS
    " FROM subnets WHERE account_id = $1"
    " AND (cardinality($2::text[]) = 0 OR subnet_id = ANY($2::text[]))"
    " ORDER BY subnet_id";
// The row lock keeps placement from taking an address between this check and the
// delete (placement updates addresses_in_use; an ENI insert takes a key-share lock).
constexpr char kLockSubnet[] = R"sql(
  SELECT s.addresses_in_use,
         (SELECT count(*) FROM network_interfaces n WHERE n.subnet_id = s.subnet_id)
  FROM subnets s WHERE s.account_id = $1 AND s.subnet_id = $2 FOR UPDATE OF s)sql";
constexpr char kDeleteSubnet[] = "DELETE FROM subnets WHERE account_id = $1 AND subnet_id = $2";
constexpr char kVpcExists[] = "SELECT 1 FROM vpcs WHERE account_id = $1 AND vpc_id = $2";
// A taken name (case-insensitively, per VPC) inserts nothing; the caller reports it.
constexpr char kInsertGroup[] = R"sql(
  INSERT INTO security_groups (group_id, account_id, vpc_id, group_name, description)
  VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (vpc_id, lower(group_name)) DO NOTHING
  RETURNING )sql" GANTRY_GROUP_COLUMNS;
constexpr char kSelectGroups[] = "SELECT " GANTRY_GROUP_COLUMNS
                                 " FROM security_groups WHERE account_id = $1"
                                 " AND (cardinality($2::text[]) = 0 OR group_id = ANY($2::text[]))"
                                 " ORDER BY group_id";

// The zones of live hosts are found by skipping through hosts_live_by_zone from one
// zone to the next (a loose index scan: one probe per zone, however many hosts), then
// merged with the zones of the account's subnets.
constexpr char kSelectZones[] = R"sql(
  WITH RECURSIVE host_zones (zone) AS (
    (SELECT availability_zone FROM hosts WHERE status <> 'INACTIVE'
     ORDER BY availability_zone LIMIT 1)
    UNION ALL
    SELECT (SELECT h.availability_zone FROM hosts h
            WHERE h.status <> 'INACTIVE' AND h.availability_zone > z.zone
            ORDER BY h.availability_zone LIMIT 1)
    FROM host_zones z WHERE z.zone IS NOT NULL)
  SELECT zone FROM host_zones WHERE zone IS NOT NULL
  UNION
  SELECT availability_zone FROM subnets WHERE account_id = $1
  ORDER BY 1)sql";
// One row per (ENI, security group), groups in the ENI's order; an ENI without groups
// still has its row. A group is named only when it is the ENI's account's. All of an
// account's ENIs, or (a second statement, so that ids use the index too) those by id.
#define GANTRY_INTERFACES_OF_ACCOUNT                                                        \
  "SELECT n.eni_id, n.account_id, n.subnet_id, s.vpc_id, s.availability_zone, "             \
  "host(n.private_ipv4), n.mac_address::text, n.private_dns_name, n.task_id, "              \
  "t.attachment_id, u.group_id, g.group_name "                                              \
  "FROM network_interfaces n "                                                              \
  "JOIN subnets s ON s.subnet_id = n.subnet_id "                                            \
  "JOIN tasks t ON t.task_id = n.task_id "                                                  \
  "LEFT JOIN LATERAL unnest(n.security_group_ids) WITH ORDINALITY AS u (group_id, ord) "    \
  "ON true "                                                                                \
  "LEFT JOIN security_groups g ON g.group_id = u.group_id AND g.account_id = n.account_id " \
  "WHERE n.account_id = $1 "
constexpr char kSelectInterfaces[] = GANTRY_INTERFACES_OF_ACCOUNT "ORDER BY n.eni_id, u.ord";
constexpr char kSelectInterfacesById[] =
    GANTRY_INTERFACES_OF_ACCOUNT "AND n.eni_id = ANY($2::text[]) ORDER BY n.eni_id, u.ord";

#undef GANTRY_INTERFACES_OF_ACCOUNT
#undef GANTRY_GROUP_COLUMNS
#undef GANTRY_SUBNET_COLUMNS
#undef GANTRY_VPC_COLUMNS
#undef GANTRY_MICROS

VpcRow RowToVpc(const pqxx::row& row) {
  VpcRow vpc;
  vpc.vpc_id = row[0].as<std::string>();
  vpc.account_id = row[1].as<std::string>();
  vpc.cidr_block = row[2].as<std::string>();
  vpc.state = row[3].as<std::string>();
  vpc.created_at = absl::FromUnixMicros(row[4].as<int64_t>());
  return vpc;
}

SubnetRow RowToSubnet(const pqxx::row& row) {
  SubnetRow subnet;
  subnet.subnet_id = row[0].as<std::string>();
  subnet.account_id = row[1].as<std::string>();
  subnet.vpc_id = row[2].as<std::string>();
  subnet.cidr_block = row[3].as<std::string>();
  subnet.availability_zone = row[4].as<std::string>();
  subnet.usable_addresses = row[5].as<int32_t>();
  subnet.addresses_in_use = row[6].as<int32_t>();
  subnet.state = row[7].as<std::string>();
  subnet.created_at = absl::FromUnixMicros(row[8].as<int64_t>());
  return subnet;
}

SecurityGroupRow RowToGroup(const pqxx::row& row) {
  SecurityGroupRow group;
  group.group_id = row[0].as<std::string>();
  group.account_id = row[1].as<std::string>();
  group.vpc_id = row[2].as<std::string>();
  group.group_name = row[3].as<std::string>();
  group.description = row[4].as<std::string>();
  group.created_at = absl::FromUnixMicros(row[5].as<int64_t>());
  return group;
}

// Appends the interface of `row` to `interfaces`, or only its group when the previous
// row was the same interface's (kSelectInterfaces orders by interface).
void AddInterfaceRow(const pqxx::row& row, std::vector<NetworkInterfaceRow>& interfaces) {
  const std::string eni_id = row[0].as<std::string>();
  if (interfaces.empty() || interfaces.back().eni_id != eni_id) {
    NetworkInterfaceRow eni;
    eni.eni_id = eni_id;
    eni.account_id = row[1].as<std::string>();
    eni.subnet_id = row[2].as<std::string>();
    eni.vpc_id = row[3].as<std::string>();
    eni.availability_zone = row[4].as<std::string>();
    eni.private_ipv4 = row[5].as<std::string>();
    eni.mac_address = row[6].as<std::string>();
    eni.private_dns_name = row[7].as<std::string>();
    eni.task_id = row[8].as<std::string>();
    eni.attachment_id = row[9].as<std::string>("");
    interfaces.push_back(std::move(eni));
  }
  if (!row[10].is_null()) {
    NetworkInterfaceRow::Group group{row[10].as<std::string>(), std::nullopt};
    if (!row[11].is_null()) {
      group.group_name = row[11].as<std::string>();
    }
    interfaces.back().security_groups.push_back(std::move(group));
  }
}

// The API validates first; this keeps a bad block from reaching the table's CHECK
// (which would surface as INTERNAL). Returns the canonical block.
absl::StatusOr<ipv4::Cidr> CheckBlock(std::string_view cidr_block) {
  absl::StatusOr<ipv4::Cidr> cidr = ipv4::ParseCidr(cidr_block);
  if (!cidr.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("CidrBlock: ", cidr.status().message()));
  }
  if (cidr->prefix < kMinPrefix || cidr->prefix > kMaxPrefix) {
    return absl::InvalidArgumentError(
        absl::StrCat("CidrBlock: \"", std::string(cidr_block), "\" has prefix /", cidr->prefix,
                     "; use a prefix between /", kMinPrefix, " and /", kMaxPrefix));
  }
  return cidr->Canonical();
}

absl::Status VpcNotFound(std::string_view vpc_id) {
  return absl::NotFoundError(absl::StrCat("VpcId: ", std::string(vpc_id), " does not exist"));
}

template <typename Row>
using RowMapper = Row (*)(const pqxx::row&);

template <typename Row>
absl::StatusOr<std::vector<Row>> SelectMany(Connection& connection, const std::string& operation,
                                            const char* statement, std::string_view account_id,
                                            const std::vector<std::string>& ids,
                                            RowMapper<Row> mapper) {
  return internal::InSingleRead(
      connection, operation, [&](pqxx::transaction_base& tx) -> absl::StatusOr<std::vector<Row>> {
        std::vector<Row> rows;
        for (const auto& row :
             tx.exec_prepared(statement, std::string(account_id), internal::ToTextArray(ids))) {
          rows.push_back(mapper(row));
        }
        return rows;
      });
}

}  // namespace

namespace internal {
const std::vector<Statement>& NetworkStatements() {
  static const std::vector<Statement> kStatements = {
      {"network_insert_vpc", kInsertVpc},
      {"network_select_vpcs", kSelectVpcs},
      {"network_lock_vpc", kLockVpc},
      {"network_find_overlap", kFindOverlap},
      {"network_insert_subnet", kInsertSubnet},
      {"network_select_subnets", kSelectSubnets},
      {"network_lock_subnet", kLockSubnet},
      {"network_delete_subnet", kDeleteSubnet},
      {"network_vpc_exists", kVpcExists},
      {"network_insert_group", kInsertGroup},
      {"network_select_groups", kSelectGroups},
      {"network_select_zones", kSelectZones},
      {"network_select_interfaces", kSelectInterfaces},
      {"network_select_interfaces_by_id", kSelectInterfacesById},
  };
  return kStatements;
}
}  // namespace internal

absl::StatusOr<VpcRow> CreateVpc(Connection& connection, std::string_view account_id,
                                 std::string_view cidr_block) {
  GANTRY_ASSIGN_OR_RETURN(ipv4::Cidr cidr, CheckBlock(cidr_block));
  const std::string account(account_id);
  return internal::InTransaction(
      connection, "create vpc", [&](pqxx::work& tx) -> absl::StatusOr<VpcRow> {
        pqxx::result inserted =
            tx.exec_prepared("network_insert_vpc", ids::NewEc2Id("vpc"), account, cidr.ToString());
        VpcRow vpc = RowToVpc(inserted[0]);
        pqxx::result group =
            tx.exec_prepared("network_insert_group", ids::NewEc2Id("sg"), account, vpc.vpc_id,
                             std::string(kDefaultGroupName), std::string(kDefaultGroupDescription));
        if (group.empty()) return absl::InternalError("create vpc: default group already exists");
        return vpc;
      });
}

absl::StatusOr<std::vector<VpcRow>> GetVpcs(Connection& connection, std::string_view account_id,
                                            const std::vector<std::string>& vpc_ids) {
  return SelectMany<VpcRow>(connection, "describe vpcs", "network_select_vpcs", account_id, vpc_ids,
                            &RowToVpc);
}

absl::StatusOr<SubnetRow> CreateSubnet(Connection& connection, std::string_view account_id,
                                       std::string_view vpc_id, std::string_view cidr_block,
                                       std::string_view availability_zone) {
  GANTRY_ASSIGN_OR_RETURN(ipv4::Cidr cidr, CheckBlock(cidr_block));
  const std::string account(account_id), vpc(vpc_id), block = cidr.ToString();
  return internal::InTransaction(
      connection, "create subnet", [&](pqxx::work& tx) -> absl::StatusOr<SubnetRow> {
        pqxx::result locked = tx.exec_prepared("network_lock_vpc", account, vpc, block);
        if (locked.empty()) return VpcNotFound(vpc_id);
        if (!locked[0][1].as<bool>()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "CidrBlock: \"", std::string(cidr_block), "\" is not within ", vpc, "'s CIDR block ",
              locked[0][0].as<std::string>(), "; choose a range inside it"));
        }
        pqxx::result overlap = tx.exec_prepared("network_find_overlap", vpc, block);
        if (!overlap.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat("CidrBlock: \"", std::string(cidr_block), "\" overlaps ",
                           overlap[0][0].as<std::string>(), " (", overlap[0][1].as<std::string>(),
                           "); choose a range no other subnet of ", vpc, " uses"));
        }
        pqxx::result inserted =
            tx.exec_prepared("network_insert_subnet", ids::NewEc2Id("subnet"), account, vpc, block,
                             std::string(availability_zone), cidr.Size());
        return RowToSubnet(inserted[0]);
      });
}

absl::StatusOr<std::vector<SubnetRow>> GetSubnets(Connection& connection,
                                                  std::string_view account_id,
                                                  const std::vector<std::string>& subnet_ids) {
  return SelectMany<SubnetRow>(connection, "describe subnets", "network_select_subnets", account_id,
                               subnet_ids, &RowToSubnet);
}

absl::Status DeleteSubnet(Connection& connection, std::string_view account_id,
                          std::string_view subnet_id) {
  const std::string account(account_id), subnet(subnet_id);
  return internal::InTransaction(connection, "delete subnet", [&](pqxx::work& tx) -> absl::Status {
    pqxx::result locked = tx.exec_prepared("network_lock_subnet", account, subnet);
    if (locked.empty()) {
      return absl::NotFoundError(absl::StrCat("SubnetId: ", subnet, " does not exist"));
    }
    // addresses_in_use is the count; the ENI rows are checked too so a drifted
    // counter can never let a subnet with live interfaces go.
    const int64_t in_use = locked[0][0].as<int64_t>();
    const int64_t interfaces = locked[0][1].as<int64_t>();
    if (in_use > 0 || interfaces > 0) {
      return absl::FailedPreconditionError(absl::StrCat(subnet, " has ",
                                                        in_use > 0 ? in_use : interfaces,
                                                        " addresses in use; stop its tasks first"));
    }
    tx.exec_prepared0("network_delete_subnet", account, subnet);
    return absl::OkStatus();
  });
}

absl::StatusOr<SecurityGroupRow> CreateSecurityGroup(Connection& connection,
                                                     std::string_view account_id,
                                                     std::string_view vpc_id,
                                                     std::string_view group_name,
                                                     std::string_view description) {
  const std::string account(account_id), vpc(vpc_id), name(group_name);
  return internal::InTransaction(
      connection, "create security group", [&](pqxx::work& tx) -> absl::StatusOr<SecurityGroupRow> {
        if (tx.exec_prepared("network_vpc_exists", account, vpc).empty()) {
          return VpcNotFound(vpc_id);
        }
        pqxx::result inserted = tx.exec_prepared("network_insert_group", ids::NewEc2Id("sg"),
                                                 account, vpc, name, std::string(description));
        if (inserted.empty()) {
          return absl::AlreadyExistsError(
              absl::StrCat("GroupName: \"", name, "\" already exists in ", vpc));
        }
        return RowToGroup(inserted[0]);
      });
}

absl::StatusOr<std::vector<SecurityGroupRow>> GetSecurityGroups(
    Connection& connection, std::string_view account_id,
    const std::vector<std::string>& group_ids) {
  return SelectMany<SecurityGroupRow>(connection, "describe security groups",
                                      "network_select_groups", account_id, group_ids, &RowToGroup);
}

absl::StatusOr<std::vector<std::string>> GetAvailabilityZones(Connection& connection,
                                                              std::string_view account_id) {
  return internal::InSingleRead(
      connection, "describe availability zones",
      [&](pqxx::transaction_base& tx) -> absl::StatusOr<std::vector<std::string>> {
        std::vector<std::string> zones;
        for (const auto& row : tx.exec_prepared("network_select_zones", std::string(account_id))) {
          zones.push_back(row[0].as<std::string>());
        }
        return zones;
      });
}

absl::StatusOr<std::vector<NetworkInterfaceRow>> GetNetworkInterfaces(
    Connection& connection, std::string_view account_id, const std::vector<std::string>& eni_ids) {
  return internal::InSingleRead(
      connection, "describe network interfaces",
      [&](pqxx::transaction_base& tx) -> absl::StatusOr<std::vector<NetworkInterfaceRow>> {
        const pqxx::result rows =
            eni_ids.empty()
                ? tx.exec_prepared("network_select_interfaces", std::string(account_id))
                : tx.exec_prepared("network_select_interfaces_by_id", std::string(account_id),
                                   internal::ToTextArray(eni_ids));
        std::vector<NetworkInterfaceRow> interfaces;
        for (const auto& row : rows) {
          AddInterfaceRow(row, interfaces);
        }
        return interfaces;
      });
}

}  // namespace gantry::storage
