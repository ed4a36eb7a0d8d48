// Property tests: seeded random fleets and task sets, checked against invariants and against
// the brute-force ReferencePlacer. A failure prints its seed; GANTRY_TEST_SEED=<n> replays it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "placement/placement.h"
#include "tests/placement/reference_placer.h"

namespace gantry::placement {
namespace {

using reference::FitsIn;
using reference::ReferencePlacer;

const std::vector<std::string> kZones = {"az-a", "az-b", "az-c", "az-d"};
const std::vector<std::string> kGroups = {"g0", "g1", "g2", "g3"};

std::vector<uint64_t> Seeds() {
  if (const char* env = std::getenv("GANTRY_TEST_SEED"); env != nullptr && *env != '\0') {
    return {std::strtoull(env, nullptr, 10)};
  }
  return {1, 2, 3, 17, 2024};
}

::testing::Message SeedMessage(uint64_t seed) {
  return ::testing::Message() << "seed " << seed << " (replay: GANTRY_TEST_SEED=" << seed << ")";
}

class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(engine_);
  }
  bool Chance(int percent) { return Uniform(0, 99) < percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& values) {
    return values[static_cast<size_t>(Uniform(0, static_cast<int64_t>(values.size()) - 1))];
  }
  std::mt19937_64& engine() { return engine_; }

 private:
  std::mt19937_64 engine_;
};

Resources RandomTotal(Random& random) {
  static const std::vector<Resources> kTotals = {{2048, 4096, 30, 3},    {4096, 8192, 100, 8},
                                                 {8192, 16384, 200, 10}, {16384, 32768, 200, 16},
                                                 {3000, 5000, 50, 4},    {16384, 122880, 400, 2}};
  return random.Pick(kTotals);
}

Host RandomHost(Random& random, int64_t id, int zones) {
  Host host;
  host.id = id;
  host.availability_zone = kZones[static_cast<size_t>(random.Uniform(0, zones - 1))];
  host.total = RandomTotal(random);
  if (random.Chance(60)) {
    host.used = Resources{256 * random.Uniform(0, host.total.cpu_units / 256),
                          512 * random.Uniform(0, host.total.memory_mib / 512),
                          random.Uniform(0, host.total.ephemeral_storage_gib),
                          random.Uniform(0, host.total.enis)};
  }
  host.accepts_tasks = random.Chance(85);
  return host;
}

Snapshot RandomSnapshot(Random& random) {
  Snapshot snapshot;
  const int zones = static_cast<int>(random.Uniform(1, 4));
  const int64_t hosts = random.Uniform(0, 40);
  for (int64_t i = 0; i < hosts; ++i) {
    snapshot.hosts.push_back(RandomHost(random, 1000 - 3 * i, zones));  // ids not in zone order
  }
  for (int z = 0; z < zones; ++z) {
    const int64_t subnets = random.Uniform(1, 2);
    for (int64_t s = 0; s < subnets; ++s) {
      snapshot.subnets.push_back(Subnet{"subnet-" + kZones[z].substr(3) + std::to_string(s),
                                        kZones[z], random.Chance(20) ? 0 : random.Uniform(1, 20)});
    }
    for (const std::string& group : kGroups) {
      if (random.Chance(50)) {
        snapshot.group_counts.push_back(GroupCount{group, kZones[z], random.Uniform(1, 5)});
      }
    }
  }
  return snapshot;
}

TaskRequest RandomTask(Random& random, const Snapshot& snapshot) {
  static const std::vector<int64_t> kCpu = {256, 256, 256, 512, 512, 1024, 2048, 4096, 8192, 16384};
  TaskRequest task;
  task.group = random.Pick(kGroups);
  const int64_t cpu = random.Pick(kCpu);
  task.needs =
      Resources{cpu, cpu * random.Uniform(2, 8), random.Pick(std::vector<int64_t>{20, 20, 40, 120}),
                random.Chance(85) ? 1 : random.Uniform(0, 2)};
  const int64_t subnets = random.Uniform(1, 3);
  for (int64_t i = 0; i < subnets; ++i) {
    task.subnet_ids.push_back(random.Chance(5) ? "subnet-unknown"
                                               : random.Pick(snapshot.subnets).id);
  }
  return task;
}

