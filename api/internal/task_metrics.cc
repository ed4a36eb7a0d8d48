#include "api/internal/task_metrics.h"

#include "absl/time/time.h"
#include "api/internal/access.h"
#include "api/internal/resources.h"
#include "api/internal/tasks.h"

namespace gantry::api::internal {

v1::TaskMetricsRecord ToTaskMetricsRecord(const Config& config,
                                          const storage::TaskMetricsRow& row) {
  const Config owner = WithAccount(config, row.account_id);
  v1::TaskMetricsRecord record;
  record.set_task_arn(TaskArn(owner, row.cluster, row.task_id));
  record.set_cluster_arn(ClusterArn(owner, row.cluster));
  record.set_last_status(row.last_status);
  const storage::TaskMetricsSample& sample = *row.sample;
  record.set_timestamp(absl::ToDoubleSeconds(sample.sampled_at - absl::UnixEpoch()));
  auto add = [&record](const char* name, const char* unit, double value) {
    v1::TaskMetric* metric = record.add_metrics();
    metric->set_name(name);
    metric->set_unit(unit);
    metric->set_value(value);
  };
  add("CpuUtilized", "None", sample.cpu_utilized);
  add("CpuReserved", "None", row.cpu);
  add("MemoryUtilized", "Megabytes", sample.memory_utilized_mib);
  add("MemoryReserved", "Megabytes", row.memory);
  add("NetworkRxBytes", "Bytes/Second", sample.network_rx_rate);
  add("NetworkTxBytes", "Bytes/Second", sample.network_tx_rate);
  // Cumulative, as Container Insights' values are despite their per-second unit.
  add("StorageReadBytes", "Bytes", static_cast<double>(sample.storage_read_bytes));
  add("StorageWriteBytes", "Bytes", static_cast<double>(sample.storage_write_bytes));
  add("EphemeralStorageUtilized", "Gigabytes", sample.ephemeral_utilized_mib / 1024.0);
  add("EphemeralStorageReserved", "Gigabytes", row.ephemeral_storage_gib);
  return record;
}

}  // namespace gantry::api::internal
