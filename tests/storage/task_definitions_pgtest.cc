#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/support/pg_harness.h"
#include "tests/support/status_matchers.h"

namespace gantry::storage {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::PgHarness;
using ::gantry::testing::StatusIs;

constexpr char kAccount[] = "000000000000";

gantry::v1::TaskDefinition Body(const std::string& family) {
  gantry::v1::TaskDefinition body;
  body.set_family(family);
  body.set_cpu("256");
  body.set_memory("512");
  body.set_network_mode("awsvpc");
  auto* container = body.add_container_definitions();
  container->set_name("app");
  container->set_image("nginx:1.27");
  return body;
}

class TaskDefinitionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = PgHarness::Get().NewDatabase();
    auto connection = Connection::Open(conninfo_);
    ASSERT_THAT(connection, IsOk());
    connection_ = std::move(*connection);
  }
  std::string conninfo_;
  std::unique_ptr<Connection> connection_;
};

TEST_F(TaskDefinitionsTest, Register_RevisionsStartAtOneAndIncrease) {
  for (int want = 1; want <= 3; ++want) {
    auto row = RegisterTaskDefinition(*connection_, kAccount, Body("web"), {}, "arn:aws:iam::0:root");
    ASSERT_THAT(row, IsOk());
    EXPECT_EQ(row->revision, want);
    EXPECT_EQ(row->status, "ACTIVE");
    EXPECT_EQ(row->body.container_definitions(0).image(), "nginx:1.27");
  }
  auto other = RegisterTaskDefinition(*connection_, kAccount, Body("api"), {}, "x");
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(other->revision, 1);
}

TEST_F(TaskDefinitionsTest, ConcurrentRegistrations_AreGapFree) {
  constexpr int kWriters = 8;
  std::vector<int32_t> revisions(kWriters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      auto connection = Connection::Open(conninfo_);
      ASSERT_THAT(connection, IsOk());
      auto row = RegisterTaskDefinition(**connection, kAccount, Body("busy"), {}, "x");
      ASSERT_THAT(row, IsOk());
      revisions[i] = row->revision;
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<int32_t> got(revisions.begin(), revisions.end());
  std::set<int32_t> want;
  for (int i = 1; i <= kWriters; ++i) want.insert(i);
  EXPECT_EQ(got, want);
}

TEST_F(TaskDefinitionsTest, Deregister_LatestActiveSkipsIt) {
  ASSERT_THAT(RegisterTaskDefinition(*connection_, kAccount, Body("web"), {}, "x"), IsOk());
  ASSERT_THAT(RegisterTaskDefinition(*connection_, kAccount, Body("web"), {}, "x"), IsOk());
  auto gone = DeregisterTaskDefinition(*connection_, kAccount, "web", 2);
  ASSERT_THAT(gone, IsOk());
  EXPECT_EQ(gone->status, "INACTIVE");
  EXPECT_TRUE(gone->deregistered_at.has_value());
  auto latest = GetTaskDefinition(*connection_, kAccount, "web", std::nullopt);
  ASSERT_THAT(latest, IsOk());
  EXPECT_EQ(latest->revision, 1);
  auto inactive = GetTaskDefinition(*connection_, kAccount, "web", 2);
  ASSERT_THAT(inactive, IsOk());
  EXPECT_EQ(inactive->status, "INACTIVE");
  ASSERT_THAT(DeregisterTaskDefinition(*connection_, kAccount, "web", 1), IsOk());
  EXPECT_THAT(GetTaskDefinition(*connection_, kAccount, "web", std::nullopt),
              StatusIs(absl::StatusCode::kNotFound, "has no ACTIVE revision"));
  EXPECT_THAT(GetTaskDefinition(*connection_, kAccount, "web", 9),
              StatusIs(absl::StatusCode::kNotFound, "\"web:9\" does not exist"));
}

}  // namespace
}  // namespace gantry::storage
