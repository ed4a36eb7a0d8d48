// AdminOperations::DescribeCapacity over a fleet built in a real PostgreSQL with the
// storage functions: hosts in three zones (one drained, one lost), tasks placed by
// CommitRound in two clusters and moved on by agent reports and StopTask, tasks left
// waiting. The expected figures come from a model of what the test created, not from
// the code under test.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "common/ids.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/api/call_and_wait.h"
#include "tests/support/invariants.h"
#include "tests/support/pg_harness.h"
#include "tests/support/status_matchers.h"

namespace gantry::api {
namespace {

using ::gantry::api::test::CallOnce;
using ::gantry::testing::IsOk;
using ::gantry::testing::PgHarness;
using ::gantry::testing::SchedulerInvariantViolations;
using ::gantry::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kAccount[] = "000000000000";
constexpr char kClusterArnPrefix[] = "arn:aws:ecs:us-east-1:000000000000:cluster/";

std::string Diff(const google::protobuf::Message& want, const google::protobuf::Message& got) {
  std::string report;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&report);
  return differencer.Compare(want, got) ? "" : report;
}

struct Size {
  int32_t cpu = 0;
  int32_t memory = 0;
  int32_t storage = 0;
};

// A host as the test made it.
struct ModelHost {
  storage::HostRow row;
  std::string status = "ACTIVE";
  bool lost = false;
};

// A task as the test made it, with the lastStatus it must have now.
struct ModelTask {
  std::string task_id;
  std::string cluster;
  Size size;
  std::vector<std::string> subnet_ids;  // candidates
  int64_t host_id = 0;                  // 0: waiting
  std::string subnet_id;                // where placed
  std::string last_status = "PROVISIONING";
};

struct ModelSubnet {
  std::string subnet_id;
  std::string zone;
  std::string cidr_block;
  int32_t usable = 0;
};

v1::ResourceCapacity ZeroResource() {
  v1::ResourceCapacity resource;
  resource.set_total(0);
  resource.set_used(0);
  resource.set_free(0);
  resource.set_schedulable(0);
  return resource;
}

v1::ZoneCapacity ZeroZone(const std::string& name) {
  v1::ZoneCapacity zone;
  zone.set_name(name);
  zone.mutable_hosts()->set_active(0);
  zone.mutable_hosts()->set_draining(0);
  zone.mutable_hosts()->set_lost(0);
  zone.mutable_hosts()->set_inactive(0);
  *zone.mutable_cpu() = ZeroResource();
  *zone.mutable_memory() = ZeroResource();
  *zone.mutable_ephemeral_storage() = ZeroResource();
  *zone.mutable_eni_slots() = ZeroResource();
  zone.mutable_tasks()->set_running(0);
  zone.mutable_tasks()->set_pending(0);
  zone.mutable_tasks()->set_stopping(0);
  zone.mutable_tasks()->set_waiting(0);
  return zone;
}

void Count(v1::ResourceCapacity* resource, int64_t total, int64_t used, bool schedulable) {
  resource->set_total(resource->total() + static_cast<double>(total));
  resource->set_used(resource->used() + static_cast<double>(used));
  resource->set_free(resource->free() + static_cast<double>(total - used));
  if (schedulable) {
    resource->set_schedulable(resource->schedulable() + static_cast<double>(total - used));
  }
}

bool Live(const ModelTask& task) { return task.host_id != 0 && task.last_status != "STOPPED"; }

class CapacityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = PgHarness::Get().NewDatabase();
    absl::StatusOr<std::unique_ptr<storage::Connection>> connection =
        storage::Connection::Open(conninfo_);
    ASSERT_THAT(connection, IsOk());
    connection_ = *std::move(connection);
    storage::Database::Options options;
    options.conninfo = conninfo_;
    options.workers = 2;
    absl::StatusOr<std::unique_ptr<storage::Database>> database = storage::Database::Open(options);
    ASSERT_THAT(database, IsOk());
    database_ = *std::move(database);
    admin_ = std::make_unique<AdminOperations>(Config{}, database_.get(), /*keys=*/nullptr,
                                               /*secrets=*/nullptr);

