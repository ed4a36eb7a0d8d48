// Per-task metrics end to end: a real gantryd with its Prometheus endpoint on, a real
// gantry-agent (simulated runtime, whose usage figures are synthetic but exact) reporting
// every 200 ms, and gantryctl describe-task-metrics, over loopback.
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gantry/v1/ecs.pb.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/substitute.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"
#include "tests/support/http_client.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kFamily[] = "metrics-e2e";

double MetricValue(const v1::TaskMetricsRecord& record, const std::string& name) {
  for (const v1::TaskMetric& metric : record.metrics()) {
    if (metric.name() == name) return metric.value();
  }
  ADD_FAILURE() << "no metric " << name;
  return -1;
}

class MetricsE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<TempDir> dir = TempDir::Create("gantry-e2e-metrics");
    if (!dir.ok()) {
      start_error_ = dir.status().ToString();
      return;
    }
    dir_ = std::make_unique<TempDir>(*std::move(dir));
    GantrydOptions options;
    options.data_dir = dir_->path() / "data";
    options.extra_args = {"--metrics-listen", "127.0.0.1:0"};
    absl::StatusOr<std::unique_ptr<Gantryd>> gantryd = Gantryd::Start(options);
    if (!gantryd.ok()) {
      start_error_ = absl::StrCat("gantryd: ", gantryd.status().ToString());
      return;
    }
    gantryd_ = *std::move(gantryd);
    start_error_ = SetUpFleet();
  }

  static void TearDownTestSuite() {
    agent_.reset();
    gantryd_.reset();
    dir_.reset();
  }

  void SetUp() override { ASSERT_THAT(start_error_, IsEmpty()); }

  void TearDown() override {
    if (HasFailure() && gantryd_ != nullptr) {
      std::cerr << "--- gantryd log (tail) ---\n" << gantryd_->LogTail(6000) << "\n";
    }
  }

  static std::string SetUpFleet() {
    CommandResult vpc = Ctl(endpoint(), {"create-vpc", "--cidr-block", "10.0.0.0/16", "--query",
                                         "Vpc.VpcId", "--output", "text"});
    if (vpc.exit_code != 0) return "create-vpc: " + Describe(vpc);
    CommandResult subnet =
        Ctl(endpoint(), {"create-subnet", "--vpc-id", std::string(absl::StripSuffix(vpc.out, "\n")),
                         "--cidr-block", "10.0.1.0/24", "--availability-zone", "us-east-1a",
                         "--query", "Subnet.SubnetId", "--output", "text"});
    if (subnet.exit_code != 0) return "create-subnet: " + Describe(subnet);
    subnet_id_ = std::string(absl::StripSuffix(subnet.out, "\n"));
    AgentOptions options;
    options.endpoint = endpoint();
    options.state_dir = dir_->path() / "agent";
    options.args = {"--runtime",
                    "sim",
                    "--hosts",
                    "1",
                    "--availability-zone",
                    "us-east-1a",
                    "--cpu",
                    "4096",
                    "--memory",
                    "8192",
                    "--launch-delay",
                    "100ms",
                    "--metrics-interval",
                    "200ms"};
    absl::StatusOr<std::unique_ptr<GantryAgent>> agent = GantryAgent::Start(options);
    if (!agent.ok()) return absl::StrCat("gantry-agent: ", agent.status().ToString());
    agent_ = *std::move(agent);
    CommandResult r = Ctl(endpoint(), {"register-task-definition", "--cli-input-json",
                                       absl::Substitute(R"json({
      "family": "$0", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
      "cpu": "512", "memory": "1024", "ephemeralStorage": {"sizeInGiB": 30},
      "containerDefinitions": [{"name": "app", "image": "nginx:1.27", "essential": true}]
    })json",
                                                        kFamily)});
    if (r.exit_code != 0) return "register-task-definition: " + Describe(r);
    return "";
  }

  static const std::string& endpoint() { return gantryd_->endpoint(); }

  // Starts one task and waits until it runs; returns its ARN.
  static std::string RunningTask() {
    CommandResult r =
        Ctl(endpoint(), {"run-task", "--task-definition", kFamily, "--network-configuration",
                         absl::StrCat("awsvpcConfiguration={subnets=[", subnet_id_, "]}"), "--wait",
                         "--query", "tasks[0].taskArn", "--output", "text"});
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    return std::string(absl::StripSuffix(r.out, "\n"));
  }

  // describe-task-metrics until the task has a sample with an interval (its second),
  // at most 20 s.
  static v1::TaskMetricsRecord SampleWithRates(const std::string& task) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    v1::DescribeTaskMetricsResponse response;
    while (absl::Now() < deadline) {
      CommandResult r =
          Ctl(endpoint(), {"describe-task-metrics", "--task", task, "--output", "json"});
      response = ParseJsonOutput<v1::DescribeTaskMetricsResponse>(r);
      if (response.task_metrics_size() == 1 &&
          MetricValue(response.task_metrics(0), "CpuUtilized") > 0) {
        return response.task_metrics(0);
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    ADD_FAILURE() << "no sample with rates in 20 s; last answer: " << response.DebugString();
    return {};
  }

  static std::string Scrape() {
    HttpAnswer answer = HttpRequest(gantryd_->metrics_endpoint(), "GET", "/metrics");
    EXPECT_EQ(answer.status, 200) << answer.body;
    EXPECT_EQ(answer.content_type, "text/plain; version=0.0.4; charset=utf-8");
    return answer.body;
  }

  static inline std::unique_ptr<TempDir> dir_;
  static inline std::unique_ptr<Gantryd> gantryd_;
  static inline std::unique_ptr<GantryAgent> agent_;
  static inline std::string subnet_id_;
  static inline std::string start_error_;
};

