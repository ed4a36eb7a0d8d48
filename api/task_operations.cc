// RunTask, StopTask, DescribeTasks, ListTasks. RunTask resolves its references on a
// database worker, then hands the tasks to the scheduler, which answers after the
// round that created them committed.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/api.h"
#include "api/internal/access.h"
#include "api/internal/requests.h"
#include "api/internal/resources.h"
#include "api/internal/run_on_database.h"
#include "api/internal/task_metrics.h"
#include "api/internal/tasks.h"
#include "common/log.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "scheduler/scheduler.h"

namespace gantry::api {
namespace {

using internal::RunOnDatabase;

constexpr char kTaskToken[] = "task";
constexpr char kDefaultStopReason[] = "Task stopped by user";
constexpr size_t kMaxStopReason = 255;
constexpr int kMaxDescribe = 100;

absl::Status RequireCluster(storage::Connection& connection, const std::string& account_id,
                            const std::string& cluster) {
  GANTRY_ASSIGN_OR_RETURN(std::vector<storage::ClusterRow> rows,
                          storage::GetClusters(connection, account_id, {cluster}));
  if (rows.empty() || rows[0].status != "ACTIVE") {
    return absl::NotFoundError(absl::StrCat("cluster: cluster \"", cluster, "\" does not exist"));
  }
  return absl::OkStatus();
}

const std::string kSubnetsField = "networkConfiguration.awsvpcConfiguration.subnets";
const std::string kGroupsField = "networkConfiguration.awsvpcConfiguration.securityGroups";

// The subnets all exist and share one VPC; returns that VPC.
absl::StatusOr<std::string> ResolveSubnets(storage::Connection& connection,
                                           const std::string& account_id,
                                           const std::vector<std::string>& subnet_ids,
                                           const std::vector<int>& positions) {
  GANTRY_ASSIGN_OR_RETURN(std::vector<storage::SubnetRow> rows,
                          storage::GetSubnets(connection, account_id, subnet_ids));
  absl::flat_hash_map<std::string, const storage::SubnetRow*> found;
  for (const storage::SubnetRow& row : rows) found[row.subnet_id] = &row;
  std::string vpc, first;
  for (size_t i = 0; i < subnet_ids.size(); ++i) {
    auto it = found.find(subnet_ids[i]);
    if (it == found.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(kSubnetsField, "[", positions[i], "]: ", subnet_ids[i], " does not exist"));
    }
    if (vpc.empty()) {
      vpc = it->second->vpc_id;
      first = subnet_ids[i];
    } else if (it->second->vpc_id != vpc) {
      return absl::InvalidArgumentError(
          absl::StrCat(kSubnetsField, ": ", first, " is in ", vpc, " but ", subnet_ids[i],
                       " is in ", it->second->vpc_id, "; all subnets must be in one VPC"));
    }
  }
  return vpc;
}

// The requested groups (all in `vpc`), or the VPC's default group when none is given.
absl::StatusOr<std::vector<std::string>> ResolveSecurityGroups(
    storage::Connection& connection, const std::string& account_id, const std::string& vpc,
    const std::vector<std::string>& group_ids, const std::vector<int>& positions) {
  GANTRY_ASSIGN_OR_RETURN(std::vector<storage::SecurityGroupRow> rows,
                          storage::GetSecurityGroups(connection, account_id, group_ids));
  if (group_ids.empty()) {
    for (const storage::SecurityGroupRow& row : rows) {
      if (row.vpc_id == vpc && row.group_name == "default") return std::vector{row.group_id};
    }
    return absl::FailedPreconditionError(
        absl::StrCat(kGroupsField, ": none given and ", vpc, " has no default security group"));
  }
  absl::flat_hash_map<std::string, const storage::SecurityGroupRow*> found;
  for (const storage::SecurityGroupRow& row : rows) found[row.group_id] = &row;
  for (size_t i = 0; i < group_ids.size(); ++i) {
    auto it = found.find(group_ids[i]);
    if (it == found.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(kGroupsField, "[", positions[i], "]: ", group_ids[i], " does not exist"));
    }
    if (it->second->vpc_id != vpc) {
      return absl::InvalidArgumentError(
          absl::StrCat(kGroupsField, "[", positions[i], "]: ", group_ids[i], " is in ",
                       it->second->vpc_id, ", not in the subnets' VPC ", vpc));
    }
  }
  return group_ids;
}

struct Resolution {
  std::optional<scheduler::RunOutcome> replay;  // the clientToken was bound earlier
  scheduler::RunRequest request;
};

