#include "api/internal/agents.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "api/internal/access.h"
#include "api/internal/container_instances.h"
#include "api/internal/resources.h"
#include "common/ipv4.h"
#include "common/status_macros.h"
#include "lifecycle/lifecycle.h"

namespace gantry::api::internal {
namespace {

constexpr size_t kMaxProblems = 20;
constexpr size_t kMaxReasonLength = 1024;
constexpr size_t kMaxTextLength = 255;
constexpr int kMaxContainers = 10;  // as ECS allows per task definition
constexpr int kMaxNetworkBindings = 100;
constexpr char kTaskStatuses[] =
    "PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING, STOPPING, DEPROVISIONING or "
    "STOPPED";
constexpr char kContainerStatuses[] = "PENDING, RUNNING or STOPPED";
// Reported times must lie in [2000-01-01, now + kMaxClockAhead]: earlier is no real
// observation, and far later values overflow what the database stores.
constexpr int64_t kEarliestReportUnixMs = 946'684'800'000;  // 2000-01-01T00:00:00Z
constexpr absl::Duration kMaxClockAhead = absl::Hours(24);
constexpr char kTimeRange[] = "use epoch milliseconds between 2000-01-01 and one day from now";

// Collects validation problems, one line each, up to kMaxProblems.
class Problems {
 public:
  void Add(std::string problem) {
    if (lines_.size() < kMaxProblems) lines_.push_back(std::move(problem));
  }
  void Add(const absl::Status& status) {
    if (!status.ok()) Add(std::string(status.message()));
  }
  absl::Status ToStatus() const {
    if (lines_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrJoin(lines_, "\n"));
  }

