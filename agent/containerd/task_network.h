// A task's awsvpc network on a real host. Each task gets a network namespace that all
// its containers join; a veth pair stands in for the ENI: its task end is `eth0` in the
// namespace, with the ENI's MAC and private address and a default route via the
// subnet's gateway; its host end is a port of the subnet's bridge, which holds the
// gateway address (.1). So the task's address is reachable from the host, and tasks of
// one subnet on one host reach each other.
//
// What this does not emulate: security groups (no filtering), traffic between hosts
// and to the VPC resolver (nothing answers at .2), and overlapping subnets of two VPCs
// on one host (their bridges would both claim the same prefix; the second task's
// set-up fails). A production data plane would attach a real ENI instead.
//
// The host work is done with iproute2's `ip` (command.h); names are derived from the
// task and ENI ids, so a restarted agent finds what it made. Thread-safety: safe from
// any thread; set-up and teardown are serialised. Errors: INTERNAL with the failed
// command and its output.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "gantry/v1/agent.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace gantry::agent::containerd {

// The host names of one task's network (pure; at most 15 characters each, the
// kernel's limit for interface names).
struct TaskNetworkNames {
  std::string netns;         // "gantry-<task id>"
  std::string netns_path;    // "/run/netns/gantry-<task id>"
  std::string host_veth;     // "gtv-" + the ENI id's last 11 characters
  std::string staging_veth;  // "gts-" + the same: the task end before it becomes eth0
  std::string bridge;        // "gtb-" + the subnet id's last 11 characters
};

inline constexpr char kNetnsPrefix[] = "gantry-";
inline constexpr char kNetnsDir[] = "/run/netns";
inline constexpr char kBridgePrefix[] = "gtb-";

TaskNetworkNames NamesOf(const std::string& task_id, const v1::TaskNetworkInterface& eni);

// A task's traffic as its host veth counts it (sysfs): what the host end sends, the task
// receives, and the other way round.
struct InterfaceCounters {
  uint64_t task_rx_bytes = 0;
  uint64_t task_tx_bytes = 0;
};
// NOT_FOUND when the interface does not exist.
absl::StatusOr<InterfaceCounters> HostVethCounters(const std::string& host_veth,
                                                   const std::string& sysfs_net = "/sys/class/net");

class TaskNetworks {
 public:
  // Creates the task's namespace, veth pair and (when missing) its subnet's bridge.
  // Idempotent: what exists already is removed first, so a retried launch starts clean.
  absl::StatusOr<TaskNetworkNames> Create(const std::string& task_id,
                                          const v1::TaskNetworkInterface& eni);
  // Removes the task's namespace (its veth pair goes with it), then every subnet
  // bridge left without a task. No-op when gone.
  absl::Status Destroy(const std::string& task_id);
  // Removes the namespaces of tasks not in `live_task_ids` (after an agent restart) and
  // the bridges left without a task.
  absl::Status RemoveLeftovers(const std::set<std::string>& live_task_ids);

 private:
  absl::Status CreateLocked(const std::string& task_id, const v1::TaskNetworkInterface& eni,
                            const TaskNetworkNames& names) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::Status DestroyLocked(const std::string& task_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::Status EnsureBridge(const TaskNetworkNames& names, const v1::TaskNetworkInterface& eni)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void RemoveIdleBridges() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  // Serialises all set-up and teardown: a bridge must not be removed as idle between
  // its creation and its first port (a task's set-up is a few milliseconds).
  absl::Mutex mutex_;
};

}  // namespace gantry::agent::containerd
