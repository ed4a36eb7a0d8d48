// Per-task metrics on the agent: a runtime reads each running task's cumulative usage
// (TaskUsage); MetricsDeriver turns successive readings into the TaskMetrics samples
// the agent reports to gantryd (agent.proto), with CPU utilisation and network rates
// averaged over the interval between two readings.
//
// Thread-safety: a MetricsDeriver belongs to one host session (its loop). Errors: none;
// a counter that went backwards (a container restarted and its cgroup began again)
// gives a zero rate for that interval, never a negative one.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gantry/v1/agent.pb.h"

#include "absl/time/time.h"

namespace gantry::agent {

// A running task's usage since it started, as read at `at`.
struct TaskUsage {
  std::string task_arn;
  absl::Time at;
  uint64_t cpu_usage_ns = 0;
  uint64_t memory_used_bytes = 0;  // working set
  uint64_t network_rx_bytes = 0;
  uint64_t network_tx_bytes = 0;
  uint64_t storage_read_bytes = 0;
  uint64_t storage_write_bytes = 0;
  uint64_t ephemeral_used_bytes = 0;
};

class MetricsDeriver {
 public:
  // One sample per reading, in the readings' order. A task's first reading has no
  // interval (interval_ms 0, CPU and rates 0). Tasks not among `readings` are
  // forgotten (they stopped).
  std::vector<v1::TaskMetrics> Derive(const std::vector<TaskUsage>& readings);

  size_t tracked() const { return previous_.size(); }

 private:
  std::map<std::string, TaskUsage> previous_;  // by task ARN
};

}  // namespace gantry::agent
