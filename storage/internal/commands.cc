#include "storage/internal/commands.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "storage/internal/errors.h"
#include "storage/internal/statements.h"
#include "storage/storage.h"

namespace gantry::storage::internal {
namespace {

constexpr char kInsert[] = R"sql(
  INSERT INTO host_commands (host_id, seq, kind, task_id)
  SELECT * FROM unnest($1::int8[], $2::int8[], $3::text[], $4::text[]))sql";

// The UPDATE takes the host's row lock, held until commit.
constexpr char kTakeSequence[] = R"sql(
  UPDATE hosts SET next_command_seq = next_command_seq + 1 WHERE host_id = $1
  RETURNING next_command_seq - 1, instance_id)sql";

// Locks first, in key order (see commands.h), then deletes what it locked.
constexpr char kDeleteForTasks[] = R"sql(
  DELETE FROM host_commands WHERE (host_id, seq) IN (
    SELECT host_id, seq FROM host_commands WHERE task_id = ANY($1::text[])
    ORDER BY host_id, seq FOR UPDATE))sql";

constexpr char kNotify[] = R"sql(
  SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload)sql";

}  // namespace

const std::vector<Statement>& CommandStatements() {
  static const std::vector<Statement> kStatements = {
      {"command_insert", kInsert},
      {"command_take_sequence", kTakeSequence},
      {"command_delete_for_tasks", kDeleteForTasks},
      {"command_notify", kNotify},
  };
  return kStatements;
}

void InsertCommands(pqxx::work& tx, const std::vector<NewCommand>& commands) {
  if (commands.empty()) return;
  std::vector<int64_t> hosts, sequences;
  std::vector<std::string> kinds, tasks;
  for (const NewCommand& command : commands) {
    hosts.push_back(command.host_id);
    sequences.push_back(command.sequence);
    kinds.push_back(command.kind);
    tasks.push_back(command.task_id);
  }
  tx.exec_prepared0("command_insert", ToIntArray(hosts), ToIntArray(sequences), ToTextArray(kinds),
                    ToTextArray(tasks));
}

void QueueStop(pqxx::work& tx, int64_t host_id, const std::string& task_id) {
  pqxx::row taken = tx.exec_prepared1("command_take_sequence", host_id);
  InsertCommands(tx, {{host_id, taken[0].as<int64_t>(), "STOP", task_id}});
  NotifyHosts(tx, {taken[1].as<std::string>()});
}

void DeleteTaskCommands(pqxx::work& tx, const std::vector<std::string>& task_ids) {
  if (task_ids.empty()) return;
  tx.exec_prepared0("command_delete_for_tasks", ToTextArray(task_ids));
}

std::vector<std::string> NotificationPayloads(std::vector<std::string> instance_ids) {
  std::sort(instance_ids.begin(), instance_ids.end());
  instance_ids.erase(std::unique(instance_ids.begin(), instance_ids.end()), instance_ids.end());
  std::vector<std::string> payloads;
  for (size_t begin = 0; begin < instance_ids.size(); begin += kHostsPerNotification) {
    const size_t end = std::min(instance_ids.size(), begin + kHostsPerNotification);
    payloads.push_back(
        absl::StrJoin(instance_ids.begin() + begin, instance_ids.begin() + end, ","));
  }
  return payloads;
}

void NotifyHosts(pqxx::work& tx, std::vector<std::string> instance_ids) {
  std::vector<std::string> payloads = NotificationPayloads(std::move(instance_ids));
  if (payloads.empty()) return;
  tx.exec_prepared("command_notify", std::string(kCommandsChannel), ToTextArray(payloads));
}

}  // namespace gantry::storage::internal
