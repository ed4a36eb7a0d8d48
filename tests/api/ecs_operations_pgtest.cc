// EcsOperations' task definition operations over a real PostgreSQL (Register, Describe,
// Deregister, ListTaskDefinitions, ListTaskDefinitionFamilies), and a full database queue:
// each operation is driven through its callback, as the gRPC service drives it, against a
// fresh database per test.
#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "api/api.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/api/ecs_operations_test_support.h"
#include "tests/support/pg_harness.h"
#include "tests/support/status_matchers.h"

namespace gantry::api::ecs_operations_test {
namespace {

using ::gantry::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

// ---- RegisterTaskDefinition ------------------------------------------------------

TEST_F(EcsOperationsTest, RegisterValid_ReturnsRevisionOneArnAndTags) {
  absl::StatusOr<v1::RegisterTaskDefinitionResponse> response =
      Call(&EcsOperations::RegisterTaskDefinition, WebService());
  ASSERT_THAT(response, IsOk());
  EXPECT_FALSE(last_on_calling_thread_) << "database work runs on a worker";
  const v1::TaskDefinition& definition = response->task_definition();
  EXPECT_EQ(definition.family(), "web-service");
  EXPECT_EQ(definition.revision(), 1);
  EXPECT_EQ(definition.task_definition_arn(), TaskDefinitionArn("web-service", 1));
  EXPECT_EQ(definition.status(), "ACTIVE");
  EXPECT_EQ(definition.registered_by(), "arn:aws:iam::000000000000:root");
  EXPECT_GT(definition.registered_at(), 1.7e9);  // epoch seconds, not micros
  EXPECT_LT(definition.registered_at(), 1e11);
  EXPECT_FALSE(definition.has_deregistered_at());
  EXPECT_THAT(definition.compatibilities(), Contains("FARGATE"));
  EXPECT_EQ(definition.cpu(), "512");
  EXPECT_EQ(definition.memory(), "1024");
  ASSERT_EQ(definition.container_definitions_size(), 1);
  EXPECT_EQ(definition.container_definitions(0).image(), "public.ecr.aws/nginx/nginx:1.27-alpine");
  ASSERT_EQ(response->tags_size(), 2);
  EXPECT_EQ(response->tags(0).key(), "team");
  EXPECT_EQ(response->tags(0).value(), "web");
  EXPECT_EQ(response->tags(1).key(), "environment");
  EXPECT_EQ(response->tags(1).value(), "production");

  // The next registration of the family is revision 2; another family starts at 1.
  EXPECT_EQ(Register("web-service").revision(), 2);
  EXPECT_EQ(Register("other").revision(), 1);
}

TEST_F(EcsOperationsTest, RegisterInvalid_ReturnsPathAndStoresNothing) {
  v1::RegisterTaskDefinitionRequest request = WebService();
  request.set_network_mode("bridge");
  request.mutable_container_definitions(0)->set_memory(4);
  absl::StatusOr<v1::RegisterTaskDefinitionResponse> response =
      Call(&EcsOperations::RegisterTaskDefinition, request);
  EXPECT_THAT(response, StatusIs(kInvalid, "networkMode: must be \"awsvpc\" on Fargate"));
  EXPECT_THAT(response, StatusIs(kInvalid, "containerDefinitions[0].memory: "));
  EXPECT_TRUE(last_on_calling_thread_) << "refused before reaching the database";

  for (const char* status : {"ACTIVE", "INACTIVE"}) {
    SCOPED_TRACE(status);
    v1::ListTaskDefinitionsRequest list;
    list.set_status(status);
    absl::StatusOr<v1::ListTaskDefinitionsResponse> listed =
        Call(&EcsOperations::ListTaskDefinitions, list);
    ASSERT_THAT(listed, IsOk());
    EXPECT_THAT(listed->task_definition_arns(), IsEmpty());
    EXPECT_FALSE(listed->has_next_token());
  }
  absl::StatusOr<v1::ListTaskDefinitionFamiliesResponse> families =
      Call(&EcsOperations::ListTaskDefinitionFamilies, v1::ListTaskDefinitionFamiliesRequest());
  ASSERT_THAT(families, IsOk());
  EXPECT_THAT(families->families(), IsEmpty());
  EXPECT_THAT(Describe("web-service"), StatusIs(kNotFound, "web-service"));

  // A failed registration does not use up a revision.
  EXPECT_EQ(Register("web-service").revision(), 1);
}

// ---- DescribeTaskDefinition ------------------------------------------------------

TEST_F(EcsOperationsTest, Describe_ByFamilyRevisionAndArn) {
  Register("web-service");
  Register("web-service");
  struct Case {
    std::string name;
    std::string ref;
    int revision;
  };
  const std::vector<Case> cases = {
      {"family is the latest ACTIVE revision", "web-service", 2},
      {"family:revision", "web-service:1", 1},
      {"ARN", TaskDefinitionArn("web-service", 1), 1},
      {"ARN of the latest", TaskDefinitionArn("web-service", 2), 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<v1::DescribeTaskDefinitionResponse> got = Describe(c.ref);
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(got->task_definition().revision(), c.revision);
    EXPECT_EQ(got->task_definition().task_definition_arn(),
              TaskDefinitionArn("web-service", c.revision));
    EXPECT_EQ(got->task_definition().status(), "ACTIVE");
    EXPECT_THAT(got->tags(), IsEmpty()) << "tags only with include TAGS";
  }
}

TEST_F(EcsOperationsTest, Describe_IncludeTags_ReturnsTags) {
  Register("web-service");
  absl::StatusOr<v1::DescribeTaskDefinitionResponse> got = Describe("web-service:1", {"TAGS"});
  ASSERT_THAT(got, IsOk());
  ASSERT_EQ(got->tags_size(), 2);
  EXPECT_EQ(got->tags(0).key(), "team");
  EXPECT_EQ(got->tags(1).key(), "environment");
  EXPECT_EQ(got->tags(1).value(), "production");
}

TEST_F(EcsOperationsTest, Describe_UnknownOrMalformed_Fails) {
  Register("web-service");
  struct Case {
    std::string name;
    std::string ref;
    std::vector<std::string> include;
    absl::StatusCode code;
    std::string message;
    bool refused_early;
  };
  const std::vector<Case> cases = {
      {"unknown family", "nope", {}, kNotFound, "nope", false},
      {"unknown revision",
       "web-service:9",
       {},
       kNotFound,
       "\"web-service:9\" does not exist",
       false},
      {"ARN of another account",
       "arn:aws:ecs:us-east-1:111111111111:task-definition/web-service:1",
       {},
       kNotFound,
       "taskDefinition: ",
       true},
      {"bad revision", "web-service:0", {}, kInvalid, "taskDefinition: \"web-service:0\"", true},
      {"empty", "", {}, kInvalid, "taskDefinition: \"\"", true},
      {"cluster ARN", ClusterArn("default"), {}, kInvalid, "is not a task definition ARN", true},
      {"bad include", "web-service", {"SETTINGS"}, kInvalid, "include[0]: \"SETTINGS\"", true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(Describe(c.ref, c.include), StatusIs(c.code, c.message));
    EXPECT_EQ(last_on_calling_thread_, c.refused_early);
  }
}

// ---- DeregisterTaskDefinition ----------------------------------------------------

TEST_F(EcsOperationsTest, DeregisterWithoutRevision_IsInvalidArgument) {
  Register("web-service");
  EXPECT_THAT(Deregister("web-service"),
              StatusIs(kInvalid,
                       "taskDefinition: \"web-service\" has no revision; deregistering needs "
                       "FAMILY:REVISION or the full ARN"));
  EXPECT_TRUE(last_on_calling_thread_);
  absl::StatusOr<v1::DescribeTaskDefinitionResponse> still = Describe("web-service:1");
  ASSERT_THAT(still, IsOk());
  EXPECT_EQ(still->task_definition().status(), "ACTIVE");
}

TEST_F(EcsOperationsTest, Deregister_MakesRevisionInactive) {
  const v1::TaskDefinition registered = Register("web-service");
  Register("web-service");

  absl::StatusOr<v1::DeregisterTaskDefinitionResponse> gone = Deregister("web-service:1");
  ASSERT_THAT(gone, IsOk());
  const v1::TaskDefinition& definition = gone->task_definition();
  EXPECT_EQ(definition.task_definition_arn(), TaskDefinitionArn("web-service", 1));
  EXPECT_EQ(definition.status(), "INACTIVE");
  ASSERT_TRUE(definition.has_deregistered_at());
  EXPECT_GE(definition.deregistered_at(), definition.registered_at());
  EXPECT_DOUBLE_EQ(definition.registered_at(), registered.registered_at());

  // INACTIVE revisions stay describable; the family now resolves to revision 2.
  absl::StatusOr<v1::DescribeTaskDefinitionResponse> inactive = Describe("web-service:1");
  ASSERT_THAT(inactive, IsOk());
  EXPECT_EQ(inactive->task_definition().status(), "INACTIVE");
  EXPECT_TRUE(inactive->task_definition().has_deregistered_at());
  absl::StatusOr<v1::DescribeTaskDefinitionResponse> latest = Describe("web-service");
  ASSERT_THAT(latest, IsOk());
  EXPECT_EQ(latest->task_definition().revision(), 2);

  // By ARN, and twice: the second call returns it as is.
  absl::StatusOr<v1::DeregisterTaskDefinitionResponse> by_arn =
      Deregister(TaskDefinitionArn("web-service", 2));
  ASSERT_THAT(by_arn, IsOk());
  EXPECT_EQ(by_arn->task_definition().status(), "INACTIVE");
  absl::StatusOr<v1::DeregisterTaskDefinitionResponse> again = Deregister("web-service:2");
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->task_definition().status(), "INACTIVE");
  EXPECT_DOUBLE_EQ(again->task_definition().deregistered_at(),
                   by_arn->task_definition().deregistered_at());

  EXPECT_THAT(Describe("web-service"), StatusIs(kNotFound, "has no ACTIVE revision"));
  EXPECT_THAT(Deregister("web-service:9"), StatusIs(kNotFound, "\"web-service:9\" does not exist"));
  EXPECT_THAT(Deregister("web-service:0"), StatusIs(kInvalid, "has an invalid revision"));
}

// ---- ListTaskDefinitions ---------------------------------------------------------

TEST_F(EcsOperationsTest, ListTaskDefinitions_OnePerPage_WalksAllPagesBothWays) {
  Register("beta");
  Register("alpha");
  Register("beta");
  Register("alpha");
  Register("beta");
  const std::vector<std::string> ascending = {
      TaskDefinitionArn("alpha", 1), TaskDefinitionArn("alpha", 2), TaskDefinitionArn("beta", 1),
      TaskDefinitionArn("beta", 2), TaskDefinitionArn("beta", 3)};
  const std::vector<std::string> descending(ascending.rbegin(), ascending.rend());

  struct Case {
    std::string name;
    std::optional<std::string> sort;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"default sort is ASC", std::nullopt, ascending},
      {"ASC", "ASC", ascending},
      {"DESC", "DESC", descending},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::ListTaskDefinitionsRequest request;
    request.set_max_results(1);
    if (c.sort.has_value()) {
      request.set_sort(*c.sort);
    }
    int pages = 0;
    EXPECT_THAT(AllTaskDefinitionArns(request, &pages), ElementsAreArray(c.want));
    EXPECT_EQ(pages, 5) << "no empty page after the last item";
  }
}

TEST_F(EcsOperationsTest, ListTaskDefinitions_PageSizes) {
  for (int i = 0; i < 4; ++i) {
    Register("web");
  }
  struct Case {
    std::string name;
    std::optional<int32_t> max_results;
    int pages;
  };
  const std::vector<Case> cases = {
      {"unset is 100", std::nullopt, 1},
      {"exactly all", 4, 1},
      {"divides", 2, 2},
      {"remainder", 3, 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::ListTaskDefinitionsRequest request;
    if (c.max_results.has_value()) {
      request.set_max_results(*c.max_results);
    }
    int pages = 0;
    EXPECT_EQ(AllTaskDefinitionArns(request, &pages).size(), 4u);
    EXPECT_EQ(pages, c.pages);
  }
}

TEST_F(EcsOperationsTest, ListTaskDefinitions_FiltersFamilyAndStatus) {
  Register("alpha");
  Register("beta");
  Register("beta");
  Register("beta");
  ASSERT_THAT(Deregister("beta:2"), IsOk());
  ASSERT_THAT(Deregister("alpha:1"), IsOk());

  struct Case {
    std::string name;
    std::optional<std::string> family;
    std::optional<std::string> status;
    std::optional<std::string> sort;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"ACTIVE by default",
       std::nullopt,
       std::nullopt,
       std::nullopt,
       {TaskDefinitionArn("beta", 1), TaskDefinitionArn("beta", 3)}},
      {"INACTIVE",
       std::nullopt,
       "INACTIVE",
       std::nullopt,
       {TaskDefinitionArn("alpha", 1), TaskDefinitionArn("beta", 2)}},
      {"INACTIVE DESC",
       std::nullopt,
       "INACTIVE",
       "DESC",
       {TaskDefinitionArn("beta", 2), TaskDefinitionArn("alpha", 1)}},
      {"family is exact", "beta", "INACTIVE", std::nullopt, {TaskDefinitionArn("beta", 2)}},
      {"family is not a prefix", "bet", std::nullopt, std::nullopt, {}},
      {"DELETE_IN_PROGRESS", std::nullopt, "DELETE_IN_PROGRESS", std::nullopt, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::ListTaskDefinitionsRequest request;
    request.set_max_results(1);
    if (c.family.has_value()) {
      request.set_family_prefix(*c.family);
    }
    if (c.status.has_value()) {
      request.set_status(*c.status);
    }
    if (c.sort.has_value()) {
      request.set_sort(*c.sort);
    }
    int pages = 0;
    EXPECT_THAT(AllTaskDefinitionArns(request, &pages), ElementsAreArray(c.want));
  }
}

TEST_F(EcsOperationsTest, ListTaskDefinitions_RefusesBadRequests) {
  Register("alpha");
  Register("alpha");
  v1::ListTaskDefinitionFamiliesRequest families_request;
  families_request.set_max_results(1);
  Register("beta");
  absl::StatusOr<v1::ListTaskDefinitionFamiliesResponse> families =
      Call(&EcsOperations::ListTaskDefinitionFamilies, families_request);
  ASSERT_THAT(families, IsOk());
  ASSERT_TRUE(families->has_next_token());

  struct Case {
    std::string name;
    std::function<void(v1::ListTaskDefinitionsRequest&)> edit;
    std::string message;
  };
  const std::string family_token = families->next_token();
  const std::vector<Case> cases = {
      {"garbage token", [](v1::ListTaskDefinitionsRequest& r) { r.set_next_token("not-a-token"); },
       "nextToken: not a token from a previous call of this operation"},
      {"token of ListTaskDefinitionFamilies",
       [&](v1::ListTaskDefinitionsRequest& r) { r.set_next_token(family_token); }, "nextToken: "},
      {"maxResults 0", [](v1::ListTaskDefinitionsRequest& r) { r.set_max_results(0); },
       "maxResults: 0 is out of range"},
      {"maxResults 101", [](v1::ListTaskDefinitionsRequest& r) { r.set_max_results(101); },
       "maxResults: 101 is out of range"},
      {"status", [](v1::ListTaskDefinitionsRequest& r) { r.set_status("ALL"); },
       "status: \"ALL\" is not allowed"},
      {"sort", [](v1::ListTaskDefinitionsRequest& r) { r.set_sort("desc"); },
       "sort: \"desc\" is not allowed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::ListTaskDefinitionsRequest request;
    c.edit(request);
    EXPECT_THAT(Call(&EcsOperations::ListTaskDefinitions, request), StatusIs(kInvalid, c.message));
    EXPECT_TRUE(last_on_calling_thread_);
  }
}

// ---- ListTaskDefinitionFamilies --------------------------------------------------

TEST_F(EcsOperationsTest, ListTaskDefinitionFamilies_FiltersByStatusAndPrefix) {
  Register("web");     // stays ACTIVE
  Register("worker");  // revision 1 deregistered, revision 2 ACTIVE: still ACTIVE
  Register("worker");
  Register("batch");    // every revision deregistered: INACTIVE
  Register("web-old");  // INACTIVE
  ASSERT_THAT(Deregister("worker:1"), IsOk());
  ASSERT_THAT(Deregister("batch:1"), IsOk());
  ASSERT_THAT(Deregister("web-old:1"), IsOk());

  struct Case {
    std::string name;
    std::optional<std::string> status;
    std::string prefix;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"default lists both", std::nullopt, "", {"batch", "web", "web-old", "worker"}},
      {"ALL", "ALL", "", {"batch", "web", "web-old", "worker"}},
      {"ACTIVE", "ACTIVE", "", {"web", "worker"}},
      {"INACTIVE", "INACTIVE", "", {"batch", "web-old"}},
      {"prefix", std::nullopt, "we", {"web", "web-old"}},
      {"prefix and ACTIVE", "ACTIVE", "w", {"web", "worker"}},
      {"prefix and INACTIVE", "INACTIVE", "web", {"web-old"}},
      {"prefix matching nothing", std::nullopt, "x", {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    for (int max_results : {100, 1}) {
      SCOPED_TRACE(max_results);
      v1::ListTaskDefinitionFamiliesRequest request;
      if (c.status.has_value()) {
        request.set_status(*c.status);
      }
      if (!c.prefix.empty()) {
        request.set_family_prefix(c.prefix);
      }
      request.set_max_results(max_results);
      int pages = 0;
      EXPECT_THAT(AllFamilies(request, &pages), ElementsAreArray(c.want));
      if (max_results == 1) {
        EXPECT_EQ(pages, std::max<int>(1, static_cast<int>(c.want.size())));
      }
    }
  }
}

TEST_F(EcsOperationsTest, ListTaskDefinitionFamilies_RefusesBadRequests) {
  v1::ListTaskDefinitionFamiliesRequest request;
  request.set_status("DELETE_IN_PROGRESS");
  EXPECT_THAT(Call(&EcsOperations::ListTaskDefinitionFamilies, request),
              StatusIs(kInvalid, "status: \"DELETE_IN_PROGRESS\" is not allowed"));
  request.clear_status();
  request.set_next_token("bm9wZQ");
  EXPECT_THAT(Call(&EcsOperations::ListTaskDefinitionFamilies, request),
              StatusIs(kInvalid, "nextToken: "));
}

// ---- A full database queue -------------------------------------------------------

class EcsOperationsQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::Database::Options options;
    options.conninfo = PgHarness::Get().NewDatabase();
    options.workers = 1;
    options.queue_capacity = 1;
    absl::StatusOr<std::unique_ptr<storage::Database>> database = storage::Database::Open(options);
    ASSERT_THAT(database, IsOk());
    database_ = *std::move(database);
    operations_ = std::make_unique<EcsOperations>(Config{}, database_.get(), nullptr);
  }

  void TearDown() override {
    // Whatever happened, let the blocked worker go so that Shutdown can join it.
    if (!release_.HasBeenNotified()) {
      release_.Notify();
    }
    if (database_ != nullptr) {
      database_->Shutdown();
    }
  }

  std::unique_ptr<storage::Database> database_;
  std::unique_ptr<EcsOperations> operations_;
  // Members, not locals: the queued closures may outlive a test body that failed early.
  absl::Notification started_;
  absl::Notification release_;
  absl::Notification filler_ran_;
};

TEST_F(EcsOperationsQueueTest, FullQueue_FailsWithUnavailableThroughCallback) {
  // Occupy the only worker, then the only queue slot.
  ASSERT_THAT(database_->Submit([this](storage::Connection&) {
    started_.Notify();
    release_.WaitForNotificationWithTimeout(kReplyTimeout);
  }),
              IsOk());
  ASSERT_TRUE(started_.WaitForNotificationWithTimeout(kReplyTimeout));
  ASSERT_THAT(database_->Submit([this](storage::Connection&) { filler_ran_.Notify(); }), IsOk());

  Reply<v1::RegisterTaskDefinitionResponse> registered =
      CallAndWait(*operations_, &EcsOperations::RegisterTaskDefinition, WebService());
  EXPECT_EQ(registered.calls, 1);
  EXPECT_THAT(registered.result,
              StatusIs(absl::StatusCode::kUnavailable, "the database queue is full"));
  EXPECT_TRUE(registered.on_calling_thread);

  Reply<v1::DescribeClustersResponse> described =
      CallAndWait(*operations_, &EcsOperations::DescribeClusters, v1::DescribeClustersRequest());
  EXPECT_EQ(described.calls, 1);
  EXPECT_THAT(described.result, StatusIs(absl::StatusCode::kUnavailable, "retry later"));

  // Once the worker has drained the queue, calls go through again, and the refused
  // registration stored nothing.
  release_.Notify();
  ASSERT_TRUE(filler_ran_.WaitForNotificationWithTimeout(kReplyTimeout));
  Reply<v1::ListTaskDefinitionsResponse> listed = CallAndWait(
      *operations_, &EcsOperations::ListTaskDefinitions, v1::ListTaskDefinitionsRequest());
  ASSERT_THAT(listed.result, IsOk());
  EXPECT_THAT(listed.result->task_definition_arns(), IsEmpty());
}

}  // namespace
}  // namespace gantry::api::ecs_operations_test
