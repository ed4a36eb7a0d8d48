#include "api/task_metrics_board.h"

#include <functional>

#include "absl/strings/str_cat.h"

namespace gantry::api {

namespace {

constexpr double kBytesPerMib = 1024.0 * 1024.0;
constexpr double kBytesPerGib = kBytesPerMib * 1024.0;

struct Family {
  const char* name;
  prometheus::Type type;
  const char* help;
  std::function<double(const storage::TaskMetricsRow&)> value;
};

// Prometheus' conventions: base units (bytes, seconds), counters end in _total. Rates
// (Container Insights' NetworkRxBytes per second) are left to PromQL's rate() over the
// counters.
const std::vector<Family>& Families() {
  static const std::vector<Family> kFamilies = {
      {"gantry_task_cpu_utilized_units", prometheus::Type::kGauge,
       "CPU units (1024 per vCPU) the task used, averaged over its agent's sampling interval.",
       [](const storage::TaskMetricsRow& row) { return row.sample->cpu_utilized; }},
      {"gantry_task_cpu_reserved_units", prometheus::Type::kGauge,
       "CPU units the task reserved (its cpu).",
       [](const storage::TaskMetricsRow& row) { return static_cast<double>(row.cpu); }},
      {"gantry_task_cpu_seconds_total", prometheus::Type::kCounter,
       "CPU time the task's containers used.",
       [](const storage::TaskMetricsRow& row) { return row.sample->cpu_seconds; }},
      {"gantry_task_memory_utilized_bytes", prometheus::Type::kGauge,
       "Memory the task uses (working set: usage minus inactive page cache).",
       [](const storage::TaskMetricsRow& row) {
         return row.sample->memory_utilized_mib * kBytesPerMib;
       }},
      {"gantry_task_memory_reserved_bytes", prometheus::Type::kGauge,
       "Memory the task reserved (its memory).",
       [](const storage::TaskMetricsRow& row) { return row.memory * kBytesPerMib; }},
      {"gantry_task_network_rx_bytes_total", prometheus::Type::kCounter,
       "Bytes the task's network interface received.",
       [](const storage::TaskMetricsRow& row) {
         return static_cast<double>(row.sample->network_rx_bytes);
       }},
      {"gantry_task_network_tx_bytes_total", prometheus::Type::kCounter,
       "Bytes the task's network interface sent.",
       [](const storage::TaskMetricsRow& row) {
         return static_cast<double>(row.sample->network_tx_bytes);
       }},
      {"gantry_task_storage_read_bytes_total", prometheus::Type::kCounter,
       "Bytes the task's containers read from block devices.",
       [](const storage::TaskMetricsRow& row) {
         return static_cast<double>(row.sample->storage_read_bytes);
       }},
      {"gantry_task_storage_write_bytes_total", prometheus::Type::kCounter,
       "Bytes the task's containers wrote to block devices.",
       [](const storage::TaskMetricsRow& row) {
         return static_cast<double>(row.sample->storage_write_bytes);
       }},
      {"gantry_task_ephemeral_storage_utilized_bytes", prometheus::Type::kGauge,
       "Bytes used on the task's ephemeral storage.",
       [](const storage::TaskMetricsRow& row) {
         return row.sample->ephemeral_utilized_mib * kBytesPerMib;
       }},
      {"gantry_task_ephemeral_storage_reserved_bytes", prometheus::Type::kGauge,
       "Size of the task's ephemeral storage.",
       [](const storage::TaskMetricsRow& row) { return row.ephemeral_storage_gib * kBytesPerGib; }},
      {"gantry_task_metrics_sampled_seconds", prometheus::Type::kGauge,
       "When the task's agent took the sample shown, epoch seconds.",
       [](const storage::TaskMetricsRow& row) {
         return absl::ToDoubleSeconds(row.sample->sampled_at - absl::UnixEpoch());
       }},
  };
  return kFamilies;
}

}  // namespace

void TaskMetricsBoard::Update(const std::vector<storage::TaskMetricsRow>& rows, absl::Time now) {
  absl::MutexLock lock(&mutex_);
  for (const storage::TaskMetricsRow& row : rows) {
    if (!row.sample.has_value() || row.last_status == "STOPPED") {
      entries_.erase(row.task_id);
      continue;
    }
    entries_[row.task_id] = Entry{row, now};
  }
}

void TaskMetricsBoard::Forget(const std::vector<std::string>& task_ids) {
  absl::MutexLock lock(&mutex_);
  for (const std::string& task_id : task_ids) {
    entries_.erase(task_id);
  }
}

void TaskMetricsBoard::AppendTo(prometheus::Exposition& exposition, absl::Time now) {
  absl::MutexLock lock(&mutex_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (now - it->second.received_at > keep_) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  for (const Family& family : Families()) {
    exposition.Family(family.name, family.type, family.help);
    for (const auto& [task_id, entry] : entries_) {
      const storage::TaskMetricsRow& row = entry.row;
      exposition.Sample({{"account_id", row.account_id},
                         {"cluster", row.cluster},
                         {"family", row.family},
                         {"task_id", task_id}},
                        family.value(row));
    }
  }
}

size_t TaskMetricsBoard::size() const {
  absl::MutexLock lock(&mutex_);
  return entries_.size();
}

}  // namespace gantry::api
