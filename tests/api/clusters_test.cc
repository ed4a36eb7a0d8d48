// The cluster helpers of the api module: cluster references (ParseClusterRef), the ECS
// Cluster shape (ToCluster), CreateCluster and DescribeClusters request parsing, and the
// DescribeClusters response.
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "api/internal/requests.h"
#include "api/internal/resources.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/api/api_internal_test_support.h"
#include "tests/support/status_matchers.h"

namespace gantry::api::internal::api_internal_test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

v1::ClusterSetting MakeSetting(const std::string& name, const std::string& value) {
  v1::ClusterSetting setting;
  setting.set_name(name);
  setting.set_value(value);
  return setting;
}

// ---- ParseClusterRef -------------------------------------------------------------

TEST(ParseClusterRef, Table) {
  struct Case {
    std::string name;
    std::string input;
    Want want;
    std::string cluster;  // when OK
  };
  const std::vector<Case> cases = {
      {"short name", "default", {}, "default"},
      {"name with - and _", "prod_eu-1", {}, "prod_eu-1"},
      {"full ARN", Arn("cluster/prod"), {}, "prod"},
      {"ARN of another account",
       "arn:aws:ecs:us-east-1:111111111111:cluster/prod",
       {kNotFound, "cluster: \"arn:aws:ecs:us-east-1:111111111111:cluster/prod\" does not exist"}},
      {"ARN of another region",
       "arn:aws:ecs:us-west-2:000000000000:cluster/prod",
       {kNotFound, "does not exist"}},
      {"task definition ARN",
       Arn("task-definition/web:1"),
       {kInvalid, "cluster: \"" + Arn("task-definition/web:1") + "\" is not a cluster ARN"}},
      {"ARN with no name", Arn("cluster/"), {kInvalid, "is not a valid cluster name"}},
      {"not an ECS ARN", "arn:aws:iam::000000000000:root", {kInvalid, "is not a valid ECS ARN"}},
      {"name with a space",
       "my cluster",
       {kInvalid,
        "cluster: \"my cluster\" is not a valid cluster name; use 1-255 letters, digits, - and _"}},
      {"name with a slash", "a/b", {kInvalid, "is not a valid cluster name"}},
      {"empty", "", {kInvalid, "cluster: \"\" is not a valid cluster name"}},
      {"name of 256 chars", std::string(256, 'c'), {kInvalid, "is not a valid cluster name"}},
  };
  const Config config;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<std::string> got = ParseClusterRef(config, "cluster", c.input);
    ExpectOutcome(got, c.want);
    if (c.want.code == kOk && got.ok()) {
      EXPECT_EQ(*got, c.cluster);
    }
  }
}

// ---- ToCluster -------------------------------------------------------------------

TEST(ToCluster, FillsIdentityStatusAndCounts) {
  storage::ClusterRow row;
  row.account_id = "000000000000";
  row.name = "prod";
  row.status = "ACTIVE";
  *row.spec.add_tags() = MakeTag("team", "ops");
  *row.spec.add_settings() = MakeSetting("containerInsights", "enabled");
  row.spec.add_capacity_providers("FARGATE");
  row.created_at = absl::FromUnixSeconds(1718000000);
  const Config config;
  const v1::Cluster got = ToCluster(config, row);
  EXPECT_EQ(got.cluster_arn(), Arn("cluster/prod"));
  EXPECT_EQ(got.cluster_name(), "prod");
  EXPECT_EQ(got.status(), "ACTIVE");
  // Counts are present (ECS always shows them), all zero on a Fargate-only cluster.
  ASSERT_TRUE(got.has_registered_container_instances_count());
  ASSERT_TRUE(got.has_running_tasks_count());
  ASSERT_TRUE(got.has_pending_tasks_count());
  ASSERT_TRUE(got.has_active_services_count());
  EXPECT_EQ(got.registered_container_instances_count(), 0);
  EXPECT_EQ(got.running_tasks_count(), 0);
  EXPECT_EQ(got.pending_tasks_count(), 0);
  EXPECT_EQ(got.active_services_count(), 0);
  ASSERT_EQ(got.tags_size(), 1);
  EXPECT_EQ(got.tags(0).key(), "team");
  ASSERT_EQ(got.settings_size(), 1);
  EXPECT_EQ(got.settings(0).value(), "enabled");
  EXPECT_THAT(got.capacity_providers(), ElementsAre("FARGATE"));
  EXPECT_THAT(got.statistics(), IsEmpty());

  row.status = "INACTIVE";
  EXPECT_EQ(ToCluster(config, row).status(), "INACTIVE");
}

// ---- ClusterSpecFromRequest ------------------------------------------------------

