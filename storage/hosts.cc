#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "storage/internal/errors.h"
#include "storage/internal/host_rows.h"
#include "storage/internal/statements.h"
#include "storage/storage.h"

namespace gantry::storage {
namespace {

// Every host column in HostRow order, then the two task counts.
constexpr char kHostColumns[] = R"sql(
  h.host_id, h.instance_id, h.availability_zone, h.status,
  h.cpu_total, h.memory_total, h.storage_total, h.eni_total,
  h.cpu_used, h.memory_used, h.storage_used, h.eni_used,
  h.agent_version, h.host_name,
  (extract(epoch FROM h.registered_at) * 1000000)::int8,
  (extract(epoch FROM h.last_seen_at) * 1000000)::int8,
  h.version, h.agent_connected, (extract(epoch FROM h.lost_at) * 1000000)::int8)sql";

// A new host has no tasks, so its counts are zero without looking.
const std::string kInsert = std::string(R"sql(
  INSERT INTO hosts AS h (instance_id, availability_zone, status, cpu_total, memory_total,
                          storage_total, eni_total, agent_version, host_name)
  VALUES ($1, $2, 'ACTIVE', $3, $4, $5, $6, $7, $8)
  RETURNING )sql") + kHostColumns +
                            ", 0::int8, 0::int8";

// The counts come from one aggregate per host over the tasks_live_by_host index (a task
// that holds resources is never STOPPED; saying so lets the planner skip the host's
// stopped tasks); an aggregate without GROUP BY always yields a row, so a host without
// tasks gets zeros.
const std::string kSelectMany = std::string("SELECT ") + kHostColumns + R"sql(,
    counts.running, counts.pending
  FROM hosts h
  CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE t.last_status = 'RUNNING') AS running,
           count(*) FILTER (WHERE t.last_status <> 'RUNNING') AS pending
    FROM tasks t
    WHERE t.host_id = h.host_id AND t.last_status <> 'STOPPED' AND t.holds_resources) counts
  WHERE h.instance_id = ANY($1::text[])
  ORDER BY h.instance_id)sql";

// Host rows are locked in id order (as CommitRound locks them) before they change; an
// INACTIVE host and one already in the status are left as they are.
constexpr char kUpdateStatus[] = R"sql(
  UPDATE hosts SET status = $2, version = version + 1
  WHERE host_id IN (SELECT host_id FROM hosts WHERE instance_id = ANY($1::text[])
                    ORDER BY host_id FOR NO KEY UPDATE)
    AND status IN ('ACTIVE', 'DRAINING') AND status <> $2)sql";

// An empty $2 means any status.
constexpr char kListIds[] = R"sql(
  SELECT instance_id FROM hosts
  WHERE instance_id > $1 AND ($2::text = '' OR status = $2::text)
  ORDER BY instance_id LIMIT $3)sql";

}  // namespace

namespace internal {

HostRow RowToHost(const pqxx::row& row) {
  HostRow host;
  host.host_id = row[0].as<int64_t>();
  host.instance_id = row[1].as<std::string>();
  host.availability_zone = row[2].as<std::string>();
  host.status = row[3].as<std::string>();
  host.total = {row[4].as<int32_t>(), row[5].as<int32_t>(), row[6].as<int32_t>(),
                row[7].as<int32_t>()};
  host.used = {row[8].as<int32_t>(), row[9].as<int32_t>(), row[10].as<int32_t>(),
               row[11].as<int32_t>()};
  host.agent_version = row[12].as<std::string>();
  host.host_name = row[13].as<std::string>();
  host.registered_at = absl::FromUnixMicros(row[14].as<int64_t>());
  host.last_seen_at = absl::FromUnixMicros(row[15].as<int64_t>());
  host.version = row[16].as<int64_t>();
  host.agent_connected = row[17].as<bool>();
  if (!row[18].is_null()) host.lost_at = absl::FromUnixMicros(row[18].as<int64_t>());
  host.running_tasks = static_cast<int32_t>(row[19].as<int64_t>());
  host.pending_tasks = static_cast<int32_t>(row[20].as<int64_t>());
  return host;
}

const std::vector<Statement>& HostStatements() {
  static const std::vector<Statement> kStatements = {
      {"host_insert", kInsert.c_str()},
      {"host_select_many", kSelectMany.c_str()},
      {"host_list_ids", kListIds},
      {"host_update_status", kUpdateStatus},
  };
  return kStatements;
}

}  // namespace internal

absl::StatusOr<HostRow> RegisterHost(Connection& connection, const NewHost& host) {
  // Drawn before the transaction so that a retried attempt inserts the same id.
  const std::string instance_id = ids::RandomHex(32);
  return internal::InTransaction(
      connection, "register host", [&](pqxx::work& tx) -> absl::StatusOr<HostRow> {
        pqxx::result inserted = tx.exec_prepared("host_insert", instance_id, host.availability_zone,
                                                 host.total.cpu_units, host.total.memory_mib,
                                                 host.total.ephemeral_storage_gib, host.total.enis,
                                                 host.agent_version, host.host_name);
        return internal::RowToHost(inserted.at(0));
      });
}

absl::StatusOr<std::vector<HostRow>> GetHosts(Connection& connection,
                                              const std::vector<std::string>& instance_ids) {
  return internal::InTransaction(
      connection, "describe hosts", [&](pqxx::work& tx) -> absl::StatusOr<std::vector<HostRow>> {
        std::vector<HostRow> hosts;
        for (const auto& row :
             tx.exec_prepared("host_select_many", internal::ToTextArray(instance_ids))) {
          hosts.push_back(internal::RowToHost(row));
        }
        return hosts;
      });
}

absl::StatusOr<std::vector<HostRow>> UpdateHostStatus(Connection& connection,
                                                      const std::vector<std::string>& instance_ids,
                                                      std::string_view status) {
  if (status != "ACTIVE" && status != "DRAINING") {
    return absl::InvalidArgumentError(absl::StrCat("status: \"", std::string(status),
                                                   "\" is not allowed; use ACTIVE or DRAINING"));
  }
  return internal::InTransaction(
      connection, "update host status",
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<HostRow>> {
        const std::string ids = internal::ToTextArray(instance_ids);
        tx.exec_prepared0("host_update_status", ids, std::string(status));
        std::vector<HostRow> hosts;
        for (const auto& row : tx.exec_prepared("host_select_many", ids)) {
          hosts.push_back(internal::RowToHost(row));
        }
        return hosts;
      });
}

absl::StatusOr<std::vector<std::string>> ListHostIds(Connection& connection,
                                                     std::optional<std::string> status,
                                                     std::string_view after, int limit) {
  return internal::InTransaction(
      connection, "list hosts", [&](pqxx::work& tx) -> absl::StatusOr<std::vector<std::string>> {
        std::vector<std::string> ids;
        for (const auto& row :
             tx.exec_prepared("host_list_ids", std::string(after), status.value_or(""), limit)) {
          ids.push_back(row[0].as<std::string>());
        }
        return ids;
      });
}

}  // namespace gantry::storage
