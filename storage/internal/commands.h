// Writing to the hosts' command queues (host_commands) and waking the agents' polls.
// Storage-internal.
//
// Sequence numbers come from hosts.next_command_seq and are taken under the host's row
// lock, which the taking transaction keeps until it commits: sequence order is commit
// order, with no gaps.
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

// pg_notify on kCommandsChannel with these instance ids (deduplicated, comma-separated,
// kHostsPerNotification per notification), in one statement. PostgreSQL delivers them
// when the transaction commits.
void NotifyHosts(pqxx::work& tx, std::vector<std::string> instance_ids);

// The notification payloads for `instance_ids` (sorted, deduplicated).
std::vector<std::string> NotificationPayloads(std::vector<std::string> instance_ids);

}  // namespace gantry::storage::internal
