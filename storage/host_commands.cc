// The agents' side of the host command queues: taking pending commands (which marks
// launches delivered), acknowledging them, and heartbeats. Commands are written by
// CommitRound (LAUNCH) and StopTask (STOP), see internal/commands.h.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
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

// The host, the next sequence number it will issue (an acknowledgement at or above it
// names a command that was never issued) and the state the poll reports back. A plain
// read, no lock and no write: the committed sequence only grows, a command an agent has
// seen committed with its number, and the poll hub records heartbeats, which the host
// monitor writes in batches that never wait (kHeartbeats). Writing last_seen_at here
// made every poll of a host wait for the placement round holding its row.
constexpr char kHost[] = R"sql(
  SELECT host_id, next_command_seq, status, agent_connected FROM hosts
  WHERE instance_id = $1)sql";

// Read without locking: what the rows say is re-checked under the locks below (a
// launch's task state; a command deleted meanwhile is not in kCommandRows).
constexpr char kPending[] = R"sql(
  SELECT seq, kind, task_id FROM host_commands WHERE host_id = $1 AND seq > $2
  ORDER BY seq LIMIT $3)sql";
// Handing out a launch: the task rows are locked in id order first, so a concurrent
// StopTask either sees delivered_at (and goes through the agent) or has stopped the
// task, which this then reads (a locking read returns the latest committed row).
constexpr char kLockTasks[] = R"sql(
  SELECT task_id, last_status <> 'STOPPED', delivered_at IS NOT NULL FROM tasks
  WHERE task_id = ANY($1::text[]) ORDER BY task_id FOR UPDATE)sql";
// Only tasks not delivered yet: handing a launch out again writes nothing.
constexpr char kMarkDelivered[] = R"sql(
  UPDATE tasks SET delivered_at = now()
  WHERE task_id = ANY($1::text[]) AND last_status <> 'STOPPED' AND delivered_at IS NULL)sql";
// The acknowledged commands and the dropped launches, locked in sequence order (lock
// order: after the tasks, before the host), then deleted.
constexpr char kDeleteCommands[] = R"sql(
  DELETE FROM host_commands WHERE host_id = $1 AND seq IN (
    SELECT seq FROM host_commands WHERE host_id = $1 AND (seq <= $2 OR seq = ANY($3::int8[]))
    ORDER BY seq FOR UPDATE))sql";
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
// Host rows in id order, as CommitRound locks them, but never waiting: a row another
// transaction holds is skipped (kStaleHeartbeats finds it for the caller to retry). A
// row written less than $2 microseconds ago is left alone: rewriting it would gain
// nothing and cost a row version.
constexpr char kHeartbeats[] = R"sql(
  UPDATE hosts SET last_seen_at = now()
  WHERE host_id IN (SELECT host_id FROM hosts
                    WHERE instance_id = ANY($1::text[])
                      AND last_seen_at < now() - $2::int8 * interval '1 microsecond'
                    ORDER BY host_id FOR NO KEY UPDATE SKIP LOCKED))sql";
// After kHeartbeats in the same transaction: what it wrote is now fresh, so what is
// still stale was skipped because another transaction held the row.
constexpr char kStaleHeartbeats[] = R"sql(
  SELECT instance_id FROM hosts
  WHERE instance_id = ANY($1::text[])
    AND last_seen_at < now() - $2::int8 * interval '1 microsecond')sql";

struct HostQueue {
  int64_t host_id = 0;
  int64_t next_sequence = 1;
  std::string status;
  bool agent_connected = false;
};

absl::StatusOr<HostQueue> FindHost(pqxx::work& tx, std::string_view instance_id) {
  pqxx::result rows = tx.exec_prepared("command_host", std::string(instance_id));
  if (rows.empty()) {
    return absl::NotFoundError(
        absl::StrCat("host: container instance ", std::string(instance_id), " does not exist"));
  }
  return HostQueue{rows[0][0].as<int64_t>(), rows[0][1].as<int64_t>(), rows[0][2].as<std::string>(),
                   rows[0][3].as<bool>()};
}

// An acknowledgement of a number never issued would delete commands the agent has not
// seen (its state is not this host's: a restored database, a confused agent).
absl::Status CheckAcked(const HostQueue& host, std::string_view instance_id,
                        int64_t acked_sequence) {
  if (acked_sequence < host.next_sequence) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("ackedSequence: ", acked_sequence, " was never issued to host ",
                   std::string(instance_id), "; the highest issued is ", host.next_sequence - 1));
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
      GANTRY_RETURN_IF_ERROR(
          internal::FromSharedJsonText(row[2].as<std::string>(), &launch.definition));
    }
    if (!row[3].is_null()) {
      launch.subnet_cidr_block = row[3].as<std::string>();
    }
    if (!row[4].is_null()) {
      launch.vpc_id = row[4].as<std::string>();
    }
    if (!row[5].is_null()) {
      launch.vpc_cidr_block = row[5].as<std::string>();
    }
    launch.security_group_ids = command.task.spec.security_group_ids;
    command.launch = std::move(launch);
  }
  return command;
}

struct Delivery {
  std::vector<int64_t> kept;     // sequence numbers to hand out
  std::vector<int64_t> dropped;  // launches of tasks stopped meanwhile
};