std::vector<TaskRequest> RandomTasks(Random& random, const Snapshot& snapshot) {
  std::vector<TaskRequest> tasks(static_cast<size_t>(random.Uniform(1, 150)));
  for (TaskRequest& task : tasks) {
    task = RandomTask(random, snapshot);
  }
  return tasks;
}

void ExpectSameDecision(const Decision& got, const Decision& want) {
  if (const auto* want_assignment = std::get_if<Assignment>(&want)) {
    const auto* assignment = std::get_if<Assignment>(&got);
    ASSERT_NE(assignment, nullptr) << "unplaced: " << std::get<Unplaced>(got).detail;
    EXPECT_EQ(*assignment, *want_assignment);
    return;
  }
  const auto* unplaced = std::get_if<Unplaced>(&got);
  ASSERT_NE(unplaced, nullptr) << "placed on " << std::get<Assignment>(got).host_id
                               << " but brute force finds no host";
  EXPECT_EQ(unplaced->reason, std::get<Unplaced>(want).reason) << unplaced->detail;
  EXPECT_EQ(unplaced->never, std::get<Unplaced>(want).never) << unplaced->detail;
  EXPECT_FALSE(unplaced->detail.empty());
}

// The Placer's whole view equals the reference's.
void ExpectSameState(const Placer& placer, const ReferencePlacer& reference) {
  EXPECT_EQ(placer.host_count(), reference.hosts().size());
  for (const auto& [id, host] : reference.hosts()) {
    const Host* got = placer.FindHost(id);
    ASSERT_NE(got, nullptr) << "host " << id;
    EXPECT_EQ(got->used, host.used) << "host " << id;
    EXPECT_EQ(got->total, host.total) << "host " << id;
    EXPECT_EQ(got->accepts_tasks, host.accepts_tasks) << "host " << id;
    EXPECT_EQ(got->availability_zone, host.availability_zone) << "host " << id;
  }
  for (const auto& [id, subnet] : reference.subnets()) {
    const Subnet* got = placer.FindSubnet(id);
    ASSERT_NE(got, nullptr) << id;
    EXPECT_EQ(got->free_addresses, subnet.free_addresses) << id;
    EXPECT_EQ(got->availability_zone, subnet.availability_zone) << id;
  }
  for (const std::string& group : kGroups) {
    for (const std::string& zone : kZones) {
      auto it = reference.group_tasks().find({group, zone});
      EXPECT_EQ(placer.GroupTasks(group, zone),
                it == reference.group_tasks().end() ? 0 : it->second)
          << group << " in " << zone;
    }
  }
}

TEST(PlacerProperty, RandomFleets_MatchBruteForceReference) {
  for (uint64_t seed : Seeds()) {
    SCOPED_TRACE(SeedMessage(seed));
    Random random(seed);
    for (int round = 0; round < 40; ++round) {
      SCOPED_TRACE(::testing::Message() << "round " << round);
      const Snapshot snapshot = RandomSnapshot(random);
      const std::vector<TaskRequest> tasks = RandomTasks(random, snapshot);
      Placer placer(snapshot);
      ReferencePlacer reference(snapshot);
      for (size_t i = 0; i < tasks.size(); ++i) {
        SCOPED_TRACE(::testing::Message() << "task " << i);
        ASSERT_NO_FATAL_FAILURE(
            ExpectSameDecision(placer.Place(tasks[i]), reference.Place(tasks[i])));
      }
      ExpectSameState(placer, reference);
    }
  }
}

