// Hosts through the API over a real PostgreSQL: AgentOperations::RegisterHost (its
// validation and the capacity_changed signal) and EcsOperations'
// ListContainerInstances / DescribeContainerInstances.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "api/poll_hub.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/api/call_and_wait.h"
#include "tests/support/pg_harness.h"
#include "tests/support/status_matchers.h"

namespace gantry::api {
namespace {

using ::gantry::api::test::CallOnce;
using ::gantry::testing::IsOk;
using ::gantry::testing::PgHarness;
using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;
constexpr char kArnPrefix[] = "arn:aws:ecs:us-east-1:000000000000:";

std::string InstanceArn(const std::string& id) {
  return kArnPrefix + std::string("container-instance/") + id;
}

v1::RegisterHostRequest ValidHost() {
  v1::RegisterHostRequest request;
  request.set_availability_zone("us-east-1a");
  request.set_cpu_units(4096);
  request.set_memory_mib(16384);
  request.set_ephemeral_storage_gib(200);
  request.set_eni_slots(16);
  request.set_agent_version("gantry-agent 0.1.0");
  request.set_host_name("worker-1");
  return request;
}

class ContainerInstancesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = PgHarness::Get().NewDatabase();
    storage::Database::Options options;
    options.conninfo = conninfo_;
    options.workers = 2;
    absl::StatusOr<std::unique_ptr<storage::Database>> database = storage::Database::Open(options);
    ASSERT_THAT(database, IsOk());
    database_ = *std::move(database);
    ecs_ = std::make_unique<EcsOperations>(Config{}, database_.get(), nullptr);
    agent_ =
        std::make_unique<AgentOperations>(Config{}, database_.get(), hub_.get(), absl::Seconds(30),
                                          [this] { capacity_changed_.fetch_add(1); });
    v1::CreateClusterRequest create;
    create.set_cluster_name("default");
    ASSERT_THAT(CallOnce(*ecs_, &EcsOperations::CreateCluster, create), IsOk());
  }

  // Queued work refers to the operations objects: drain it before they go away.
  void TearDown() override {
    hub_->Shutdown();
    if (database_ != nullptr) {
      database_->Shutdown();
    }
  }

  absl::StatusOr<v1::RegisterHostResponse> RegisterHost(const v1::RegisterHostRequest& request) {
    return CallOnce(*agent_, &AgentOperations::RegisterHost, request);
  }

  // Registers a valid host; its instance id.
  std::string AddHost() {
    absl::StatusOr<v1::RegisterHostResponse> response = RegisterHost(ValidHost());
    EXPECT_THAT(response, IsOk());
    return response.ok() ? response->host_id() : "";
  }

  absl::StatusOr<v1::ListContainerInstancesResponse> List(
      const v1::ListContainerInstancesRequest& request) {
    return CallOnce(*ecs_, &EcsOperations::ListContainerInstances, request);
  }

  absl::StatusOr<v1::DescribeContainerInstancesResponse> Describe(
      const std::vector<std::string>& refs, const std::string* cluster = nullptr) {
    v1::DescribeContainerInstancesRequest request;
    for (const std::string& ref : refs) {
      request.add_container_instances(ref);
    }
    if (cluster != nullptr) {
      request.set_cluster(*cluster);
    }
    return CallOnce(*ecs_, &EcsOperations::DescribeContainerInstances, request);
  }

  void Exec(const std::string& sql) {
    pqxx::connection admin(conninfo_);
    pqxx::work tx(admin);
    tx.exec0(sql);
    tx.commit();
  }

  std::string conninfo_;
  std::unique_ptr<storage::Database> database_;
  std::unique_ptr<PollHub> hub_ = PollHub::Start({});
  std::unique_ptr<EcsOperations> ecs_;
  std::unique_ptr<AgentOperations> agent_;
  std::atomic<int> capacity_changed_{0};
};

// ---- RegisterHost --------------------------------------------------------------

TEST_F(ContainerInstancesTest, RegisterHost_Valid_ReturnsIdAndArnAndSignalsCapacity) {
  absl::StatusOr<v1::RegisterHostResponse> response = RegisterHost(ValidHost());
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->host_id().size(), 32u);
  EXPECT_EQ(response->container_instance_arn(), InstanceArn(response->host_id()));
  EXPECT_EQ(capacity_changed_.load(), 1);

  std::string second = AddHost();
  EXPECT_NE(second, response->host_id());
  EXPECT_EQ(capacity_changed_.load(), 2);
}

