#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "api/internal/access.h"
#include "api/internal/agents.h"
#include "api/internal/container_instances.h"
#include "api/internal/run_on_database.h"
#include "api/internal/tasks.h"
#include "api/internal/zones.h"
#include "api/log_relay.h"
#include "api/poll_hub.h"
#include "api/task_metrics_board.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace gantry::api {
namespace {

using internal::RunOnDatabase;

constexpr size_t kMaxTextLength = 255;

void CheckRange(std::vector<std::string>& problems, const char* field, int64_t value, int64_t min,
                int64_t max) {
  if (value < min) {
    problems.push_back(
        absl::StrCat(field, ": ", value, " is below the minimum; use ", min, " to ", max));
  } else if (value > max) {
    problems.push_back(
        absl::StrCat(field, ": ", value, " is above the maximum; use ", min, " to ", max));
  }
}

void CheckLength(std::vector<std::string>& problems, const char* field, const std::string& value) {
  if (value.size() > kMaxTextLength) {
    problems.push_back(absl::StrCat(field, ": ", value.size(),
                                    " characters is too long; use at most ", kMaxTextLength));
  }
}

// Every problem of `request`, in field order, one per line; OK when there is none.
absl::Status ValidateRegisterHost(const v1::RegisterHostRequest& request) {
  std::vector<std::string> problems;
  if (request.availability_zone().empty()) {
    problems.push_back(
        "availabilityZone: required; use the host's zone name (lowercase letters, digits and -)");
  } else if (!internal::IsZoneName(request.availability_zone())) {
    problems.push_back(absl::StrCat(
        "availabilityZone: \"", request.availability_zone(), "\" is not a valid zone name; use 1-",
        internal::kMaxZoneNameLength, " lowercase letters, digits and -"));
  }
  CheckRange(problems, "cpuUnits", request.cpu_units(), 256, 1048576);
  CheckRange(problems, "memoryMib", request.memory_mib(), 512, 16777216);
  CheckRange(problems, "ephemeralStorageGib", request.ephemeral_storage_gib(), 20, 65536);
  CheckRange(problems, "eniSlots", request.eni_slots(), 1, 4096);
  CheckLength(problems, "agentVersion", request.agent_version());
  CheckLength(problems, "hostName", request.host_name());
  if (!request.host_id().empty()) {
    if (absl::Status id = internal::CheckHostId("hostId", request.host_id()); !id.ok()) {
      problems.push_back(std::string(id.message()));
    }
  } else if (!request.tasks().empty()) {
    problems.push_back(
        "tasks: only a reconnecting agent (hostId set) reports tasks; a new host holds none");
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
}

// Storage's NOT_FOUND for a host names no request member; agents get the remedy.
absl::Status ExplainUnknownHost(const absl::Status& status, const std::string& host_id) {
  if (status.code() != absl::StatusCode::kNotFound) return status;
  return absl::NotFoundError(absl::StrCat("hostId: host ", host_id,
                                          " is not registered; register it anew (RegisterHost "
                                          "without hostId)"));
}

storage::NewHost ToNewHost(const v1::RegisterHostRequest& request) {
  storage::NewHost host;
  host.availability_zone = request.availability_zone();
  // ValidateRegisterHost's ranges all fit in 32 bits.
  host.total.cpu_units = static_cast<int32_t>(request.cpu_units());
  host.total.memory_mib = static_cast<int32_t>(request.memory_mib());
  host.total.ephemeral_storage_gib = static_cast<int32_t>(request.ephemeral_storage_gib());
  host.total.enis = static_cast<int32_t>(request.eni_slots());
  host.agent_version = request.agent_version();
  host.host_name = request.host_name();
  return host;
}

// The ARNs of reconnect's task ids: with the stored task's account and cluster, else
// those the agent's ARN named, else in the form without a cluster.
std::vector<std::string> TaskArns(const Config& config, const std::vector<std::string>& ids,
                                  absl::flat_hash_map<std::string, internal::TaskRef> stored,
                                  const internal::ParsedReports& reported) {
  for (const internal::TaskRef& named : reported.refs) {
    if (named.cluster.has_value()) stored.try_emplace(named.task_id, named);
  }
  std::vector<std::string> arns;
  for (const std::string& id : ids) {
    auto it = stored.find(id);
    arns.push_back(internal::ReportedTaskArn(
        config, it != stored.end() ? it->second : internal::TaskRef{.task_id = id}));
  }
  return arns;
}

}  // namespace

bool AgentOperations::AddLogRequests(storage::Connection& connection, const std::string& host_id,
                                     v1::PollCommandsResponse& response) {
  absl::StatusOr<std::vector<storage::LogRequestRow>> requests =
      storage::TakeLogRequests(connection, host_id);
  if (!requests.ok()) {
    // The commands are read already; the requests stay pending for the host's next read.
    log::Warning("log_requests_unreadable",
                 {{"host_id", host_id}, {"error", requests.status().message()}});
    return false;
  }
  for (const storage::LogRequestRow& row : *requests) {
    v1::LogRequest* request = response.add_log_requests();
    request->set_request_id(row.request_id);
    request->set_task_arn(internal::TaskArn(internal::WithAccount(config_, row.account_id),
                                            row.cluster, row.task_id));
    request->set_container_name(row.container);
    request->set_start_offset(row.start_offset);
    request->set_max_bytes(row.max_bytes);
    request->set_wait_ms(row.wait_ms);
  }
  return true;
}

AgentOperations::AgentOperations(Config config, storage::Database* database, PollHub* hub,
                                 absl::Duration host_timeout,
                                 std::function<void()> capacity_changed,
                                 TaskMetricsBoard* metrics_board, LogRelay* log_relay)
    : config_(std::move(config)),
      database_(database),
      hub_(hub),
      host_timeout_(host_timeout),
      capacity_changed_(std::move(capacity_changed)),
      metrics_board_(metrics_board),
      log_relay_(log_relay) {}

void AgentOperations::RegisterHost(const Caller& caller, const v1::RegisterHostRequest& request,
                                   Done<v1::RegisterHostResponse> done) {
  GANTRY_RETURN_DONE_IF_ERROR(internal::RequireAgent(caller), done);
  if (absl::Status valid = ValidateRegisterHost(request); !valid.ok()) {
    log::Debug("host_refused", {{"zone", request.availability_zone()}});
    return done(valid);
  }
  if (!request.host_id().empty()) return Reconnect(request, std::move(done));
  RunOnDatabase<v1::RegisterHostResponse>(
      database_,
      [this, host = ToNewHost(request)](
          storage::Connection& connection) -> absl::StatusOr<v1::RegisterHostResponse> {
        GANTRY_ASSIGN_OR_RETURN(storage::HostRow row, storage::RegisterHost(connection, host));
        log::Info("host_registered", {{"host", row.instance_id},
                                      {"host_id", row.host_id},
                                      {"zone", row.availability_zone},
                                      {"cpu", row.total.cpu_units},
                                      {"memory_mib", row.total.memory_mib},
                                      {"storage_gib", row.total.ephemeral_storage_gib},
                                      {"enis", row.total.enis},
                                      {"agent_version", row.agent_version}});
        // Committed: tasks waiting for capacity may now fit.
        if (capacity_changed_) capacity_changed_();
        v1::RegisterHostResponse response;
        response.set_host_id(row.instance_id);
        response.set_container_instance_arn(
            internal::ContainerInstanceArn(config_, row.instance_id));
        response.set_host_timeout_ms(absl::ToInt64Milliseconds(host_timeout_));
        return response;
      },
      std::move(done));
}

void AgentOperations::Reconnect(const v1::RegisterHostRequest& request,
                                Done<v1::RegisterHostResponse> done) {
  absl::StatusOr<internal::ParsedReports> reported = internal::ParseTaskReports(
      config_, request.tasks(), internal::kMaxReconnectReports, absl::Now());
  if (!reported.ok()) return done(reported.status());
  RunOnDatabase<v1::RegisterHostResponse>(
      database_,
      [this, host_id = request.host_id(), reported = *std::move(reported)](
          storage::Connection& connection) -> absl::StatusOr<v1::RegisterHostResponse> {
        absl::StatusOr<storage::ReconnectResult> result =
            storage::ReconnectHost(connection, host_id, reported.reports);
        // storage::ReconnectHost logs the reconnection.
        if (!result.ok()) return ExplainUnknownHost(result.status(), host_id);
        // The next poll must read: the reconnect may have changed what is pending.
        hub_->Wake({host_id});
        // Always: a host that was lost takes tasks again, besides what was released.
        if (capacity_changed_) capacity_changed_();
        // The accounts and clusters of the tasks named below, for their ARNs. The reconnect has
        // committed: if this read fails, the ARNs fall back to the form without one.
        std::vector<std::string> ids = result->stop_task_ids;
        ids.insert(ids.end(), result->lost_task_ids.begin(), result->lost_task_ids.end());
        absl::flat_hash_map<std::string, internal::TaskRef> stored;
        absl::StatusOr<std::vector<storage::TaskRow>> rows =
            storage::GetTasksByIdInAnyAccount(connection, ids);
        if (rows.ok()) {
          for (const storage::TaskRow& row : *rows) {
            stored[row.spec.task_id] = {row.spec.cluster, row.spec.task_id, row.spec.account_id};
          }
        } else {
          log::Warning("reconnect_task_lookup_failed",
                       {{"host", host_id}, {"error", std::string(rows.status().message())}});
        }
        v1::RegisterHostResponse response;
        response.set_host_id(host_id);
        response.set_container_instance_arn(internal::ContainerInstanceArn(config_, host_id));
        for (std::string& arn : TaskArns(config_, result->stop_task_ids, stored, reported)) {
          response.add_stop_task_arns(std::move(arn));
        }
        for (std::string& arn : TaskArns(config_, result->lost_task_ids, stored, reported)) {
          response.add_lost_task_arns(std::move(arn));
        }
        response.set_host_timeout_ms(absl::ToInt64Milliseconds(host_timeout_));
        return response;
      },
      std::move(done));
}

void AgentOperations::PollCommands(const Caller& caller, const v1::PollCommandsRequest& request,
                                   Done<v1::PollCommandsResponse> done) {
  GANTRY_RETURN_DONE_IF_ERROR(internal::RequireAgent(caller), done);
  absl::StatusOr<internal::PollPlan> plan = internal::ParsePoll(request, host_timeout_);
  if (!plan.ok()) return done(plan.status());
  // Called by the hub (on its thread) whenever it decides to read; never blocks.
  PollHub::Fetch fetch = [this, plan = *plan](PollHub::ReadReply reply) {
    const uint64_t logs = log_relay_ != nullptr ? log_relay_->PendingFor(plan.host_id) : 0;
    RunOnDatabase<PollHub::Read>(
        database_,
        [this, plan, logs](storage::Connection& connection) -> absl::StatusOr<PollHub::Read> {
          absl::StatusOr<storage::PolledCommands> polled =
              storage::TakeCommands(connection, plan.host_id, plan.acked_sequence, plan.limit);
          // FAILED_PRECONDITION (an acknowledgement of a sequence never issued) goes to
          // the agent as it is: it reconnects.
          if (!polled.ok()) return ExplainUnknownHost(polled.status(), plan.host_id);
          PollHub::Read read;
          GANTRY_ASSIGN_OR_RETURN(read.response,
                                  internal::ToPollResponse(config_, plan.host_id, *polled));
          read.more_pending = polled->more_pending;
          if (logs > 0 && AddLogRequests(connection, plan.host_id, read.response)) {
            log_relay_->Consumed(plan.host_id, logs);
          }
          return read;
        },
        std::move(reply));
  };
  hub_->Poll({.host_id = plan->host_id, .acked_sequence = plan->acked_sequence, .wait = plan->wait},
             std::move(fetch), std::move(done));
}

void AgentOperations::Ack(const Caller& caller, const v1::AckRequest& request,
                          Done<v1::AckResponse> done) {
  GANTRY_RETURN_DONE_IF_ERROR(internal::RequireAgent(caller), done);
  if (absl::Status valid = internal::ValidateAck(request); !valid.ok()) return done(valid);
  RunOnDatabase<v1::AckResponse>(
      database_,
      [host_id = request.host_id(), acked = request.acked_sequence()](
          storage::Connection& connection) -> absl::StatusOr<v1::AckResponse> {
        if (absl::Status acked_now = storage::AckCommands(connection, host_id, acked);
            !acked_now.ok()) {
          return ExplainUnknownHost(acked_now, host_id);
        }
        return v1::AckResponse();
      },
      std::move(done));
}

void AgentOperations::ReportTaskState(const Caller& caller,
                                      const v1::ReportTaskStateRequest& request,
                                      Done<v1::ReportTaskStateResponse> done) {
  GANTRY_RETURN_DONE_IF_ERROR(internal::RequireAgent(caller), done);
  if (absl::Status id = internal::CheckHostId("hostId", request.host_id()); !id.ok()) {
    return done(id);
  }
  absl::StatusOr<internal::ParsedReports> reported = internal::ParseTaskReports(
      config_, request.tasks(), internal::kMaxReportsPerCall, absl::Now());
  if (!reported.ok()) return done(reported.status());
  std::vector<std::string> arns;
  for (const v1::TaskStateReport& task : request.tasks()) arns.push_back(task.task_arn());
  RunOnDatabase<v1::ReportTaskStateResponse>(
      database_,
      [this, host_id = request.host_id(), reports = std::move(reported->reports),
       arns = std::move(arns)](
          storage::Connection& connection) -> absl::StatusOr<v1::ReportTaskStateResponse> {
        absl::StatusOr<storage::ReportsApplied> applied =
            storage::ApplyTaskReports(connection, host_id, reports);
        if (!applied.ok()) return ExplainUnknownHost(applied.status(), host_id);
        if (applied->released && capacity_changed_) capacity_changed_();
        if (metrics_board_ != nullptr) {
          std::vector<std::string> stopped;
          for (const storage::TaskReport& report : reports) {
            if (report.status == "STOPPED") stopped.push_back(report.task_id);
          }
          metrics_board_->Forget(stopped);
        }
        v1::ReportTaskStateResponse response;
        for (size_t i = 0; i < applied->results.size(); ++i) {
          const storage::ReportResult& result = applied->results[i];
          v1::TaskReportResult* out = response.add_results();
          out->set_task_arn(i < arns.size() ? arns[i] : result.task_id);
          out->set_outcome(internal::OutcomeName(result.outcome));
          out->set_desired_status(result.desired_status);
        }
        return response;
      },
      std::move(done));
}

void AgentOperations::ReportTaskMetrics(const Caller& caller,
                                        const v1::ReportTaskMetricsRequest& request,
                                        Done<v1::ReportTaskMetricsResponse> done) {
  GANTRY_RETURN_DONE_IF_ERROR(internal::RequireAgent(caller), done);
  GANTRY_ASSIGN_OR_DONE(std::vector<storage::TaskMetricsSample> samples,
                        internal::ParseTaskMetrics(config_, request, absl::Now()), done);
  RunOnDatabase<v1::ReportTaskMetricsResponse>(
      database_,
      [this, host_id = request.host_id(), samples = std::move(samples)](
          storage::Connection& connection) -> absl::StatusOr<v1::ReportTaskMetricsResponse> {
        GANTRY_ASSIGN_OR_RETURN(std::vector<storage::TaskMetricsRow> stored,
                                storage::StoreTaskMetrics(connection, host_id, samples));
        if (metrics_board_ != nullptr) {
          metrics_board_->Update(stored, absl::Now());
        }
        v1::ReportTaskMetricsResponse response;
        response.set_accepted(static_cast<int32_t>(stored.size()));
        return response;
      },
      std::move(done));
}

}  // namespace gantry::api
