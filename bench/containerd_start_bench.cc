// Task start latency on real containers: gantryd, gantry-agent --runtime containerd, a
// private containerd and a loopback registry (the test harness of
// tests/support/containerd_env.h), one one-container busybox task at a time.
//
//   sudo ./build/bench/containerd_start_bench [--tasks N]   (default 10 per case)
//
// Two cases: "cached", every task of one image already in containerd; "not cached",
// every task of an image built and pushed just before (its layer, config and manifest
// are new, so the agent downloads and unpacks everything). The figures come from the
// task's own timestamps (createdAt, pullStartedAt, pullStoppedAt, startedAt as gantryd
// recorded them), not from polling, and are printed as a Markdown table.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "gantry/v1/ecs.pb.h"
#include "gantry/v1/network.pb.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/substitute.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "google/protobuf/util/json_util.h"
#include "tests/support/containerd_env.h"
#include "tests/support/e2e_harness.h"
#include "tests/support/temp_dir.h"

namespace gantry::bench {
namespace {

using testing::CommandResult;

constexpr char kZone[] = "us-east-1a";

int Fail(const std::string& what) {
  std::cerr << "containerd_start_bench: " << what << "\n";
  return 1;
}

// One task's phases, in milliseconds.
struct Sample {
  double to_running = 0;  // createdAt -> startedAt (what a RunTask caller waits)
  double pull = 0;        // pullStartedAt -> pullStoppedAt
  double start = 0;       // pullStoppedAt -> startedAt (network, storage, containers)
};

class Bench {
 public:
  absl::Status SetUp() {
    GANTRY_RETURN_IF_ERROR(testing::CheckContainerdPrerequisites());
    auto dir = testing::TempDir::Create("gantry-bench-ctd");
    GANTRY_RETURN_IF_ERROR(dir.status());
    dir_ = std::make_unique<testing::TempDir>(*std::move(dir));
    std::filesystem::create_directories(dir_->path() / "env");
    auto env = testing::ContainerdEnv::Start(dir_->path() / "env");
    GANTRY_RETURN_IF_ERROR(env.status());
    env_ = *std::move(env);
    testing::GantrydOptions options;
    options.data_dir = dir_->path() / "data";
    auto gantryd = testing::Gantryd::Start(options);
    GANTRY_RETURN_IF_ERROR(gantryd.status());
    gantryd_ = *std::move(gantryd);
    testing::AgentOptions agent;
    agent.endpoint = gantryd_->endpoint();
    agent.state_dir = dir_->path() / "agent";
    agent.args = {"--runtime",
                  "containerd",
                  "--availability-zone",
                  kZone,
                  "--containerd-address",
                  env_->containerd_address(),
                  "--insecure-registry",
                  env_->registry(),
                  "--poll-wait",
                  "2s"};
    auto started = testing::GantryAgent::Start(agent);
    GANTRY_RETURN_IF_ERROR(started.status());
    agent_ = *std::move(started);
    v1::CreateVpcResponse vpc;
    GANTRY_RETURN_IF_ERROR(Json({"create-vpc", "--cidr-block", "10.214.0.0/16"}, vpc));
    v1::CreateSubnetResponse subnet;
    GANTRY_RETURN_IF_ERROR(Json({"create-subnet", "--vpc-id", vpc.vpc().vpc_id(), "--cidr-block",
                                 "10.214.1.0/24", "--availability-zone", kZone},
                                subnet));
    network_ = absl::StrCat("awsvpcConfiguration={subnets=[", subnet.subnet().subnet_id(), "]}");
    return absl::OkStatus();
  }

  // Registers `family` for `image`, runs one task, waits for RUNNING, stops it and
  // waits for STOPPED (so the host holds one task at a time).
  absl::StatusOr<Sample> RunOne(const std::string& family, const std::string& image) {
    const std::string definition = absl::Substitute(
        R"json({"family": "$0", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
        "cpu": "256", "memory": "512", "containerDefinitions": [{"name": "main", "image": "$1",
        "command": ["sleep", "1000"], "stopTimeout": 2}]})json",
        family, image);
    v1::RegisterTaskDefinitionResponse registered;
    GANTRY_RETURN_IF_ERROR(
        Json({"register-task-definition", "--cli-input-json", definition}, registered));
    v1::RunTaskResponse run;
    GANTRY_RETURN_IF_ERROR(
        Json({"run-task", "--task-definition", family, "--network-configuration", network_}, run));
    if (run.tasks_size() != 1) {
      return absl::InternalError(absl::StrCat("run-task placed ", run.tasks_size(), " tasks"));
    }
    const std::string arn = run.tasks(0).task_arn();
    auto task = WaitFor(arn, "RUNNING");
    GANTRY_RETURN_IF_ERROR(task.status());
    Sample sample;
    sample.to_running = (task->started_at() - task->created_at()) * 1000;
    sample.pull = (task->pull_stopped_at() - task->pull_started_at()) * 1000;
    sample.start = (task->started_at() - task->pull_stopped_at()) * 1000;
    v1::StopTaskResponse stopped;
    GANTRY_RETURN_IF_ERROR(Json({"stop-task", "--task", arn}, stopped));
    GANTRY_RETURN_IF_ERROR(WaitFor(arn, "STOPPED").status());
    return sample;
  }

