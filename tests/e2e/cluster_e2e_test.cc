// Cluster calls and gantryctl's behaviour against a real gantryd: output formats,
// endpoint selection and error reporting.
#include <algorithm>
#include <string>
#include <vector>

#include "gantry/v1/ecs.pb.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"

namespace gantry::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::IsSupersetOf;
using ::testing::StartsWith;

constexpr char kClusterArnPrefix[] = "arn:aws:ecs:us-east-1:000000000000:cluster/";

std::string ClusterArn(const std::string& name) { return absl::StrCat(kClusterArnPrefix, name); }

class ClusterE2E : public SharedGantrydTest {};

TEST_F(ClusterE2E, DefaultCluster_ExistsAndIsTheDefault) {
  auto described = RunJson<v1::DescribeClustersResponse>({"describe-clusters"});
  ASSERT_EQ(described.clusters_size(), 1);
  EXPECT_EQ(described.clusters(0).cluster_name(), "default");
  EXPECT_EQ(described.clusters(0).cluster_arn(), ClusterArn("default"));
  EXPECT_EQ(described.clusters(0).status(), "ACTIVE");
  EXPECT_EQ(described.failures_size(), 0);

  auto listed = RunJson<v1::ListClustersResponse>({"list-clusters"});
  EXPECT_THAT(listed.cluster_arns(), Contains(ClusterArn("default")));
}

TEST_F(ClusterE2E, CreateCluster_IsIdempotentAndDescribable) {
  auto created = RunJson<v1::CreateClusterResponse>(
      {"create-cluster", "--cluster-name", "e2e-c1", "--tags", "key=team,value=core"});
  EXPECT_EQ(created.cluster().cluster_name(), "e2e-c1");
  EXPECT_EQ(created.cluster().cluster_arn(), ClusterArn("e2e-c1"));
  EXPECT_EQ(created.cluster().status(), "ACTIVE");

  auto again = RunJson<v1::CreateClusterResponse>({"create-cluster", "--cluster-name", "e2e-c1"});
  EXPECT_EQ(again.cluster().cluster_arn(), ClusterArn("e2e-c1"));

  auto described = RunJson<v1::DescribeClustersResponse>(
      {"describe-clusters", "--clusters", "e2e-c1", "e2e-missing", "--include", "TAGS"});
  ASSERT_EQ(described.clusters_size(), 1);
  EXPECT_EQ(described.clusters(0).cluster_name(), "e2e-c1");
  ASSERT_EQ(described.clusters(0).tags_size(), 1);
  EXPECT_EQ(described.clusters(0).tags(0).key(), "team");
  EXPECT_EQ(described.clusters(0).tags(0).value(), "core");
  ASSERT_EQ(described.failures_size(), 1);
  EXPECT_EQ(described.failures(0).reason(), "MISSING");
  EXPECT_THAT(described.failures(0).arn(), HasSubstr("e2e-missing"));

  // By ARN as well as by name.
  auto by_arn = RunJson<v1::DescribeClustersResponse>(
      {"describe-clusters", "--clusters", ClusterArn("e2e-c1")});
  ASSERT_EQ(by_arn.clusters_size(), 1);
  EXPECT_EQ(by_arn.clusters(0).cluster_name(), "e2e-c1");
}

TEST_F(ClusterE2E, DescribeClustersTable_ListsClustersThenFailures) {
  RunJson<v1::CreateClusterResponse>({"create-cluster", "--cluster-name", "e2e-table"});
  CommandResult r = RunCtl({"describe-clusters", "--clusters", "e2e-table", "e2e-nope"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, StartsWith("NAME       STATUS  RUNNING  PENDING  ARN\n"
                                "e2e-table  ACTIVE  "));
  EXPECT_THAT(r.out, HasSubstr(ClusterArn("e2e-table") + "\n"));
  EXPECT_THAT(r.out, HasSubstr("\nFailures:\nARN"));
  EXPECT_THAT(r.out, HasSubstr("MISSING"));
}

TEST_F(ClusterE2E, ListClusters_WalksPagesWithNextToken) {
  for (const char* name : {"e2e-page-1", "e2e-page-2"}) {
    RunJson<v1::CreateClusterResponse>({"create-cluster", "--cluster-name", name});
  }
  std::vector<std::string> all;
  std::string token;
  for (int page = 0; page < 100; ++page) {
    std::vector<std::string> args = {"list-clusters", "--max-results", "1"};
    if (!token.empty()) {
      args.insert(args.end(), {"--next-token", token});
    }
    auto listed = RunJson<v1::ListClustersResponse>(args);
    ASSERT_LE(listed.cluster_arns_size(), 1);
    all.insert(all.end(), listed.cluster_arns().begin(), listed.cluster_arns().end());
    if (listed.next_token().empty()) {
      break;
    }
    token = listed.next_token();
  }
  EXPECT_THAT(all, IsSupersetOf({ClusterArn("default"), ClusterArn("e2e-page-1"),
                                 ClusterArn("e2e-page-2")}));
  std::vector<std::string> unique = all;
  std::sort(unique.begin(), unique.end());
  EXPECT_EQ(std::unique(unique.begin(), unique.end()), unique.end()) << "an ARN came twice";
}

TEST_F(ClusterE2E, EndpointFromEnvironment_IsUsed) {
  absl::StatusOr<CommandResult> r =
      RunGantryctlWithEnv({"list-clusters"}, {{"GANTRY_ENDPOINT", endpoint()}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << Describe(*r);
  EXPECT_THAT(r->out, StartsWith("CLUSTER ARN\n"));
  EXPECT_THAT(r->out, HasSubstr(ClusterArn("default")));
}

TEST_F(ClusterE2E, ServerError_PrintsCodeAndMessageOnStderr) {
  CommandResult r = RunCtl({"describe-task-definition", "--task-definition", "e2e-nothing:1"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_THAT(r.err, StartsWith("error: NOT_FOUND: "));
}

TEST_F(ClusterE2E, UsageError_ExitsTwoWithoutCallingTheServer) {
  CommandResult r = RunCtl({"describe-clusters", "--cluster", "x"});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("unknown flag --cluster for describe-clusters"));
}

// Needs no gantryd: nothing listens on 127.0.0.1:1.
TEST(GantryctlE2E, UnreachableEndpoint_SaysItCouldNotReachIt) {
  CommandResult r = Ctl("127.0.0.1:1", {"list-clusters"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_THAT(r.err, StartsWith("error: could not reach gantryd at 127.0.0.1:1"));
}

TEST(GantryctlE2E, Help_ExitsZero) {
  CommandResult r = Ctl("127.0.0.1:1", {"register-task-definition", "--help"});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("--cli-input-json"));
}

}  // namespace
}  // namespace gantry::testing
