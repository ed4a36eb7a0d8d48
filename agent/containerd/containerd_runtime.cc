#include "agent/containerd/containerd_runtime.h"

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <system_error>
#include <utility>

#include <boost/asio/post.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "agent/containerd/command.h"
#include "agent/containerd/oci_spec.h"
#include "agent/containerd/start_order.h"
#include "agent/containerd/task_cgroup.h"
#include "agent/containerd/task_storage.h"
#include "agent/containerd/task_usage.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace gantry::agent::containerd {
namespace {

namespace fs = std::filesystem;

constexpr char kSpecTypeUrl[] = "types.containerd.io/opencontainers/runtime-spec/1/Spec";

// Labels on each containerd container: what a restarted agent needs to report it.
constexpr char kLabelTaskArn[] = "gantry.task-arn";
constexpr char kLabelTaskIpv4[] = "gantry.task-ipv4";
constexpr char kLabelName[] = "gantry.container-name";
constexpr char kLabelIndex[] = "gantry.container-index";
constexpr char kLabelEssential[] = "gantry.essential";
constexpr char kLabelImageDigest[] = "gantry.image-digest";
constexpr char kLabelStopSignal[] = "gantry.stop-signal";
constexpr char kLabelStopTimeout[] = "gantry.stop-timeout-seconds";
constexpr char kLabelPullStarted[] = "gantry.pull-started-ms";
constexpr char kLabelPullStopped[] = "gantry.pull-stopped-ms";
constexpr char kLabelCount[] = "gantry.task-container-count";
// The host end of the task's veth, whose counters are the task's network traffic.
constexpr char kLabelHostVeth[] = "gantry.host-veth";

constexpr char kIncompleteReason[] =
    "Task stopped: the agent restarted while it was starting the task";

// After SIGKILL, how long to wait for containerd to see the exit.
constexpr absl::Duration kKillWait = absl::Seconds(10);
constexpr absl::Duration kLogRotationInterval = absl::Seconds(10);
// After a failed Wait (containerd unavailable), before it is asked again.
constexpr absl::Duration kWaitRetryDelay = absl::Seconds(1);
// How long a container waits for its dependencies when its startTimeout is unset.
constexpr absl::Duration kDefaultStartTimeout = absl::Seconds(120);
// Fargate's ephemeral storage when the task definition asks for none.
constexpr int64_t kDefaultStorageGib = 20;

std::string TaskIdOf(const std::string& arn) {
  size_t slash = arn.rfind('/');
  return slash == std::string::npos ? arn : arn.substr(slash + 1);
}

int64_t UnixMillis(absl::Time time) {
  return time == absl::InfinitePast() ? 0 : absl::ToUnixMillis(time);
}

int SignalNumber(const std::string& name) {
  static const std::map<std::string, int> kSignals = {
      {"SIGTERM", SIGTERM}, {"SIGINT", SIGINT},   {"SIGQUIT", SIGQUIT}, {"SIGKILL", SIGKILL},
      {"SIGHUP", SIGHUP},   {"SIGUSR1", SIGUSR1}, {"SIGUSR2", SIGUSR2}, {"SIGWINCH", SIGWINCH}};
  auto it = kSignals.find(name.starts_with("SIG") || name.empty() ? name : "SIG" + name);
  return it == kSignals.end() ? SIGTERM : it->second;
}

int64_t HostNofileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_max == RLIM_INFINITY) {
    return 0;
  }
  return static_cast<int64_t>(limit.rlim_max);
}

// ---- Worker side: blocking containerd and host calls ------------------------------

// The files a task's containers share: resolv.conf and hosts, bind-mounted into each.
absl::StatusOr<std::vector<BindMount>> WriteTaskFiles(const fs::path& dir,
                                                      const v1::TaskNetworkInterface& eni) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot create ", dir.string(), ": ", error.message()));
  }
  std::ofstream resolv(dir / "resolv.conf");
  for (const std::string& server : eni.domain_name_servers()) {
    resolv << "nameserver " << server << "\n";
  }
  resolv.close();
  std::ofstream hosts(dir / "hosts");
  hosts << "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n";
  if (!eni.private_ipv4_address().empty()) {
    hosts << eni.private_ipv4_address() << " " << eni.private_dns_name() << "\n";
  }
  hosts.close();
  if (!resolv || !hosts) {
    return absl::InternalError(absl::StrCat("cannot write the task files in ", dir.string()));
  }
  return std::vector<BindMount>{{(dir / "resolv.conf").string(), "/etc/resolv.conf", true},
                                {(dir / "hosts").string(), "/etc/hosts", true}};
}

// The directory of each task-local volume (a volume with no EFS or Docker volume
// configuration) on the task's file system, by volume name. Every mountPoints[]
// source is one of them: task-definition validation refuses other names.
absl::StatusOr<std::map<std::string, std::string>> CreateTaskVolumes(
    const v1::TaskDefinition& definition, const fs::path& storage) {
  std::map<std::string, std::string> directories;
  for (const v1::Volume& volume : definition.volumes()) {
    if (volume.has_efs_volume_configuration() || volume.has_docker_volume_configuration() ||
        volume.has_fsx_windows_file_server_volume_configuration()) {
      return absl::UnimplementedError(absl::StrCat(
          "volume \"", volume.name(), "\": only task-local volumes are supported yet"));
    }
    GANTRY_ASSIGN_OR_RETURN(directories[volume.name()],
                            CreateVolumeDirectory(storage, volume.name()));
  }
  for (const v1::ContainerDefinition& container : definition.container_definitions()) {
    for (const v1::MountPoint& mount : container.mount_points()) {
      if (!directories.contains(mount.source_volume())) {
        return absl::InvalidArgumentError(absl::StrCat("container \"", container.name(),
                                                       "\" mounts unknown volume \"",
                                                       mount.source_volume(), "\""));
      }
    }
  }
  return directories;
}

absl::Status CreateContainer(const Client& client, const std::string& id,
                             const std::string& image_name, const std::string& spec_json,
                             const std::map<std::string, std::string>& labels) {
  containers_api::CreateContainerRequest request;
  containers_api::Container* container = request.mutable_container();
  container->set_id(id);
  container->set_image(image_name);
  container->mutable_labels()->insert(labels.begin(), labels.end());
  container->mutable_runtime()->set_name(kRuncRuntime);
  container->mutable_spec()->set_type_url(kSpecTypeUrl);
  container->mutable_spec()->set_value(spec_json);
  // The container's snapshot is the read-only view of its image (PrepareRootfs): naming
  // it keeps the view, and the image's layers under it, from containerd's garbage
  // collector while the container exists, even after its tag moved to another image.
  // The root file system itself is an overlay the runtime builds (task_storage.h) and
  // hands to Tasks.Create.
  container->set_snapshotter(kSnapshotter);
  container->set_snapshot_key(id);
  containers_api::CreateContainerResponse response;
  return FromGrpc(client.containers().Create(client.Context().get(), request, &response),
                  "Containers.Create");
}

