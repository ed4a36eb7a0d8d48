// ListTasks filters (ParseListTasks).
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "api/api.h"
#include "api/internal/tasks.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/api/task_test_support.h"
#include "tests/support/status_matchers.h"

namespace gantry::api::internal::task_test {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;

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
      {"serviceName: no services yet", [](v1::ListTasksRequest& r) { r.set_service_name("api"); },
       kNotFound, "serviceName: service \"api\" not found"},
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
}  // namespace gantry::api::internal::task_test
