#include "tests/taskdef/base_definition.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "taskdef/taskdef.h"
#include "tests/support/status_matchers.h"

namespace gantry::taskdef::testing {

const char kBaseDefinitionJson[] = R"json({
  "family": "web",
  "taskRoleArn": "web-task",
  "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "512",
  "memory": "1024",
  "containerDefinitions": [
    {
      "name": "app",
      "image": "public.ecr.aws/nginx/nginx:1.27",
      "essential": true,
      "portMappings": [{"containerPort": 80}],
      "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]},
      "logConfiguration": {
        "logDriver": "awslogs",
        "options": {
          "awslogs-group": "/ecs/web",
          "awslogs-region": "eu-west-1",
          "awslogs-stream-prefix": "web"
        }
      }
    },
    {
      "name": "sidecar",
      "image": "busybox:1.36",
      "essential": false,
      "cpu": 128,
      "memory": 128,
      "command": ["sleep", "infinity"]
    }
  ],
  "volumes": [{"name": "scratch"}]
})json";

Request BaseRequest() {
  absl::StatusOr<Request> request = ParseRegisterRequestJson(kBaseDefinitionJson);
  EXPECT_TRUE(request.ok()) << request.status();
  return request.ok() ? *request : Request();
}

gantry::v1::ContainerDefinition* App(Request& r) { return r.mutable_container_definitions(0); }
gantry::v1::ContainerDefinition* Sidecar(Request& r) { return r.mutable_container_definitions(1); }

void RunValidateCases(const std::vector<Case>& cases) {
  using ::gantry::testing::IsOk;
  using ::gantry::testing::StatusIs;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Request request = BaseRequest();
    c.mutate(request);
    if (c.want.empty()) {
      EXPECT_THAT(Validate(request), IsOk());
    } else {
      EXPECT_THAT(Validate(request), StatusIs(absl::StatusCode::kInvalidArgument, c.want));
    }
  }
}

std::vector<std::string> Lines(const std::string& message) { return absl::StrSplit(message, '\n'); }

}  // namespace gantry::taskdef::testing