// The container's root file system: a read-only view of its image (kept by
// containerd under the container's id, so the layers stay while it runs) under its
// writable layer on the task's file system.
absl::StatusOr<::containerd::types::Mount> PrepareRootfs(const Client& client,
                                                         const std::string& id,
                                                         const std::string& image_top,
                                                         const fs::path& storage) {
  snapshots_api::ViewSnapshotRequest request;
  request.set_snapshotter(kSnapshotter);
  request.set_key(id);
  request.set_parent(image_top);
  snapshots_api::ViewSnapshotResponse response;
  GANTRY_RETURN_IF_ERROR(FromGrpc(
      client.snapshots().View(client.Context().get(), request, &response), "Snapshots.View"));
  GANTRY_ASSIGN_OR_RETURN(WritableLayer layer, CreateWritableLayer(storage, id));
  return OverlayRootfs({response.mounts().begin(), response.mounts().end()}, layer);
}

absl::Status CreateAndStartTask(const Client& client, const std::string& id,
                                const ::containerd::types::Mount& rootfs,
                                const fs::path& log_path) {
  tasks_api::CreateTaskRequest create;
  create.set_container_id(id);
  *create.add_rootfs() = rootfs;
  // The shim opens file:// stdio itself and appends to it.
  create.set_stdout(absl::StrCat("file://", log_path.string()));
  create.set_stderr(absl::StrCat("file://", log_path.string()));
  tasks_api::CreateTaskResponse created;
  GANTRY_RETURN_IF_ERROR(
      FromGrpc(client.tasks().Create(client.Context().get(), create, &created), "Tasks.Create"));
  tasks_api::StartRequest start;
  start.set_container_id(id);
  tasks_api::StartResponse started;
  return FromGrpc(client.tasks().Start(client.Context().get(), start, &started), "Tasks.Start");
}

absl::Status Kill(const Client& client, const std::string& id, int signal) {
  tasks_api::KillRequest request;
  request.set_container_id(id);
  request.set_signal(static_cast<uint32_t>(signal));
  request.set_all(true);
  google::protobuf::Empty empty;
  return FromGrpc(client.tasks().Kill(client.Context().get(), request, &empty), "Tasks.Kill");
}

// True when the container's process ended within `timeout`.
bool WaitForExit(const Client& client, const std::string& id, absl::Duration timeout) {
  tasks_api::WaitRequest request;
  request.set_container_id(id);
  tasks_api::WaitResponse response;
  grpc::Status status = client.tasks().Wait(client.Context(timeout).get(), request, &response);
  return status.ok() || status.error_code() == grpc::StatusCode::NOT_FOUND;
}

// Deletes what containerd holds of one container; returns its exit code when it ran.
std::optional<int32_t> DeleteContainer(const Client& client, const std::string& id) {
  std::optional<int32_t> exit_code;
  tasks_api::DeleteTaskRequest delete_task;
  delete_task.set_container_id(id);
  tasks_api::DeleteResponse deleted;
  if (client.tasks().Delete(client.Context().get(), delete_task, &deleted).ok()) {
    exit_code = static_cast<int32_t>(deleted.exit_status());
  }
  containers_api::DeleteContainerRequest delete_container;
  delete_container.set_id(id);
  google::protobuf::Empty empty;
  client.containers().Delete(client.Context().get(), delete_container, &empty);
  snapshots_api::RemoveSnapshotRequest remove;
  remove.set_snapshotter(kSnapshotter);
  remove.set_key(id);
  client.snapshots().Remove(client.Context().get(), remove, &empty);
  return exit_code;
}

// Stops the containers (stop signal, then SIGKILL after their stop timeout) and
// removes everything of the task. Returns the exit codes containerd had.
std::map<std::string, int32_t> TearDown(
    const Client& client, TaskNetworks& networks, const std::string& task_id,
    const fs::path& task_dir, const std::vector<ContainerdRuntime::Container>& containers) {
  std::vector<const ContainerdRuntime::Container*> running;
  for (const ContainerdRuntime::Container& container : containers) {
    if (container.started && !container.exit_code.has_value()) {
      if (Kill(client, container.id, SignalNumber(container.stop_signal)).ok()) {
        running.push_back(&container);
      }
    }
  }
  const absl::Time signalled_at = absl::Now();
  for (const ContainerdRuntime::Container* container : running) {
    const absl::Duration left = signalled_at + container->stop_timeout - absl::Now();
    if (!WaitForExit(client, container->id, std::max(left, absl::Milliseconds(1)))) {
      Kill(client, container->id, SIGKILL).IgnoreError();
      WaitForExit(client, container->id, kKillWait);
    }
  }
  std::map<std::string, int32_t> exit_codes;
  for (const ContainerdRuntime::Container& container : containers) {
    std::optional<int32_t> code = DeleteContainer(client, container.id);
    if (code.has_value() && container.started) {
      exit_codes[container.id] = *code;
    }
  }
  if (absl::Status status = networks.Destroy(task_id); !status.ok()) {
    log::Warning("task_network_teardown_failed", {{"task", task_id}, {"error", status.message()}});
  }
  if (absl::Status status = RemoveTaskCgroup(task_id); !status.ok()) {
    log::Warning("task_cgroup_teardown_failed", {{"task", task_id}, {"error", status.message()}});
  }
  // The container logs stay in the task directory; its file system goes.
  if (absl::Status status = RemoveTaskStorage(task_dir); !status.ok()) {
    log::Warning("task_storage_teardown_failed", {{"task", task_id}, {"error", status.message()}});
  }
  return exit_codes;
}

std::string LabelOr(const containers_api::Container& container, const std::string& key,
                    const std::string& fallback = "") {
  auto it = container.labels().find(key);
  return it == container.labels().end() ? fallback : it->second;
}

absl::Time TimeLabel(const containers_api::Container& container, const std::string& key) {
  int64_t millis = 0;
  if (!absl::SimpleAtoi(LabelOr(container, key), &millis) || millis == 0) {
    return absl::InfinitePast();
  }
  return absl::FromUnixMillis(millis);
}

