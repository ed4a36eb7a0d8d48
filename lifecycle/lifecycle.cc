#include "lifecycle/lifecycle.h"

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/time/time.h"

namespace gantry::lifecycle {
namespace {

// Indexed by enumerator value, so the order must follow the enums.
constexpr std::array<std::string_view, 8> kTaskStatusNames = {
    "PROVISIONING", "PENDING",  "ACTIVATING",     "RUNNING",
    "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"};
constexpr std::array<std::string_view, 3> kContainerStatusNames = {"PENDING", "RUNNING", "STOPPED"};

template <typename Enum, size_t N>
std::string_view NameOf(Enum value, const std::array<std::string_view, N>& names) {
  // Enums can hold values outside their enumerators (a bad cast or a corrupt row); never index
  // past the table.
  const auto index = static_cast<size_t>(value);
  return index < N ? names[index] : std::string_view();
}

template <typename Enum, size_t N>
std::optional<Enum> Parse(std::string_view text, const std::array<std::string_view, N>& names) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == text) {
      return static_cast<Enum>(i);
    }
  }
  return std::nullopt;
}

int Rank(TaskStatus status) { return static_cast<int>(status); }

bool IsTaskStatus(TaskStatus status) {
  return Rank(status) >= Rank(TaskStatus::kProvisioning) &&
         Rank(status) <= Rank(TaskStatus::kStopped);
}

bool AtOrPast(TaskStatus status, TaskStatus mark) { return Rank(status) >= Rank(mark); }

template <typename T>
void SetIfUnset(std::optional<T>& field, const std::optional<T>& value) {
  if (!field.has_value() && value.has_value()) {
    field = value;
  }
}

// Whether the task reached RUNNING. startedAt is the record of that; a RUNNING lastStatus without
// it (a hand-built or legacy row) still counts, so such a task is never called TaskFailedToStart.
bool HasRun(const TaskState& state) {
  return state.times.started_at.has_value() || state.last_status == TaskStatus::kRunning;
}

}  // namespace

std::string_view ToString(TaskStatus status) { return NameOf(status, kTaskStatusNames); }

std::string_view ToString(ContainerStatus status) { return NameOf(status, kContainerStatusNames); }

std::optional<TaskStatus> ParseTaskStatus(std::string_view text) {
  return Parse<TaskStatus>(text, kTaskStatusNames);
}

std::optional<ContainerStatus> ParseContainerStatus(std::string_view text) {
  return Parse<ContainerStatus>(text, kContainerStatusNames);
}

Applied ApplyReport(const TaskState& current, const Report& report) {
  const TaskStatus to = report.status;
  if (!IsTaskStatus(to) || Rank(to) < Rank(current.last_status)) {
    return Applied{Outcome::kStale, current, false};
  }
  if (to == current.last_status) {
    return Applied{Outcome::kDuplicate, current, false};
  }

  TaskState next = current;
  TaskTimestamps& times = next.times;
  const std::optional<absl::Time> at = report.at;
  SetIfUnset(times.pull_started_at, report.pull_started_at);
  SetIfUnset(times.pull_stopped_at, report.pull_stopped_at);
  // Only a RUNNING report proves the containers started; a jump over RUNNING (PENDING ->
  // STOPPING) is a start-up failure, and inventing a startedAt would misreport it.
  const bool ran = HasRun(current) || to == TaskStatus::kRunning;
  if (to == TaskStatus::kRunning) {
    SetIfUnset(times.started_at, at);
  }
  if (AtOrPast(to, TaskStatus::kStopping)) {
    SetIfUnset(times.stopping_at, at);
  }
  if (AtOrPast(to, TaskStatus::kDeprovisioning)) {
    SetIfUnset(times.execution_stopped_at, at);
  }
  if (to == TaskStatus::kStopped) {
    SetIfUnset(times.stopped_at, at);
  }
  if (AtOrPast(to, TaskStatus::kDeactivating)) {
    next.desired_running = false;
  }
  if (AtOrPast(to, TaskStatus::kDeprovisioning) && !ran && !next.stop_code.has_value()) {
    next.stop_code = std::string(kTaskFailedToStart);
    SetIfUnset(next.stopped_reason, report.reason);
  }
  next.last_status = to;
  ++next.version;

  // The host share, ENI and IP go back only at STOPPED: until then the agent may still hold
  // them. `to` is past `current` here, so this is true once per task.
  const bool releases = to == TaskStatus::kStopped;
  return Applied{Outcome::kApplied, std::move(next), releases};
}

TaskState RequestStop(const TaskState& current, std::string_view stop_code, std::string_view reason,
                      absl::Time at) {
  if (current.last_status == TaskStatus::kStopped || !current.desired_running) {
    return current;
  }
  TaskState next = current;
  next.desired_running = false;
  if (!next.stop_code.has_value()) {
    next.stop_code = std::string(stop_code);
  }
  if (!next.stopped_reason.has_value() && !reason.empty()) {
    next.stopped_reason = std::string(reason);
  }
  // ECS shows stoppingAt from the moment the stop was requested, before the agent reports
  // STOPPING; ApplyReport keeps this earlier time.
  if (!next.times.stopping_at.has_value()) {
    next.times.stopping_at = at;
  }
  ++next.version;
  return next;
}

ContainerStatus ContainerStatusFor(TaskStatus task, bool started) {
  if (AtOrPast(task, TaskStatus::kDeprovisioning)) {
    return ContainerStatus::kStopped;
  }
  if (AtOrPast(task, TaskStatus::kRunning) && started) {
    return ContainerStatus::kRunning;
  }
  return ContainerStatus::kPending;
}

std::string_view TaskHealth(const std::vector<ContainerHealth>& containers) {
  bool any_essential = false;
  bool any_unknown = false;
  for (const ContainerHealth& container : containers) {
    if (!container.essential) {
      continue;
    }
    any_essential = true;
    if (container.health == "UNHEALTHY") {
      return "UNHEALTHY";
    }
    if (container.health != "HEALTHY") {
      any_unknown = true;
    }
  }
  return !any_essential || any_unknown ? "UNKNOWN" : "HEALTHY";
}

}  // namespace gantry::lifecycle
