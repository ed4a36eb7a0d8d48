// GetTaskLogs (EcsOperations) and SubmitLogs (AgentOperations): a caller's request for a
// container's log travels to the agent of the task's host as a row (storage
// CreateLogRequest, with a notification that wakes the host's poll), the agent answers
// with SubmitLogs, and a notification wakes the call waiting in the LogRelay, on
// whichever gantryd holds it.
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/api.h"
#include "api/internal/access.h"
#include "api/internal/resources.h"
#include "api/internal/run_on_database.h"
#include "api/internal/task_logs.h"
#include "api/internal/tasks.h"
#include "api/log_relay.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/utf8.h"

namespace gantry::api {
namespace {

using internal::RunOnDatabase;

// One GetTaskLogs call from the request until its answer: finished exactly once, from
// a database worker (answer, error) or the relay's thread (deadline).
struct LogCall {
  std::string request_id;
  v1::GetTaskLogsResponse response;  // task, container and status; data comes last
  Done<v1::GetTaskLogsResponse> done;
  std::atomic<bool> finished{false};

  void Finish(absl::StatusOr<v1::GetTaskLogsResponse> result) {
    if (!finished.exchange(true)) {
      done(std::move(result));
    }
  }
};

}  // namespace

void EcsOperations::GetTaskLogs(const Caller& caller, const v1::GetTaskLogsRequest& request,
                                Done<v1::GetTaskLogsResponse> done) {
  if (log_relay_ == nullptr) {
    return done(absl::UnimplementedError("GetTaskLogs: this gantryd serves no logs"));
  }
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  GANTRY_ASSIGN_OR_DONE(internal::LogsPlan plan, internal::ParseGetTaskLogs(config, request), done);
  auto call = std::make_shared<LogCall>();
  call->request_id = ids::RandomHex(32);
  call->done = std::move(done);
  storage::Database* database = database_;
  LogRelay* relay = log_relay_;
  // Reads the answer after a wake; finishes the call when there is one.
  auto collect = [call, database, relay](LogRelay::Wake why) {
    RunOnDatabase<std::optional<storage::LogAnswer>>(
        database,
        [call](storage::Connection& connection) {
          return storage::TakeLogAnswer(connection, call->request_id);
        },
        [call, relay, why](absl::StatusOr<std::optional<storage::LogAnswer>> answer) {
          if (answer.ok() && !answer->has_value()) {
            return;  // not yet: a recheck after a reset
          }
          // A recheck may come before the request was committed, or find the queue
          // full: the answer's own wake or the deadline decides.
          if (why == LogRelay::Wake::kRecheck && !answer.ok()) {
            return;
          }
          relay->Forget(call->request_id);
          if (!answer.ok()) {
            return call->Finish(answer.status());
          }
          const storage::LogAnswer& log = **answer;
          if (!log.error.empty()) {
            return call->Finish(absl::NotFoundError(
                absl::StrCat("container: the task's agent has no log of \"",
                             call->response.container_name(), "\": ", log.error)));
          }
          v1::GetTaskLogsResponse response = call->response;
          // A character cut at the end of the piece is left for the next one.
          const size_t complete = CompleteUtf8Prefix(log.data);
          response.set_data(ToValidUtf8(std::string_view(log.data).substr(0, complete)));
          response.set_next_offset(log.next_offset -
                                   static_cast<int64_t>(log.data.size() - complete));
          call->Finish(std::move(response));
        });
  };
  const absl::Duration answer_timeout =
      absl::Seconds(plan.wait_seconds) + internal::kLogAnswerSlack;
  RunOnDatabase<std::string>(
      database_,
      [config, plan, call, relay, collect, database,
       answer_timeout](storage::Connection& connection) -> absl::StatusOr<std::string> {
        GANTRY_ASSIGN_OR_RETURN(
            std::vector<storage::TaskRow> rows,
            storage::GetTasks(connection, config.account_id, plan.cluster, {plan.task.task_id}));
        if (rows.empty()) {
          return absl::NotFoundError(absl::StrCat("task: ", plan.task.task_id,
                                                  " not found in cluster \"", plan.cluster, "\""));
        }
        const storage::TaskRow& task = rows.front();
        std::vector<std::string> names;
        for (const v1::Container& container : task.spec.containers) {
          names.push_back(container.name());
        }
        GANTRY_ASSIGN_OR_RETURN(std::string container,
                                internal::ChooseContainer(plan.container, names));
        call->response.set_task_arn(internal::TaskArn(config, plan.cluster, plan.task.task_id));
        call->response.set_container_name(container);
        call->response.set_last_status(task.last_status);
        // Waiting before the request exists, so that no answer can come unheard.
        relay->Await(call->request_id, absl::Now() + answer_timeout,
                     [call, collect, database](LogRelay::Wake why) {
                       if (why != LogRelay::Wake::kDeadline) {
                         return collect(why);
                       }
                       call->Finish(absl::DeadlineExceededError(
                           "the task's agent did not answer in time (its host may be "
                           "unreachable); try again"));
                       RunOnDatabase<bool>(
                           database,
                           [id = call->request_id](storage::Connection& c) -> absl::StatusOr<bool> {
                             GANTRY_RETURN_IF_ERROR(storage::DeleteLogRequest(c, id));
                             return true;
                           },
                           [](absl::StatusOr<bool>) {});
                     });
        absl::StatusOr<std::string> host = storage::CreateLogRequest(
            connection, {.request_id = call->request_id,
                         .task_id = plan.task.task_id,
                         .container = container,
                         .start_offset = plan.start_offset,
                         .max_bytes = plan.max_bytes,
                         // A stopped task writes nothing more: no reason to wait.
                         .wait_ms = task.last_status == "STOPPED" ? 0 : plan.wait_seconds * 1000});
        if (!host.ok()) {
          relay->Forget(call->request_id);
        }
        return host;
      },
      [call](absl::StatusOr<std::string> host) {
        if (!host.ok()) {
          call->Finish(host.status());
        }
      });
}

void AgentOperations::SubmitLogs(const Caller& caller, const v1::SubmitLogsRequest& request,
                                 Done<v1::SubmitLogsResponse> done) {
  GANTRY_RETURN_DONE_IF_ERROR(internal::RequireAgent(caller), done);
  GANTRY_RETURN_DONE_IF_ERROR(internal::ValidateSubmitLogs(request), done);
  RunOnDatabase<v1::SubmitLogsResponse>(
      database_,
      [request](storage::Connection& connection) -> absl::StatusOr<v1::SubmitLogsResponse> {
        GANTRY_RETURN_IF_ERROR(storage::SubmitLogAnswer(connection, request.host_id(),
                                                        request.request_id(),
                                                        {.data = request.data(),
                                                         .next_offset = request.next_offset(),
                                                         .error = request.error()}));
        return v1::SubmitLogsResponse();
      },
      std::move(done));
}

}  // namespace gantry::api