// The exit code of the container's process once it ended, waiting up to `timeout`.
absl::StatusOr<uint32_t> WaitExitCode(const Client& client, const std::string& id,
                                      absl::Duration timeout) {
  tasks_api::WaitRequest request;
  request.set_container_id(id);
  tasks_api::WaitResponse response;
  GANTRY_RETURN_IF_ERROR(FromGrpc(
      client.tasks().Wait(client.Context(timeout).get(), request, &response), "Tasks.Wait"));
  return response.exit_status();
}

// Runs the dependency's health check until it passes or `deadline`.
absl::Status WaitHealthy(const Client& client, const ContainerdRuntime::Container& dependency,
                         absl::Time deadline) {
  const HealthCheckPlan& plan = *dependency.health_check;
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    absl::StatusOr<int> code = ExecInContainer(client, dependency.id, dependency.process_json,
                                               plan.args, std::min(plan.timeout, left));
    if (code.ok() && *code == 0) {
      return absl::OkStatus();
    }
    if (absl::Now() + plan.interval >= deadline) {
      return absl::DeadlineExceededError("its health check did not pass");
    }
    absl::SleepFor(plan.interval);
  }
}

// Waits until every dependency of `definition` meets its condition (START is met by
// the start order), up to the container's startTimeout.
absl::Status WaitForDependencies(
    const Client& client, const v1::ContainerDefinition& definition,
    const std::map<std::string, ContainerdRuntime::Container>& started_by_name) {
  const absl::Duration timeout = definition.has_start_timeout()
                                     ? absl::Seconds(definition.start_timeout())
                                     : kDefaultStartTimeout;
  const absl::Time deadline = absl::Now() + timeout;
  for (const v1::ContainerDependency& dependency : definition.depends_on()) {
    const std::string& condition = dependency.condition();
    auto it = started_by_name.find(dependency.container_name());
    if (condition == "START" || condition.empty() || it == started_by_name.end()) {
      continue;
    }
    const std::string what = absl::StrCat("container \"", definition.name(), "\": dependency \"",
                                          dependency.container_name(), "\"");
    absl::Status status;
    if (condition == "COMPLETE" || condition == "SUCCESS") {
      absl::StatusOr<uint32_t> code = WaitExitCode(client, it->second.id, deadline - absl::Now());
      if (!code.ok()) {
        status = code.status();
      } else if (condition == "SUCCESS" && *code != 0) {
        return absl::FailedPreconditionError(
            absl::StrCat(what, " exited with code ", *code, ", not 0 (SUCCESS)"));
      }
    } else if (condition == "HEALTHY") {
      status = it->second.health_check.has_value()
                   ? WaitHealthy(client, it->second, deadline)
                   : absl::FailedPreconditionError("it has no healthCheck");
    }
    if (!status.ok()) {
      return absl::DeadlineExceededError(absl::StrCat(what, " did not reach ", condition,
                                                      " within ", absl::FormatDuration(timeout),
                                                      ": ", status.message()));
    }
  }
  return absl::OkStatus();
}

// What containerd knows of a container's process after an agent restart. Only a
// process that is there and running counts as running; one containerd cannot tell
// about right now is watched all the same (its Wait retries).
void RecoverProcessState(const Client& client, const std::string& id,
                         ContainerdRuntime::Container& container) {
  tasks_api::GetRequest get;
  get.set_container_id(id);
  tasks_api::GetResponse got;
  const grpc::Status status = client.tasks().Get(client.Context().get(), get, &got);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    container.status = kStopped;  // never started
    return;
  }
  container.started = true;
  if (!status.ok()) {
    container.status = kRunning;
    return;
  }
  switch (got.process().status()) {
    case ::containerd::v1::types::RUNNING:
    case ::containerd::v1::types::PAUSED:
    case ::containerd::v1::types::PAUSING:
      container.status = kRunning;
      return;
    case ::containerd::v1::types::STOPPED:
      container.status = kStopped;
      container.exit_code = static_cast<int32_t>(got.process().exit_status());
      return;
    default:
      // Created but never started (the agent stopped in between).
      container.started = false;
      container.status = kStopped;
      return;
  }
}

// The storage and cgroups of tasks that are gone (an agent stopped while it set one up
// or tore one down). Their logs stay.
void RemoveLeftoverStorage(const fs::path& task_dir, const std::set<std::string>& live) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(task_dir, error)) {
    const std::string id = entry.path().filename().string();
    if (!entry.is_directory() || live.contains(id)) {
      continue;
    }
    if (absl::Status status = RemoveTaskStorage(entry.path()); !status.ok()) {
      log::Warning("task_storage_cleanup_failed", {{"task", id}, {"error", status.message()}});
    }
    if (absl::Status status = RemoveTaskCgroup(id); !status.ok()) {
      log::Warning("task_cgroup_cleanup_failed", {{"task", id}, {"error", status.message()}});
    }
  }
}

}  // namespace

// ---- Waits: containerd's Wait calls, one per started container ----------------------

struct ContainerdRuntime::Waits {
  absl::Mutex mutex;
  bool closed ABSL_GUARDED_BY(mutex) = false;
  std::set<grpc::ClientContext*> in_flight ABSL_GUARDED_BY(mutex);
};

ContainerdRuntime::ContainerdRuntime(ContainerdConfig config, Loop* loop, ReportFn report)
    : config_(std::move(config)),
      loop_(loop),
      report_(std::move(report)),
      client_(config_.address, kNamespace),
      registry_(config_.insecure_registries, config_.registry_timeout),
      puller_(&client_, &registry_),
      stats_(&client_),
      waits_(std::make_shared<Waits>()),
      workers_(static_cast<size_t>(config_.worker_threads)) {
  StartMetadataServer();
  Recover();
  // Like every closure the runtime gives its loop, this one never runs after the
  // runtime is gone: the agent stops its loops before it destroys the runtimes.
  RemoveExpiredTaskDirs();
  loop_->After(kLogRotationInterval, [this] { RotateLogs(); });
}

void ContainerdRuntime::RotateLogs() {
  std::vector<fs::path> logs;
  for (const auto& [arn, task] : tasks_) {
    if (IsStoppingOrStopped(task.status)) {
      continue;
    }
    for (const Container& container : task.containers) {
      logs.push_back(config_.task_dir / task.id / absl::StrCat(container.name, ".log"));
    }
  }
  boost::asio::post(workers_, [this, logs = std::move(logs)] {
    for (const fs::path& path : logs) {
      if (absl::Status status = RotateIfLarger(path, config_.log_max_bytes, config_.log_files);
          !status.ok()) {
        log::Warning("log_rotation_failed", {{"log", path.string()}, {"error", status.message()}});
      }
    }
  });
  RemoveExpiredTaskDirs();
  loop_->After(kLogRotationInterval, [this] { RotateLogs(); });
}