  testing::ContainerdEnv& env() { return *env_; }

 private:
  template <typename M>
  absl::Status Json(std::vector<std::string> args, M& message) {
    args.insert(args.begin(), {"--output", "json"});
    auto result = testing::RunGantryctl(gantryd_->endpoint(), args);
    GANTRY_RETURN_IF_ERROR(result.status());
    if (result->exit_code != 0) {
      return absl::InternalError(absl::StrCat("gantryctl ", args[2], ": ", result->err));
    }
    auto status = google::protobuf::util::JsonStringToMessage(result->out, &message);
    if (!status.ok()) {
      return absl::InternalError(absl::StrCat("gantryctl ", args[2], " printed no ",
                                              M::descriptor()->name(), ": ", result->out));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<v1::Task> WaitFor(const std::string& arn, const std::string& status) {
    const absl::Time deadline = absl::Now() + absl::Seconds(120);
    while (absl::Now() < deadline) {
      v1::DescribeTasksResponse described;
      GANTRY_RETURN_IF_ERROR(Json({"describe-tasks", "--tasks", arn}, described));
      if (described.tasks_size() == 1 && described.tasks(0).last_status() == status) {
        return described.tasks(0);
      }
      if (described.tasks_size() == 1 && described.tasks(0).last_status() == "STOPPED") {
        return absl::InternalError(
            absl::StrCat("task stopped: ", described.tasks(0).stopped_reason()));
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return absl::DeadlineExceededError(absl::StrCat(arn, " is not ", status, " after 120 s"));
  }

  std::unique_ptr<testing::TempDir> dir_;
  std::unique_ptr<testing::ContainerdEnv> env_;
  std::unique_ptr<testing::Gantryd> gantryd_;
  std::unique_ptr<testing::GantryAgent> agent_;
  std::string network_;
};

double Percentile(std::vector<double> values, double fraction) {
  std::sort(values.begin(), values.end());
  const size_t index = static_cast<size_t>(fraction * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

void PrintRow(const std::string& name, const std::vector<Sample>& samples) {
  std::vector<double> to_running;
  std::vector<double> pull;
  std::vector<double> start;
  for (const Sample& sample : samples) {
    to_running.push_back(sample.to_running);
    pull.push_back(sample.pull);
    start.push_back(sample.start);
  }
  std::cout << absl::StrFormat(
      "| %s | %d | %.0f | %.0f | %.0f | %.0f | %.0f |\n", name, samples.size(),
      Percentile(to_running, 0.5), Percentile(to_running, 0.9), Percentile(pull, 0.5),
      Percentile(start, 0.5), *std::max_element(to_running.begin(), to_running.end()));
}

int Main(int argc, char** argv) {
  int tasks = 10;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--tasks" && !absl::SimpleAtoi(argv[i + 1], &tasks)) {
      return Fail("--tasks takes a whole number");
    }
  }
  if (tasks < 1) {
    return Fail("--tasks must be at least 1");
  }
  Bench bench;
  if (absl::Status status = bench.SetUp(); !status.ok()) {
    return Fail(status.ToString());
  }
  auto cached_image = bench.env().PushBusyboxImage("bench/cached", "v1", {"sh"});
  if (!cached_image.ok()) {
    return Fail(cached_image.status().ToString());
  }
  // The first task of the image pulls it; the measured ones find it cached.
  if (auto warm = bench.RunOne("bench-warm", *cached_image); !warm.ok()) {
    return Fail(warm.status().ToString());
  }
  std::vector<Sample> cached;
  std::vector<Sample> cold;
  for (int i = 0; i < tasks; ++i) {
    std::cerr << "cached " << i + 1 << "/" << tasks << "\n";
    auto sample = bench.RunOne(absl::StrCat("bench-cached-", i), *cached_image);
    if (!sample.ok()) {
      return Fail(sample.status().ToString());
    }
    cached.push_back(*sample);
  }
  for (int i = 0; i < tasks; ++i) {
    std::cerr << "not cached " << i + 1 << "/" << tasks << "\n";
    // A new build: new layer (fresh file times), config and manifest.
    auto image = bench.env().PushBusyboxImage(absl::StrCat("bench/cold-", i), "v1", {"sh"});
    if (!image.ok()) {
      return Fail(image.status().ToString());
    }
    auto sample = bench.RunOne(absl::StrCat("bench-cold-", i), *image);
    if (!sample.ok()) {
      return Fail(sample.status().ToString());
    }
    cold.push_back(*sample);
  }
  std::cout << "| image | tasks | created -> RUNNING p50 (ms) | p90 | pull p50 | "
               "pull stopped -> RUNNING p50 | max |\n|---|---|---|---|---|---|---|\n";
  PrintRow("cached", cached);
  PrintRow("not cached", cold);
  return 0;
}

}  // namespace
}  // namespace gantry::bench

int main(int argc, char** argv) { return gantry::bench::Main(argc, argv); }
