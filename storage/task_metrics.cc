#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/internal/errors.h"
#include "storage/internal/statements.h"
#include "storage/storage.h"

namespace gantry::storage {

namespace {

using internal::ToFloatArray;
using internal::ToIntArray;
using internal::ToTextArray;

// The metric columns of task_metrics, in the order rows carry them after the task's.
#define GANTRY_METRIC_COLUMNS                                                           \
  "(extract(epoch FROM m.sampled_at) * 1000)::int8, m.interval_ms, m.cpu_utilized, "    \
  "m.cpu_seconds, m.memory_utilized_mib, m.network_rx_bytes, m.network_tx_bytes, "      \
  "m.network_rx_rate, m.network_tx_rate, m.storage_read_bytes, m.storage_write_bytes, " \
  "m.ephemeral_utilized_mib "
#define GANTRY_TASK_COLUMNS                                                          \
  "t.task_id, t.account_id, t.cluster, t.family, t.revision, t.last_status, t.cpu, " \
  "t.memory, t.ephemeral_storage, m.task_id IS NOT NULL, "

// Only tasks placed on the reporting host take its samples; of a task named twice the
// newest sample wins (one row may not be upserted twice in a statement), and a sample
// older than the stored one changes nothing (reports may arrive out of order).
constexpr char kStore[] =
    "WITH incoming AS ("
    "  SELECT DISTINCT ON (d.task_id) d.* FROM unnest($2::text[], $3::int8[], $4::int8[],"
    "      $5::float8[], $6::float8[], $7::float8[], $8::int8[], $9::int8[], $10::float8[],"
    "      $11::float8[], $12::int8[], $13::int8[], $14::float8[])"
    "    AS d(task_id, at_ms, interval_ms, cpu_utilized, cpu_seconds, memory_mib, rx, tx,"
    "         rx_rate, tx_rate, rd, wr, ephemeral_mib)"
    "  ORDER BY d.task_id, d.at_ms DESC),"
    " stored AS ("
    "  INSERT INTO task_metrics AS s (task_id, sampled_at, interval_ms, cpu_utilized,"
    "      cpu_seconds, memory_utilized_mib, network_rx_bytes, network_tx_bytes,"
    "      network_rx_rate, network_tx_rate, storage_read_bytes, storage_write_bytes,"
    "      ephemeral_utilized_mib)"
    "  SELECT i.task_id, to_timestamp(i.at_ms / 1000.0), i.interval_ms, i.cpu_utilized,"
    "      i.cpu_seconds, i.memory_mib, i.rx, i.tx, i.rx_rate, i.tx_rate, i.rd, i.wr,"
    "      i.ephemeral_mib"
    "  FROM incoming i JOIN tasks t ON t.task_id = i.task_id"
    "  JOIN hosts h ON h.host_id = t.host_id AND h.instance_id = $1"
    "  ORDER BY i.task_id"
    "  ON CONFLICT (task_id) DO UPDATE SET sampled_at = EXCLUDED.sampled_at,"
    "    interval_ms = EXCLUDED.interval_ms, cpu_utilized = EXCLUDED.cpu_utilized,"
    "    cpu_seconds = EXCLUDED.cpu_seconds,"
    "    memory_utilized_mib = EXCLUDED.memory_utilized_mib,"
    "    network_rx_bytes = EXCLUDED.network_rx_bytes,"
    "    network_tx_bytes = EXCLUDED.network_tx_bytes,"
    "    network_rx_rate = EXCLUDED.network_rx_rate, network_tx_rate = EXCLUDED.network_tx_rate,"
    "    storage_read_bytes = EXCLUDED.storage_read_bytes,"
    "    storage_write_bytes = EXCLUDED.storage_write_bytes,"
    "    ephemeral_utilized_mib = EXCLUDED.ephemeral_utilized_mib"
    "  WHERE s.sampled_at < EXCLUDED.sampled_at"
    "  RETURNING s.*)"
    " SELECT " GANTRY_TASK_COLUMNS GANTRY_METRIC_COLUMNS
    " FROM stored m JOIN tasks t ON t.task_id = m.task_id ORDER BY t.task_id";

constexpr char kSelect[] =
    "SELECT " GANTRY_TASK_COLUMNS GANTRY_METRIC_COLUMNS
    " FROM tasks t LEFT JOIN task_metrics m ON m.task_id = t.task_id"
    " WHERE t.account_id = $1 AND t.cluster = $2 AND t.task_id = ANY($3::text[])"
    " ORDER BY t.task_id";

#undef GANTRY_METRIC_COLUMNS
#undef GANTRY_TASK_COLUMNS

std::vector<TaskMetricsRow> ToRows(const pqxx::result& result) {
  std::vector<TaskMetricsRow> rows;
  rows.reserve(result.size());
  for (const pqxx::row& r : result) {
    TaskMetricsRow& row = rows.emplace_back();
    row.task_id = r[0].as<std::string>();
    row.account_id = r[1].as<std::string>();
    row.cluster = r[2].as<std::string>();
    row.family = r[3].as<std::string>();
    row.revision = r[4].as<int>();
    row.last_status = r[5].as<std::string>();
    row.cpu = r[6].as<int>();
    row.memory = r[7].as<int>();
    row.ephemeral_storage_gib = r[8].as<int>();
    if (!r[9].as<bool>()) {
      continue;
    }
    TaskMetricsSample& sample = row.sample.emplace();
    sample.task_id = row.task_id;
    sample.sampled_at = absl::FromUnixMillis(r[10].as<int64_t>());
    sample.interval_ms = r[11].as<int64_t>();
    sample.cpu_utilized = r[12].as<double>();
    sample.cpu_seconds = r[13].as<double>();
    sample.memory_utilized_mib = r[14].as<double>();
    sample.network_rx_bytes = r[15].as<int64_t>();
    sample.network_tx_bytes = r[16].as<int64_t>();
    sample.network_rx_rate = r[17].as<double>();
    sample.network_tx_rate = r[18].as<double>();
    sample.storage_read_bytes = r[19].as<int64_t>();
    sample.storage_write_bytes = r[20].as<int64_t>();
    sample.ephemeral_utilized_mib = r[21].as<double>();
  }
  return rows;
}

}  // namespace

namespace internal {
const std::vector<Statement>& TaskMetricsStatements() {
  static const std::vector<Statement> kStatements = {
      {"task_metrics_store", kStore},
      {"task_metrics_select", kSelect},
  };
  return kStatements;
}
}  // namespace internal

absl::StatusOr<std::vector<TaskMetricsRow>> StoreTaskMetrics(
    Connection& connection, std::string_view instance_id,
    const std::vector<TaskMetricsSample>& samples) {
  if (samples.empty()) {
    return std::vector<TaskMetricsRow>();
  }
  std::vector<std::string> ids;
  std::vector<int64_t> at_ms, interval_ms, rx, tx, read, write;
  std::vector<double> cpu, cpu_seconds, memory, rx_rate, tx_rate, ephemeral;
  for (const TaskMetricsSample& sample : samples) {
    ids.push_back(sample.task_id);
    at_ms.push_back(absl::ToUnixMillis(sample.sampled_at));
    interval_ms.push_back(sample.interval_ms);
    cpu.push_back(sample.cpu_utilized);
    cpu_seconds.push_back(sample.cpu_seconds);
    memory.push_back(sample.memory_utilized_mib);
    rx.push_back(sample.network_rx_bytes);
    tx.push_back(sample.network_tx_bytes);
    rx_rate.push_back(sample.network_rx_rate);
    tx_rate.push_back(sample.network_tx_rate);
    read.push_back(sample.storage_read_bytes);
    write.push_back(sample.storage_write_bytes);
    ephemeral.push_back(sample.ephemeral_utilized_mib);
  }
  // One statement is its own transaction: nothing is half-written.
  return internal::InTransaction(
      connection, "store task metrics",
      [&](pqxx::work& tx_) -> absl::StatusOr<std::vector<TaskMetricsRow>> {
        return ToRows(tx_.exec_prepared(
            "task_metrics_store", std::string(instance_id), ToTextArray(ids), ToIntArray(at_ms),
            ToIntArray(interval_ms), ToFloatArray(cpu), ToFloatArray(cpu_seconds),
            ToFloatArray(memory), ToIntArray(rx), ToIntArray(tx), ToFloatArray(rx_rate),
            ToFloatArray(tx_rate), ToIntArray(read), ToIntArray(write), ToFloatArray(ephemeral)));
      });
}

absl::StatusOr<std::vector<TaskMetricsRow>> GetTaskMetrics(
    Connection& connection, std::string_view account_id, std::string_view cluster,
    const std::vector<std::string>& task_ids) {
  return internal::InSingleRead(
      connection, "get task metrics",
      [&](pqxx::transaction_base& tx) -> absl::StatusOr<std::vector<TaskMetricsRow>> {
        return ToRows(tx.exec_prepared("task_metrics_select", std::string(account_id),
                                       std::string(cluster), ToTextArray(task_ids)));
      });
}

}  // namespace gantry::storage
