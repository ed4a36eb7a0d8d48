// gantry-bench end to end: a small run (100 hosts, 500 tasks) must finish, print a
// complete JSON line and place every task exactly once. Its speed is not checked. Also
// table tests of the bench's pure parts (workload, percentiles, parsers).
#include <cmath>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "bench/internal/proc_stats.h"
#include "bench/internal/report.h"
#include "bench/internal/workload.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"

namespace gantry::testing {
namespace {

namespace bench = ::gantry::bench::internal;

constexpr const char* kRequiredKeys[] = {
    "placements_per_s",
    "running_per_s",
    "ratio_to_db_limit",
    "db_limit_placements_per_s",
    "db_limit_batch",
    "runtask_p50_ms",
    "runtask_p99_ms",
    "runtask_half_rate_p50_ms",
    "runtask_half_rate_p99_ms",
    "delivery_p50_ms",
    "delivery_p99_ms",
    "peak_rss_mib",
    "gantryd_cpu_s",
    "db_size_mib",
    "mean_round_size",
    "hosts",
    "tasks",
    "clients",
    "tasks_placed",
    "placement_errors",
    "rpc_errors",
};

std::filesystem::path BenchBinary() { return GANTRY_BINARY_DIR "/bench/gantry-bench"; }

std::string LastLine(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipWhitespace());
  return lines.empty() ? "" : lines.back();
}

TEST(GantryBench, SmallRun_JsonCompleteAndEveryTaskPlacedOnce) {
  ASSERT_TRUE(std::filesystem::exists(BenchBinary())) << BenchBinary() << ": build gantry-bench";
  absl::StatusOr<CommandResult> run =
      RunCommand({{BenchBinary().string(), "--hosts", "100", "--tasks", "500", "--clients", "4",
                   "--half-rate-tasks", "100", "--db-limit-seconds", "2", "--output", "json"}},
                 "", absl::Seconds(180));
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_EQ(run->exit_code, 0) << "--- stdout ---\n" << run->out << "--- stderr ---\n" << run->err;

  google::protobuf::Struct result;
  const std::string json = LastLine(run->out);
  auto parsed = google::protobuf::util::JsonStringToMessage(json, &result);
  ASSERT_TRUE(parsed.ok()) << parsed << "\n" << json;
  const auto& fields = result.fields();
  for (const char* key : kRequiredKeys) {
    SCOPED_TRACE(key);
    ASSERT_TRUE(fields.contains(key)) << json;
    EXPECT_TRUE(fields.at(key).has_number_value()) << json;
  }
  EXPECT_EQ(fields.at("hosts").number_value(), 100);
  EXPECT_EQ(fields.at("tasks").number_value(), 500);
  EXPECT_EQ(fields.at("clients").number_value(), 4);
  EXPECT_EQ(fields.at("tasks_placed").number_value(), 500) << run->err;
  EXPECT_EQ(fields.at("placement_errors").number_value(), 0) << run->err;
  EXPECT_EQ(fields.at("rpc_errors").number_value(), 0) << run->err;
  EXPECT_GT(fields.at("placements_per_s").number_value(), 0);
  EXPECT_GT(fields.at("db_limit_placements_per_s").number_value(), 0);
  EXPECT_GE(fields.at("db_limit_batch").number_value(), 1);
}

TEST(BenchWorkload, PlanCalls_CountsAddUpAndStayInRange) {
  struct Case {
    const char* name;
    int64_t tasks;
  };
  const Case cases[] = {{"one task", 1}, {"small", 17}, {"smoke size", 500}, {"large", 50000}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<bench::Call> calls = bench::PlanCalls(c.tasks, 7);
    int64_t sum = 0;
    for (const bench::Call& call : calls) {
      EXPECT_GE(call.count, 1);
      EXPECT_LE(call.count, 10);
      EXPECT_GE(call.group, 0);
      EXPECT_LT(call.group, bench::kGroups);
      EXPECT_LT(call.family, static_cast<int>(bench::Families().size()));
      sum += call.count;
    }
    EXPECT_EQ(sum, c.tasks);
  }
  EXPECT_EQ(bench::PlanCalls(500, 7).size(), bench::PlanCalls(500, 7).size());
}

TEST(BenchWorkload, FamiliesAndVpcs_AreBalancedAsDocumented) {
  int percent = 0;
  for (const bench::Family& family : bench::Families()) percent += family.percent;
  EXPECT_EQ(percent, 100);
  std::vector<double> weights = bench::GroupWeights();
  EXPECT_NEAR(std::accumulate(weights.begin(), weights.end(), 0.0), 1.0, 1e-9);
  double share[bench::kVpcs] = {};
  for (int g = 0; g < bench::kGroups; ++g) share[bench::VpcOfGroup(g)] += weights[g];
  for (double s : share) EXPECT_NEAR(s, 1.0 / bench::kVpcs, 0.02);
  EXPECT_EQ(bench::SubnetCidr(2, 1), "10.2.64.0/18");
  EXPECT_EQ(bench::HostsInZone(100, 0) + bench::HostsInZone(100, 1) + bench::HostsInZone(100, 2),
            100);
}

TEST(BenchWorkload, PacingOffsets_SpaceCallsByTheirTasks) {
  std::vector<bench::Call> calls = {{2, 0, 0}, {1, 0, 0}, {10, 0, 0}};
  std::vector<absl::Duration> offsets = bench::PacingOffsets(calls, 100);
  ASSERT_EQ(offsets.size(), 3u);
  EXPECT_EQ(offsets[0], absl::ZeroDuration());
  EXPECT_EQ(offsets[1], absl::Milliseconds(20));
  EXPECT_EQ(offsets[2], absl::Milliseconds(30));
}

TEST(BenchWorkload, CheckCapacity_RefusesFleetsTooSmall) {
  EXPECT_TRUE(bench::CheckCapacity(100, 600).ok());
  EXPECT_TRUE(bench::CheckCapacity(10000, 120000).ok());
  EXPECT_FALSE(bench::CheckCapacity(10, 600).ok());
}

TEST(BenchReport, Percentile_InterpolatesLikePercentileCont) {
  struct Case {
    const char* name;
    std::vector<double> values;
    double q;
    double want;
  };
  const Case cases[] = {
      {"empty", {}, 0.5, 0},
      {"single", {7}, 0.99, 7},
      {"median of even count", {4, 1, 3, 2}, 0.5, 2.5},
      {"p99 of 1..101", {}, 0.99, 100},
      {"max", {3, 9, 1}, 1.0, 9},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<double> values = c.values;
    if (std::string(c.name) == "p99 of 1..101") {
      for (int i = 1; i <= 101; ++i) values.push_back(i);
    }
    EXPECT_DOUBLE_EQ(bench::Percentile(values, c.q), c.want);
  }
}

TEST(BenchReport, ParsePgbenchTps_ReadsTheSummaryLine) {
  const std::string output =
      "number of transactions actually processed: 3925\n"
      "latency average = 2.038 ms\n"
      "initial connection time = 3.177 ms\n"
      "tps = 1962.645123 (without initial connection time)\n";
  absl::StatusOr<double> tps = bench::ParsePgbenchTps(output);
  ASSERT_TRUE(tps.ok()) << tps.status();
  EXPECT_DOUBLE_EQ(*tps, 1962.645123);
  EXPECT_FALSE(bench::ParsePgbenchTps("pgbench: error: connection failed\n").ok());
  EXPECT_FALSE(bench::ParsePgbenchTps("tps = fast (whatever)\n").ok());
}

TEST(BenchReport, Json_KeepsOrderAndFormatsCounts) {
  bench::Report report;
  report.Add("placements_per_s", 1234.5678, "/s", "placements");
  report.AddCount("tasks", 500, "tasks");
  report.Add("placements_per_s", 10, "/s", "placements");
  EXPECT_EQ(report.Json(), R"({"placements_per_s":10.000,"tasks":500})");
  EXPECT_EQ(report.Get("tasks"), 500);
  EXPECT_THAT(report.Summary("title"), ::testing::HasSubstr("placements"));
}

TEST(BenchReport, ShortStatement_KeepsStartAndWhereClause) {
  struct Case {
    const char* name;
    std::string sql;
    std::string want;
  };
  const std::string columns = "SELECT " + std::string(80, 'c') + " FROM tasks t";
  const Case cases[] = {
      {"short, whitespace squeezed", "  UPDATE hosts\n   SET x = 1  ", "UPDATE hosts SET x = 1"},
      {"long with WHERE", columns + " WHERE t.task_id = ANY($1)",
       "SELECT " + std::string(33, 'c') + " ... WHERE t.task_id = ANY($1)"},
      {"long without WHERE", columns + std::string(20, 'x'),
       (columns + std::string(20, 'x')).substr(0, 90) + " ..."},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(bench::ShortStatement(c.sql), c.want);
  }
}

TEST(BenchProcStats, ParseProcStat_HandlesSpacesInTheName) {
  const std::string line =
      "4242 (grpc (worker) 1) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 9 0 1 0 0";
  absl::StatusOr<bench::ProcStat> stat = bench::ParseProcStat(line);
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->pid, 4242);
  EXPECT_EQ(stat->ppid, 17);
  EXPECT_EQ(stat->comm, "grpc (worker) 1");
  EXPECT_EQ(stat->cpu_ticks, 300);
  EXPECT_EQ(stat->children_ticks, 10);
  EXPECT_FALSE(bench::ParseProcStat("garbage").ok());
}

}  // namespace
}  // namespace gantry::testing
