// EcsOperations' cluster operations over a real PostgreSQL (CreateCluster,
// DescribeClusters, ListClusters, EnsureDefaultCluster): each operation is driven through
// its callback, as the gRPC service drives it, against a fresh database per test.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/api.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/api/ecs_operations_test_support.h"
#include "tests/support/status_matchers.h"

namespace gantry::api::ecs_operations_test {
namespace {

using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

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

}  // namespace
}  // namespace gantry::api::ecs_operations_test
