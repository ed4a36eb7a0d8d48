#include "api/internal/resources.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "taskdef/taskdef.h"

namespace gantry::api::internal {
namespace {

// "arn:aws:ecs:REGION:ACCOUNT:RESOURCE" -> RESOURCE, when region and account match.
absl::StatusOr<std::string> ResourceOfArn(const Config& config, std::string_view field,
                                          std::string_view arn) {
  std::vector<std::string> parts = absl::StrSplit(std::string(arn), absl::MaxSplits(':', 5));
  if (parts.size() != 6 || parts[0] != "arn" || parts[2] != "ecs") {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", Quote(arn),
                                                   " is not a valid ECS ARN; expected arn:aws:ecs:",
                                                   config.region, ":", config.account_id, ":..."));
  }
  if (parts[3] != config.region || parts[4] != config.account_id) {
    return absl::NotFoundError(
        absl::StrCat(std::string(field), ": ", Quote(arn), " does not exist"));
  }
  return parts[5];
}

}  // namespace

std::string Quote(std::string_view value) { return absl::StrCat("\"", std::string(value), "\""); }

double EpochSeconds(absl::Time time) { return absl::ToUnixMicros(time) / 1e6; }

std::string ClusterArn(const Config& config, std::string_view name) {
  return absl::StrCat("arn:aws:ecs:", config.region, ":", config.account_id, ":cluster/",
                      std::string(name));
}

v1::Cluster DefaultClusterSpec() {
  v1::Cluster spec;
  v1::ClusterSetting* setting = spec.add_settings();
  setting->set_name("containerInsights");
  setting->set_value("disabled");
  return spec;
}

std::string TaskDefinitionArn(const Config& config, std::string_view family, int32_t revision) {
  return absl::StrCat("arn:aws:ecs:", config.region, ":", config.account_id, ":task-definition/",
                      std::string(family), ":", revision);
}

std::string CallerArn(const Config& config) {
  return absl::StrCat("arn:aws:iam::", config.account_id, ":root");
}

absl::StatusOr<std::string> ParseClusterRef(const Config& config, std::string_view field,
                                            std::string_view ref) {
  std::string name(ref);
  if (absl::StartsWith(name, "arn:")) {
    absl::StatusOr<std::string> resource = ResourceOfArn(config, field, ref);
    if (!resource.ok()) return resource.status();
    if (!absl::StartsWith(*resource, "cluster/")) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(field), ": ", Quote(ref), " is not a cluster ARN"));
    }
    name = resource->substr(8);
  }
  if (!taskdef::IsValidName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": ", Quote(ref),
                     " is not a valid cluster name; use 1-255 letters, digits, - and _"));
  }
  return name;
}

absl::StatusOr<TaskDefinitionRef> ParseTaskDefinitionRef(const Config& config,
                                                         std::string_view field,
                                                         std::string_view ref) {
  std::string text(ref);
  if (absl::StartsWith(text, "arn:")) {
    absl::StatusOr<std::string> resource = ResourceOfArn(config, field, ref);
    if (!resource.ok()) return resource.status();
    if (!absl::StartsWith(*resource, "task-definition/") ||
        resource->find(':') == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          std::string(field), ": ", Quote(ref),
          " is not a task definition ARN; expected .../task-definition/FAMILY:REVISION"));
    }
    text = resource->substr(16);
  }
  TaskDefinitionRef parsed;
  std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits(':', 1));
  parsed.family = parts[0];
  if (!taskdef::IsValidName(parsed.family)) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(field), ": ", Quote(ref),
        " is not a valid task definition; use FAMILY, FAMILY:REVISION or the full ARN"));
  }
  if (parts.size() == 2) {
    int32_t revision = 0;
    // SimpleAtoi tolerates surrounding whitespace; a revision is digits only.
    bool digits =
        !parts[1].empty() && std::all_of(parts[1].begin(), parts[1].end(), absl::ascii_isdigit);
    if (!digits || !absl::SimpleAtoi(parts[1], &revision) || revision < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(field), ": ", Quote(ref),
                       " has an invalid revision; a revision is a positive integer"));
    }
    parsed.revision = revision;
  }
  return parsed;
}

absl::StatusOr<int> PageSize(std::string_view field, const std::optional<int32_t>& max_results) {
  if (!max_results.has_value()) return 100;
  if (*max_results < 1 || *max_results > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": ", *max_results, " is out of range; use 1 to 100"));
  }
  return *max_results;
}

std::string EncodeToken(std::string_view kind, std::string_view key, int32_t number) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(std::string(kind), "\n", std::string(key), "\n", number));
}

absl::StatusOr<DecodedToken> DecodeToken(std::string_view kind, std::string_view token) {
  std::string raw;
  auto invalid = absl::InvalidArgumentError(
      "nextToken: not a token from a previous call of this operation; pass the nextToken value "
      "that call returned, unchanged");
  if (!absl::WebSafeBase64Unescape(std::string(token), &raw)) return invalid;
  std::vector<std::string> parts = absl::StrSplit(raw, '\n');
  DecodedToken decoded;
  if (parts.size() != 3 || parts[0] != kind || !absl::SimpleAtoi(parts[2], &decoded.number)) {
    return invalid;
  }
  decoded.key = parts[1];
  return decoded;
}

v1::TaskDefinition ToTaskDefinition(const Config& config, const storage::TaskDefinitionRow& row) {
  v1::TaskDefinition definition = row.body;
  definition.set_task_definition_arn(TaskDefinitionArn(config, row.family, row.revision));
  definition.set_family(row.family);
  definition.set_revision(row.revision);
  definition.set_status(row.status);
  for (v1::Attribute& attribute : taskdef::RequiresAttributes(row.body)) {
    *definition.add_requires_attributes() = std::move(attribute);
  }
  for (const std::string& launch_type : taskdef::Compatibilities(row.body)) {
    definition.add_compatibilities(launch_type);
  }
  definition.set_registered_at(EpochSeconds(row.registered_at));
  definition.set_registered_by(row.registered_by);
  if (row.deregistered_at.has_value()) {
    definition.set_deregistered_at(EpochSeconds(*row.deregistered_at));
  }
  return definition;
}

v1::Cluster ToCluster(const Config& config, const storage::ClusterRow& row) {
  v1::Cluster cluster = row.spec;
  cluster.set_cluster_arn(ClusterArn(config, row.name));
  cluster.set_cluster_name(row.name);
  cluster.set_status(row.status);
  // Hosts are the provider's fleet, not the cluster's: a Fargate cluster shows none.
  cluster.set_registered_container_instances_count(0);
  cluster.set_running_tasks_count(row.running_tasks);
  cluster.set_pending_tasks_count(row.pending_tasks);
  cluster.set_active_services_count(0);
  return cluster;
}

}  // namespace gantry::api::internal
