#include "agent/task_metrics.h"

#include <limits>

#include <gtest/gtest.h>

namespace gantry::agent {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TaskUsage Reading(const std::string& arn, absl::Time at, uint64_t cpu_ns, uint64_t rx,
                  uint64_t tx) {
  TaskUsage usage;
  usage.task_arn = arn;
  usage.at = at;
  usage.cpu_usage_ns = cpu_ns;
  usage.network_rx_bytes = rx;
  usage.network_tx_bytes = tx;
  usage.memory_used_bytes = 96 << 20;
  usage.storage_read_bytes = 4096;
  usage.storage_write_bytes = 8192;
  usage.ephemeral_used_bytes = uint64_t{3} << 30;
  return usage;
}

TEST(MetricsDeriver, FirstReading_CountersWithoutRates) {
  MetricsDeriver deriver;
  std::vector<v1::TaskMetrics> samples = deriver.Derive({Reading("a", kT0, 5e9, 100, 50)});
  ASSERT_EQ(samples.size(), 1u);
  const v1::TaskMetrics& sample = samples[0];
  EXPECT_EQ(sample.task_arn(), "a");
  EXPECT_EQ(sample.at_unix_ms(), absl::ToUnixMillis(kT0));
  EXPECT_EQ(sample.interval_ms(), 0);
  EXPECT_EQ(sample.cpu_utilized(), 0);
  EXPECT_DOUBLE_EQ(sample.cpu_seconds(), 5);
  EXPECT_DOUBLE_EQ(sample.memory_utilized_mib(), 96);
  EXPECT_EQ(sample.network_rx_bytes(), 100);
  EXPECT_EQ(sample.network_tx_bytes(), 50);
  EXPECT_EQ(sample.storage_read_bytes(), 4096);
  EXPECT_EQ(sample.storage_write_bytes(), 8192);
  EXPECT_DOUBLE_EQ(sample.ephemeral_storage_utilized_mib(), 3072);
}

TEST(MetricsDeriver, SecondReading_CpuUnitsAndRatesOverTheInterval) {
  struct Case {
    const char* name;
    uint64_t cpu_ns_later;  // 0 s of CPU before
    absl::Duration interval;
    uint64_t rx_later;  // 1000 before
    double want_cpu_units;
    double want_rx_per_second;
  };
  const Case cases[] = {
      {"half a vCPU", 5'000'000'000, absl::Seconds(10), 11'000, 512, 1000},
      {"two vCPUs", 20'000'000'000, absl::Seconds(10), 1000, 2048, 0},
      {"idle", 0, absl::Seconds(20), 1000, 0, 0},
      {"counter went back (restart)", 0, absl::Seconds(10), 10, 0, 0},
      {"sub-second interval", 250'000'000, absl::Milliseconds(500), 2000, 512, 2000},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    MetricsDeriver deriver;
    deriver.Derive({Reading("a", kT0, 0, 1000, 0)});
    std::vector<v1::TaskMetrics> samples =
        deriver.Derive({Reading("a", kT0 + c.interval, c.cpu_ns_later, c.rx_later, 0)});
    ASSERT_EQ(samples.size(), 1u);
    EXPECT_EQ(samples[0].interval_ms(), absl::ToInt64Milliseconds(c.interval));
    EXPECT_DOUBLE_EQ(samples[0].cpu_utilized(), c.want_cpu_units);
    EXPECT_DOUBLE_EQ(samples[0].network_rx_bytes_per_second(), c.want_rx_per_second);
    EXPECT_GE(samples[0].network_tx_bytes_per_second(), 0);
  }
}

TEST(MetricsDeriver, TaskGoneThenBack_StartsOverAndOthersKeepTheirHistory) {
  MetricsDeriver deriver;
  deriver.Derive({Reading("a", kT0, 0, 0, 0), Reading("b", kT0, 0, 0, 0)});
  EXPECT_EQ(deriver.tracked(), 2u);
  std::vector<v1::TaskMetrics> samples =
      deriver.Derive({Reading("b", kT0 + absl::Seconds(1), 1'000'000'000, 0, 0)});
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_DOUBLE_EQ(samples[0].cpu_utilized(), 1024);
  EXPECT_EQ(deriver.tracked(), 1u) << "a stopped: forgotten";
  samples = deriver.Derive({Reading("a", kT0 + absl::Seconds(2), 1'000'000'000, 0, 0),
                            Reading("b", kT0 + absl::Seconds(2), 1'000'000'000, 0, 0)});
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].interval_ms(), 0) << "a is new again";
  EXPECT_EQ(samples[1].interval_ms(), 1000);
  EXPECT_EQ(samples[1].cpu_utilized(), 0);
}

TEST(MetricsDeriver, ClockStepBack_NoInterval) {
  MetricsDeriver deriver;
  deriver.Derive({Reading("a", kT0, 0, 0, 0)});
  std::vector<v1::TaskMetrics> samples =
      deriver.Derive({Reading("a", kT0 - absl::Seconds(1), 1'000'000'000, 500, 0)});
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].interval_ms(), 0);
  EXPECT_EQ(samples[0].cpu_utilized(), 0);
  EXPECT_EQ(samples[0].network_rx_bytes(), 500);
}

TEST(MetricsDeriver, HugeCounter_ClampedToInt64) {
  MetricsDeriver deriver;
  std::vector<v1::TaskMetrics> samples =
      deriver.Derive({Reading("a", kT0, 0, std::numeric_limits<uint64_t>::max(), 0)});
  EXPECT_EQ(samples[0].network_rx_bytes(), std::numeric_limits<int64_t>::max());
}

}  // namespace
}  // namespace gantry::agent
