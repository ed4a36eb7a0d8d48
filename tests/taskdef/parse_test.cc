// ParseRegisterRequestJson: plain and wrapper forms, read-only members, strictness.
#include <string>

#include "absl/status/status.h"
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
using testing::kBaseDefinitionJson;

// What describe-task-definition prints: the wrapper with read-only members inside
// and tags next to it.
constexpr char kDescribeOutput[] = R"json({
  "taskDefinition": {
    "taskDefinitionArn": "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:3",
    "family": "web",
    "revision": 3,
    "status": "ACTIVE",
    "networkMode": "awsvpc",
    "cpu": "256",
    "memory": "512",
    "containerDefinitions": [
      {"name": "app", "image": "nginx:1.27", "cpu": 0, "essential": true,
       "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]}
    ],
    "requiresAttributes": [{"name": "ecs.capability.task-eni"}],
    "compatibilities": ["EC2", "FARGATE"],
    "requiresCompatibilities": ["FARGATE"],
    "registeredAt": 1718000000.123,
    "registeredBy": "arn:aws:iam::123456789012:user/dev",
    "deregisteredAt": 1718000100.5,
    "deleteRequestedAt": 1718000200.5
  },
  "tags": [{"key": "team", "value": "web"}]
})json";

TEST(ParseRegisterRequestJson, PlainForm_Parses) {
  absl::StatusOr<testing::Request> request = ParseRegisterRequestJson(kBaseDefinitionJson);
  ASSERT_THAT(request, IsOk());
  EXPECT_EQ(request->family(), "web");
  ASSERT_EQ(request->container_definitions_size(), 2);
  EXPECT_EQ(request->container_definitions(1).memory(), 128);
  EXPECT_EQ(request->container_definitions(0).log_configuration().options().at("awslogs-group"),
            "/ecs/web");
}

TEST(ParseRegisterRequestJson, WrapperForm_TakesInnerObjectAndTags) {
  absl::StatusOr<testing::Request> request = ParseRegisterRequestJson(kDescribeOutput);
  ASSERT_THAT(request, IsOk());
  EXPECT_EQ(request->family(), "web");
  EXPECT_EQ(request->cpu(), "256");
  ASSERT_EQ(request->tags_size(), 1);
  EXPECT_EQ(request->tags(0).key(), "team");
  EXPECT_EQ(request->tags(0).value(), "web");
  EXPECT_THAT(Validate(*request), IsOk());
}

TEST(ParseRegisterRequestJson, PlainFormWithReadOnlyMembers_IgnoresThem) {
  absl::StatusOr<testing::Request> request = ParseRegisterRequestJson(R"json({
    "family": "web", "revision": 7, "status": "INACTIVE",
    "taskDefinitionArn": "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7",
    "compatibilities": ["EC2"], "requiresAttributes": [], "registeredAt": 1.5,
    "registeredBy": "me", "deregisteredAt": 2.5, "deleteRequestedAt": 3.5
  })json");
  ASSERT_THAT(request, IsOk());
  EXPECT_EQ(request->family(), "web");
}

TEST(ParseRegisterRequestJson, Refusals) {
  struct RefusalCase {
    std::string name;
    std::string json;
    std::string want;
  };
  const RefusalCase cases[] = {
      {"unknown top-level member", R"({"family": "web", "bogusMember": 1})", "bogusMember"},
      {"unknown nested member",
       R"({"family": "web", "containerDefinitions": [{"name": "a", "imagee": "x"}]})",
       "containerDefinitions[0].imagee"},
      {"unknown member inside wrapper",
       R"({"taskDefinition": {"family": "web", "bogusMember": 1}})", "taskDefinition.bogusMember"},
      {"wrong type inside wrapper", R"({"taskDefinition": {"family": 5}})",
       "taskDefinition.family"},
      {"unknown member next to wrapper",
       R"({"taskDefinition": {"family": "web"}, "ResponseMetadata": {}})",
       "ResponseMetadata: unknown field; next to \"taskDefinition\" only \"tags\" is allowed"},
      {"bad tags next to wrapper", R"({"taskDefinition": {"family": "web"}, "tags": [{"k": 1}]})",
       "tags[0].k"},
      {"tags inside and next to wrapper",
       R"({"taskDefinition": {"family": "web", "tags": [{"key": "a"}]},
           "tags": [{"key": "b"}]})",
       "tags: given both inside and next to \"taskDefinition\""},
      {"string where a number belongs",
       R"({"family": "web", "containerDefinitions": [{"name": "a", "cpu": "256"}]})",
       "containerDefinitions[0].cpu"},
      {"malformed JSON", R"({"family": )", "invalid JSON"},
      {"not an object", R"(["family"])", ""},
  };
  for (const RefusalCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseRegisterRequestJson(c.json),
                StatusIs(absl::StatusCode::kInvalidArgument, c.want));
  }
}

TEST(ParseRegisterRequestJson, TextOverSizeLimit_RefusedBeforeParsing) {
  // Not even valid JSON: the size check comes first.
  const std::string json(kMaxTaskDefinitionBytes + 1, '{');
  EXPECT_THAT(ParseRegisterRequestJson(json),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("taskDefinition: ", kMaxTaskDefinitionBytes + 1,
                                    " bytes of JSON is over the size limit; a task definition "
                                    "may be at most 65536 bytes (64 KiB)")));
}

TEST(ParseRegisterRequestJson, TextAtSizeLimit_IsParsed) {
  std::string json = R"({"family": "web"})";
  json.append(kMaxTaskDefinitionBytes - json.size(), ' ');
  EXPECT_THAT(ParseRegisterRequestJson(json), IsOk());
}

}  // namespace
}  // namespace gantry::taskdef