absl::StatusOr<Resolution> ResolveRunTask(storage::Connection& connection, const Config& config,
                                          const internal::RunTaskPlan& plan) {
  Resolution resolution;
  scheduler::RunRequest& request = resolution.request;
  request.account_id = config.account_id;
  request.client_token = plan.client_token;
  request.fingerprint = plan.fingerprint;
  if (!plan.client_token.empty()) {
    GANTRY_ASSIGN_OR_RETURN(
        std::optional<storage::TokenBinding> binding,
        storage::GetRunTaskToken(connection, config.account_id, plan.client_token));
    if (binding.has_value()) {
      GANTRY_ASSIGN_OR_RETURN(resolution.replay,
                              scheduler::ReplayBinding(connection, request, *binding));
      return resolution;
    }
  }
  GANTRY_RETURN_IF_ERROR(RequireCluster(connection, config.account_id, plan.cluster));
  GANTRY_ASSIGN_OR_RETURN(
      storage::TaskDefinitionRow definition,
      storage::GetTaskDefinition(connection, config.account_id, plan.definition.family,
                                 plan.definition.revision));
  if (definition.status != "ACTIVE") {
    return absl::InvalidArgumentError(absl::StrCat("taskDefinition: ", definition.family, ":",
                                                   definition.revision, " is ", definition.status,
                                                   "; run an ACTIVE revision"));
  }
  GANTRY_ASSIGN_OR_RETURN(std::string vpc, ResolveSubnets(connection, config.account_id,
                                                          plan.subnets, plan.subnet_positions));
  GANTRY_ASSIGN_OR_RETURN(
      std::vector<std::string> groups,
      ResolveSecurityGroups(connection, config.account_id, vpc, plan.security_groups,
                            plan.security_group_positions));
  GANTRY_ASSIGN_OR_RETURN(
      request.tasks, internal::BuildTasks(config, config.account_id, plan, definition, groups));
  return resolution;
}

v1::RunTaskResponse ToRunTaskResponse(const Config& config, const scheduler::RunOutcome& outcome) {
  v1::RunTaskResponse response;
  for (const storage::TaskRow& row : outcome.tasks) {
    *response.add_tasks() = internal::ToTask(config, row, /*with_tags=*/true);
  }
  for (const scheduler::RunFailure& failure : outcome.failures) {
    v1::Failure* out = response.add_failures();
    out->set_reason(failure.reason);
    out->set_detail(failure.detail);
  }
  return response;
}

}  // namespace

void EcsOperations::RunTask(const Caller& caller, const v1::RunTaskRequest& request,
                            Done<v1::RunTaskResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  absl::StatusOr<internal::RunTaskPlan> plan = internal::ParseRunTask(config, request);
  if (!plan.ok()) return done(plan.status());
  if (scheduler_ == nullptr) return done(absl::UnavailableError("RunTask: no scheduler running"));
  // A reused clientToken names the tasks bound to it by id; ECS's ConflictException
  // lists their ARNs.
  auto shared_done = std::make_shared<Done<v1::RunTaskResponse>>(
      [done = std::move(done), config,
       cluster = plan->cluster](absl::StatusOr<v1::RunTaskResponse> result) {
        if (!result.ok() && absl::IsAlreadyExists(result.status())) {
          std::vector<std::string> arns;
          for (const std::string& id : ResourceIdsOf(result.status())) {
            arns.push_back(internal::TaskArn(config, cluster, id));
          }
          return done(WithResourceIds(result.status(), arns));
        }
        done(std::move(result));
      });
  absl::Status queued = database_->Submit(
      [this, config, plan = *std::move(plan), shared_done](storage::Connection& connection) {
        absl::StatusOr<Resolution> resolution = ResolveRunTask(connection, config, plan);
        if (!resolution.ok()) return (*shared_done)(resolution.status());
        if (resolution->replay.has_value()) {
          return (*shared_done)(ToRunTaskResponse(config, *resolution->replay));
        }
        scheduler_->Submit(std::move(resolution->request),
                           [config, shared_done](absl::StatusOr<scheduler::RunOutcome> outcome) {
                             if (!outcome.ok()) return (*shared_done)(outcome.status());
                             (*shared_done)(ToRunTaskResponse(config, *outcome));
                           });
      });
  if (!queued.ok()) (*shared_done)(queued);
}

