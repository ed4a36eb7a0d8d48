// EcsOperations over a real PostgreSQL: each operation is driven through its callback, as
// the gRPC service drives it, against a fresh database per test.
#include <algorithm>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "taskdef/taskdef.h"
#include "tests/support/pg_harness.h"
#include "tests/support/status_matchers.h"

namespace gantry::api {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::PgHarness;
using ::gantry::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;
constexpr absl::Duration kReplyTimeout = absl::Seconds(30);
constexpr char kArnPrefix[] = "arn:aws:ecs:us-east-1:000000000000:";

std::string TaskDefinitionArn(const std::string& family, int revision) {
  return kArnPrefix + std::string("task-definition/") + family + ":" + std::to_string(revision);
}

std::string ClusterArn(const std::string& name) {
  return kArnPrefix + std::string("cluster/") + name;
}

std::string ReadExample(const std::string& name) {
  std::ifstream in(std::string(GANTRY_SOURCE_DIR) + "/examples/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// examples/web-service.json as a request, optionally under another family.
v1::RegisterTaskDefinitionRequest WebService(const std::string& family = "web-service") {
  absl::StatusOr<v1::RegisterTaskDefinitionRequest> request =
      taskdef::ParseRegisterRequestJson(ReadExample("web-service.json"));
  EXPECT_THAT(request, IsOk());
  if (!request.ok()) return {};
  request->set_family(family);
  return *std::move(request);
}

// What an operation handed to its callback, and where.
template <typename Response>
struct Reply {
  absl::StatusOr<Response> result = absl::DeadlineExceededError("no reply within the timeout");
  bool on_calling_thread = false;
  int calls = 0;
};

// Calls `method` and waits (bounded) for its callback. The state is shared with the
// callback so a late reply after a timeout touches nothing that is gone.
template <typename Request, typename Response>
Reply<Response> CallAndWait(EcsOperations& operations,
                            void (EcsOperations::*method)(const Request&, Done<Response>),
                            const Request& request) {
  struct State {
    absl::Mutex mu;
    absl::Notification done;
    Reply<Response> reply;
  };
  auto state = std::make_shared<State>();
  const std::thread::id caller = std::this_thread::get_id();
  (operations.*method)(request, [state, caller](absl::StatusOr<Response> result) {
    absl::MutexLock lock(&state->mu);
    if (++state->reply.calls > 1) {
      return;
    }
    state->reply.result = std::move(result);
    state->reply.on_calling_thread = std::this_thread::get_id() == caller;
    state->done.Notify();
  });
  state->done.WaitForNotificationWithTimeout(kReplyTimeout);
  absl::MutexLock lock(&state->mu);
  return state->reply;
}

class EcsOperationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = PgHarness::Get().NewDatabase();
    storage::Database::Options options;
    options.conninfo = conninfo_;
    options.workers = 2;
    absl::StatusOr<std::unique_ptr<storage::Database>> database = storage::Database::Open(options);
    ASSERT_THAT(database, IsOk());
    database_ = *std::move(database);
    operations_ = std::make_unique<EcsOperations>(Config{}, database_.get(), nullptr);
  }

  // Queued work refers to the operations object: drain it before that goes away.
  void TearDown() override {
    if (database_ != nullptr) {
      database_->Shutdown();
    }
  }

  // Runs one operation to completion; checks `done` ran exactly once.
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(void (EcsOperations::*method)(const Request&, Done<Response>),
                                const Request& request) {
    Reply<Response> reply = CallAndWait(*operations_, method, request);
    EXPECT_EQ(reply.calls, 1) << "done must be called exactly once";
    last_on_calling_thread_ = reply.on_calling_thread;
    return reply.result;
  }

  v1::TaskDefinition Register(const std::string& family) {
    absl::StatusOr<v1::RegisterTaskDefinitionResponse> response =
        Call(&EcsOperations::RegisterTaskDefinition, WebService(family));
    EXPECT_THAT(response, IsOk());
    return response.ok() ? response->task_definition() : v1::TaskDefinition();
  }

  absl::StatusOr<v1::DescribeTaskDefinitionResponse> Describe(
      const std::string& ref, const std::vector<std::string>& include = {}) {
    v1::DescribeTaskDefinitionRequest request;
    request.set_task_definition(ref);
    for (const std::string& item : include) {
      request.add_include(item);
    }
    return Call(&EcsOperations::DescribeTaskDefinition, request);
  }

  absl::StatusOr<v1::DeregisterTaskDefinitionResponse> Deregister(const std::string& ref) {
    v1::DeregisterTaskDefinitionRequest request;
    request.set_task_definition(ref);
    return Call(&EcsOperations::DeregisterTaskDefinition, request);
  }

  absl::StatusOr<v1::CreateClusterResponse> CreateCluster(const std::string& name) {
    v1::CreateClusterRequest request;
    request.set_cluster_name(name);
    return Call(&EcsOperations::CreateCluster, request);
  }

  // Follows nextToken from `first` until a page has none; every page's items, in order.
  // Stops after 50 pages so that a token that never ends fails instead of hanging.
  std::vector<std::string> AllTaskDefinitionArns(v1::ListTaskDefinitionsRequest request,
                                                 int* pages) {
    std::vector<std::string> arns;
    for (*pages = 0; *pages < 50;) {
      absl::StatusOr<v1::ListTaskDefinitionsResponse> page =
          Call(&EcsOperations::ListTaskDefinitions, request);
      EXPECT_THAT(page, IsOk());
      if (!page.ok()) {
        break;
      }
      ++*pages;
      arns.insert(arns.end(), page->task_definition_arns().begin(),
                  page->task_definition_arns().end());
      if (!page->has_next_token()) {
        break;
      }
      EXPECT_FALSE(page->next_token().empty());
      request.set_next_token(page->next_token());
    }
    return arns;
  }

  std::vector<std::string> AllFamilies(v1::ListTaskDefinitionFamiliesRequest request, int* pages) {
    std::vector<std::string> families;
    for (*pages = 0; *pages < 50;) {
      absl::StatusOr<v1::ListTaskDefinitionFamiliesResponse> page =
          Call(&EcsOperations::ListTaskDefinitionFamilies, request);
      EXPECT_THAT(page, IsOk());
      if (!page.ok()) {
        break;
      }
      ++*pages;
      families.insert(families.end(), page->families().begin(), page->families().end());
      if (!page->has_next_token()) {
        break;
      }
      request.set_next_token(page->next_token());
    }
    return families;
  }

  std::string conninfo_;
  std::unique_ptr<storage::Database> database_;
  std::unique_ptr<EcsOperations> operations_;
  bool last_on_calling_thread_ = false;
};

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

// ---- Clusters --------------------------------------------------------------------

TEST_F(EcsOperationsTest, CreateCluster_IsIdempotent) {
  v1::CreateClusterRequest request;
  request.set_cluster_name("prod");
  v1::Tag* tag = request.add_tags();
  tag->set_key("team");
  tag->set_value("ops");
  v1::ClusterSetting* setting = request.add_settings();
  setting->set_name("containerInsights");
  setting->set_value("enabled");
  absl::StatusOr<v1::CreateClusterResponse> first = Call(&EcsOperations::CreateCluster, request);
  ASSERT_THAT(first, IsOk());
  EXPECT_FALSE(last_on_calling_thread_);
  EXPECT_EQ(first->cluster().cluster_arn(), ClusterArn("prod"));
  EXPECT_EQ(first->cluster().cluster_name(), "prod");
  EXPECT_EQ(first->cluster().status(), "ACTIVE");
  EXPECT_EQ(first->cluster().running_tasks_count(), 0);

  // The same name again returns the existing cluster unchanged.
  request.mutable_tags(0)->set_value("other");
  request.mutable_settings(0)->set_value("disabled");
  absl::StatusOr<v1::CreateClusterResponse> second = Call(&EcsOperations::CreateCluster, request);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->cluster().cluster_arn(), ClusterArn("prod"));
  EXPECT_EQ(second->cluster().status(), "ACTIVE");
  ASSERT_EQ(second->cluster().settings_size(), 1);
  EXPECT_EQ(second->cluster().settings(0).value(), "enabled");
  ASSERT_EQ(second->cluster().tags_size(), 1);
  EXPECT_EQ(second->cluster().tags(0).value(), "ops");

