// Builds the task and container-instance requests from parsed gantryctl flags.
#include <cstdint>
#include <iterator>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cli/cli.h"
#include "cli/internal/util.h"
#include "cli/internal/wait.h"
#include "common/status_macros.h"

namespace gantry::cli {
namespace {

using internal::IntFlag;

constexpr int64_t kMaxInt32 = std::numeric_limits<int32_t>::max();

// Defaults of register-container-instance, as gantry-agent reports them.
constexpr int64_t kDefaultEphemeralStorageGib = 200;
constexpr int64_t kDefaultEniSlots = 16;

absl::StatusOr<v1::TaskOverride> ParseOverrides(const std::string& text) {
  v1::TaskOverride overrides;
  GANTRY_RETURN_IF_ERROR(ParseStructuredFlag(text, "overrides", &overrides));
  return overrides;
}

// --timeout is how long --wait waits, so it makes no sense alone.
absl::Status CheckWaitFlags(const Invocation& inv) {
  if (!inv.Has("timeout")) {
    return absl::OkStatus();
  }
  if (!inv.Has("wait")) {
    return absl::InvalidArgumentError("--timeout needs --wait");
  }
  return internal::ParseWaitTimeout(inv.Value("timeout")).status();
}

// Copies kOne string flag `flag`, when given, into the field `mutable_field` returns.
// (Generated setters are templates, so a member pointer cannot name them.)
template <typename Request>
void CopyIfPresent(const Invocation& inv, std::string_view flag, Request* request,
                   std::string* (Request::*mutable_field)()) {
  if (inv.Has(flag)) {
    *(request->*mutable_field)() = inv.Value(flag);
  }
}

absl::Status SetRunTaskOptions(const Invocation& inv, v1::RunTaskRequest* request) {
  using R = v1::RunTaskRequest;
  CopyIfPresent<R>(inv, "cluster", request, &R::mutable_cluster);
  CopyIfPresent<R>(inv, "task-definition", request, &R::mutable_task_definition);
  CopyIfPresent<R>(inv, "group", request, &R::mutable_group);
  CopyIfPresent<R>(inv, "started-by", request, &R::mutable_started_by);
  CopyIfPresent<R>(inv, "client-token", request, &R::mutable_client_token);
  CopyIfPresent<R>(inv, "launch-type", request, &R::mutable_launch_type);
  CopyIfPresent<R>(inv, "platform-version", request, &R::mutable_platform_version);
  if (inv.Has("count")) {
    GANTRY_ASSIGN_OR_RETURN(int64_t count, IntFlag(inv, "count", 1, kMaxInt32));
    request->set_count(static_cast<int32_t>(count));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::RunTaskRequest> BuildRunTaskRequest(const Invocation& inv) {
  v1::RunTaskRequest request;
  GANTRY_RETURN_IF_ERROR(CheckWaitFlags(inv));
  GANTRY_RETURN_IF_ERROR(SetRunTaskOptions(inv, &request));
  if (inv.Has("overrides")) {
    GANTRY_ASSIGN_OR_RETURN(*request.mutable_overrides(), ParseOverrides(inv.Value("overrides")));
  }
  if (inv.Has("network-configuration")) {
    GANTRY_ASSIGN_OR_RETURN(*request.mutable_network_configuration(),
                            ParseNetworkConfiguration(inv.Value("network-configuration")));
  }
  GANTRY_ASSIGN_OR_RETURN(std::vector<v1::Tag> tags, ParseTags(inv.Values("tags")));
  for (v1::Tag& tag : tags) {
    *request.add_tags() = std::move(tag);
  }
  return request;
}

absl::StatusOr<v1::StopTaskRequest> BuildStopTaskRequest(const Invocation& inv) {
  using R = v1::StopTaskRequest;
  R request;
  CopyIfPresent<R>(inv, "cluster", &request, &R::mutable_cluster);
  CopyIfPresent<R>(inv, "task", &request, &R::mutable_task);
  CopyIfPresent<R>(inv, "reason", &request, &R::mutable_reason);
  return request;
}

absl::StatusOr<v1::DescribeTasksRequest> BuildDescribeTasksRequest(const Invocation& inv) {
  using R = v1::DescribeTasksRequest;
  R request;
  CopyIfPresent<R>(inv, "cluster", &request, &R::mutable_cluster);
  for (const std::string& task : inv.Values("tasks")) {
    request.add_tasks(task);
  }
  for (const std::string& include : inv.Values("include")) {
    request.add_include(include);
  }
  return request;
}

absl::StatusOr<v1::DescribeTaskMetricsRequest> BuildDescribeTaskMetricsRequest(
    const Invocation& inv) {
  using R = v1::DescribeTaskMetricsRequest;
  R request;
  CopyIfPresent<R>(inv, "cluster", &request, &R::mutable_cluster);
  for (const std::string& task : inv.Values("task")) {
    request.add_tasks(task);
  }
  return request;
}

absl::StatusOr<v1::ListTasksRequest> BuildListTasksRequest(const Invocation& inv) {
  using R = v1::ListTasksRequest;
  R request;
  CopyIfPresent<R>(inv, "cluster", &request, &R::mutable_cluster);
  CopyIfPresent<R>(inv, "family", &request, &R::mutable_family);
  CopyIfPresent<R>(inv, "desired-status", &request, &R::mutable_desired_status);
  CopyIfPresent<R>(inv, "started-by", &request, &R::mutable_started_by);
  CopyIfPresent<R>(inv, "container-instance", &request, &R::mutable_container_instance);
  return request;
}

absl::StatusOr<v1::RegisterHostRequest> BuildRegisterHostRequest(const Invocation& inv) {
  using R = v1::RegisterHostRequest;
  R request;
  CopyIfPresent<R>(inv, "availability-zone", &request, &R::mutable_availability_zone);
  CopyIfPresent<R>(inv, "agent-version", &request, &R::mutable_agent_version);
  CopyIfPresent<R>(inv, "host-name", &request, &R::mutable_host_name);
  GANTRY_ASSIGN_OR_RETURN(int64_t cpu, IntFlag(inv, "cpu", 1, kMaxInt32));
  GANTRY_ASSIGN_OR_RETURN(int64_t memory, IntFlag(inv, "memory", 1, kMaxInt32));
  request.set_cpu_units(cpu);
  request.set_memory_mib(memory);
  request.set_ephemeral_storage_gib(kDefaultEphemeralStorageGib);
  if (inv.Has("ephemeral-storage")) {
    GANTRY_ASSIGN_OR_RETURN(int64_t storage, IntFlag(inv, "ephemeral-storage", 1, kMaxInt32));
    request.set_ephemeral_storage_gib(storage);
  }
  request.set_eni_slots(kDefaultEniSlots);
  if (inv.Has("enis")) {
    GANTRY_ASSIGN_OR_RETURN(int64_t enis, IntFlag(inv, "enis", 1, kMaxInt32));
    request.set_eni_slots(enis);
  }
  return request;
}

absl::StatusOr<v1::ListContainerInstancesRequest> BuildListContainerInstancesRequest(
    const Invocation& inv) {
  using R = v1::ListContainerInstancesRequest;
  R request;
  CopyIfPresent<R>(inv, "cluster", &request, &R::mutable_cluster);
  CopyIfPresent<R>(inv, "status", &request, &R::mutable_status);
  return request;
}

absl::StatusOr<v1::DescribeContainerInstancesRequest> BuildDescribeContainerInstancesRequest(
    const Invocation& inv) {
  using R = v1::DescribeContainerInstancesRequest;
  R request;
  CopyIfPresent<R>(inv, "cluster", &request, &R::mutable_cluster);
  for (const std::string& instance : inv.Values("container-instances")) {
    request.add_container_instances(instance);
  }
  return request;
}

absl::StatusOr<v1::UpdateContainerInstancesStateRequest> BuildUpdateContainerInstancesStateRequest(
    const Invocation& inv) {
  using R = v1::UpdateContainerInstancesStateRequest;
  R request;
  CopyIfPresent<R>(inv, "cluster", &request, &R::mutable_cluster);
  for (const std::string& instance : inv.Values("container-instances")) {
    request.add_container_instances(instance);
  }
  CopyIfPresent<R>(inv, "status", &request, &R::mutable_status);
  return request;
}

absl::StatusOr<std::vector<std::string>> FetchAllPages(const FetchPage& fetch) {
  std::vector<std::string> items;
  std::set<std::string> seen_tokens;
  std::string token;
  for (int page = 0; page < kMaxListPages; ++page) {
    GANTRY_ASSIGN_OR_RETURN(ListPage result, fetch(token));
    items.insert(items.end(), std::make_move_iterator(result.items.begin()),
                 std::make_move_iterator(result.items.end()));
    if (result.next_token.empty()) {
      return items;
    }
    if (!seen_tokens.insert(result.next_token).second) {
      return absl::InternalError(absl::StrCat("the server returned nextToken \"", result.next_token,
                                              "\" twice; stopped paging"));
    }
    token = std::move(result.next_token);
  }
  return absl::InternalError(
      absl::StrCat("more than ", kMaxListPages, " pages of results; stopped paging"));
}

}  // namespace gantry::cli
