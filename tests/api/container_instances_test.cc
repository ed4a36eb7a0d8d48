// The pure container-instance helpers of the api module: ARNs, references in requests,
// and the ContainerInstance shape built from a stored host.
#include "api/internal/container_instances.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "gmock/gmock.h"
#include "google/protobuf/repeated_field.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/support/status_matchers.h"

namespace gantry::api::internal {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::testing::DoubleNear;
using ::testing::IsEmpty;

constexpr absl::StatusCode kOk = absl::StatusCode::kOk;
constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;

constexpr char kId[] = "0123456789abcdef0123456789abcdef";
constexpr char kArnPrefix[] = "arn:aws:ecs:us-east-1:000000000000:";

TEST(ContainerInstanceArn, DefaultConfig_HasNoCluster) {
  EXPECT_EQ(ContainerInstanceArn(Config{}, kId),
            std::string(kArnPrefix) + "container-instance/" + kId);
  Config other{"eu-west-2", "123456789012"};
  EXPECT_EQ(ContainerInstanceArn(other, "ab"),
            "arn:aws:ecs:eu-west-2:123456789012:container-instance/ab");
}

TEST(ParseContainerInstanceRef, Table) {
  const std::string id = kId;
  const std::string arn = std::string(kArnPrefix) + "container-instance/" + id;
  struct Case {
    std::string name;
    std::string ref;
    absl::StatusCode code;
    std::string want;  // the id when OK, else a message substring
  };
  const std::vector<Case> cases = {
      {"bare id", id, kOk, id},
      {"arn", arn, kOk, id},
      {"arn with cluster", std::string(kArnPrefix) + "container-instance/prod/" + id, kOk, id},
      {"empty", "", kInvalid, "ci[0]: \"\" is not a container instance"},
      {"short id", id.substr(1), kInvalid, "ci[0]: \"" + id.substr(1) + "\""},
      {"long id", id + "0", kInvalid, "is not a container instance"},
      {"uppercase id", "0123456789ABCDEF0123456789ABCDEF", kInvalid, "is not a container instance"},
      {"non-hex id", std::string(32, 'g'), kInvalid, "is not a container instance"},
      {"cluster arn", std::string(kArnPrefix) + "cluster/default", kInvalid,
       "is not a container instance"},
      {"task arn", std::string(kArnPrefix) + "task/default/" + id, kInvalid,
       "is not a container instance"},
      {"arn without id", std::string(kArnPrefix) + "container-instance/", kInvalid,
       "is not a container instance"},
      {"arn with bad cluster", std::string(kArnPrefix) + "container-instance/a b/" + id, kInvalid,
       "is not a container instance"},
      {"arn with extra segment", std::string(kArnPrefix) + "container-instance/a/b/" + id, kInvalid,
       "is not a container instance"},
      {"arn with bad id", std::string(kArnPrefix) + "container-instance/xyz", kInvalid,
       "is not a container instance"},
      {"not ecs", "arn:aws:ec2:us-east-1:000000000000:container-instance/" + id, kInvalid,
       "is not a container instance"},
      {"truncated arn", "arn:aws:ecs:us-east-1", kInvalid, "is not a container instance"},
      {"other region", "arn:aws:ecs:eu-west-1:000000000000:container-instance/" + id, kNotFound,
       "ci[0]: \"arn:aws:ecs:eu-west-1"},
      {"other account", "arn:aws:ecs:us-east-1:111111111111:container-instance/" + id, kNotFound,
       "does not exist"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<std::string> got = ParseContainerInstanceRef(Config{}, "ci[0]", c.ref);
    if (c.code == kOk) {
      ASSERT_THAT(got, IsOk());
      EXPECT_EQ(*got, c.want);
    } else {
      EXPECT_THAT(got, StatusIs(c.code, c.want));
    }
  }
}

TEST(IsContainerInstanceId, AcceptsOnly32LowercaseHex) {
  EXPECT_TRUE(IsContainerInstanceId(kId));
  EXPECT_FALSE(IsContainerInstanceId(""));
  EXPECT_FALSE(IsContainerInstanceId(std::string(31, 'a')));
  EXPECT_FALSE(IsContainerInstanceId(std::string(33, 'a')));
  EXPECT_FALSE(IsContainerInstanceId(std::string(32, 'A')));
}

storage::HostRow SampleHost() {
  storage::HostRow row;
  row.host_id = 7;
  row.instance_id = kId;
  row.availability_zone = "us-east-1b";
  row.status = "ACTIVE";
  row.total = {4096, 16384, 200, 16};
  row.used = {1024, 2048, 40, 3};
  row.agent_version = "gantry-agent 0.1.0";
  row.host_name = "worker-7";
  row.registered_at = absl::FromUnixMillis(1718000000123);
  row.last_seen_at = row.registered_at;
  row.version = 5;
  row.running_tasks = 2;
  row.pending_tasks = 1;
  return row;
}

void ExpectResources(const google::protobuf::RepeatedPtrField<v1::Resource>& resources,
                     const std::vector<int32_t>& want) {
  const std::vector<std::string> names = {"CPU", "MEMORY", "EPHEMERAL_STORAGE", "ENI"};
  ASSERT_EQ(resources.size(), 4);
  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE(names[i]);
    EXPECT_EQ(resources[i].name(), names[i]);
    EXPECT_EQ(resources[i].type(), "INTEGER");
    EXPECT_EQ(resources[i].integer_value(), want[i]);
    EXPECT_FALSE(resources[i].has_long_value());
    EXPECT_FALSE(resources[i].has_double_value());
  }
}

TEST(ToContainerInstance, ActiveHost_HasEcsShape) {
  v1::ContainerInstance got = ToContainerInstance(Config{}, SampleHost());
  EXPECT_EQ(got.container_instance_arn(), std::string(kArnPrefix) + "container-instance/" + kId);
  EXPECT_FALSE(got.has_ec2_instance_id());
  EXPECT_EQ(got.version(), 5);
  EXPECT_EQ(got.version_info().agent_version(), "gantry-agent 0.1.0");
  EXPECT_EQ(got.status(), "ACTIVE");
  EXPECT_TRUE(got.agent_connected());
  EXPECT_EQ(got.running_tasks_count(), 2);
  EXPECT_EQ(got.pending_tasks_count(), 1);
  EXPECT_THAT(got.registered_at(), DoubleNear(1718000000.123, 1e-6));
  ExpectResources(got.registered_resources(), {4096, 16384, 200, 16});
  ExpectResources(got.remaining_resources(), {3072, 14336, 160, 13});
  ASSERT_EQ(got.attributes_size(), 3);
  EXPECT_EQ(got.attributes(0).name(), "ecs.availability-zone");
  EXPECT_EQ(got.attributes(0).value(), "us-east-1b");
  EXPECT_EQ(got.attributes(1).name(), "ecs.os-type");
  EXPECT_EQ(got.attributes(1).value(), "linux");
  EXPECT_EQ(got.attributes(2).name(), "ecs.cpu-architecture");
  EXPECT_EQ(got.attributes(2).value(), "x86_64");
  EXPECT_THAT(got.tags(), IsEmpty());
}

TEST(ToContainerInstance, StatusAsStored_AgentConnectedFromHeartbeats) {
  storage::HostRow row = SampleHost();
  row.status = "DRAINING";
  EXPECT_TRUE(ToContainerInstance(Config{}, row).agent_connected());
  EXPECT_EQ(ToContainerInstance(Config{}, row).status(), "DRAINING");
  row.status = "ACTIVE";
  row.agent_connected = false;  // declared lost
  row.lost_at = absl::FromUnixSeconds(1718000100);
  EXPECT_FALSE(ToContainerInstance(Config{}, row).agent_connected());
  EXPECT_TRUE(ToContainerInstance(Config{}, row).has_agent_connected());
  EXPECT_EQ(ToContainerInstance(Config{}, row).status(), "ACTIVE");
}

}  // namespace
}  // namespace gantry::api::internal
