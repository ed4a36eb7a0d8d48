// Table tests for the placement rules of placement/placement.h, one group of cases per rule.
#include "placement/placement.h"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gantry::placement {
namespace {

using ::testing::HasSubstr;

Resources R(int64_t cpu, int64_t memory, int64_t storage = 0, int64_t enis = 0) {
  return Resources{cpu, memory, storage, enis};
}

Host MakeHost(int64_t id, std::string zone, Resources total, Resources used = {},
              bool accepts_tasks = true) {
  return Host{id, std::move(zone), total, used, accepts_tasks};
}

// A 4 vCPU / 8 GiB host with 100 GiB of storage and 10 ENI slots.
Host Standard(int64_t id, std::string zone, Resources used = {}) {
  return MakeHost(id, std::move(zone), R(4096, 8192, 100, 10), used);
}

TaskRequest Task(Resources needs, std::vector<std::string> subnets, std::string group = "svc") {
  return TaskRequest{std::move(group), needs, std::move(subnets)};
}

// One subnet per zone: subnet-a in az-a, subnet-b in az-b, subnet-c in az-c.
std::vector<Subnet> ThreeSubnets(int64_t free_addresses = 100) {
  return {Subnet{"subnet-a", "az-a", free_addresses}, Subnet{"subnet-b", "az-b", free_addresses},
          Subnet{"subnet-c", "az-c", free_addresses}};
}

const std::vector<std::string> kAllSubnets = {"subnet-a", "subnet-b", "subnet-c"};
const Resources kSmall = R(512, 1024, 20, 1);

struct WantUnplaced {
  std::string reason;
  std::string detail_substring;
  bool never = false;
};
using Want = std::variant<Assignment, WantUnplaced>;

struct Case {
  std::string name;
  Snapshot snapshot;
  std::vector<TaskRequest> tasks;
  std::vector<Want> want;
};

void ExpectDecision(const Decision& got, const Want& want) {
  if (const auto* want_assignment = std::get_if<Assignment>(&want)) {
    const auto* assignment = std::get_if<Assignment>(&got);
    ASSERT_NE(assignment, nullptr)
        << "unplaced: " << std::get<Unplaced>(got).reason << " " << std::get<Unplaced>(got).detail;
    EXPECT_EQ(assignment->host_id, want_assignment->host_id);
    EXPECT_EQ(assignment->subnet_id, want_assignment->subnet_id);
    EXPECT_EQ(assignment->availability_zone, want_assignment->availability_zone);
    return;
  }
  const auto& want_unplaced = std::get<WantUnplaced>(want);
  const auto* unplaced = std::get_if<Unplaced>(&got);
  ASSERT_NE(unplaced, nullptr) << "placed on host " << std::get<Assignment>(got).host_id;
  EXPECT_EQ(unplaced->reason, want_unplaced.reason);
  EXPECT_THAT(unplaced->detail, HasSubstr(want_unplaced.detail_substring));
  EXPECT_EQ(unplaced->never, want_unplaced.never) << unplaced->detail;
}

void RunCases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_EQ(c.tasks.size(), c.want.size());
    Placer placer(c.snapshot);
    const std::vector<Decision> got = placer.PlaceAll(c.tasks);
    ASSERT_EQ(got.size(), c.want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      SCOPED_TRACE(testing::Message() << "task " << i);
      ExpectDecision(got[i], c.want[i]);
    }
  }
}