 private:
  std::vector<std::string> lines_;
};

void CheckLength(Problems& problems, const std::string& field, const std::string& value,
                 size_t max) {
  if (value.size() > max) {
    problems.Add(
        absl::StrCat(field, ": ", value.size(), " characters is too long; use at most ", max));
  }
}

// The latest report time accepted, and whether a positive `unix_ms` is in range.
struct TimeLimit {
  int64_t latest_unix_ms = 0;
  bool Admits(int64_t unix_ms) const {
    return unix_ms >= kEarliestReportUnixMs && unix_ms <= latest_unix_ms;
  }
};

// 0 means unknown; otherwise epoch milliseconds.
std::optional<absl::Time> OptionalTime(Problems& problems, const TimeLimit& limit,
                                       const std::string& field, int64_t unix_ms) {
  if (unix_ms < 0) {
    problems.Add(absl::StrCat(field, ": ", unix_ms,
                              " is not a time; use epoch milliseconds, or 0 when unknown"));
  } else if (unix_ms > 0 && !limit.Admits(unix_ms)) {
    problems.Add(absl::StrCat(field, ": ", unix_ms, " is out of range; ", kTimeRange,
                              ", or 0 when unknown"));
  }
  if (unix_ms <= 0) return std::nullopt;
  return absl::FromUnixMillis(unix_ms);
}

storage::ContainerReport ParseContainer(Problems& problems, const std::string& field,
                                        const v1::ContainerStateReport& container) {
  storage::ContainerReport report;
  if (container.name().empty()) {
    problems.Add(field + ".name: required; use the container's name in the task definition");
  }
  CheckLength(problems, field + ".name", container.name(), kMaxTextLength);
  report.name = container.name();
  if (container.status().empty()) {
    problems.Add(absl::StrCat(field, ".status: required; use ", kContainerStatuses));
  } else if (!lifecycle::ParseContainerStatus(container.status()).has_value()) {
    problems.Add(absl::StrCat(field, ".status: ", Quote(container.status()),
                              " is not a container status; use ", kContainerStatuses));
  }
  report.status = container.status();
  if (container.has_exit_code()) report.exit_code = container.exit_code();
  CheckLength(problems, field + ".reason", container.reason(), kMaxReasonLength);
  report.reason = container.reason();
  CheckLength(problems, field + ".runtimeId", container.runtime_id(), kMaxTextLength);
  report.runtime_id = container.runtime_id();
  CheckLength(problems, field + ".imageDigest", container.image_digest(), kMaxTextLength);
  report.image_digest = container.image_digest();
  const std::string& health = container.health_status();
  if (!health.empty() && health != "UNKNOWN" && health != "HEALTHY" && health != "UNHEALTHY") {
    problems.Add(absl::StrCat(field, ".healthStatus: ", Quote(health),
                              " is not a health status; use UNKNOWN, HEALTHY or UNHEALTHY, or "
                              "leave it empty"));
  }
  report.health_status = health;
  if (container.network_bindings_size() > kMaxNetworkBindings) {
    problems.Add(absl::StrCat(field, ".networkBindings: ", container.network_bindings_size(),
                              " given; at most ", kMaxNetworkBindings));
  }
  report.network_bindings.assign(container.network_bindings().begin(),
                                 container.network_bindings().end());
  return report;
}

storage::TaskReport ParseReport(const Config& config, Problems& problems, const TimeLimit& limit,
                                const std::string& field, const v1::TaskStateReport& task,
                                TaskRef* ref) {
  storage::TaskReport report;
  absl::StatusOr<TaskRef> parsed =
      ParseTaskRef(config, field + ".taskArn", task.task_arn(), TaskAccounts::kAny);
  if (parsed.ok()) {
    *ref = *parsed;
  } else {
    problems.Add(parsed.status());
  }
  report.task_id = ref->task_id;
  if (task.status().empty()) {
    problems.Add(absl::StrCat(field, ".status: required; use ", kTaskStatuses));
  } else if (!lifecycle::ParseTaskStatus(task.status()).has_value()) {
    problems.Add(absl::StrCat(field, ".status: ", Quote(task.status()),
                              " is not a task status; use ", kTaskStatuses));
  }
  report.status = task.status();
  if (task.at_unix_ms() <= 0) {
    problems.Add(absl::StrCat(field, ".atUnixMs: ", task.at_unix_ms(),
                              " is not a time; use when the agent observed the status, in epoch "
                              "milliseconds"));
  } else if (!limit.Admits(task.at_unix_ms())) {
    problems.Add(
        absl::StrCat(field, ".atUnixMs: ", task.at_unix_ms(), " is out of range; ", kTimeRange));
  }
  report.at = absl::FromUnixMillis(task.at_unix_ms());
  CheckLength(problems, field + ".reason", task.reason(), kMaxReasonLength);
  if (!task.reason().empty()) report.reason = task.reason();
  report.pull_started_at =
      OptionalTime(problems, limit, field + ".pullStartedAtUnixMs", task.pull_started_at_unix_ms());
  report.pull_stopped_at =
      OptionalTime(problems, limit, field + ".pullStoppedAtUnixMs", task.pull_stopped_at_unix_ms());
  if (task.containers_size() > kMaxContainers) {
    problems.Add(absl::StrCat(field, ".containers: ", task.containers_size(), " given; at most ",
                              kMaxContainers));
  }
  std::set<std::string> names;
  for (int j = 0; j < task.containers_size(); ++j) {
    std::string container_field = absl::StrCat(field, ".containers[", j, "]");
    report.containers.push_back(ParseContainer(problems, container_field, task.containers(j)));
    const std::string& name = task.containers(j).name();
    if (!name.empty() && !names.insert(name).second) {
      problems.Add(absl::StrCat(container_field, ".name: ", Quote(name), " is reported twice"));
    }
  }
  if (!task.private_ipv4_address().empty() &&
      !ipv4::ParseAddress(task.private_ipv4_address()).ok()) {
    problems.Add(absl::StrCat(field, ".privateIpv4Address: ", Quote(task.private_ipv4_address()),
                              " is not an IPv4 address"));
  }
  return report;
}

absl::Status Corrupt(const storage::PendingCommand& command, std::string_view what) {
  return absl::InternalError(absl::StrCat("command ", command.sequence, " (", command.kind,
                                          ") of task ", command.task.spec.task_id, ": ",
                                          std::string(what)));
}

// The address `offset` places into the block `cidr` (the subnet's router at 1, the
// VPC's resolver at 2, as AWS reserves them).
absl::StatusOr<std::string> AddressInBlock(const storage::PendingCommand& command,
                                           const std::string& cidr, int64_t offset) {
  absl::StatusOr<ipv4::Cidr> block = ipv4::ParseCidr(cidr);
  if (!block.ok()) return Corrupt(command, absl::StrCat("stored CIDR block ", Quote(cidr)));
  absl::StatusOr<uint32_t> address = block->Canonical().AddressAt(offset);
  if (!address.ok()) return Corrupt(command, absl::StrCat("CIDR block ", cidr, " is too small"));
  return ipv4::FormatAddress(*address);
}

absl::StatusOr<v1::TaskNetworkInterface> NetworkInterface(const storage::PendingCommand& command) {
  const storage::TaskRow& task = command.task;
  const storage::TaskPlacement& placement = *task.placement;
  const storage::LaunchDetails& details = *command.launch;
  v1::TaskNetworkInterface eni;
  eni.set_eni_id(placement.eni_id);
  eni.set_attachment_id(placement.attachment_id);
  eni.set_mac_address(placement.mac_address);
  eni.set_private_ipv4_address(placement.private_ipv4);
  eni.set_subnet_id(placement.subnet_id);
  eni.set_subnet_cidr_block(details.subnet_cidr_block);
  GANTRY_ASSIGN_OR_RETURN(std::string gateway,
                          AddressInBlock(command, details.subnet_cidr_block, 1));
  eni.set_subnet_gateway_ipv4_address(gateway);
  eni.set_private_dns_name(placement.private_dns_name);
  const std::vector<std::string>& groups = details.security_group_ids.empty()
                                               ? task.spec.security_group_ids
                                               : details.security_group_ids;
  for (const std::string& group : groups) eni.add_security_group_ids(group);
  GANTRY_ASSIGN_OR_RETURN(std::string resolver, AddressInBlock(command, details.vpc_cidr_block, 2));
  eni.add_domain_name_servers(resolver);
  eni.set_vpc_id(details.vpc_id);
  return eni;
}

absl::StatusOr<v1::LaunchTask> Launch(const Config& config,
                                      const storage::PendingCommand& command) {
  if (!command.task.placement.has_value()) return Corrupt(command, "the task is not placed");
  if (!command.launch.has_value()) return Corrupt(command, "no launch details");
  const storage::TaskRow& task = command.task;
  const storage::NewTask& spec = task.spec;
  v1::LaunchTask launch;
  // The task's own account, not the provider's: the agent hands these ARNs to the
  // task's containers (metadata endpoint) and reports with them.
  const Config owner = WithAccount(config, spec.account_id);
  launch.set_task_arn(TaskArn(owner, spec.cluster, spec.task_id));
  launch.set_cluster_arn(ClusterArn(owner, spec.cluster));
  launch.set_task_definition_arn(TaskDefinitionArn(owner, spec.family, spec.revision));
  v1::TaskDefinition* definition = launch.mutable_task_definition();
  *definition = command.launch->definition;
  definition->set_task_definition_arn(launch.task_definition_arn());
  definition->set_family(spec.family);
  definition->set_revision(spec.revision);
  *launch.mutable_overrides() = spec.overrides;
  for (const v1::Container& container : spec.containers) *launch.add_containers() = container;
  launch.set_cpu_units(spec.cpu_units);
  launch.set_memory_mib(spec.memory_mib);
  launch.set_ephemeral_storage_gib(spec.ephemeral_storage_gib);
  launch.set_availability_zone(task.placement->availability_zone);
  GANTRY_ASSIGN_OR_RETURN(*launch.mutable_network_interface(), NetworkInterface(command));
  launch.set_group(spec.group);
  launch.set_desired_status(task.desired_status);
  launch.set_version(task.version);
  return launch;
}

}  // namespace

absl::Status CheckHostId(std::string_view field, const std::string& host_id) {
  if (host_id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(field), ": required; use the host id RegisterHost returned (32 hex digits)"));
  }
  if (!IsContainerInstanceId(host_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": ", Quote(host_id),
                     " is not a host id; use the 32 lowercase hex digits RegisterHost returned"));
  }
  return absl::OkStatus();
}

