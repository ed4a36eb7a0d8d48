// Task reads, StopTask and RunTask tokens.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "storage/internal/commands.h"
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
const std::string kSelectByIdAnyAccount =
    std::string("SELECT ") + kTaskSelect + "WHERE t.task_id = ANY($1::text[])";
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
// A stopped task's tags are deleted, as ECS does. The first stop code wins (as
// lifecycle::RequestStop).
constexpr char kStopNow[] = R"sql(
  UPDATE tasks SET last_status = 'STOPPED', desired_status = 'STOPPED',
    stopping_at = coalesce(stopping_at, now()), execution_stopped_at = now(), stopped_at = now(),
    stop_code = coalesce(stop_code, $2), stopped_reason = coalesce(stopped_reason, nullif($3, '')),
    holds_resources = false, tags = '[]', version = version + 1
  WHERE task_id = $1)sql";
// A task on an agent: the agent stops it and reports (the agent protocol). This is
// lifecycle::RequestStop at the transaction's time: stoppingAt from the request, the
// first stop code and reason win (an empty reason sets none), version + 1.
constexpr char kRequestStop[] = R"sql(
  UPDATE tasks SET desired_status = 'STOPPED', stop_code = coalesce(stop_code, $2),
    stopped_reason = coalesce(stopped_reason, nullif($3, '')),
    stopping_at = coalesce(stopping_at, now()), version = version + 1
  WHERE task_id = $1)sql";

// Releases batches of tasks: one statement per table whatever the batch size. Hosts and
// subnets are locked in id order (as CommitRound locks them) so that two releases, or a
// release and a round, queue up instead of deadlocking.
constexpr char kLockHosts[] = R"sql(
  SELECT 1 FROM hosts WHERE host_id = ANY($1::int8[]) ORDER BY host_id FOR NO KEY UPDATE)sql";
constexpr char kReleaseHosts[] = R"sql(
  UPDATE hosts h SET cpu_used = h.cpu_used - d.cpu, memory_used = h.memory_used - d.mem,
    storage_used = h.storage_used - d.sto, eni_used = h.eni_used - d.enis,
    version = h.version + 1
  FROM unnest($1::int8[], $2::int4[], $3::int4[], $4::int4[], $5::int4[])
    AS d(host_id, cpu, mem, sto, enis)
  WHERE h.host_id = d.host_id)sql";
constexpr char kLockSubnets[] = R"sql(
  SELECT 1 FROM subnets WHERE subnet_id IN (
    SELECT subnet_id FROM network_interfaces WHERE task_id = ANY($1::text[]))
  ORDER BY subnet_id FOR UPDATE)sql";
// The addresses go to the free list, lowest reused first by CommitRound.
constexpr char kReleaseEnis[] = R"sql(
  WITH gone AS (
    DELETE FROM network_interfaces WHERE task_id = ANY($1::text[])
    RETURNING subnet_id, address_offset),
  freed AS (
    INSERT INTO subnet_free_addresses (subnet_id, address_offset)
    SELECT subnet_id, address_offset FROM gone)
  UPDATE subnets s SET addresses_in_use = s.addresses_in_use - g.n
  FROM (SELECT subnet_id, count(*)::int4 AS n FROM gone GROUP BY subnet_id) g
  WHERE s.subnet_id = g.subnet_id)sql";

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
      {"task_select_by_id_any_account", kSelectByIdAnyAccount.c_str()},
      {"task_lock_one", kLockOne},
      {"task_select_one", kSelectOne.c_str()},
      {"task_list", kList},
      {"task_stop_now", kStopNow},
      {"task_request_stop", kRequestStop},
      {"task_lock_hosts", kLockHosts},
      {"task_release_hosts", kReleaseHosts},
      {"task_lock_subnets", kLockSubnets},
      {"task_release_enis", kReleaseEnis},
      {"task_select_token", kSelectToken},
  };
  return kStatements;
}

absl::Status ReleaseTaskResources(pqxx::work& tx, const TaskRow& task) {
  return ReleaseTasksResources(tx, {&task});
}

absl::Status ReleaseTasksResources(pqxx::work& tx, const std::vector<const TaskRow*>& tasks) {
  std::map<int64_t, std::array<int64_t, 4>> by_host;
  std::vector<std::string> task_ids;
  for (const TaskRow* task : tasks) {
    if (!task->holds_resources || !task->placement.has_value()) continue;
    auto& sum = by_host[task->placement->host_id];
    sum[0] += task->spec.cpu_units;
    sum[1] += task->spec.memory_mib;
    sum[2] += task->spec.ephemeral_storage_gib;
    sum[3] += 1;
    task_ids.push_back(task->spec.task_id);
  }
  if (task_ids.empty()) return absl::OkStatus();
  std::vector<int64_t> hosts, cpu, memory, storage, enis;
  for (const auto& [host_id, sum] : by_host) {
    hosts.push_back(host_id);
    cpu.push_back(sum[0]);
    memory.push_back(sum[1]);
    storage.push_back(sum[2]);
    enis.push_back(sum[3]);
  }
  // An UPDATE ... FROM locks in join order; lock in id order first.
  if (hosts.size() > 1) tx.exec_prepared("task_lock_hosts", ToIntArray(hosts));
  tx.exec_prepared0("task_release_hosts", ToIntArray(hosts), ToIntArray(cpu), ToIntArray(memory),
                    ToIntArray(storage), ToIntArray(enis));
  const std::string ids = ToTextArray(task_ids);
  tx.exec_prepared("task_lock_subnets", ids);
  tx.exec_prepared0("task_release_enis", ids);
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

absl::StatusOr<std::vector<TaskRow>> GetTasksByIdInAnyAccount(
    Connection& connection, const std::vector<std::string>& task_ids) {
  return internal::InTransaction(
      connection, "get tasks", [&](pqxx::work& tx) -> absl::StatusOr<std::vector<TaskRow>> {
        return RowsToTasks(
            tx.exec_prepared("task_select_by_id_any_account", internal::ToTextArray(task_ids)));
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
        // Without delivery no agent can be running it: nothing to wait for. TakeCommands
        // sets delivered_at under this row lock, so the two cannot cross.
        if (before.delivered_at.has_value()) {
          // Already desired STOPPED: its STOP command is queued or was applied.
          if (before.desired_status != "STOPPED" && before.placement.has_value()) {
            tx.exec_prepared0("task_request_stop", std::string(task_id), std::string(stop_code),
                              std::string(reason));
            internal::QueueStop(tx, before.placement->host_id, std::string(task_id));
          }
        } else {
          // Its LAUNCH goes first: command rows before the host (lock order).
          internal::DeleteTaskCommands(tx, {std::string(task_id)});
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