TEST(Placer, BestFit_PicksFullestHostThatFits) {
  RunCases({
      {"least free CPU wins",
       {{Standard(1, "az-a"), Standard(2, "az-a", R(3072, 1024)), Standard(3, "az-a", R(2048, 0))},
        ThreeSubnets()},
       {Task(kSmall, {"subnet-a"})},
       {Assignment{2, "subnet-a", "az-a"}}},
      {"fullest host skipped when its memory is short",
       {{Standard(1, "az-a"), Standard(2, "az-a", R(2048, 1024)),
         Standard(3, "az-a", R(3584, 7680))},
        ThreeSubnets()},
       {Task(kSmall, {"subnet-a"})},
       {Assignment{2, "subnet-a", "az-a"}}},
      {"CPU tie broken by least free memory",
       {{Standard(1, "az-a", R(1024, 1024)), Standard(2, "az-a", R(1024, 4096))}, ThreeSubnets()},
       {Task(kSmall, {"subnet-a"})},
       {Assignment{2, "subnet-a", "az-a"}}},
      {"full tie broken by lowest id",
       {{Standard(7, "az-a", R(1024, 1024)), Standard(5, "az-a", R(1024, 1024))}, ThreeSubnets()},
       {Task(kSmall, {"subnet-a"})},
       {Assignment{5, "subnet-a", "az-a"}}},
      {"host without storage or ENI slot skipped",
       {{Standard(1, "az-a", R(2048, 0, 90, 0)), Standard(2, "az-a", R(1024, 0, 0, 10)),
         Standard(3, "az-a")},
        ThreeSubnets()},
       {Task(kSmall, {"subnet-a"})},
       {Assignment{3, "subnet-a", "az-a"}}},
      {"packs one host before the next",
       {{Standard(1, "az-a"), Standard(2, "az-a")}, ThreeSubnets()},
       {Task(R(2048, 4096), {"subnet-a"}), Task(R(2048, 4096), {"subnet-a"}),
        Task(R(2048, 4096), {"subnet-a"})},
       {Assignment{1, "subnet-a", "az-a"}, Assignment{1, "subnet-a", "az-a"},
        Assignment{2, "subnet-a", "az-a"}}},
      {"exact fit to the total is allowed",
       {{Standard(1, "az-a", R(3584, 7168, 80, 9))}, ThreeSubnets()},
       {Task(kSmall, {"subnet-a"})},
       {Assignment{1, "subnet-a", "az-a"}}},
  });
}

TEST(Placer, Spread_FewestGroupTasksZoneWins) {
  const Snapshot three_zones{{Standard(1, "az-a"), Standard(2, "az-b"), Standard(3, "az-c")},
                             ThreeSubnets()};
  std::vector<TaskRequest> nine(9, Task(R(256, 512), kAllSubnets));
  std::vector<Want> nine_want;
  for (int i = 0; i < 9; ++i) {
    const std::string zone = std::string("az-") + static_cast<char>('a' + i % 3);
    nine_want.push_back(Assignment{1 + i % 3, "subnet-" + zone.substr(3), zone});
  }
  Snapshot counted = three_zones;
  counted.group_counts = {{"svc", "az-a", 2}, {"svc", "az-c", 1}, {"other", "az-b", 9}};
  Snapshot small_b = three_zones;
  small_b.hosts[1] = MakeHost(2, "az-b", R(256, 512, 100, 10));
  RunCases({
      {"nine tasks over three zones, three each, ties by name", three_zones, nine, nine_want},
      {"existing counts: emptiest zone first, other groups ignored",
       counted,
       {Task(R(256, 512), kAllSubnets), Task(R(256, 512), kAllSubnets),
        Task(R(256, 512), kAllSubnets)},
       {Assignment{2, "subnet-b", "az-b"}, Assignment{2, "subnet-b", "az-b"},
        Assignment{3, "subnet-c", "az-c"}}},
      {"zone without a fitting host is passed over",
       small_b,
       {Task(R(1024, 512), {"subnet-b", "subnet-c"})},
       {Assignment{3, "subnet-c", "az-c"}}},
      {"groups spread independently",
       three_zones,
       {Task(R(256, 512), kAllSubnets, "x"), Task(R(256, 512), kAllSubnets, "y"),
        Task(R(256, 512), kAllSubnets, "x")},
       {Assignment{1, "subnet-a", "az-a"}, Assignment{1, "subnet-a", "az-a"},
        Assignment{2, "subnet-b", "az-b"}}},
  });
}