    for (const char* cluster : {"default", "batch"}) {
      ASSERT_THAT(storage::CreateCluster(*connection_, kAccount, cluster, {}), IsOk());
    }
    v1::TaskDefinition web;
    web.set_family("web");
    web.set_cpu("256");
    web.set_memory("512");
    web.set_network_mode("awsvpc");
    v1::ContainerDefinition* container = web.add_container_definitions();
    container->set_name("app");
    container->set_image("nginx:1.27");
    ASSERT_THAT(storage::RegisterTaskDefinition(*connection_, kAccount, web, {}, "test"), IsOk());
    absl::StatusOr<storage::VpcRow> vpc = storage::CreateVpc(*connection_, kAccount, "10.0.0.0/16");
    ASSERT_THAT(vpc, IsOk());
    vpc_id_ = vpc->vpc_id;
  }

  // Queued work refers to the operations object: drain it before it goes away.
  void TearDown() override {
    if (database_ != nullptr) {
      database_->Shutdown();
    }
    EXPECT_THAT(SchedulerInvariantViolations(conninfo_), IsEmpty());
  }

  std::string Subnet(const std::string& cidr, const std::string& zone, int32_t usable) {
    absl::StatusOr<storage::SubnetRow> subnet =
        storage::CreateSubnet(*connection_, kAccount, vpc_id_, cidr, zone);
    EXPECT_THAT(subnet, IsOk());
    if (!subnet.ok()) return "";
    subnets_.push_back({subnet->subnet_id, zone, cidr, usable});
    return subnet->subnet_id;
  }

  // Registers a host; returns its index in hosts_.
  size_t Host(const std::string& zone, storage::HostResources total) {
    absl::StatusOr<storage::HostRow> host =
        storage::RegisterHost(*connection_, {zone, total, "test", "h"});
    EXPECT_THAT(host, IsOk());
    hosts_.push_back({host.ok() ? *host : storage::HostRow{}, "ACTIVE", false});
    return hosts_.size() - 1;
  }

  storage::NewTask NewTask(const std::string& cluster, Size size,
                           std::vector<std::string> subnet_ids) {
    storage::NewTask task;
    task.task_id = ids::RandomHex(32);
    task.account_id = kAccount;
    task.cluster = cluster;
    task.family = "web";
    task.revision = 1;
    task.group = "family:web";
    task.cpu_units = size.cpu;
    task.memory_mib = size.memory;
    task.ephemeral_storage_gib = size.storage;
    task.subnet_ids = std::move(subnet_ids);
    task.security_group_ids = {"sg-0123456789abcdef0"};
    v1::Container container;
    container.set_name("app");
    task.containers = {container};
    return task;
  }

  struct Placement {
    std::string cluster;
    size_t host = 0;
    std::string subnet_id;
    Size size;
  };

  // Places every task in one round; returns their indexes in tasks_.
  std::vector<size_t> Place(const std::vector<Placement>& placements) {
    storage::Round round{.region = "us-east-1"};
    std::vector<size_t> indexes;
    for (const Placement& p : placements) {
      const storage::HostRow& host = hosts_[p.host].row;
      round.new_tasks.push_back(NewTask(p.cluster, p.size, {p.subnet_id}));
      round.placements.push_back(
          {round.new_tasks.back().task_id, host.host_id, p.subnet_id, host.availability_zone});
      tasks_.push_back({round.new_tasks.back().task_id,
                        p.cluster,
                        p.size,
                        {p.subnet_id},
                        host.host_id,
                        p.subnet_id,
                        "PROVISIONING"});
      indexes.push_back(tasks_.size() - 1);
    }
    absl::StatusOr<storage::RoundResult> result = storage::CommitRound(*connection_, round);
    EXPECT_THAT(result, IsOk());
    if (result.ok()) {
      EXPECT_THAT(result->displaced_task_ids, IsEmpty());
    }
    return indexes;
  }

  // A task left waiting (a round that inserts it and places nothing); its index.
  size_t Wait(const std::string& cluster, Size size, std::vector<std::string> subnet_ids) {
    storage::Round round{.region = "us-east-1"};
    round.new_tasks.push_back(NewTask(cluster, size, subnet_ids));
    tasks_.push_back({round.new_tasks.back().task_id, cluster, size, std::move(subnet_ids), 0, "",
                      "PROVISIONING"});
    EXPECT_THAT(storage::CommitRound(*connection_, round), IsOk());
    return tasks_.size() - 1;
  }

  // Hands the host's launch commands to its "agent" and acknowledges them.
  void Deliver(size_t host) {
    const std::string& instance_id = hosts_[host].row.instance_id;
    absl::StatusOr<storage::PolledCommands> polled =
        storage::TakeCommands(*connection_, instance_id, 0, 100);
    ASSERT_THAT(polled, IsOk());
    if (!polled->commands.empty()) {
      ASSERT_THAT(storage::AckCommands(*connection_, instance_id, polled->commands.back().sequence),
                  IsOk());
    }
  }

  // The task's agent reports `status`.
  void Report(size_t task, const std::string& status) {
    ModelTask& model = tasks_[task];
    std::string instance_id;
    for (const ModelHost& host : hosts_) {
      if (host.row.host_id == model.host_id) instance_id = host.row.instance_id;
    }
    storage::TaskReport report;
    report.task_id = model.task_id;
    report.status = status;
    report.at = absl::Now();
    absl::StatusOr<storage::ReportsApplied> applied =
        storage::ApplyTaskReports(*connection_, instance_id, {report});
    ASSERT_THAT(applied, IsOk());
    ASSERT_THAT(applied->results, SizeIs(1));
    EXPECT_EQ(applied->results[0].outcome, storage::ReportOutcome::kApplied) << status;
    model.last_status = status;
  }

  // StopTask as a user would. `at_once`: the task stops now (no agent has it), giving
  // back its share if it was placed; otherwise the stop goes through its agent.
  void Stop(size_t task, bool at_once) {
    ModelTask& model = tasks_[task];
    absl::StatusOr<storage::StopResult> stopped = storage::StopTask(
        *connection_, kAccount, model.cluster, model.task_id, "UserInitiated", "capacity test");
    ASSERT_THAT(stopped, IsOk());
    EXPECT_EQ(stopped->task.last_status == "STOPPED", at_once);
    EXPECT_EQ(stopped->released, at_once && model.host_id != 0);
    if (at_once) model.last_status = "STOPPED";
  }

  void Drain(size_t host) {
    ASSERT_THAT(storage::UpdateHostStatus(*connection_, {hosts_[host].row.instance_id}, "DRAINING"),
                IsOk());
    hosts_[host].status = "DRAINING";
  }

  // The host misses its heartbeats: declared lost, its tasks stopped.
  void Lose(size_t host) {
    pqxx::connection admin(conninfo_);
    pqxx::work tx(admin);
    tx.exec_params0("UPDATE hosts SET last_seen_at = now() - interval '1 hour' WHERE host_id = $1",
                    hosts_[host].row.host_id);
    tx.commit();
    absl::StatusOr<std::vector<storage::LostHost>> lost =
        storage::MarkLostHosts(*connection_, absl::Seconds(30), 10);
    ASSERT_THAT(lost, IsOk());
    ASSERT_THAT(*lost, SizeIs(1));
    EXPECT_EQ(lost->at(0).instance_id, hosts_[host].row.instance_id);
    hosts_[host].lost = true;
    for (ModelTask& task : tasks_) {
      if (task.host_id == hosts_[host].row.host_id) task.last_status = "STOPPED";
    }
  }

  absl::StatusOr<v1::DescribeCapacityResponse> Describe(const std::string& cluster = "") {
    v1::DescribeCapacityRequest request;
    if (!cluster.empty()) request.set_cluster(cluster);
    return CallOnce(*admin_, &AdminOperations::DescribeCapacity, request);
  }

  std::string ZoneOfSubnet(const std::string& subnet_id) const {
    for (const ModelSubnet& subnet : subnets_) {
      if (subnet.subnet_id == subnet_id) return subnet.zone;
    }
    return "";
  }

  // What the response must say per zone and for the fleet, from the model: host figures
  // over the whole fleet, task counts over `cluster`'s tasks (every task when empty).
  std::vector<v1::ZoneCapacity> WantZones(const std::string& cluster,
                                          v1::ZoneCapacity* fleet) const {
    std::map<std::string, v1::ZoneCapacity> zones;
    auto zone = [&zones](const std::string& name) -> v1::ZoneCapacity& {
      return zones.try_emplace(name, ZeroZone(name)).first->second;
    };
    for (const ModelSubnet& subnet : subnets_) zone(subnet.zone);
    int32_t waiting_total = 0;
    for (const ModelHost& host : hosts_) {
      v1::ZoneCapacity& z = zone(host.row.availability_zone);
      v1::HostCounts* counts = z.mutable_hosts();
      if (host.lost) {
        counts->set_lost(counts->lost() + 1);
        continue;
      }
      if (host.status == "ACTIVE") counts->set_active(counts->active() + 1);
      if (host.status == "DRAINING") counts->set_draining(counts->draining() + 1);
      // Whatever the cluster filter: every live task holds its share of the host.
      Size used;
      int32_t enis = 0;
      for (const ModelTask& task : tasks_) {
        if (Live(task) && task.host_id == host.row.host_id) {
          used.cpu += task.size.cpu;
          used.memory += task.size.memory;
          used.storage += task.size.storage;
          ++enis;
        }
      }
      const bool schedulable = host.status == "ACTIVE";
      const storage::HostResources& total = host.row.total;
      Count(z.mutable_cpu(), total.cpu_units, used.cpu, schedulable);
      Count(z.mutable_memory(), total.memory_mib, used.memory, schedulable);
      Count(z.mutable_ephemeral_storage(), total.ephemeral_storage_gib, used.storage, schedulable);
      Count(z.mutable_eni_slots(), total.enis, enis, schedulable);
    }
    for (const ModelTask& task : tasks_) {
      if (!cluster.empty() && task.cluster != cluster) continue;
      if (task.host_id == 0) {
        if (task.last_status != "PROVISIONING") continue;
        ++waiting_total;
        std::set<std::string> task_zones;
        for (const std::string& subnet_id : task.subnet_ids) {
          task_zones.insert(ZoneOfSubnet(subnet_id));
        }
        for (const std::string& name : task_zones) {
          v1::TaskCounts* tasks = zone(name).mutable_tasks();
          tasks->set_waiting(tasks->waiting() + 1);
        }
        continue;
      }
      if (!Live(task)) continue;
      v1::TaskCounts* tasks = zone(ZoneOfHost(task.host_id)).mutable_tasks();
      if (task.last_status == "RUNNING") {
        tasks->set_running(tasks->running() + 1);
      } else if (task.last_status == "DEACTIVATING" || task.last_status == "STOPPING" ||
                 task.last_status == "DEPROVISIONING") {
        tasks->set_stopping(tasks->stopping() + 1);
      } else {
        tasks->set_pending(tasks->pending() + 1);
      }
    }
    *fleet = ZeroZone("all");
    std::vector<v1::ZoneCapacity> out;
    for (const auto& [name, z] : zones) {
      out.push_back(z);
      v1::HostCounts* hosts = fleet->mutable_hosts();
      hosts->set_active(hosts->active() + z.hosts().active());
      hosts->set_draining(hosts->draining() + z.hosts().draining());
      hosts->set_lost(hosts->lost() + z.hosts().lost());
      for (auto [sum, part] :
           {std::pair{fleet->mutable_cpu(), &z.cpu()},
            std::pair{fleet->mutable_memory(), &z.memory()},
            std::pair{fleet->mutable_ephemeral_storage(), &z.ephemeral_storage()},
            std::pair{fleet->mutable_eni_slots(), &z.eni_slots()}}) {
        sum->set_total(sum->total() + part->total());
        sum->set_used(sum->used() + part->used());
        sum->set_free(sum->free() + part->free());
        sum->set_schedulable(sum->schedulable() + part->schedulable());
      }
      v1::TaskCounts* tasks = fleet->mutable_tasks();
      tasks->set_running(tasks->running() + z.tasks().running());
      tasks->set_pending(tasks->pending() + z.tasks().pending());
      tasks->set_stopping(tasks->stopping() + z.tasks().stopping());
    }
    fleet->mutable_tasks()->set_waiting(waiting_total);
    return out;
  }

  std::string ZoneOfHost(int64_t host_id) const {
    for (const ModelHost& host : hosts_) {
      if (host.row.host_id == host_id) return host.row.availability_zone;
    }
    return "";
  }

  // Every zone, the fleet and every subnet as the model says; used + free = total.
  void ExpectMatchesModel(const v1::DescribeCapacityResponse& response,
                          const std::string& cluster) {
    v1::ZoneCapacity want_fleet;
    std::vector<v1::ZoneCapacity> want = WantZones(cluster, &want_fleet);
    ASSERT_EQ(response.availability_zones_size(), static_cast<int>(want.size()));
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(Diff(want[i], response.availability_zones(static_cast<int>(i))), "")
          << want[i].name();
    }
    EXPECT_EQ(Diff(want_fleet, response.fleet()), "");
    for (const v1::ZoneCapacity& zone : response.availability_zones()) {
      ExpectConserved(zone);
    }
    ExpectConserved(response.fleet());

    std::vector<ModelSubnet> subnets = subnets_;
    std::sort(subnets.begin(), subnets.end(), [](const ModelSubnet& a, const ModelSubnet& b) {
      return std::tie(a.zone, a.subnet_id) < std::tie(b.zone, b.subnet_id);
    });
    ASSERT_EQ(response.subnets_size(), static_cast<int>(subnets.size()));
    for (size_t i = 0; i < subnets.size(); ++i) {
      const v1::SubnetCapacity& got = response.subnets(static_cast<int>(i));
      SCOPED_TRACE(subnets[i].subnet_id);
      int32_t used = 0;
      for (const ModelTask& task : tasks_) {
        if (Live(task) && task.subnet_id == subnets[i].subnet_id) ++used;
      }
      EXPECT_EQ(got.subnet_id(), subnets[i].subnet_id);
      EXPECT_EQ(got.vpc_id(), vpc_id_);
      EXPECT_EQ(got.availability_zone(), subnets[i].zone);
      EXPECT_EQ(got.cidr_block(), subnets[i].cidr_block);
      EXPECT_EQ(got.addresses().total(), subnets[i].usable);
      EXPECT_EQ(got.addresses().used(), used);
      EXPECT_EQ(got.addresses().free(), subnets[i].usable - used);
    }
  }

  static void ExpectConserved(const v1::ZoneCapacity& zone) {
    SCOPED_TRACE(zone.name());
    for (const v1::ResourceCapacity* resource :
         {&zone.cpu(), &zone.memory(), &zone.ephemeral_storage(), &zone.eni_slots()}) {
      EXPECT_EQ(resource->used() + resource->free(), resource->total());
      EXPECT_LE(resource->schedulable(), resource->free());
      EXPECT_GE(resource->used(), 0);
    }
  }

  std::string conninfo_;
  std::unique_ptr<storage::Connection> connection_;
  std::unique_ptr<storage::Database> database_;
  std::unique_ptr<AdminOperations> admin_;
  std::string vpc_id_;
  std::vector<ModelSubnet> subnets_;
  std::vector<ModelHost> hosts_;
  std::vector<ModelTask> tasks_;
};

