#include "api/internal/requests.h"

#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/internal/resources.h"
#include "common/status_macros.h"
#include "taskdef/taskdef.h"

namespace gantry::api::internal {
namespace {

constexpr int kMaxDescribeClusters = 100;

absl::Status OneOf(const std::string& field, const std::string& value,
                   const std::vector<std::string>& allowed) {
  for (const std::string& candidate : allowed) {
    if (value == candidate) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": ", Quote(value), " is not allowed; use one of ", absl::StrJoin(allowed, ", ")));
}

absl::Status CheckSettings(const v1::CreateClusterRequest& request) {
  std::vector<std::string> problems;
  for (int i = 0; i < request.settings_size(); ++i) {
    const v1::ClusterSetting& setting = request.settings(i);
    std::string path = absl::StrCat("settings[", i, "]");
    absl::Status name = OneOf(path + ".name", setting.name(), {"containerInsights"});
    absl::Status value =
        OneOf(path + ".value", setting.value(), {"enabled", "disabled", "enhanced"});
    for (const absl::Status& status : {name, value}) {
      if (!status.ok()) problems.emplace_back(status.message());
    }
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
}

}  // namespace

absl::StatusOr<v1::Cluster> ClusterSpecFromRequest(const v1::CreateClusterRequest& request) {
  if (request.has_cluster_name() && !taskdef::IsValidName(request.cluster_name())) {
    return absl::InvalidArgumentError(
        absl::StrCat("clusterName: ", Quote(request.cluster_name()),
                     " is not a valid cluster name; use 1-255 letters, digits, - and _"));
  }
  GANTRY_RETURN_IF_ERROR(CheckSettings(request));
  GANTRY_RETURN_IF_ERROR(taskdef::ValidateTags(request.tags()));
  v1::Cluster spec;
  *spec.mutable_tags() = request.tags();
  *spec.mutable_settings() = request.settings();
  if (spec.settings().empty()) {
    auto* setting = spec.add_settings();
    setting->set_name("containerInsights");
    setting->set_value("disabled");
  }
  if (request.has_configuration()) *spec.mutable_configuration() = request.configuration();
  *spec.mutable_capacity_providers() = request.capacity_providers();
  *spec.mutable_default_capacity_provider_strategy() = request.default_capacity_provider_strategy();
  if (request.has_service_connect_defaults()) {
    *spec.mutable_service_connect_defaults() = request.service_connect_defaults();
  }
  return spec;
}

absl::StatusOr<ClusterQuery> ParseDescribeClusters(const Config& config,
                                                   const v1::DescribeClustersRequest& request) {
  if (request.clusters_size() > kMaxDescribeClusters) {
    return absl::InvalidArgumentError(absl::StrCat("clusters: ", request.clusters_size(),
                                                   " clusters given; at most 100 per call"));
  }
  ClusterQuery query;
  std::set<std::string> seen;
  std::vector<std::string> refs(request.clusters().begin(), request.clusters().end());
  if (refs.empty()) refs.push_back("default");
  for (size_t i = 0; i < refs.size(); ++i) {
    if (!seen.insert(refs[i]).second) continue;
    absl::StatusOr<std::string> name =
        ParseClusterRef(config, absl::StrCat("clusters[", i, "]"), refs[i]);
    // An ARN of another account is simply missing, as an unknown name is.
    if (!name.ok() && name.status().code() != absl::StatusCode::kNotFound) return name.status();
    query.refs.push_back(refs[i]);
    query.names.push_back(name.ok() ? *name : "");
  }
  for (int i = 0; i < request.include_size(); ++i) {
    const std::string& item = request.include(i);
    GANTRY_RETURN_IF_ERROR(
        OneOf(absl::StrCat("include[", i, "]"), item,
              {"ATTACHMENTS", "CONFIGURATIONS", "SETTINGS", "STATISTICS", "TAGS"}));
    query.with_tags |= item == "TAGS";
    query.with_settings |= item == "SETTINGS";
    query.with_configurations |= item == "CONFIGURATIONS";
    query.with_statistics |= item == "STATISTICS";
  }
  return query;
}

v1::DescribeClustersResponse DescribeClustersResponse(
    const Config& config, const ClusterQuery& query, const std::vector<storage::ClusterRow>& rows) {
  absl::flat_hash_map<std::string, const storage::ClusterRow*> by_name;
  for (const storage::ClusterRow& row : rows) by_name[row.name] = &row;
  v1::DescribeClustersResponse response;
  for (size_t i = 0; i < query.refs.size(); ++i) {
    auto it = by_name.find(query.names[i]);
    if (query.names[i].empty() || it == by_name.end()) {
      v1::Failure* failure = response.add_failures();
      failure->set_arn(absl::StartsWith(query.refs[i], "arn:") ? query.refs[i]
                                                               : ClusterArn(config, query.refs[i]));
      failure->set_reason("MISSING");
      continue;
    }
    v1::Cluster cluster = ToCluster(config, *it->second);
    if (!query.with_tags) cluster.clear_tags();
    if (!query.with_settings) cluster.clear_settings();
    if (!query.with_configurations) cluster.clear_configuration();
    if (query.with_statistics) {
      // Every task is a Fargate task; services arrive later.
      const std::pair<const char*, int32_t> statistics[] = {
          {"runningEC2TasksCount", 0},
          {"RunningFargateTasksCount", cluster.running_tasks_count()},
          {"pendingEC2TasksCount", 0},
          {"pendingFargateTasksCount", cluster.pending_tasks_count()},
          {"activeEC2ServiceCount", 0},
          {"activeFargateServiceCount", 0},
          {"drainingEC2ServiceCount", 0},
          {"drainingFargateServiceCount", 0}};
      for (const auto& [name, value] : statistics) {
        auto* statistic = cluster.add_statistics();
        statistic->set_name(name);
        statistic->set_value(absl::StrCat(value));
      }
    }
    *response.add_clusters() = std::move(cluster);
  }
  return response;
}

absl::StatusOr<bool> IncludesTags(const std::string& field,
                                  const google::protobuf::RepeatedPtrField<std::string>& include) {
  for (int i = 0; i < include.size(); ++i) {
    GANTRY_RETURN_IF_ERROR(OneOf(absl::StrCat(field, "[", i, "]"), include[i], {"TAGS"}));
  }
  return !include.empty();
}

absl::StatusOr<storage::ListTaskDefinitionsQuery> ParseListTaskDefinitions(
    const v1::ListTaskDefinitionsRequest& request) {
  storage::ListTaskDefinitionsQuery query;
  if (request.has_family_prefix()) {
    if (!taskdef::IsValidName(request.family_prefix())) {
      return absl::InvalidArgumentError(
          absl::StrCat("familyPrefix: ", Quote(request.family_prefix()),
                       " is not a valid family; use 1-255 letters, digits, - and _"));
    }
    query.family = request.family_prefix();
  }
  if (request.has_status()) {
    GANTRY_RETURN_IF_ERROR(
        OneOf("status", request.status(), {"ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS"}));
    query.status = request.status();
  }
  if (request.has_sort()) {
    GANTRY_RETURN_IF_ERROR(OneOf("sort", request.sort(), {"ASC", "DESC"}));
    query.descending = request.sort() == "DESC";
  }
  GANTRY_ASSIGN_OR_RETURN(
      query.limit,
      PageSize("maxResults",
               request.has_max_results() ? std::optional(request.max_results()) : std::nullopt));
  return query;
}

absl::StatusOr<storage::ListFamiliesQuery> ParseListFamilies(
    const v1::ListTaskDefinitionFamiliesRequest& request) {
  storage::ListFamiliesQuery query;
  query.prefix = request.family_prefix();
  if (request.has_status()) {
    GANTRY_RETURN_IF_ERROR(OneOf("status", request.status(), {"ACTIVE", "INACTIVE", "ALL"}));
    query.status = request.status();
  }
  GANTRY_ASSIGN_OR_RETURN(
      query.limit,
      PageSize("maxResults",
               request.has_max_results() ? std::optional(request.max_results()) : std::nullopt));
  return query;
}

}  // namespace gantry::api::internal