  v1::ListClustersRequest list;
  absl::StatusOr<v1::ListClustersResponse> listed = Call(&EcsOperations::ListClusters, list);
  ASSERT_THAT(listed, IsOk());
  EXPECT_THAT(listed->cluster_arns(), ElementsAre(ClusterArn("prod")));
}

TEST_F(EcsOperationsTest, CreateCluster_NoName_CreatesDefault) {
  absl::StatusOr<v1::CreateClusterResponse> created =
      Call(&EcsOperations::CreateCluster, v1::CreateClusterRequest());
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(created->cluster().cluster_name(), "default");
  EXPECT_EQ(created->cluster().cluster_arn(), ClusterArn("default"));
  ASSERT_EQ(created->cluster().settings_size(), 1);
  EXPECT_EQ(created->cluster().settings(0).name(), "containerInsights");
  EXPECT_EQ(created->cluster().settings(0).value(), "disabled");
}

TEST_F(EcsOperationsTest, CreateCluster_Invalid_RefusedBeforeDatabase) {
  struct Case {
    std::string name;
    std::function<void(v1::CreateClusterRequest&)> edit;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"bad name", [](v1::CreateClusterRequest& r) { r.set_cluster_name("my cluster"); },
       "clusterName: \"my cluster\" is not a valid cluster name"},
      {"bad setting",
       [](v1::CreateClusterRequest& r) {
         r.set_cluster_name("prod");
         r.add_settings()->set_name("insights");
         r.mutable_settings(0)->set_value("enabled");
       },
       "settings[0].name: \"insights\" is not allowed"},
      {"aws: tag",
       [](v1::CreateClusterRequest& r) {
         r.set_cluster_name("prod");
         r.add_tags()->set_key("aws:team");
         r.mutable_tags(0)->set_value("x");
       },
       "tags[0].key: \"aws:team\" uses the reserved prefix"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::CreateClusterRequest request;
    c.edit(request);
    EXPECT_THAT(Call(&EcsOperations::CreateCluster, request), StatusIs(kInvalid, c.message));
    EXPECT_TRUE(last_on_calling_thread_);
  }
  absl::StatusOr<v1::ListClustersResponse> listed =
      Call(&EcsOperations::ListClusters, v1::ListClustersRequest());
  ASSERT_THAT(listed, IsOk());
  EXPECT_THAT(listed->cluster_arns(), IsEmpty());
}