const v1::ZoneCapacity* FindZone(const v1::DescribeCapacityResponse& response,
                                 const std::string& name) {
  for (const v1::ZoneCapacity& zone : response.availability_zones()) {
    if (zone.name() == name) return &zone;
  }
  return nullptr;
}

// The fleet most tests use:
//   az-a: subnet A (/24), host a1 ACTIVE, host a2 DRAINING;
//   az-b: subnet B (/24), host b1 ACTIVE, host b2 lost;
//   az-c: subnet C (/28), no host.
// Tasks (cluster, host, size) and where they end:
//   t1 default a1 512/1024/20   RUNNING         t2 default a1 1024/2048/30 PROVISIONING
//   t3 batch   a1 256/512/20    RUNNING         t4 default a2 1024/1024/25 RUNNING
//   t5 batch   b1 2048/4096/40  RUNNING         t6 default b1 512/512/20   PROVISIONING
//   t7 default b2 512/1024/20   STOPPED (lost)  t8 batch   b1 256/256/20   STOPPED (StopTask)
//   t9 default b1 256/512/20    DEACTIVATING (stop requested)
// Waiting, in queue order:
//   w1 default 8192 CPU in A: no host that big          -> RESOURCE:CPU, never
//   w2 default 20000 MiB in B: no host that big         -> RESOURCE:MEMORY, never
//   w3 batch   512 CPU in C: no host in az-c            -> RESOURCE:CPU, may come
//   w4 batch   512 CPU in A or C: a1 has room           -> PLACEABLE
//   w5, w6 default 3072 CPU in A: a1 too full after w4  -> RESOURCE:CPU, may come
class CapacityFleetTest : public CapacityTest {
 protected:
  void SetUp() override {
    CapacityTest::SetUp();
    if (HasFatalFailure()) return;
    subnet_a_ = Subnet("10.0.1.0/24", "az-a", 251);
    subnet_b_ = Subnet("10.0.2.0/24", "az-b", 251);
    subnet_c_ = Subnet("10.0.3.0/28", "az-c", 11);
    const size_t a1 = Host("az-a", {4096, 8192, 200, 10});
    const size_t a2 = Host("az-a", {2048, 4096, 100, 4});
    const size_t b1 = Host("az-b", {8192, 16384, 400, 20});
    const size_t b2 = Host("az-b", {1024, 2048, 50, 2});
    std::vector<size_t> t = Place({{"default", a1, subnet_a_, {512, 1024, 20}},
                                   {"default", a1, subnet_a_, {1024, 2048, 30}},
                                   {"batch", a1, subnet_a_, {256, 512, 20}},
                                   {"default", a2, subnet_a_, {1024, 1024, 25}},
                                   {"batch", b1, subnet_b_, {2048, 4096, 40}},
                                   {"default", b1, subnet_b_, {512, 512, 20}},
                                   {"default", b2, subnet_b_, {512, 1024, 20}},
                                   {"batch", b1, subnet_b_, {256, 256, 20}},
                                   {"default", b1, subnet_b_, {256, 512, 20}}});
    ASSERT_THAT(t, SizeIs(9));
    t_ = t;
    Stop(t[7], /*at_once=*/true);  // not delivered yet: stops at once
    for (size_t host : {a1, a2, b1}) {
      Deliver(host);
    }
    for (size_t task : {t[0], t[2], t[3], t[4], t[8]}) {
      Report(task, "RUNNING");
    }
    Stop(t[8], /*at_once=*/false);  // delivered: through its agent
    Report(t[8], "DEACTIVATING");
    Drain(a2);
    Lose(b2);
    w_ = {Wait("default", {8192, 1024, 20}, {subnet_a_}),
          Wait("default", {512, 20000, 20}, {subnet_b_}),
          Wait("batch", {512, 1024, 20}, {subnet_c_}),
          Wait("batch", {512, 1024, 20}, {subnet_a_, subnet_c_}),
          Wait("default", {3072, 1024, 20}, {subnet_a_}),
          Wait("default", {3072, 1024, 20}, {subnet_a_})};
  }

