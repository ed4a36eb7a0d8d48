// Validate(): top-level members (contract 1.1, 1.2), tags, the size limit, and how
// problems are reported (all of them, in document order, capped at 20).
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "taskdef/taskdef.h"
#include "tests/support/status_matchers.h"
#include "tests/taskdef/base_definition.h"

namespace gantry::taskdef {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using testing::App;
using testing::BaseRequest;
using testing::Case;
using testing::Lines;
using testing::Request;
using testing::RunValidateCases;
using testing::Sidecar;

void AddTag(Request& r, const std::string& key, const std::string& value) {
  gantry::v1::Tag* tag = r.add_tags();
  tag->set_key(key);
  tag->set_value(value);
}

TEST(Validate, BaseDefinition_IsValid) { EXPECT_THAT(Validate(BaseRequest()), IsOk()); }

TEST(Validate, TopLevelMembers_FollowFargateRules) {
  RunValidateCases({
      {"family missing", [](Request& r) { r.clear_family(); }, "family: missing"},
      {"family empty", [](Request& r) { r.set_family(""); }, "family: missing"},
      {"family with a space", [](Request& r) { r.set_family("web app"); },
       "family: \"web app\" is not a valid family; use 1-255 letters"},
      {"family 256 chars", [](Request& r) { r.set_family(std::string(256, 'a')); },
       "family: \"aaaa"},
      {"family 255 chars", [](Request& r) { r.set_family(std::string(255, 'a')); }, ""},
      {"family with - and _", [](Request& r) { r.set_family("web-app_2"); }, ""},
      {"task role name", [](Request& r) { r.set_task_role_arn("my.role@x"); }, ""},
      {"task role ARN with path",
       [](Request& r) { r.set_task_role_arn("arn:aws:iam::123456789012:role/svc/web"); }, ""},
      {"task role ARN short account",
       [](Request& r) { r.set_task_role_arn("arn:aws:iam::123:role/x"); },
       "taskRoleArn: \"arn:aws:iam::123:role/x\" is not an IAM role"},
      {"task role ARN of a user",
       [](Request& r) { r.set_task_role_arn("arn:aws:iam::123456789012:user/x"); },
       "taskRoleArn: \"arn:aws:iam::123456789012:user/x\" is not an IAM role"},
      {"execution role with a space", [](Request& r) { r.set_execution_role_arn("my role"); },
       "executionRoleArn: \"my role\" is not an IAM role"},
      {"networkMode absent", [](Request& r) { r.clear_network_mode(); },
       "networkMode: must be \"awsvpc\" on Fargate"},
      {"networkMode bridge", [](Request& r) { r.set_network_mode("bridge"); },
       "networkMode: must be \"awsvpc\" on Fargate, not \"bridge\""},
      {"networkMode host", [](Request& r) { r.set_network_mode("host"); },
       "networkMode: must be \"awsvpc\" on Fargate, not \"host\""},
      {"networkMode AWSVPC", [](Request& r) { r.set_network_mode("AWSVPC"); },
       "networkMode: must be \"awsvpc\" on Fargate, not \"AWSVPC\""},
      {"placementConstraints",
       [](Request& r) { r.add_placement_constraints()->set_type("memberOf"); },
       "placementConstraints: not supported on Fargate"},
      {"requiresCompatibilities unknown",
       [](Request& r) { r.add_requires_compatibilities("FARGATE_SPOT"); },
       "requiresCompatibilities[1]: \"FARGATE_SPOT\" is not a launch type"},
      {"requiresCompatibilities all known",
       [](Request& r) {
         r.add_requires_compatibilities("EC2");
         r.add_requires_compatibilities("EXTERNAL");
         r.add_requires_compatibilities("MANAGED_INSTANCES");
       },
       ""},
      {"requiresCompatibilities absent still gets Fargate rules",
       [](Request& r) {
         r.clear_requires_compatibilities();
         Sidecar(r)->set_privileged(true);
       },
       "containerDefinitions[1].privileged: true is not allowed on Fargate"},
      {"requiresCompatibilities EC2 only still gets Fargate rules",
       [](Request& r) {
         r.clear_requires_compatibilities();
         r.add_requires_compatibilities("EC2");
         r.set_network_mode("bridge");
       },
       "networkMode: must be \"awsvpc\" on Fargate"},
      {"cpu missing", [](Request& r) { r.clear_cpu(); }, "cpu: missing"},
      {"cpu not a number", [](Request& r) { r.set_cpu("lots"); },
       "cpu: \"lots\" is not a task cpu value"},
      {"cpu not a Fargate size", [](Request& r) { r.set_cpu("300"); },
       "cpu: 300 CPU units is not a Fargate task size"},
      {"cpu as vCPU", [](Request& r) { r.set_cpu("0.5 vCPU"); }, ""},
      {"memory missing", [](Request& r) { r.clear_memory(); }, "memory: missing"},
      {"memory not a number", [](Request& r) { r.set_memory("1 TB"); },
       "memory: \"1 TB\" is not a task memory value"},
      {"memory as GB", [](Request& r) { r.set_memory("1 GB"); }, ""},
      {"memory not valid with cpu", [](Request& r) { r.set_memory("512"); },
       "memory: 512 MiB is not valid with cpu 512; with 512 CPU units use 1024 to 4096 MiB in "
       "steps of 1024"},
      {"pidMode task", [](Request& r) { r.set_pid_mode("task"); }, ""},
      {"pidMode host", [](Request& r) { r.set_pid_mode("host"); },
       "pidMode: \"host\" is not supported on Fargate; use \"task\""},
      {"ipcMode none", [](Request& r) { r.set_ipc_mode("none"); },
       "ipcMode: \"none\" is not supported on Fargate"},
      {"ipcMode task", [](Request& r) { r.set_ipc_mode("task"); },
       "ipcMode: \"task\" is not supported on Fargate"},
      {"inferenceAccelerators",
       [](Request& r) { r.add_inference_accelerators()->set_device_name("eia"); },
       "inferenceAccelerators: not supported on Fargate"},
      {"ephemeralStorage 20",
       [](Request& r) { r.mutable_ephemeral_storage()->set_size_in_gib(20); },
       "ephemeralStorage.sizeInGiB: 20 GiB is out of range; use 21 to 200 GiB"},
      {"ephemeralStorage 21",
       [](Request& r) { r.mutable_ephemeral_storage()->set_size_in_gib(21); }, ""},
      {"ephemeralStorage 200",
       [](Request& r) { r.mutable_ephemeral_storage()->set_size_in_gib(200); }, ""},
      {"ephemeralStorage 201",
       [](Request& r) { r.mutable_ephemeral_storage()->set_size_in_gib(201); },
       "ephemeralStorage.sizeInGiB: 201 GiB is out of range"},
      {"ephemeralStorage empty", [](Request& r) { r.mutable_ephemeral_storage(); },
       "ephemeralStorage.sizeInGiB: missing"},
      {"runtimePlatform Linux ARM64",
       [](Request& r) {
         r.mutable_runtime_platform()->set_operating_system_family("LINUX");
         r.mutable_runtime_platform()->set_cpu_architecture("ARM64");
       },
       ""},
      {"runtimePlatform X86_64",
       [](Request& r) { r.mutable_runtime_platform()->set_cpu_architecture("X86_64"); }, ""},
      {"runtimePlatform Windows",
       [](Request& r) {
         r.mutable_runtime_platform()->set_operating_system_family("WINDOWS_SERVER_2019_FULL");
       },
       "runtimePlatform.operatingSystemFamily: \"WINDOWS_SERVER_2019_FULL\" is not supported by "
       "Gantry; use \"LINUX\""},
      {"runtimePlatform unknown OS",
       [](Request& r) { r.mutable_runtime_platform()->set_operating_system_family("linux"); },
       "runtimePlatform.operatingSystemFamily: \"linux\" is not an operating system family"},
      {"runtimePlatform unknown arch",
       [](Request& r) { r.mutable_runtime_platform()->set_cpu_architecture("ARM"); },
       "runtimePlatform.cpuArchitecture: \"ARM\" is not a CPU architecture"},
      {"enableFaultInjection", [](Request& r) { r.set_enable_fault_injection(true); }, ""},
  });
}

TEST(Validate, ProxyConfiguration_NeedsAppMeshAndAContainer) {
  RunValidateCases({
      {"valid",
       [](Request& r) {
         auto* proxy = r.mutable_proxy_configuration();
         proxy->set_type("APPMESH");
         proxy->set_container_name("sidecar");
         auto* property = proxy->add_properties();
         property->set_name("IgnoredUID");
         property->set_value("1337");
       },
       ""},
      {"type absent is APPMESH",
       [](Request& r) { r.mutable_proxy_configuration()->set_container_name("sidecar"); }, ""},
      {"type unknown",
       [](Request& r) {
         r.mutable_proxy_configuration()->set_type("ENVOY");
         r.mutable_proxy_configuration()->set_container_name("sidecar");
       },
       "proxyConfiguration.type: \"ENVOY\" is not a proxy type; use \"APPMESH\""},
      {"containerName missing",
       [](Request& r) { r.mutable_proxy_configuration()->set_type("APPMESH"); },
       "proxyConfiguration.containerName: missing"},
      {"containerName unknown",
       [](Request& r) { r.mutable_proxy_configuration()->set_container_name("envoy"); },
       "proxyConfiguration.containerName: \"envoy\" is not a container of this task definition"},
      {"property unknown",
       [](Request& r) {
         r.mutable_proxy_configuration()->set_container_name("sidecar");
         r.mutable_proxy_configuration()->add_properties()->set_name("IgnoredPID");
       },
       "proxyConfiguration.properties[0].name: \"IgnoredPID\" is not an App Mesh proxy property"},
  });
}

TEST(Validate, Tags_FollowTaggingRules) {
  RunValidateCases({
      {"valid tags",
       [](Request& r) {
         AddTag(r, "team", "web platform");
         AddTag(r, "cost-center/id", "a_b.c:d=e+f-g@h");
         AddTag(r, "empty", "");
       },
       ""},
      {"unicode letters", [](Request& r) { AddTag(r, "équipe", "données über 東京"); }, ""},
      {"50 tags",
       [](Request& r) {
         for (int i = 0; i < 50; ++i) AddTag(r, absl::StrCat("k", i), "v");
       },
       ""},
      {"51 tags",
       [](Request& r) {
         for (int i = 0; i < 51; ++i) AddTag(r, absl::StrCat("k", i), "v");
       },
       "tags: 51 tags is more than the limit; use at most 50"},
      {"key missing", [](Request& r) { r.add_tags()->set_value("v"); }, "tags[0].key: missing"},
      {"key 128 chars", [](Request& r) { AddTag(r, std::string(128, 'k'), "v"); }, ""},
      {"key 129 chars", [](Request& r) { AddTag(r, std::string(129, 'k'), "v"); },
       "tags[0].key: 129 characters is too long; use 1-128 characters"},
      {"key 128 two-byte chars",
       [](Request& r) {
         std::string key;
         for (int i = 0; i < 128; ++i) key += "é";
         AddTag(r, key, "v");
       },
       ""},
      {"value 256 chars", [](Request& r) { AddTag(r, "k", std::string(256, 'v')); }, ""},
      {"value 257 chars", [](Request& r) { AddTag(r, "k", std::string(257, 'v')); },
       "tags[0].value: 257 characters is too long"},
      {"key with !", [](Request& r) { AddTag(r, "team!", "v"); },
       "tags[0].key: \"team!\" has a character that is not allowed"},
      {"value with a tab", [](Request& r) { AddTag(r, "k", "a\tb"); },
       "tags[0].value: \"a\\tb\" has a character that is not allowed"},
      {"value with an arrow", [](Request& r) { AddTag(r, "k", "a→b"); },
       "tags[0].value: \"a→b\" has a character that is not allowed"},
      {"key aws: prefix", [](Request& r) { AddTag(r, "aws:cost", "v"); },
       "tags[0].key: \"aws:cost\" uses the reserved prefix \"aws:\""},
      {"key AWS: prefix", [](Request& r) { AddTag(r, "AWS:cost", "v"); },
       "tags[0].key: \"AWS:cost\" uses the reserved prefix"},
      {"key aWs: prefix", [](Request& r) { AddTag(r, "aWs:cost", "v"); },
       "tags[0].key: \"aWs:cost\" uses the reserved prefix"},
      {"aws in the middle", [](Request& r) { AddTag(r, "my:aws:key", "aws:v"); }, ""},
      {"duplicate key",
       [](Request& r) {
         AddTag(r, "team", "a");
         AddTag(r, "team", "b");
       },
       "tags[1].key: \"team\" is already used by tags[0]; tag keys must be unique"},
  });
}

TEST(Validate, OverSizeLimit_ReportsSize) {
  Request request = BaseRequest();
  auto* env = Sidecar(request)->add_environment();
  env->set_name("BIG");
  env->set_value(std::string(70000, 'x'));
  EXPECT_THAT(Validate(request), StatusIs(absl::StatusCode::kInvalidArgument,
                                          "bytes of JSON is over the size limit; a task "
                                          "definition may be at most 65536 bytes (64 KiB)"));
  EXPECT_TRUE(absl::StartsWith(Validate(request).message(), "taskDefinition: 70"));
}

TEST(Validate, OverSizeLimit_ReportsOnlyTheSize) {
  Request request = BaseRequest();
  request.set_family("bad family");
  Sidecar(request)->add_environment()->set_value(std::string(70000, 'x'));
  const std::vector<std::string> lines = Lines(std::string(Validate(request).message()));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(lines[0], "taskDefinition: "));
}

