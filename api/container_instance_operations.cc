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
#include "api/internal/access.h"
#include "api/internal/container_instances.h"
#include "api/internal/resources.h"
#include "api/internal/run_on_database.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "scheduler/scheduler.h"

namespace gantry::api {

using internal::RunOnDatabase;

namespace {

constexpr char kContainerInstanceToken[] = "ci";
constexpr int kMaxDescribe = 100;
constexpr int kMaxUpdate = 10;  // as ECS's UpdateContainerInstancesState

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

// Refs of container instances to look up, parsed as DescribeContainerInstances does:
// deduplicated, and an ARN of another account is simply missing (as an unknown id is).
absl::Status ParseInstanceRefs(const Config& config,
                               const google::protobuf::RepeatedPtrField<std::string>& refs, int max,
                               DescribeQuery* query) {
  int count = refs.size();
  if (count < 1 || count > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("containerInstances: ", count, " given; use 1 to ", max, " per call"));
  }
  std::set<std::string> seen;
  for (int i = 0; i < count; ++i) {
    const std::string& ref = refs[i];
    if (!seen.insert(ref).second) continue;
    absl::StatusOr<std::string> id = internal::ParseContainerInstanceRef(
        config, absl::StrCat("containerInstances[", i, "]"), ref);
    if (!id.ok() && id.status().code() != absl::StatusCode::kNotFound) return id.status();
    query->refs.push_back(ref);
    query->ids.push_back(id.ok() ? *id : "");
  }
  return absl::OkStatus();
}

absl::StatusOr<DescribeQuery> ParseDescribe(const Config& config,
                                            const v1::DescribeContainerInstancesRequest& request) {
  DescribeQuery query;
  GANTRY_ASSIGN_OR_RETURN(query.cluster,
                          ClusterOf(config, request.has_cluster(), request.cluster()));
  GANTRY_RETURN_IF_ERROR(
      ParseInstanceRefs(config, request.container_instances(), kMaxDescribe, &query));
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

struct UpdateQuery {
  DescribeQuery instances;
  std::string status;
};

absl::StatusOr<UpdateQuery> ParseUpdate(const Config& config,
                                        const v1::UpdateContainerInstancesStateRequest& request) {
  UpdateQuery query;
  GANTRY_ASSIGN_OR_RETURN(query.instances.cluster,
                          ClusterOf(config, request.has_cluster(), request.cluster()));
  GANTRY_RETURN_IF_ERROR(
      ParseInstanceRefs(config, request.container_instances(), kMaxUpdate, &query.instances));
  if (!request.has_status() || request.status().empty()) {
    return absl::InvalidArgumentError("status: required; use ACTIVE or DRAINING");
  }
  if (request.status() != "ACTIVE" && request.status() != "DRAINING") {
    return absl::InvalidArgumentError(
        absl::StrCat("status: \"", request.status(), "\" is not valid; use ACTIVE or DRAINING"));
  }
  query.status = request.status();
  return query;
}

// The query's known ids (without the missing ones).
std::vector<std::string> KnownIds(const DescribeQuery& query) {
  std::vector<std::string> ids;
  for (const std::string& id : query.ids) {
    if (!id.empty()) ids.push_back(id);
  }
  return ids;
}

// The instances found, in request order, and a MISSING failure for every other ref.
template <typename Response>
Response InstancesResponse(const Config& config, const DescribeQuery& query,
                           const std::vector<storage::HostRow>& rows) {
  absl::flat_hash_map<std::string, const storage::HostRow*> by_id;
  for (const storage::HostRow& row : rows) by_id[row.instance_id] = &row;
  Response response;
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

void EcsOperations::ListContainerInstances(const Caller& caller,
                                           const v1::ListContainerInstancesRequest& request,
                                           Done<v1::ListContainerInstancesResponse> done) {
  GANTRY_RETURN_DONE_IF_ERROR(internal::RequireAdmin(caller, "Container instances"), done);
  const Config config = internal::WithAccount(config_, caller.account_id);
  absl::StatusOr<ListQuery> query = ParseList(config, request);
  if (!query.ok()) return done(query.status());
  RunOnDatabase<v1::ListContainerInstancesResponse>(
      database_,
      [config, query = *std::move(query)](
          storage::Connection& connection) -> absl::StatusOr<v1::ListContainerInstancesResponse> {
        GANTRY_RETURN_IF_ERROR(CheckClusterExists(connection, config, query.cluster));
        // One row more than the page: it only says that another page follows.
        GANTRY_ASSIGN_OR_RETURN(
            std::vector<std::string> ids,
            storage::ListHostIds(connection, query.status, query.after, query.limit + 1));
        bool more = static_cast<int>(ids.size()) > query.limit;
        if (more) ids.resize(query.limit);
        v1::ListContainerInstancesResponse response;
        for (const std::string& id : ids) {
          response.add_container_instance_arns(internal::ContainerInstanceArn(config, id));
        }
        if (more) {
          response.set_next_token(internal::EncodeToken(kContainerInstanceToken, ids.back()));
        }
        return response;
      },
      std::move(done));
}

void EcsOperations::DescribeContainerInstances(const Caller& caller,
                                               const v1::DescribeContainerInstancesRequest& request,
                                               Done<v1::DescribeContainerInstancesResponse> done) {
  GANTRY_RETURN_DONE_IF_ERROR(internal::RequireAdmin(caller, "Container instances"), done);
  const Config config = internal::WithAccount(config_, caller.account_id);
  absl::StatusOr<DescribeQuery> query = ParseDescribe(config, request);
  if (!query.ok()) return done(query.status());
  RunOnDatabase<v1::DescribeContainerInstancesResponse>(
      database_,
      [config, query = *std::move(query)](storage::Connection& connection)
          -> absl::StatusOr<v1::DescribeContainerInstancesResponse> {
        GANTRY_RETURN_IF_ERROR(CheckClusterExists(connection, config, query.cluster));
        GANTRY_ASSIGN_OR_RETURN(std::vector<storage::HostRow> rows,
                                storage::GetHosts(connection, KnownIds(query)));
        return InstancesResponse<v1::DescribeContainerInstancesResponse>(config, query, rows);
      },
      std::move(done));
}

void EcsOperations::UpdateContainerInstancesState(
    const Caller& caller, const v1::UpdateContainerInstancesStateRequest& request,
    Done<v1::UpdateContainerInstancesStateResponse> done) {
  GANTRY_RETURN_DONE_IF_ERROR(internal::RequireAdmin(caller, "Container instances"), done);
  const Config config = internal::WithAccount(config_, caller.account_id);
  absl::StatusOr<UpdateQuery> query = ParseUpdate(config, request);
  if (!query.ok()) return done(query.status());
  RunOnDatabase<v1::UpdateContainerInstancesStateResponse>(
      database_,
      [this, config, query = *std::move(query)](storage::Connection& connection)
          -> absl::StatusOr<v1::UpdateContainerInstancesStateResponse> {
        GANTRY_RETURN_IF_ERROR(CheckClusterExists(connection, config, query.instances.cluster));
        GANTRY_ASSIGN_OR_RETURN(
            std::vector<storage::HostRow> rows,
            storage::UpdateHostStatus(connection, KnownIds(query.instances), query.status));
        for (const storage::HostRow& row : rows) {
          log::Info("host_status_set", {{"host", row.instance_id}, {"status", row.status}});
        }
        // A host ACTIVE again (or anew) takes tasks: waiting ones may fit now.
        if (query.status == "ACTIVE" && !rows.empty() && scheduler_ != nullptr) {
          scheduler_->CapacityChanged();
        }
        return InstancesResponse<v1::UpdateContainerInstancesStateResponse>(config, query.instances,
                                                                            rows);
      },
      std::move(done));
}

}  // namespace gantry::api