void ContainerdRuntime::StartMetadataServer() {
  const std::string& address = config_.metadata_address;
  if (address.empty()) {
    return;
  }
  absl::StatusOr<std::string> addresses = RunCommand({"ip", "-o", "addr", "show", "dev", "lo"});
  if (addresses.ok() && !absl::StrContains(*addresses, absl::StrCat(" ", address, "/"))) {
    addresses = RunCommand({"ip", "addr", "add", absl::StrCat(address, "/32"), "dev", "lo"});
  }
  absl::StatusOr<std::unique_ptr<MetadataServer>> server =
      addresses.ok()
          ? MetadataServer::Start(address, config_.metadata_port,
                                  [this](const std::string& task_arn) {
                                    std::vector<std::pair<std::string, std::string>> targets;
                                    {
                                      absl::MutexLock lock(&stats_targets_mutex_);
                                      if (auto it = stats_targets_.find(task_arn);
                                          it != stats_targets_.end()) {
                                        targets = it->second;
                                      }
                                    }
                                    return stats_.Collect(targets);
                                  })
          : absl::StatusOr<std::unique_ptr<MetadataServer>>(addresses.status());
  if (!server.ok()) {
    // Tasks still run; their containers get no metadata endpoint.
    log::Error("metadata_endpoint_unavailable",
               {{"address", address}, {"error", server.status().message()}});
    return;
  }
  metadata_ = *std::move(server);
  log::Info("metadata_endpoint_listening", {{"address", address}, {"port", metadata_->port()}});
}

ContainerdRuntime::~ContainerdRuntime() {
  {
    absl::MutexLock lock(&waits_->mutex);
    waits_->closed = true;
    for (grpc::ClientContext* context : waits_->in_flight) {
      context->TryCancel();
    }
  }
  // Work not started yet is dropped; work under way finishes (its calls have deadlines).
  workers_.stop();
  workers_.join();
  // Cancelled calls finish promptly; their callbacks post nothing once closed.
  absl::MutexLock lock(&waits_->mutex);
  waits_->mutex.AwaitWithTimeout(
      absl::Condition(
          +[](std::set<grpc::ClientContext*>* in_flight) { return in_flight->empty(); },
          &waits_->in_flight),
      absl::Seconds(5));
}

void ContainerdRuntime::Launch(const v1::LaunchTask& launch) {
  const std::string& arn = launch.task_arn();
  if (Find(arn) != nullptr) {
    if (launch.desired_status() == kStopped) {
      Stop(arn, "");
    }
    return;
  }
  Task& task = tasks_[arn];
  task.arn = arn;
  task.id = TaskIdOf(arn);
  task.private_ipv4_address = launch.network_interface().private_ipv4_address();
  task.host_veth = NamesOf(task.id, launch.network_interface()).host_veth;
  task.launch = launch;
  const auto& definitions = launch.task_definition().container_definitions();
  for (int i = 0; i < definitions.size(); ++i) {
    Container container;
    container.name = definitions[i].name();
    container.id = absl::StrCat(task.id, "-", i);
    container.essential = !definitions[i].has_essential() || definitions[i].essential();
    if (definitions[i].has_stop_timeout()) {
      container.stop_timeout = absl::Seconds(definitions[i].stop_timeout());
    }
    task.containers.push_back(std::move(container));
  }
  if (launch.desired_status() == kStopped) {
    task.status = kStopped;
    for (Container& container : task.containers) {
      container.status = kStopped;
    }
    Emit(task);
    return;
  }
  task.status = kPending;
  task.pull_started_at = loop_->Now();
  task.provisioning = true;
  Emit(task);
  boost::asio::post(workers_, [this, launch] { Provision(launch); });
}

