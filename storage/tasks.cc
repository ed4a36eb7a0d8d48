// Task reads, StopTask and RunTask tokens.
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "storage/internal/errors.h"
#include "storage/internal/statements.h"
#include "storage/internal/task_rows.h"
#include "storage/storage.h"

namespace gantry::storage {
namespace {

using internal::kTaskSelect;

const std::string kSelectInCluster = std::string("SELECT ") + kTaskSelect +
                                     "WHERE t.account_id = $1 AND t.cluster = $2 "
                                     "AND t.task_id = ANY($3::text[])";
const std::string kSelectById = std::string("SELECT ") + kTaskSelect +
                                "WHERE t.account_id = $1 AND t.task_id = ANY($2::text[])";
// Locks first, reads after: a locking read that waited for a concurrent placement
// would see the task's new host_id next to the old (empty) join with hosts.
constexpr char kLockOne[] = R"sql(
  SELECT 1 FROM tasks WHERE account_id = $1 AND cluster = $2 AND task_id = $3 FOR UPDATE)sql";
const std::string kSelectOne = std::string("SELECT ") + kTaskSelect +
                               "WHERE t.account_id = $1 AND t.cluster = $2 AND t.task_id = $3";

// One statement for every filter combination: an absent filter is a NULL parameter.
constexpr char kList[] = R"sql(
  SELECT t.task_id FROM tasks t
  WHERE t.account_id = $1 AND t.cluster = $2 AND t.desired_status = $3 AND t.task_id > $4
    AND ($5::text IS NULL OR t.family = $5)
    AND ($6::text IS NULL OR t.started_by = $6)
    AND ($7::text IS NULL OR t.host_id = (SELECT host_id FROM hosts WHERE instance_id = $7))
  ORDER BY t.task_id LIMIT $8)sql";

// A task no agent has received stops at once; the release below returns what it held.
// A stopped task's tags are deleted, as ECS does.
constexpr char kStopNow[] = R"sql(
  UPDATE tasks SET last_status = 'STOPPED', desired_status = 'STOPPED',
    stopping_at = coalesce(stopping_at, now()), execution_stopped_at = now(), stopped_at = now(),
    stop_code = $2, stopped_reason = $3, holds_resources = false, tags = '[]',
    version = version + 1
  WHERE task_id = $1)sql";
// A task on an agent: the agent stops it and reports (the agent protocol).
constexpr char kRequestStop[] = R"sql(
  UPDATE tasks SET desired_status = 'STOPPED', stop_code = $2, stopped_reason = $3,
    version = version + 1
  WHERE task_id = $1)sql";

constexpr char kReleaseHost[] = R"sql(
  UPDATE hosts SET cpu_used = cpu_used - $2, memory_used = memory_used - $3,
    storage_used = storage_used - $4, eni_used = eni_used - 1, version = version + 1
  WHERE host_id = $1)sql";
constexpr char kDeleteEni[] = R"sql(
  DELETE FROM network_interfaces WHERE task_id = $1 RETURNING subnet_id, address_offset)sql";
constexpr char kFreeAddress[] = R"sql(
  INSERT INTO subnet_free_addresses (subnet_id, address_offset) VALUES ($1, $2))sql";
constexpr char kSubnetReturned[] = R"sql(
  UPDATE subnets SET addresses_in_use = addresses_in_use - 1 WHERE subnet_id = $1)sql";

constexpr char kSelectToken[] = R"sql(
  SELECT fingerprint, array_to_string(task_ids, ',') FROM run_task_tokens
  WHERE account_id = $1 AND client_token = $2)sql";

absl::StatusOr<std::vector<TaskRow>> RowsToTasks(const pqxx::result& result) {
  std::vector<TaskRow> tasks;
  tasks.reserve(result.size());
  for (const pqxx::row& row : result) {
    GANTRY_ASSIGN_OR_RETURN(TaskRow task, internal::RowToTask(row));
    tasks.push_back(std::move(task));
  }
  return tasks;
}

}  // namespace

namespace internal {
const std::vector<Statement>& TaskStatements() {
  static const std::vector<Statement> kStatements = {
      {"task_select_in_cluster", kSelectInCluster.c_str()},
      {"task_select_by_id", kSelectById.c_str()},
      {"task_lock_one", kLockOne},
      {"task_select_one", kSelectOne.c_str()},
      {"task_list", kList},
      {"task_stop_now", kStopNow},
      {"task_request_stop", kRequestStop},
      {"task_release_host", kReleaseHost},
      {"task_delete_eni", kDeleteEni},
      {"task_free_address", kFreeAddress},
      {"task_subnet_returned", kSubnetReturned},
      {"task_select_token", kSelectToken},
  };
  return kStatements;
}

absl::Status ReleaseTaskResources(pqxx::work& tx, const TaskRow& task) {
  if (!task.holds_resources || !task.placement.has_value()) return absl::OkStatus();
  tx.exec_prepared0("task_release_host", task.placement->host_id, task.spec.cpu_units,
                    task.spec.memory_mib, task.spec.ephemeral_storage_gib);
  for (const pqxx::row& eni : tx.exec_prepared("task_delete_eni", task.spec.task_id)) {
    std::string subnet_id = eni[0].as<std::string>();
    tx.exec_prepared0("task_free_address", subnet_id, eni[1].as<int32_t>());
    tx.exec_prepared0("task_subnet_returned", subnet_id);
  }
  return absl::OkStatus();
}
}  // namespace internal

