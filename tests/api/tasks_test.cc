// The pure task helpers of the api module: RunTask validation (ParseRunTask), task
// references (ParseTaskRef), the tasks a RunTask creates (BuildTasks), the ECS Task
// shape of a stored task (ToTask), the clientToken fingerprint, and ListTasks filters.
#include "api/internal/tasks.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/support/status_matchers.h"

namespace gantry::api::internal {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;

constexpr char kArnPrefix[] = "arn:aws:ecs:us-east-1:000000000000:";
constexpr char kTaskId[] = "0123456789abcdef0123456789abcdef";
constexpr char kInstanceId[] = "fedcba9876543210fedcba9876543210";
constexpr char kSubnetA[] = "subnet-0123456789abcdef0";
constexpr char kSubnetB[] = "subnet-0123456789abcdef1";
constexpr char kGroupA[] = "sg-0123456789abcdef0";
constexpr char kGroupB[] = "sg-0123456789abcdef1";

std::string Arn(const std::string& resource) { return kArnPrefix + resource; }

bool IsLowerHex(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'); });
}

// The smallest valid RunTask request.
v1::RunTaskRequest ValidRunTask() {
  v1::RunTaskRequest request;
  request.set_task_definition("web:1");
  request.mutable_network_configuration()->mutable_awsvpc_configuration()->add_subnets(kSubnetA);
  return request;
}

v1::AwsVpcConfiguration* Vpc(v1::RunTaskRequest& request) {
  return request.mutable_network_configuration()->mutable_awsvpc_configuration();
}

// An 17-hex-digit EC2 id numbered `n`.
std::string Ec2Id(const std::string& prefix, int n) {
  std::string digits = absl::StrCat(n);
  return prefix + "-" + std::string(17 - digits.size(), '0') + digits;
}

void AddTag(google::protobuf::RepeatedPtrField<v1::Tag>* tags, const std::string& key,
            const std::string& value) {
  v1::Tag* tag = tags->Add();
  tag->set_key(key);
  tag->set_value(value);
}

// ---- ParseRunTask ----------------------------------------------------------------

TEST(ParseRunTask, MinimalRequest_Defaults) {
  absl::StatusOr<RunTaskPlan> plan = ParseRunTask(Config{}, ValidRunTask());
  ASSERT_THAT(plan, IsOk());
  EXPECT_EQ(plan->cluster, "default");
  EXPECT_EQ(plan->definition.family, "web");
  EXPECT_EQ(plan->definition.revision, 1);
  EXPECT_EQ(plan->count, 1);
  EXPECT_EQ(plan->group, std::nullopt);
  EXPECT_EQ(plan->started_by, std::nullopt);
  EXPECT_EQ(plan->client_token, "");
  EXPECT_THAT(plan->subnets, ElementsAre(kSubnetA));
  EXPECT_THAT(plan->security_groups, IsEmpty());
  EXPECT_FALSE(plan->assign_public_ip);
  EXPECT_EQ(plan->overrides.container_overrides_size(), 0);
  EXPECT_THAT(plan->tags, IsEmpty());
  EXPECT_FALSE(plan->propagate_definition_tags);
  EXPECT_FALSE(plan->ecs_managed_tags);
  EXPECT_FALSE(plan->enable_execute_command);
  EXPECT_EQ(plan->fingerprint.size(), 16u);
  EXPECT_TRUE(IsLowerHex(plan->fingerprint)) << plan->fingerprint;
}

TEST(ParseRunTask, EveryMemberGiven_CopiedIntoPlan) {
  v1::RunTaskRequest request = ValidRunTask();
  request.set_task_definition(Arn("task-definition/web:4"));
  request.set_cluster(Arn("cluster/prod"));
  request.set_count(3);
  request.set_launch_type("FARGATE");
  request.set_platform_version("1.4.0");
  request.set_group("batch-jobs");
  request.set_started_by("nightly/run_1-a");
  request.set_client_token("token-1");
  request.set_propagate_tags("TASK_DEFINITION");
  request.set_enable_ecs_managed_tags(true);
  request.set_enable_execute_command(true);
  request.set_reference_id("ignored");
  AddTag(request.mutable_tags(), "team", "core");
  Vpc(request)->add_subnets(kSubnetB);
  Vpc(request)->add_security_groups(kGroupA);
  Vpc(request)->set_assign_public_ip("ENABLED");
  request.mutable_overrides()->add_container_overrides()->set_name("app");
  request.mutable_overrides()->set_cpu("512");

  absl::StatusOr<RunTaskPlan> plan = ParseRunTask(Config{}, request);
  ASSERT_THAT(plan, IsOk());
  EXPECT_EQ(plan->cluster, "prod");
  EXPECT_EQ(plan->definition.family, "web");
  EXPECT_EQ(plan->definition.revision, 4);
  EXPECT_EQ(plan->count, 3);
  EXPECT_EQ(plan->group, "batch-jobs");
  EXPECT_EQ(plan->started_by, "nightly/run_1-a");
  EXPECT_EQ(plan->client_token, "token-1");
  EXPECT_THAT(plan->subnets, ElementsAre(kSubnetA, kSubnetB));
  EXPECT_THAT(plan->security_groups, ElementsAre(kGroupA));
  EXPECT_TRUE(plan->assign_public_ip);
  ASSERT_EQ(plan->overrides.container_overrides_size(), 1);
  EXPECT_EQ(plan->overrides.container_overrides(0).name(), "app");
  EXPECT_EQ(plan->overrides.cpu(), "512");
  ASSERT_EQ(plan->tags.size(), 1u);
  EXPECT_EQ(plan->tags[0].key(), "team");
  EXPECT_EQ(plan->tags[0].value(), "core");
  EXPECT_TRUE(plan->propagate_definition_tags);
  EXPECT_TRUE(plan->ecs_managed_tags);
  EXPECT_TRUE(plan->enable_execute_command);
}

TEST(ParseRunTask, FamilyOnly_MeansLatestActiveRevision) {
  v1::RunTaskRequest request = ValidRunTask();
  request.set_task_definition("web");
  absl::StatusOr<RunTaskPlan> plan = ParseRunTask(Config{}, request);
  ASSERT_THAT(plan, IsOk());
  EXPECT_EQ(plan->definition.family, "web");
  EXPECT_EQ(plan->definition.revision, std::nullopt);
}

TEST(ParseRunTask, RepeatedSubnetsAndGroups_DeduplicatedInRequestOrder) {
  v1::RunTaskRequest request = ValidRunTask();
  Vpc(request)->clear_subnets();
  for (const char* id : {kSubnetB, kSubnetA, kSubnetB, kSubnetA}) Vpc(request)->add_subnets(id);
  for (const char* id : {kGroupB, kGroupB, kGroupA}) Vpc(request)->add_security_groups(id);
  absl::StatusOr<RunTaskPlan> plan = ParseRunTask(Config{}, request);
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT(plan->subnets, ElementsAre(kSubnetB, kSubnetA));
  EXPECT_THAT(plan->security_groups, ElementsAre(kGroupB, kGroupA));
}

TEST(ParseRunTask, AssignPublicIpDisabled_IsFalse) {
  v1::RunTaskRequest request = ValidRunTask();
  Vpc(request)->set_assign_public_ip("DISABLED");
  absl::StatusOr<RunTaskPlan> plan = ParseRunTask(Config{}, request);
  ASSERT_THAT(plan, IsOk());
  EXPECT_FALSE(plan->assign_public_ip);
}

TEST(ParseRunTask, PropagateTagsNone_DoesNotPropagate) {
  v1::RunTaskRequest request = ValidRunTask();
  request.set_propagate_tags("NONE");
  absl::StatusOr<RunTaskPlan> plan = ParseRunTask(Config{}, request);
  ASSERT_THAT(plan, IsOk());
  EXPECT_FALSE(plan->propagate_definition_tags);
}

// Overrides whose JSON form has exactly `chars` characters (chars >= 100).
v1::TaskOverride OverridesOfJsonSize(size_t chars) {
  v1::TaskOverride overrides;
  overrides.set_task_role_arn("r");
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(overrides, &json);
  // {"taskRoleArn":"r"}: each added character of the value adds one to the JSON.
  overrides.set_task_role_arn(std::string(chars - json.size() + 1, 'r'));
  return overrides;
}

TEST(ParseRunTask, Limits_AreInclusive) {
  struct Case {
    std::string name;
    std::function<void(v1::RunTaskRequest&)> mutate;
  };
  const std::vector<Case> cases = {
      {"count 1", [](v1::RunTaskRequest& r) { r.set_count(1); }},
      {"count 10", [](v1::RunTaskRequest& r) { r.set_count(10); }},
      {"16 subnets",
       [](v1::RunTaskRequest& r) {
         Vpc(r)->clear_subnets();
         for (int i = 0; i < 16; ++i) Vpc(r)->add_subnets(Ec2Id("subnet", i));
       }},
      {"short subnet id", [](v1::RunTaskRequest& r) { Vpc(r)->set_subnets(0, "subnet-0a1b2c3d"); }},
      {"5 security groups",
       [](v1::RunTaskRequest& r) {
         for (int i = 0; i < 5; ++i) Vpc(r)->add_security_groups(Ec2Id("sg", i));
       }},
      {"short group id", [](v1::RunTaskRequest& r) { Vpc(r)->add_security_groups("sg-0a1b2c3d"); }},
      {"launchType FARGATE", [](v1::RunTaskRequest& r) { r.set_launch_type("FARGATE"); }},
      {"FARGATE capacity provider",
       [](v1::RunTaskRequest& r) {
         v1::CapacityProviderStrategyItem* item = r.add_capacity_provider_strategy();
         item->set_capacity_provider("FARGATE");
         item->set_weight(1);
       }},
      {"platformVersion LATEST", [](v1::RunTaskRequest& r) { r.set_platform_version("LATEST"); }},
      {"platformVersion 1.4.0", [](v1::RunTaskRequest& r) { r.set_platform_version("1.4.0"); }},
      {"ephemeral storage 21",
       [](v1::RunTaskRequest& r) {
         r.mutable_overrides()->mutable_ephemeral_storage()->set_size_in_gib(21);
       }},
      {"ephemeral storage 200",
       [](v1::RunTaskRequest& r) {
         r.mutable_overrides()->mutable_ephemeral_storage()->set_size_in_gib(200);
       }},
      {"overrides of 8192 characters",
       [](v1::RunTaskRequest& r) { *r.mutable_overrides() = OverridesOfJsonSize(8192); }},
      {"group of 255", [](v1::RunTaskRequest& r) { r.set_group(std::string(255, 'g')); }},
      {"group with punctuation", [](v1::RunTaskRequest& r) { r.set_group("family:web!~"); }},
      {"startedBy of 128", [](v1::RunTaskRequest& r) { r.set_started_by(std::string(128, 's')); }},
      {"startedBy characters", [](v1::RunTaskRequest& r) { r.set_started_by("aZ09_/-"); }},
      {"clientToken of 64",
       [](v1::RunTaskRequest& r) { r.set_client_token(std::string(64, 't')); }},
      {"clientToken of 1", [](v1::RunTaskRequest& r) { r.set_client_token("!"); }},
      {"clientToken edges", [](v1::RunTaskRequest& r) { r.set_client_token("!~AZaz09"); }},
      {"50 tags",
       [](v1::RunTaskRequest& r) {
         for (int i = 0; i < 50; ++i) AddTag(r.mutable_tags(), absl::StrCat("k", i), "v");
       }},
      {"two container overrides",
       [](v1::RunTaskRequest& r) {
         r.mutable_overrides()->add_container_overrides()->set_name("app");
         r.mutable_overrides()->add_container_overrides()->set_name("sidecar");
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::RunTaskRequest request = ValidRunTask();
    c.mutate(request);
    EXPECT_THAT(ParseRunTask(Config{}, request), IsOk());
  }
}

TEST(ParseRunTask, InvalidRequests_RefusedNamingTheMember) {
  const std::string vpc = "networkConfiguration.awsvpcConfiguration";
  struct Case {
    std::string name;
    std::function<void(v1::RunTaskRequest&)> mutate;
    absl::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      // taskDefinition
      {"taskDefinition missing", [](v1::RunTaskRequest& r) { r.clear_task_definition(); }, kInvalid,
       "taskDefinition: required"},
      {"taskDefinition empty", [](v1::RunTaskRequest& r) { r.set_task_definition(""); }, kInvalid,
       "taskDefinition: required"},
      {"taskDefinition bad family", [](v1::RunTaskRequest& r) { r.set_task_definition("web app"); },
       kInvalid, "taskDefinition: \"web app\" is not a valid task definition"},
      {"taskDefinition bad revision", [](v1::RunTaskRequest& r) { r.set_task_definition("web:x"); },
       kInvalid, "taskDefinition: \"web:x\" has an invalid revision"},
      {"taskDefinition revision 0", [](v1::RunTaskRequest& r) { r.set_task_definition("web:0"); },
       kInvalid, "has an invalid revision"},
      {"taskDefinition cluster ARN",
       [](v1::RunTaskRequest& r) { r.set_task_definition(Arn("cluster/web")); }, kInvalid,
       "is not a task definition ARN"},
      {"taskDefinition of another account",
       [](v1::RunTaskRequest& r) {
         r.set_task_definition("arn:aws:ecs:us-east-1:123456789012:task-definition/web:1");
       },
       kNotFound, "does not exist"},
      // cluster
      {"cluster malformed", [](v1::RunTaskRequest& r) { r.set_cluster("my cluster"); }, kInvalid,
       "cluster: \"my cluster\" is not a valid cluster name"},
      {"cluster empty", [](v1::RunTaskRequest& r) { r.set_cluster(""); }, kInvalid,
       "cluster: \"\" is not a valid cluster name"},
      {"cluster of another region",
       [](v1::RunTaskRequest& r) { r.set_cluster("arn:aws:ecs:eu-west-1:000000000000:cluster/x"); },
       kNotFound, "cluster: "},
      // count
      {"count 0", [](v1::RunTaskRequest& r) { r.set_count(0); }, kInvalid,
       "count: 0 is out of range; use 1 to 10"},
      {"count 11", [](v1::RunTaskRequest& r) { r.set_count(11); }, kInvalid,
       "count: 11 is out of range; use 1 to 10"},
      {"count negative", [](v1::RunTaskRequest& r) { r.set_count(-1); }, kInvalid,
       "count: -1 is out of range"},
      // launch options
      {"launchType EC2", [](v1::RunTaskRequest& r) { r.set_launch_type("EC2"); }, kInvalid,
       "launchType: \"EC2\" is not supported; Gantry runs FARGATE tasks"},
      {"launchType lowercase", [](v1::RunTaskRequest& r) { r.set_launch_type("fargate"); },
       kInvalid, "launchType: \"fargate\" is not supported"},
      {"launchType EXTERNAL", [](v1::RunTaskRequest& r) { r.set_launch_type("EXTERNAL"); },
       kInvalid, "launchType: \"EXTERNAL\""},
      {"capacity provider FARGATE_SPOT",
       [](v1::RunTaskRequest& r) {
         r.add_capacity_provider_strategy()->set_capacity_provider("FARGATE");
         r.add_capacity_provider_strategy()->set_capacity_provider("FARGATE_SPOT");
       },
       kInvalid,
       "capacityProviderStrategy[1].capacityProvider: \"FARGATE_SPOT\" is not available; use "
       "FARGATE"},
      {"capacity provider with launchType",
       [](v1::RunTaskRequest& r) {
         r.set_launch_type("FARGATE");
         r.add_capacity_provider_strategy()->set_capacity_provider("FARGATE");
       },
       kInvalid, "capacityProviderStrategy: cannot be combined with launchType"},
      {"platformVersion 1.3.0", [](v1::RunTaskRequest& r) { r.set_platform_version("1.3.0"); },
       kInvalid, "platformVersion: \"1.3.0\" is not supported; use LATEST or 1.4.0"},
      {"platformVersion empty", [](v1::RunTaskRequest& r) { r.set_platform_version(""); }, kInvalid,
       "platformVersion: \"\" is not supported"},
      {"placementConstraints",
       [](v1::RunTaskRequest& r) { r.add_placement_constraints()->set_type("distinctInstance"); },
       kInvalid, "placementConstraints: not supported for launch type FARGATE"},
      {"placementStrategy",
       [](v1::RunTaskRequest& r) { r.add_placement_strategy()->set_type("spread"); }, kInvalid,
       "placementStrategy: not supported for launch type FARGATE"},
      // network
      {"networkConfiguration missing",
       [](v1::RunTaskRequest& r) { r.clear_network_configuration(); }, kInvalid,
       vpc + ": required; Fargate tasks use awsvpc networking"},
      {"awsvpcConfiguration missing",
       [](v1::RunTaskRequest& r) {
         r.mutable_network_configuration()->clear_awsvpc_configuration();
       },
       kInvalid, vpc + ": required"},
      {"no subnets", [](v1::RunTaskRequest& r) { Vpc(r)->clear_subnets(); }, kInvalid,
       vpc + ".subnets: 0 subnets given; give 1 to 16"},
      {"17 subnets",
       [](v1::RunTaskRequest& r) {
         Vpc(r)->clear_subnets();
         for (int i = 0; i < 17; ++i) Vpc(r)->add_subnets(Ec2Id("subnet", i));
       },
       kInvalid, vpc + ".subnets: 17 subnets given; give 1 to 16"},
      {"malformed subnet", [](v1::RunTaskRequest& r) { Vpc(r)->add_subnets("subnet-XYZ"); },
       kInvalid,
       vpc + ".subnets[1]: \"subnet-XYZ\" is not a subnet id (subnet- and 17 hex digits)"},
      {"group id as subnet", [](v1::RunTaskRequest& r) { Vpc(r)->set_subnets(0, kGroupA); },
       kInvalid, vpc + ".subnets[0]: \"sg-0123456789abcdef0\" is not a subnet id"},
      {"uppercase subnet",
       [](v1::RunTaskRequest& r) { Vpc(r)->set_subnets(0, "subnet-0123456789ABCDEF0"); }, kInvalid,
       vpc + ".subnets[0]"},
      {"6 security groups",
       [](v1::RunTaskRequest& r) {
         for (int i = 0; i < 6; ++i) Vpc(r)->add_security_groups(Ec2Id("sg", i));
       },
       kInvalid, vpc + ".securityGroups: 6 groups given; at most 5"},
      {"malformed security group",
       [](v1::RunTaskRequest& r) {
         Vpc(r)->add_security_groups(kGroupA);
         Vpc(r)->add_security_groups("default");
       },
       kInvalid,
       vpc + ".securityGroups[1]: \"default\" is not a security group id (sg- and 17 hex digits)"},
      {"assignPublicIp lowercase",
       [](v1::RunTaskRequest& r) { Vpc(r)->set_assign_public_ip("enabled"); }, kInvalid,
       vpc + ".assignPublicIp: \"enabled\" is invalid; use ENABLED or DISABLED"},
      {"assignPublicIp empty", [](v1::RunTaskRequest& r) { Vpc(r)->set_assign_public_ip(""); },
       kInvalid, vpc + ".assignPublicIp: \"\" is invalid"},
      // overrides
      {"overrides of 8193 characters",
       [](v1::RunTaskRequest& r) { *r.mutable_overrides() = OverridesOfJsonSize(8193); }, kInvalid,
       "overrides: 8193 characters; at most 8192"},
      {"container override without name",
       [](v1::RunTaskRequest& r) {
         r.mutable_overrides()->add_container_overrides()->add_command("x");
       },
       kInvalid, "overrides.containerOverrides[0].name: required"},
      {"container override with empty name",
       [](v1::RunTaskRequest& r) {
         r.mutable_overrides()->add_container_overrides()->set_name("app");
         r.mutable_overrides()->add_container_overrides()->set_name("");
       },
       kInvalid, "overrides.containerOverrides[1].name: required"},
      {"container overridden twice",
       [](v1::RunTaskRequest& r) {
         r.mutable_overrides()->add_container_overrides()->set_name("app");
         r.mutable_overrides()->add_container_overrides()->set_name("sidecar");
         r.mutable_overrides()->add_container_overrides()->set_name("app");
       },
       kInvalid, "overrides.containerOverrides[2].name: \"app\" is overridden twice"},
      {"ephemeral storage 20",
       [](v1::RunTaskRequest& r) {
         r.mutable_overrides()->mutable_ephemeral_storage()->set_size_in_gib(20);
       },
       kInvalid,
       "overrides.ephemeralStorage.sizeInGiB: 20 is out of range; use 21 to 200 (20 is the "
       "default)"},
      {"ephemeral storage 201",
       [](v1::RunTaskRequest& r) {
         r.mutable_overrides()->mutable_ephemeral_storage()->set_size_in_gib(201);
       },
       kInvalid, "overrides.ephemeralStorage.sizeInGiB: 201 is out of range"},
      {"ephemeral storage unset size",
       [](v1::RunTaskRequest& r) { r.mutable_overrides()->mutable_ephemeral_storage(); }, kInvalid,
       "overrides.ephemeralStorage.sizeInGiB: 0 is out of range"},
      // group, startedBy, clientToken
      {"group empty", [](v1::RunTaskRequest& r) { r.set_group(""); }, kInvalid,
       "group: \"\" is invalid; use 1-255 printable characters"},
      {"group of 256", [](v1::RunTaskRequest& r) { r.set_group(std::string(256, 'g')); }, kInvalid,
       "group: \"ggg"},
      {"group with space", [](v1::RunTaskRequest& r) { r.set_group("my group"); }, kInvalid,
       "group: \"my group\" is invalid"},
      {"group with newline", [](v1::RunTaskRequest& r) { r.set_group("a\nb"); }, kInvalid,
       "group: "},
      {"startedBy empty", [](v1::RunTaskRequest& r) { r.set_started_by(""); }, kInvalid,
       "startedBy: \"\" is invalid; use 1-128 letters, digits, '_', '-' and '/'"},
      {"startedBy of 129", [](v1::RunTaskRequest& r) { r.set_started_by(std::string(129, 's')); },
       kInvalid, "startedBy: \"sss"},
      {"startedBy with colon", [](v1::RunTaskRequest& r) { r.set_started_by("ecs-svc:1"); },
       kInvalid, "startedBy: \"ecs-svc:1\" is invalid"},
      {"startedBy with space", [](v1::RunTaskRequest& r) { r.set_started_by("a b"); }, kInvalid,
       "startedBy: \"a b\" is invalid"},
      {"clientToken empty", [](v1::RunTaskRequest& r) { r.set_client_token(""); }, kInvalid,
       "clientToken: use 1-64 ASCII characters from '!' to '~' (no spaces)"},
      {"clientToken of 65", [](v1::RunTaskRequest& r) { r.set_client_token(std::string(65, 't')); },
       kInvalid, "clientToken: use 1-64"},
      {"clientToken with space", [](v1::RunTaskRequest& r) { r.set_client_token("a b"); }, kInvalid,
       "clientToken: "},
      {"clientToken with DEL", [](v1::RunTaskRequest& r) { r.set_client_token("a\x7f"); }, kInvalid,
       "clientToken: "},
      {"clientToken non-ASCII", [](v1::RunTaskRequest& r) { r.set_client_token("caf\xc3\xa9"); },
       kInvalid, "clientToken: "},
      // tags
      {"propagateTags SERVICE", [](v1::RunTaskRequest& r) { r.set_propagate_tags("SERVICE"); },
       kInvalid, "propagateTags: SERVICE is only valid for tasks started by a service"},
      {"propagateTags lowercase",
       [](v1::RunTaskRequest& r) { r.set_propagate_tags("task_definition"); }, kInvalid,
       "propagateTags: \"task_definition\" is invalid; use TASK_DEFINITION or NONE"},
      {"reserved tag key", [](v1::RunTaskRequest& r) { AddTag(r.mutable_tags(), "aws:x", "v"); },
       kInvalid, "\"aws:x\" uses the reserved prefix"},
      {"duplicate tag key",
       [](v1::RunTaskRequest& r) {
         AddTag(r.mutable_tags(), "team", "a");
         AddTag(r.mutable_tags(), "team", "b");
       },
       kInvalid, "is already used by tags[0]"},
      {"51 tags",
       [](v1::RunTaskRequest& r) {
         for (int i = 0; i < 51; ++i) AddTag(r.mutable_tags(), absl::StrCat("k", i), "v");
       },
       kInvalid, "51 tags is more than the limit"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::RunTaskRequest request = ValidRunTask();
    c.mutate(request);
    EXPECT_THAT(ParseRunTask(Config{}, request), StatusIs(c.code, c.message));
  }
}

// Contract 2.2: capacityProviderStrategy items have weight 0..1000 and base 0..100000,
// at most 20 items.
TEST(ParseRunTask, CapacityProviderStrategyOutOfRange_Refused) {
  struct Case {
    std::string name;
    std::function<void(v1::RunTaskRequest&)> mutate;
  };
  const std::vector<Case> cases = {
      {"weight 1001",
       [](v1::RunTaskRequest& r) {
         v1::CapacityProviderStrategyItem* item = r.add_capacity_provider_strategy();
         item->set_capacity_provider("FARGATE");
         item->set_weight(1001);
       }},
      {"negative base",
       [](v1::RunTaskRequest& r) {
         v1::CapacityProviderStrategyItem* item = r.add_capacity_provider_strategy();
         item->set_capacity_provider("FARGATE");
         item->set_base(-1);
       }},
      {"21 items",
       [](v1::RunTaskRequest& r) {
         for (int i = 0; i < 21; ++i) {
           r.add_capacity_provider_strategy()->set_capacity_provider("FARGATE");
         }
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::RunTaskRequest request = ValidRunTask();
    c.mutate(request);
    EXPECT_THAT(ParseRunTask(Config{}, request), StatusIs(kInvalid, "capacityProviderStrategy"));
  }
}

// ---- Fingerprint -----------------------------------------------------------------

std::string FingerprintOf(const v1::RunTaskRequest& request) {
  absl::StatusOr<RunTaskPlan> plan = ParseRunTask(Config{}, request);
  EXPECT_THAT(plan, IsOk());
  return plan.ok() ? plan->fingerprint : "";
}

TEST(RunTaskFingerprint, EqualRequests_EqualFingerprints) {
  v1::RunTaskRequest request = ValidRunTask();
  request.set_count(2);
  AddTag(request.mutable_tags(), "team", "core");
  request.mutable_overrides()->add_container_overrides()->set_name("app");
  v1::RunTaskRequest copy = request;
  EXPECT_EQ(FingerprintOf(request), FingerprintOf(copy));
  EXPECT_EQ(FingerprintOf(request), FingerprintOf(request));
}

TEST(RunTaskFingerprint, ClientToken_DoesNotChangeIt) {
  v1::RunTaskRequest without = ValidRunTask();
  v1::RunTaskRequest with = without;
  with.set_client_token("token-1");
  v1::RunTaskRequest other = without;
  other.set_client_token("token-2");
  EXPECT_EQ(FingerprintOf(without), FingerprintOf(with));
  EXPECT_EQ(FingerprintOf(with), FingerprintOf(other));
}

TEST(RunTaskFingerprint, AnyMemberDiffers_FingerprintDiffers) {
  struct Case {
    std::string name;
    std::function<void(v1::RunTaskRequest&)> mutate;
  };
  const std::vector<Case> cases = {
      {"taskDefinition", [](v1::RunTaskRequest& r) { r.set_task_definition("web:2"); }},
      {"cluster", [](v1::RunTaskRequest& r) { r.set_cluster("prod"); }},
      {"count", [](v1::RunTaskRequest& r) { r.set_count(2); }},
      {"launchType", [](v1::RunTaskRequest& r) { r.set_launch_type("FARGATE"); }},
      {"platformVersion", [](v1::RunTaskRequest& r) { r.set_platform_version("1.4.0"); }},
      {"group", [](v1::RunTaskRequest& r) { r.set_group("g"); }},
      {"startedBy", [](v1::RunTaskRequest& r) { r.set_started_by("me"); }},
      {"another subnet", [](v1::RunTaskRequest& r) { Vpc(r)->set_subnets(0, kSubnetB); }},
      {"second subnet", [](v1::RunTaskRequest& r) { Vpc(r)->add_subnets(kSubnetB); }},
      {"security group", [](v1::RunTaskRequest& r) { Vpc(r)->add_security_groups(kGroupA); }},
      {"assignPublicIp", [](v1::RunTaskRequest& r) { Vpc(r)->set_assign_public_ip("ENABLED"); }},
      {"overrides cpu", [](v1::RunTaskRequest& r) { r.mutable_overrides()->set_cpu("512"); }},
      {"container override",
       [](v1::RunTaskRequest& r) {
         r.mutable_overrides()->add_container_overrides()->set_name("app");
       }},
      {"container command",
       [](v1::RunTaskRequest& r) {
         v1::ContainerOverride* o = r.mutable_overrides()->add_container_overrides();
         o->set_name("app");
         o->add_command("true");
       }},
      {"ephemeral storage",
       [](v1::RunTaskRequest& r) {
         r.mutable_overrides()->mutable_ephemeral_storage()->set_size_in_gib(30);
       }},
      {"tag", [](v1::RunTaskRequest& r) { AddTag(r.mutable_tags(), "team", "core"); }},
      {"propagateTags", [](v1::RunTaskRequest& r) { r.set_propagate_tags("TASK_DEFINITION"); }},
      {"managed tags", [](v1::RunTaskRequest& r) { r.set_enable_ecs_managed_tags(true); }},
      {"execute command", [](v1::RunTaskRequest& r) { r.set_enable_execute_command(true); }},
      {"capacity provider",
       [](v1::RunTaskRequest& r) {
         r.add_capacity_provider_strategy()->set_capacity_provider("FARGATE");
       }},
  };
  const std::string base = FingerprintOf(ValidRunTask());
  std::set<std::string> seen = {base};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::RunTaskRequest request = ValidRunTask();
    c.mutate(request);
    std::string fingerprint = FingerprintOf(request);
    EXPECT_NE(fingerprint, base);
    EXPECT_TRUE(seen.insert(fingerprint).second) << "fingerprint shared with another case";
  }
}

// ---- ParseTaskRef ----------------------------------------------------------------

TEST(ParseTaskRef, Table) {
  const std::string id = kTaskId;
  struct Case {
    std::string name;
    std::string ref;
    absl::StatusCode code;
    std::optional<std::string> cluster;  // when OK
    std::string want;                    // the id when OK, else a message substring
  };
  const std::vector<Case> cases = {
      {"bare id", id, absl::StatusCode::kOk, std::nullopt, id},
      {"arn with cluster", Arn("task/demo/" + id), absl::StatusCode::kOk, "demo", id},
      {"old arn without cluster", Arn("task/" + id), absl::StatusCode::kOk, std::nullopt, id},
      {"other account", "arn:aws:ecs:us-east-1:123456789012:task/demo/" + id, kNotFound,
       std::nullopt,
       "task: \"arn:aws:ecs:us-east-1:123456789012:task/demo/" + id + "\" does not exist"},
      {"other region", "arn:aws:ecs:eu-west-1:000000000000:task/demo/" + id, kNotFound,
       std::nullopt, "does not exist"},
      {"empty", "", kInvalid, std::nullopt, "task: \"\" is not a task id (32 hex digits) or ARN"},
      {"short id", id.substr(1), kInvalid, std::nullopt, "is not a task id (32 hex digits) or ARN"},
      {"long id", id + "0", kInvalid, std::nullopt, "is not a task id"},
      {"uppercase id", "0123456789ABCDEF0123456789ABCDEF", kInvalid, std::nullopt,
       "is not a task id"},
      {"uuid", "01234567-89ab-cdef-0123-456789abcdef", kInvalid, std::nullopt, "is not a task id"},
      {"cluster arn", Arn("cluster/demo"), kInvalid, std::nullopt, "is not a task ARN"},
      {"container arn", Arn("container/demo/" + id + "/x"), kInvalid, std::nullopt,
       "is not a task ARN"},
      {"not ecs", "arn:aws:ec2:us-east-1:000000000000:task/demo/" + id, kInvalid, std::nullopt,
       "is not a task ARN"},
      {"too few parts", "arn:aws:ecs:us-east-1:task/" + id, kInvalid, std::nullopt,
       "is not a task ARN"},
      {"three path parts", Arn("task/a/b/" + id), kInvalid, std::nullopt, "is not a task ARN"},
      {"bad id in arn", Arn("task/demo/" + id.substr(2)), kInvalid, std::nullopt,
       "is not a task ARN"},
      {"empty task path", Arn("task/"), kInvalid, std::nullopt, "is not a task ARN"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<TaskRef> ref = ParseTaskRef(Config{}, "task", c.ref);
    if (c.code == absl::StatusCode::kOk) {
      ASSERT_THAT(ref, IsOk());
      EXPECT_EQ(ref->task_id, c.want);
      EXPECT_EQ(ref->cluster, c.cluster);
    } else {
      EXPECT_THAT(ref, StatusIs(c.code, c.want));
    }
  }
}

TEST(TaskArn, LongFormat) {
  EXPECT_EQ(TaskArn(Config{}, "demo", kTaskId), Arn(std::string("task/demo/") + kTaskId));
  Config other{"eu-west-2", "123456789012"};
  EXPECT_EQ(TaskArn(other, "c", "ab"), "arn:aws:ecs:eu-west-2:123456789012:task/c/ab");
}

// ---- BuildTasks ------------------------------------------------------------------

// web:3, Fargate 256/512, two containers: app (cpu 128, memory 256) and sidecar
// (memoryReservation 64), one definition tag.
storage::TaskDefinitionRow WebDefinition() {
  storage::TaskDefinitionRow row;
  row.account_id = "000000000000";
  row.family = "web";
  row.revision = 3;
  row.status = "ACTIVE";
  row.body.set_family("web");
  row.body.set_network_mode("awsvpc");
  row.body.set_cpu("256");
  row.body.set_memory("512");
  row.body.add_requires_compatibilities("FARGATE");
  v1::ContainerDefinition* app = row.body.add_container_definitions();
  app->set_name("app");
  app->set_image("public.ecr.aws/nginx/nginx:1.27");
  app->set_cpu(128);
  app->set_memory(256);
  v1::ContainerDefinition* sidecar = row.body.add_container_definitions();
  sidecar->set_name("sidecar");
  sidecar->set_image("busybox:1.36");
  sidecar->set_memory_reservation(64);
  v1::Tag& tag = row.tags.emplace_back();
  tag.set_key("owner");
  tag.set_value("platform");
  return row;
}

RunTaskPlan PlanFor(const v1::RunTaskRequest& request) {
  absl::StatusOr<RunTaskPlan> plan = ParseRunTask(Config{}, request);
  EXPECT_THAT(plan, IsOk());
  return plan.ok() ? *plan : RunTaskPlan{};
}

absl::StatusOr<std::vector<storage::NewTask>> Build(
    const v1::RunTaskRequest& request,
    const storage::TaskDefinitionRow& definition = WebDefinition()) {
  return BuildTasks(Config{}, "000000000000", PlanFor(request), definition, {kGroupA});
}

// The tags as "key=value" strings, in order.
std::vector<std::string> TagStrings(const std::vector<v1::Tag>& tags) {
  std::vector<std::string> out;
  for (const v1::Tag& tag : tags) out.push_back(tag.key() + "=" + tag.value());
  return out;
}

TEST(BuildTasks, Baseline_OneTaskPerCountWithDefinitionSize) {
  v1::RunTaskRequest request = ValidRunTask();
  request.set_count(2);
  request.set_task_definition("web:3");
  Vpc(request)->add_subnets(kSubnetB);
  absl::StatusOr<std::vector<storage::NewTask>> tasks = Build(request);
  ASSERT_THAT(tasks, IsOk());
  ASSERT_EQ(tasks->size(), 2u);
  EXPECT_NE((*tasks)[0].task_id, (*tasks)[1].task_id);
  for (const storage::NewTask& task : *tasks) {
    SCOPED_TRACE(task.task_id);
    EXPECT_EQ(task.task_id.size(), 32u);
    EXPECT_TRUE(IsLowerHex(task.task_id));
    EXPECT_EQ(task.account_id, "000000000000");
    EXPECT_EQ(task.cluster, "default");
    EXPECT_EQ(task.family, "web");
    EXPECT_EQ(task.revision, 3);
    EXPECT_EQ(task.group, "family:web");
    EXPECT_EQ(task.started_by, std::nullopt);
    EXPECT_EQ(task.cpu_units, 256);
    EXPECT_EQ(task.memory_mib, 512);
    EXPECT_EQ(task.ephemeral_storage_gib, 20);
    EXPECT_THAT(task.subnet_ids, ElementsAre(kSubnetA, kSubnetB));
    EXPECT_THAT(task.security_group_ids, ElementsAre(kGroupA));
    EXPECT_FALSE(task.assign_public_ip);
    EXPECT_FALSE(task.enable_execute_command);
    EXPECT_THAT(task.tags, IsEmpty());
    ASSERT_EQ(task.containers.size(), 2u);
    const std::string arn_prefix = Arn("container/default/" + task.task_id + "/");
    const v1::Container& app = task.containers[0];
    EXPECT_EQ(app.container_arn().substr(0, arn_prefix.size()), arn_prefix);
    EXPECT_EQ(app.container_arn().size(), arn_prefix.size() + 36) << app.container_arn();
    EXPECT_EQ(app.task_arn(), Arn("task/default/" + task.task_id));
    EXPECT_EQ(app.name(), "app");
    EXPECT_EQ(app.image(), "public.ecr.aws/nginx/nginx:1.27");
    EXPECT_EQ(app.last_status(), "PENDING");
    EXPECT_EQ(app.health_status(), "UNKNOWN");
    EXPECT_EQ(app.cpu(), "128");
    EXPECT_EQ(app.memory(), "256");
    EXPECT_FALSE(app.has_memory_reservation());
    const v1::Container& sidecar = task.containers[1];
    EXPECT_EQ(sidecar.name(), "sidecar");
    EXPECT_EQ(sidecar.image(), "busybox:1.36");
    EXPECT_EQ(sidecar.cpu(), "0");
    EXPECT_FALSE(sidecar.has_memory());
    EXPECT_EQ(sidecar.memory_reservation(), "64");
    EXPECT_NE(app.container_arn(), sidecar.container_arn());
  }
}

TEST(BuildTasks, RequestMembers_CarriedIntoEveryTask) {
  v1::RunTaskRequest request = ValidRunTask();
  request.set_cluster("prod");
  request.set_group("batch");
  request.set_started_by("nightly");
  Vpc(request)->set_assign_public_ip("ENABLED");
  v1::ContainerOverride* app = request.mutable_overrides()->add_container_overrides();
  app->set_name("app");
  app->add_command("serve");
  absl::StatusOr<std::vector<storage::NewTask>> tasks = Build(request);
  ASSERT_THAT(tasks, IsOk());
  ASSERT_EQ(tasks->size(), 1u);
  const storage::NewTask& task = (*tasks)[0];
  EXPECT_EQ(task.cluster, "prod");
  EXPECT_EQ(task.group, "batch");
  EXPECT_EQ(task.started_by, "nightly");
  EXPECT_TRUE(task.assign_public_ip);
  ASSERT_EQ(task.overrides.container_overrides_size(), 1);
  EXPECT_THAT(task.overrides.container_overrides(0).command(), ElementsAre("serve"));
  ASSERT_EQ(task.containers.size(), 2u);
  EXPECT_EQ(task.containers[0].task_arn(), Arn("task/prod/" + task.task_id));
  EXPECT_EQ(task.containers[0].container_arn().rfind(Arn("container/prod/" + task.task_id), 0), 0u);
}

TEST(BuildTasks, SizeAndStorage_FromOverridesAndDefinition) {
  struct Case {
    std::string name;
    std::function<void(v1::RunTaskRequest&)> mutate;
    std::optional<int> definition_storage;
    int cpu, memory, storage;
  };
  const std::vector<Case> cases = {
      {"definition size", [](v1::RunTaskRequest&) {}, std::nullopt, 256, 512, 20},
      {"cpu and memory overridden",
       [](v1::RunTaskRequest& r) {
         r.mutable_overrides()->set_cpu("1024");
         r.mutable_overrides()->set_memory("4096");
       },
       std::nullopt, 1024, 4096, 20},
      {"vCPU and GB units",
       [](v1::RunTaskRequest& r) {
         r.mutable_overrides()->set_cpu("0.5 vCPU");
         r.mutable_overrides()->set_memory("1 GB");
       },
       std::nullopt, 512, 1024, 20},
      {"memory only", [](v1::RunTaskRequest& r) { r.mutable_overrides()->set_memory("2048"); },
       std::nullopt, 256, 2048, 20},
      {"definition storage", [](v1::RunTaskRequest&) {}, 50, 256, 512, 50},
      {"definition storage 0 means default", [](v1::RunTaskRequest&) {}, 0, 256, 512, 20},
      {"storage overridden",
       [](v1::RunTaskRequest& r) {
         r.mutable_overrides()->mutable_ephemeral_storage()->set_size_in_gib(100);
       },
       std::nullopt, 256, 512, 100},
      {"storage override beats definition",
       [](v1::RunTaskRequest& r) {
         r.mutable_overrides()->mutable_ephemeral_storage()->set_size_in_gib(30);
       },
       150, 256, 512, 30},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::RunTaskRequest request = ValidRunTask();
    c.mutate(request);
    storage::TaskDefinitionRow definition = WebDefinition();
    if (c.definition_storage.has_value()) {
      definition.body.mutable_ephemeral_storage()->set_size_in_gib(*c.definition_storage);
    }
    absl::StatusOr<std::vector<storage::NewTask>> tasks = Build(request, definition);
    ASSERT_THAT(tasks, IsOk());
    ASSERT_EQ(tasks->size(), 1u);
    EXPECT_EQ((*tasks)[0].cpu_units, c.cpu);
    EXPECT_EQ((*tasks)[0].memory_mib, c.memory);
    EXPECT_EQ((*tasks)[0].ephemeral_storage_gib, c.storage);
  }
}

TEST(BuildTasks, CpuOverrideOnly_KeepsDefinitionMemory) {
  v1::RunTaskRequest request = ValidRunTask();
  request.mutable_overrides()->set_cpu("512");
  storage::TaskDefinitionRow definition = WebDefinition();
  definition.body.set_memory("1024");
  absl::StatusOr<std::vector<storage::NewTask>> tasks = Build(request, definition);
  ASSERT_THAT(tasks, IsOk());
  EXPECT_EQ((*tasks)[0].cpu_units, 512);
  EXPECT_EQ((*tasks)[0].memory_mib, 1024);
}

TEST(BuildTasks, OverridesThatDoNotFit_Refused) {
  struct Case {
    std::string name;
    std::function<void(v1::RunTaskRequest&)> mutate;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"memory too big for cpu",
       [](v1::RunTaskRequest& r) { r.mutable_overrides()->set_memory("4096"); },
       "overrides: memory: 4096 MiB is not valid with cpu 256"},
      {"memory too small for cpu",
       [](v1::RunTaskRequest& r) { r.mutable_overrides()->set_cpu("4096"); },
       "overrides: memory: 512 MiB is not valid with cpu 4096"},
      {"not a Fargate cpu", [](v1::RunTaskRequest& r) { r.mutable_overrides()->set_cpu("300"); },
       "overrides: cpu: 300 CPU units is not a Fargate task size"},
      {"cpu not a number", [](v1::RunTaskRequest& r) { r.mutable_overrides()->set_cpu("lots"); },
       "overrides.cpu: \"lots\" is not a task cpu value"},
      {"memory not a number",
       [](v1::RunTaskRequest& r) { r.mutable_overrides()->set_memory("big"); },
       "overrides.memory: \"big\" is not a task memory value"},
      {"unknown container",
       [](v1::RunTaskRequest& r) {
         r.mutable_overrides()->add_container_overrides()->set_name("app");
         r.mutable_overrides()->add_container_overrides()->set_name("db");
       },
       "overrides.containerOverrides[1].name: \"db\" is not a container of web"},
      {"execute command without task role",
       [](v1::RunTaskRequest& r) { r.set_enable_execute_command(true); },
       "enableExecuteCommand: needs a task role"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::RunTaskRequest request = ValidRunTask();
    c.mutate(request);
    EXPECT_THAT(Build(request), StatusIs(kInvalid, c.message));
  }
}

TEST(BuildTasks, ExecuteCommand_AllowedWithTaskRoleFromDefinitionOrOverride) {
  v1::RunTaskRequest request = ValidRunTask();
  request.set_enable_execute_command(true);
  storage::TaskDefinitionRow with_role = WebDefinition();
  with_role.body.set_task_role_arn("arn:aws:iam::000000000000:role/app");
  absl::StatusOr<std::vector<storage::NewTask>> tasks = Build(request, with_role);
  ASSERT_THAT(tasks, IsOk());
  EXPECT_TRUE((*tasks)[0].enable_execute_command);

  request.mutable_overrides()->set_task_role_arn("arn:aws:iam::000000000000:role/other");
  tasks = Build(request);
  ASSERT_THAT(tasks, IsOk());
  EXPECT_TRUE((*tasks)[0].enable_execute_command);
}

TEST(BuildTasks, ContainerOverrides_SetContainerCpuAndMemory) {
  v1::RunTaskRequest request = ValidRunTask();
  v1::ContainerOverride* sidecar = request.mutable_overrides()->add_container_overrides();
  sidecar->set_name("sidecar");
  sidecar->set_cpu(64);
  sidecar->set_memory(128);
  sidecar->set_memory_reservation(96);
  v1::ContainerOverride* app = request.mutable_overrides()->add_container_overrides();
  app->set_name("app");
  app->add_command("only-command");
  absl::StatusOr<std::vector<storage::NewTask>> tasks = Build(request);
  ASSERT_THAT(tasks, IsOk());
  const std::vector<v1::Container>& containers = (*tasks)[0].containers;
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(containers[0].name(), "app");
  EXPECT_EQ(containers[0].cpu(), "128");
  EXPECT_EQ(containers[0].memory(), "256");
  EXPECT_FALSE(containers[0].has_memory_reservation());
  EXPECT_EQ(containers[1].name(), "sidecar");
  EXPECT_EQ(containers[1].cpu(), "64");
  EXPECT_EQ(containers[1].memory(), "128");
  EXPECT_EQ(containers[1].memory_reservation(), "96");
}

TEST(BuildTasks, Tags_RequestPropagatedAndManaged) {
  struct Case {
    std::string name;
    std::function<void(v1::RunTaskRequest&)> mutate;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"none", [](v1::RunTaskRequest&) {}, {}},
      {"request tags",
       [](v1::RunTaskRequest& r) {
         AddTag(r.mutable_tags(), "team", "core");
         AddTag(r.mutable_tags(), "env", "");
       },
       {"team=core", "env="}},
      {"propagate NONE",
       [](v1::RunTaskRequest& r) {
         AddTag(r.mutable_tags(), "team", "core");
         r.set_propagate_tags("NONE");
       },
       {"team=core"}},
      {"propagate TASK_DEFINITION",
       [](v1::RunTaskRequest& r) {
         AddTag(r.mutable_tags(), "team", "core");
         r.set_propagate_tags("TASK_DEFINITION");
       },
       {"team=core", "owner=platform"}},
      {"managed tags",
       [](v1::RunTaskRequest& r) {
         r.set_cluster("prod");
         r.set_enable_ecs_managed_tags(true);
       },
       {"aws:ecs:clusterName=prod"}},
      {"all",
       [](v1::RunTaskRequest& r) {
         AddTag(r.mutable_tags(), "team", "core");
         r.set_propagate_tags("TASK_DEFINITION");
         r.set_enable_ecs_managed_tags(true);
       },
       {"team=core", "owner=platform", "aws:ecs:clusterName=default"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::RunTaskRequest request = ValidRunTask();
    request.set_count(2);
    c.mutate(request);
    absl::StatusOr<std::vector<storage::NewTask>> tasks = Build(request);
    ASSERT_THAT(tasks, IsOk());
    for (const storage::NewTask& task : *tasks) {
      EXPECT_EQ(TagStrings(task.tags), c.want);
    }
  }
}

// Tag keys are unique on any resource (contract 1.x tag rules, shared by every
// resource's tags).
TEST(BuildTasks, PropagatedTagWithRequestKey_KeyAppearsOnce) {
  v1::RunTaskRequest request = ValidRunTask();
  AddTag(request.mutable_tags(), "owner", "me");
  request.set_propagate_tags("TASK_DEFINITION");
  absl::StatusOr<std::vector<storage::NewTask>> tasks = Build(request);
  ASSERT_THAT(tasks, IsOk());
  const std::vector<v1::Tag>& tags = (*tasks)[0].tags;
  EXPECT_EQ(std::count_if(tags.begin(), tags.end(),
                          [](const v1::Tag& tag) { return tag.key() == "owner"; }),
            1)
      << ::testing::PrintToString(TagStrings(tags));
}

// ---- ToTask ----------------------------------------------------------------------

const absl::Time kCreated = absl::FromUnixMillis(1718000000118);

// A stored task of cluster demo, web:7 (512/1024), containers app and sidecar, tagged;
// not placed, PROVISIONING.
storage::TaskRow WaitingRow() {
  storage::TaskRow row;
  storage::NewTask& spec = row.spec;
  spec.task_id = kTaskId;
  spec.account_id = "000000000000";
  spec.cluster = "demo";
  spec.family = "web";
  spec.revision = 7;
  spec.group = "family:web";
  spec.started_by = "nightly-batch";
  spec.cpu_units = 512;
  spec.memory_mib = 1024;
  spec.ephemeral_storage_gib = 20;
  spec.subnet_ids = {kSubnetA};
  spec.security_group_ids = {kGroupA};
  for (const char* name : {"app", "sidecar"}) {
    v1::Container& container = spec.containers.emplace_back();
    container.set_container_arn(Arn(absl::StrCat("container/demo/", kTaskId, "/uuid-", name)));
    container.set_task_arn(Arn(absl::StrCat("task/demo/", kTaskId)));
    container.set_name(name);
    container.set_image("public.ecr.aws/nginx/nginx:1.27");
    container.set_last_status("PENDING");
    container.set_health_status("UNKNOWN");
    container.set_cpu("0");
    container.set_memory("512");
  }
  v1::Tag& tag = spec.tags.emplace_back();
  tag.set_key("team");
  tag.set_value("core");
  row.holds_resources = false;
  row.last_status = "PROVISIONING";
  row.desired_status = "RUNNING";
  row.created_at = kCreated;
  row.version = 1;
  return row;
}

storage::TaskPlacement Placement() {
  storage::TaskPlacement placement;
  placement.host_id = 4;
  placement.instance_id = kInstanceId;
  placement.availability_zone = "us-east-1b";
  placement.subnet_id = kSubnetA;
  placement.eni_id = "eni-0fedcba9876543210";
  placement.attachment_id = "2f1c9a7e-5b1d-4c0e-9a55-0d7b3c6e9f10";
  placement.private_ipv4 = "10.0.1.23";
  placement.mac_address = "0a:1b:2c:3d:4e:5f";
  placement.private_dns_name = "ip-10-0-1-23.ec2.internal";
  return placement;
}

storage::TaskRow PlacedRow(const std::string& last_status) {
  storage::TaskRow row = WaitingRow();
  row.placement = Placement();
  row.holds_resources = true;
  row.last_status = last_status;
  row.placed_at = kCreated + absl::Milliseconds(5);
  row.version = 2;
  return row;
}

std::vector<std::string> Details(const v1::Attachment& attachment) {
  std::vector<std::string> out;
  for (const v1::KeyValuePair& pair : attachment.details()) {
    out.push_back(pair.name() + "=" + pair.value());
  }
  return out;
}

// The members every task has, whatever its state.
void ExpectCommonShape(const v1::Task& task) {
  const std::string task_arn = Arn(std::string("task/demo/") + kTaskId);
  EXPECT_EQ(task.task_arn(), task_arn);
  EXPECT_EQ(task.cluster_arn(), Arn("cluster/demo"));
  EXPECT_EQ(task.task_definition_arn(), Arn("task-definition/web:7"));
  EXPECT_EQ(task.launch_type(), "FARGATE");
  EXPECT_EQ(task.platform_version(), "1.4.0");
  EXPECT_EQ(task.platform_family(), "Linux");
  EXPECT_EQ(task.cpu(), "512");
  EXPECT_EQ(task.memory(), "1024");
  EXPECT_EQ(task.ephemeral_storage().size_in_gib(), 20);
  EXPECT_EQ(task.fargate_ephemeral_storage().size_in_gib(), 20);
  EXPECT_FALSE(task.fargate_ephemeral_storage().has_kms_key_id());
  EXPECT_EQ(task.group(), "family:web");
  EXPECT_EQ(task.started_by(), "nightly-batch");
  EXPECT_EQ(task.health_status(), "UNKNOWN");
  EXPECT_TRUE(task.has_enable_execute_command());
  EXPECT_FALSE(task.enable_execute_command());
  ASSERT_EQ(task.attributes_size(), 1);
  EXPECT_EQ(task.attributes(0).name(), "ecs.cpu-architecture");
  EXPECT_EQ(task.attributes(0).value(), "x86_64");
  ASSERT_TRUE(task.has_overrides());
  ASSERT_EQ(task.overrides().container_overrides_size(), 2);
  EXPECT_EQ(task.overrides().container_overrides(0).name(), "app");
  EXPECT_EQ(task.overrides().container_overrides(1).name(), "sidecar");
  EXPECT_EQ(task.overrides().inference_accelerator_overrides_size(), 0);
  EXPECT_DOUBLE_EQ(task.created_at(), 1718000000.118);
  ASSERT_EQ(task.containers_size(), 2);
  for (const v1::Container& container : task.containers()) {
    EXPECT_EQ(container.task_arn(), task_arn);
    EXPECT_EQ(container.container_arn(),
              Arn(absl::StrCat("container/demo/", kTaskId, "/uuid-", container.name())));
    EXPECT_EQ(container.image(), "public.ecr.aws/nginx/nginx:1.27");
    EXPECT_EQ(container.cpu(), "0");
    EXPECT_EQ(container.memory(), "512");
    EXPECT_EQ(container.health_status(), "UNKNOWN");
  }
  EXPECT_EQ(task.containers(0).name(), "app");
  EXPECT_EQ(task.containers(1).name(), "sidecar");
}

TEST(ToTask, Waiting_NoPlacementMembers) {
  v1::Task task = ToTask(Config{}, WaitingRow(), /*with_tags=*/false);
  ExpectCommonShape(task);
  EXPECT_EQ(task.last_status(), "PROVISIONING");
  EXPECT_EQ(task.desired_status(), "RUNNING");
  EXPECT_FALSE(task.has_availability_zone());
  EXPECT_FALSE(task.has_container_instance_arn());
  EXPECT_EQ(task.attachments_size(), 0);
  for (const v1::Container& container : task.containers()) {
    EXPECT_EQ(container.last_status(), "PENDING");
    EXPECT_EQ(container.network_interfaces_size(), 0);
  }
  EXPECT_EQ(task.version(), 1);
  EXPECT_EQ(task.tags_size(), 0);
  EXPECT_FALSE(task.has_started_at());
  EXPECT_FALSE(task.has_pull_started_at());
  EXPECT_FALSE(task.has_pull_stopped_at());
  EXPECT_FALSE(task.has_stopping_at());
  EXPECT_FALSE(task.has_execution_stopped_at());
  EXPECT_FALSE(task.has_stopped_at());
  EXPECT_FALSE(task.has_stop_code());
  EXPECT_FALSE(task.has_stopped_reason());
}

TEST(ToTask, Placed_HasZoneInstanceAndEniAttachment) {
  struct Case {
    std::string last_status;
    std::string attachment_status;
    std::string container_status;
  };
  const std::vector<Case> cases = {
      {"PROVISIONING", "PRECREATED", "PENDING"},
      {"PENDING", "ATTACHED", "PENDING"},
      {"RUNNING", "ATTACHED", "RUNNING"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.last_status);
    v1::Task task = ToTask(Config{}, PlacedRow(c.last_status), /*with_tags=*/false);
    ExpectCommonShape(task);
    EXPECT_EQ(task.last_status(), c.last_status);
    EXPECT_EQ(task.desired_status(), "RUNNING");
    EXPECT_EQ(task.availability_zone(), "us-east-1b");
    EXPECT_EQ(task.container_instance_arn(), Arn(std::string("container-instance/") + kInstanceId));
    ASSERT_EQ(task.attachments_size(), 1);
    const v1::Attachment& eni = task.attachments(0);
    EXPECT_EQ(eni.id(), "2f1c9a7e-5b1d-4c0e-9a55-0d7b3c6e9f10");
    EXPECT_EQ(eni.type(), "ElasticNetworkInterface");
    EXPECT_EQ(eni.status(), c.attachment_status);
    EXPECT_THAT(
        Details(eni),
        ElementsAre("subnetId=subnet-0123456789abcdef0", "networkInterfaceId=eni-0fedcba9876543210",
                    "macAddress=0a:1b:2c:3d:4e:5f", "privateDnsName=ip-10-0-1-23.ec2.internal",
                    "privateIPv4Address=10.0.1.23"));
    for (const v1::Container& container : task.containers()) {
      EXPECT_EQ(container.last_status(), c.container_status);
      ASSERT_EQ(container.network_interfaces_size(), 1);
      EXPECT_EQ(container.network_interfaces(0).attachment_id(),
                "2f1c9a7e-5b1d-4c0e-9a55-0d7b3c6e9f10");
      EXPECT_EQ(container.network_interfaces(0).private_ipv4_address(), "10.0.1.23");
      EXPECT_FALSE(container.network_interfaces(0).has_ipv6_address());
    }
    EXPECT_EQ(task.version(), 2);
    EXPECT_FALSE(task.has_stopped_at());
  }
}

TEST(ToTask, Running_TimestampsAsEpochSeconds) {
  storage::TaskRow row = PlacedRow("RUNNING");
  row.pull_started_at = absl::FromUnixMillis(1718000009770);
  row.pull_stopped_at = absl::FromUnixMillis(1718000014050);
  row.started_at = absl::FromUnixMillis(1718000016930);
  row.version = 3;
  v1::Task task = ToTask(Config{}, row, /*with_tags=*/false);
  EXPECT_DOUBLE_EQ(task.created_at(), 1718000000.118);
  EXPECT_DOUBLE_EQ(task.pull_started_at(), 1718000009.77);
  EXPECT_DOUBLE_EQ(task.pull_stopped_at(), 1718000014.05);
  EXPECT_DOUBLE_EQ(task.started_at(), 1718000016.93);
  EXPECT_FALSE(task.has_stopping_at());
  EXPECT_EQ(task.version(), 3);
}

TEST(ToTask, Stopped_AttachmentDeletedAndStopMembers) {
  storage::TaskRow row = PlacedRow("STOPPED");
  row.holds_resources = false;
  row.desired_status = "STOPPED";
  row.stopping_at = absl::FromUnixMillis(1718000100000);
  row.execution_stopped_at = absl::FromUnixMillis(1718000100250);
  row.stopped_at = absl::FromUnixMillis(1718000100500);
  row.stop_code = "UserInitiated";
  row.stopped_reason = "Task stopped by user";
  row.version = 4;
  v1::Task task = ToTask(Config{}, row, /*with_tags=*/false);
  ExpectCommonShape(task);
  EXPECT_EQ(task.last_status(), "STOPPED");
  EXPECT_EQ(task.desired_status(), "STOPPED");
  EXPECT_EQ(task.availability_zone(), "us-east-1b");
  ASSERT_EQ(task.attachments_size(), 1);
  EXPECT_EQ(task.attachments(0).status(), "DELETED");
  EXPECT_EQ(task.attachments(0).details_size(), 5);
  for (const v1::Container& container : task.containers()) {
    EXPECT_EQ(container.last_status(), "STOPPED");
  }
  EXPECT_DOUBLE_EQ(task.stopping_at(), 1718000100.0);
  EXPECT_DOUBLE_EQ(task.execution_stopped_at(), 1718000100.25);
  EXPECT_DOUBLE_EQ(task.stopped_at(), 1718000100.5);
  EXPECT_EQ(task.stop_code(), "UserInitiated");
  EXPECT_EQ(task.stopped_reason(), "Task stopped by user");
  EXPECT_EQ(task.version(), 4);
}

TEST(ToTask, StoppedWithoutPlacement_NoAttachment) {
  storage::TaskRow row = WaitingRow();
  row.last_status = "STOPPED";
  row.desired_status = "STOPPED";
  row.stopped_at = kCreated + absl::Seconds(1);
  row.stop_code = "TaskFailedToStart";
  v1::Task task = ToTask(Config{}, row, /*with_tags=*/false);
  EXPECT_EQ(task.attachments_size(), 0);
  EXPECT_FALSE(task.has_availability_zone());
  EXPECT_EQ(task.stop_code(), "TaskFailedToStart");
  for (const v1::Container& container : task.containers()) {
    EXPECT_EQ(container.last_status(), "STOPPED");
    EXPECT_EQ(container.network_interfaces_size(), 0);
  }
}

TEST(ToTask, Tags_OnlyWhenAsked) {
  storage::TaskRow row = PlacedRow("PENDING");
  EXPECT_EQ(ToTask(Config{}, row, /*with_tags=*/false).tags_size(), 0);
  v1::Task with = ToTask(Config{}, row, /*with_tags=*/true);
  ASSERT_EQ(with.tags_size(), 1);
  EXPECT_EQ(with.tags(0).key(), "team");
  EXPECT_EQ(with.tags(0).value(), "core");
}

TEST(ToTask, Overrides_ListEveryContainerOnce) {
  storage::TaskRow row = WaitingRow();
  v1::ContainerOverride* sidecar = row.spec.overrides.add_container_overrides();
  sidecar->set_name("sidecar");
  sidecar->add_command("sleep");
  row.spec.overrides.set_cpu("512");
  row.spec.overrides.set_task_role_arn("arn:aws:iam::000000000000:role/r");
  v1::Task task = ToTask(Config{}, row, /*with_tags=*/false);
  ASSERT_EQ(task.overrides().container_overrides_size(), 2);
  EXPECT_EQ(task.overrides().container_overrides(0).name(), "sidecar");
  EXPECT_THAT(task.overrides().container_overrides(0).command(), ElementsAre("sleep"));
  EXPECT_EQ(task.overrides().container_overrides(1).name(), "app");
  EXPECT_EQ(task.overrides().container_overrides(1).command_size(), 0);
  EXPECT_EQ(task.overrides().cpu(), "512");
  EXPECT_EQ(task.overrides().task_role_arn(), "arn:aws:iam::000000000000:role/r");
}

TEST(ToTask, ExecuteCommandAndStorage_FromSpec) {
  storage::TaskRow row = WaitingRow();
  row.spec.enable_execute_command = true;
  row.spec.ephemeral_storage_gib = 120;
  row.spec.started_by.reset();
  v1::Task task = ToTask(Config{}, row, /*with_tags=*/false);
  EXPECT_TRUE(task.enable_execute_command());
  EXPECT_EQ(task.ephemeral_storage().size_in_gib(), 120);
  EXPECT_EQ(task.fargate_ephemeral_storage().size_in_gib(), 120);
  EXPECT_FALSE(task.has_started_by());
}

TEST(ToTask, OtherConfig_ArnsUseItsRegionAndAccount) {
  Config config{"eu-west-1", "123456789012"};
  v1::Task task = ToTask(config, PlacedRow("PENDING"), /*with_tags=*/false);
  const std::string prefix = "arn:aws:ecs:eu-west-1:123456789012:";
  EXPECT_EQ(task.task_arn(), prefix + "task/demo/" + kTaskId);
  EXPECT_EQ(task.cluster_arn(), prefix + "cluster/demo");
  EXPECT_EQ(task.task_definition_arn(), prefix + "task-definition/web:7");
  EXPECT_EQ(task.container_instance_arn(), prefix + "container-instance/" + kInstanceId);
}

// Contract 3.1: lastStatus only walks forward, and a container's lastStatus is PENDING,
// RUNNING or STOPPED. Once a task has started (startedAt set), its containers are
// RUNNING while it deactivates or stops, and STOPPED once it deprovisions.
TEST(ToTask, StartedTaskStopping_ContainersDoNotGoBackToPending) {
  struct Case {
    std::string last_status;
    std::string container_status;
  };
  const std::vector<Case> cases = {
      {"DEACTIVATING", "RUNNING"},
      {"STOPPING", "RUNNING"},
      {"DEPROVISIONING", "STOPPED"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.last_status);
    storage::TaskRow row = PlacedRow(c.last_status);
    row.started_at = kCreated + absl::Seconds(10);
    row.desired_status = "STOPPED";
    row.stopping_at = kCreated + absl::Seconds(20);
    v1::Task task = ToTask(Config{}, row, /*with_tags=*/false);
    for (const v1::Container& container : task.containers()) {
      EXPECT_EQ(container.last_status(), c.container_status);
    }
  }
}

// ---- ParseListTasks --------------------------------------------------------------

TEST(ParseListTasks, ValidRequests_Query) {
  const std::string instance = kInstanceId;
  struct Case {
    std::string name;
    std::function<void(v1::ListTasksRequest&)> mutate;
    std::string cluster = "default";
    std::optional<std::string> family;
    std::optional<std::string> started_by;
    std::optional<std::string> instance_id;
    std::string desired_status = "RUNNING";
    int limit = 100;
    bool matches_nothing = false;
  };
  const std::vector<Case> cases = {
      {.name = "defaults", .mutate = [](v1::ListTasksRequest&) {}},
      {.name = "cluster name",
       .mutate = [](v1::ListTasksRequest& r) { r.set_cluster("prod"); },
       .cluster = "prod"},
      {.name = "cluster arn",
       .mutate = [](v1::ListTasksRequest& r) { r.set_cluster(Arn("cluster/prod")); },
       .cluster = "prod"},
      {.name = "family",
       .mutate = [](v1::ListTasksRequest& r) { r.set_family("web"); },
       .family = "web"},
      {.name = "startedBy",
       .mutate = [](v1::ListTasksRequest& r) { r.set_started_by("nightly/1"); },
       .started_by = "nightly/1"},
      {.name = "startedBy with desiredStatus",
       .mutate =
           [](v1::ListTasksRequest& r) {
             r.set_started_by("me");
             r.set_desired_status("STOPPED");
           },
       .started_by = "me",
       .desired_status = "STOPPED"},
      {.name = "containerInstance id",
       .mutate = [instance](v1::ListTasksRequest& r) { r.set_container_instance(instance); },
       .instance_id = instance},
      {.name = "containerInstance arn",
       .mutate =
           [instance](v1::ListTasksRequest& r) {
             r.set_container_instance(Arn("container-instance/" + instance));
           },
       .instance_id = instance},
      {.name = "family and containerInstance",
       .mutate =
           [instance](v1::ListTasksRequest& r) {
             r.set_family("web");
             r.set_container_instance(instance);
           },
       .family = "web",
       .instance_id = instance},
      {.name = "desiredStatus RUNNING",
       .mutate = [](v1::ListTasksRequest& r) { r.set_desired_status("RUNNING"); }},
      {.name = "desiredStatus STOPPED",
       .mutate = [](v1::ListTasksRequest& r) { r.set_desired_status("STOPPED"); },
       .desired_status = "STOPPED"},
      {.name = "desiredStatus PENDING matches nothing",
       .mutate = [](v1::ListTasksRequest& r) { r.set_desired_status("PENDING"); },
       .desired_status = "PENDING",
       .matches_nothing = true},
      {.name = "launchType FARGATE",
       .mutate = [](v1::ListTasksRequest& r) { r.set_launch_type("FARGATE"); }},
      {.name = "launchType EC2 matches nothing",
       .mutate = [](v1::ListTasksRequest& r) { r.set_launch_type("EC2"); },
       .matches_nothing = true},
      {.name = "launchType EXTERNAL matches nothing",
       .mutate = [](v1::ListTasksRequest& r) { r.set_launch_type("EXTERNAL"); },
       .matches_nothing = true},
      {.name = "launchType MANAGED_INSTANCES matches nothing",
       .mutate = [](v1::ListTasksRequest& r) { r.set_launch_type("MANAGED_INSTANCES"); },
       .matches_nothing = true},
      {.name = "serviceName matches nothing",
       .mutate = [](v1::ListTasksRequest& r) { r.set_service_name("api"); },
       .matches_nothing = true},
      {.name = "maxResults 1",
       .mutate = [](v1::ListTasksRequest& r) { r.set_max_results(1); },
       .limit = 1},
      {.name = "maxResults 100",
       .mutate = [](v1::ListTasksRequest& r) { r.set_max_results(100); },
       .limit = 100},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::ListTasksRequest request;
    c.mutate(request);
    absl::StatusOr<ListTasksPlan> plan = ParseListTasks(Config{}, request);
    ASSERT_THAT(plan, IsOk());
    EXPECT_EQ(plan->query.cluster, c.cluster);
    EXPECT_EQ(plan->query.family, c.family);
    EXPECT_EQ(plan->query.started_by, c.started_by);
    EXPECT_EQ(plan->query.instance_id, c.instance_id);
    EXPECT_EQ(plan->query.desired_status, c.desired_status);
    EXPECT_EQ(plan->query.limit, c.limit);
    EXPECT_EQ(plan->query.after, "");
    EXPECT_EQ(plan->matches_nothing, c.matches_nothing);
  }
}

TEST(ParseListTasks, InvalidRequests_RefusedNamingTheMember) {
  struct Case {
    std::string name;
    std::function<void(v1::ListTasksRequest&)> mutate;
    absl::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"cluster malformed", [](v1::ListTasksRequest& r) { r.set_cluster("a b"); }, kInvalid,
       "cluster: \"a b\" is not a valid cluster name"},
      {"cluster of another account",
       [](v1::ListTasksRequest& r) {
         r.set_cluster("arn:aws:ecs:us-east-1:123456789012:cluster/default");
       },
       kNotFound, "cluster: "},
      {"family malformed", [](v1::ListTasksRequest& r) { r.set_family("web:1"); }, kInvalid,
       "family: \"web:1\" is not a valid family name"},
      {"family empty", [](v1::ListTasksRequest& r) { r.set_family(""); }, kInvalid,
       "family: \"\" is not a valid family name"},
      {"startedBy malformed", [](v1::ListTasksRequest& r) { r.set_started_by("a:b"); }, kInvalid,
       "startedBy: \"a:b\" is invalid"},
      {"startedBy with family",
       [](v1::ListTasksRequest& r) {
         r.set_started_by("me");
         r.set_family("web");
       },
       kInvalid, "startedBy: must be the only filter"},
      {"startedBy with containerInstance",
       [](v1::ListTasksRequest& r) {
         r.set_started_by("me");
         r.set_container_instance(kInstanceId);
       },
       kInvalid, "startedBy: must be the only filter"},
      {"startedBy with serviceName",
       [](v1::ListTasksRequest& r) {
         r.set_started_by("me");
         r.set_service_name("api");
       },
       kInvalid, "startedBy: must be the only filter"},
      {"containerInstance malformed",
       [](v1::ListTasksRequest& r) { r.set_container_instance("i-0123"); }, kInvalid,
       "containerInstance: \"i-0123\" is not a container instance"},
      {"containerInstance of another account",
       [](v1::ListTasksRequest& r) {
         r.set_container_instance(
             absl::StrCat("arn:aws:ecs:us-east-1:123456789012:container-instance/", kInstanceId));
       },
       kNotFound, "containerInstance: "},
      {"desiredStatus lowercase", [](v1::ListTasksRequest& r) { r.set_desired_status("running"); },
       kInvalid, "desiredStatus: \"running\" is invalid; use RUNNING, PENDING or STOPPED"},
      {"desiredStatus empty", [](v1::ListTasksRequest& r) { r.set_desired_status(""); }, kInvalid,
       "desiredStatus: \"\" is invalid"},
      {"launchType lowercase", [](v1::ListTasksRequest& r) { r.set_launch_type("fargate"); },
       kInvalid, "launchType: \"fargate\" is invalid"},
      {"maxResults 0", [](v1::ListTasksRequest& r) { r.set_max_results(0); }, kInvalid,
       "maxResults: 0 is out of range; use 1 to 100"},
      {"maxResults 101", [](v1::ListTasksRequest& r) { r.set_max_results(101); }, kInvalid,
       "maxResults: 101 is out of range"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::ListTasksRequest request;
    c.mutate(request);
    EXPECT_THAT(ParseListTasks(Config{}, request), StatusIs(c.code, c.message));
  }
}

}  // namespace
}  // namespace gantry::api::internal