// Worker thread.
void ContainerdRuntime::Provision(v1::LaunchTask launch) {
  const std::string task_id = TaskIdOf(launch.task_arn());
  const fs::path task_dir = config_.task_dir / task_id;
  Provisioned result;
  result.pull_started_at = absl::Now();
  const auto& definitions = launch.task_definition().container_definitions();

  auto fail = [&](std::string_view kind, const absl::Status& status) {
    result.status = absl::Status(
        status.code(), absl::StrCat(std::string(kind), ": ", std::string(status.message())));
    result.pull_stopped_at =
        result.pull_stopped_at == absl::Time() ? absl::Now() : result.pull_stopped_at;
    // Whatever was made, running or not: TearDown skips what containerd does not have.
    std::vector<Container> created(static_cast<size_t>(definitions.size()));
    for (int i = 0; i < definitions.size(); ++i) {
      created[i].id = absl::StrCat(task_id, "-", i);
      created[i].started = true;
      created[i].stop_timeout = absl::Seconds(1);
    }
    TearDown(client_, networks_, task_id, task_dir, created);
    loop_->Post([this, arn = launch.task_arn(), result] { OnProvisioned(arn, result); });
  };

  absl::StatusOr<TaskNetworkNames> network = networks_.Create(task_id, launch.network_interface());
  if (!network.ok()) {
    return fail("CannotStartContainerError", network.status());
  }
  if (absl::Status status = CreateTaskCgroup(task_id, launch.cpu_units(), launch.memory_mib());
      !status.ok()) {
    return fail("CannotStartContainerError", status);
  }
  const int64_t storage_gib =
      launch.ephemeral_storage_gib() > 0 ? launch.ephemeral_storage_gib() : kDefaultStorageGib;
  absl::StatusOr<fs::path> storage = CreateTaskStorage(task_dir, storage_gib << 30);
  if (!storage.ok()) {
    return fail("CannotStartContainerError", storage.status());
  }
  absl::StatusOr<std::map<std::string, std::string>> volumes =
      CreateTaskVolumes(launch.task_definition(), *storage);
  if (!volumes.ok()) {
    return fail("CannotStartContainerError", volumes.status());
  }
  std::vector<PulledImage> images;
  for (const v1::ContainerDefinition& definition : definitions) {
    absl::StatusOr<PulledImage> image = puller_.Pull(definition.image());
    if (!image.ok()) {
      return fail("CannotPullContainerError", image.status());
    }
    images.push_back(*std::move(image));
  }
  result.pull_stopped_at = absl::Now();
  absl::StatusOr<std::vector<BindMount>> binds =
      WriteTaskFiles(task_dir, launch.network_interface());
  if (!binds.ok()) {
    return fail("CannotStartContainerError", binds.status());
  }
  absl::StatusOr<std::vector<int>> order = StartOrder(launch.task_definition());
  if (!order.ok()) {
    return fail("CannotStartContainerError", order.status());
  }
  std::map<std::string, Container> started_by_name;
  for (int index : *order) {
    const v1::ContainerDefinition& definition = definitions[index];
    if (absl::Status status = WaitForDependencies(client_, definition, started_by_name);
        !status.ok()) {
      return fail("CannotStartContainerError", status);
    }
    Container container;
    container.name = definition.name();
    container.id = absl::StrCat(task_id, "-", index);
    container.image_digest = images[index].manifest_digest;
    container.stop_signal = images[index].config.stop_signal;
    container.stop_timeout = definition.has_stop_timeout()
                                 ? absl::Seconds(definition.stop_timeout())
                                 : kDefaultStopTimeout;
    ContainerSpecInput input;
    input.definition = definition;
    for (const v1::ContainerOverride& override_entry : launch.overrides().container_overrides()) {
      if (override_entry.name() == definition.name()) {
        input.overrides = override_entry;
      }
    }
    input.image = images[index].config;
    input.hostname = definition.has_hostname() ? definition.hostname()
                                               : launch.network_interface().private_dns_name();
    input.netns_path = network->netns_path;
    input.cgroups_path = absl::StrCat(TaskCgroupPath(task_id), "/", container.id);
    input.binds = *binds;
    for (const v1::MountPoint& mount : definition.mount_points()) {
      input.binds.push_back(
          BindMount{volumes->at(mount.source_volume()), mount.container_path(), mount.read_only()});
    }
    input.init_path = config_.init_path;
    const std::string token = NewMetadataToken();
    if (metadata_ != nullptr) {
      input.extra_env.push_back(absl::StrCat("ECS_CONTAINER_METADATA_URI_V4=", MetadataUri(token)));
    }
    input.host_nofile_limit = HostNofileLimit();
    absl::StatusOr<std::string> spec = BuildOciSpec(input);
    absl::StatusOr<std::string> process =
        spec.ok() ? ProcessJsonOf(*spec) : absl::StatusOr<std::string>(spec.status());
    if (!process.ok()) {
      return fail("CannotStartContainerError", process.status());
    }
    container.process_json = *process;
    if (definition.has_health_check()) {
      absl::StatusOr<std::optional<HealthCheckPlan>> plan =
          PlanHealthCheck(definition.health_check());
      if (!plan.ok()) {
        return fail("CannotStartContainerError", plan.status());
      }
      container.health_check = *plan;
    }
    const std::map<std::string, std::string> labels = {
        {kLabelTaskArn, launch.task_arn()},
        {kLabelTaskIpv4, launch.network_interface().private_ipv4_address()},
        {kLabelHostVeth,
         NamesOf(TaskIdOf(launch.task_arn()), launch.network_interface()).host_veth},
        {kLabelName, definition.name()},
        {kLabelIndex, absl::StrCat(index)},
        {kLabelEssential, !definition.has_essential() || definition.essential() ? "true" : "false"},
        {kLabelImageDigest, container.image_digest},
        {kLabelStopSignal, container.stop_signal},
        {kLabelStopTimeout, absl::StrCat(absl::ToInt64Seconds(container.stop_timeout))},
        {kLabelPullStarted, absl::StrCat(UnixMillis(result.pull_started_at))},
        {kLabelPullStopped, absl::StrCat(UnixMillis(result.pull_stopped_at))},
        {kLabelCount, absl::StrCat(definitions.size())}};
    absl::StatusOr<::containerd::types::Mount> rootfs =
        PrepareRootfs(client_, container.id, images[index].top_chain_id, *storage);
    if (!rootfs.ok()) {
      return fail("CannotStartContainerError", rootfs.status());
    }
    absl::Status status = CreateContainer(client_, container.id, images[index].name, *spec, labels);
    if (!status.ok()) {
      return fail("CannotStartContainerError", status);
    }
    if (metadata_ != nullptr) {
      // Before the start: a container may ask at once.
      metadata_->Register(token, launch.task_arn(), container.id,
                          launch.network_interface().private_ipv4_address());
      absl::MutexLock lock(&stats_targets_mutex_);
      stats_targets_[launch.task_arn()].emplace_back(container.id, container.name);
    }
    status = CreateAndStartTask(client_, container.id, *rootfs,
                                task_dir / absl::StrCat(definition.name(), ".log"));
    if (!status.ok()) {
      return fail("CannotStartContainerError", status);
    }
    container.started = true;
    container.status = kRunning;
    loop_->Post([this, arn = launch.task_arn(), id = container.id] { WatchExit(arn, id); });
    started_by_name[container.name] = container;
    result.containers.push_back(std::move(container));
  }
  loop_->Post([this, arn = launch.task_arn(), result] { OnProvisioned(arn, result); });
}

void ContainerdRuntime::OnProvisioned(const std::string& arn, Provisioned result) {
  Task* task = Find(arn);
  if (task == nullptr) {
    return;
  }
  task->provisioning = false;
  task->pull_stopped_at = result.pull_stopped_at;
  for (const Container& started : result.containers) {
    for (Container& container : task->containers) {
      if (container.id != started.id) {
        continue;
      }
      container.started = true;
      container.image_digest = started.image_digest;
      container.stop_signal = started.stop_signal;
      container.stop_timeout = started.stop_timeout;
      container.health_check = started.health_check;
      container.process_json = started.process_json;
      if (container.health_check.has_value()) {
        container.health.emplace(container.health_check->retries,
                                 container.health_check->start_period, loop_->Now());
      }
      if (!container.exit_code.has_value()) {
        container.status = kRunning;
      }
    }
  }
  if (!result.status.ok()) {
    // Everything was torn down already.
    task->status = kStopped;
    task->reason = TruncatedReason(std::string(result.status.message()));
    for (Container& container : task->containers) {
      container.status = kStopped;
    }
    Emit(*task);
    return;
  }
  task->status = kRunning;
  Emit(*task);
  if (task->stop_requested) {
    return BeginStop(*task, task->stop_reason);
  }
  for (const Container& container : task->containers) {
    ScheduleHealthCheck(arn, container);
  }
  for (const Container& container : task->containers) {
    if (container.essential && container.exit_code.has_value()) {
      return BeginStop(*task, kEssentialExitReason);
    }
  }
}