TEST(PlacerProperty, RandomFleets_KeepInvariants) {
  for (uint64_t seed : Seeds()) {
    SCOPED_TRACE(SeedMessage(seed));
    Random random(seed);
    for (int round = 0; round < 40; ++round) {
      SCOPED_TRACE(::testing::Message() << "round " << round);
      const Snapshot snapshot = RandomSnapshot(random);
      const std::vector<TaskRequest> tasks = RandomTasks(random, snapshot);
      Placer placer(snapshot);
      const std::vector<Decision> decisions = placer.PlaceAll(tasks);
      ASSERT_EQ(decisions.size(), tasks.size());

      std::map<int64_t, Resources> placed_on;  // host -> sum of needs placed there
      std::map<std::string, int64_t> placed_in_subnet;
      for (size_t i = 0; i < tasks.size(); ++i) {
        const auto* assignment = std::get_if<Assignment>(&decisions[i]);
        if (assignment == nullptr) {
          continue;
        }
        const Host* host = placer.FindHost(assignment->host_id);
        const Subnet* subnet = placer.FindSubnet(assignment->subnet_id);
        ASSERT_NE(host, nullptr);
        ASSERT_NE(subnet, nullptr);
        EXPECT_TRUE(host->accepts_tasks) << "host " << host->id;
        EXPECT_EQ(host->availability_zone, assignment->availability_zone);
        EXPECT_EQ(subnet->availability_zone, assignment->availability_zone);
        EXPECT_NE(std::find(tasks[i].subnet_ids.begin(), tasks[i].subnet_ids.end(), subnet->id),
                  tasks[i].subnet_ids.end());
        Resources& sum = placed_on[host->id];
        sum = Resources{sum.cpu_units + tasks[i].needs.cpu_units,
                        sum.memory_mib + tasks[i].needs.memory_mib,
                        sum.ephemeral_storage_gib + tasks[i].needs.ephemeral_storage_gib,
                        sum.enis + tasks[i].needs.enis};
        ++placed_in_subnet[subnet->id];
      }
      for (const Host& before : snapshot.hosts) {
        const Host* after = placer.FindHost(before.id);
        ASSERT_NE(after, nullptr);
        EXPECT_TRUE(FitsIn(after->used, after->total)) << "host " << before.id << " overcommitted";
        const Resources sum = placed_on[before.id];
        EXPECT_EQ(after->used,
                  (Resources{before.used.cpu_units + sum.cpu_units,
                             before.used.memory_mib + sum.memory_mib,
                             before.used.ephemeral_storage_gib + sum.ephemeral_storage_gib,
                             before.used.enis + sum.enis}))
            << "capacity not conserved on host " << before.id;
      }
      for (const Subnet& before : snapshot.subnets) {
        const Subnet* after = placer.FindSubnet(before.id);
        EXPECT_GE(after->free_addresses, 0);
        EXPECT_EQ(after->free_addresses, before.free_addresses - placed_in_subnet[before.id]);
      }
    }
  }
}

TEST(PlacerProperty, SameInput_SameDecisions) {
  for (uint64_t seed : Seeds()) {
    SCOPED_TRACE(SeedMessage(seed));
    Random random(seed);
    for (int round = 0; round < 20; ++round) {
      const Snapshot snapshot = RandomSnapshot(random);
      const std::vector<TaskRequest> tasks = RandomTasks(random, snapshot);
      Placer first(snapshot);
      Placer second(snapshot);
      EXPECT_EQ(first.PlaceAll(tasks), second.PlaceAll(tasks)) << "round " << round;
    }
  }
}

TEST(PlacerProperty, ReleaseEverything_RestoresInitialState) {
  for (uint64_t seed : Seeds()) {
    SCOPED_TRACE(SeedMessage(seed));
    Random random(seed);
    for (int round = 0; round < 20; ++round) {
      SCOPED_TRACE(::testing::Message() << "round " << round);
      const Snapshot snapshot = RandomSnapshot(random);
      const std::vector<TaskRequest> tasks = RandomTasks(random, snapshot);
      Placer placer(snapshot);
      const std::vector<Decision> decisions = placer.PlaceAll(tasks);
      std::vector<size_t> order(tasks.size());
      for (size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
      }
      std::shuffle(order.begin(), order.end(), random.engine());
      for (size_t i : order) {
        if (const auto* assignment = std::get_if<Assignment>(&decisions[i])) {
          placer.Release(tasks[i], *assignment);
        }
      }
      ExpectSameState(placer, ReferencePlacer(snapshot));
      // The indexes are back too: the same batch is decided the same way again.
      EXPECT_EQ(placer.PlaceAll(tasks), decisions);
    }
  }
}

