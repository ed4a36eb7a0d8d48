#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/api.h"
#include "api/internal/container_instances.h"
#include "api/internal/resources.h"
#include "api/internal/run_on_database.h"
#include "common/status_macros.h"

namespace gantry::api {

using internal::RunOnDatabase;

namespace {

constexpr char kContainerInstanceToken[] = "ci";
constexpr int kMaxDescribe = 100;

// Statuses ECS accepts as a filter. Gantry hosts are only ever ACTIVE, DRAINING or
// INACTIVE, so the others are valid and match nothing.
constexpr std::array<std::string_view, 6> kListableStatuses = {
    "ACTIVE", "DRAINING", "INACTIVE", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED"};

// The cluster a request names, "default" when it names none.
absl::StatusOr<std::string> ClusterOf(const Config& config, bool has_cluster,
                                      const std::string& cluster) {
  return internal::ParseClusterRef(config, "cluster", has_cluster ? cluster : "default");
}

// OK when `name` is an ACTIVE cluster of the account; NOT_FOUND otherwise.
absl::Status CheckClusterExists(storage::Connection& connection, const Config& config,
                                const std::string& name) {
  GANTRY_ASSIGN_OR_RETURN(std::vector<storage::ClusterRow> rows,
                          storage::GetClusters(connection, config.account_id, {name}));
  for (const storage::ClusterRow& row : rows) {
    if (row.name == name && row.status == "ACTIVE") return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat("cluster: cluster \"", name, "\" does not exist"));
}

struct ListQuery {
  std::string cluster;
  std::optional<std::string> status;
  std::string after;
  int limit = 100;
};

absl::StatusOr<ListQuery> ParseList(const Config& config,
                                    const v1::ListContainerInstancesRequest& request) {
  ListQuery query;
  GANTRY_ASSIGN_OR_RETURN(query.cluster,
                          ClusterOf(config, request.has_cluster(), request.cluster()));
  if (request.has_filter()) {
    return absl::InvalidArgumentError("filter: the cluster query language is not supported");
  }
  if (request.has_status()) {
    if (std::find(kListableStatuses.begin(), kListableStatuses.end(), request.status()) ==
        kListableStatuses.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("status: \"", request.status(),
                       "\" is not a container instance status; use ACTIVE, DRAINING, INACTIVE, "
                       "REGISTERING, DEREGISTERING or REGISTRATION_FAILED"));
    }
    query.status = request.status();
  }
  GANTRY_ASSIGN_OR_RETURN(
      query.limit, internal::PageSize("maxResults", request.has_max_results()
                                                        ? std::optional(request.max_results())
                                                        : std::nullopt));
  if (request.has_next_token() && !request.next_token().empty()) {
    GANTRY_ASSIGN_OR_RETURN(internal::DecodedToken token,
                            internal::DecodeToken(kContainerInstanceToken, request.next_token()));
    query.after = token.key;
  }
  return query;
}

struct DescribeQuery {
  std::string cluster;
  std::vector<std::string> refs;  // as given (for failures), deduplicated
  std::vector<std::string> ids;   // parsed, same order; empty for another account's ARN
};

absl::StatusOr<DescribeQuery> ParseDescribe(const Config& config,
                                            const v1::DescribeContainerInstancesRequest& request) {
  DescribeQuery query;
  GANTRY_ASSIGN_OR_RETURN(query.cluster,
                          ClusterOf(config, request.has_cluster(), request.cluster()));
  int count = request.container_instances_size();
  if (count < 1 || count > kMaxDescribe) {
    return absl::InvalidArgumentError(absl::StrCat("containerInstances: ", count,
                                                   " given; use 1 to ", kMaxDescribe, " per call"));
  }
  std::set<std::string> seen;
  for (int i = 0; i < count; ++i) {
    const std::string& ref = request.container_instances(i);
    if (!seen.insert(ref).second) continue;
    absl::StatusOr<std::string> id = internal::ParseContainerInstanceRef(
        config, absl::StrCat("containerInstances[", i, "]"), ref);
    // An ARN of another account is simply missing, as an unknown id is.
    if (!id.ok() && id.status().code() != absl::StatusCode::kNotFound) return id.status();
    query.refs.push_back(ref);
    query.ids.push_back(id.ok() ? *id : "");
  }
  for (int i = 0; i < request.include_size(); ++i) {
    const std::string& item = request.include(i);
    if (item != "TAGS" && item != "CONTAINER_INSTANCE_HEALTH") {
      return absl::InvalidArgumentError(absl::StrCat("include[", i, "]: \"", item,
                                                     "\" is not valid; use TAGS or "
                                                     "CONTAINER_INSTANCE_HEALTH"));
    }
  }
  return query;
}

v1::DescribeContainerInstancesResponse DescribeResponse(const Config& config,
                                                        const DescribeQuery& query,
                                                        const std::vector<storage::HostRow>& rows) {
  absl::flat_hash_map<std::string, const storage::HostRow*> by_id;
  for (const storage::HostRow& row : rows) by_id[row.instance_id] = &row;
  v1::DescribeContainerInstancesResponse response;
  for (size_t i = 0; i < query.refs.size(); ++i) {
    auto it = by_id.find(query.ids[i]);
    if (query.ids[i].empty() || it == by_id.end()) {
      v1::Failure* failure = response.add_failures();
      failure->set_arn(absl::StartsWith(query.refs[i], "arn:")
                           ? query.refs[i]
                           : internal::ContainerInstanceArn(config, query.refs[i]));
      failure->set_reason("MISSING");
      continue;
    }
    *response.add_container_instances() = internal::ToContainerInstance(config, *it->second);
  }
  return response;
}

}  // namespace

void EcsOperations::ListContainerInstances(const v1::ListContainerInstancesRequest& request,
                                           Done<v1::ListContainerInstancesResponse> done) {
  absl::StatusOr<ListQuery> query = ParseList(config_, request);
  if (!query.ok()) return done(query.status());
  RunOnDatabase<v1::ListContainerInstancesResponse>(
      database_,
      [this, query = *std::move(query)](
          storage::Connection& connection) -> absl::StatusOr<v1::ListContainerInstancesResponse> {
        GANTRY_RETURN_IF_ERROR(CheckClusterExists(connection, config_, query.cluster));
        // One row more than the page: it only says that another page follows.
        GANTRY_ASSIGN_OR_RETURN(
            std::vector<std::string> ids,
            storage::ListHostIds(connection, query.status, query.after, query.limit + 1));
        bool more = static_cast<int>(ids.size()) > query.limit;
        if (more) ids.resize(query.limit);
        v1::ListContainerInstancesResponse response;
        for (const std::string& id : ids) {
          response.add_container_instance_arns(internal::ContainerInstanceArn(config_, id));
        }
        if (more) {
          response.set_next_token(internal::EncodeToken(kContainerInstanceToken, ids.back()));
        }
        return response;
      },
      std::move(done));
}

void EcsOperations::DescribeContainerInstances(const v1::DescribeContainerInstancesRequest& request,
                                               Done<v1::DescribeContainerInstancesResponse> done) {
  absl::StatusOr<DescribeQuery> query = ParseDescribe(config_, request);
  if (!query.ok()) return done(query.status());
  RunOnDatabase<v1::DescribeContainerInstancesResponse>(
      database_,
      [this, query = *std::move(query)](storage::Connection& connection)
          -> absl::StatusOr<v1::DescribeContainerInstancesResponse> {
        GANTRY_RETURN_IF_ERROR(CheckClusterExists(connection, config_, query.cluster));
        std::vector<std::string> ids;
        for (const std::string& id : query.ids) {
          if (!id.empty()) ids.push_back(id);
        }
        GANTRY_ASSIGN_OR_RETURN(std::vector<storage::HostRow> rows,
                                storage::GetHosts(connection, ids));
        return DescribeResponse(config_, query, rows);
      },
      std::move(done));
}

}  // namespace gantry::api
