// Pure task lifecycle: the Fargate task state machine of ECS-CONTRACT section 3. Given a task's
// current lifecycle state and an agent's report (or a stop request), it returns the next state:
// lastStatus only walks forward, skipped states still get the timestamps ECS shows for them,
// `version` grows by one per change so consumers can order state-change events, and the caller
// learns when the task's resources (host slot, ENI, IP) may be released. It owns no state: the
// caller loads a TaskState, calls in, and persists the result (with a compare-and-set on version).
//
// No I/O, no clock (every time comes in as an argument), no threads, no global state; every
// function is safe to call from any thread. Nothing here fails, throws or crashes: reports that
// cannot move the task forward (duplicates, stale or out-of-range statuses) come back as an
// Outcome with the state unchanged, so agent input can never corrupt a task.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"

namespace gantry::lifecycle {

// Task lastStatus, in lifecycle order: a task only ever moves to a later enumerator. ECS's
// transitional DELETED marker (after STOPPED) is not modelled.
enum class TaskStatus {
  kProvisioning,
  kPending,
  kActivating,
  kRunning,
  kDeactivating,
  kStopping,
  kDeprovisioning,
  kStopped,
};

// Container lastStatus: the only three values ECS shows on a container.
enum class ContainerStatus { kPending, kRunning, kStopped };

// ECS wire names ("PROVISIONING", ...). Returns "" for a value outside the enum.
std::string_view ToString(TaskStatus status);
std::string_view ToString(ContainerStatus status);

// Exact, case-sensitive inverse of ToString; nullopt for anything else (including "DELETED").
std::optional<TaskStatus> ParseTaskStatus(std::string_view text);
std::optional<ContainerStatus> ParseContainerStatus(std::string_view text);

// ECS stopCode values (section 3.2).
inline constexpr std::string_view kTaskFailedToStart = "TaskFailedToStart";
inline constexpr std::string_view kEssentialContainerExited = "EssentialContainerExited";
inline constexpr std::string_view kUserInitiated = "UserInitiated";
inline constexpr std::string_view kServiceSchedulerInitiated = "ServiceSchedulerInitiated";
inline constexpr std::string_view kSpotInterruption = "SpotInterruption";
inline constexpr std::string_view kTerminationNotice = "TerminationNotice";
inline constexpr std::string_view kInfrastructureHealth = "InfrastructureHealth";

// The per-phase timestamps of the ECS Task object (section 2.8); unset until the phase happens.
struct TaskTimestamps {
  std::optional<absl::Time> pull_started_at;
  std::optional<absl::Time> pull_stopped_at;
  std::optional<absl::Time> started_at;
  std::optional<absl::Time> stopping_at;
  std::optional<absl::Time> execution_stopped_at;
  std::optional<absl::Time> stopped_at;
  friend bool operator==(const TaskTimestamps&, const TaskTimestamps&) = default;
};

// The lifecycle part of a task. Defaults are a task as RunTask creates it.
//
// Invariants (kept by ApplyReport and RequestStop): started_at is set only if the task was
// reported RUNNING; stopped_at is set exactly when last_status is STOPPED; desired_running is
// false once last_status is past RUNNING; stop_code and stopped_reason, once set, never change.
struct TaskState {
  TaskStatus last_status = TaskStatus::kProvisioning;
  bool desired_running = true;  // desiredStatus: true is RUNNING, false is STOPPED
  TaskTimestamps times;
  int64_t version = 1;
  std::optional<std::string> stop_code;  // one of the k* stop codes above
  std::optional<std::string> stopped_reason;
  friend bool operator==(const TaskState&, const TaskState&) = default;
};

// A task state reported by the agent running the task.
struct Report {
  TaskStatus status = TaskStatus::kProvisioning;
  absl::Time at;                      // when the agent observed the state
  std::optional<std::string> reason;  // e.g. "CannotPullContainerError: ..."
  // Image pull window, when the agent knows it.
  std::optional<absl::Time> pull_started_at;
  std::optional<absl::Time> pull_stopped_at;
};

enum class Outcome {
  kApplied,    // the task moved forward; state.version is current.version + 1
  kDuplicate,  // report equals the current lastStatus; state and version unchanged
  kStale,      // report is earlier than the current lastStatus (or not a status); unchanged
};

struct Applied {
  Outcome outcome = Outcome::kStale;
  TaskState state;
  // True exactly when this report moved the task to STOPPED (from any earlier state), so over a
  // task's life it is true once. Addresses and host resources are released only when the task
  // is really gone: DEPROVISIONING still holds them, since the agent may yet be tearing the
  // ENI down.
  bool releases_resources = false;
};

// Applies an agent report to `current`. A forward report may skip states; the result carries
// what ECS shows for every state passed, all stamped with report.at unless already set:
//   - startedAt only when the report is RUNNING (skipping over RUNNING means the task never ran);
//   - stoppingAt at STOPPING or later; executionStoppedAt at DEPROVISIONING or later;
//     stoppedAt at STOPPED;
//   - pullStartedAt/pullStoppedAt copied from the report when present;
//   - desired_running becomes false once past RUNNING;
//   - a task reaching DEPROVISIONING or STOPPED that never ran and has no stop code gets
//     kTaskFailedToStart, and the report's reason as stoppedReason if it has none.
// A task that ran and stops without a stop code keeps none: the caller decides why (e.g.
// RequestStop with kEssentialContainerExited) before or after the agent's report.
Applied ApplyReport(const TaskState& current, const Report& report);

// Records a stop request made at `at` (StopTask, scheduler, host loss): desired_running becomes
// false, stop_code and stopped_reason are set unless already set (an empty reason leaves
// stopped_reason unset), stoppingAt is set to `at` unless already set, and version grows by one.
// A no-op returning `current` (same version) if the task is STOPPED or already desired stopped,
// so repeated requests are idempotent and the first stop code wins.
TaskState RequestStop(const TaskState& current, std::string_view stop_code, std::string_view reason,
                      absl::Time at);

// The lastStatus ECS shows for a container of a task in `task`, where `started` says whether
// the agent started that container: PENDING before the task is RUNNING; RUNNING while the task
// is RUNNING, DEACTIVATING or STOPPING if started (PENDING if not); STOPPED from DEPROVISIONING.
ContainerStatus ContainerStatusFor(TaskStatus task, bool started);

// A container's health as its agent reported it ("HEALTHY", "UNHEALTHY" or "UNKNOWN")
// and whether the task definition calls it essential.
struct ContainerHealth {
  std::string_view health;
  bool essential = true;
};

// The task's health, as ECS derives it from its essential containers only: UNHEALTHY
// when one is, else UNKNOWN when one is (no check, or not evaluated yet), else HEALTHY.
// A task without essential containers is UNKNOWN.
std::string_view TaskHealth(const std::vector<ContainerHealth>& containers);

}  // namespace gantry::lifecycle