  std::string subnet_a_, subnet_b_, subnet_c_;
  std::vector<size_t> t_;
  std::vector<size_t> w_;
};

TEST_F(CapacityFleetTest, AllTasks_FiguresMatchWhatWasCreated) {
  absl::StatusOr<v1::DescribeCapacityResponse> response = Describe();
  ASSERT_THAT(response, IsOk());
  ExpectMatchesModel(*response, "");
  EXPECT_EQ(response->cluster(), "");

  // A few figures by hand, so a wrong model cannot hide a wrong response.
  const v1::ZoneCapacity* a = FindZone(*response, "az-a");
  const v1::ZoneCapacity* b = FindZone(*response, "az-b");
  const v1::ZoneCapacity* c = FindZone(*response, "az-c");
  ASSERT_TRUE(a != nullptr && b != nullptr && c != nullptr);
  EXPECT_EQ(response->availability_zones(0).name(), "az-a");
  EXPECT_EQ(response->availability_zones(2).name(), "az-c");
  EXPECT_EQ(a->hosts().active(), 1);
  EXPECT_EQ(a->hosts().draining(), 1);
  EXPECT_EQ(a->cpu().total(), 4096 + 2048);
  EXPECT_EQ(a->cpu().used(), 512 + 1024 + 256 + 1024);
  EXPECT_EQ(a->cpu().schedulable(), 4096 - 512 - 1024 - 256) << "a2 is draining";
  EXPECT_EQ(a->memory().used(), 1024 + 2048 + 512 + 1024);
  EXPECT_EQ(a->ephemeral_storage().used(), 20 + 30 + 20 + 25);
  EXPECT_EQ(a->eni_slots().used(), 4);
  EXPECT_EQ(b->hosts().active(), 1);
  EXPECT_EQ(b->hosts().lost(), 1);
  EXPECT_EQ(b->cpu().total(), 8192) << "the lost host holds nothing";
  EXPECT_EQ(b->cpu().used(), 2048 + 512 + 256);
  EXPECT_EQ(b->memory().used(), 4096 + 512 + 512);
  EXPECT_EQ(b->eni_slots().used(), 3);
  EXPECT_EQ(c->cpu().total(), 0);
  EXPECT_EQ(a->tasks().running(), 3);
  EXPECT_EQ(a->tasks().pending(), 1);
  EXPECT_EQ(b->tasks().running(), 1);
  EXPECT_EQ(b->tasks().pending(), 1);
  EXPECT_EQ(b->tasks().stopping(), 1);
  EXPECT_EQ(a->tasks().waiting(), 4);
  EXPECT_EQ(b->tasks().waiting(), 1);
  EXPECT_EQ(c->tasks().waiting(), 2);
  EXPECT_EQ(response->fleet().tasks().waiting(), 6);
  EXPECT_EQ(response->fleet().hosts().lost(), 1);
  ASSERT_EQ(response->subnets_size(), 3);
  EXPECT_EQ(response->subnets(0).addresses().used(), 4);
  EXPECT_EQ(response->subnets(1).addresses().used(), 3);
  EXPECT_EQ(response->subnets(2).addresses().total(), 11);
  EXPECT_EQ(response->subnets(2).addresses().used(), 0);
}