TEST_F(EcsOperationsTest, DescribeClusters_ReportsMissing) {
  v1::CreateClusterRequest create;
  create.set_cluster_name("prod");
  v1::Tag* tag = create.add_tags();
  tag->set_key("team");
  tag->set_value("ops");
  ASSERT_THAT(Call(&EcsOperations::CreateCluster, create), IsOk());
  ASSERT_THAT(CreateCluster("dev"), IsOk());

  v1::DescribeClustersRequest request;
  request.add_clusters("missing");
  request.add_clusters(ClusterArn("prod"));
  request.add_clusters("dev");
  request.add_clusters("prod");  // asked twice as two refs: the ARN and the name
  request.add_clusters("dev");   // a duplicate ref
  request.add_include("TAGS");
  absl::StatusOr<v1::DescribeClustersResponse> got =
      Call(&EcsOperations::DescribeClusters, request);
  ASSERT_THAT(got, IsOk());
  ASSERT_EQ(got->clusters_size(), 3);
  EXPECT_EQ(got->clusters(0).cluster_name(), "prod");
  EXPECT_EQ(got->clusters(1).cluster_name(), "dev");
  EXPECT_EQ(got->clusters(2).cluster_name(), "prod");
  ASSERT_EQ(got->clusters(0).tags_size(), 1);
  EXPECT_EQ(got->clusters(0).tags(0).value(), "ops");
  ASSERT_EQ(got->failures_size(), 1);
  EXPECT_EQ(got->failures(0).arn(), ClusterArn("missing"));
  EXPECT_EQ(got->failures(0).reason(), "MISSING");

  // Without include, no tags; with STATISTICS, the eight counters.
  request.clear_include();
  request.add_include("STATISTICS");
  got = Call(&EcsOperations::DescribeClusters, request);
  ASSERT_THAT(got, IsOk());
  ASSERT_EQ(got->clusters_size(), 3);
  EXPECT_THAT(got->clusters(0).tags(), IsEmpty());
  EXPECT_EQ(got->clusters(0).statistics_size(), 8);

  v1::DescribeClustersRequest bad;
  bad.add_clusters("bad name");
  EXPECT_THAT(Call(&EcsOperations::DescribeClusters, bad),
              StatusIs(kInvalid, "clusters[0]: \"bad name\""));
  EXPECT_TRUE(last_on_calling_thread_);
}

