#include "agent/containerd/task_stats.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "github.com/containerd/cgroups/stats/v1/metrics.pb.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace gantry::agent::containerd {
namespace {

namespace cgroups = ::io::containerd::cgroups::v1;

constexpr absl::Duration kStatsTimeout = absl::Seconds(2);
constexpr char kCgroupV1MetricsType[] = "io.containerd.cgroups.v1.Metrics";

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// The host's CPU time since boot in nanoseconds (the "cpu" line of /proc/stat), which
// is what Docker reports as system_cpu_usage.
uint64_t SystemCpuUsageNs() {
  std::istringstream stat(ReadFile("/proc/stat"));
  std::string label;
  stat >> label;
  uint64_t ticks = 0;
  uint64_t value = 0;
  for (int i = 0; i < 8 && stat >> value; ++i) {
    ticks += value;
  }
  const long per_second = sysconf(_SC_CLK_TCK);
  return per_second > 0 ? ticks * (1000000000ull / static_cast<uint64_t>(per_second)) : 0;
}

void FillFromCgroup(const cgroups::Metrics& metrics, ContainerStats& stats) {
  stats.pids_current = metrics.pids().current();
  const cgroups::CPUUsage& usage = metrics.cpu().usage();
  stats.cpu.total_usage_ns = usage.total();
  stats.cpu.usage_in_kernelmode_ns = usage.kernel();
  stats.cpu.usage_in_usermode_ns = usage.user();
  stats.cpu.percpu_usage_ns.assign(usage.per_cpu().begin(), usage.per_cpu().end());
  stats.cpu.throttling_periods = metrics.cpu().throttling().periods();
  stats.cpu.throttled_periods = metrics.cpu().throttling().throttled_periods();
  stats.cpu.throttled_time_ns = metrics.cpu().throttling().throttled_time();
  const cgroups::MemoryStat& memory = metrics.memory();
  stats.memory.usage_bytes = memory.usage().usage();
  stats.memory.max_usage_bytes = memory.usage().max();
  stats.memory.limit_bytes = memory.usage().limit();
  stats.memory.stats = {{"cache", memory.cache()},
                        {"rss", memory.rss()},
                        {"mapped_file", memory.mapped_file()},
                        {"active_anon", memory.active_anon()},
                        {"inactive_anon", memory.inactive_anon()},
                        {"active_file", memory.active_file()},
                        {"inactive_file", memory.inactive_file()},
                        {"pgfault", memory.pg_fault()},
                        {"pgmajfault", memory.pg_maj_fault()}};
  for (const cgroups::BlkIOEntry& entry : metrics.blkio().io_service_bytes_recursive()) {
    stats.io_service_bytes_recursive.push_back(
        BlkioEntry{entry.major(), entry.minor(), entry.op(), entry.value()});
  }
}

}  // namespace

bool TaskStatsCollector::Sample(const std::string& id, ContainerStats& stats) {
  tasks_api::GetRequest get;
  get.set_container_id(id);
  tasks_api::GetResponse process;
  if (!client_->tasks().Get(client_->Context(kStatsTimeout).get(), get, &process).ok() ||
      process.process().pid() == 0) {
    return false;
  }
  tasks_api::MetricsRequest request;
  request.add_filters(absl::StrCat("id==", id));
  tasks_api::MetricsResponse response;
  if (!client_->tasks().Metrics(client_->Context(kStatsTimeout).get(), request, &response).ok() ||
      response.metrics().empty()) {
    return false;
  }
  // Protobuf would parse cgroup v2 metrics as v1 without complaint (unknown and
  // mismatched fields are kept aside), so the type decides. v2 is not read yet.
  const std::string& type = response.metrics(0).data().type_url();
  cgroups::Metrics metrics;
  if (!absl::EndsWith(type, kCgroupV1MetricsType) ||
      !metrics.ParseFromString(response.metrics(0).data().value())) {
    return false;
  }
  FillFromCgroup(metrics, stats);
  stats.cpu.system_cpu_usage_ns = SystemCpuUsageNs();
  stats.cpu.online_cpus = static_cast<uint32_t>(sysconf(_SC_NPROCESSORS_ONLN));
  absl::StatusOr<std::map<std::string, NetworkCounters>> networks =
      ParseProcNetDev(ReadFile(absl::StrCat("/proc/", process.process().pid(), "/net/dev")));
  if (networks.ok()) {
    networks->erase("lo");  // Docker's map has no loopback
    stats.networks = *std::move(networks);
  }
  return true;
}

std::map<std::string, ContainerStats> TaskStatsCollector::Collect(
    const std::vector<std::pair<std::string, std::string>>& containers) {
  std::map<std::string, ContainerStats> samples;
  for (const auto& [id, name] : containers) {
    ContainerStats stats;
    stats.id = id;
    stats.name = name;
    stats.read = absl::Now();
    if (!Sample(id, stats)) {
      continue;
    }
    absl::MutexLock lock(&mutex_);
    if (auto it = previous_.find(id); it != previous_.end()) {
      stats.preread = it->second.read;
      stats.precpu = it->second.cpu;
      stats.network_rate =
          RateBetween(it->second.networks, stats.networks, stats.read - it->second.read);
    }
    previous_[id] = stats;
    samples[id] = std::move(stats);
  }
  return samples;
}

void TaskStatsCollector::Forget(
    const std::vector<std::pair<std::string, std::string>>& containers) {
  absl::MutexLock lock(&mutex_);
  for (const auto& container : containers) {
    previous_.erase(container.first);
  }
}

}  // namespace gantry::agent::containerd