TEST_F(CapacityFleetTest, WaitingReasons_NameTheMissingResource) {
  absl::StatusOr<v1::DescribeCapacityResponse> response = Describe();
  ASSERT_THAT(response, IsOk());
  const v1::WaitingTasks& waiting = response->waiting();
  EXPECT_EQ(waiting.total(), 6);
  EXPECT_EQ(waiting.explained(), 6);
  ASSERT_EQ(waiting.reasons_size(), 5);

  const v1::WaitingReason& cpu_never = waiting.reasons(0);
  EXPECT_EQ(cpu_never.reason(), "RESOURCE:CPU");
  EXPECT_TRUE(cpu_never.never());
  EXPECT_EQ(cpu_never.tasks(), 1);
  EXPECT_THAT(cpu_never.detail(),
              HasSubstr("the task needs 8192 CPU units; the largest host in az-a has 4096"));

  const v1::WaitingReason& memory_never = waiting.reasons(1);
  EXPECT_EQ(memory_never.reason(), "RESOURCE:MEMORY");
  EXPECT_TRUE(memory_never.never());
  EXPECT_EQ(memory_never.tasks(), 1);
  EXPECT_THAT(memory_never.detail(), HasSubstr("the largest host in az-b has 16384 MiB"));

  const v1::WaitingReason& no_host = waiting.reasons(2);
  EXPECT_EQ(no_host.reason(), "RESOURCE:CPU");
  EXPECT_FALSE(no_host.never());
  EXPECT_EQ(no_host.tasks(), 1);
  EXPECT_THAT(no_host.detail(), HasSubstr("az-c"));

  const v1::WaitingReason& placeable = waiting.reasons(3);
  EXPECT_EQ(placeable.reason(), "PLACEABLE");
  EXPECT_FALSE(placeable.never());
  EXPECT_EQ(placeable.tasks(), 1);

  const v1::WaitingReason& cpu_later = waiting.reasons(4);
  EXPECT_EQ(cpu_later.reason(), "RESOURCE:CPU");
  EXPECT_FALSE(cpu_later.never());
  EXPECT_EQ(cpu_later.tasks(), 2) << "w5 and w6 share an outcome";
  EXPECT_THAT(cpu_later.detail(), HasSubstr("no host in az-a has 3072 CPU units free"));

  // Each group's oldest task is its first in the queue.
  absl::StatusOr<std::vector<storage::TaskRow>> rows =
      storage::GetTasksById(*connection_, kAccount, {tasks_[w_[4]].task_id});
  ASSERT_THAT(rows, IsOk());
  ASSERT_THAT(*rows, SizeIs(1));
  EXPECT_NEAR(cpu_later.oldest_created_at(), absl::ToUnixMicros(rows->at(0).created_at) / 1e6,
              1e-6);
  EXPECT_LE(cpu_never.oldest_created_at(), cpu_later.oldest_created_at());
}