TEST_F(ContainerInstancesTest, RegisterHost_Limits_AreInclusive) {
  v1::RegisterHostRequest low = ValidHost();
  low.set_availability_zone(std::string(64, 'a'));
  low.set_cpu_units(256);
  low.set_memory_mib(512);
  low.set_ephemeral_storage_gib(20);
  low.set_eni_slots(1);
  low.set_agent_version(std::string(255, 'v'));
  low.set_host_name(std::string(255, 'h'));
  EXPECT_THAT(RegisterHost(low), IsOk());
  v1::RegisterHostRequest high = ValidHost();
  high.set_availability_zone("use1-az1");
  high.set_cpu_units(1048576);
  high.set_memory_mib(16777216);
  high.set_ephemeral_storage_gib(65536);
  high.set_eni_slots(4096);
  high.clear_agent_version();
  high.clear_host_name();
  EXPECT_THAT(RegisterHost(high), IsOk());
  EXPECT_EQ(capacity_changed_.load(), 2);
}

TEST_F(ContainerInstancesTest, RegisterHost_Invalid_RefusedWithFieldAndNoSignal) {
  struct Case {
    std::string name;
    void (*mutate)(v1::RegisterHostRequest&);
    std::string message;
  };
  const std::vector<Case> cases = {
      {"zone missing", [](v1::RegisterHostRequest& r) { r.clear_availability_zone(); },
       "availabilityZone: required"},
      {"zone uppercase", [](v1::RegisterHostRequest& r) { r.set_availability_zone("US-EAST-1A"); },
       "availabilityZone: \"US-EAST-1A\" is not a valid zone name"},
      {"zone with space", [](v1::RegisterHostRequest& r) { r.set_availability_zone("us east"); },
       "availabilityZone: \"us east\" is not a valid zone name"},
      {"zone too long",
       [](v1::RegisterHostRequest& r) { r.set_availability_zone(std::string(65, 'a')); },
       "availabilityZone: \"aaaa"},
      {"cpu low", [](v1::RegisterHostRequest& r) { r.set_cpu_units(100); },
       "cpuUnits: 100 is below the minimum; use 256 to 1048576"},
      {"cpu high", [](v1::RegisterHostRequest& r) { r.set_cpu_units(1048577); },
       "cpuUnits: 1048577 is above the maximum; use 256 to 1048576"},
      {"cpu negative", [](v1::RegisterHostRequest& r) { r.set_cpu_units(-1); },
       "cpuUnits: -1 is below the minimum"},
      {"memory low", [](v1::RegisterHostRequest& r) { r.set_memory_mib(511); },
       "memoryMib: 511 is below the minimum; use 512 to 16777216"},
      {"memory high", [](v1::RegisterHostRequest& r) { r.set_memory_mib(16777217); },
       "memoryMib: 16777217 is above the maximum"},
      {"storage low", [](v1::RegisterHostRequest& r) { r.set_ephemeral_storage_gib(19); },
       "ephemeralStorageGib: 19 is below the minimum; use 20 to 65536"},
      {"storage high", [](v1::RegisterHostRequest& r) { r.set_ephemeral_storage_gib(65537); },
       "ephemeralStorageGib: 65537 is above the maximum"},
      {"eni zero", [](v1::RegisterHostRequest& r) { r.set_eni_slots(0); },
       "eniSlots: 0 is below the minimum; use 1 to 4096"},
      {"eni high", [](v1::RegisterHostRequest& r) { r.set_eni_slots(4097); },
       "eniSlots: 4097 is above the maximum"},
      {"huge int64", [](v1::RegisterHostRequest& r) { r.set_eni_slots(int64_t{1} << 40); },
       "eniSlots: 1099511627776 is above the maximum"},
      {"agent version long",
       [](v1::RegisterHostRequest& r) { r.set_agent_version(std::string(256, 'v')); },
       "agentVersion: 256 characters is too long; use at most 255"},
      {"host name long", [](v1::RegisterHostRequest& r) { r.set_host_name(std::string(256, 'h')); },
       "hostName: 256 characters is too long; use at most 255"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::RegisterHostRequest request = ValidHost();
    c.mutate(request);
    EXPECT_THAT(RegisterHost(request), StatusIs(kInvalid, c.message));
  }
  EXPECT_EQ(capacity_changed_.load(), 0);

  v1::ListContainerInstancesRequest list;
  absl::StatusOr<v1::ListContainerInstancesResponse> listed = List(list);
  ASSERT_THAT(listed, IsOk());
  EXPECT_THAT(listed->container_instance_arns(), IsEmpty()) << "nothing was stored";
}

TEST_F(ContainerInstancesTest, RegisterHost_SeveralProblems_AllReportedInFieldOrder) {
  v1::RegisterHostRequest request;  // everything missing
  absl::StatusOr<v1::RegisterHostResponse> response = RegisterHost(request);
  ASSERT_THAT(response, StatusIs(kInvalid, ""));
  EXPECT_EQ(std::string(response.status().message()),
            "availabilityZone: required; use the host's zone name (lowercase letters, digits "
            "and -)\n"
            "cpuUnits: 0 is below the minimum; use 256 to 1048576\n"
            "memoryMib: 0 is below the minimum; use 512 to 16777216\n"
            "ephemeralStorageGib: 0 is below the minimum; use 20 to 65536\n"
            "eniSlots: 0 is below the minimum; use 1 to 4096");
  EXPECT_EQ(capacity_changed_.load(), 0);
}

TEST_F(ContainerInstancesTest, RegisterHost_NoCallback_StillRegisters) {
  AgentOperations agent(Config{}, database_.get(), hub_.get(), absl::Seconds(30), nullptr);
  EXPECT_THAT(CallOnce(agent, &AgentOperations::RegisterHost, ValidHost()), IsOk());
  database_->Shutdown();  // drain before `agent` goes away
}

// ---- ListContainerInstances ----------------------------------------------------

TEST_F(ContainerInstancesTest, List_ThreePages_ReturnsEveryInstanceOnce) {
  std::vector<std::string> want;
  for (int i = 0; i < 5; ++i) {
    want.push_back(InstanceArn(AddHost()));
  }
  std::sort(want.begin(), want.end());

  v1::ListContainerInstancesRequest request;
  request.set_max_results(2);
  std::vector<std::string> got;
  int pages = 0;
  for (; pages < 10; ++pages) {
    absl::StatusOr<v1::ListContainerInstancesResponse> page = List(request);
    ASSERT_THAT(page, IsOk());
    EXPECT_LE(page->container_instance_arns_size(), 2);
    got.insert(got.end(), page->container_instance_arns().begin(),
               page->container_instance_arns().end());
    if (!page->has_next_token()) {
      break;
    }
    request.set_next_token(page->next_token());
  }
  EXPECT_EQ(pages + 1, 3);
  EXPECT_THAT(got, ElementsAreArray(want));

  // An exact fit ends without a token.
  request.clear_next_token();
  request.set_max_results(5);
  absl::StatusOr<v1::ListContainerInstancesResponse> all = List(request);
  ASSERT_THAT(all, IsOk());
  EXPECT_THAT(all->container_instance_arns(), ElementsAreArray(want));
  EXPECT_FALSE(all->has_next_token());
}

TEST_F(ContainerInstancesTest, List_StatusFilter_MatchesOnlyThatStatus) {
  std::string active = AddHost();
  std::string draining = AddHost();
  Exec("UPDATE hosts SET status = 'DRAINING' WHERE instance_id = '" + draining + "'");
  struct Case {
    std::string status;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"ACTIVE", {InstanceArn(active)}},
      {"DRAINING", {InstanceArn(draining)}},
      {"INACTIVE", {}},
      {"REGISTERING", {}},
      {"DEREGISTERING", {}},
      {"REGISTRATION_FAILED", {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.status);
    v1::ListContainerInstancesRequest request;
    request.set_cluster(kArnPrefix + std::string("cluster/default"));
    request.set_status(c.status);
    absl::StatusOr<v1::ListContainerInstancesResponse> listed = List(request);
    ASSERT_THAT(listed, IsOk());
    EXPECT_THAT(listed->container_instance_arns(), ElementsAreArray(c.want));
  }
}

TEST_F(ContainerInstancesTest, List_BadRequests_Refused) {
  struct Case {
    std::string name;
    void (*mutate)(v1::ListContainerInstancesRequest&);
    absl::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"unknown cluster", [](v1::ListContainerInstancesRequest& r) { r.set_cluster("nope"); },
       kNotFound, "cluster: cluster \"nope\" does not exist"},
      {"bad cluster name", [](v1::ListContainerInstancesRequest& r) { r.set_cluster("a b"); },
       kInvalid, "cluster: \"a b\" is not a valid cluster name"},
      {"other account cluster",
       [](v1::ListContainerInstancesRequest& r) {
         r.set_cluster("arn:aws:ecs:us-east-1:111111111111:cluster/default");
       },
       kNotFound, "cluster: "},
      {"bad status", [](v1::ListContainerInstancesRequest& r) { r.set_status("active"); }, kInvalid,
       "status: \"active\" is not a container instance status"},
      {"filter",
       [](v1::ListContainerInstancesRequest& r) { r.set_filter("attribute:ecs.os-type == linux"); },
       kInvalid, "filter: the cluster query language is not supported"},
      {"max results zero", [](v1::ListContainerInstancesRequest& r) { r.set_max_results(0); },
       kInvalid, "maxResults: 0 is out of range"},
      {"max results high", [](v1::ListContainerInstancesRequest& r) { r.set_max_results(101); },
       kInvalid, "maxResults: 101 is out of range"},
      {"bad token", [](v1::ListContainerInstancesRequest& r) { r.set_next_token("garbage!"); },
       kInvalid, "nextToken: "},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::ListContainerInstancesRequest request;
    c.mutate(request);
    EXPECT_THAT(List(request), StatusIs(c.code, c.message));
  }
}

