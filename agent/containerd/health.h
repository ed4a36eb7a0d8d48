// Container health checks as ECS runs them: the definition's healthCheck command is run
// inside the container every `interval`, may take `timeout`, and the container is
// UNHEALTHY after `retries` failures in a row, HEALTHY after a success, UNKNOWN before
// the first result. Failures within `startPeriod` of the start do not count.
//
// The plan and the tracker are pure (table-tested); ExecInContainer runs one check
// through containerd (Tasks.Exec). Thread-safety: the pure parts are values;
// ExecInContainer blocks its caller and is safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gantry/v1/ecs_types.pb.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/containerd/client.h"

namespace gantry::agent::containerd {

inline constexpr char kHealthUnknown[] = "UNKNOWN";
inline constexpr char kHealthy[] = "HEALTHY";
inline constexpr char kUnhealthy[] = "UNHEALTHY";

struct HealthCheckPlan {
  std::vector<std::string> args;  // what runs in the container
  absl::Duration interval = absl::Seconds(30);
  absl::Duration timeout = absl::Seconds(5);
  int retries = 3;
  absl::Duration start_period = absl::ZeroDuration();
};

// The plan of a definition's healthCheck: ["CMD-SHELL", "cmd"] runs /bin/sh -c cmd,
// ["CMD", exe, args...] runs exe; ECS's defaults for unset fields. nullopt for a
// check of ["NONE"]; INVALID_ARGUMENT for a command of another form.
absl::StatusOr<std::optional<HealthCheckPlan>> PlanHealthCheck(const v1::HealthCheck& check);

class HealthTracker {
 public:
  HealthTracker(int retries, absl::Duration start_period, absl::Time started_at)
      : retries_(retries), start_period_(start_period), started_at_(started_at) {}
  // Records one check's result at `now`; returns true when the status changed.
  bool Record(bool passed, absl::Time now);
  const std::string& status() const { return status_; }

 private:
  int retries_;
  absl::Duration start_period_;
  absl::Time started_at_;
  int failures_in_a_row_ = 0;
  std::string status_ = kHealthUnknown;
};

// The "process" object of an OCI runtime spec (JSON), as JSON.
absl::StatusOr<std::string> ProcessJsonOf(const std::string& spec_json);

// Runs `args` in container `container_id` as its main process runs (`process_json`: the
// "process" object of its OCI spec, whose args are replaced), waits up to `timeout`
// and returns the exit code. DEADLINE_EXCEEDED when it runs longer (it is killed).
absl::StatusOr<int> ExecInContainer(const Client& client, const std::string& container_id,
                                    const std::string& process_json,
                                    const std::vector<std::string>& args, absl::Duration timeout);

}  // namespace gantry::agent::containerd
