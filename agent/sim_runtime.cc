#include "agent/sim_runtime.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace gantry::agent {
namespace {

// A stable fake digest per image name (64 hex digits), so one image shows one digest.
std::string FakeDigest(const std::string& image) {
  std::string digest = "sha256:";
  for (uint64_t seed : {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull, 0x9e3779b97f4a7c15ull,
                        0xc2b2ae3d27d4eb4full}) {
    uint64_t hash = seed;
    for (unsigned char c : image) {
      hash ^= c;
      hash *= 0x100000001b3ull;
    }
    absl::StrAppendFormat(&digest, "%016x", hash);
  }
  return digest;
}

}  // namespace

SimRuntime::SimRuntime(SimConfig config, Loop* loop, ReportFn report, uint64_t seed)
    : config_(std::move(config)), loop_(loop), report_(std::move(report)), random_(seed) {}

void SimRuntime::Launch(const v1::LaunchTask& launch) {
  const std::string& arn = launch.task_arn();
  if (Find(arn) != nullptr) {
    if (launch.desired_status() == kStopped) Stop(arn, "");
    return;
  }
  Task& task = tasks_[arn];
  task.arn = arn;
  task.private_ipv4_address = launch.network_interface().private_ipv4_address();
  task.cpu_units = launch.cpu_units();
  task.memory_mib = launch.memory_mib();
  std::optional<std::string> failure;
  absl::StatusOr<std::vector<ContainerPlan>> plans = PlanContainers(launch);
  if (plans.ok()) {
    for (ContainerPlan& plan : *plans) task.containers.push_back(Container{std::move(plan)});
  } else {
    // Still report every container, by name, so the failure shows on each.
    for (const v1::ContainerDefinition& definition :
         launch.task_definition().container_definitions()) {
      task.containers.push_back(Container{ContainerPlan{.name = definition.name()}});
    }
    failure = absl::StrCat("CannotStartContainerError: ",
                           absl::StrReplaceAll(plans.status().message(), {{"\n", "; "}}));
  }
  if (launch.desired_status() == kStopped) {
    // Stopped before the agent took it: never started, nothing to tear down.
    task.status = kStopped;
    for (Container& container : task.containers) container.status = kStopped;
    Emit(task);
    return;
  }
  for (const Container& container : task.containers) {
    if (failure.has_value()) break;
    if (container.plan.fail_start.has_value()) {
      failure =
          container.plan.fail_start->empty() ? config_.fail_reason : *container.plan.fail_start;
    }
  }
  if (!failure.has_value() && config_.fail_rate > 0 &&
      std::uniform_real_distribution<double>(0, 1)(random_) < config_.fail_rate) {
    failure = config_.fail_reason;
  }
  task.pull_started_at = loop_->Now();
  if (config_.launch_delay <= absl::ZeroDuration()) {
    FinishPull(arn, task.generation, std::move(failure));
    return;
  }
  task.status = kPending;
  Emit(task);
  loop_->After(config_.launch_delay,
               [this, arn, generation = task.generation, failure = std::move(failure)] {
                 FinishPull(arn, generation, failure);
               });
}

void SimRuntime::FinishPull(const std::string& arn, uint64_t generation,
                            std::optional<std::string> failure) {
  Task* task = Find(arn);
  if (task == nullptr || task->generation != generation) return;
  task->pull_stopped_at = loop_->Now();
  if (failure.has_value()) {
    task->status = kStopped;
    task->reason = *failure;
    for (Container& container : task->containers) {
      container.status = kStopped;
      container.reason = *failure;
    }
    Emit(*task);
    return;
  }
  task->status = kRunning;
  for (Container& container : task->containers) {
    container.status = kRunning;
    container.runtime_id = NewRuntimeId();
  }
  Emit(*task);
  for (size_t i = 0; i < task->containers.size(); ++i) {
    const std::optional<absl::Duration>& after = task->containers[i].plan.exit_after;
    if (!after.has_value()) continue;
    loop_->After(*after, [this, arn, generation, i] { ContainerExited(arn, generation, i); });
  }
}

void SimRuntime::ContainerExited(const std::string& arn, uint64_t generation, size_t index) {
  Task* task = Find(arn);
  if (task == nullptr || task->generation != generation || task->status != kRunning) return;
  Container& container = task->containers[index];
  container.status = kStopped;
  container.exit_code = container.plan.exit_code;
  if (container.plan.essential) {
    BeginStop(*task, kEssentialExitReason);
  } else {
    Emit(*task);
  }
}

void SimRuntime::Stop(const std::string& task_arn, const std::string& reason) {
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
  if (IsStoppingOrStopped(task->status)) return;
  BeginStop(*task, reason);
}

void SimRuntime::BeginStop(Task& task, const std::string& reason) {
  ++task.generation;  // cancels a pending pull or container exit
  task.status = kStopping;
  task.reason = reason;
  Emit(task);
  loop_->After(config_.stop_delay, [this, arn = task.arn, generation = task.generation] {
    FinishStop(arn, generation);
  });
}

void SimRuntime::FinishStop(const std::string& arn, uint64_t generation) {
  Task* task = Find(arn);
  if (task == nullptr || task->generation != generation) return;
  for (Container& container : task->containers) {
    if (container.status == kRunning) container.exit_code = kSigtermExitCode;
    container.status = kStopped;
  }
  task->status = kDeprovisioning;
  Emit(*task);
  task->status = kStopped;
  Emit(*task);
}