void EcsOperations::StopTask(const Caller& caller, const v1::StopTaskRequest& request,
                             Done<v1::StopTaskResponse> done) {
  // ECS reports a task it cannot find (not a cluster) as InvalidParameterException.
  done = [answer = std::move(done)](absl::StatusOr<v1::StopTaskResponse> result) {
    if (!result.ok() && absl::IsNotFound(result.status()) &&
        !absl::StartsWith(result.status().message(), "cluster:")) {
      return answer(WithErrorName(result.status(), "InvalidParameterException"));
    }
    answer(std::move(result));
  };
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  if (!request.has_task() || request.task().empty()) {
    return done(absl::InvalidArgumentError("task: required"));
  }
  absl::StatusOr<internal::TaskRef> ref = internal::ParseTaskRef(config, "task", request.task());
  if (!ref.ok()) return done(ref.status());
  std::string cluster = ref->cluster.value_or("default");
  if (request.has_cluster()) {
    absl::StatusOr<std::string> parsed =
        internal::ParseClusterRef(config, "cluster", request.cluster());
    if (!parsed.ok()) return done(parsed.status());
    cluster = *parsed;
  }
  if (ref->cluster.has_value() && *ref->cluster != cluster) {
    return done(absl::NotFoundError(
        absl::StrCat("task: ", request.task(), " does not exist in cluster ", cluster)));
  }
  std::string reason = request.has_reason() ? request.reason() : kDefaultStopReason;
  if (reason.size() > kMaxStopReason) {
    return done(absl::InvalidArgumentError(
        absl::StrCat("reason: ", reason.size(), " characters; at most ", kMaxStopReason)));
  }
  RunOnDatabase<v1::StopTaskResponse>(
      database_,
      [this, config, cluster, id = ref->task_id,
       reason](storage::Connection& connection) -> absl::StatusOr<v1::StopTaskResponse> {
        GANTRY_RETURN_IF_ERROR(RequireCluster(connection, config.account_id, cluster));
        GANTRY_ASSIGN_OR_RETURN(
            storage::StopResult stopped,
            storage::StopTask(connection, config.account_id, cluster, id, "UserInitiated", reason));
        if (stopped.released && scheduler_ != nullptr) scheduler_->CapacityChanged();
        log::Info("task_stop_requested", {{"task", id}, {"released", stopped.released}});
        v1::StopTaskResponse response;
        *response.mutable_task() = internal::ToTask(config, stopped.task, /*with_tags=*/false);
        return response;
      },
      std::move(done));
}

namespace {

// The cluster and task ids a describe call names: ids in request order, with "" for a
// task ARN of another cluster (simply missing here).
struct DescribedTasks {
  std::string cluster = "default";
  std::vector<std::string> ids;
  std::vector<std::string> refs;  // as given
};

absl::StatusOr<DescribedTasks> ParseDescribedTasks(
    const Config& config, bool has_cluster, const std::string& cluster_ref,
    const google::protobuf::RepeatedPtrField<std::string>& tasks) {
  if (tasks.empty() || tasks.size() > kMaxDescribe) {
    return absl::InvalidArgumentError(
        absl::StrCat("tasks: ", tasks.size(), " tasks given; give 1 to ", kMaxDescribe));
  }
  DescribedTasks described;
  if (has_cluster) {
    GANTRY_ASSIGN_OR_RETURN(described.cluster,
                            internal::ParseClusterRef(config, "cluster", cluster_ref));
  }
  for (int i = 0; i < tasks.size(); ++i) {
    absl::StatusOr<internal::TaskRef> ref =
        internal::ParseTaskRef(config, absl::StrCat("tasks[", i, "]"), tasks[i]);
    if (!ref.ok() && tasks[i].empty()) {
      return ref.status();
    }
    // As ECS answers: something that cannot name a task of this account and region (a
    // malformed id, another account's ARN) is a MISSING failure beside the other tasks,
    // not an error for all of them.
    described.ids.push_back(!ref.ok() ||
                                    (ref->cluster.has_value() && *ref->cluster != described.cluster)
                                ? ""
                                : ref->task_id);
    described.refs.push_back(tasks[i]);
  }
  return described;
}

// A failure naming the task as the caller did (an id becomes the ARN in the cluster).
void AddFailure(const Config& config, const DescribedTasks& described, size_t i, const char* reason,
                google::protobuf::RepeatedPtrField<v1::Failure>* failures) {
  v1::Failure* failure = failures->Add();
  const std::string& ref = described.refs[i];
  failure->set_arn(ref.rfind("arn:", 0) == 0 ? ref
                                             : internal::TaskArn(config, described.cluster, ref));
  failure->set_reason(reason);
}

}  // namespace