TEST(Placer, Subnets_ChooseUsableZoneAndFreestSubnet) {
  Snapshot full_a{{Standard(1, "az-a"), Standard(2, "az-b")}, ThreeSubnets()};
  full_a.subnets[0].free_addresses = 0;
  Snapshot two_in_a{{Standard(1, "az-a")},
                    {Subnet{"subnet-a2", "az-a", 5}, Subnet{"subnet-a1", "az-a", 5},
                     Subnet{"subnet-a3", "az-a", 3}}};
  Snapshot last_address{{Standard(1, "az-a"), Standard(2, "az-b")},
                        {Subnet{"subnet-a", "az-a", 1}, Subnet{"subnet-b", "az-b", 5}}};
  RunCases({
      {"zone without a free address skipped",
       full_a,
       {Task(kSmall, {"subnet-a", "subnet-b"})},
       {Assignment{2, "subnet-b", "az-b"}}},
      {"most free addresses, ties by lowest id",
       two_in_a,
       {Task(kSmall, {"subnet-a3", "subnet-a2", "subnet-a1"}),
        Task(kSmall, {"subnet-a3", "subnet-a2", "subnet-a1"})},
       {Assignment{1, "subnet-a1", "az-a"}, Assignment{1, "subnet-a2", "az-a"}}},
      {"last address used, then the zone is skipped",
       last_address,
       {Task(kSmall, {"subnet-a", "subnet-b"}, "x"), Task(kSmall, {"subnet-a", "subnet-b"}, "y")},
       {Assignment{1, "subnet-a", "az-a"}, Assignment{2, "subnet-b", "az-b"}}},
      {"unknown subnets ignored when another is known",
       {{Standard(1, "az-a")}, ThreeSubnets()},
       {Task(kSmall, {"subnet-zz", "subnet-a"})},
       {Assignment{1, "subnet-a", "az-a"}}},
      {"repeated subnet counted once",
       {{Standard(1, "az-a")}, ThreeSubnets()},
       {Task(kSmall, {"subnet-a", "subnet-a"})},
       {Assignment{1, "subnet-a", "az-a"}}},
  });
}

TEST(Placer, DrainingHost_NeverChosen) {
  RunCases({
      {"draining host skipped for a worse accepting one",
       {{MakeHost(1, "az-a", R(4096, 8192, 100, 10), R(3072, 0), false), Standard(2, "az-a")},
        ThreeSubnets()},
       {Task(kSmall, {"subnet-a"})},
       {Assignment{2, "subnet-a", "az-a"}}},
      {"only draining hosts: none registered",
       {{MakeHost(1, "az-a", R(4096, 8192, 100, 10), {}, false)}, ThreeSubnets()},
       {Task(kSmall, {"subnet-a"})},
       {WantUnplaced{"RESOURCE:CPU", "no host is registered in az-a", false}}},
  });
}

