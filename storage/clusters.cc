#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "common/status_macros.h"
#include "storage/internal/errors.h"
#include "storage/internal/json.h"
#include "storage/internal/statements.h"
#include "storage/storage.h"

namespace gantry::storage {
namespace {

constexpr char kColumns[] =
    "name, status, spec::text, (extract(epoch FROM created_at) * 1000000)::int8";

// Re-creating a deleted (INACTIVE) name starts it afresh; an ACTIVE one is kept as is.
const std::string kInsert = std::string(R"sql(
  INSERT INTO clusters (account_id, name, status, spec) VALUES ($1, $2, 'ACTIVE', $3::jsonb)
  ON CONFLICT (account_id, name) DO UPDATE
    SET status = 'ACTIVE', spec = EXCLUDED.spec, created_at = now()
    WHERE clusters.status = 'INACTIVE'
  RETURNING )sql") + kColumns;
const std::string kSelectOne =
    std::string("SELECT ") + kColumns + " FROM clusters WHERE account_id = $1 AND name = $2";
const std::string kSelectMany = std::string("SELECT ") + kColumns +
                                " FROM clusters WHERE account_id = $1 AND name = ANY($2::text[])";
constexpr char kTaskCounts[] = R"sql(
  SELECT cluster, count(*) FILTER (WHERE last_status = 'RUNNING'),
         count(*) FILTER (WHERE last_status IN ('PROVISIONING', 'PENDING', 'ACTIVATING'))
  FROM tasks WHERE account_id = $1 AND cluster = ANY($2::text[]) AND last_status <> 'STOPPED'
  GROUP BY cluster)sql";
constexpr char kListNames[] = R"sql(
  SELECT name FROM clusters
  WHERE account_id = $1 AND status = 'ACTIVE' AND name > $2
  ORDER BY name LIMIT $3)sql";

absl::StatusOr<ClusterRow> RowToCluster(std::string_view account_id, const pqxx::row& row) {
  ClusterRow cluster;
  cluster.account_id = std::string(account_id);
  cluster.name = row[0].as<std::string>();
  cluster.status = row[1].as<std::string>();
  GANTRY_RETURN_IF_ERROR(internal::FromJsonText(row[2].as<std::string>(), &cluster.spec));
  cluster.created_at = absl::FromUnixMicros(row[3].as<int64_t>());
  return cluster;
}

}  // namespace

namespace internal {
const std::vector<Statement>& ClusterStatements() {
  static const std::vector<Statement> kStatements = {
      {"cluster_insert", kInsert.c_str()},          {"cluster_select_one", kSelectOne.c_str()},
      {"cluster_select_many", kSelectMany.c_str()}, {"cluster_task_counts", kTaskCounts},
      {"cluster_list_names", kListNames},
  };
  return kStatements;
}
}  // namespace internal

absl::StatusOr<ClusterRow> CreateCluster(Connection& connection, std::string_view account_id,
                                         std::string_view name, const gantry::v1::Cluster& spec) {
  return internal::InTransaction(
      connection, "create cluster", [&](pqxx::work& tx) -> absl::StatusOr<ClusterRow> {
        pqxx::result inserted = tx.exec_prepared("cluster_insert", std::string(account_id),
                                                 std::string(name), internal::ToJsonText(spec));
        if (!inserted.empty()) return RowToCluster(account_id, inserted[0]);
        // It already existed and is ACTIVE: CreateCluster is idempotent.
        pqxx::result existing =
            tx.exec_prepared("cluster_select_one", std::string(account_id), std::string(name));
        if (existing.empty()) return absl::AbortedError("cluster changed concurrently; retry");
        return RowToCluster(account_id, existing[0]);
      });
}

absl::StatusOr<std::vector<ClusterRow>> GetClusters(Connection& connection,
                                                    std::string_view account_id,
                                                    const std::vector<std::string>& names,
                                                    bool with_task_counts) {
  auto read = [&](pqxx::transaction_base& tx) -> absl::StatusOr<std::vector<ClusterRow>> {
    std::vector<ClusterRow> clusters;
    for (const auto& row : tx.exec_prepared("cluster_select_many", std::string(account_id),
                                            internal::ToTextArray(names))) {
      GANTRY_ASSIGN_OR_RETURN(ClusterRow cluster, RowToCluster(account_id, row));
      clusters.push_back(std::move(cluster));
    }
    if (!with_task_counts || clusters.empty()) return clusters;
    for (const auto& row : tx.exec_prepared("cluster_task_counts", std::string(account_id),
                                            internal::ToTextArray(names))) {
      for (ClusterRow& cluster : clusters) {
        if (cluster.name != row[0].as<std::string>()) continue;
        cluster.running_tasks = row[1].as<int32_t>();
        cluster.pending_tasks = row[2].as<int32_t>();
      }
    }
    return clusters;
  };
  // Without task counts it is one statement, and RunTask checks its cluster this way.
  if (!with_task_counts) {
    return internal::InSingleRead(connection, "describe clusters", read);
  }
  return internal::InTransaction(connection, "describe clusters",
                                 [&](pqxx::work& tx) { return read(tx); });
}

absl::StatusOr<std::vector<std::string>> ListClusterNames(Connection& connection,
                                                          std::string_view account_id,
                                                          std::string_view after, int limit) {
  return internal::InTransaction(
      connection, "list clusters", [&](pqxx::work& tx) -> absl::StatusOr<std::vector<std::string>> {
        std::vector<std::string> names;
        for (const auto& row : tx.exec_prepared("cluster_list_names", std::string(account_id),
                                                std::string(after), limit)) {
          names.push_back(row[0].as<std::string>());
        }
        return names;
      });
}

}  // namespace gantry::storage
