#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/internal/commands.h"
#include "storage/internal/errors.h"
#include "storage/internal/statements.h"
#include "storage/storage.h"

namespace gantry::storage {

namespace {

// Requests a crashed gantryd left behind; the longest wait of a live one is far shorter.
constexpr char kDeleteAbandoned[] = R"sql(
  DELETE FROM log_requests WHERE created_at < now() - interval '10 minutes')sql";
constexpr char kTaskHost[] = R"sql(
  SELECT h.host_id, h.instance_id, h.agent_connected FROM tasks t
  JOIN hosts h ON h.host_id = t.host_id WHERE t.task_id = $1)sql";
constexpr char kCreate[] = R"sql(
  INSERT INTO log_requests (request_id, host_id, task_id, container, start_offset, max_bytes,
                            wait_ms)
  VALUES ($1, $2, $3, $4, $5, $6, $7))sql";
constexpr char kTake[] = R"sql(
  UPDATE log_requests r SET delivered_at = now()
  FROM hosts h, tasks t
  WHERE r.request_id IN (
      SELECT q.request_id FROM log_requests q JOIN hosts qh ON qh.host_id = q.host_id
      WHERE qh.instance_id = $1 AND q.delivered_at IS NULL
      ORDER BY q.created_at LIMIT 1000)
    AND h.instance_id = $1 AND r.host_id = h.host_id AND t.task_id = r.task_id
  RETURNING r.request_id, r.task_id, r.container, r.start_offset, r.max_bytes, r.wait_ms,
            t.account_id, t.cluster)sql";
constexpr char kAnswer[] = R"sql(
  UPDATE log_requests r SET answered_at = now(), data = $3, next_offset = $4, error = $5
  FROM hosts h
  WHERE h.instance_id = $1 AND r.host_id = h.host_id AND r.request_id = $2
    AND r.answered_at IS NULL
  RETURNING r.request_id)sql";
constexpr char kSelectAnswer[] = R"sql(
  SELECT answered_at IS NOT NULL, data, next_offset, error FROM log_requests
  WHERE request_id = $1)sql";
constexpr char kDelete[] = "DELETE FROM log_requests WHERE request_id = $1";

}  // namespace

namespace internal {
const std::vector<Statement>& LogRequestStatements() {
  static const std::vector<Statement> kStatements = {
      {"log_delete_abandoned", kDeleteAbandoned},
      {"log_task_host", kTaskHost},
      {"log_create", kCreate},
      {"log_take", kTake},
      {"log_answer", kAnswer},
      {"log_select_answer", kSelectAnswer},
      {"log_delete", kDelete},
  };
  return kStatements;
}
}  // namespace internal

absl::StatusOr<std::string> CreateLogRequest(Connection& connection, const LogRequestRow& request) {
  return internal::InTransaction(
      connection, "create log request", [&](pqxx::work& tx) -> absl::StatusOr<std::string> {
        tx.exec_prepared0("log_delete_abandoned");
        pqxx::result hosts = tx.exec_prepared("log_task_host", request.task_id);
        if (hosts.empty()) {
          return absl::FailedPreconditionError(
              absl::StrCat("task: ", request.task_id,
                           " has no host yet (it waits for capacity or never got one); its "
                           "containers have no logs"));
        }
        std::string instance_id = hosts[0][1].as<std::string>();
        if (!hosts[0][2].as<bool>()) {
          return absl::FailedPreconditionError(
              absl::StrCat("task: its host ", instance_id,
                           " was lost (its agent is not connected); its logs cannot be read"));
        }
        tx.exec_prepared0("log_create", request.request_id, hosts[0][0].as<int64_t>(),
                          request.task_id, request.container, request.start_offset,
                          request.max_bytes, request.wait_ms);
        internal::NotifyHosts(tx, {kLogRequestToken + instance_id});
        return instance_id;
      });
}

absl::StatusOr<std::vector<LogRequestRow>> TakeLogRequests(Connection& connection,
                                                           std::string_view instance_id) {
  return internal::InTransaction(
      connection, "take log requests",
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<LogRequestRow>> {
        std::vector<LogRequestRow> requests;
        for (const pqxx::row& row : tx.exec_prepared("log_take", std::string(instance_id))) {
          LogRequestRow& request = requests.emplace_back();
          request.request_id = row[0].as<std::string>();
          request.task_id = row[1].as<std::string>();
          request.container = row[2].as<std::string>();
          request.start_offset = row[3].as<int64_t>();
          request.max_bytes = row[4].as<int32_t>();
          request.wait_ms = row[5].as<int32_t>();
          request.account_id = row[6].as<std::string>();
          request.cluster = row[7].as<std::string>();
        }
        return requests;
      });
}

absl::Status SubmitLogAnswer(Connection& connection, std::string_view instance_id,
                             std::string_view request_id, const LogAnswer& answer) {
  return internal::InTransaction(
      connection, "submit log answer", [&](pqxx::work& tx) -> absl::Status {
        const pqxx::binarystring data(answer.data);
        pqxx::result rows =
            tx.exec_prepared("log_answer", std::string(instance_id), std::string(request_id), data,
                             answer.next_offset, answer.error);
        if (rows.empty()) {
          return absl::NotFoundError(absl::StrCat(
              "requestId: ", std::string(request_id),
              " is not a pending log request of this host (answered already, or given up)"));
        }
        internal::NotifyHosts(tx, {absl::StrCat(kLogAnswerToken, std::string(request_id))});
        return absl::OkStatus();
      });
}

absl::StatusOr<std::optional<LogAnswer>> TakeLogAnswer(Connection& connection,
                                                       std::string_view request_id) {
  return internal::InTransaction(
      connection, "take log answer",
      [&](pqxx::work& tx) -> absl::StatusOr<std::optional<LogAnswer>> {
        pqxx::result rows = tx.exec_prepared("log_select_answer", std::string(request_id));
        if (rows.empty()) {
          return absl::NotFoundError(
              absl::StrCat("log request ", std::string(request_id), " does not exist"));
        }
        if (!rows[0][0].as<bool>()) {
          return std::optional<LogAnswer>();
        }
        LogAnswer answer;
        answer.data = pqxx::binarystring(rows[0][1]).str();
        answer.next_offset = rows[0][2].as<int64_t>();
        answer.error = rows[0][3].is_null() ? "" : rows[0][3].as<std::string>();
        tx.exec_prepared0("log_delete", std::string(request_id));
        return std::optional<LogAnswer>(std::move(answer));
      });
}

absl::Status DeleteLogRequest(Connection& connection, std::string_view request_id) {
  return internal::InTransaction(connection, "delete log request",
                                 [&](pqxx::work& tx) -> absl::Status {
                                   tx.exec_prepared0("log_delete", std::string(request_id));
                                   return absl::OkStatus();
                                 });
}

}  // namespace gantry::storage