TEST_F(MetricsE2E, DescribeTaskMetrics_UsageAndReservationInContainerInsightsUnits) {
  const std::string arn = RunningTask();
  v1::TaskMetricsRecord record = SampleWithRates(arn);
  EXPECT_EQ(record.task_arn(), arn);
  EXPECT_EQ(record.last_status(), "RUNNING");
  EXPECT_NEAR(record.timestamp(), absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()), 30);
  // The simulated runtime uses a tenth of the CPU, a quarter of the memory, 10 KB/s in,
  // 5 KB/s out and 64 MiB of ephemeral storage.
  EXPECT_NEAR(MetricValue(record, "CpuUtilized"), 51.2, 0.5);
  EXPECT_EQ(MetricValue(record, "CpuReserved"), 512);
  EXPECT_EQ(MetricValue(record, "MemoryUtilized"), 256);
  EXPECT_EQ(MetricValue(record, "MemoryReserved"), 1024);
  EXPECT_NEAR(MetricValue(record, "NetworkRxBytes"), 10'000, 50);
  EXPECT_NEAR(MetricValue(record, "NetworkTxBytes"), 5'000, 25);
  EXPECT_EQ(MetricValue(record, "StorageReadBytes"), 0);
  EXPECT_GT(MetricValue(record, "StorageWriteBytes"), 0);
  EXPECT_EQ(MetricValue(record, "EphemeralStorageUtilized"), 0.0625);
  EXPECT_EQ(MetricValue(record, "EphemeralStorageReserved"), 30);
  EXPECT_EQ(record.metrics(4).unit(), "Bytes/Second");

  CommandResult table = Ctl(endpoint(), {"describe-task-metrics", "--task", arn});
  EXPECT_EQ(table.exit_code, 0) << Describe(table);
  EXPECT_THAT(table.out, HasSubstr("MemoryReserved"));
  EXPECT_THAT(table.out, HasSubstr("1024"));
  EXPECT_THAT(table.out, HasSubstr("RUNNING"));

  CommandResult missing = Ctl(endpoint(), {"describe-task-metrics", "--task",
                                           "0123456789abcdef0123456789abcdef", "--output", "json"});
  v1::DescribeTaskMetricsResponse none = ParseJsonOutput<v1::DescribeTaskMetricsResponse>(missing);
  ASSERT_EQ(none.failures_size(), 1);
  EXPECT_EQ(none.failures(0).reason(), "MISSING");
  // As describe-tasks: what cannot be a task is MISSING too, not an error.
  CommandResult bad =
      Ctl(endpoint(), {"describe-task-metrics", "--task", "nope", "--output", "json"});
  EXPECT_EQ(bad.exit_code, 0) << Describe(bad);
  v1::DescribeTaskMetricsResponse malformed = ParseJsonOutput<v1::DescribeTaskMetricsResponse>(bad);
  ASSERT_EQ(malformed.failures_size(), 1);
  EXPECT_EQ(malformed.failures(0).reason(), "MISSING");
  EXPECT_THAT(malformed.failures(0).arn(), HasSubstr("task/default/nope"));
  Ctl(endpoint(), {"stop-task", "--task", arn});
}

TEST_F(MetricsE2E, PrometheusEndpoint_ProcessSchedulerAndTaskSeries_StoppedTaskLeaves) {
  const std::string arn = RunningTask();
  SampleWithRates(arn);
  const std::string task_id = arn.substr(arn.rfind('/') + 1);
  const std::string labels =
      absl::StrCat("{account_id=\"000000000000\",cluster=\"default\",family=\"", kFamily,
                   "\",task_id=\"", task_id, "\"}");
  std::string text = Scrape();
  EXPECT_GT(PrometheusValue(text, "process_cpu_seconds_total"), 0) << text;
  EXPECT_GT(PrometheusValue(text, "process_resident_memory_bytes"), 1e6);
  EXPECT_GE(PrometheusValue(text, "gantry_scheduler_tasks_placed_total"), 1);
  EXPECT_GE(PrometheusValue(text, "gantry_scheduler_rounds_total"), 1);
  EXPECT_EQ(PrometheusValue(text, "gantry_task_memory_reserved_bytes" + labels),
            1024.0 * 1024 * 1024);
  EXPECT_EQ(PrometheusValue(text, "gantry_task_memory_utilized_bytes" + labels),
            256.0 * 1024 * 1024);
  EXPECT_EQ(PrometheusValue(text, "gantry_task_ephemeral_storage_reserved_bytes" + labels),
            30.0 * 1024 * 1024 * 1024);
  const double rx = PrometheusValue(text, "gantry_task_network_rx_bytes_total" + labels);
  EXPECT_GT(rx, 0);
  EXPECT_THAT(text, HasSubstr("# TYPE gantry_task_network_rx_bytes_total counter"));
  absl::SleepFor(absl::Milliseconds(600));
  EXPECT_GT(PrometheusValue(Scrape(), "gantry_task_network_rx_bytes_total" + labels), rx)
      << "a counter grows with every report";

  EXPECT_EQ(HttpRequest(gantryd_->metrics_endpoint(), "GET", "/other").status, 404);
  EXPECT_EQ(HttpRequest(gantryd_->metrics_endpoint(), "POST", "/metrics").status, 405);

  CommandResult stop = Ctl(endpoint(), {"stop-task", "--task", arn});
  ASSERT_EQ(stop.exit_code, 0) << Describe(stop);
  CommandResult stopped = Ctl(endpoint(), {"wait", "tasks-stopped", "--tasks", arn});
  ASSERT_EQ(stopped.exit_code, 0) << Describe(stopped);
  EXPECT_THAT(Scrape(), Not(HasSubstr(task_id))) << "a stopped task's series end";
  // Its last sample stays for describe-task-metrics.
  CommandResult last =
      Ctl(endpoint(), {"describe-task-metrics", "--task", arn, "--output", "json"});
  v1::DescribeTaskMetricsResponse response = ParseJsonOutput<v1::DescribeTaskMetricsResponse>(last);
  ASSERT_EQ(response.task_metrics_size(), 1) << Describe(last);
  EXPECT_EQ(response.task_metrics(0).last_status(), "STOPPED");
}

}  // namespace
}  // namespace gantry::testing