TEST_F(ContainerInstancesTest, List_InactiveCluster_IsNotFound) {
  v1::CreateClusterRequest create;
  create.set_cluster_name("gone");
  ASSERT_THAT(CallOnce(*ecs_, &EcsOperations::CreateCluster, create), IsOk());
  Exec("UPDATE clusters SET status = 'INACTIVE' WHERE name = 'gone'");
  v1::ListContainerInstancesRequest request;
  request.set_cluster("gone");
  EXPECT_THAT(List(request), StatusIs(kNotFound, "cluster: cluster \"gone\" does not exist"));
}

TEST_F(ContainerInstancesTest, List_TokenOfAnotherOperation_Refused) {
  for (int i = 0; i < 2; ++i) {
    v1::CreateClusterRequest create;
    create.set_cluster_name("c" + std::to_string(i));
    ASSERT_THAT(CallOnce(*ecs_, &EcsOperations::CreateCluster, create), IsOk());
  }
  v1::ListClustersRequest clusters;
  clusters.set_max_results(1);
  absl::StatusOr<v1::ListClustersResponse> page =
      CallOnce(*ecs_, &EcsOperations::ListClusters, clusters);
  ASSERT_THAT(page, IsOk());
  ASSERT_TRUE(page->has_next_token());
  v1::ListContainerInstancesRequest request;
  request.set_next_token(page->next_token());
  EXPECT_THAT(List(request), StatusIs(kInvalid, "nextToken: "));
}

