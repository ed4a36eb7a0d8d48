// The capacity view: the whole fleet read in one snapshot.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "storage/internal/errors.h"
#include "storage/internal/statements.h"
#include "storage/internal/task_rows.h"
#include "storage/storage.h"

namespace gantry::storage {
namespace internal {
namespace {

// Every statement below takes the same first two parameters: the account and the
// cluster whose tasks count, both NULL for every task.
constexpr char kClusterFilter[] = "($1::text IS NULL OR (t.account_id = $1 AND t.cluster = $2))";

constexpr char kClusterExists[] =
    "SELECT 1 FROM clusters WHERE account_id = $1 AND name = $2 AND status = 'ACTIVE'";

constexpr char kSnapshotTime[] = "SELECT (extract(epoch FROM now()) * 1000000)::int8";

constexpr char kHosts[] = R"sql(
SELECT host_id, availability_zone, status, agent_connected,
       cpu_total, memory_total, storage_total, eni_total,
       cpu_used, memory_used, storage_used, eni_used
FROM hosts)sql";

constexpr char kSubnets[] = R"sql(
SELECT subnet_id, vpc_id, availability_zone, cidr_block::text, address_count - 5, addresses_in_use
FROM subnets ORDER BY availability_zone, subnet_id)sql";

const std::string kPlacedTasks = absl::StrCat(R"sql(
SELECT t.availability_zone, t.last_status, count(*)::int4
FROM tasks t
WHERE t.last_status <> 'STOPPED' AND t.host_id IS NOT NULL AND )sql",
                                              kClusterFilter, R"sql(
GROUP BY 1, 2)sql");

// A waiting task counts once in each distinct zone of its candidate subnets.
const std::string kWaitingByZone = absl::StrCat(R"sql(
SELECT z.availability_zone, count(*)::int4
FROM tasks t
CROSS JOIN LATERAL (SELECT DISTINCT s.availability_zone FROM subnets s
                    WHERE s.subnet_id = ANY (t.subnet_ids)) z
WHERE t.host_id IS NULL AND t.last_status = 'PROVISIONING' AND )sql",
                                                kClusterFilter, R"sql(
GROUP BY 1)sql");

const std::string kWaitingTotal = absl::StrCat(R"sql(
SELECT count(*)::int4 FROM tasks t
WHERE t.host_id IS NULL AND t.last_status = 'PROVISIONING' AND )sql",
                                               kClusterFilter);

// Every cluster's: the view explains a cluster's tasks behind the others' in the queue.
constexpr char kWaitingOldest[] = R"sql(
SELECT t.task_id, t.account_id, t.cluster, t.task_group, t.cpu, t.memory, t.ephemeral_storage,
       array_to_string(t.subnet_ids, ','), (extract(epoch FROM t.created_at) * 1000000)::int8
FROM tasks t
WHERE t.host_id IS NULL AND t.last_status = 'PROVISIONING'
ORDER BY t.queue_seq
LIMIT $1)sql";

}  // namespace

const std::vector<Statement>& CapacityStatements() {
  static const std::vector<Statement> kStatements = {
      {"capacity_cluster_exists", kClusterExists},
      {"capacity_snapshot_time", kSnapshotTime},
      {"capacity_hosts", kHosts},
      {"capacity_subnets", kSubnets},
      {"capacity_placed_tasks", kPlacedTasks.c_str()},
      {"capacity_waiting_by_zone", kWaitingByZone.c_str()},
      {"capacity_waiting_total", kWaitingTotal.c_str()},
      {"capacity_waiting_oldest", kWaitingOldest},
  };
  return kStatements;
}

}  // namespace internal