TEST(ClusterSpecFromRequest, Table) {
  struct Case {
    std::string name;
    std::function<void(v1::CreateClusterRequest&)> edit;
    Want want;
    std::vector<std::string> settings;  // "name=value", when OK
    int tags = 0;                       // when OK
  };
  const std::vector<Case> cases = {
      {"empty request gets default settings",
       [](v1::CreateClusterRequest&) {},
       {},
       {"containerInsights=disabled"}},
      {"name only",
       [](v1::CreateClusterRequest& r) { r.set_cluster_name("prod"); },
       {},
       {"containerInsights=disabled"}},
      {"setting enabled kept",
       [](v1::CreateClusterRequest& r) {
         *r.add_settings() = MakeSetting("containerInsights", "enabled");
       },
       {},
       {"containerInsights=enabled"}},
      {"setting enhanced kept",
       [](v1::CreateClusterRequest& r) {
         *r.add_settings() = MakeSetting("containerInsights", "enhanced");
       },
       {},
       {"containerInsights=enhanced"}},
      {"tags kept",
       [](v1::CreateClusterRequest& r) {
         *r.add_tags() = MakeTag("team", "ops");
         *r.add_tags() = MakeTag("env", "prod");
       },
       {},
       {"containerInsights=disabled"},
       2},
      {"bad setting name",
       [](v1::CreateClusterRequest& r) { *r.add_settings() = MakeSetting("insights", "enabled"); },
       {kInvalid, "settings[0].name: \"insights\" is not allowed; use one of containerInsights"}},
      {"bad setting value",
       [](v1::CreateClusterRequest& r) {
         *r.add_settings() = MakeSetting("containerInsights", "on");
       },
       {kInvalid,
        "settings[0].value: \"on\" is not allowed; use one of enabled, disabled, enhanced"}},
      {"both bad, second setting",
       [](v1::CreateClusterRequest& r) {
         *r.add_settings() = MakeSetting("containerInsights", "enabled");
         *r.add_settings() = MakeSetting("x", "y");
       },
       {kInvalid,
        "settings[1].name: \"x\" is not allowed; use one of containerInsights\n"
        "settings[1].value: \"y\" is not allowed"}},
      {"value case matters",
       [](v1::CreateClusterRequest& r) {
         *r.add_settings() = MakeSetting("containerInsights", "ENABLED");
       },
       {kInvalid, "settings[0].value: \"ENABLED\""}},
      {"bad cluster name",
       [](v1::CreateClusterRequest& r) { r.set_cluster_name("my cluster"); },
       {kInvalid,
        "clusterName: \"my cluster\" is not a valid cluster name; use 1-255 letters, digits, - "
        "and _"}},
      {"empty cluster name",
       [](v1::CreateClusterRequest& r) { r.set_cluster_name(""); },
       {kInvalid, "clusterName: \"\" is not a valid cluster name"}},
      {"cluster name of 256 chars",
       [](v1::CreateClusterRequest& r) { r.set_cluster_name(std::string(256, 'c')); },
       {kInvalid, "is not a valid cluster name"}},
      {"cluster name of 255 chars",
       [](v1::CreateClusterRequest& r) { r.set_cluster_name(std::string(255, 'c')); },
       {},
       {"containerInsights=disabled"}},
      {"aws: tag key",
       [](v1::CreateClusterRequest& r) { *r.add_tags() = MakeTag("aws:owner", "me"); },
       {kInvalid, "tags[0].key: \"aws:owner\" uses the reserved prefix \"aws:\""}},
      {"AWS: tag key in another case",
       [](v1::CreateClusterRequest& r) {
         *r.add_tags() = MakeTag("team", "ops");
         *r.add_tags() = MakeTag("AWS:x", "me");
       },
       {kInvalid, "tags[1].key: \"AWS:x\" uses the reserved prefix"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::CreateClusterRequest request;
    c.edit(request);
    absl::StatusOr<v1::Cluster> got = ClusterSpecFromRequest(request);
    ExpectOutcome(got, c.want);
    if (c.want.code != kOk || !got.ok()) {
      continue;
    }
    std::vector<std::string> settings;
    for (const v1::ClusterSetting& s : got->settings()) {
      settings.push_back(s.name() + "=" + s.value());
    }
    EXPECT_EQ(settings, c.settings);
    EXPECT_EQ(got->tags_size(), c.tags);
    // Identity and status are the caller's to fill.
    EXPECT_FALSE(got->has_cluster_arn());
    EXPECT_FALSE(got->has_cluster_name());
    EXPECT_FALSE(got->has_status());
  }
}

TEST(ClusterSpecFromRequest, CopiesConfigurationAndCapacityProviders) {
  v1::CreateClusterRequest request;
  request.set_cluster_name("prod");
  request.mutable_configuration()->mutable_execute_command_configuration()->set_logging("DEFAULT");
  request.add_capacity_providers("FARGATE");
  request.add_capacity_providers("FARGATE_SPOT");
  absl::StatusOr<v1::Cluster> got = ClusterSpecFromRequest(request);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->configuration().execute_command_configuration().logging(), "DEFAULT");
  EXPECT_THAT(got->capacity_providers(), ElementsAre("FARGATE", "FARGATE_SPOT"));
  EXPECT_FALSE(got->has_service_connect_defaults());
}

// ---- ParseDescribeClusters -------------------------------------------------------

v1::DescribeClustersRequest DescribeRequest(const std::vector<std::string>& clusters,
                                            const std::vector<std::string>& include = {}) {
  v1::DescribeClustersRequest request;
  for (const std::string& cluster : clusters) {
    request.add_clusters(cluster);
  }
  for (const std::string& item : include) {
    request.add_include(item);
  }
  return request;
}

TEST(ParseDescribeClusters, Table) {
  struct Case {
    std::string name;
    v1::DescribeClustersRequest input;
    Want want;
    std::vector<std::string> refs;   // when OK
    std::vector<std::string> names;  // when OK
  };
  std::vector<std::string> hundred;
  for (int i = 0; i < 100; ++i) {
    hundred.push_back("c" + std::to_string(i));
  }
  std::vector<std::string> hundred_and_one = hundred;
  hundred_and_one.push_back("c100");
  const std::string other_account = "arn:aws:ecs:us-east-1:111111111111:cluster/prod";
  const std::vector<Case> cases = {
      {"no clusters means default", DescribeRequest({}), {}, {"default"}, {"default"}},
      {"names in order", DescribeRequest({"b", "a"}), {}, {"b", "a"}, {"b", "a"}},
      {"ARN parsed", DescribeRequest({Arn("cluster/prod")}), {}, {Arn("cluster/prod")}, {"prod"}},
      {"duplicates collapsed",
       DescribeRequest({"a", "b", "a", "b", "c"}),
       {},
       {"a", "b", "c"},
       {"a", "b", "c"}},
      {"ARN of another account is kept as missing",
       DescribeRequest({"a", other_account}),
       {},
       {"a", other_account},
       {"a", ""}},
      {"100 clusters", DescribeRequest(hundred), {}, hundred, hundred},
      {"101 clusters",
       DescribeRequest(hundred_and_one),
       {kInvalid, "clusters: 101 clusters given; at most 100 per call"}},
      {"bad name names its index",
       DescribeRequest({"a", "a", "bad name"}),
       {kInvalid, "clusters[2]: \"bad name\" is not a valid cluster name"}},
      {"task definition ARN",
       DescribeRequest({Arn("task-definition/web:1")}),
       {kInvalid, "clusters[0]: "}},
      {"bad include",
       DescribeRequest({}, {"TAGS", "tags"}),
       {kInvalid,
        "include[1]: \"tags\" is not allowed; use one of ATTACHMENTS, CONFIGURATIONS, SETTINGS, "
        "STATISTICS, TAGS"}},
  };
  const Config config;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<ClusterQuery> got = ParseDescribeClusters(config, c.input);
    ExpectOutcome(got, c.want);
    if (c.want.code != kOk || !got.ok()) {
      continue;
    }
    EXPECT_EQ(got->refs, c.refs);
    EXPECT_EQ(got->names, c.names);
    EXPECT_FALSE(got->with_tags);
    EXPECT_FALSE(got->with_settings);
    EXPECT_FALSE(got->with_configurations);
    EXPECT_FALSE(got->with_statistics);
  }
}

