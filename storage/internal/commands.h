// Writing to the hosts' command queues (host_commands), deleting from them, and waking
// the agents' polls. Storage-internal.
//
// Sequence numbers come from hosts.next_command_seq and are taken under the host's row
// lock, which the taking transaction keeps until it commits: sequence order is commit
// order, with no gaps.
//
// Lock order, everywhere in storage (a transaction that holds a row of one kind never
// waits for a row of an earlier kind):
//   1. tasks, in task id order;
//   2. host_commands, in (host_id, seq) order;
//   3. hosts, in host id order;
//   4. subnets, in subnet id order.
// So a transaction that stops tasks deletes their commands before it releases their
// host share (ReleaseTasksResources locks hosts, then subnets), and TakeCommands locks
// the tasks of the launches it hands out before it deletes acknowledged commands, and
// marks the host seen last. Inserting new command rows is outside the order: nobody can
// wait for a row that has not committed (and the (host_id, seq) key never collides, the
// number being taken under the host lock), so CommitRound and QueueStop insert after
// the host lock that numbered them. The one exception is MarkLostHosts, which claims
// hosts first: it takes every task and command row with SKIP LOCKED, so it never waits
// for an earlier kind, and leaves a host with a contended row for its next call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace gantry::storage::internal {

// Instance ids per notification: 200 ids of 32 hex digits and their commas stay well
// under PostgreSQL's 8000-byte payload limit.
inline constexpr size_t kHostsPerNotification = 200;

struct NewCommand {
  int64_t host_id = 0;
  int64_t sequence = 0;
  std::string kind;  // LAUNCH or STOP
  std::string task_id;
};

// Inserts the commands in one statement. Their sequence numbers were taken by the
// caller under the hosts' row locks.
void InsertCommands(pqxx::work& tx, const std::vector<NewCommand>& commands);

// Queues a STOP of `task_id` on host `host_id`: locks the host row, takes the next
// sequence number, inserts the command and notifies. The caller holds the task's row
// lock (lock order: task, then host).
void QueueStop(pqxx::work& tx, int64_t host_id, const std::string& task_id);

// Deletes the tasks' pending commands, locking them in (host_id, seq) order (waits for
// rows another transaction holds). The caller holds the tasks' row locks and has not
// yet locked any host or subnet (lock order above). A task that reached STOPPED has no
// commands.
void DeleteTaskCommands(pqxx::work& tx, const std::vector<std::string>& task_ids);

// pg_notify on kCommandsChannel with these instance ids (deduplicated, comma-separated,
// kHostsPerNotification per notification), in one statement. PostgreSQL delivers them
// when the transaction commits.
void NotifyHosts(pqxx::work& tx, std::vector<std::string> instance_ids);

// The notification payloads for `instance_ids` (sorted, deduplicated).
std::vector<std::string> NotificationPayloads(std::vector<std::string> instance_ids);

}  // namespace gantry::storage::internal