namespace {

// Must be a transaction's first statement: every read after it then sees one snapshot.
constexpr char kSnapshotIsolation[] = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";

void ReadHostsAndSubnets(pqxx::work& tx, FleetSnapshot& snapshot) {
  for (const pqxx::row& row : internal::ScanTable(tx, "capacity_hosts")) {
    FleetHost host;
    host.host_id = row[0].as<int64_t>();
    host.availability_zone = row[1].as<std::string>();
    host.status = row[2].as<std::string>();
    host.agent_connected = row[3].as<bool>();
    host.total = {row[4].as<int32_t>(), row[5].as<int32_t>(), row[6].as<int32_t>(),
                  row[7].as<int32_t>()};
    host.used = {row[8].as<int32_t>(), row[9].as<int32_t>(), row[10].as<int32_t>(),
                 row[11].as<int32_t>()};
    snapshot.hosts.push_back(std::move(host));
  }
  for (const pqxx::row& row : tx.exec_prepared("capacity_subnets")) {
    snapshot.subnets.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                                row[2].as<std::string>(), row[3].as<std::string>(),
                                row[4].as<int32_t>(), row[5].as<int32_t>()});
  }
  // The statement the scheduler loads its view with, so spreads agree.
  for (const pqxx::row& row : tx.exec_prepared("placement_group_counts")) {
    snapshot.group_counts.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                                     row[2].as<std::string>(), row[3].as<std::string>(),
                                     row[4].as<int64_t>()});
  }
}

// `account` and `name` are NULL (null pointers) when every task counts.
void ReadTaskCounts(pqxx::work& tx, const char* account, const char* name,
                    FleetSnapshot& snapshot) {
  for (const pqxx::row& row : tx.exec_prepared("capacity_placed_tasks", account, name)) {
    snapshot.placed_tasks.push_back(
        {row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<int32_t>()});
  }
  for (const pqxx::row& row : tx.exec_prepared("capacity_waiting_by_zone", account, name)) {
    snapshot.waiting_by_zone.emplace_back(row[0].as<std::string>(), row[1].as<int32_t>());
  }
  snapshot.waiting_total =
      tx.exec_prepared1("capacity_waiting_total", account, name)[0].as<int32_t>();
}

void ReadWaitingTasks(pqxx::work& tx, const std::optional<ClusterKey>& cluster, int limit,
                      FleetSnapshot& snapshot) {
  for (const pqxx::row& row : tx.exec_prepared("capacity_waiting_oldest", limit)) {
    WaitingTask task;
    task.task_id = row[0].as<std::string>();
    task.account_id = row[1].as<std::string>();
    task.cluster = row[2].as<std::string>();
    task.counted = !cluster.has_value() ||
                   (task.account_id == cluster->account_id && task.cluster == cluster->name);
    task.group = row[3].as<std::string>();
    task.needs = {row[4].as<int32_t>(), row[5].as<int32_t>(), row[6].as<int32_t>(), 1};
    task.subnet_ids = internal::SplitList(row[7].as<std::string>());
    task.created_at = absl::FromUnixMicros(row[8].as<int64_t>());
    snapshot.waiting.push_back(std::move(task));
  }
}

}  // namespace

absl::StatusOr<FleetSnapshot> ReadFleetSnapshot(Connection& connection,
                                                const std::optional<ClusterKey>& cluster,
                                                int waiting_limit) {
  const char* account = cluster.has_value() ? cluster->account_id.c_str() : nullptr;
  const char* name = cluster.has_value() ? cluster->name.c_str() : nullptr;
  return internal::InTransaction(
      connection, "read fleet snapshot", [&](pqxx::work& tx) -> absl::StatusOr<FleetSnapshot> {
        // One snapshot, so hosts' used shares and the tasks holding them agree.
        tx.exec(kSnapshotIsolation);
        if (cluster.has_value() &&
            tx.exec_prepared("capacity_cluster_exists", account, name).empty()) {
          return absl::NotFoundError(
              absl::StrCat("cluster: cluster \"", cluster->name, "\" does not exist"));
        }
        FleetSnapshot snapshot;
        snapshot.taken_at =
            absl::FromUnixMicros(tx.exec_prepared1("capacity_snapshot_time")[0].as<int64_t>());
        ReadHostsAndSubnets(tx, snapshot);
        ReadTaskCounts(tx, account, name, snapshot);
        ReadWaitingTasks(tx, cluster, waiting_limit, snapshot);
        return snapshot;
      });
}

}  // namespace gantry::storage
