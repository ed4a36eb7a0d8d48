// The stats of a task's containers for the metadata endpoint (/stats, /task/stats):
// cgroup figures from containerd (Tasks.Metrics: cpu, memory, block I/O, pids) and the
// network counters of the task's namespace (/proc/<pid>/net/dev of the container's
// process). Each sample keeps the previous one of its container for precpu_stats and
// network_rate_stats.
//
// Thread-safety: safe from any thread (the previous samples sit behind a mutex);
// Collect blocks on containerd calls with short deadlines. Errors: a container that
// containerd or /proc cannot tell about is left out.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "agent/containerd/client.h"
#include "agent/containerd/metadata.h"

namespace gantry::agent::containerd {

class TaskStatsCollector {
 public:
  explicit TaskStatsCollector(const Client* client) : client_(client) {}

  // One sample of each container (docker id, name), by docker id.
  std::map<std::string, ContainerStats> Collect(
      const std::vector<std::pair<std::string, std::string>>& containers);
  // Drops the previous samples of these containers (the task is gone).
  void Forget(const std::vector<std::pair<std::string, std::string>>& containers);

 private:
  bool Sample(const std::string& id, ContainerStats& stats);

  const Client* const client_;
  absl::Mutex mutex_;
  std::map<std::string, ContainerStats> previous_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace gantry::agent::containerd