void ContainerdRuntime::WatchExit(const std::string& arn, const std::string& container_id) {
  struct Call {
    std::unique_ptr<grpc::ClientContext> context;
    tasks_api::WaitRequest request;
    tasks_api::WaitResponse response;
  };
  auto call = std::make_shared<Call>();
  call->context = client_.Context(absl::InfiniteDuration());
  call->request.set_container_id(container_id);
  {
    absl::MutexLock lock(&waits_->mutex);
    if (waits_->closed) {
      return;
    }
    waits_->in_flight.insert(call->context.get());
  }
  client_.tasks().async()->Wait(
      call->context.get(), &call->request, &call->response,
      [this, call, waits = waits_, arn, container_id](grpc::Status status) {
        absl::MutexLock lock(&waits->mutex);
        waits->in_flight.erase(call->context.get());
        if (waits->closed || status.error_code() == grpc::StatusCode::NOT_FOUND) {
          // Cancelled at shutdown, or the container is gone (teardown reads its code).
          return;
        }
        if (!status.ok()) {
          // containerd restarted or hiccuped; the container lives on in its shim.
          loop_->After(kWaitRetryDelay, [this, arn, container_id] {
            if (const Task* task = Find(arn);
                task != nullptr && !IsStoppingOrStopped(task->status)) {
              WatchExit(arn, container_id);
            }
          });
          return;
        }
        const int32_t code = static_cast<int32_t>(call->response.exit_status());
        loop_->Post([this, arn, container_id, code] { OnExit(arn, container_id, code); });
      });
}

void ContainerdRuntime::OnExit(const std::string& arn, const std::string& container_id,
                               int32_t exit_code) {
  Task* task = Find(arn);
  if (task == nullptr) {
    return;
  }
  Container* exited = nullptr;
  for (Container& container : task->containers) {
    if (container.id == container_id) {
      exited = &container;
    }
  }
  if (exited == nullptr || exited->exit_code.has_value()) {
    return;
  }
  exited->exit_code = exit_code;
  exited->status = kStopped;
  if (task->provisioning || IsStoppingOrStopped(task->status)) {
    return;  // OnProvisioned or OnTornDown reports it
  }
  Emit(*task);
  if (exited->essential) {
    BeginStop(*task, kEssentialExitReason);
  }
}

void ContainerdRuntime::ScheduleHealthCheck(const std::string& arn, const Container& container) {
  if (!container.health_check.has_value() || container.exit_code.has_value()) {
    return;
  }
  loop_->After(container.health_check->interval,
               [this, arn, id = container.id] { CheckHealth(arn, id); });
}

// On the loop: runs one check on a worker unless the task or container is done.
void ContainerdRuntime::CheckHealth(const std::string& arn, const std::string& container_id) {
  Task* task = Find(arn);
  if (task == nullptr || task->status != kRunning) {
    return;
  }
  for (const Container& container : task->containers) {
    if (container.id != container_id || container.exit_code.has_value() ||
        !container.health_check.has_value()) {
      continue;
    }
    boost::asio::post(workers_, [this, arn, id = container.id, plan = *container.health_check,
                                 process = container.process_json] {
      absl::StatusOr<int> code = ExecInContainer(client_, id, process, plan.args, plan.timeout);
      const bool passed = code.ok() && *code == 0;
      loop_->Post([this, arn, id, passed] { OnHealthChecked(arn, id, passed); });
    });
  }
}

void ContainerdRuntime::OnHealthChecked(const std::string& arn, const std::string& container_id,
                                        bool passed) {
  Task* task = Find(arn);
  if (task == nullptr || task->status != kRunning) {
    return;
  }
  for (Container& container : task->containers) {
    if (container.id != container_id || !container.health.has_value()) {
      continue;
    }
    if (container.health->Record(passed, loop_->Now())) {
      Emit(*task);
    }
    ScheduleHealthCheck(arn, container);
  }
}

void ContainerdRuntime::Stop(const std::string& task_arn, const std::string& reason) {
  Task* task = Find(task_arn);
  if (task == nullptr) {
    v1::TaskStateReport report;
    report.set_task_arn(task_arn);
    report.set_status(kStopped);
    report.set_at_unix_ms(absl::ToUnixMillis(loop_->Now()));
    report.set_reason(TruncatedReason(reason));
    report_(std::move(report));
    return;
  }
  if (IsStoppingOrStopped(task->status)) {
    return;
  }
  if (task->provisioning) {
    task->stop_requested = true;
    task->stop_reason = reason;
    return;
  }
  BeginStop(*task, reason);
}

void ContainerdRuntime::BeginStop(Task& task, const std::string& reason) {
  task.status = kStopping;
  if (task.reason.empty()) {
    task.reason = TruncatedReason(reason);
  }
  Emit(task);
  boost::asio::post(workers_, [this, arn = task.arn, id = task.id, containers = task.containers] {
    std::map<std::string, int32_t> exit_codes =
        TearDown(client_, networks_, id, config_.task_dir / id, containers);
    loop_->Post([this, arn, exit_codes = std::move(exit_codes)] { OnTornDown(arn, exit_codes); });
  });
}

void ContainerdRuntime::OnTornDown(const std::string& arn,
                                   std::map<std::string, int32_t> exit_codes) {
  Task* task = Find(arn);
  if (task == nullptr) {
    return;
  }
  for (Container& container : task->containers) {
    if (!container.exit_code.has_value()) {
      if (auto it = exit_codes.find(container.id); it != exit_codes.end()) {
        container.exit_code = it->second;
      }
    }
    container.status = kStopped;
  }
  task->status = kDeprovisioning;
  Emit(*task);
  task->status = kStopped;
  Emit(*task);
}

std::vector<v1::TaskStateReport> ContainerdRuntime::Snapshot() const {
  std::vector<v1::TaskStateReport> reports;
  reports.reserve(tasks_.size());
  for (const auto& [arn, task] : tasks_) {
    reports.push_back(BuildReport(task));
  }
  return reports;
}

void ContainerdRuntime::Forget(const std::string& task_arn) {
  auto it = tasks_.find(task_arn);
  if (it == tasks_.end() || it->second.status != kStopped) {
    return;
  }
  forgotten_[it->second.id] = loop_->Now();
  tasks_.erase(it);
  if (metadata_ != nullptr) {
    metadata_->RemoveTask(task_arn);
  }
  absl::MutexLock lock(&stats_targets_mutex_);
  if (auto targets = stats_targets_.find(task_arn); targets != stats_targets_.end()) {
    stats_.Forget(targets->second);
    stats_targets_.erase(targets);
  }
}

