// Task metrics against a real PostgreSQL: only the reporting host's tasks take samples,
// the newest sample wins, and describe reads them with what the task reserved.
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/storage/agent_fixture.h"
#include "tests/support/status_matchers.h"

namespace gantry::storage {
namespace {

using ::gantry::testing::IsOk;
using testing::AgentTest;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::kAccount;

using TaskMetricsTest = AgentTest;

const absl::Time kT0 = absl::FromUnixMillis(1'800'000'000'123);

TaskMetricsSample Sample(const std::string& task_id, absl::Time at, double cpu) {
  TaskMetricsSample sample;
  sample.task_id = task_id;
  sample.sampled_at = at;
  sample.interval_ms = 10'000;
  sample.cpu_utilized = cpu;
  sample.cpu_seconds = 12.5;
  sample.memory_utilized_mib = 100.25;
  sample.network_rx_bytes = 1'000'000'000'000;
  sample.network_tx_bytes = 2;
  sample.network_rx_rate = 0.1;
  sample.network_tx_rate = 1e-9;
  sample.storage_read_bytes = 3;
  sample.storage_write_bytes = 4;
  sample.ephemeral_utilized_mib = 1.0 / 3;
  return sample;
}

std::vector<std::string> Ids(const std::vector<TaskMetricsRow>& rows) {
  std::vector<std::string> ids;
  for (const TaskMetricsRow& row : rows) ids.push_back(row.task_id);
  return ids;
}

TEST_F(TaskMetricsTest, Store_ThenGet_EveryFigureExactWithTheTasksReservation) {
  HostRow host = Host();
  std::string id = Place(host, 1)[0];
  auto stored = StoreTaskMetrics(*connection_, host.instance_id, {Sample(id, kT0, 512.75)});
  ASSERT_THAT(stored, IsOk());
  ASSERT_THAT(Ids(*stored), ElementsAre(id));
  auto rows = GetTaskMetrics(*connection_, kAccount, "default", {id});
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 1u);
  const TaskMetricsRow& row = rows->front();
  EXPECT_EQ(row.family, "web");
  EXPECT_EQ(row.cpu, 256);
  EXPECT_EQ(row.memory, 512);
  EXPECT_EQ(row.ephemeral_storage_gib, 20);
  ASSERT_TRUE(row.sample.has_value());
  const TaskMetricsSample want = Sample(id, kT0, 512.75);
  EXPECT_EQ(row.sample->sampled_at, kT0);
  EXPECT_EQ(row.sample->interval_ms, want.interval_ms);
  EXPECT_EQ(row.sample->cpu_utilized, want.cpu_utilized);
  EXPECT_EQ(row.sample->cpu_seconds, want.cpu_seconds);
  EXPECT_EQ(row.sample->memory_utilized_mib, want.memory_utilized_mib);
  EXPECT_EQ(row.sample->network_rx_bytes, want.network_rx_bytes);
  EXPECT_EQ(row.sample->network_tx_bytes, want.network_tx_bytes);
  EXPECT_EQ(row.sample->network_rx_rate, want.network_rx_rate);
  EXPECT_EQ(row.sample->network_tx_rate, want.network_tx_rate);
  EXPECT_EQ(row.sample->storage_read_bytes, want.storage_read_bytes);
  EXPECT_EQ(row.sample->storage_write_bytes, want.storage_write_bytes);
  EXPECT_EQ(row.sample->ephemeral_utilized_mib, want.ephemeral_utilized_mib)
      << "doubles round-trip exactly";
}

TEST_F(TaskMetricsTest, OtherHostsTasksAndUnknownIds_Skipped) {
  HostRow mine = Host();
  HostRow other = Host();
  std::string my_task = Place(mine, 1)[0];
  std::string other_task = Place(other, 1)[0];
  auto stored = StoreTaskMetrics(*connection_, mine.instance_id,
                                 {Sample(my_task, kT0, 1), Sample(other_task, kT0, 2),
                                  Sample("0123456789abcdef0123456789abcdef", kT0, 3)});
  ASSERT_THAT(stored, IsOk());
  EXPECT_THAT(Ids(*stored), ElementsAre(my_task));
  auto rows = GetTaskMetrics(*connection_, kAccount, "default", {other_task});
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_FALSE(rows->front().sample.has_value()) << "another host cannot write its metrics";
  stored = StoreTaskMetrics(*connection_, "ffffffffffffffffffffffffffffffff",
                            {Sample(my_task, kT0 + absl::Seconds(1), 9)});
  ASSERT_THAT(stored, IsOk());
  EXPECT_THAT(*stored, IsEmpty()) << "an unknown host stores nothing";
}

TEST_F(TaskMetricsTest, NewestSampleWins_OlderOrSameTimeChangesNothing) {
  HostRow host = Host();
  std::string id = Place(host, 1)[0];
  ASSERT_THAT(StoreTaskMetrics(*connection_, host.instance_id, {Sample(id, kT0, 1)}), IsOk());
  auto older =
      StoreTaskMetrics(*connection_, host.instance_id, {Sample(id, kT0 - absl::Seconds(10), 2)});
  ASSERT_THAT(older, IsOk());
  EXPECT_THAT(*older, IsEmpty());
  auto same = StoreTaskMetrics(*connection_, host.instance_id, {Sample(id, kT0, 3)});
  ASSERT_THAT(same, IsOk());
  EXPECT_THAT(*same, IsEmpty());
  // Named twice in one call: the newer of the two.
  auto twice = StoreTaskMetrics(
      *connection_, host.instance_id,
      {Sample(id, kT0 + absl::Seconds(20), 5), Sample(id, kT0 + absl::Seconds(30), 6)});
  ASSERT_THAT(twice, IsOk());
  ASSERT_EQ(twice->size(), 1u);
  EXPECT_EQ(twice->front().sample->cpu_utilized, 6);
  auto rows = GetTaskMetrics(*connection_, kAccount, "default", {id});
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ(rows->front().sample->cpu_utilized, 6);
  EXPECT_EQ(rows->front().sample->sampled_at, kT0 + absl::Seconds(30));
}

TEST_F(TaskMetricsTest, Get_OnlyTheAccountsClusterAndTasksWithoutSamplesHaveNone) {
  HostRow host = Host();
  std::vector<std::string> ids = Place(host, 2);
  ASSERT_THAT(StoreTaskMetrics(*connection_, host.instance_id, {Sample(ids[1], kT0, 1)}), IsOk());
  auto rows = GetTaskMetrics(*connection_, kAccount, "default", {ids[0], ids[1]});
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 2u);
  for (const TaskMetricsRow& row : *rows) {
    EXPECT_EQ(row.sample.has_value(), row.task_id == ids[1]) << row.task_id;
  }
  auto other_account = GetTaskMetrics(*connection_, "999999999999", "default", ids);
  ASSERT_THAT(other_account, IsOk());
  EXPECT_THAT(*other_account, IsEmpty());
  auto other_cluster = GetTaskMetrics(*connection_, kAccount, "elsewhere", ids);
  ASSERT_THAT(other_cluster, IsOk());
  EXPECT_THAT(*other_cluster, IsEmpty());
}

}  // namespace
}  // namespace gantry::storage