void EcsOperations::DescribeTasks(const Caller& caller, const v1::DescribeTasksRequest& request,
                                  Done<v1::DescribeTasksResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  GANTRY_ASSIGN_OR_DONE(
      DescribedTasks described,
      ParseDescribedTasks(config, request.has_cluster(), request.cluster(), request.tasks()), done);
  absl::StatusOr<bool> with_tags = internal::IncludesTags("include", request.include());
  if (!with_tags.ok()) return done(with_tags.status());
  RunOnDatabase<v1::DescribeTasksResponse>(
      database_,
      [config, described = std::move(described), with_tags = *with_tags](
          storage::Connection& connection) -> absl::StatusOr<v1::DescribeTasksResponse> {
        GANTRY_RETURN_IF_ERROR(RequireCluster(connection, config.account_id, described.cluster));
        GANTRY_ASSIGN_OR_RETURN(
            std::vector<storage::TaskRow> rows,
            storage::GetTasks(connection, config.account_id, described.cluster, described.ids));
        absl::flat_hash_map<std::string, const storage::TaskRow*> by_id;
        for (const storage::TaskRow& row : rows) by_id[row.spec.task_id] = &row;
        v1::DescribeTasksResponse response;
        for (size_t i = 0; i < described.ids.size(); ++i) {
          if (auto it = by_id.find(described.ids[i]); it != by_id.end()) {
            *response.add_tasks() = internal::ToTask(config, *it->second, with_tags);
          } else {
            AddFailure(config, described, i, "MISSING", response.mutable_failures());
          }
        }
        return response;
      },
      std::move(done));
}

void EcsOperations::DescribeTaskMetrics(const Caller& caller,
                                        const v1::DescribeTaskMetricsRequest& request,
                                        Done<v1::DescribeTaskMetricsResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  GANTRY_ASSIGN_OR_DONE(
      DescribedTasks described,
      ParseDescribedTasks(config, request.has_cluster(), request.cluster(), request.tasks()), done);
  RunOnDatabase<v1::DescribeTaskMetricsResponse>(
      database_,
      [config, described = std::move(described)](
          storage::Connection& connection) -> absl::StatusOr<v1::DescribeTaskMetricsResponse> {
        GANTRY_RETURN_IF_ERROR(RequireCluster(connection, config.account_id, described.cluster));
        GANTRY_ASSIGN_OR_RETURN(std::vector<storage::TaskMetricsRow> rows,
                                storage::GetTaskMetrics(connection, config.account_id,
                                                        described.cluster, described.ids));
        absl::flat_hash_map<std::string, const storage::TaskMetricsRow*> by_id;
        for (const storage::TaskMetricsRow& row : rows) by_id[row.task_id] = &row;
        v1::DescribeTaskMetricsResponse response;
        for (size_t i = 0; i < described.ids.size(); ++i) {
          auto it = by_id.find(described.ids[i]);
          if (it == by_id.end()) {
            AddFailure(config, described, i, "MISSING", response.mutable_failures());
          } else if (!it->second->sample.has_value()) {
            AddFailure(config, described, i, "NO_DATA", response.mutable_failures());
          } else {
            *response.add_task_metrics() = internal::ToTaskMetricsRecord(config, *it->second);
          }
        }
        return response;
      },
      std::move(done));
}

void EcsOperations::ListTasks(const Caller& caller, const v1::ListTasksRequest& request,
                              Done<v1::ListTasksResponse> done) {
  GANTRY_ASSIGN_OR_DONE(const Config config, internal::AccountScope(config_, caller), done);
  absl::StatusOr<internal::ListTasksPlan> plan = internal::ParseListTasks(config, request);
  if (!plan.ok()) return done(plan.status());
  if (!request.next_token().empty()) {
    absl::StatusOr<internal::DecodedToken> token =
        internal::DecodeToken(kTaskToken, request.next_token());
    if (!token.ok()) return done(token.status());
    plan->query.after = token->key;
  }
  RunOnDatabase<v1::ListTasksResponse>(
      database_,
      [config, plan = *std::move(plan)](
          storage::Connection& connection) -> absl::StatusOr<v1::ListTasksResponse> {
        GANTRY_RETURN_IF_ERROR(RequireCluster(connection, config.account_id, plan.query.cluster));
        v1::ListTasksResponse response;
        if (plan.matches_nothing) return response;
        storage::ListTasksQuery query = plan.query;
        query.limit = plan.query.limit + 1;
        GANTRY_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                                storage::ListTaskIds(connection, config.account_id, query));
        bool more = internal::TrimToPage(ids, plan.query.limit);
        for (const std::string& id : ids) {
          response.add_task_arns(internal::TaskArn(config, plan.query.cluster, id));
        }
        if (more) response.set_next_token(internal::EncodeToken(kTaskToken, ids.back()));
        return response;
      },
      std::move(done));
}

}  // namespace gantry::api
