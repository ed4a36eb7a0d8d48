// The agents' side of the host command queues: taking pending commands (which marks
// launches delivered), acknowledging them, and heartbeats. Commands are written by
// CommitRound (LAUNCH) and StopTask (STOP), see internal/commands.h.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/internal/errors.h"
#include "storage/internal/json.h"
#include "storage/internal/statements.h"
#include "storage/internal/task_rows.h"
#include "storage/storage.h"

namespace gantry::storage {
namespace {

using internal::ToIntArray;
using internal::ToTextArray;

constexpr char kHostId[] = R"sql(SELECT host_id FROM hosts WHERE instance_id = $1)sql";

constexpr char kDeleteAcked[] = R"sql(
  DELETE FROM host_commands WHERE host_id = $1 AND seq <= $2)sql";
constexpr char kPending[] = R"sql(
  SELECT seq, kind, task_id FROM host_commands WHERE host_id = $1 AND seq > $2
  ORDER BY seq LIMIT $3)sql";
// Handing out a launch: the task rows are locked in id order first, so a concurrent
// StopTask either sees delivered_at (and goes through the agent) or has stopped the
// task, which the update below then leaves alone (a fresh statement sees its commit).
constexpr char kLockTasks[] = R"sql(
  SELECT 1 FROM tasks WHERE task_id = ANY($1::text[]) ORDER BY task_id FOR UPDATE)sql";
constexpr char kMarkDelivered[] = R"sql(
  UPDATE tasks SET delivered_at = coalesce(delivered_at, now())
  WHERE task_id = ANY($1::text[]) AND last_status <> 'STOPPED'
  RETURNING task_id)sql";
constexpr char kDropCommands[] = R"sql(
  DELETE FROM host_commands WHERE host_id = $1 AND seq = ANY($2::int8[]))sql";
// The commands with what the agent needs: the task (kTaskSelect's columns from column
// 6 on), its definition, its subnet and VPC.
const std::string kCommandRows = std::string(R"sql(
  SELECT c.seq, c.kind, d.body::text, s.cidr_block::text, v.vpc_id, v.cidr_block::text, )sql") +
                                 internal::kTaskSelect + R"sql(
  JOIN host_commands c ON c.task_id = t.task_id
  LEFT JOIN task_definitions d
    ON d.account_id = t.account_id AND d.family = t.family AND d.revision = t.revision
  LEFT JOIN subnets s ON s.subnet_id = t.subnet_id
  LEFT JOIN vpcs v ON v.vpc_id = s.vpc_id
  WHERE c.host_id = $1 AND c.seq = ANY($2::int8[])
  ORDER BY c.seq)sql";
constexpr int kCommandColumns = 6;
// Last, after the task locks (lock order: task, then host).
constexpr char kMarkSeen[] = R"sql(
  UPDATE hosts SET last_seen_at = now() WHERE host_id = $1
  RETURNING status, agent_connected)sql";

// Host rows in id order, as CommitRound locks them.
constexpr char kHeartbeats[] = R"sql(
  UPDATE hosts SET last_seen_at = now()
  WHERE host_id IN (SELECT host_id FROM hosts WHERE instance_id = ANY($1::text[])
                    ORDER BY host_id FOR NO KEY UPDATE))sql";

absl::StatusOr<int64_t> FindHost(pqxx::work& tx, std::string_view instance_id) {
  pqxx::result rows = tx.exec_prepared("command_host_id", std::string(instance_id));
  if (rows.empty()) {
    return absl::NotFoundError(
        absl::StrCat("host: container instance ", std::string(instance_id), " does not exist"));
  }
  return rows[0][0].as<int64_t>();
}

absl::StatusOr<PendingCommand> RowToCommand(const pqxx::row& row) {
  PendingCommand command;
  command.sequence = row[0].as<int64_t>();
  command.kind = row[1].as<std::string>();
  GANTRY_ASSIGN_OR_RETURN(command.task,
                          internal::RowToTask(row.slice(kCommandColumns, row.size())));
  if (command.kind == "LAUNCH") {
    LaunchDetails launch;
    if (!row[2].is_null()) {
      GANTRY_RETURN_IF_ERROR(internal::FromJsonText(row[2].as<std::string>(), &launch.definition));
    }
    if (!row[3].is_null()) launch.subnet_cidr_block = row[3].as<std::string>();
    if (!row[4].is_null()) launch.vpc_id = row[4].as<std::string>();
    if (!row[5].is_null()) launch.vpc_cidr_block = row[5].as<std::string>();
    launch.security_group_ids = command.task.spec.security_group_ids;
    command.launch = std::move(launch);
  }
  return command;
}