TEST_F(CapacityFleetTest, ClusterFilter_CountsOnlyItsTasks_HostFiguresFleetWide) {
  absl::StatusOr<v1::DescribeCapacityResponse> all = Describe();
  absl::StatusOr<v1::DescribeCapacityResponse> batch = Describe("batch");
  absl::StatusOr<v1::DescribeCapacityResponse> by_arn =
      Describe(std::string(kClusterArnPrefix) + "batch");
  absl::StatusOr<v1::DescribeCapacityResponse> default_cluster = Describe("default");
  ASSERT_THAT(all, IsOk());
  ASSERT_THAT(batch, IsOk());
  ASSERT_THAT(by_arn, IsOk());
  ASSERT_THAT(default_cluster, IsOk());
  ExpectMatchesModel(*batch, "batch");
  ExpectMatchesModel(*default_cluster, "default");
  EXPECT_EQ(batch->cluster(), "batch");
  EXPECT_EQ(by_arn->cluster(), "batch");

  // The ARN names the same cluster: the same answer but for the snapshot's time.
  by_arn->clear_snapshot_at();
  v1::DescribeCapacityResponse batch_copy = *batch;
  batch_copy.clear_snapshot_at();
  EXPECT_EQ(Diff(batch_copy, *by_arn), "");

  // Host figures are the fleet's whatever the filter.
  ASSERT_EQ(batch->availability_zones_size(), all->availability_zones_size());
  for (int i = 0; i < all->availability_zones_size(); ++i) {
    const v1::ZoneCapacity& want = all->availability_zones(i);
    const v1::ZoneCapacity& got = batch->availability_zones(i);
    SCOPED_TRACE(want.name());
    EXPECT_EQ(Diff(want.hosts(), got.hosts()), "");
    EXPECT_EQ(Diff(want.cpu(), got.cpu()), "");
    EXPECT_EQ(Diff(want.memory(), got.memory()), "");
    EXPECT_EQ(Diff(want.ephemeral_storage(), got.ephemeral_storage()), "");
    EXPECT_EQ(Diff(want.eni_slots(), got.eni_slots()), "");
  }
  EXPECT_EQ(Diff(all->subnets(0), batch->subnets(0)), "");

  // Tasks: batch has t3 and t5 running, w3 and w4 waiting.
  EXPECT_EQ(batch->fleet().tasks().running(), 2);
  EXPECT_EQ(batch->fleet().tasks().pending(), 0);
  EXPECT_EQ(batch->fleet().tasks().stopping(), 0);
  EXPECT_EQ(batch->fleet().tasks().waiting(), 2);
  EXPECT_EQ(default_cluster->fleet().tasks().running(), 2);
  EXPECT_EQ(default_cluster->fleet().tasks().pending(), 2);
  EXPECT_EQ(default_cluster->fleet().tasks().stopping(), 1);
  EXPECT_EQ(default_cluster->fleet().tasks().waiting(), 4);
  EXPECT_EQ(batch->fleet().tasks().running() + default_cluster->fleet().tasks().running(),
            all->fleet().tasks().running());

  // Only the cluster's waiting tasks are explained.
  EXPECT_EQ(batch->waiting().total(), 2);
  ASSERT_EQ(batch->waiting().reasons_size(), 2);
  EXPECT_EQ(batch->waiting().reasons(0).reason(), "RESOURCE:CPU");
  EXPECT_THAT(batch->waiting().reasons(0).detail(), HasSubstr("az-c"));
  EXPECT_EQ(batch->waiting().reasons(1).reason(), "PLACEABLE");
}