absl::StatusOr<PollPlan> ParsePoll(const v1::PollCommandsRequest& request,
                                   absl::Duration host_timeout) {
  Problems problems;
  problems.Add(CheckHostId("hostId", request.host_id()));
  if (request.acked_sequence() < 0) {
    problems.Add(absl::StrCat("ackedSequence: ", request.acked_sequence(),
                              " is below the minimum; use 0 (nothing) or the last sequence "
                              "applied"));
  }
  if (request.wait_ms() < 0) {
    problems.Add(absl::StrCat("waitMs: ", request.wait_ms(),
                              " is below the minimum; use 0 (answer at once) or more"));
  }
  if (request.max_commands() < 0 || request.max_commands() > kMaxPollCommands) {
    problems.Add(absl::StrCat("maxCommands: ", request.max_commands(), " is out of range; use 0 (",
                              kDefaultPollCommands, ") to ", kMaxPollCommands));
  }
  GANTRY_RETURN_IF_ERROR(problems.ToStatus());
  PollPlan plan;
  plan.host_id = request.host_id();
  plan.acked_sequence = request.acked_sequence();
  plan.wait = std::min(absl::Milliseconds(request.wait_ms()), host_timeout / 2);
  plan.limit = request.max_commands() == 0 ? kDefaultPollCommands : request.max_commands();
  return plan;
}