TEST(Placer, Unplaced_NamesDecidingConstraint) {
  const std::vector<std::string> ab = {"subnet-a", "subnet-b"};
  RunCases({
      {"CPU",
       {{Standard(1, "az-a", R(1024, 0)), Standard(2, "az-b", R(2048, 0))}, ThreeSubnets()},
       {Task(R(4096, 1024), ab)},
       {WantUnplaced{"RESOURCE:CPU", "no host in az-a or az-b has 4096 CPU units free"}}},
      {"memory",
       {{Standard(1, "az-a", R(0, 4096))}, ThreeSubnets()},
       {Task(R(1024, 8192), {"subnet-a"})},
       {WantUnplaced{"RESOURCE:MEMORY", "no host in az-a has 8192 MiB of memory free"}}},
      {"ephemeral storage",
       {{Standard(1, "az-a", R(0, 0, 90))}, ThreeSubnets()},
       {Task(R(1024, 1024, 20), {"subnet-a"})},
       {WantUnplaced{"RESOURCE:EPHEMERAL_STORAGE",
                     "no host in az-a has 20 GiB of ephemeral storage free"}}},
      {"ENI slot",
       {{Standard(1, "az-a", R(0, 0, 0, 10)), Standard(2, "az-b", R(0, 0, 0, 10))}, ThreeSubnets()},
       {Task(kSmall, ab)},
       {WantUnplaced{"RESOURCE:ENI", "no host in az-a or az-b has a free ENI slot"}}},
      {"each dimension somewhere, never together",
       {{Standard(1, "az-a", R(0, 4096)), Standard(2, "az-a", R(3072, 0)),
         Standard(3, "az-a", R(0, 0, 100))},
        ThreeSubnets()},
       {Task(R(2048, 8192, 20), {"subnet-a"})},
       {WantUnplaced{"RESOURCE:CPU",
                     "no host in az-a has 2048 CPU units, 8192 MiB of memory and 20 GiB of "
                     "ephemeral storage free at once"}}},
      {"three zones named",
       {{Standard(1, "az-a", R(4096, 0)), Standard(2, "az-b", R(4096, 0)),
         Standard(3, "az-c", R(4096, 0))},
        ThreeSubnets()},
       {Task(kSmall, kAllSubnets)},
       {WantUnplaced{"RESOURCE:CPU", "no host in az-a, az-b or az-c has 512 CPU units free"}}},
      {"no host registered in the zones",
       {{Standard(1, "az-c")}, ThreeSubnets()},
       {Task(kSmall, ab)},
       {WantUnplaced{"RESOURCE:CPU", "no host is registered in az-a or az-b", false}}},
      {"fills up, then CPU",
       {{Standard(1, "az-a")}, ThreeSubnets()},
       {Task(R(2048, 1024), {"subnet-a"}), Task(R(2048, 1024), {"subnet-a"}),
        Task(R(2048, 1024), {"subnet-a"})},
       {Assignment{1, "subnet-a", "az-a"}, Assignment{1, "subnet-a", "az-a"},
        WantUnplaced{"RESOURCE:CPU", "no host in az-a has 2048 CPU units free", false}}},
  });
}

TEST(Placer, Unplaced_NeverWhenNoHostIsBigEnough) {
  RunCases({
      {"bigger than every host",
       {{Standard(1, "az-a"), MakeHost(2, "az-a", R(8192, 16384, 200, 10))}, ThreeSubnets()},
       {Task(R(16384, 32768, 20, 1), {"subnet-a"})},
       {WantUnplaced{"RESOURCE:CPU",
                     "the task needs 16384 CPU units; the largest host in az-a has 8192", true}}},
      {"memory bigger than every host, CPU free",
       {{Standard(1, "az-a"), Standard(2, "az-b")}, ThreeSubnets()},
       {Task(R(1024, 16384), {"subnet-a", "subnet-b"})},
       {WantUnplaced{"RESOURCE:MEMORY",
                     "the task needs 16384 MiB of memory; the largest host in az-a or az-b has "
                     "8192 MiB of memory",
                     true}}},
      {"each dimension on some host, none with all",
       {{MakeHost(1, "az-a", R(8192, 1024, 100, 10)), MakeHost(2, "az-a", R(1024, 8192, 100, 10))},
        ThreeSubnets()},
       {Task(R(2048, 2048), {"subnet-a"})},
       {WantUnplaced{"RESOURCE:CPU", "no host in az-a has that much even when empty", true}}},
      {"a big host in another candidate zone whose subnet is full: waiting helps",
       {{Standard(1, "az-a"), MakeHost(2, "az-b", R(16384, 32768, 100, 10))},
        {Subnet{"subnet-a", "az-a", 5}, Subnet{"subnet-b", "az-b", 0}}},
       {Task(R(8192, 1024), {"subnet-a", "subnet-b"})},
       {WantUnplaced{"RESOURCE:CPU", "no host in az-a has 8192 CPU units free", false}}},
      {"busy now but would fit when empty",
       {{Standard(1, "az-a", R(4096, 0))}, ThreeSubnets()},
       {Task(R(4096, 1024), {"subnet-a"})},
       {WantUnplaced{"RESOURCE:CPU", "no host in az-a has 4096 CPU units free", false}}},
  });
}