absl::StatusOr<std::vector<TaskRow>> GetTasks(Connection& connection, std::string_view account_id,
                                              std::string_view cluster,
                                              const std::vector<std::string>& task_ids) {
  return internal::InTransaction(
      connection, "describe tasks", [&](pqxx::work& tx) -> absl::StatusOr<std::vector<TaskRow>> {
        return RowsToTasks(tx.exec_prepared("task_select_in_cluster", std::string(account_id),
                                            std::string(cluster), internal::ToTextArray(task_ids)));
      });
}

absl::StatusOr<std::vector<TaskRow>> GetTasksById(Connection& connection,
                                                  std::string_view account_id,
                                                  const std::vector<std::string>& task_ids) {
  return internal::InTransaction(
      connection, "get tasks", [&](pqxx::work& tx) -> absl::StatusOr<std::vector<TaskRow>> {
        return RowsToTasks(tx.exec_prepared("task_select_by_id", std::string(account_id),
                                            internal::ToTextArray(task_ids)));
      });
}

absl::StatusOr<std::vector<std::string>> ListTaskIds(Connection& connection,
                                                     std::string_view account_id,
                                                     const ListTasksQuery& query) {
  return internal::InTransaction(
      connection, "list tasks", [&](pqxx::work& tx) -> absl::StatusOr<std::vector<std::string>> {
        std::vector<std::string> ids;
        for (const pqxx::row& row : tx.exec_prepared(
                 "task_list", std::string(account_id), query.cluster, query.desired_status,
                 query.after, query.family, query.started_by, query.instance_id, query.limit)) {
          ids.push_back(row[0].as<std::string>());
        }
        return ids;
      });
}

absl::StatusOr<StopResult> StopTask(Connection& connection, std::string_view account_id,
                                    std::string_view cluster, std::string_view task_id,
                                    std::string_view stop_code, std::string_view reason) {
  return internal::InTransaction(
      connection, "stop task", [&](pqxx::work& tx) -> absl::StatusOr<StopResult> {
        pqxx::result locked = tx.exec_prepared("task_lock_one", std::string(account_id),
                                               std::string(cluster), std::string(task_id));
        if (!locked.empty()) {
          locked = tx.exec_prepared("task_select_one", std::string(account_id),
                                    std::string(cluster), std::string(task_id));
        }
        if (locked.empty()) {
          return absl::NotFoundError(absl::StrCat("task: task ", std::string(task_id),
                                                  " does not exist in cluster ",
                                                  std::string(cluster)));
        }
        GANTRY_ASSIGN_OR_RETURN(TaskRow before, internal::RowToTask(locked[0]));
        StopResult result;
        if (before.last_status == "STOPPED") {
          result.task = std::move(before);
          return result;
        }
        // Without delivery no agent can be running it: nothing to wait for.
        if (before.delivered_at.has_value()) {
          if (before.desired_status != "STOPPED") {
            tx.exec_prepared0("task_request_stop", std::string(task_id), std::string(stop_code),
                              std::string(reason));
          }
        } else {
          GANTRY_RETURN_IF_ERROR(internal::ReleaseTaskResources(tx, before));
          tx.exec_prepared0("task_stop_now", std::string(task_id), std::string(stop_code),
                            std::string(reason));
          result.released = before.holds_resources;
        }
        pqxx::result after = tx.exec_prepared("task_select_one", std::string(account_id),
                                              std::string(cluster), std::string(task_id));
        GANTRY_ASSIGN_OR_RETURN(result.task, internal::RowToTask(after[0]));
        return result;
      });
}

absl::StatusOr<std::optional<TokenBinding>> GetRunTaskToken(Connection& connection,
                                                            std::string_view account_id,
                                                            std::string_view client_token) {
  return internal::InTransaction(
      connection, "get run-task token",
      [&](pqxx::work& tx) -> absl::StatusOr<std::optional<TokenBinding>> {
        pqxx::result rows = tx.exec_prepared("task_select_token", std::string(account_id),
                                             std::string(client_token));
        if (rows.empty()) return std::optional<TokenBinding>();
        TokenBinding binding;
        binding.fingerprint = rows[0][0].as<std::string>();
        std::string ids = rows[0][1].as<std::string>();
        if (!ids.empty()) binding.task_ids = absl::StrSplit(ids, ',');
        return std::optional<TokenBinding>(std::move(binding));
      });
}

}  // namespace gantry::storage
