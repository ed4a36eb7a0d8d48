// The containerd runtime: runs a host's tasks as real containers. Behind the same
// Runtime interface (runtime.h) as the simulated runtime, with the same lifecycle:
//
//   Launch   PENDING at once (pull_started_at); then, on a worker thread: the task's
//            network (task_network.h), its cgroup parent with the task's cpu and
//            memory, every image pulled (image_puller.h), and one containerd container
//            and task per container definition, created and started in dependsOn order.
//            RUNNING when all have started (pull_stopped_at, runtime ids, image
//            digests). A failed pull stops the task with "CannotPullContainerError: ...",
//            any other failure with "CannotStartContainerError: ..." (and undoes what
//            was made).
//   Health   a container with a healthCheck runs it in the container every interval
//            (Tasks.Exec) once the task is RUNNING; HEALTHY, UNHEALTHY or UNKNOWN is
//            in every report. dependsOn COMPLETE, SUCCESS and HEALTHY are waited for
//            before the dependent container starts, up to its startTimeout (120 s when
//            unset); a dependency not met stops the task.
//   Exit     containerd's Wait answers when a container's process ends: the container
//            is STOPPED with its exit code; an essential one stops the task with
//            "Essential container in task exited".
//   Stop     STOPPING; each running container gets SIGTERM (or its image's
//            StopSignal), then SIGKILL after its stopTimeout (default 30 s); then
//            containerd's tasks, containers and snapshots are deleted, the network and
//            cgroup are removed: DEPROVISIONING, STOPPED.
//   Restart  a new runtime finds the containers an earlier agent left (containerd
//            labels carry the task ARN, the container's name and what reports need)
//            and takes them over: running ones are RUNNING again, exited ones STOPPED;
//            network namespaces of tasks that are gone are removed.
//
// Metadata: each container gets ECS_CONTAINER_METADATA_URI_V4, served by the runtime's
// MetadataServer (metadata_server.h) with the task's document, kept current at every
// state change, and stats from containerd and the task's namespace (task_stats.h).
//
// Container output (stdout and stderr) goes to <task dir>/<task id>/<container>.log,
// written by containerd's shim, and rotated by size (log_rotation.h). Thread-safety: as Runtime
// (every method on the Loop); blocking containerd and host work runs on the runtime's worker
// threads and posts its result back to the Loop. Errors: as Runtime; failures become STOPPED
// reasons.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/containerd/client.h"
#include "agent/containerd/health.h"
#include "agent/containerd/image_puller.h"
#include "agent/containerd/log_rotation.h"
#include "agent/containerd/metadata_server.h"
#include "agent/containerd/registry_client.h"
#include "agent/containerd/task_network.h"
#include "agent/containerd/task_stats.h"
#include "agent/loop.h"
#include "agent/runtime.h"

namespace gantry::agent::containerd {

struct ContainerdConfig {
  std::string address = kDefaultAddress;  // containerd's socket
  std::set<std::string> insecure_registries;
  std::filesystem::path task_dir;  // per-task files: logs, resolv.conf, hosts
  std::string init_path = "/usr/bin/tini-static";
  absl::Duration registry_timeout = absl::Seconds(60);
  // The task metadata endpoint v4 (empty address: none). The address is put on the
  // host's lo; tasks reach it through their default route.
  std::string metadata_address = "169.254.170.2";
  uint16_t metadata_port = 80;
  int worker_threads = 4;
  // Container logs are rotated when larger (log_rotation.h), keeping this many files.
  int64_t log_max_bytes = kDefaultLogMaxBytes;
  int log_files = kDefaultLogFiles;
  // A stopped task's directory (its logs) is removed this long after the agent forgot
  // the task (as ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION, 3 h by default).
  absl::Duration task_cleanup_wait = absl::Hours(3);
};

inline constexpr absl::Duration kDefaultStopTimeout = absl::Seconds(30);

class ContainerdRuntime final : public Runtime {
 public:
  // `loop` must outlive the runtime. Blocks while it recovers the tasks an earlier
  // agent left in containerd (see file comment); a containerd that does not answer is
  // logged and leaves the runtime empty.
  ContainerdRuntime(ContainerdConfig config, Loop* loop, ReportFn report);
  ContainerdRuntime(const ContainerdRuntime&) = delete;
  ContainerdRuntime& operator=(const ContainerdRuntime&) = delete;
  // Cancels the waits, drops queued work and waits for the work under way (bounded by
  // its calls' deadlines: a pull in progress may take minutes). Containers keep
  // running; a restarted agent takes them over, and gantryd repeats stops it wants.
  ~ContainerdRuntime() override;