// Marks the LAUNCH commands' tasks delivered. Returns the sequence numbers of the
// commands to hand out; launches of tasks stopped meanwhile are deleted instead.
std::vector<int64_t> Deliver(pqxx::work& tx, int64_t host_id, const pqxx::result& pending) {
  std::vector<std::string> launched;
  for (const pqxx::row& row : pending) {
    if (row[1].as<std::string>() == "LAUNCH") launched.push_back(row[2].as<std::string>());
  }
  absl::flat_hash_set<std::string> delivered;
  if (!launched.empty()) {
    const std::string ids = ToTextArray(launched);
    tx.exec_prepared("command_lock_tasks", ids);
    for (const pqxx::row& row : tx.exec_prepared("command_mark_delivered", ids)) {
      delivered.insert(row[0].as<std::string>());
    }
  }
  std::vector<int64_t> kept, dropped;
  for (const pqxx::row& row : pending) {
    const bool live =
        row[1].as<std::string>() != "LAUNCH" || delivered.contains(row[2].as<std::string>());
    (live ? kept : dropped).push_back(row[0].as<int64_t>());
  }
  if (!dropped.empty()) tx.exec_prepared0("command_drop", host_id, ToIntArray(dropped));
  return kept;
}

}  // namespace

namespace internal {
const std::vector<Statement>& HostCommandStatements() {
  static const std::vector<Statement> kStatements = {
      {"command_host_id", kHostId},
      {"command_delete_acked", kDeleteAcked},
      {"command_pending", kPending},
      {"command_lock_tasks", kLockTasks},
      {"command_mark_delivered", kMarkDelivered},
      {"command_drop", kDropCommands},
      {"command_rows", kCommandRows.c_str()},
      {"command_mark_seen", kMarkSeen},
      {"command_heartbeats", kHeartbeats},
  };
  return kStatements;
}
}  // namespace internal

absl::StatusOr<PolledCommands> TakeCommands(Connection& connection, std::string_view instance_id,
                                            int64_t acked_sequence, int limit) {
  return internal::InTransaction(
      connection, "take commands", [&](pqxx::work& tx) -> absl::StatusOr<PolledCommands> {
        GANTRY_ASSIGN_OR_RETURN(int64_t host_id, FindHost(tx, instance_id));
        tx.exec_prepared0("command_delete_acked", host_id, acked_sequence);
        pqxx::result pending = tx.exec_prepared("command_pending", host_id, acked_sequence, limit);
        PolledCommands polled;
        std::vector<int64_t> kept = Deliver(tx, host_id, pending);
        if (!kept.empty()) {
          for (const pqxx::row& row : tx.exec_prepared("command_rows", host_id, ToIntArray(kept))) {
            GANTRY_ASSIGN_OR_RETURN(PendingCommand command, RowToCommand(row));
            polled.commands.push_back(std::move(command));
          }
        }
        pqxx::row seen = tx.exec_prepared1("command_mark_seen", host_id);
        polled.host_status = seen[0].as<std::string>();
        polled.agent_connected = seen[1].as<bool>();
        return polled;
      });
}

absl::Status AckCommands(Connection& connection, std::string_view instance_id,
                         int64_t acked_sequence) {
  return internal::InTransaction(
      connection, "acknowledge commands", [&](pqxx::work& tx) -> absl::Status {
        GANTRY_ASSIGN_OR_RETURN(int64_t host_id, FindHost(tx, instance_id));
        tx.exec_prepared0("command_delete_acked", host_id, acked_sequence);
        return absl::OkStatus();
      });
}

absl::Status RecordHeartbeats(Connection& connection,
                              const std::vector<std::string>& instance_ids) {
  if (instance_ids.empty()) return absl::OkStatus();
  return internal::InTransaction(
      connection, "record heartbeats", [&](pqxx::work& tx) -> absl::Status {
        tx.exec_prepared0("command_heartbeats", ToTextArray(instance_ids));
        return absl::OkStatus();
      });
}

}  // namespace gantry::storage
