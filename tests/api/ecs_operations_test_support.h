// The fixture and helpers shared by the EcsOperations tests over a real PostgreSQL
// (ecs_operations_pgtest.cc and cluster_operations_pgtest.cc).
#pragma once

#include <fstream>
#include <memory>
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
#include "tests/api/call_and_wait.h"
#include "tests/support/pg_harness.h"
#include "tests/support/status_matchers.h"

namespace gantry::api::ecs_operations_test {

using ::gantry::api::test::CallAndWait;
using ::gantry::api::test::kReplyTimeout;
using ::gantry::api::test::Reply;
using ::gantry::testing::IsOk;
using ::gantry::testing::PgHarness;

inline constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
inline constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;
inline constexpr char kArnPrefix[] = "arn:aws:ecs:us-east-1:000000000000:";

inline std::string TaskDefinitionArn(const std::string& family, int revision) {
  return kArnPrefix + std::string("task-definition/") + family + ":" + std::to_string(revision);
}

inline std::string ClusterArn(const std::string& name) {
  return kArnPrefix + std::string("cluster/") + name;
}

inline std::string ReadExample(const std::string& name) {
  std::ifstream in(std::string(GANTRY_SOURCE_DIR) + "/examples/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// examples/web-service.json as a request, optionally under another family.
inline v1::RegisterTaskDefinitionRequest WebService(const std::string& family = "web-service") {
  absl::StatusOr<v1::RegisterTaskDefinitionRequest> request =
      taskdef::ParseRegisterRequestJson(ReadExample("web-service.json"));
  EXPECT_THAT(request, IsOk());
  if (!request.ok()) return {};
  request->set_family(family);
  return *std::move(request);
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
  absl::StatusOr<Response> Call(void (EcsOperations::*method)(const Caller&, const Request&,
                                                              Done<Response>),
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

}  // namespace gantry::api::ecs_operations_test