std::vector<v1::TaskStateReport> SimRuntime::Snapshot() const {
  std::vector<v1::TaskStateReport> reports;
  reports.reserve(tasks_.size());
  for (const auto& [arn, task] : tasks_) reports.push_back(BuildReport(task));
  return reports;
}

void SimRuntime::Forget(const std::string& task_arn) {
  auto it = tasks_.find(task_arn);
  if (it == tasks_.end() || it->second.status != kStopped) return;
  std::map<std::string, std::string>& logs = kept_logs_[task_arn];
  for (Container& container : it->second.containers) {
    logs[container.plan.name] = std::move(container.log);
  }
  kept_order_.push_back(task_arn);
  while (kept_order_.size() > kKeptLogs) {
    kept_logs_.erase(kept_order_.front());
    kept_order_.pop_front();
  }
  tasks_.erase(it);
}

void SimRuntime::Emit(Task& task) {
  const std::string now =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", loop_->Now(), absl::UTCTimeZone());
  for (Container& container : task.containers) {
    if (container.status == container.logged_status) continue;
    container.logged_status = container.status;
    absl::StrAppend(&container.log, now, " container ", container.plan.name, " is ",
                    container.status);
    if (container.exit_code.has_value()) {
      absl::StrAppend(&container.log, " with exit code ", *container.exit_code);
    }
    container.log.push_back('\n');
  }
  report_(BuildReport(task));
}

absl::StatusOr<LogChunk> SimRuntime::ReadLogs(const std::string& task_arn,
                                              const std::string& container, int64_t start_offset,
                                              int32_t max_bytes) {
  if (auto task = tasks_.find(task_arn); task != tasks_.end()) {
    for (const Container& candidate : task->second.containers) {
      if (candidate.plan.name == container) {
        return SliceLog(candidate.log, start_offset, max_bytes);
      }
    }
  } else if (auto kept = kept_logs_.find(task_arn); kept != kept_logs_.end()) {
    if (auto log = kept->second.find(container); log != kept->second.end()) {
      return SliceLog(log->second, start_offset, max_bytes);
    }
  }
  return absl::NotFoundError(
      absl::StrCat("no log of container ", container, " of task ", task_arn, " on this host"));
}

v1::TaskStateReport SimRuntime::BuildReport(const Task& task) const {
  v1::TaskStateReport report;
  report.set_task_arn(task.arn);
  report.set_status(task.status);
  report.set_at_unix_ms(absl::ToUnixMillis(loop_->Now()));
  report.set_reason(TruncatedReason(task.reason));
  if (task.pull_started_at != absl::InfinitePast()) {
    report.set_pull_started_at_unix_ms(absl::ToUnixMillis(task.pull_started_at));
  }
  if (task.pull_stopped_at != absl::InfinitePast()) {
    report.set_pull_stopped_at_unix_ms(absl::ToUnixMillis(task.pull_stopped_at));
  }
  report.set_private_ipv4_address(task.private_ipv4_address);
  for (const Container& container : task.containers) {
    v1::ContainerStateReport* out = report.add_containers();
    out->set_name(container.plan.name);
    out->set_status(container.status);
    if (container.exit_code.has_value()) out->set_exit_code(*container.exit_code);
    out->set_reason(TruncatedReason(container.reason));
    out->set_runtime_id(container.runtime_id);
    // Pulled images have a digest; a container that never started has no runtime id.
    if (!container.runtime_id.empty() && !container.plan.image.empty()) {
      out->set_image_digest(FakeDigest(container.plan.image));
    }
    if (container.plan.has_health_check) {
      out->set_health_status(container.status == kRunning ? "HEALTHY" : "UNKNOWN");
    }
  }
  return report;
}

SimRuntime::Task* SimRuntime::Find(const std::string& arn) {
  auto it = tasks_.find(arn);
  return it == tasks_.end() ? nullptr : &it->second;
}

std::string SimRuntime::NewRuntimeId() {
  std::string id;
  for (int i = 0; i < 4; ++i) absl::StrAppendFormat(&id, "%016x", random_());
  return id;
}

std::vector<TaskUsage> SimRuntime::SampleUsage() {
  const absl::Time now = loop_->Now();
  std::vector<TaskUsage> usage;
  for (const auto& [arn, task] : tasks_) {
    if (task.status != kRunning) {
      continue;
    }
    const double seconds = std::max(0.0, absl::ToDoubleSeconds(now - task.pull_stopped_at));
    TaskUsage& sample = usage.emplace_back();
    sample.task_arn = arn;
    sample.at = now;
    sample.cpu_usage_ns =
        static_cast<uint64_t>(seconds * 1e9 * 0.1 * static_cast<double>(task.cpu_units) / 1024.0);
    sample.memory_used_bytes = static_cast<uint64_t>(task.memory_mib) * 1024 * 1024 / 4;
    sample.network_rx_bytes = static_cast<uint64_t>(seconds * 10'000);
    sample.network_tx_bytes = static_cast<uint64_t>(seconds * 5'000);
    sample.storage_write_bytes = static_cast<uint64_t>(seconds * 1'000);
    sample.ephemeral_used_bytes = uint64_t{64} << 20;
  }
  return usage;
}

}  // namespace gantry::agent