TEST(Placer, Unplaced_NoAddressOrNoSubnet) {
  RunCases({
      {"all subnets full",
       {{Standard(1, "az-a"), Standard(2, "az-b")}, ThreeSubnets(0)},
       {Task(kSmall, {"subnet-a", "subnet-b"})},
       {WantUnplaced{"RESOURCE:ENI", "no free address in subnet-a, subnet-b", false}}},
      {"all subnets full and the task too big",
       {{Standard(1, "az-a")}, ThreeSubnets(0)},
       {Task(R(8192, 1024), {"subnet-a"})},
       {WantUnplaced{"RESOURCE:ENI",
                     "no free address in subnet-a; the task needs 8192 CPU units; the largest "
                     "host in az-a has 4096",
                     true}}},
      {"unknown subnet",
       {{Standard(1, "az-a")}, ThreeSubnets()},
       {Task(kSmall, {"subnet-zz", "subnet-yy"})},
       {WantUnplaced{"MISSING", "none of the task's subnets is known: subnet-zz, subnet-yy",
                     true}}},
      {"no subnet at all",
       {{Standard(1, "az-a")}, ThreeSubnets()},
       {Task(kSmall, {})},
       {WantUnplaced{"MISSING", "the task names no subnet", true}}},
  });
}

TEST(Placer, Release_RestoresExactly) {
  const Snapshot snapshot{{Standard(1, "az-a", R(1024, 2048, 10, 1)), Standard(2, "az-b")},
                          ThreeSubnets(7),
                          {{"svc", "az-a", 3}}};
  Placer placer(snapshot);
  const TaskRequest task = Task(R(1024, 2048, 30, 1), {"subnet-a", "subnet-b"});
  const Decision decision = placer.Place(task);
  const auto* assignment = std::get_if<Assignment>(&decision);
  ASSERT_NE(assignment, nullptr);
  EXPECT_EQ(*assignment, (Assignment{2, "subnet-b", "az-b"}));
  EXPECT_EQ(placer.FindHost(2)->used, R(1024, 2048, 30, 1));
  EXPECT_EQ(placer.FindSubnet("subnet-b")->free_addresses, 6);
  EXPECT_EQ(placer.GroupTasks("svc", "az-b"), 1);

  placer.Release(task, *assignment);
  EXPECT_EQ(placer.FindHost(2)->used, R(0, 0));
  EXPECT_EQ(placer.FindSubnet("subnet-b")->free_addresses, 7);
  EXPECT_EQ(placer.GroupTasks("svc", "az-b"), 0);
  EXPECT_EQ(placer.FindHost(1)->used, R(1024, 2048, 10, 1));
  EXPECT_EQ(placer.GroupTasks("svc", "az-a"), 3);
  // The released capacity is usable again, and by the same rules.
  EXPECT_EQ(std::get<Assignment>(placer.Place(task)), *assignment);

  // Releasing a snapshot task (one the Placer did not place) frees its share.
  placer.Release(Task(R(1024, 2048, 10, 1), {}), Assignment{1, "subnet-a", "az-a"});
  EXPECT_EQ(placer.FindHost(1)->used, R(0, 0));
  EXPECT_EQ(placer.FindSubnet("subnet-a")->free_addresses, 8);
  EXPECT_EQ(placer.GroupTasks("svc", "az-a"), 2);
}

