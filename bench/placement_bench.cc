// Cost of one Placer::Place() as the fleet grows: 1,000, 10,000 and 100,000 hosts in three
// zones, a realistic mix of Fargate task sizes. The numbers should stay nearly flat (the index
// makes a placement O(CPU buckets + log n), not O(hosts)). Hosts have 16 vCPU, 64 GiB, 1000 GiB
// of ephemeral storage and 32 ENI slots.
//
//   BM_Place         placements into a fleet prefilled to about half its CPU; when the fleet is
//                    full the prefilled view is restored outside the timed region.
//   BM_PlaceRelease  steady churn around 70% full: each iteration places one task and releases
//                    the oldest running one (so the item is a place + release pair).
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <benchmark/benchmark.h>

#include "placement/placement.h"

namespace gantry::placement {
namespace {

constexpr int kZones = 3;
constexpr int kGroups = 50;
constexpr size_t kTaskMix = 8192;

Snapshot MakeFleet(int64_t hosts) {
  Snapshot snapshot;
  snapshot.hosts.reserve(static_cast<size_t>(hosts));
  for (int64_t id = 1; id <= hosts; ++id) {
    Host host;
    host.id = id;
    host.availability_zone = "us-east-1" + std::string(1, static_cast<char>('a' + id % kZones));
    host.total = Resources{16384, 65536, 1000, 32};
    snapshot.hosts.push_back(std::move(host));
  }
  for (int z = 0; z < kZones; ++z) {
    const std::string zone = "us-east-1" + std::string(1, static_cast<char>('a' + z));
    snapshot.subnets.push_back(Subnet{"subnet-" + zone, zone, int64_t{1} << 40});
  }
  return snapshot;
}

// Many 0.25-0.5 vCPU tasks, some 1 vCPU, a few 2-4 vCPU; every task is awsvpc (one ENI).
std::vector<TaskRequest> MakeTaskMix() {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int> percent(0, 99);
  std::uniform_int_distribution<int> group(0, kGroups - 1);
  const std::vector<std::string> subnets = {"subnet-us-east-1a", "subnet-us-east-1b",
                                            "subnet-us-east-1c"};
  std::vector<TaskRequest> tasks(kTaskMix);
  for (TaskRequest& task : tasks) {
    const int p = percent(rng);
    const int64_t cpu = p < 40 ? 256 : p < 70 ? 512 : p < 85 ? 1024 : p < 95 ? 2048 : 4096;
    const int64_t memory = cpu * (percent(rng) < 50 ? 2 : 4);
    const int64_t storage = percent(rng) < 90 ? 20 : 50;
    task = TaskRequest{"service-" + std::to_string(group(rng)), {cpu, memory, storage, 1}, subnets};
  }
  return tasks;
}

// Places tasks from the mix until the fleet's used CPU reaches `fraction` of its total.
void Fill(Placer& placer, const std::vector<TaskRequest>& tasks, int64_t hosts, double fraction,
          size_t& next, std::deque<std::pair<TaskRequest, Assignment>>* running) {
  const double target = fraction * static_cast<double>(hosts) * 16384;
  double used = 0;
  size_t failures_in_a_row = 0;  // the fleet cannot reach the target: stop anyway
  while (used < target && failures_in_a_row < tasks.size()) {
    const TaskRequest& task = tasks[next++ % tasks.size()];
    const Decision decision = placer.Place(task);
    failures_in_a_row = std::holds_alternative<Unplaced>(decision) ? failures_in_a_row + 1 : 0;
    if (const auto* assignment = std::get_if<Assignment>(&decision)) {
      used += static_cast<double>(task.needs.cpu_units);
      if (running != nullptr) {
        running->emplace_back(task, *assignment);
      }
    }
  }
}

void BM_Place(benchmark::State& state) {
  const int64_t hosts = state.range(0);
  const std::vector<TaskRequest> tasks = MakeTaskMix();
  size_t next = 0;
  Placer prefilled(MakeFleet(hosts));
  Fill(prefilled, tasks, hosts, 0.5, next, nullptr);
  Placer placer = prefilled;
  int64_t resets = 0;
  for (auto _ : state) {
    Decision decision = placer.Place(tasks[next++ % tasks.size()]);
    if (std::holds_alternative<Unplaced>(decision)) {
      state.PauseTiming();
      placer = prefilled;
      ++resets;
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(decision);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["resets"] = static_cast<double>(resets);
}
BENCHMARK(BM_Place)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kNanosecond);

void BM_PlaceRelease(benchmark::State& state) {
  const int64_t hosts = state.range(0);
  const std::vector<TaskRequest> tasks = MakeTaskMix();
  size_t next = 0;
  std::deque<std::pair<TaskRequest, Assignment>> running;
  Placer placer(MakeFleet(hosts));
  Fill(placer, tasks, hosts, 0.7, next, &running);
  for (auto _ : state) {
    const TaskRequest& task = tasks[next++ % tasks.size()];
    Decision decision = placer.Place(task);
    if (const auto* assignment = std::get_if<Assignment>(&decision)) {
      running.emplace_back(task, *assignment);
    }
    placer.Release(running.front().first, running.front().second);
    running.pop_front();
    benchmark::DoNotOptimize(decision);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlaceRelease)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kNanosecond);

}  // namespace
}  // namespace gantry::placement

BENCHMARK_MAIN();
