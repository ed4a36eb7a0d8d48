// `gantryctl capacity` end to end: the real gantryd, simulated agent fleets in three
// zones, and gantryctl. The figures must add up (used + free = total, zones sum to the
// fleet) and follow what happens: tasks running and stopping, a host draining, a host
// lost, a task waiting for room.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gantry/v1/admin.pb.h"
#include "gantry/v1/ecs.pb.h"
#include "gantry/v1/network.pb.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/substitute.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr int kTaskCpu = 512;
constexpr int kTaskMemory = 1024;
constexpr int kHostCpu = 4096;
constexpr int kHostMemory = 8192;

std::string Definition(const std::string& family) {
  return absl::Substitute(R"json({
    "family": "$0", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
    "cpu": "$1", "memory": "$2",
    "containerDefinitions": [{"name": "app", "image": "nginx:1.27", "essential": true}]
  })json",
                          family, kTaskCpu, kTaskMemory);
}

void ExpectResourceAddsUp(const v1::ResourceCapacity& r, const std::string& what) {
  EXPECT_EQ(r.used() + r.free(), r.total()) << what;
  EXPECT_GE(r.used(), 0) << what;
  EXPECT_GE(r.free(), 0) << what;
  EXPECT_LE(r.schedulable(), r.free()) << what;
}

// used + free = total everywhere; the fleet row is the zones' sum; subnets too.
void ExpectAddsUp(const v1::DescribeCapacityResponse& capacity) {
  v1::ZoneCapacity sum;
  for (const v1::ZoneCapacity& zone : capacity.availability_zones()) {
    for (const auto& [name, r] : std::vector<std::pair<std::string, const v1::ResourceCapacity*>>{
             {"cpu", &zone.cpu()},
             {"memory", &zone.memory()},
             {"ephemeralStorage", &zone.ephemeral_storage()},
             {"eniSlots", &zone.eni_slots()}}) {
      ExpectResourceAddsUp(*r, absl::StrCat(zone.name(), " ", name));
    }
    sum.mutable_cpu()->set_total(sum.cpu().total() + zone.cpu().total());
    sum.mutable_cpu()->set_used(sum.cpu().used() + zone.cpu().used());
    sum.mutable_memory()->set_used(sum.memory().used() + zone.memory().used());
    sum.mutable_tasks()->set_running(sum.tasks().running() + zone.tasks().running());
    sum.mutable_hosts()->set_active(sum.hosts().active() + zone.hosts().active());
    sum.mutable_hosts()->set_lost(sum.hosts().lost() + zone.hosts().lost());
  }
  const v1::ZoneCapacity& fleet = capacity.fleet();
  ExpectResourceAddsUp(fleet.cpu(), "fleet cpu");
  ExpectResourceAddsUp(fleet.memory(), "fleet memory");
  EXPECT_EQ(fleet.cpu().total(), sum.cpu().total());
  EXPECT_EQ(fleet.cpu().used(), sum.cpu().used());
  EXPECT_EQ(fleet.memory().used(), sum.memory().used());
  EXPECT_EQ(fleet.tasks().running(), sum.tasks().running());
  EXPECT_EQ(fleet.hosts().active(), sum.hosts().active());
  EXPECT_EQ(fleet.hosts().lost(), sum.hosts().lost());
  for (const v1::SubnetCapacity& subnet : capacity.subnets()) {
    EXPECT_EQ(subnet.addresses().used() + subnet.addresses().free(), subnet.addresses().total())
        << subnet.subnet_id();
    EXPECT_EQ(subnet.addresses().total(), 4096 - 5) << subnet.subnet_id();  // a /20
  }
}