TEST_F(CapacityFleetTest, StoppingTasks_GiveBackExactlyTheirShares) {
  absl::StatusOr<v1::DescribeCapacityResponse> before = Describe();
  ASSERT_THAT(before, IsOk());

  // t1 (RUNNING on a1), t6 (delivered, PROVISIONING on b1), t9 (DEACTIVATING on b1).
  Stop(t_[0], /*at_once=*/false);
  Report(t_[0], "STOPPED");
  Stop(t_[5], /*at_once=*/false);
  Report(t_[5], "STOPPED");
  Report(t_[8], "STOPPED");

  absl::StatusOr<v1::DescribeCapacityResponse> after = Describe();
  ASSERT_THAT(after, IsOk());
  ExpectMatchesModel(*after, "");

  struct Freed {
    std::string zone;
    Size size;
    int32_t tasks = 0;
  };
  for (const Freed& freed :
       {Freed{"az-a", {512, 1024, 20}, 1}, Freed{"az-b", {512 + 256, 512 + 512, 20 + 20}, 2},
        Freed{"az-c", {0, 0, 0}, 0}}) {
    SCOPED_TRACE(freed.zone);
    const v1::ZoneCapacity* was = FindZone(*before, freed.zone);
    const v1::ZoneCapacity* is = FindZone(*after, freed.zone);
    ASSERT_TRUE(was != nullptr && is != nullptr);
    EXPECT_EQ(is->cpu().free() - was->cpu().free(), freed.size.cpu);
    EXPECT_EQ(is->cpu().schedulable() - was->cpu().schedulable(), freed.size.cpu);
    EXPECT_EQ(was->cpu().used() - is->cpu().used(), freed.size.cpu);
    EXPECT_EQ(is->memory().free() - was->memory().free(), freed.size.memory);
    EXPECT_EQ(is->ephemeral_storage().free() - was->ephemeral_storage().free(), freed.size.storage);
    EXPECT_EQ(is->eni_slots().free() - was->eni_slots().free(), freed.tasks);
    EXPECT_EQ(is->cpu().total(), was->cpu().total());
  }
  EXPECT_EQ(after->fleet().cpu().free() - before->fleet().cpu().free(), 512 + 512 + 256);
  EXPECT_EQ(before->subnets(0).addresses().used() - after->subnets(0).addresses().used(), 1);
  EXPECT_EQ(before->subnets(1).addresses().used() - after->subnets(1).addresses().used(), 2);
  EXPECT_EQ(after->fleet().tasks().running(), before->fleet().tasks().running() - 1);
  EXPECT_EQ(after->fleet().tasks().pending(), before->fleet().tasks().pending() - 1);
  EXPECT_EQ(after->fleet().tasks().stopping(), 0);
}

