// The agent protocol's requests and answers (api/agent_operations.cc): validation of
// what agents send and conversion between storage rows and the gantry.v1 agent
// messages. Pure functions; safe from any thread. Validation errors are
// INVALID_ARGUMENT whose lines each start with the member's JSON path
// (`tasks[2].status: ...`), at most 20, in request order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gantry/v1/agent.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "api/internal/tasks.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "storage/storage.h"

namespace gantry::api::internal {

// Commands one poll answer carries at most, and when the request names no number.
inline constexpr int kMaxPollCommands = 1000;
inline constexpr int kDefaultPollCommands = 100;
// Task reports one ReportTaskState call carries at most; a reconnect may carry more
// (every task of the host, at most one per ENI slot).
inline constexpr int kMaxReportsPerCall = 1000;
inline constexpr int kMaxReconnectReports = 4096;

// OK when `host_id` is a container instance id (32 lowercase hex digits);
// INVALID_ARGUMENT naming `field` otherwise.
absl::Status CheckHostId(std::string_view field, const std::string& host_id);

// A PollCommands request after validation.
struct PollPlan {
  std::string host_id;
  int64_t acked_sequence = 0;
  // The request's wait capped at half of the host timeout, so a healthy agent always
  // polls again before it counts as lost.
  absl::Duration wait = absl::ZeroDuration();
  int limit = kDefaultPollCommands;
};
absl::StatusOr<PollPlan> ParsePoll(const v1::PollCommandsRequest& request,
                                   absl::Duration host_timeout);

absl::Status ValidateAck(const v1::AckRequest& request);

// Reported tasks (the `tasks` of RegisterHost and ReportTaskState), validated and
// converted, in request order. More than `max_reports` is INVALID_ARGUMENT, and so is
// a time (atUnixMs, the pull times) before 2000-01-01 or more than a day after `now`:
// the database could not store it, and the whole batch would fail on every retry.
struct ParsedReports {
  std::vector<storage::TaskReport> reports;
  // How each report named its task (the cluster when its ARN has one), same order.
  std::vector<TaskRef> refs;
};
absl::StatusOr<ParsedReports> ParseTaskReports(
    const Config& config, const google::protobuf::RepeatedPtrField<v1::TaskStateReport>& tasks,
    int max_reports, absl::Time now);

// Task samples one ReportTaskMetrics call carries at most.
inline constexpr int kMaxMetricsPerCall = 1000;

// A ReportTaskMetrics request's samples, validated, in request order. INVALID_ARGUMENT
// (every problem, one line each) for more than kMaxMetricsPerCall, a bad task ARN, a
// time outside what reports admit, a negative interval or counter, or a figure that is
// negative or not finite.
absl::StatusOr<std::vector<storage::TaskMetricsSample>> ParseTaskMetrics(
    const Config& config, const v1::ReportTaskMetricsRequest& request, absl::Time now);

// The task ARN for a task known only by how an agent named it: with its cluster when
// the agent's ARN had one, else the older form without a cluster (…:task/ID).
std::string ReportedTaskArn(const Config& config, const TaskRef& ref);

// APPLIED, DUPLICATE, STALE or UNKNOWN.
std::string OutcomeName(storage::ReportOutcome outcome);

// A pending command as the agent receives it. INTERNAL when a LAUNCH lacks its
// placement or details, or a stored CIDR block does not parse (storage's bug).
absl::StatusOr<v1::Command> ToCommand(const Config& config, const storage::PendingCommand& command);

// TakeCommands' result as PollCommands' answer. FAILED_PRECONDITION when the host was
// declared lost (the agent must register again with its host id).
absl::StatusOr<v1::PollCommandsResponse> ToPollResponse(const Config& config,
                                                        std::string_view host_id,
                                                        const storage::PolledCommands& polled);

}  // namespace gantry::api::internal
