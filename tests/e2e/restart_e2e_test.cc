// Durability end to end: a clean restart and a hard kill of gantryd on the same data
// directory keep every registered revision. Each test owns its gantryd processes.
#include <memory>
#include <string>
#include <vector>

#include "gantry/v1/agent.pb.h"
#include "gantry/v1/ecs.pb.h"
#include "gantry/v1/network.pb.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"

namespace gantry::testing {
namespace {

using ::testing::Contains;

std::string Definition(const std::string& family, int variant) {
  return absl::Substitute(R"json({
    "family": "$0", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
    "cpu": "256", "memory": "512",
    "containerDefinitions": [{"name": "app", "image": "nginx:1.$1", "essential": true}]
  })json",
                          family, variant);
}

class RestartE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<TempDir> dir = TempDir::Create("gantry-e2e-restart");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<TempDir>(*std::move(dir));
  }

  std::unique_ptr<Gantryd> StartGantryd() {
    GantrydOptions options;
    options.data_dir = dir_->path() / "data";
    // Hosts are registered by hand, with no agent heartbeating: never lose them here.
    options.extra_args = {"--host-timeout", "1h"};
    absl::StatusOr<std::unique_ptr<Gantryd>> gantryd = Gantryd::Start(options);
    EXPECT_TRUE(gantryd.ok()) << gantryd.status();
    return gantryd.ok() ? *std::move(gantryd) : nullptr;
  }

  template <typename M>
  static M Json(const Gantryd& gantryd, std::vector<std::string> args) {
    args.insert(args.begin(), {"--output", "json"});
    CommandResult r = Ctl(gantryd.endpoint(), args);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    return ParseJsonOutput<M>(r);
  }

  static int Register(const Gantryd& gantryd, const std::string& json) {
    return Json<v1::RegisterTaskDefinitionResponse>(
               gantryd, {"register-task-definition", "--cli-input-json", json})
        .task_definition()
        .revision();
  }

  static void ExpectRevision(const Gantryd& gantryd, const std::string& ref, int revision,
                             const std::string& image) {
    SCOPED_TRACE(ref);
    auto described = Json<v1::DescribeTaskDefinitionResponse>(
        gantryd, {"describe-task-definition", "--task-definition", ref});
    EXPECT_EQ(described.task_definition().revision(), revision);
    EXPECT_EQ(described.task_definition().status(), "ACTIVE");
    ASSERT_EQ(described.task_definition().container_definitions_size(), 1);
    EXPECT_EQ(described.task_definition().container_definitions(0).image(), image);
  }

  std::unique_ptr<TempDir> dir_;
};

TEST_F(RestartE2E, CleanRestart_KeepsEveryRevision) {
  std::unique_ptr<Gantryd> first = StartGantryd();
  ASSERT_NE(first, nullptr);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_EQ(Register(*first, Definition("e2e-restart", i)), i);
  }
  absl::StatusOr<int> exit_code = first->Terminate();
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0) << first->LogTail();

  std::unique_ptr<Gantryd> second = StartGantryd();
  ASSERT_NE(second, nullptr);
  for (int i = 1; i <= 3; ++i) {
    ExpectRevision(*second, absl::StrCat("e2e-restart:", i), i, absl::StrCat("nginx:1.", i));
  }
  ExpectRevision(*second, "e2e-restart", 3, "nginx:1.3");
  // Numbering continues after the restart.
  EXPECT_EQ(Register(*second, Definition("e2e-restart", 4)), 4);
  exit_code = second->Terminate();
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0) << second->LogTail();
}

TEST_F(RestartE2E, Sigkill_NextGantrydComesUpWithTheData) {
  std::unique_ptr<Gantryd> first = StartGantryd();
  ASSERT_NE(first, nullptr);
  ASSERT_EQ(Register(*first, Definition("e2e-crash", 1)), 1);
  ASSERT_EQ(Register(*first, Definition("e2e-crash", 2)), 2);
  Json<v1::CreateClusterResponse>(*first, {"create-cluster", "--cluster-name", "e2e-crash"});
  ASSERT_TRUE(first->Kill().ok());

  // The embedded PostgreSQL of the killed gantryd may still be running: the new one
  // must adopt it or restart it.
  std::unique_ptr<Gantryd> second = StartGantryd();
  ASSERT_NE(second, nullptr);
  ExpectRevision(*second, "e2e-crash:1", 1, "nginx:1.1");
  ExpectRevision(*second, "e2e-crash", 2, "nginx:1.2");
  auto listed = Json<v1::ListClustersResponse>(*second, {"list-clusters"});
  EXPECT_THAT(listed.cluster_arns(),
              Contains("arn:aws:ecs:us-east-1:000000000000:cluster/e2e-crash"));
  EXPECT_EQ(Register(*second, Definition("e2e-crash", 3)), 3);
  absl::StatusOr<int> exit_code = second->Terminate();
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0) << second->LogTail();
}

// A clientToken binds durably: after a restart the same request returns the same
// tasks, and waiting and placed tasks are still there.
TEST_F(RestartE2E, CleanRestart_ClientTokenStillReturnsTheSameTasks) {
  std::unique_ptr<Gantryd> first = StartGantryd();
  ASSERT_NE(first, nullptr);
  auto vpc = Json<v1::CreateVpcResponse>(*first, {"create-vpc", "--cidr-block", "10.0.0.0/16"});
  auto subnet = Json<v1::CreateSubnetResponse>(
      *first, {"create-subnet", "--vpc-id", vpc.vpc().vpc_id(), "--cidr-block", "10.0.1.0/24",
               "--availability-zone", "us-east-1a"});
  Json<v1::RegisterHostResponse>(*first, {"register-container-instance", "--availability-zone",
                                          "us-east-1a", "--cpu", "512", "--memory", "1024"});
  ASSERT_EQ(Register(*first, Definition("e2e-token-restart", 1)), 1);
  const std::vector<std::string> run = {
      "run-task",
      "--task-definition",
      "e2e-token-restart",
      "--count",
      "3",
      "--client-token",
      "restart-token",
      "--network-configuration",
      absl::StrCat("awsvpcConfiguration={subnets=[", subnet.subnet().subnet_id(), "]}")};
  auto before = Json<v1::RunTaskResponse>(*first, run);
  ASSERT_EQ(before.tasks_size(), 3);
  ASSERT_TRUE(first->Terminate().ok());

  std::unique_ptr<Gantryd> second = StartGantryd();
  ASSERT_NE(second, nullptr);
  auto after = Json<v1::RunTaskResponse>(*second, run);
  ASSERT_EQ(after.tasks_size(), 3);
  int placed = 0;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(after.tasks(i).task_arn(), before.tasks(i).task_arn());
    placed += after.tasks(i).has_container_instance_arn();
  }
  EXPECT_EQ(placed, 2) << "the host holds two tasks of 256 CPU; the third still waits";
  EXPECT_TRUE(second->Terminate().ok());
}

}  // namespace
}  // namespace gantry::testing