void ContainerdRuntime::Emit(const Task& task) {
  log::Debug("task_state", {{"task", task.arn}, {"status", task.status}, {"reason", task.reason}});
  Publish(task);
  report_(BuildReport(task));
}

void ContainerdRuntime::Publish(const Task& task) {
  if (metadata_ == nullptr || task.launch.task_arn().empty()) {
    return;
  }
  metadata_->SetTask(task.arn, BuildTaskMetadata(task));
}

TaskMetadata ContainerdRuntime::BuildTaskMetadata(const Task& task) const {
  const v1::LaunchTask& launch = task.launch;
  const v1::TaskNetworkInterface& eni = launch.network_interface();
  TaskMetadata document;
  document.cluster = launch.cluster_arn();
  document.task_arn = task.arn;
  document.family = launch.task_definition().family();
  document.revision = absl::StrCat(launch.task_definition().revision());
  document.desired_status = IsStoppingOrStopped(task.status) ? kStopped : kRunning;
  document.known_status = task.status;
  document.limits = {VcpuFromCpuUnits(launch.cpu_units()), launch.memory_mib()};
  if (task.pull_started_at != absl::InfinitePast()) {
    document.pull_started_at = task.pull_started_at;
  }
  if (task.pull_stopped_at != absl::InfinitePast()) {
    document.pull_stopped_at = task.pull_stopped_at;
  }
  document.availability_zone = launch.availability_zone();
  const int64_t storage_gib =
      launch.ephemeral_storage_gib() > 0 ? launch.ephemeral_storage_gib() : kDefaultStorageGib;
  EphemeralStorageMetrics storage{0, storage_gib * 1024};
  absl::StatusOr<StorageUsage> usage = TaskStorageUsage(config_.task_dir / task.id / "ephemeral");
  if (usage.ok()) {
    storage.utilized_mib = usage->used_bytes >> 20;
  }
  document.ephemeral_storage_metrics = storage;
  NetworkMetadata network;
  network.ipv4_addresses = {eni.private_ipv4_address()};
  network.mac_address = eni.mac_address();
  network.ipv4_subnet_cidr_block = eni.subnet_cidr_block();
  network.domain_name_servers.assign(eni.domain_name_servers().begin(),
                                     eni.domain_name_servers().end());
  network.private_dns_name = eni.private_dns_name();
  const size_t slash = eni.subnet_cidr_block().find('/');
  network.subnet_gateway_ipv4_address =
      absl::StrCat(eni.subnet_gateway_ipv4_address(),
                   slash == std::string::npos ? "" : eni.subnet_cidr_block().substr(slash));
  const auto& definitions = launch.task_definition().container_definitions();
  for (size_t i = 0; i < task.containers.size() && i < static_cast<size_t>(definitions.size());
       ++i) {
    const Container& container = task.containers[i];
    const v1::ContainerDefinition& definition = definitions[static_cast<int>(i)];
    ContainerMetadata entry;
    entry.docker_id = container.id;
    entry.name = container.name;
    entry.docker_name = container.name;
    entry.image = definition.image();
    entry.image_id = container.image_digest;
    entry.labels = {definition.docker_labels().begin(), definition.docker_labels().end()};
    entry.desired_status = document.desired_status;
    entry.known_status = container.status;
    entry.exit_code = container.exit_code;
    entry.limits.cpu_units = definition.cpu();
    if (definition.has_memory()) {
      entry.limits.memory_mib = definition.memory();
    }
    if (static_cast<int>(i) < launch.containers_size()) {
      entry.container_arn = launch.containers(static_cast<int>(i)).container_arn();
    }
    if (definition.has_log_configuration()) {
      entry.log_driver = definition.log_configuration().log_driver();
      entry.log_options = {definition.log_configuration().options().begin(),
                           definition.log_configuration().options().end()};
    }
    entry.networks = {network};
    document.containers.push_back(std::move(entry));
  }
  return document;
}

std::string ContainerdRuntime::MetadataUri(const std::string& token) const {
  const std::string port =
      config_.metadata_port == 80 ? "" : absl::StrCat(":", config_.metadata_port);
  return absl::StrCat("http://", config_.metadata_address, port, "/v4/", token);
}

v1::TaskStateReport ContainerdRuntime::BuildReport(const Task& task) const {
  v1::TaskStateReport report;
  report.set_task_arn(task.arn);
  report.set_status(task.status);
  report.set_at_unix_ms(absl::ToUnixMillis(loop_->Now()));
  report.set_reason(task.reason);
  report.set_pull_started_at_unix_ms(UnixMillis(task.pull_started_at));
  report.set_pull_stopped_at_unix_ms(UnixMillis(task.pull_stopped_at));
  report.set_private_ipv4_address(task.private_ipv4_address);
  for (const Container& container : task.containers) {
    v1::ContainerStateReport* entry = report.add_containers();
    entry->set_name(container.name);
    entry->set_status(container.status);
    if (container.exit_code.has_value()) {
      entry->set_exit_code(*container.exit_code);
    }
    entry->set_reason(container.reason);
    if (container.started) {
      entry->set_runtime_id(container.id);
    }
    entry->set_image_digest(container.image_digest);
    if (container.health.has_value()) {
      entry->set_health_status(container.health->status());
    }
  }
  return report;
}

ContainerdRuntime::Task* ContainerdRuntime::Find(const std::string& arn) {
  auto it = tasks_.find(arn);
  return it == tasks_.end() ? nullptr : &it->second;
}

// ---- Recovery ---------------------------------------------------------------------

