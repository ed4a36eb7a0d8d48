// The container runtime seam of gantry-agent: one Runtime per host runs that host's
// tasks and tells the host's protocol session about every state change. Two
// implementations: the simulated runtime (sim_runtime.h) and, later, containerd.
//
// Thread-safety: a Runtime belongs to its host's Loop (loop.h). Every method is called
// on that loop, and the report callback is invoked on it too, possibly inline from
// Launch or Stop. Errors: none cross this interface; a task that cannot start is
// reported as STOPPED with a reason.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "gantry/v1/agent.pb.h"

#include "absl/status/statusor.h"
#include "agent/log_reader.h"
#include "agent/task_metrics.h"

namespace gantry::agent {

// Task and container statuses as reports carry them.
inline constexpr char kPending[] = "PENDING";
inline constexpr char kRunning[] = "RUNNING";
inline constexpr char kStopping[] = "STOPPING";
inline constexpr char kDeprovisioning[] = "DEPROVISIONING";
inline constexpr char kStopped[] = "STOPPED";

inline bool IsStoppingOrStopped(const std::string& status) {
  return status == kStopping || status == kDeprovisioning || status == kStopped;
}

// gantryd refuses longer reasons; reasons carry user text and error messages of any
// length.
inline constexpr size_t kMaxReasonLength = 1024;

// `reason` cut to kMaxReasonLength on a UTF-8 character boundary (proto3 strings must
// stay valid UTF-8).
inline std::string TruncatedReason(std::string reason) {
  if (reason.size() <= kMaxReasonLength) {
    return reason;
  }
  size_t size = kMaxReasonLength;
  while (size > 0 && (static_cast<unsigned char>(reason[size]) & 0xC0) == 0x80) {
    --size;
  }
  reason.resize(size);
  return reason;
}

// The stopped reason of a task whose essential container exited (ECS's wording).
inline constexpr char kEssentialExitReason[] = "Essential container in task exited";

// Receives every task state change, oldest first. A report is complete (task status,
// every container, timestamps), so a later report of a task supersedes an earlier one.
using ReportFn = std::function<void(v1::TaskStateReport report)>;

class Runtime {
 public:
  virtual ~Runtime() = default;

  // Starts the task. Idempotent: a task the runtime already holds is left alone
  // (commands are delivered at least once), except that a launch whose desired_status
  // is STOPPED stops it. A launch with desired_status STOPPED of a new task does not
  // start it and reports it STOPPED.
  virtual void Launch(const v1::LaunchTask& task) = 0;
  // Stops the task: STOPPING, then DEPROVISIONING and STOPPED. No-op for a task that is
  // already stopping or stopped. A task the runtime does not hold is reported STOPPED at
  // once (so the control plane can finish it). `reason` may be empty.
  virtual void Stop(const std::string& task_arn, const std::string& reason) = 0;
  // The current state of every task held (reconnect reconciliation), ordered by ARN.
  virtual std::vector<v1::TaskStateReport> Snapshot() const = 0;
  // Drops a STOPPED task once the control plane has its STOPPED report. No-op for a
  // task that is unknown or not STOPPED.
  virtual void Forget(const std::string& task_arn) = 0;
  // The cumulative usage of every RUNNING task, read now, for per-task metrics. A task
  // whose usage cannot be read is left out.
  virtual std::vector<TaskUsage> SampleUsage() = 0;
  // A piece of a container's log (log_reader.h), also of a task already forgotten while
  // its log is kept. NOT_FOUND when the runtime has no log of that task or container.
  virtual absl::StatusOr<LogChunk> ReadLogs(const std::string& task_arn,
                                            const std::string& container, int64_t start_offset,
                                            int32_t max_bytes) = 0;
};

}  // namespace gantry::agent