TEST(PlacerProperty, AmpleCapacity_GroupSkewAtMostOne) {
  for (uint64_t seed : Seeds()) {
    SCOPED_TRACE(SeedMessage(seed));
    Random random(seed);
    for (int round = 0; round < 20; ++round) {
      const int zones = static_cast<int>(random.Uniform(2, 4));
      Snapshot snapshot;
      std::vector<std::string> subnet_ids;
      for (int z = 0; z < zones; ++z) {
        for (int64_t h = 0; h < 3; ++h) {
          snapshot.hosts.push_back(Host{z * 10 + h, kZones[z], {65536, 131072, 2000, 200}, {}});
        }
        subnet_ids.push_back("subnet-" + kZones[z]);
        snapshot.subnets.push_back(Subnet{subnet_ids.back(), kZones[z], 1000});
      }
      std::shuffle(subnet_ids.begin(), subnet_ids.end(), random.engine());
      Placer placer(snapshot);
      const int64_t count = random.Uniform(1, 100);
      for (int64_t i = 0; i < count; ++i) {
        const int64_t cpu = random.Pick(std::vector<int64_t>{256, 512, 1024, 4096});
        const Decision decision =
            placer.Place(TaskRequest{"web", {cpu, 2 * cpu, 20, 1}, subnet_ids});
        ASSERT_TRUE(std::holds_alternative<Assignment>(decision));
        int64_t low = placer.GroupTasks("web", kZones[0]);
        int64_t high = low;
        for (int z = 1; z < zones; ++z) {
          low = std::min(low, placer.GroupTasks("web", kZones[z]));
          high = std::max(high, placer.GroupTasks("web", kZones[z]));
        }
        EXPECT_LE(high - low, 1) << "round " << round << " after " << i + 1 << " tasks";
      }
    }
  }
}

// Interleaves every mutating call and checks decisions and state against the reference, which
// exercises the index bookkeeping of Release, UpsertHost, RemoveHost and UpsertSubnet.
TEST(PlacerProperty, RandomOperations_MatchBruteForceReference) {
  for (uint64_t seed : Seeds()) {
    SCOPED_TRACE(SeedMessage(seed));
    Random random(seed);
    for (int round = 0; round < 10; ++round) {
      SCOPED_TRACE(::testing::Message() << "round " << round);
      const Snapshot snapshot = RandomSnapshot(random);
      Placer placer(snapshot);
      ReferencePlacer reference(snapshot);
      std::vector<std::pair<TaskRequest, Assignment>> running;
      for (int step = 0; step < 400; ++step) {
        SCOPED_TRACE(::testing::Message() << "step " << step);
        const int64_t op = random.Uniform(0, 99);
        if (op < 60) {
          const TaskRequest task = RandomTask(random, snapshot);
          const Decision got = placer.Place(task);
          ASSERT_NO_FATAL_FAILURE(ExpectSameDecision(got, reference.Place(task)));
          if (const auto* assignment = std::get_if<Assignment>(&got)) {
            running.emplace_back(task, *assignment);
          }
        } else if (op < 85 && !running.empty()) {
          const size_t i =
              static_cast<size_t>(random.Uniform(0, static_cast<int64_t>(running.size()) - 1));
          placer.Release(running[i].first, running[i].second);
          reference.Release(running[i].first, running[i].second);
          running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
        } else if (op < 93) {
          // Re-register an existing or a new host, possibly resized, moved or draining.
          const int64_t id =
              random.Chance(70) && !reference.hosts().empty()
                  ? std::next(reference.hosts().begin(),
                              random.Uniform(0, static_cast<int64_t>(reference.hosts().size()) - 1))
                        ->first
                  : random.Uniform(2000, 2100);
          Host host = RandomHost(random, id, 4);
          if (auto it = reference.hosts().find(id);
              it != reference.hosts().end() && random.Chance(50)) {
            host.used = it->second.used;  // keep the running tasks' share
            host.total = it->second.total;
          }
          placer.UpsertHost(host);
          reference.UpsertHost(host);
        } else if (op < 96 && !reference.hosts().empty()) {
          const int64_t id =
              std::next(reference.hosts().begin(),
                        random.Uniform(0, static_cast<int64_t>(reference.hosts().size()) - 1))
                  ->first;
          placer.RemoveHost(id);
          reference.RemoveHost(id);
        } else {
          Subnet subnet = random.Pick(snapshot.subnets);
          subnet.free_addresses = random.Uniform(0, 10);
          placer.UpsertSubnet(subnet);
          reference.UpsertSubnet(subnet);
        }
      }
      ExpectSameState(placer, reference);
    }
  }
}

}  // namespace
}  // namespace gantry::placement