absl::Status ValidateAck(const v1::AckRequest& request) {
  Problems problems;
  problems.Add(CheckHostId("hostId", request.host_id()));
  if (request.acked_sequence() < 0) {
    problems.Add(absl::StrCat("ackedSequence: ", request.acked_sequence(),
                              " is below the minimum; use 0 or the last sequence applied"));
  }
  return problems.ToStatus();
}

absl::StatusOr<ParsedReports> ParseTaskReports(
    const Config& config, const google::protobuf::RepeatedPtrField<v1::TaskStateReport>& tasks,
    int max_reports, absl::Time now) {
  if (tasks.size() > max_reports) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tasks: ", tasks.size(), " reports given; at most ", max_reports, " per call"));
  }
  Problems problems;
  const TimeLimit limit{absl::ToUnixMillis(now + kMaxClockAhead)};
  ParsedReports parsed;
  for (int i = 0; i < tasks.size(); ++i) {
    TaskRef& ref = parsed.refs.emplace_back();
    parsed.reports.push_back(
        ParseReport(config, problems, limit, absl::StrCat("tasks[", i, "]"), tasks[i], &ref));
  }
  GANTRY_RETURN_IF_ERROR(problems.ToStatus());
  return parsed;
}

absl::StatusOr<std::vector<storage::TaskMetricsSample>> ParseTaskMetrics(
    const Config& config, const v1::ReportTaskMetricsRequest& request, absl::Time now) {
  GANTRY_RETURN_IF_ERROR(CheckHostId("hostId", request.host_id()));
  if (request.tasks_size() > kMaxMetricsPerCall) {
    return absl::InvalidArgumentError(absl::StrCat("tasks: ", request.tasks_size(),
                                                   " samples given; at most ", kMaxMetricsPerCall,
                                                   " per call"));
  }
  Problems problems;
  const TimeLimit limit{absl::ToUnixMillis(now + kMaxClockAhead)};
  std::vector<storage::TaskMetricsSample> samples;
  samples.reserve(request.tasks_size());
  for (int i = 0; i < request.tasks_size(); ++i) {
    const v1::TaskMetrics& task = request.tasks(i);
    const std::string field = absl::StrCat("tasks[", i, "]");
    storage::TaskMetricsSample& sample = samples.emplace_back();
    absl::StatusOr<TaskRef> ref =
        ParseTaskRef(config, field + ".taskArn", task.task_arn(), TaskAccounts::kAny);
    if (ref.ok()) {
      sample.task_id = ref->task_id;
    } else {
      problems.Add(ref.status());
    }
    if (!limit.Admits(task.at_unix_ms())) {
      problems.Add(
          absl::StrCat(field, ".atUnixMs: ", task.at_unix_ms(), " is out of range; ", kTimeRange));
    }
    sample.sampled_at = absl::FromUnixMillis(task.at_unix_ms());
    auto count = [&](const char* name, int64_t value) {
      if (value < 0) {
        problems.Add(
            absl::StrCat(field, ".", name, ": ", value, " is negative; counts start at 0"));
      }
      return value;
    };
    auto figure = [&](const char* name, double value) {
      if (!std::isfinite(value) || value < 0) {
        problems.Add(
            absl::StrCat(field, ".", name, ": ", value, " is not a finite number of at least 0"));
      }
      return value;
    };
    sample.interval_ms = count("intervalMs", task.interval_ms());
    sample.cpu_utilized = figure("cpuUtilized", task.cpu_utilized());
    sample.cpu_seconds = figure("cpuSeconds", task.cpu_seconds());
    sample.memory_utilized_mib = figure("memoryUtilizedMib", task.memory_utilized_mib());
    sample.network_rx_bytes = count("networkRxBytes", task.network_rx_bytes());
    sample.network_tx_bytes = count("networkTxBytes", task.network_tx_bytes());
    sample.network_rx_rate = figure("networkRxBytesPerSecond", task.network_rx_bytes_per_second());
    sample.network_tx_rate = figure("networkTxBytesPerSecond", task.network_tx_bytes_per_second());
    sample.storage_read_bytes = count("storageReadBytes", task.storage_read_bytes());
    sample.storage_write_bytes = count("storageWriteBytes", task.storage_write_bytes());
    sample.ephemeral_utilized_mib =
        figure("ephemeralStorageUtilizedMib", task.ephemeral_storage_utilized_mib());
  }
  GANTRY_RETURN_IF_ERROR(problems.ToStatus());
  return samples;
}

