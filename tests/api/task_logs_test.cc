// GetTaskLogs' and SubmitLogs' pure parts, and the task-metrics record: table tests.
#include "api/internal/task_logs.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/internal/task_metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace gantry::api::internal {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;

constexpr char kTaskId[] = "0123456789abcdef0123456789abcdef";

TEST(ParseGetTaskLogs, DefaultsAndGivenValues) {
  v1::GetTaskLogsRequest request;
  request.set_task(kTaskId);
  absl::StatusOr<LogsPlan> plan = ParseGetTaskLogs(Config{}, request);
  ASSERT_THAT(plan, IsOk());
  EXPECT_EQ(plan->cluster, "default");
  EXPECT_EQ(plan->task.task_id, kTaskId);
  EXPECT_FALSE(plan->container.has_value());
  EXPECT_EQ(plan->start_offset, -1) << "the tail";
  EXPECT_EQ(plan->max_bytes, kDefaultLogBytes);
  EXPECT_EQ(plan->wait_seconds, 0);

  request.set_cluster("prod");
  request.set_container("app");
  request.set_start_offset(0);
  request.set_max_bytes(kMaxLogBytes);
  request.set_wait_seconds(kMaxLogWaitSeconds);
  plan = ParseGetTaskLogs(Config{}, request);
  ASSERT_THAT(plan, IsOk());
  EXPECT_EQ(plan->cluster, "prod");
  EXPECT_EQ(plan->container, "app");
  EXPECT_EQ(plan->start_offset, 0);
  EXPECT_EQ(plan->max_bytes, kMaxLogBytes);
  EXPECT_EQ(plan->wait_seconds, kMaxLogWaitSeconds);
}

TEST(ParseGetTaskLogs, BadValues_NameTheMember) {
  struct Case {
    const char* name;
    void (*mutate)(v1::GetTaskLogsRequest&);
    absl::StatusCode code;
    const char* want;
  };
  const Case cases[] = {
      {"no task", [](v1::GetTaskLogsRequest& r) { r.clear_task(); },
       absl::StatusCode::kInvalidArgument, "task: required"},
      {"bad task", [](v1::GetTaskLogsRequest& r) { r.set_task("nope"); },
       absl::StatusCode::kInvalidArgument, "task"},
      {"negative offset", [](v1::GetTaskLogsRequest& r) { r.set_start_offset(-1); },
       absl::StatusCode::kInvalidArgument, "startOffset: -1 is negative"},
      {"zero bytes", [](v1::GetTaskLogsRequest& r) { r.set_max_bytes(0); },
       absl::StatusCode::kInvalidArgument, "maxBytes: 0 is out of range; use 1 to 1048576"},
      {"too many bytes", [](v1::GetTaskLogsRequest& r) { r.set_max_bytes(kMaxLogBytes + 1); },
       absl::StatusCode::kInvalidArgument, "maxBytes"},
      {"long wait", [](v1::GetTaskLogsRequest& r) { r.set_wait_seconds(21); },
       absl::StatusCode::kInvalidArgument, "waitSeconds: 21 is out of range; use 0 to 20"},
      {"empty container", [](v1::GetTaskLogsRequest& r) { r.set_container(""); },
       absl::StatusCode::kInvalidArgument, "container:"},
      {"ARN of another cluster",
       [](v1::GetTaskLogsRequest& r) {
         r.set_cluster("prod");
         r.set_task(std::string("arn:aws:ecs:us-east-1:000000000000:task/dev/") + kTaskId);
       },
       absl::StatusCode::kNotFound, "is not in cluster \"prod\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::GetTaskLogsRequest request;
    request.set_task(kTaskId);
    c.mutate(request);
    EXPECT_THAT(ParseGetTaskLogs(Config{}, request), StatusIs(c.code, c.want));
  }
}

TEST(ChooseContainer, NamedOnlyOrRefusedWithTheList) {
  EXPECT_EQ(*ChooseContainer(std::nullopt, {"app"}), "app");
  EXPECT_EQ(*ChooseContainer(std::string("db"), {"app", "db"}), "db");
  EXPECT_THAT(ChooseContainer(std::nullopt, {"app", "db"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "required, the task has 2 containers; the task's "
                       "containers: app, db"));
  EXPECT_THAT(ChooseContainer(std::string("web"), {"app"}),
              StatusIs(absl::StatusCode::kNotFound, "no container \"web\""));
}

TEST(ValidateSubmitLogs, Table) {
  v1::SubmitLogsRequest good;
  good.set_host_id(kTaskId);
  good.set_request_id("abc");
  good.set_data("hello\n");
  good.set_next_offset(6);
  EXPECT_THAT(ValidateSubmitLogs(good), IsOk());
  v1::SubmitLogsRequest bad = good;
  bad.set_host_id("h");
  EXPECT_THAT(ValidateSubmitLogs(bad), StatusIs(absl::StatusCode::kInvalidArgument, "hostId"));
  bad = good;
  bad.clear_request_id();
  EXPECT_THAT(ValidateSubmitLogs(bad), StatusIs(absl::StatusCode::kInvalidArgument, "requestId"));
  bad = good;
  bad.set_data(std::string(kMaxLogBytes + 1, 'x'));
  EXPECT_THAT(ValidateSubmitLogs(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, "data: 1048577 bytes"));
  bad = good;
  bad.set_next_offset(-2);
  EXPECT_THAT(ValidateSubmitLogs(bad), StatusIs(absl::StatusCode::kInvalidArgument, "nextOffset"));
}

TEST(ToTaskMetricsRecord, ContainerInsightsNamesUnitsAndValues) {
  storage::TaskMetricsRow row;
  row.task_id = kTaskId;
  row.account_id = "123456789012";
  row.cluster = "prod";
  row.last_status = "RUNNING";
  row.cpu = 512;
  row.memory = 1024;
  row.ephemeral_storage_gib = 30;
  storage::TaskMetricsSample& sample = row.sample.emplace();
  sample.sampled_at = absl::FromUnixMillis(1'800'000'000'500);
  sample.cpu_utilized = 100.5;
  sample.memory_utilized_mib = 300;
  sample.network_rx_rate = 2000;
  sample.network_tx_rate = 1000;
  sample.storage_read_bytes = 7;
  sample.storage_write_bytes = 9;
  sample.ephemeral_utilized_mib = 512;
  v1::TaskMetricsRecord record = ToTaskMetricsRecord(Config{}, row);
  EXPECT_EQ(record.task_arn(),
            std::string("arn:aws:ecs:us-east-1:123456789012:task/prod/") + kTaskId);
  EXPECT_EQ(record.cluster_arn(), "arn:aws:ecs:us-east-1:123456789012:cluster/prod");
  EXPECT_EQ(record.timestamp(), 1'800'000'000.5);
  std::vector<std::string> got;
  for (const v1::TaskMetric& metric : record.metrics()) {
    got.push_back(absl::StrCat(metric.name(), "=", metric.value(), " ", metric.unit()));
  }
  EXPECT_THAT(got,
              ::testing::ElementsAre(
                  "CpuUtilized=100.5 None", "CpuReserved=512 None", "MemoryUtilized=300 Megabytes",
                  "MemoryReserved=1024 Megabytes", "NetworkRxBytes=2000 Bytes/Second",
                  "NetworkTxBytes=1000 Bytes/Second", "StorageReadBytes=7 Bytes",
                  "StorageWriteBytes=9 Bytes", "EphemeralStorageUtilized=0.5 Gigabytes",
                  "EphemeralStorageReserved=30 Gigabytes"));
}

}  // namespace
}  // namespace gantry::api::internal
