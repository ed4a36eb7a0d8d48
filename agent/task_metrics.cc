#include "agent/task_metrics.h"

#include <algorithm>
#include <limits>

namespace gantry::agent {

namespace {

constexpr double kBytesPerMib = 1024.0 * 1024.0;
constexpr double kUnitsPerCpu = 1024.0;

// Counters travel as int64 (proto); a counter past that range is clamped.
int64_t ToInt64(uint64_t value) {
  return static_cast<int64_t>(
      std::min<uint64_t>(value, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
}

// The growth of a counter per second; 0 when it went backwards.
double PerSecond(uint64_t before, uint64_t now, double seconds) {
  return now >= before ? static_cast<double>(now - before) / seconds : 0.0;
}

}  // namespace

std::vector<v1::TaskMetrics> MetricsDeriver::Derive(const std::vector<TaskUsage>& readings) {
  std::vector<v1::TaskMetrics> samples;
  samples.reserve(readings.size());
  std::map<std::string, TaskUsage> current;
  for (const TaskUsage& now : readings) {
    v1::TaskMetrics& sample = samples.emplace_back();
    sample.set_task_arn(now.task_arn);
    sample.set_at_unix_ms(absl::ToUnixMillis(now.at));
    sample.set_cpu_seconds(static_cast<double>(now.cpu_usage_ns) / 1e9);
    sample.set_memory_utilized_mib(static_cast<double>(now.memory_used_bytes) / kBytesPerMib);
    sample.set_network_rx_bytes(ToInt64(now.network_rx_bytes));
    sample.set_network_tx_bytes(ToInt64(now.network_tx_bytes));
    sample.set_storage_read_bytes(ToInt64(now.storage_read_bytes));
    sample.set_storage_write_bytes(ToInt64(now.storage_write_bytes));
    sample.set_ephemeral_storage_utilized_mib(static_cast<double>(now.ephemeral_used_bytes) /
                                              kBytesPerMib);
    auto before = previous_.find(now.task_arn);
    // A reading not later than the previous one (a clock step back) has no interval.
    if (before != previous_.end() && now.at > before->second.at) {
      const TaskUsage& then = before->second;
      const double seconds = absl::ToDoubleSeconds(now.at - then.at);
      sample.set_interval_ms(absl::ToInt64Milliseconds(now.at - then.at));
      sample.set_cpu_utilized(PerSecond(then.cpu_usage_ns, now.cpu_usage_ns, seconds) / 1e9 *
                              kUnitsPerCpu);
      sample.set_network_rx_bytes_per_second(
          PerSecond(then.network_rx_bytes, now.network_rx_bytes, seconds));
      sample.set_network_tx_bytes_per_second(
          PerSecond(then.network_tx_bytes, now.network_tx_bytes, seconds));
    }
    current[now.task_arn] = now;
  }
  previous_ = std::move(current);
  return samples;
}

}  // namespace gantry::agent