// ---- DescribeContainerInstances ------------------------------------------------

TEST_F(ContainerInstancesTest, Describe_FoundInRequestOrder_MissingInFailures) {
  std::string first = AddHost();
  std::string second = AddHost();
  const std::string unknown(32, 'f');
  const std::string other_account =
      "arn:aws:ecs:us-east-1:111111111111:container-instance/" + first;
  absl::StatusOr<v1::DescribeContainerInstancesResponse> response =
      Describe({second, unknown, InstanceArn(first), other_account,
                kArnPrefix + std::string("container-instance/default/") + second});
  ASSERT_THAT(response, IsOk());
  ASSERT_EQ(response->container_instances_size(), 3);
  EXPECT_EQ(response->container_instances(0).container_instance_arn(), InstanceArn(second));
  EXPECT_EQ(response->container_instances(1).container_instance_arn(), InstanceArn(first));
  EXPECT_EQ(response->container_instances(2).container_instance_arn(), InstanceArn(second));
  ASSERT_EQ(response->failures_size(), 2);
  EXPECT_EQ(response->failures(0).arn(), InstanceArn(unknown));
  EXPECT_EQ(response->failures(0).reason(), "MISSING");
  EXPECT_EQ(response->failures(1).arn(), other_account);
  EXPECT_EQ(response->failures(1).reason(), "MISSING");

  const v1::ContainerInstance& instance = response->container_instances(0);
  EXPECT_EQ(instance.status(), "ACTIVE");
  EXPECT_TRUE(instance.agent_connected());
  EXPECT_EQ(instance.version(), 1);
  EXPECT_EQ(instance.version_info().agent_version(), "gantry-agent 0.1.0");
  EXPECT_EQ(instance.running_tasks_count(), 0);
  EXPECT_EQ(instance.pending_tasks_count(), 0);
  EXPECT_GT(instance.registered_at(), 1.7e9);  // epoch seconds, not micros
  EXPECT_LT(instance.registered_at(), 1e11);
  ASSERT_EQ(instance.registered_resources_size(), 4);
  EXPECT_EQ(instance.registered_resources(0).name(), "CPU");
  EXPECT_EQ(instance.registered_resources(0).integer_value(), 4096);
  ASSERT_EQ(instance.remaining_resources_size(), 4);
  EXPECT_EQ(instance.remaining_resources(3).name(), "ENI");
  EXPECT_EQ(instance.remaining_resources(3).integer_value(), 16);
  ASSERT_GE(instance.attributes_size(), 1);
  EXPECT_EQ(instance.attributes(0).value(), "us-east-1a");
}