class CapacityE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<TempDir> dir = TempDir::Create("gantry-e2e-capacity");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<TempDir>(*std::move(dir));
    GantrydOptions options;
    options.data_dir = dir_->path() / "data";
    // Short, so that a killed agent's host is declared lost within the test, yet long
    // enough that a healthy host on a loaded machine is not.
    options.extra_args = {"--host-timeout", "8s"};
    absl::StatusOr<std::unique_ptr<Gantryd>> gantryd = Gantryd::Start(options);
    ASSERT_TRUE(gantryd.ok()) << gantryd.status();
    gantryd_ = *std::move(gantryd);
  }

  void TearDown() override {
    agents_.clear();
    if (gantryd_ != nullptr && HasFailure()) {
      std::cerr << "--- gantryd log (tail) ---\n" << gantryd_->LogTail(8000) << "\n";
    }
  }

  template <typename M>
  M Json(std::vector<std::string> args) {
    args.insert(args.begin(), {"--output", "json"});
    CommandResult r = Ctl(gantryd_->endpoint(), args);
    EXPECT_EQ(r.exit_code, 0) << absl::StrJoin(args, " ") << "\n" << testing::Describe(r);
    return ParseJsonOutput<M>(r);
  }

  v1::DescribeCapacityResponse Capacity(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"capacity"};
    args.insert(args.end(), extra.begin(), extra.end());
    v1::DescribeCapacityResponse capacity = Json<v1::DescribeCapacityResponse>(args);
    ExpectAddsUp(capacity);
    return capacity;
  }

  GantryAgent* StartAgent(const std::string& zone, int hosts) {
    AgentOptions options;
    options.endpoint = gantryd_->endpoint();
    options.state_dir = dir_->path() / zone;
    options.args = {"--runtime",
                    "sim",
                    "--hosts",
                    absl::StrCat(hosts),
                    "--availability-zone",
                    zone,
                    "--cpu",
                    absl::StrCat(kHostCpu),
                    "--memory",
                    absl::StrCat(kHostMemory),
                    "--launch-delay",
                    "20ms",
                    "--stop-delay",
                    "20ms"};
    absl::StatusOr<std::unique_ptr<GantryAgent>> agent = GantryAgent::Start(options);
    EXPECT_TRUE(agent.ok()) << agent.status();
    if (!agent.ok()) {
      return nullptr;
    }
    agents_.push_back(*std::move(agent));
    return agents_.back().get();
  }

  // A VPC with a /20 subnet in each zone; returns the --network-configuration value.
  std::string MakeNetwork(const std::vector<std::string>& zones) {
    auto vpc = Json<v1::CreateVpcResponse>({"create-vpc", "--cidr-block", "10.0.0.0/16"});
    std::vector<std::string> subnets;
    for (size_t i = 0; i < zones.size(); ++i) {
      auto subnet = Json<v1::CreateSubnetResponse>(
          {"create-subnet", "--vpc-id", vpc.vpc().vpc_id(), "--cidr-block",
           absl::StrCat("10.0.", 16 * i, ".0/20"), "--availability-zone", zones[i]});
      subnets.push_back(subnet.subnet().subnet_id());
    }
    return absl::StrCat("awsvpcConfiguration={subnets=[", absl::StrJoin(subnets, ","), "]}");
  }

  std::vector<v1::Task> DescribeTasks(const std::vector<std::string>& arns,
                                      const std::string& cluster) {
    std::vector<std::string> args = {"describe-tasks", "--cluster", cluster, "--tasks"};
    args.insert(args.end(), arns.begin(), arns.end());
    auto response = Json<v1::DescribeTasksResponse>(args);
    return {response.tasks().begin(), response.tasks().end()};
  }

  // Describes until every task has `status` (or 30 s passed); returns the last answer.
  std::vector<v1::Task> WaitFor(const std::vector<std::string>& arns, const std::string& status,
                                const std::string& cluster = "default") {
    absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (true) {
      std::vector<v1::Task> tasks = DescribeTasks(arns, cluster);
      bool all = tasks.size() == arns.size();
      for (const v1::Task& task : tasks) {
        all = all && task.last_status() == status;
      }
      if (all || absl::Now() > deadline) {
        return tasks;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
  }

  // Capacity until `done` holds for it (or 30 s passed); returns the last answer.
  template <typename Predicate>
  v1::DescribeCapacityResponse CapacityWhen(Predicate done) {
    absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (true) {
      v1::DescribeCapacityResponse capacity = Capacity();
      if (done(capacity) || absl::Now() > deadline) {
        return capacity;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
  }

  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<Gantryd> gantryd_;
  std::vector<std::unique_ptr<GantryAgent>> agents_;
};

std::map<std::string, v1::ZoneCapacity> ByZone(const v1::DescribeCapacityResponse& capacity) {
  std::map<std::string, v1::ZoneCapacity> zones;
  for (const v1::ZoneCapacity& zone : capacity.availability_zones()) {
    zones[zone.name()] = zone;
  }
  return zones;
}

TEST_F(CapacityE2E, FiguresAddUpThroughRunsStopsDrainingAndLoss) {
  std::string network = MakeNetwork({"us-east-1a", "us-east-1b", "us-east-1c"});
  ASSERT_NE(StartAgent("us-east-1a", 2), nullptr);
  ASSERT_NE(StartAgent("us-east-1b", 2), nullptr);
  GantryAgent* agent_c = StartAgent("us-east-1c", 1);
  ASSERT_NE(agent_c, nullptr);
  CommandResult registered = Ctl(
      gantryd_->endpoint(), {"register-task-definition", "--cli-input-json", Definition("cap")});
  ASSERT_EQ(registered.exit_code, 0) << testing::Describe(registered);

  // An idle fleet: everything free, every zone present with its hosts.
  v1::DescribeCapacityResponse idle = Capacity();
  ASSERT_THAT(idle.availability_zones(), SizeIs(3));
  EXPECT_EQ(idle.fleet().hosts().active(), 5);
  EXPECT_EQ(idle.fleet().cpu().total(), 5 * kHostCpu);
  EXPECT_EQ(idle.fleet().cpu().used(), 0);
  EXPECT_EQ(idle.fleet().memory().total(), 5 * kHostMemory);
  EXPECT_THAT(idle.subnets(), SizeIs(3));

  // Six tasks, spread over the zones (two each), all RUNNING.
  auto run = Json<v1::RunTaskResponse>(
      {"run-task", "--task-definition", "cap", "--count", "6", "--network-configuration", network});
  ASSERT_THAT(run.failures(), IsEmpty());
  std::vector<std::string> arns;
  for (const v1::Task& task : run.tasks()) {
    arns.push_back(task.task_arn());
  }
  for (const v1::Task& task : WaitFor(arns, "RUNNING")) {
    ASSERT_EQ(task.last_status(), "RUNNING") << task.task_arn();
  }
  v1::DescribeCapacityResponse busy = Capacity();
  EXPECT_EQ(busy.fleet().cpu().used(), 6 * kTaskCpu);
  EXPECT_EQ(busy.fleet().memory().used(), 6 * kTaskMemory);
  EXPECT_EQ(busy.fleet().ephemeral_storage().used(), 6 * 20);
  EXPECT_EQ(busy.fleet().eni_slots().used(), 6);
  EXPECT_EQ(busy.fleet().tasks().running(), 6);
  for (const auto& [name, zone] : ByZone(busy)) {
    EXPECT_EQ(zone.tasks().running(), 2) << name;
    EXPECT_EQ(zone.cpu().used(), 2 * kTaskCpu) << name;
  }
  for (const v1::SubnetCapacity& subnet : busy.subnets()) {
    EXPECT_EQ(subnet.addresses().used(), 2) << subnet.subnet_id();
  }
  // The cluster filter counts the cluster's tasks; host figures stay the fleet's.
  ASSERT_EQ(Ctl(gantryd_->endpoint(), {"create-cluster", "--cluster-name", "other"}).exit_code, 0);
  auto other_run = Json<v1::RunTaskResponse>({"run-task", "--cluster", "other", "--task-definition",
                                              "cap", "--network-configuration", network});
  ASSERT_THAT(other_run.tasks(), SizeIs(1));
  ASSERT_EQ(WaitFor({other_run.tasks(0).task_arn()}, "RUNNING", "other")[0].last_status(),
            "RUNNING");
  v1::DescribeCapacityResponse of_default = Capacity({"--cluster", "default"});
  EXPECT_EQ(of_default.fleet().tasks().running(), 6);
  EXPECT_EQ(of_default.cluster(), "default");
  EXPECT_EQ(of_default.fleet().cpu().used(), 7 * kTaskCpu);  // hosts: the whole fleet's
  v1::DescribeCapacityResponse of_other = Capacity({"--cluster", "other"});
  EXPECT_EQ(of_other.fleet().tasks().running(), 1);
  EXPECT_EQ(Capacity().fleet().tasks().running(), 7);
  CommandResult stop_other = Ctl(gantryd_->endpoint(), {"stop-task", "--cluster", "other", "--task",
                                                        other_run.tasks(0).task_arn()});
  ASSERT_EQ(stop_other.exit_code, 0) << testing::Describe(stop_other);
  WaitFor({other_run.tasks(0).task_arn()}, "STOPPED", "other");
  CommandResult missing = Ctl(gantryd_->endpoint(), {"capacity", "--cluster", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("cluster \"nope\" does not exist"));

  // Stopping three gives exactly their share back once they are STOPPED.
  std::vector<std::string> stopped(arns.begin(), arns.begin() + 3);
  for (const std::string& arn : stopped) {
    CommandResult r = Ctl(gantryd_->endpoint(), {"stop-task", "--task", arn});
    ASSERT_EQ(r.exit_code, 0) << testing::Describe(r);
  }
  WaitFor(stopped, "STOPPED");
  v1::DescribeCapacityResponse after_stop = Capacity();
  EXPECT_EQ(after_stop.fleet().cpu().used(), 3 * kTaskCpu);
  EXPECT_EQ(after_stop.fleet().tasks().running(), 3);
  int addresses_used = 0;
  for (const v1::SubnetCapacity& subnet : after_stop.subnets()) {
    addresses_used += subnet.addresses().used();
  }
  EXPECT_EQ(addresses_used, 3);

  // Draining a host of us-east-1a: still counted with its capacity, no longer schedulable.
  auto hosts = Json<v1::ListContainerInstancesResponse>({"list-container-instances"});
  auto described = Json<v1::DescribeContainerInstancesResponse>(
      {"describe-container-instances", "--container-instances", hosts.container_instance_arns(0),
       hosts.container_instance_arns(1), hosts.container_instance_arns(2),
       hosts.container_instance_arns(3), hosts.container_instance_arns(4)});
  std::string drained;
  for (const v1::ContainerInstance& host : described.container_instances()) {
    for (const v1::Attribute& attribute : host.attributes()) {
      if (attribute.name() == "ecs.availability-zone" && attribute.value() == "us-east-1a") {
        drained = host.container_instance_arn();
      }
    }
  }
  ASSERT_FALSE(drained.empty());
  CommandResult drain =
      Ctl(gantryd_->endpoint(), {"update-container-instances-state", "--container-instances",
                                 drained, "--status", "DRAINING"});
  ASSERT_EQ(drain.exit_code, 0) << testing::Describe(drain);
  v1::ZoneCapacity zone_a = ByZone(Capacity())["us-east-1a"];
  EXPECT_EQ(zone_a.hosts().active(), 1);
  EXPECT_EQ(zone_a.hosts().draining(), 1);
  EXPECT_EQ(zone_a.cpu().total(), 2 * kHostCpu);
  EXPECT_LE(zone_a.cpu().schedulable(), kHostCpu);

  // Killing us-east-1c's agent: once its host is lost, it is counted as lost, holds nothing,
  // and its task stopped.
  ASSERT_TRUE(agent_c->Kill().ok());
  v1::DescribeCapacityResponse lost = CapacityWhen([](const v1::DescribeCapacityResponse& c) {
    return ByZone(c)["us-east-1c"].hosts().lost() == 1;
  });
  v1::ZoneCapacity zone_c = ByZone(lost)["us-east-1c"];
  EXPECT_EQ(zone_c.hosts().lost(), 1);
  EXPECT_EQ(zone_c.hosts().active(), 0);
  EXPECT_EQ(zone_c.cpu().total(), 0);
  EXPECT_EQ(zone_c.tasks().running(), 0);

  // Tasks that fit only an empty host: at most three hosts take tasks now, so at least
  // one of four waits, and says why.
  auto big = Json<v1::RunTaskResponse>({"run-task", "--task-definition", "cap", "--count", "4",
                                        "--overrides", R"({"cpu":"4096","memory":"8192"})",
                                        "--network-configuration", network});
  EXPECT_THAT(big.failures(), IsEmpty());
  v1::DescribeCapacityResponse waiting =
      CapacityWhen([](const v1::DescribeCapacityResponse& c) { return c.waiting().total() > 0; });
  ASSERT_GT(waiting.waiting().total(), 0);
  ASSERT_GT(waiting.waiting().reasons_size(), 0);
  EXPECT_EQ(waiting.waiting().reasons(0).reason(), "RESOURCE:CPU");
  EXPECT_FALSE(waiting.waiting().reasons(0).never());
  EXPECT_EQ(waiting.fleet().tasks().waiting(), waiting.waiting().total());

  // The table shows the same, for people.
  CommandResult table = Ctl(gantryd_->endpoint(), {"capacity"});
  ASSERT_EQ(table.exit_code, 0) << testing::Describe(table);
  EXPECT_THAT(table.out, HasSubstr("us-east-1a"));
  EXPECT_THAT(table.out, HasSubstr("1 active, 1 draining"));
  EXPECT_THAT(table.out, HasSubstr("0 active, 1 lost"));
  EXPECT_THAT(table.out, HasSubstr("CPU (vCPU)"));
  EXPECT_THAT(table.out, HasSubstr("Waiting for capacity:"));
  EXPECT_THAT(table.out, HasSubstr("RESOURCE:CPU"));
}

}  // namespace
}  // namespace gantry::testing