void ContainerdRuntime::Recover() {
  containers_api::ListContainersRequest request;
  containers_api::ListContainersResponse response;
  absl::Status status = FromGrpc(
      client_.containers().List(client_.Context().get(), request, &response), "Containers.List");
  if (!status.ok()) {
    log::Error("containerd_recovery_failed", {{"error", status.message()}});
    return;
  }
  std::map<std::string, std::map<int, Container>> found;  // by ARN, then index
  std::map<std::string, int> expected_counts;             // by ARN
  for (const containers_api::Container& entry : response.containers()) {
    const std::string arn = LabelOr(entry, kLabelTaskArn);
    int index = 0;
    if (arn.empty() || !absl::SimpleAtoi(LabelOr(entry, kLabelIndex), &index)) {
      continue;
    }
    Task& task = tasks_[arn];
    task.arn = arn;
    task.id = TaskIdOf(arn);
    task.private_ipv4_address = LabelOr(entry, kLabelTaskIpv4);
    task.host_veth = LabelOr(entry, kLabelHostVeth);
    task.pull_started_at = TimeLabel(entry, kLabelPullStarted);
    task.pull_stopped_at = TimeLabel(entry, kLabelPullStopped);
    Container container;
    container.name = LabelOr(entry, kLabelName);
    container.id = entry.id();
    container.essential = LabelOr(entry, kLabelEssential, "true") == "true";
    container.image_digest = LabelOr(entry, kLabelImageDigest);
    container.stop_signal = LabelOr(entry, kLabelStopSignal);
    int64_t stop_seconds = 0;
    if (absl::SimpleAtoi(LabelOr(entry, kLabelStopTimeout), &stop_seconds)) {
      container.stop_timeout = absl::Seconds(stop_seconds);
    }
    RecoverProcessState(client_, entry.id(), container);
    int expected = 0;
    if (absl::SimpleAtoi(LabelOr(entry, kLabelCount), &expected)) {
      expected_counts[arn] = expected;
    }
    found[arn][index] = std::move(container);
  }
  std::set<std::string> live;
  for (auto& [arn, containers] : found) {
    Task& task = tasks_[arn];
    live.insert(task.id);
    bool essential_exited = false;
    for (auto& [index, container] : containers) {
      essential_exited = essential_exited || (container.essential && container.status == kStopped);
      task.containers.push_back(std::move(container));
    }
    task.status = kRunning;
    for (const Container& container : task.containers) {
      if (container.status == kRunning) {
        loop_->Post([this, arn = arn, id = container.id] { WatchExit(arn, id); });
      }
    }
    // An agent that stopped while it was starting the task left it incomplete.
    const bool incomplete = static_cast<int>(containers.size()) < expected_counts[arn];
    if (essential_exited || incomplete) {
      const std::string reason = incomplete ? kIncompleteReason : std::string(kEssentialExitReason);
      loop_->Post([this, arn = arn, reason] {
        if (Task* task = Find(arn); task != nullptr && task->status == kRunning) {
          BeginStop(*task, reason);
        }
      });
    }
    log::Info("containerd_task_recovered", {{"task", arn}, {"containers", task.containers.size()}});
  }
  if (absl::Status status = networks_.RemoveLeftovers(live); !status.ok()) {
    log::Warning("task_network_cleanup_failed", {{"error", status.message()}});
  }
  RemoveLeftoverStorage(config_.task_dir, live);
  // The directories of tasks that are gone are removed task_cleanup_wait after they were
  // last written (their logs until then).
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(config_.task_dir, error)) {
    const std::string id = entry.path().filename().string();
    if (entry.is_directory() && !live.contains(id)) {
      std::error_code time_error;
      const auto written = fs::last_write_time(entry.path(), time_error);
      forgotten_[id] =
          time_error ? loop_->Now() : absl::FromChrono(std::chrono::file_clock::to_sys(written));
    }
  }
}

void ContainerdRuntime::RemoveExpiredTaskDirs() {
  const absl::Time now = loop_->Now();
  std::vector<std::string> expired;
  for (auto it = forgotten_.begin(); it != forgotten_.end();) {
    if (now - it->second >= config_.task_cleanup_wait) {
      expired.push_back(it->first);
      it = forgotten_.erase(it);
    } else {
      ++it;
    }
  }
  if (expired.empty()) {
    return;
  }
  boost::asio::post(workers_, [this, expired = std::move(expired)] {
    for (const std::string& id : expired) {
      const fs::path dir = config_.task_dir / id;
      // Unmounted first: removing files below a mounted file system would empty it and
      // leave the mount.
      if (absl::Status status = RemoveTaskStorage(dir); !status.ok()) {
        log::Warning("task_dir_cleanup_failed", {{"task", id}, {"error", status.message()}});
        continue;
      }
      std::error_code error;
      fs::remove_all(dir, error);
      if (error) {
        log::Warning("task_dir_cleanup_failed", {{"task", id}, {"error", error.message()}});
      } else {
        log::Debug("task_dir_removed", {{"task", id}});
      }
    }
  });
}

std::vector<TaskUsage> ContainerdRuntime::SampleUsage() {
  // File reads only (cgroup, sysfs, statfs): microseconds per task, fine on the loop.
  std::vector<TaskUsage> usage;
  const absl::Time now = loop_->Now();
  for (const auto& [arn, task] : tasks_) {
    if (task.status != kRunning) {
      continue;
    }
    absl::StatusOr<CgroupUsage> cgroup = ReadTaskCgroupUsage(task.id);
    if (!cgroup.ok()) {
      log::Debug("task_usage_unreadable",
                 {{"task", task.id}, {"error", cgroup.status().message()}});
      continue;
    }
    TaskUsage& sample = usage.emplace_back();
    sample.task_arn = arn;
    sample.at = now;
    sample.cpu_usage_ns = cgroup->cpu_usage_ns;
    sample.memory_used_bytes = cgroup->memory_used_bytes;
    sample.storage_read_bytes = cgroup->storage_read_bytes;
    sample.storage_write_bytes = cgroup->storage_write_bytes;
    if (!task.host_veth.empty()) {
      absl::StatusOr<InterfaceCounters> counters = HostVethCounters(task.host_veth);
      if (counters.ok()) {
        sample.network_rx_bytes = counters->task_rx_bytes;
        sample.network_tx_bytes = counters->task_tx_bytes;
      }
    }
    absl::StatusOr<StorageUsage> storage =
        TaskStorageUsage(config_.task_dir / task.id / "ephemeral");
    if (storage.ok()) {
      sample.ephemeral_used_bytes = storage->used_bytes;
    }
  }
  return usage;
}

absl::StatusOr<LogChunk> ContainerdRuntime::ReadLogs(const std::string& task_arn,
                                                     const std::string& container,
                                                     int64_t start_offset, int32_t max_bytes) {
  const std::string task_id = TaskIdOf(task_arn);
  // Names come from gantryd, which checked them against the task; still, never a path.
  const bool is_task_id =
      task_id.size() == 32 && std::all_of(task_id.begin(), task_id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      });
  if (!is_task_id || container.empty() || absl::StrContains(container, '/') || container == "." ||
      container == "..") {
    return absl::NotFoundError(
        absl::StrCat("no log of container ", container, " of task ", task_arn, " on this host"));
  }
  const std::filesystem::path dir = config_.task_dir / task_id;
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    return absl::NotFoundError(absl::StrCat("task ", task_arn, " has no logs on this host"));
  }
  return ReadLogFile(dir / (container + ".log"), start_offset, max_bytes);
}

}  // namespace gantry::agent::containerd