TEST(Placer, UpsertHost_ChangesCapacityAndState) {
  Placer placer(Snapshot{{Standard(1, "az-a")}, ThreeSubnets()});
  const TaskRequest big = Task(R(8192, 1024), {"subnet-a", "subnet-b"});
  EXPECT_TRUE(std::get<Unplaced>(placer.Place(big)).never);

  // Growing the host makes the task fit.
  placer.UpsertHost(MakeHost(1, "az-a", R(16384, 32768, 100, 10)));
  EXPECT_EQ(std::get<Assignment>(placer.Place(big)).host_id, 1);
  EXPECT_EQ(placer.FindHost(1)->used, R(8192, 1024));

  // A reload with fewer free resources is taken as given (the old view is dropped).
  placer.UpsertHost(MakeHost(1, "az-a", R(16384, 32768, 100, 10), R(16384, 0)));
  EXPECT_EQ(std::get<Unplaced>(placer.Place(Task(kSmall, {"subnet-a"}))).reason, "RESOURCE:CPU");

  // Draining: not chosen, and no longer counted as a registered host.
  placer.UpsertHost(MakeHost(1, "az-a", R(16384, 32768, 100, 10), {}, false));
  EXPECT_THAT(std::get<Unplaced>(placer.Place(Task(kSmall, {"subnet-a"}))).detail,
              HasSubstr("no host is registered in az-a"));

  // Back to accepting, moved to another zone.
  placer.UpsertHost(MakeHost(1, "az-b", R(16384, 32768, 100, 10)));
  EXPECT_EQ(std::get<Assignment>(placer.Place(big)), (Assignment{1, "subnet-b", "az-b"}));
  EXPECT_EQ(placer.host_count(), 1u);

  // New host registered.
  placer.UpsertHost(Standard(2, "az-a"));
  EXPECT_EQ(placer.host_count(), 2u);
  EXPECT_EQ(std::get<Assignment>(placer.Place(Task(kSmall, {"subnet-a"}))).host_id, 2);
}

TEST(Placer, RemoveHost_NoLongerChosen) {
  Placer placer(Snapshot{{Standard(1, "az-a", R(2048, 0)), Standard(2, "az-a")}, ThreeSubnets()});
  placer.RemoveHost(1);
  placer.RemoveHost(99);  // unknown: no-op
  EXPECT_EQ(placer.host_count(), 1u);
  EXPECT_EQ(placer.FindHost(1), nullptr);
  EXPECT_EQ(std::get<Assignment>(placer.Place(Task(kSmall, {"subnet-a"}))).host_id, 2);
  placer.RemoveHost(2);
  EXPECT_EQ(std::get<Unplaced>(placer.Place(Task(kSmall, {"subnet-a"}))).detail,
            "no host is registered in az-a");
}

TEST(Placer, UpsertSubnet_ReplacesAddressesAndZone) {
  Placer placer(Snapshot{{Standard(1, "az-a"), Standard(2, "az-b")}, ThreeSubnets(0)});
  EXPECT_EQ(std::get<Unplaced>(placer.Place(Task(kSmall, {"subnet-a"}))).reason, "RESOURCE:ENI");
  placer.UpsertSubnet(Subnet{"subnet-a", "az-b", 1});
  EXPECT_EQ(std::get<Assignment>(placer.Place(Task(kSmall, {"subnet-a"}))),
            (Assignment{2, "subnet-a", "az-b"}));
  EXPECT_EQ(placer.FindSubnet("subnet-a")->free_addresses, 0);
  placer.UpsertSubnet(Subnet{"subnet-new", "az-a", 3});
  EXPECT_EQ(std::get<Assignment>(placer.Place(Task(kSmall, {"subnet-new"}))).host_id, 1);
}

TEST(Placer, Copy_IsIndependent) {
  Placer original(Snapshot{{Standard(1, "az-a")}, ThreeSubnets()});
  Placer copy = original;
  ASSERT_TRUE(std::holds_alternative<Assignment>(copy.Place(Task(R(4096, 1024), {"subnet-a"}))));
  EXPECT_EQ(original.FindHost(1)->used, R(0, 0));
  EXPECT_TRUE(
      std::holds_alternative<Assignment>(original.Place(Task(R(4096, 1024), {"subnet-a"}))));
  Placer moved = std::move(copy);
  EXPECT_EQ(moved.FindHost(1)->used, R(4096, 1024));
}

TEST(Placer, GroupCounts_SnapshotRowsAddUp) {
  Placer placer(Snapshot{{}, {}, {{"svc", "az-a", 2}, {"svc", "az-a", 3}, {"svc", "az-b", 0}}});
  EXPECT_EQ(placer.GroupTasks("svc", "az-a"), 5);
  EXPECT_EQ(placer.GroupTasks("svc", "az-b"), 0);
  EXPECT_EQ(placer.GroupTasks("other", "az-a"), 0);
}

}  // namespace
}  // namespace gantry::placement