TEST(ParseDescribeClusters, IncludeValues) {
  struct Case {
    std::string name;
    std::vector<std::string> include;
    bool tags, settings, configurations, statistics;
  };
  const std::vector<Case> cases = {
      {"none", {}, false, false, false, false},
      {"tags", {"TAGS"}, true, false, false, false},
      {"settings", {"SETTINGS"}, false, true, false, false},
      {"configurations", {"CONFIGURATIONS"}, false, false, true, false},
      {"statistics", {"STATISTICS"}, false, false, false, true},
      {"attachments only", {"ATTACHMENTS"}, false, false, false, false},
      {"all",
       {"ATTACHMENTS", "CONFIGURATIONS", "SETTINGS", "STATISTICS", "TAGS"},
       true,
       true,
       true,
       true},
      {"repeated", {"TAGS", "TAGS"}, true, false, false, false},
  };
  const Config config;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<ClusterQuery> got =
        ParseDescribeClusters(config, DescribeRequest({}, c.include));
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(got->with_tags, c.tags);
    EXPECT_EQ(got->with_settings, c.settings);
    EXPECT_EQ(got->with_configurations, c.configurations);
    EXPECT_EQ(got->with_statistics, c.statistics);
  }
}

// ---- DescribeClustersResponse ----------------------------------------------------

