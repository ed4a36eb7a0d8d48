#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/api.h"
#include "api/internal/access.h"
#include "api/internal/requests.h"
#include "api/internal/resources.h"
#include "api/internal/run_on_database.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "taskdef/taskdef.h"

namespace gantry::api {

using internal::DecodeToken;
using internal::EncodeToken;
using internal::RunOnDatabase;
using internal::TrimToPage;

namespace {
constexpr char kTaskDefinitionToken[] = "td";
constexpr char kFamilyToken[] = "tdf";
constexpr char kClusterToken[] = "cl";

}  // namespace

EcsOperations::EcsOperations(Config config, storage::Database* database,
                             scheduler::Scheduler* scheduler, LogRelay* log_relay)
    : config_(std::move(config)),
      database_(database),
      scheduler_(scheduler),
      log_relay_(log_relay) {}

// ---- Clusters ------------------------------------------------------------------

void EcsOperations::CreateCluster(const Caller& caller, const v1::CreateClusterRequest& request,
                                  Done<v1::CreateClusterResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  absl::StatusOr<v1::Cluster> spec = internal::ClusterSpecFromRequest(request);
  if (!spec.ok()) return done(spec.status());
  std::string name = request.has_cluster_name() ? request.cluster_name() : "default";
  RunOnDatabase<v1::CreateClusterResponse>(
      database_,
      [config, name, spec = *std::move(spec)](
          storage::Connection& connection) -> absl::StatusOr<v1::CreateClusterResponse> {
        GANTRY_ASSIGN_OR_RETURN(storage::ClusterRow row,
                                storage::CreateCluster(connection, config.account_id, name, spec));
        v1::CreateClusterResponse response;
        *response.mutable_cluster() = internal::ToCluster(config, row);
        return response;
      },
      std::move(done));
}

void EcsOperations::DescribeClusters(const Caller& caller,
                                     const v1::DescribeClustersRequest& request,
                                     Done<v1::DescribeClustersResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  absl::StatusOr<internal::ClusterQuery> query = internal::ParseDescribeClusters(config, request);
  if (!query.ok()) return done(query.status());
  RunOnDatabase<v1::DescribeClustersResponse>(
      database_,
      [config, query = *std::move(query)](
          storage::Connection& connection) -> absl::StatusOr<v1::DescribeClustersResponse> {
        GANTRY_ASSIGN_OR_RETURN(std::vector<storage::ClusterRow> rows,
                                storage::GetClusters(connection, config.account_id, query.names,
                                                     /*with_task_counts=*/true));
        return internal::DescribeClustersResponse(config, query, rows);
      },
      std::move(done));
}

void EcsOperations::ListClusters(const Caller& caller, const v1::ListClustersRequest& request,
                                 Done<v1::ListClustersResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  absl::StatusOr<int> limit = internal::PageSize(
      "maxResults",
      request.has_max_results() ? std::optional(request.max_results()) : std::nullopt);
  if (!limit.ok()) return done(limit.status());
  std::string after;
  if (!request.next_token().empty()) {
    absl::StatusOr<internal::DecodedToken> token = DecodeToken(kClusterToken, request.next_token());
    if (!token.ok()) return done(token.status());
    after = token->key;
  }
  RunOnDatabase<v1::ListClustersResponse>(
      database_,
      [config, after, limit = *limit](
          storage::Connection& connection) -> absl::StatusOr<v1::ListClustersResponse> {
        GANTRY_ASSIGN_OR_RETURN(
            std::vector<std::string> names,
            storage::ListClusterNames(connection, config.account_id, after, limit + 1));
        bool more = TrimToPage(names, limit);
        v1::ListClustersResponse response;
        for (const std::string& name : names) {
          response.add_cluster_arns(internal::ClusterArn(config, name));
        }
        if (more) response.set_next_token(EncodeToken(kClusterToken, names.back()));
        return response;
      },
      std::move(done));
}

// ---- Task definitions ----------------------------------------------------------

void EcsOperations::RegisterTaskDefinition(const Caller& caller,
                                           const v1::RegisterTaskDefinitionRequest& request,
                                           Done<v1::RegisterTaskDefinitionResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  absl::StatusOr<v1::TaskDefinition> body = taskdef::Normalize(request);
  if (!body.ok()) {
    log::Debug("task_definition_refused", {{"family", request.family()}});
    return done(body.status());
  }
  std::vector<v1::Tag> tags(request.tags().begin(), request.tags().end());
  RunOnDatabase<v1::RegisterTaskDefinitionResponse>(
      database_,
      [config, body = *std::move(body), tags = std::move(tags)](
          storage::Connection& connection) -> absl::StatusOr<v1::RegisterTaskDefinitionResponse> {
        GANTRY_ASSIGN_OR_RETURN(storage::TaskDefinitionRow row,
                                storage::RegisterTaskDefinition(connection, config.account_id, body,
                                                                tags, internal::CallerArn(config)));
        log::Info("task_definition_registered",
                  {{"family", row.family}, {"revision", row.revision}});
        v1::RegisterTaskDefinitionResponse response;
        *response.mutable_task_definition() = internal::ToTaskDefinition(config, row);
        for (const v1::Tag& tag : row.tags) *response.add_tags() = tag;
        return response;
      },
      std::move(done));
}

void EcsOperations::DescribeTaskDefinition(const Caller& caller,
                                           const v1::DescribeTaskDefinitionRequest& request,
                                           Done<v1::DescribeTaskDefinitionResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  absl::StatusOr<internal::TaskDefinitionRef> ref =
      internal::ParseTaskDefinitionRef(config, "taskDefinition", request.task_definition());
  if (!ref.ok()) return done(ref.status());
  absl::StatusOr<bool> with_tags = internal::IncludesTags("include", request.include());
  if (!with_tags.ok()) return done(with_tags.status());
  RunOnDatabase<v1::DescribeTaskDefinitionResponse>(
      database_,
      [config, ref = *std::move(ref), with_tags = *with_tags](
          storage::Connection& connection) -> absl::StatusOr<v1::DescribeTaskDefinitionResponse> {
        GANTRY_ASSIGN_OR_RETURN(
            storage::TaskDefinitionRow row,
            storage::GetTaskDefinition(connection, config.account_id, ref.family, ref.revision));
        v1::DescribeTaskDefinitionResponse response;
        *response.mutable_task_definition() = internal::ToTaskDefinition(config, row);
        if (with_tags) {
          for (const v1::Tag& tag : row.tags) *response.add_tags() = tag;
        }
        return response;
      },
      std::move(done));
}

void EcsOperations::ListTaskDefinitions(const Caller& caller,
                                        const v1::ListTaskDefinitionsRequest& request,
                                        Done<v1::ListTaskDefinitionsResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  absl::StatusOr<storage::ListTaskDefinitionsQuery> query =
      internal::ParseListTaskDefinitions(request);
  if (!query.ok()) return done(query.status());
  if (!request.next_token().empty()) {
    absl::StatusOr<internal::DecodedToken> token =
        DecodeToken(kTaskDefinitionToken, request.next_token());
    if (!token.ok()) return done(token.status());
    query->after = storage::TaskDefinitionKey{token->key, token->number};
  }
  RunOnDatabase<v1::ListTaskDefinitionsResponse>(
      database_,
      [config, query = *std::move(query)](
          storage::Connection& connection) -> absl::StatusOr<v1::ListTaskDefinitionsResponse> {
        storage::ListTaskDefinitionsQuery page = query;
        page.limit = query.limit + 1;
        GANTRY_ASSIGN_OR_RETURN(std::vector<storage::TaskDefinitionKey> keys,
                                storage::ListTaskDefinitions(connection, config.account_id, page));
        bool more = TrimToPage(keys, query.limit);
        v1::ListTaskDefinitionsResponse response;
        for (const storage::TaskDefinitionKey& key : keys) {
          response.add_task_definition_arns(
              internal::TaskDefinitionArn(config, key.family, key.revision));
        }
        if (more) {
          response.set_next_token(
              EncodeToken(kTaskDefinitionToken, keys.back().family, keys.back().revision));
        }
        return response;
      },
      std::move(done));
}

void EcsOperations::ListTaskDefinitionFamilies(const Caller& caller,
                                               const v1::ListTaskDefinitionFamiliesRequest& request,
                                               Done<v1::ListTaskDefinitionFamiliesResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  absl::StatusOr<storage::ListFamiliesQuery> query = internal::ParseListFamilies(request);
  if (!query.ok()) return done(query.status());
  if (!request.next_token().empty()) {
    absl::StatusOr<internal::DecodedToken> token = DecodeToken(kFamilyToken, request.next_token());
    if (!token.ok()) return done(token.status());
    query->after = token->key;
  }
  RunOnDatabase<v1::ListTaskDefinitionFamiliesResponse>(
      database_,
      [config, query = *std::move(query)](storage::Connection& connection)
          -> absl::StatusOr<v1::ListTaskDefinitionFamiliesResponse> {
        storage::ListFamiliesQuery page = query;
        page.limit = query.limit + 1;
        GANTRY_ASSIGN_OR_RETURN(
            std::vector<std::string> families,
            storage::ListTaskDefinitionFamilies(connection, config.account_id, page));
        bool more = TrimToPage(families, query.limit);
        v1::ListTaskDefinitionFamiliesResponse response;
        for (const std::string& family : families) response.add_families(family);
        if (more) response.set_next_token(EncodeToken(kFamilyToken, families.back()));
        return response;
      },
      std::move(done));
}

void EcsOperations::DeregisterTaskDefinition(const Caller& caller,
                                             const v1::DeregisterTaskDefinitionRequest& request,
                                             Done<v1::DeregisterTaskDefinitionResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  absl::StatusOr<internal::TaskDefinitionRef> ref =
      internal::ParseTaskDefinitionRef(config, "taskDefinition", request.task_definition());
  if (!ref.ok()) return done(ref.status());
  if (!ref->revision.has_value()) {
    return done(absl::InvalidArgumentError(
        absl::StrCat("taskDefinition: \"", request.task_definition(),
                     "\" has no revision; deregistering needs FAMILY:REVISION or the full ARN")));
  }
  RunOnDatabase<v1::DeregisterTaskDefinitionResponse>(
      database_,
      [config, ref = *std::move(ref)](
          storage::Connection& connection) -> absl::StatusOr<v1::DeregisterTaskDefinitionResponse> {
        GANTRY_ASSIGN_OR_RETURN(storage::TaskDefinitionRow row,
                                storage::DeregisterTaskDefinition(connection, config.account_id,
                                                                  ref.family, *ref.revision));
        log::Info("task_definition_deregistered",
                  {{"family", row.family}, {"revision", row.revision}});
        v1::DeregisterTaskDefinitionResponse response;
        *response.mutable_task_definition() = internal::ToTaskDefinition(config, row);
        return response;
      },
      std::move(done));
}

// ---- Startup -------------------------------------------------------------------

absl::Status EnsureDefaultCluster(storage::Connection& connection, const Config& config) {
  return storage::CreateCluster(connection, config.account_id, "default",
                                internal::DefaultClusterSpec())
      .status();
}

}  // namespace gantry::api