TEST_F(EcsOperationsTest, DescribeClusters_NoNamesAndNoDefault_ReportsDefaultMissing) {
  absl::StatusOr<v1::DescribeClustersResponse> got =
      Call(&EcsOperations::DescribeClusters, v1::DescribeClustersRequest());
  ASSERT_THAT(got, IsOk());
  EXPECT_THAT(got->clusters(), IsEmpty());
  ASSERT_EQ(got->failures_size(), 1);
  EXPECT_EQ(got->failures(0).arn(), ClusterArn("default"));
  EXPECT_EQ(got->failures(0).reason(), "MISSING");
}

TEST_F(EcsOperationsTest, ListClusters_WalksPages) {
  for (const char* name : {"echo", "alpha", "delta", "charlie", "bravo"}) {
    ASSERT_THAT(CreateCluster(name), IsOk());
  }
  v1::ListClustersRequest request;
  request.set_max_results(2);
  std::vector<std::vector<std::string>> pages;
  for (int i = 0; i < 10; ++i) {
    absl::StatusOr<v1::ListClustersResponse> page = Call(&EcsOperations::ListClusters, request);
    ASSERT_THAT(page, IsOk());
    pages.emplace_back(page->cluster_arns().begin(), page->cluster_arns().end());
    if (!page->has_next_token()) {
      break;
    }
    request.set_next_token(page->next_token());
  }
  EXPECT_THAT(pages, ElementsAre(ElementsAre(ClusterArn("alpha"), ClusterArn("bravo")),
                                 ElementsAre(ClusterArn("charlie"), ClusterArn("delta")),
                                 ElementsAre(ClusterArn("echo"))));

  request.clear_next_token();
  request.set_max_results(0);
  EXPECT_THAT(Call(&EcsOperations::ListClusters, request),
              StatusIs(kInvalid, "maxResults: 0 is out of range"));
  request.set_max_results(101);
  EXPECT_THAT(Call(&EcsOperations::ListClusters, request),
              StatusIs(kInvalid, "maxResults: 101 is out of range"));
  request.clear_max_results();
  request.set_next_token("%%%");
  EXPECT_THAT(Call(&EcsOperations::ListClusters, request), StatusIs(kInvalid, "nextToken: "));
}

TEST_F(EcsOperationsTest, EnsureDefaultCluster_DescribeWithoutNamesReturnsDefault) {
  absl::StatusOr<std::unique_ptr<storage::Connection>> connection =
      storage::Connection::Open(conninfo_);
  ASSERT_THAT(connection, IsOk());
  const Config config;
  ASSERT_THAT(EnsureDefaultCluster(**connection, config), IsOk());
  ASSERT_THAT(EnsureDefaultCluster(**connection, config), IsOk()) << "idempotent";

  v1::DescribeClustersRequest request;
  request.add_include("SETTINGS");
  absl::StatusOr<v1::DescribeClustersResponse> got =
      Call(&EcsOperations::DescribeClusters, request);
  ASSERT_THAT(got, IsOk());
  EXPECT_THAT(got->failures(), IsEmpty());
  ASSERT_EQ(got->clusters_size(), 1);
  EXPECT_EQ(got->clusters(0).cluster_name(), "default");
  EXPECT_EQ(got->clusters(0).cluster_arn(), ClusterArn("default"));
  EXPECT_EQ(got->clusters(0).status(), "ACTIVE");
  ASSERT_EQ(got->clusters(0).settings_size(), 1);
  EXPECT_EQ(got->clusters(0).settings(0).name(), "containerInsights");
  EXPECT_EQ(got->clusters(0).settings(0).value(), "disabled");

  absl::StatusOr<v1::ListClustersResponse> listed =
      Call(&EcsOperations::ListClusters, v1::ListClustersRequest());
  ASSERT_THAT(listed, IsOk());
  EXPECT_THAT(listed->cluster_arns(), ElementsAre(ClusterArn("default")));
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
}  // namespace gantry::api