  void Launch(const v1::LaunchTask& task) override;
  void Stop(const std::string& task_arn, const std::string& reason) override;
  std::vector<v1::TaskStateReport> Snapshot() const override;
  void Forget(const std::string& task_arn) override;
  // The task's cgroup parent (task_usage.h), the counters of its host veth and its
  // ephemeral file system.
  std::vector<TaskUsage> SampleUsage() override;
  // The container's current log file in the task's directory (kept after the task is
  // forgotten, until the directory is removed).
  absl::StatusOr<LogChunk> ReadLogs(const std::string& task_arn, const std::string& container,
                                    int64_t start_offset, int32_t max_bytes) override;

  // Public for the worker-side helpers in containerd_runtime.cc.
  struct Container {
    std::string name;
    std::string id;  // containerd's container id: <task id>-<index>
    bool essential = true;
    std::string status = "PENDING";
    std::optional<int32_t> exit_code;
    std::string reason;
    std::string image_digest;
    std::string stop_signal;
    absl::Duration stop_timeout = kDefaultStopTimeout;
    bool started = false;
    // The definition's health check and what it found (no plan: no check).
    std::optional<HealthCheckPlan> health_check;
    std::optional<HealthTracker> health;
    std::string process_json;  // the OCI process a check runs like
  };
  struct Task {
    std::string arn;
    std::string id;
    std::string status;
    std::string reason;
    std::string private_ipv4_address;
    std::string host_veth;  // empty when unknown (taken over from an older agent)
    absl::Time pull_started_at = absl::InfinitePast();
    absl::Time pull_stopped_at = absl::InfinitePast();
    std::vector<Container> containers;
    v1::LaunchTask launch;        // empty for a task taken over after a restart
    bool provisioning = false;    // a worker is setting the task up
    bool stop_requested = false;  // a stop came while provisioning
    std::string stop_reason;
  };
  // What a worker reports when a launch is set up (or failed).
  struct Provisioned {
    absl::Status status;
    absl::Time pull_started_at;
    absl::Time pull_stopped_at;
    std::vector<Container> containers;
  };

 private:
  void Recover();
  void StartMetadataServer();
  // Every kLogRotationInterval on the loop: the running tasks' logs, rotated on a worker,
  // and the directories of tasks forgotten task_cleanup_wait ago removed.
  void RotateLogs();
  void RemoveExpiredTaskDirs();
  // The task's metadata document (metadata.h) as it is now.
  TaskMetadata BuildTaskMetadata(const Task& task) const;
  void Publish(const Task& task);
  std::string MetadataUri(const std::string& token) const;
  void Provision(v1::LaunchTask launch);
  void OnProvisioned(const std::string& arn, Provisioned result);
  void WatchExit(const std::string& arn, const std::string& container_id);
  void OnExit(const std::string& arn, const std::string& container_id, int32_t exit_code);
  void ScheduleHealthCheck(const std::string& arn, const Container& container);
  void CheckHealth(const std::string& arn, const std::string& container_id);
  void OnHealthChecked(const std::string& arn, const std::string& container_id, bool passed);
  void BeginStop(Task& task, const std::string& reason);
  void OnTornDown(const std::string& arn, std::map<std::string, int32_t> exit_codes);
  void Emit(const Task& task);
  v1::TaskStateReport BuildReport(const Task& task) const;
  Task* Find(const std::string& arn);

  const ContainerdConfig config_;
  Loop* const loop_;
  const ReportFn report_;
  Client client_;
  RegistryClient registry_;
  ImagePuller puller_;
  TaskNetworks networks_;
  std::map<std::string, Task> tasks_;  // by task ARN; on the Loop only
  // Task directories of tasks no longer held, by task id: since when; on the Loop only.
  std::map<std::string, absl::Time> forgotten_;

  TaskStatsCollector stats_;
  // Each task's containers (docker id, name), for the metadata server's stats calls,
  // which come on its own thread.
  absl::Mutex stats_targets_mutex_;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> stats_targets_
      ABSL_GUARDED_BY(stats_targets_mutex_);
  // After what it calls into: destroyed (stopped) before it.
  std::unique_ptr<MetadataServer> metadata_;

  // Waits in flight, cancelled at destruction (their callbacks then post nothing).
  struct Waits;
  std::shared_ptr<Waits> waits_;
  boost::asio::thread_pool workers_;
};

}  // namespace gantry::agent::containerd
