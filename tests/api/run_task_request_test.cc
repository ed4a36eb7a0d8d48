// RunTask validation (ParseRunTask), the clientToken fingerprint, task references
// (ParseTaskRef) and task ARNs.
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "api/api.h"
#include "api/internal/tasks.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/api/task_test_support.h"
#include "tests/support/status_matchers.h"

namespace gantry::api::internal::task_test {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// An 17-hex-digit EC2 id numbered `n`.
std::string Ec2Id(const std::string& prefix, int n) {
  std::string digits = absl::StrCat(n);
  return prefix + "-" + std::string(17 - digits.size(), '0') + digits;
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

}  // namespace
}  // namespace gantry::api::internal::task_test