TEST_F(CapacityFleetTest, StoppedWaitingTask_NoLongerWaits) {
  Stop(w_[0], /*at_once=*/true);
  absl::StatusOr<v1::DescribeCapacityResponse> response = Describe();
  ASSERT_THAT(response, IsOk());
  ExpectMatchesModel(*response, "");
  EXPECT_EQ(response->waiting().total(), 5);
  ASSERT_GE(response->waiting().reasons_size(), 1);
  EXPECT_EQ(response->waiting().reasons(0).reason(), "RESOURCE:MEMORY");
}

TEST_F(CapacityTest, EmptyFleet_NoZonesAndZeros) {
  absl::StatusOr<v1::DescribeCapacityResponse> response = Describe();
  ASSERT_THAT(response, IsOk());
  EXPECT_THAT(response->availability_zones(), IsEmpty());
  EXPECT_THAT(response->subnets(), IsEmpty());
  EXPECT_EQ(Diff(ZeroZone("all"), response->fleet()), "");
  EXPECT_EQ(response->waiting().total(), 0);
  EXPECT_THAT(response->waiting().reasons(), IsEmpty());
  EXPECT_NEAR(response->snapshot_at(), absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()), 60);
}

TEST_F(CapacityTest, BadClusters_NotFoundOrInvalid) {
  EXPECT_THAT(Describe("nope"), StatusIs(absl::StatusCode::kNotFound, "\"nope\""));
  EXPECT_THAT(Describe(std::string(kClusterArnPrefix) + "nope"),
              StatusIs(absl::StatusCode::kNotFound, "nope"));
  EXPECT_THAT(Describe("arn:aws:ecs:us-east-1:111111111111:cluster/batch"),
              StatusIs(absl::StatusCode::kNotFound, ""));
  EXPECT_THAT(Describe("bad name!"),
              StatusIs(absl::StatusCode::kInvalidArgument, "cluster: \"bad name!\""));
  EXPECT_THAT(Describe("arn:aws:ecs:us-east-1:000000000000:task/default/abc"),
              StatusIs(absl::StatusCode::kInvalidArgument, "cluster"));
  EXPECT_THAT(Describe("batch"), IsOk());
}

}  // namespace
}  // namespace gantry::api