std::string ReportedTaskArn(const Config& config, const TaskRef& ref) {
  const Config owner = WithAccount(config, ref.account_id.value_or(config.account_id));
  if (ref.cluster.has_value()) return TaskArn(owner, *ref.cluster, ref.task_id);
  return absl::StrCat("arn:aws:ecs:", owner.region, ":", owner.account_id, ":task/", ref.task_id);
}

std::string OutcomeName(storage::ReportOutcome outcome) {
  switch (outcome) {
    case storage::ReportOutcome::kApplied:
      return "APPLIED";
    case storage::ReportOutcome::kDuplicate:
      return "DUPLICATE";
    case storage::ReportOutcome::kStale:
      return "STALE";
    case storage::ReportOutcome::kUnknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

absl::StatusOr<v1::Command> ToCommand(const Config& config,
                                      const storage::PendingCommand& command) {
  v1::Command out;
  out.set_sequence(command.sequence);
  const storage::TaskRow& task = command.task;
  if (command.kind == "LAUNCH") {
    GANTRY_ASSIGN_OR_RETURN(*out.mutable_launch(), Launch(config, command));
  } else if (command.kind == "STOP") {
    v1::StopTaskCommand* stop = out.mutable_stop();
    stop->set_task_arn(
        TaskArn(WithAccount(config, task.spec.account_id), task.spec.cluster, task.spec.task_id));
    stop->set_stop_code(task.stop_code.value_or(""));
    stop->set_reason(task.stopped_reason.value_or(""));
  } else {
    return Corrupt(command, "unknown command kind");
  }
  return out;
}

absl::StatusOr<v1::PollCommandsResponse> ToPollResponse(const Config& config,
                                                        std::string_view host_id,
                                                        const storage::PolledCommands& polled) {
  if (!polled.agent_connected) {
    return absl::FailedPreconditionError(absl::StrCat(
        "hostId: host ", std::string(host_id),
        " was declared lost (no heartbeat within the host timeout) and its tasks were stopped; "
        "register again with its host id"));
  }
  v1::PollCommandsResponse response;
  response.set_host_status(polled.host_status);
  for (const storage::PendingCommand& command : polled.commands) {
    GANTRY_ASSIGN_OR_RETURN(*response.add_commands(), ToCommand(config, command));
  }
  return response;
}

}  // namespace gantry::api::internal