// Locks the tasks of the LAUNCH commands among `pending` and marks those not stopped
// delivered. Launches of stopped tasks are dropped.
Delivery Deliver(pqxx::work& tx, const std::vector<pqxx::row>& pending) {
  std::vector<std::string> launched;
  for (const pqxx::row& row : pending) {
    if (row[1].as<std::string>() == "LAUNCH") {
      launched.push_back(row[2].as<std::string>());
    }
  }
  absl::flat_hash_set<std::string> live;
  std::vector<std::string> undelivered;
  if (!launched.empty()) {
    for (const pqxx::row& row : tx.exec_prepared("command_lock_tasks", ToTextArray(launched))) {
      if (!row[1].as<bool>()) {
        continue;
      }
      live.insert(row[0].as<std::string>());
      if (!row[2].as<bool>()) {
        undelivered.push_back(row[0].as<std::string>());
      }
    }
  }
  if (!undelivered.empty()) {
    tx.exec_prepared0("command_mark_delivered", ToTextArray(undelivered));
  }
  Delivery delivery;
  for (const pqxx::row& row : pending) {
    const bool keep =
        row[1].as<std::string>() != "LAUNCH" || live.contains(row[2].as<std::string>());
    (keep ? delivery.kept : delivery.dropped).push_back(row[0].as<int64_t>());
  }
  return delivery;
}

}  // namespace

namespace internal {
const std::vector<Statement>& HostCommandStatements() {
  static const std::vector<Statement> kStatements = {
      {"command_host", kHost},
      {"command_pending", kPending},
      {"command_lock_tasks", kLockTasks},
      {"command_mark_delivered", kMarkDelivered},
      {"command_delete", kDeleteCommands},
      {"command_rows", kCommandRows.c_str()},
      {"command_heartbeats", kHeartbeats},
      {"command_stale_heartbeats", kStaleHeartbeats},
  };
  return kStatements;
}
}  // namespace internal

absl::StatusOr<PolledCommands> TakeCommands(Connection& connection, std::string_view instance_id,
                                            int64_t acked_sequence, int limit) {
  return internal::InTransaction(
      connection, "take commands", [&](pqxx::work& tx) -> absl::StatusOr<PolledCommands> {
        GANTRY_ASSIGN_OR_RETURN(HostQueue host, FindHost(tx, instance_id));
        GANTRY_RETURN_IF_ERROR(CheckAcked(host, instance_id, acked_sequence));
        const size_t wanted = static_cast<size_t>(std::max(limit, 0));
        // One row beyond the limit says whether the answer is all there is.
        pqxx::result read = tx.exec_prepared("command_pending", host.host_id, acked_sequence,
                                             static_cast<int64_t>(wanted) + 1);
        PolledCommands polled;
        std::vector<pqxx::row> pending;
        for (const pqxx::row& row : read) {
          if (pending.size() == wanted) {
            polled.more_pending = true;
            break;
          }
          pending.push_back(row);
        }
        // Lock order: the launches' tasks, then the command rows, then the host.
        Delivery delivery = Deliver(tx, pending);
        if (acked_sequence > 0 || !delivery.dropped.empty()) {
          tx.exec_prepared0("command_delete", host.host_id, acked_sequence,
                            ToIntArray(delivery.dropped));
        }
        if (!delivery.kept.empty()) {
          for (const pqxx::row& row :
               tx.exec_prepared("command_rows", host.host_id, ToIntArray(delivery.kept))) {
            GANTRY_ASSIGN_OR_RETURN(PendingCommand command, RowToCommand(row));
            polled.commands.push_back(std::move(command));
          }
        }
        // A dropped launch, or a command deleted since the read (its task stopped, or a
        // concurrent acknowledgement), leaves room for commands the read did not reach.
        if (!delivery.dropped.empty() || polled.commands.size() < delivery.kept.size()) {
          polled.more_pending = true;
        }
        polled.host_status = host.status;
        polled.agent_connected = host.agent_connected;
        return polled;
      });
}

absl::Status AckCommands(Connection& connection, std::string_view instance_id,
                         int64_t acked_sequence) {
  return internal::InTransaction(
      connection, "acknowledge commands", [&](pqxx::work& tx) -> absl::Status {
        GANTRY_ASSIGN_OR_RETURN(HostQueue host, FindHost(tx, instance_id));
        GANTRY_RETURN_IF_ERROR(CheckAcked(host, instance_id, acked_sequence));
        tx.exec_prepared0("command_delete", host.host_id, acked_sequence, ToIntArray({}));
        return absl::OkStatus();
      });
}

absl::Status RecordHeartbeats(Connection& connection, const std::vector<std::string>& instance_ids,
                              absl::Duration min_age, std::vector<std::string>* locked_ids) {
  // Read before *locked_ids is replaced: the caller may pass the same vector twice.
  const std::string ids = ToTextArray(instance_ids);
  const int64_t min_age_us = absl::ToInt64Microseconds(std::max(min_age, absl::ZeroDuration()));
  std::vector<std::string> locked;
  if (!instance_ids.empty()) {
    absl::Status recorded = internal::InTransaction(
        connection, "record heartbeats", [&](pqxx::work& tx) -> absl::Status {
          tx.exec_prepared0("command_heartbeats", ids, min_age_us);
          locked.clear();  // a retried attempt starts over
          if (locked_ids != nullptr) {
            for (const pqxx::row& row :
                 tx.exec_prepared("command_stale_heartbeats", ids, min_age_us)) {
              locked.push_back(row[0].as<std::string>());
            }
          }
          return absl::OkStatus();
        });
    if (!recorded.ok()) {
      return recorded;
    }
  }
  if (locked_ids != nullptr) {
    *locked_ids = std::move(locked);
  }
  return absl::OkStatus();
}

}  // namespace gantry::storage
