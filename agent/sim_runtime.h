// The simulated container runtime: it runs no containers, it plays the state changes a
// real runtime would report, with configurable delays and failures, so that one process
// can stand in for thousands of hosts. Behaviour per task:
//
//   Launch      PENDING (pull_started_at = now, containers PENDING), and after
//               launch_delay RUNNING (pull_stopped_at, containers RUNNING with a fake
//               runtime id, the ENI's private address). With launch_delay 0 it reports
//               RUNNING at once, with the pull times.
//   Failure     with probability fail_rate, or when a container has
//               GANTRY_SIM_FAIL_START (sim_hints.h), the pull "fails": after
//               launch_delay (at once when 0) STOPPED with the reason, containers
//               STOPPED without exit code. A malformed hint fails the launch the same
//               way with the hint's error as reason.
//   Exit        a container with GANTRY_SIM_EXIT_AFTER stops that long after RUNNING
//               with its GANTRY_SIM_EXIT_CODE. Not essential: the task stays RUNNING and
//               the report shows the container STOPPED. Essential: the task stops as
//               below with reason "Essential container in task exited".
//   Stop        STOPPING, and after stop_delay DEPROVISIONING then STOPPED; running
//               containers get exit code 143 (SIGTERM), containers that never started
//               get none. A stop of an unknown task reports it STOPPED at once.
//
// Usage (SampleUsage) is synthetic, see there.
// Idempotence and forgetting are as Runtime (runtime.h) says. Health: a container with
// a health check reports HEALTHY while it runs. Thread-safety: as Runtime; timers run on
// the Loop given. The random source is seeded, so a test replays the same failures.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/loop.h"
#include "agent/runtime.h"
#include "agent/sim_hints.h"

namespace gantry::agent {

struct SimConfig {
  absl::Duration launch_delay = absl::Milliseconds(200);
  absl::Duration stop_delay = absl::Milliseconds(100);
  double fail_rate = 0;  // 0..1
  std::string fail_reason = "CannotPullContainerError: simulated pull failure";
};

inline constexpr int32_t kSigtermExitCode = 143;

class SimRuntime final : public Runtime {
 public:
  // `loop` must outlive the runtime; `report` is called on it.
  SimRuntime(SimConfig config, Loop* loop, ReportFn report, uint64_t seed);
  SimRuntime(const SimRuntime&) = delete;
  SimRuntime& operator=(const SimRuntime&) = delete;

  void Launch(const v1::LaunchTask& task) override;
  void Stop(const std::string& task_arn, const std::string& reason) override;
  std::vector<v1::TaskStateReport> Snapshot() const override;
  void Forget(const std::string& task_arn) override;
  // Made-up but plausible usage, growing with the time since the pull finished: a tenth
  // of the task's CPU, a quarter of its memory, 10 KB/s in and 5 KB/s out, 1 KB/s
  // written, 64 MiB of ephemeral storage. Enough for gantryd's metrics path at fleet
  // scale; nothing here is measured.
  std::vector<TaskUsage> SampleUsage() override;
  // Each container's log is a line per status change ("<time> container app is
  // RUNNING"); the logs of the last kKeptLogs forgotten tasks are kept.
  absl::StatusOr<LogChunk> ReadLogs(const std::string& task_arn, const std::string& container,
                                    int64_t start_offset, int32_t max_bytes) override;
  static constexpr size_t kKeptLogs = 1000;

 private:
  struct Container {
    ContainerPlan plan;
    std::string status = "PENDING";
    std::optional<int32_t> exit_code;
    std::string reason;
    std::string runtime_id;
    // Its made-up log: a line whenever its status changed.
    std::string log;
    std::string logged_status;
  };
  struct Task {
    std::string arn;
    std::string status;
    std::string reason;
    std::string private_ipv4_address;
    absl::Time pull_started_at = absl::InfinitePast();
    absl::Time pull_stopped_at = absl::InfinitePast();
    int64_t cpu_units = 0;
    int64_t memory_mib = 0;
    std::vector<Container> containers;
    // Bumped whenever the task changes course (stop requested), so timers set for the
    // old course find a different number and do nothing.
    uint64_t generation = 0;
  };

  void FinishPull(const std::string& arn, uint64_t generation, std::optional<std::string> failure);
  void ContainerExited(const std::string& arn, uint64_t generation, size_t index);
  void BeginStop(Task& task, const std::string& reason);
  void FinishStop(const std::string& arn, uint64_t generation);
  void Emit(Task& task);
  v1::TaskStateReport BuildReport(const Task& task) const;
  Task* Find(const std::string& arn);
  std::string NewRuntimeId();

  const SimConfig config_;
  Loop* const loop_;
  const ReportFn report_;
  std::mt19937_64 random_;
  std::map<std::string, Task> tasks_;  // by task ARN
  // Logs of forgotten tasks, by task ARN then container, oldest first.
  std::map<std::string, std::map<std::string, std::string>> kept_logs_;
  std::deque<std::string> kept_order_;
};

}  // namespace gantry::agent