TEST(Validate, JustUnderSizeLimit_IsValid) {
  Request request = BaseRequest();
  auto* env = Sidecar(request)->add_environment();
  env->set_name("BIG");
  env->set_value(std::string(60000, 'x'));
  EXPECT_THAT(Validate(request), IsOk());
}

TEST(Validate, ManyProblems_AllReportedInDocumentOrder) {
  Request request = BaseRequest();
  AddTag(request, "aws:x", "v");                                // tags[0].key
  request.mutable_volumes(0)->set_name("bad name");             // volumes[0].name
  Sidecar(request)->set_privileged(true);                       // [1].privileged
  App(request)->clear_image();                                  // [0].image
  App(request)->mutable_port_mappings(0)->set_host_port(8080);  // [0].portMappings[0].hostPort
  request.set_cpu("lots");                                      // cpu
  request.set_network_mode("bridge");                           // networkMode
  request.set_family("web app");                                // family
  request.set_pid_mode("host");                                 // pidMode
  request.mutable_ephemeral_storage()->set_size_in_gib(500);    // ephemeralStorage
  App(request)->mutable_health_check()->set_retries(0);         // [0].healthCheck.retries
  const absl::Status status = Validate(request);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const std::vector<std::string> want_prefixes = {
      "family: ",
      "networkMode: ",
      "containerDefinitions[0].image: ",
      "containerDefinitions[0].portMappings[0].hostPort: ",
      "containerDefinitions[0].healthCheck.retries: ",
      "containerDefinitions[1].privileged: ",
      "volumes[0].name: ",
      "cpu: ",
      "tags[0].key: ",
      "pidMode: ",
      "ephemeralStorage.sizeInGiB: ",
  };
  const std::vector<std::string> lines = Lines(std::string(status.message()));
  ASSERT_EQ(lines.size(), want_prefixes.size()) << status.message();
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_TRUE(absl::StartsWith(lines[i], want_prefixes[i])) << lines[i];
    EXPECT_FALSE(absl::EndsWith(lines[i], ".")) << lines[i];
  }
}

