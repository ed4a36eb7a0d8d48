// internal::BuildCapacityResponse over hand-built fleet snapshots: per-zone and fleet sums
// (used + free = total, schedulable only on ACTIVE connected hosts, lost hosts hold
// nothing), zone order, task buckets, subnet addresses, every member present in JSON,
// and the waiting tasks explained by the placement rules in queue order.
#include "api/internal/capacity.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "ecsjson/ecsjson.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"

namespace gantry::api::internal {
namespace {

using ::testing::HasSubstr;

constexpr char kSubnetA[] = "subnet-0aaaaaaaaaaaaaaaa";
constexpr char kSubnetB[] = "subnet-0bbbbbbbbbbbbbbbb";

// A created_at that reads as a small number of seconds after a fixed start.
absl::Time At(int64_t second) { return absl::FromUnixSeconds(1718000000 + second); }
double AtSeconds(int64_t second) { return static_cast<double>(1718000000 + second); }

storage::FleetHost Host(int64_t id, const std::string& zone, const std::string& status,
                        bool connected, storage::HostResources total, storage::HostResources used) {
  storage::FleetHost host;
  host.host_id = id;
  host.availability_zone = zone;
  host.status = status;
  host.agent_connected = connected;
  host.total = total;
  host.used = used;
  return host;
}

storage::FleetSubnet Subnet(const std::string& id, const std::string& zone, int32_t usable,
                            int32_t in_use) {
  return {id, "vpc-0123456789abcdef0", zone, "10.0.1.0/24", usable, in_use};
}

storage::WaitingTask Waiting(const std::string& id, storage::HostResources needs,
                             std::vector<std::string> subnets, int64_t created_second) {
  storage::WaitingTask task;
  task.task_id = id;
  task.group = "family:web";
  task.needs = needs;
  task.subnet_ids = std::move(subnets);
  task.created_at = At(created_second);
  return task;
}

// ---- Zones and the fleet -----------------------------------------------------------

struct Resource {
  double total = 0;
  double used = 0;
  double free = 0;
  double schedulable = 0;
};

// What one zone (or the fleet) must show.
struct ZoneWant {
  std::string name;
  int32_t active = 0;
  int32_t draining = 0;
  int32_t lost = 0;
  int32_t inactive = 0;
  Resource cpu, memory, storage, enis;
  int32_t running = 0;
  int32_t pending = 0;
  int32_t stopping = 0;
  int32_t waiting = 0;
};

void ExpectResource(const v1::ResourceCapacity& got, const Resource& want, const char* what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(got.total(), want.total);
  EXPECT_EQ(got.used(), want.used);
  EXPECT_EQ(got.free(), want.free);
  EXPECT_EQ(got.schedulable(), want.schedulable);
  EXPECT_EQ(got.used() + got.free(), got.total()) << "used + free = total";
}

void ExpectZone(const v1::ZoneCapacity& got, const ZoneWant& want) {
  SCOPED_TRACE(want.name);
  EXPECT_EQ(got.name(), want.name);
  EXPECT_EQ(got.hosts().active(), want.active);
  EXPECT_EQ(got.hosts().draining(), want.draining);
  EXPECT_EQ(got.hosts().lost(), want.lost);
  EXPECT_EQ(got.hosts().inactive(), want.inactive);
  ExpectResource(got.cpu(), want.cpu, "cpu");
  ExpectResource(got.memory(), want.memory, "memory");
  ExpectResource(got.ephemeral_storage(), want.storage, "ephemeralStorage");
  ExpectResource(got.eni_slots(), want.enis, "eniSlots");
  EXPECT_EQ(got.tasks().running(), want.running);
  EXPECT_EQ(got.tasks().pending(), want.pending);
  EXPECT_EQ(got.tasks().stopping(), want.stopping);
  EXPECT_EQ(got.tasks().waiting(), want.waiting);
}

struct ZonesCase {
  std::string name;
  storage::FleetSnapshot snapshot;
  std::vector<ZoneWant> zones;
  ZoneWant fleet;
};

std::vector<ZonesCase> ZonesCases() {
  std::vector<ZonesCase> cases;
  {
    ZonesCase c{.name = "one active host"};
    c.snapshot.hosts = {
        Host(1, "az-a", "ACTIVE", true, {4096, 8192, 200, 10}, {1024, 2048, 40, 2})};
    ZoneWant a{.name = "az-a",
               .active = 1,
               .cpu = {4096, 1024, 3072, 3072},
               .memory = {8192, 2048, 6144, 6144},
               .storage = {200, 40, 160, 160},
               .enis = {10, 2, 8, 8}};
    c.zones = {a};
    c.fleet = a;
    c.fleet.name = "all";
    cases.push_back(std::move(c));
  }
  {
    ZonesCase c{.name = "draining host counted, its free capacity not schedulable"};
    c.snapshot.hosts = {
        Host(1, "az-a", "ACTIVE", true, {4096, 8192, 200, 10}, {1024, 2048, 40, 2}),
        Host(2, "az-a", "DRAINING", true, {2048, 4096, 100, 4}, {512, 1024, 20, 1})};
    ZoneWant a{.name = "az-a",
               .active = 1,
               .draining = 1,
               .cpu = {6144, 1536, 4608, 3072},
               .memory = {12288, 3072, 9216, 6144},
               .storage = {300, 60, 240, 160},
               .enis = {14, 3, 11, 8}};
    c.zones = {a};
    c.fleet = a;
    c.fleet.name = "all";
    cases.push_back(std::move(c));
  }
  {
    ZonesCase c{.name = "lost hosts counted as lost and hold no capacity, whatever their status"};
    c.snapshot.hosts = {
        Host(1, "az-a", "ACTIVE", false, {4096, 8192, 200, 10}, {0, 0, 0, 0}),
        Host(2, "az-a", "DRAINING", false, {2048, 4096, 100, 4}, {512, 1024, 20, 1}),
        Host(3, "az-a", "ACTIVE", true, {1024, 2048, 50, 2}, {256, 512, 20, 1})};
    ZoneWant a{.name = "az-a",
               .active = 1,
               .lost = 2,
               .cpu = {1024, 256, 768, 768},
               .memory = {2048, 512, 1536, 1536},
               .storage = {50, 20, 30, 30},
               .enis = {2, 1, 1, 1}};
    c.zones = {a};
    c.fleet = a;
    c.fleet.name = "all";
    cases.push_back(std::move(c));
  }
  {
    ZonesCase c{.name = "inactive connected host holds capacity, not schedulable"};
    c.snapshot.hosts = {
        Host(1, "az-a", "INACTIVE", true, {4096, 8192, 200, 10}, {1024, 2048, 40, 2})};
    ZoneWant a{.name = "az-a",
               .inactive = 1,
               .cpu = {4096, 1024, 3072, 0},
               .memory = {8192, 2048, 6144, 0},
               .storage = {200, 40, 160, 0},
               .enis = {10, 2, 8, 0}};
    c.zones = {a};
    c.fleet = a;
    c.fleet.name = "all";
    cases.push_back(std::move(c));
  }
  {
    ZonesCase c{.name = "zones from hosts, subnets and tasks, sorted by name; fleet sums"};
    c.snapshot.hosts = {
        Host(7, "az-c", "ACTIVE", true, {2048, 4096, 100, 4}, {512, 1024, 20, 1}),
        Host(3, "az-b", "ACTIVE", true, {4096, 8192, 200, 10}, {0, 0, 0, 0}),
        Host(5, "az-c", "DRAINING", true, {1024, 2048, 50, 2}, {1024, 2048, 50, 2})};
    c.snapshot.subnets = {Subnet(kSubnetA, "az-d", 251, 0)};
    c.snapshot.placed_tasks = {{"az-c", "RUNNING", 3}};
    c.snapshot.waiting_by_zone = {{"az-e", 2}, {"az-a", 4}};
    c.snapshot.waiting_total = 5;
    c.zones = {ZoneWant{.name = "az-a", .waiting = 4},
               ZoneWant{.name = "az-b",
                        .active = 1,
                        .cpu = {4096, 0, 4096, 4096},
                        .memory = {8192, 0, 8192, 8192},
                        .storage = {200, 0, 200, 200},
                        .enis = {10, 0, 10, 10}},
               ZoneWant{.name = "az-c",
                        .active = 1,
                        .draining = 1,
                        .cpu = {3072, 1536, 1536, 1536},
                        .memory = {6144, 3072, 3072, 3072},
                        .storage = {150, 70, 80, 80},
                        .enis = {6, 3, 3, 3},
                        .running = 3},
               ZoneWant{.name = "az-d"}, ZoneWant{.name = "az-e", .waiting = 2}};
    // Waiting is the snapshot's total, not the sum over zones (a task may count in several).
    c.fleet = ZoneWant{.name = "all",
                       .active = 2,
                       .draining = 1,
                       .cpu = {7168, 1536, 5632, 5632},
                       .memory = {14336, 3072, 11264, 11264},
                       .storage = {350, 70, 280, 280},
                       .enis = {16, 3, 13, 13},
                       .running = 3,
                       .waiting = 5};
    cases.push_back(std::move(c));
  }
  {
    ZonesCase c{.name = "task statuses in their buckets"};
    c.snapshot.hosts = {
        Host(1, "az-a", "ACTIVE", true, {8192, 16384, 400, 20}, {2048, 4096, 160, 8}),
        Host(2, "az-b", "ACTIVE", true, {8192, 16384, 400, 20}, {1024, 2048, 60, 3})};
    c.snapshot.placed_tasks = {
        {"az-a", "RUNNING", 2},        {"az-a", "PROVISIONING", 1}, {"az-a", "PENDING", 1},
        {"az-a", "ACTIVATING", 1},     {"az-a", "DEACTIVATING", 1}, {"az-a", "STOPPING", 1},
        {"az-a", "DEPROVISIONING", 1}, {"az-b", "RUNNING", 1},      {"az-b", "PENDING", 2}};
    c.zones = {ZoneWant{.name = "az-a",
                        .active = 1,
                        .cpu = {8192, 2048, 6144, 6144},
                        .memory = {16384, 4096, 12288, 12288},
                        .storage = {400, 160, 240, 240},
                        .enis = {20, 8, 12, 12},
                        .running = 2,
                        .pending = 3,
                        .stopping = 3},
               ZoneWant{.name = "az-b",
                        .active = 1,
                        .cpu = {8192, 1024, 7168, 7168},
                        .memory = {16384, 2048, 14336, 14336},
                        .storage = {400, 60, 340, 340},
                        .enis = {20, 3, 17, 17},
                        .running = 1,
                        .pending = 2}};
    c.fleet = ZoneWant{.name = "all",
                       .active = 2,
                       .cpu = {16384, 3072, 13312, 13312},
                       .memory = {32768, 6144, 26624, 26624},
                       .storage = {800, 220, 580, 580},
                       .enis = {40, 11, 29, 29},
                       .running = 3,
                       .pending = 5,
                       .stopping = 3};
    cases.push_back(std::move(c));
  }
  {
    ZonesCase c{.name = "empty fleet: no zones, fleet all zeros"};
    c.fleet = ZoneWant{.name = "all"};
    cases.push_back(std::move(c));
  }
  return cases;
}

TEST(BuildCapacityResponse, Zones_SumsCountsAndOrder) {
  for (const ZonesCase& c : ZonesCases()) {
    SCOPED_TRACE(c.name);
    v1::DescribeCapacityResponse response = BuildCapacityResponse(c.snapshot, "");
    ASSERT_EQ(response.availability_zones_size(), static_cast<int>(c.zones.size()));
    for (size_t i = 0; i < c.zones.size(); ++i) {
      ExpectZone(response.availability_zones(static_cast<int>(i)), c.zones[i]);
    }
    ExpectZone(response.fleet(), c.fleet);
  }
}

TEST(BuildCapacityResponse, Subnets_AddressesInSnapshotOrder) {
  storage::FleetSnapshot snapshot;
  snapshot.subnets = {Subnet(kSubnetA, "az-a", 251, 7), Subnet(kSubnetB, "az-b", 11, 11)};
  snapshot.subnets[1].cidr_block = "10.0.2.0/28";
  v1::DescribeCapacityResponse response = BuildCapacityResponse(snapshot, "");
  ASSERT_EQ(response.subnets_size(), 2);
  const v1::SubnetCapacity& a = response.subnets(0);
  EXPECT_EQ(a.subnet_id(), kSubnetA);
  EXPECT_EQ(a.vpc_id(), "vpc-0123456789abcdef0");
  EXPECT_EQ(a.availability_zone(), "az-a");
  EXPECT_EQ(a.cidr_block(), "10.0.1.0/24");
  EXPECT_EQ(a.addresses().total(), 251);
  EXPECT_EQ(a.addresses().used(), 7);
  EXPECT_EQ(a.addresses().free(), 244);
  const v1::SubnetCapacity& b = response.subnets(1);
  EXPECT_EQ(b.subnet_id(), kSubnetB);
  EXPECT_EQ(b.cidr_block(), "10.0.2.0/28");
  EXPECT_EQ(b.addresses().total(), 11);
  EXPECT_EQ(b.addresses().used(), 11);
  EXPECT_TRUE(b.addresses().has_free());
  EXPECT_EQ(b.addresses().free(), 0);
  // Subnets' zones are zones even without hosts.
  ASSERT_EQ(response.availability_zones_size(), 2);
  EXPECT_EQ(response.availability_zones(0).name(), "az-a");
  EXPECT_EQ(response.availability_zones(1).name(), "az-b");
}

TEST(BuildCapacityResponse, ClusterAndSnapshotTime_Echoed) {
  storage::FleetSnapshot snapshot;
  snapshot.taken_at = absl::FromUnixMicros(1718000000250000);
  v1::DescribeCapacityResponse response = BuildCapacityResponse(snapshot, "batch");
  EXPECT_EQ(response.cluster(), "batch");
  EXPECT_DOUBLE_EQ(response.snapshot_at(), 1718000000.25);
  EXPECT_EQ(BuildCapacityResponse(snapshot, "").cluster(), "");
}

TEST(BuildCapacityResponse, Json_EveryMemberPresentWithZeros) {
  storage::FleetSnapshot snapshot;
  snapshot.subnets = {Subnet(kSubnetA, "az-a", 11, 0)};
  snapshot.waiting_total = 1;
  snapshot.waiting = {Waiting("t1", {256, 512, 20, 1}, {kSubnetA}, 1)};
  const std::string json = ecsjson::ToJson(BuildCapacityResponse(snapshot, ""), /*pretty=*/true);
  for (const char* member : {"\"active\": 0",
                             "\"draining\": 0",
                             "\"lost\": 0",
                             "\"inactive\": 0",
                             "\"total\": 0",
                             "\"used\": 0",
                             "\"free\": 0",
                             "\"schedulable\": 0",
                             "\"running\": 0",
                             "\"pending\": 0",
                             "\"stopping\": 0",
                             "\"waiting\": 0",
                             "\"cpu\": {",
                             "\"memory\": {",
                             "\"ephemeralStorage\": {",
                             "\"eniSlots\": {",
                             "\"name\": \"all\"",
                             "\"never\": false",
                             "\"explained\": 1",
                             "\"oldestCreatedAt\": 1718000001",
                             "\"cluster\": \"\"",
                             "\"snapshotAt\": "}) {
    EXPECT_THAT(json, HasSubstr(member));
  }
  // The zone that has only a subnet shows all its members too: count one of them per
  // ZoneCapacity (the zone and the fleet).
  size_t draining = 0;
  for (size_t at = json.find("\"draining\": 0"); at != std::string::npos;
       at = json.find("\"draining\": 0", at + 1)) {
    ++draining;
  }
  EXPECT_EQ(draining, 2u) << json;
}

// ---- Waiting tasks ---------------------------------------------------------------

// One host in az-a with {1024 CPU, 3072 MiB, 80 GiB, 3 ENI slots} free of
// {2048, 4096, 100, 4}; a draining host with much more free (unusable); subnet A in az-a
// with free addresses, subnet B in az-b (no host there).
storage::FleetSnapshot WaitingFleet() {
  storage::FleetSnapshot snapshot;
  snapshot.hosts = {Host(1, "az-a", "ACTIVE", true, {2048, 4096, 100, 4}, {1024, 1024, 20, 1}),
                    Host(2, "az-a", "DRAINING", true, {16384, 65536, 400, 30}, {0, 0, 0, 0}),
                    Host(3, "az-a", "ACTIVE", false, {16384, 65536, 400, 30}, {0, 0, 0, 0})};
  snapshot.subnets = {Subnet(kSubnetA, "az-a", 251, 1), Subnet(kSubnetB, "az-b", 11, 0)};
  return snapshot;
}

struct ReasonWant {
  std::string reason;
  std::string detail_substring;
  int32_t tasks = 0;
  bool never = false;
  double oldest_created_at = 0;
};

struct WaitingCase {
  std::string name;
  storage::FleetSnapshot snapshot;
  std::vector<ReasonWant> want;
};

std::vector<WaitingCase> WaitingCases() {
  std::vector<WaitingCase> cases;
  auto add = [&cases](std::string name, std::vector<storage::WaitingTask> waiting,
                      std::vector<ReasonWant> want) {
    WaitingCase c{.name = std::move(name), .snapshot = WaitingFleet(), .want = std::move(want)};
    c.snapshot.waiting_total = static_cast<int32_t>(waiting.size());
    c.snapshot.waiting = std::move(waiting);
    cases.push_back(std::move(c));
  };
  add("nothing waiting", {}, {});
  add("fits: placeable", {Waiting("t1", {512, 1024, 20, 1}, {kSubnetA}, 3)},
      {{"PLACEABLE", "next round", 1, false, AtSeconds(3)}});
  add("more CPU than free, less than the host: waits",
      {Waiting("t1", {1536, 1024, 20, 1}, {kSubnetA}, 3)},
      {{"RESOURCE:CPU", "no host in az-a has 1536 CPU units free", 1, false, AtSeconds(3)}});
  add("more CPU than any accepting host: never",
      {Waiting("t1", {4096, 1024, 20, 1}, {kSubnetA}, 3)},
      {{"RESOURCE:CPU", "the largest host in az-a has 2048 CPU units", 1, true, AtSeconds(3)}});
  add("more memory than free, less than the host: waits",
      {Waiting("t1", {512, 4000, 20, 1}, {kSubnetA}, 3)},
      {{"RESOURCE:MEMORY", "no host in az-a has 4000 MiB of memory free", 1, false, AtSeconds(3)}});
  add("more memory than any accepting host: never",
      {Waiting("t1", {512, 8192, 20, 1}, {kSubnetA}, 3)},
      {{"RESOURCE:MEMORY", "the largest host in az-a has 4096 MiB of memory", 1, true,
        AtSeconds(3)}});
  add("more storage than free: waits", {Waiting("t1", {512, 1024, 90, 1}, {kSubnetA}, 3)},
      {{"RESOURCE:EPHEMERAL_STORAGE", "90 GiB of ephemeral storage", 1, false, AtSeconds(3)}});
  add("unknown subnet: missing", {Waiting("t1", {512, 1024, 20, 1}, {"subnet-0unknown"}, 3)},
      {{"MISSING", "subnet-0unknown", 1, true, AtSeconds(3)}});
  add("zone without hosts: waits for a host", {Waiting("t1", {512, 1024, 20, 1}, {kSubnetB}, 3)},
      {{"RESOURCE:CPU", "no host is registered in az-b", 1, false, AtSeconds(3)}});
  add("two tasks competing for the last room: the first in the queue gets it",
      {Waiting("first", {1024, 1024, 20, 1}, {kSubnetA}, 5),
       Waiting("second", {1024, 1024, 20, 1}, {kSubnetA}, 4)},
      {{"PLACEABLE", "", 1, false, AtSeconds(5)},
       {"RESOURCE:CPU", "no host in az-a has 1024 CPU units free", 1, false, AtSeconds(4)}});
  add("equal outcomes grouped, in order of first appearance, oldest is the first one",
      {Waiting("big1", {4096, 1024, 20, 1}, {kSubnetA}, 10),
       Waiting("fits", {256, 512, 20, 1}, {kSubnetA}, 11),
       Waiting("gone", {256, 512, 20, 1}, {"subnet-0unknown"}, 12),
       Waiting("big2", {4096, 1024, 20, 1}, {kSubnetA}, 13),
       Waiting("fits2", {256, 512, 20, 1}, {kSubnetA}, 14),
       Waiting("big3", {4096, 1024, 20, 1}, {kSubnetA}, 15)},
      {{"RESOURCE:CPU", "the largest host in az-a has 2048 CPU units", 3, true, AtSeconds(10)},
       {"PLACEABLE", "", 2, false, AtSeconds(11)},
       {"MISSING", "subnet-0unknown", 1, true, AtSeconds(12)}});
  add("different sizes are different details",
      {Waiting("a", {1536, 1024, 20, 1}, {kSubnetA}, 1),
       Waiting("b", {1792, 1024, 20, 1}, {kSubnetA}, 2)},
      {{"RESOURCE:CPU", "1536 CPU units free", 1, false, AtSeconds(1)},
       {"RESOURCE:CPU", "1792 CPU units free", 1, false, AtSeconds(2)}});
  {
    WaitingCase c{.name = "subnet out of addresses: ENI", .snapshot = WaitingFleet()};
    c.snapshot.subnets[0].addresses_in_use = 251;
    c.snapshot.waiting_total = 1;
    c.snapshot.waiting = {Waiting("t1", {256, 512, 20, 1}, {kSubnetA}, 3)};
    c.want = {{"RESOURCE:ENI", kSubnetA, 1, false, AtSeconds(3)}};
    cases.push_back(std::move(c));
  }
  {
    WaitingCase c{.name = "host out of ENI slots: ENI", .snapshot = WaitingFleet()};
    c.snapshot.hosts[0].used.enis = 4;
    c.snapshot.waiting_total = 1;
    c.snapshot.waiting = {Waiting("t1", {256, 512, 20, 1}, {kSubnetA}, 3)};
    c.want = {{"RESOURCE:ENI", "ENI slot", 1, false, AtSeconds(3)}};
    cases.push_back(std::move(c));
  }
  return cases;
}

TEST(BuildCapacityResponse, Waiting_ReasonsFromPlacementInQueueOrder) {
  for (const WaitingCase& c : WaitingCases()) {
    SCOPED_TRACE(c.name);
    v1::DescribeCapacityResponse response = BuildCapacityResponse(c.snapshot, "");
    const v1::WaitingTasks& waiting = response.waiting();
    EXPECT_EQ(waiting.total(), c.snapshot.waiting_total);
    EXPECT_EQ(waiting.explained(), static_cast<int32_t>(c.snapshot.waiting.size()));
    ASSERT_EQ(waiting.reasons_size(), static_cast<int>(c.want.size()));
    for (size_t i = 0; i < c.want.size(); ++i) {
      SCOPED_TRACE(i);
      const v1::WaitingReason& got = waiting.reasons(static_cast<int>(i));
      const ReasonWant& want = c.want[i];
      EXPECT_EQ(got.reason(), want.reason);
      EXPECT_THAT(got.detail(), HasSubstr(want.detail_substring));
      EXPECT_EQ(got.tasks(), want.tasks);
      EXPECT_EQ(got.never(), want.never);
      EXPECT_EQ(got.oldest_created_at(), want.oldest_created_at);
    }
  }
}

TEST(BuildCapacityResponse, Waiting_TotalBeyondTheExplained_CountedOnly) {
  storage::FleetSnapshot snapshot = WaitingFleet();
  snapshot.waiting_total = 40;
  snapshot.waiting = {Waiting("t1", {256, 512, 20, 1}, {kSubnetA}, 1),
                      Waiting("t2", {256, 512, 20, 1}, {kSubnetA}, 2)};
  v1::DescribeCapacityResponse response = BuildCapacityResponse(snapshot, "");
  EXPECT_EQ(response.waiting().total(), 40);
  EXPECT_EQ(response.waiting().explained(), 2);
  ASSERT_EQ(response.waiting().reasons_size(), 1);
  EXPECT_EQ(response.waiting().reasons(0).tasks(), 2);
  EXPECT_EQ(response.fleet().tasks().waiting(), 40);
}

// Explaining waiting tasks places them only in a private view: the response's
// capacity figures are the snapshot's.
TEST(BuildCapacityResponse, Waiting_DoesNotChangeTheFigures) {
  storage::FleetSnapshot snapshot = WaitingFleet();
  snapshot.waiting_total = 1;
  snapshot.waiting = {Waiting("t1", {512, 1024, 20, 1}, {kSubnetA}, 1)};
  v1::DescribeCapacityResponse response = BuildCapacityResponse(snapshot, "");
  ASSERT_EQ(response.availability_zones_size(), 2);
  const v1::ZoneCapacity& a = response.availability_zones(0);
  EXPECT_EQ(a.cpu().used(), 1024);
  EXPECT_EQ(a.cpu().schedulable(), 1024);
  EXPECT_EQ(response.subnets(0).addresses().used(), 1);
  EXPECT_EQ(response.waiting().reasons(0).reason(), "PLACEABLE");
}

// The spread counts steer the zone choice as in the scheduler: group G already has two
// tasks in az-a, so W1 (az-a or az-b) goes to az-b and takes its last room; W2 (az-b
// only) then cannot be placed. Without the counts W1 would tie and go to az-a.
TEST(BuildCapacityResponse, Waiting_SpreadCountsSteerZonesAsTheScheduler) {
  storage::FleetSnapshot snapshot;
  snapshot.hosts = {Host(1, "az-a", "ACTIVE", true, {1024, 2048, 200, 10}, {512, 1024, 40, 2}),
                    Host(2, "az-b", "ACTIVE", true, {512, 1024, 200, 10}, {0, 0, 0, 0})};
  snapshot.subnets = {Subnet(kSubnetA, "az-a", 251, 2), Subnet(kSubnetB, "az-b", 251, 0)};
  snapshot.group_counts = {{"000000000000", "default", "family:web", "az-a", 2}};
  storage::WaitingTask w1 = Waiting("w1", {512, 1024, 20, 1}, {kSubnetA, kSubnetB}, 1);
  storage::WaitingTask w2 = Waiting("w2", {512, 1024, 20, 1}, {kSubnetB}, 2);
  for (storage::WaitingTask* task : {&w1, &w2}) {
    task->account_id = "000000000000";
    task->cluster = "default";
  }
  snapshot.waiting = {w1, w2};
  snapshot.waiting_total = 2;
  v1::DescribeCapacityResponse response = BuildCapacityResponse(snapshot, "");
  ASSERT_EQ(response.waiting().reasons_size(), 2);
  EXPECT_EQ(response.waiting().reasons(0).reason(), "PLACEABLE");
  EXPECT_EQ(response.waiting().reasons(1).reason(), "RESOURCE:CPU");
  EXPECT_EQ(response.waiting().reasons(1).tasks(), 1);
}

// With a cluster filter, other clusters' tasks ahead in the queue still take the room
// first; only the counted ones are reported.
TEST(BuildCapacityResponse, Waiting_UncountedTasksAheadTakeTheRoom) {
  storage::FleetSnapshot snapshot;
  snapshot.hosts = {Host(1, "az-a", "ACTIVE", true, {1024, 2048, 200, 10}, {512, 1024, 40, 2})};
  snapshot.subnets = {Subnet(kSubnetA, "az-a", 251, 2)};
  storage::WaitingTask other = Waiting("other", {512, 1024, 20, 1}, {kSubnetA}, 1);
  other.cluster = "batch";
  other.counted = false;
  storage::WaitingTask mine = Waiting("mine", {512, 1024, 20, 1}, {kSubnetA}, 2);
  mine.cluster = "prod";
  snapshot.waiting = {other, mine};
  snapshot.waiting_total = 1;
  v1::DescribeCapacityResponse response = BuildCapacityResponse(snapshot, "prod");
  EXPECT_EQ(response.waiting().total(), 1);
  EXPECT_EQ(response.waiting().explained(), 1);
  ASSERT_EQ(response.waiting().reasons_size(), 1);
  EXPECT_EQ(response.waiting().reasons(0).reason(), "RESOURCE:CPU");
  EXPECT_EQ(response.waiting().reasons(0).oldest_created_at(), AtSeconds(2));
}

}  // namespace
}  // namespace gantry::api::internal