storage::ClusterRow ClusterRowNamed(const std::string& name) {
  storage::ClusterRow row;
  row.account_id = "000000000000";
  row.name = name;
  row.status = "ACTIVE";
  *row.spec.add_tags() = MakeTag("name", name);
  *row.spec.add_settings() = MakeSetting("containerInsights", "disabled");
  row.spec.mutable_configuration()->mutable_execute_command_configuration()->set_logging("DEFAULT");
  return row;
}

std::vector<std::string> Names(const v1::DescribeClustersResponse& response) {
  std::vector<std::string> names;
  for (const v1::Cluster& cluster : response.clusters()) {
    names.push_back(cluster.cluster_name());
  }
  return names;
}

TEST(DescribeClustersResponse, KeepsOrderAndReportsMissing) {
  const Config config;
  const std::string other_account = "arn:aws:ecs:us-east-1:111111111111:cluster/a";
  absl::StatusOr<ClusterQuery> query = ParseDescribeClusters(
      config, DescribeRequest({"b", "gone", Arn("cluster/a"), other_account, Arn("cluster/lost")}));
  ASSERT_THAT(query, IsOk());
  // Rows come back from storage in no particular order.
  const v1::DescribeClustersResponse got = DescribeClustersResponse(
      config, *query, {ClusterRowNamed("a"), ClusterRowNamed("b"), ClusterRowNamed("zzz")});
  EXPECT_THAT(Names(got), ElementsAre("b", "a"));
  EXPECT_EQ(got.clusters(0).cluster_arn(), Arn("cluster/b"));
  ASSERT_EQ(got.failures_size(), 3);
  EXPECT_EQ(got.failures(0).arn(), Arn("cluster/gone"));
  EXPECT_EQ(got.failures(1).arn(), other_account);
  EXPECT_EQ(got.failures(2).arn(), Arn("cluster/lost"));
  for (const v1::Failure& failure : got.failures()) {
    EXPECT_EQ(failure.reason(), "MISSING");
  }
}

TEST(DescribeClustersResponse, IncludeControlsOptionalMembers) {
  struct Case {
    std::string name;
    std::vector<std::string> include;
    bool tags, settings, configuration, statistics;
  };
  const std::vector<Case> cases = {
      {"nothing included", {}, false, false, false, false},
      {"tags", {"TAGS"}, true, false, false, false},
      {"settings", {"SETTINGS"}, false, true, false, false},
      {"configurations", {"CONFIGURATIONS"}, false, false, true, false},
      {"statistics", {"STATISTICS"}, false, false, false, true},
      {"tags and statistics", {"STATISTICS", "TAGS"}, true, false, false, true},
  };
  const Config config;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<ClusterQuery> query =
        ParseDescribeClusters(config, DescribeRequest({"prod"}, c.include));
    ASSERT_THAT(query, IsOk());
    const v1::DescribeClustersResponse got =
        DescribeClustersResponse(config, *query, {ClusterRowNamed("prod")});
    ASSERT_EQ(got.clusters_size(), 1);
    EXPECT_THAT(got.failures(), IsEmpty());
    const v1::Cluster& cluster = got.clusters(0);
    EXPECT_EQ(cluster.status(), "ACTIVE");
    EXPECT_EQ(cluster.tags_size() > 0, c.tags);
    EXPECT_EQ(cluster.settings_size() > 0, c.settings);
    EXPECT_EQ(cluster.has_configuration(), c.configuration);
    if (!c.statistics) {
      EXPECT_THAT(cluster.statistics(), IsEmpty());
      continue;
    }
    std::vector<std::string> names;
    for (const v1::KeyValuePair& statistic : cluster.statistics()) {
      names.push_back(statistic.name());
      EXPECT_EQ(statistic.value(), "0");
    }
    EXPECT_THAT(names,
                UnorderedElementsAre("runningEC2TasksCount", "RunningFargateTasksCount",
                                     "pendingEC2TasksCount", "pendingFargateTasksCount",
                                     "activeEC2ServiceCount", "activeFargateServiceCount",
                                     "drainingEC2ServiceCount", "drainingFargateServiceCount"));
  }
}

}  // namespace
}  // namespace gantry::api::internal::api_internal_test