TEST(Validate, MoreThanTwentyProblems_CappedWithCount) {
  Request request = BaseRequest();
  for (int i = 0; i < 30; ++i) {
    AddTag(request, absl::StrCat("aws:k", i), "v");
  }
  const absl::Status status = Validate(request);
  const std::vector<std::string> lines = Lines(std::string(status.message()));
  ASSERT_EQ(lines.size(), 21u) << status.message();
  EXPECT_TRUE(absl::StartsWith(lines[0], "tags[0].key: ")) << lines[0];
  EXPECT_TRUE(absl::StartsWith(lines[19], "tags[19].key: ")) << lines[19];
  EXPECT_EQ(lines[20], "... and 10 more problems");
}

TEST(Validate, ExactlyTwentyProblems_NotCapped) {
  Request request = BaseRequest();
  for (int i = 0; i < 20; ++i) {
    AddTag(request, absl::StrCat("aws:k", i), "v");
  }
  const std::vector<std::string> lines = Lines(std::string(Validate(request).message()));
  ASSERT_EQ(lines.size(), 20u);
  EXPECT_TRUE(absl::StartsWith(lines[19], "tags[19].key: "));
}

TEST(Validate, LongValues_AreQuotedAndCut) {
  Request request = BaseRequest();
  request.set_family(std::string(300, 'a') + "!");
  const std::string message(Validate(request).message());
  EXPECT_THAT(message, ::testing::HasSubstr("family: \"" + std::string(80, 'a') + "...\""));
  EXPECT_LT(message.size(), 300u);
}

TEST(IsValidName, Names) {
  EXPECT_TRUE(IsValidName("a"));
  EXPECT_TRUE(IsValidName("Web-App_01"));
  EXPECT_TRUE(IsValidName(std::string(255, 'x')));
  EXPECT_FALSE(IsValidName(""));
  EXPECT_FALSE(IsValidName(std::string(256, 'x')));
  EXPECT_FALSE(IsValidName("a.b"));
  EXPECT_FALSE(IsValidName("a b"));
  EXPECT_FALSE(IsValidName("é"));
}

}  // namespace
}  // namespace gantry::taskdef