TEST_F(ContainerInstancesTest, Describe_UsedResources_ShowInRemaining) {
  std::string id = AddHost();
  Exec(
      "UPDATE hosts SET cpu_used = 1024, memory_used = 2048, storage_used = 40, eni_used = 1, "
      "version = 3 WHERE instance_id = '" +
      id + "'");
  absl::StatusOr<v1::DescribeContainerInstancesResponse> response = Describe({id});
  ASSERT_THAT(response, IsOk());
  ASSERT_EQ(response->container_instances_size(), 1);
  const v1::ContainerInstance& instance = response->container_instances(0);
  EXPECT_EQ(instance.version(), 3);
  std::vector<int32_t> remaining;
  for (const v1::Resource& resource : instance.remaining_resources()) {
    remaining.push_back(resource.integer_value());
  }
  EXPECT_THAT(remaining, ElementsAre(3072, 14336, 160, 15));
}

TEST_F(ContainerInstancesTest, Describe_BadRequests_Refused) {
  const std::string id = AddHost();
  std::vector<std::string> too_many(101, id);
  const std::string unknown_cluster = "nope";
  EXPECT_THAT(Describe({}), StatusIs(kInvalid, "containerInstances: 0 given; use 1 to 100"));
  EXPECT_THAT(Describe(too_many), StatusIs(kInvalid, "containerInstances: 101 given"));
  EXPECT_THAT(Describe({id, "not-an-id"}),
              StatusIs(kInvalid, "containerInstances[1]: \"not-an-id\" is not a container"));
  EXPECT_THAT(Describe({kArnPrefix + std::string("task/default/") + id}),
              StatusIs(kInvalid, "containerInstances[0]: "));
  EXPECT_THAT(Describe({id}, &unknown_cluster),
              StatusIs(kNotFound, "cluster: cluster \"nope\" does not exist"));

  v1::DescribeContainerInstancesRequest include;
  include.add_container_instances(id);
  include.add_include("TAGS");
  include.add_include("CONTAINER_INSTANCE_HEALTH");
  EXPECT_THAT(CallOnce(*ecs_, &EcsOperations::DescribeContainerInstances, include), IsOk());
  include.add_include("STATISTICS");
  EXPECT_THAT(CallOnce(*ecs_, &EcsOperations::DescribeContainerInstances, include),
              StatusIs(kInvalid, "include[2]: \"STATISTICS\" is not valid"));
}

TEST_F(ContainerInstancesTest, Describe_OtherCluster_SeesTheSharedFleet) {
  v1::CreateClusterRequest create;
  create.set_cluster_name("prod");
  ASSERT_THAT(CallOnce(*ecs_, &EcsOperations::CreateCluster, create), IsOk());
  std::string id = AddHost();
  const std::string prod = "prod";
  absl::StatusOr<v1::DescribeContainerInstancesResponse> response = Describe({id}, &prod);
  ASSERT_THAT(response, IsOk());
  ASSERT_EQ(response->container_instances_size(), 1);
  EXPECT_THAT(response->container_instances(0).container_instance_arn(), HasSubstr(id));
  EXPECT_THAT(response->failures(), IsEmpty());
}

}  // namespace
}  // namespace gantry::api
