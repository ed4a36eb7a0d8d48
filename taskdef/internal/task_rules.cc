// Top-level members of RegisterTaskDefinition (contract 1.1, 1.2), in ECS's order.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "taskdef/internal/problems.h"
#include "taskdef/internal/rules.h"
#include "taskdef/taskdef.h"

namespace gantry::taskdef::internal {
namespace {

using gantry::v1::ContainerDefinition;
using gantry::v1::RegisterTaskDefinitionRequest;

constexpr int kMaxContainers = 10;
constexpr size_t kMaxRoleNameLength = 64;
constexpr size_t kMaxRolePathLength = 512;
constexpr int32_t kMinEphemeralStorageGiB = 21;
constexpr int32_t kMaxEphemeralStorageGiB = 200;

bool IsRoleChar(char c, bool allow_slash) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("+=,.@_-").find(c) != absl::string_view::npos ||
         (allow_slash && c == '/');
}

bool AllRoleChars(absl::string_view text, bool allow_slash) {
  for (char c : text) {
    if (!IsRoleChar(c, allow_slash)) {
      return false;
    }
  }
  return true;
}

// arn:<partition>:iam::<12-digit account>:role/<optional path/>name
bool IsRoleArn(absl::string_view arn) {
  if (!absl::StartsWith(arn, "arn:")) {
    return false;
  }
  absl::string_view rest = arn.substr(4);
  const size_t colon = rest.find(':');
  if (colon == 0 || colon == absl::string_view::npos) {
    return false;
  }
  rest = rest.substr(colon + 1);
  if (!absl::StartsWith(rest, "iam::") || rest.size() < 5 + 12 + 1) {
    return false;
  }
  const absl::string_view account = rest.substr(5, 12);
  const absl::string_view resource = rest.substr(5 + 12);
  if (!IsDigits(account) || !absl::StartsWith(resource, ":role/")) {
    return false;
  }
  const absl::string_view role = resource.substr(6);
  const absl::string_view name =
      role.substr(role.rfind('/') == absl::string_view::npos ? 0 : role.rfind('/') + 1);
  return !name.empty() && name.size() <= kMaxRoleNameLength && role.size() <= kMaxRolePathLength &&
         AllRoleChars(role, /*allow_slash=*/true);
}

void CheckRole(bool present, const std::string& value, absl::string_view path, Problems* problems) {
  if (!present) {
    return;
  }
  const bool name_ok = !value.empty() && value.size() <= kMaxRoleNameLength &&
                       AllRoleChars(value, /*allow_slash=*/false);
  if (!name_ok && !IsRoleArn(value)) {
    problems->Add(path, absl::StrCat(Quote(value),
                                     " is not an IAM role; use a role name or an ARN such as "
                                     "\"arn:aws:iam::123456789012:role/name\""));
  }
}

void CheckNetworkMode(const RegisterTaskDefinitionRequest& request, Problems* problems) {
  if (!request.has_network_mode()) {
    problems->Add("networkMode", "must be \"awsvpc\" on Fargate; absent means \"bridge\"");
  } else if (request.network_mode() != "awsvpc") {
    problems->Add("networkMode", absl::StrCat("must be \"awsvpc\" on Fargate, not ",
                                              Quote(request.network_mode())));
  }
}

void CheckContainerSums(const TaskContext& ctx, Problems* problems) {
  int64_t cpu = 0;
  int64_t reserved = 0;
  for (const ContainerDefinition& c : ctx.request.container_definitions()) {
    cpu += c.cpu() > 0 ? c.cpu() : 0;
    const int32_t mib = c.has_memory_reservation() ? c.memory_reservation() : c.memory();
    reserved += mib > 0 ? mib : 0;
  }
  if (ctx.task_cpu && cpu > *ctx.task_cpu) {
    problems->Add("containerDefinitions",
                  absl::StrCat("container cpu adds up to ", cpu, " units, more than the task cpu (",
                               *ctx.task_cpu, "); keep the sum at or below the task cpu"));
  }
  if (ctx.task_memory && reserved > *ctx.task_memory) {
    problems->Add("containerDefinitions",
                  absl::StrCat("container memory (memoryReservation, else memory) adds up to ",
                               reserved, " MiB, more than the task memory (", *ctx.task_memory,
                               " MiB); keep the sum at or below the task memory"));
  }
}

void CheckTaskSize(const TaskContext& ctx, Problems* problems) {
  const RegisterTaskDefinitionRequest& request = ctx.request;
  if (!request.has_cpu()) {
    problems->Add("cpu", "missing; Fargate needs a task cpu such as \"256\" or \"0.25 vCPU\"");
  } else {
    problems->AddStatus(ParseTaskCpu(request.cpu()).status());
  }
  if (!request.has_memory()) {
    problems->Add("memory", "missing; Fargate needs a task memory such as \"512\" or \"0.5 GB\"");
  } else {
    problems->AddStatus(ParseTaskMemory(request.memory()).status());
  }
  if (ctx.task_cpu && ctx.task_memory) {
    problems->AddStatus(CheckFargateTaskSize(*ctx.task_cpu, *ctx.task_memory));
  }
}

void CheckRequiresCompatibilities(const RegisterTaskDefinitionRequest& request,
                                  Problems* problems) {
  for (int i = 0; i < request.requires_compatibilities_size(); ++i) {
    const std::string& value = request.requires_compatibilities(i);
    if (value != "EC2" && value != "FARGATE" && value != "EXTERNAL" &&
        value != "MANAGED_INSTANCES") {
      problems->Add(Item("requiresCompatibilities", i),
                    absl::StrCat(Quote(value),
                                 " is not a launch type; use EC2, FARGATE, EXTERNAL or "
                                 "MANAGED_INSTANCES"));
    }
  }
}

void CheckPidAndIpc(const RegisterTaskDefinitionRequest& request, Problems* problems) {
  if (request.has_pid_mode() && request.pid_mode() != "task") {
    problems->Add("pidMode", absl::StrCat(Quote(request.pid_mode()),
                                          " is not supported on Fargate; use \"task\" or omit "
                                          "pidMode"));
  }
  if (request.has_ipc_mode()) {
    problems->Add("ipcMode", absl::StrCat(Quote(request.ipc_mode()),
                                          " is not supported on Fargate; omit ipcMode"));
  }
}

void CheckProxyConfiguration(const TaskContext& ctx, Problems* problems) {
  if (!ctx.request.has_proxy_configuration()) {
    return;
  }
  const gantry::v1::ProxyConfiguration& proxy = ctx.request.proxy_configuration();
  // type is optional in the API model; APPMESH is its only value.
  if (proxy.has_type() && proxy.type() != "APPMESH") {
    problems->Add("proxyConfiguration.type",
                  absl::StrCat(Quote(proxy.type()), " is not a proxy type; use \"APPMESH\""));
  }
  if (!proxy.has_container_name() || proxy.container_name().empty()) {
    problems->Add("proxyConfiguration.containerName",
                  "missing; name the proxy container of this task definition");
  } else if (!ctx.container_index.contains(proxy.container_name())) {
    problems->Add("proxyConfiguration.containerName",
                  absl::StrCat(Quote(proxy.container_name()),
                               " is not a container of this task definition; name one of its "
                               "containers"));
  }
  static const std::vector<absl::string_view> kKeys = {
      "IgnoredUID",      "IgnoredGID",         "AppPorts",        "ProxyIngressPort",
      "ProxyEgressPort", "EgressIgnoredPorts", "EgressIgnoredIPs"};
  for (int i = 0; i < proxy.properties_size(); ++i) {
    const std::string& name = proxy.properties(i).name();
    if (std::find(kKeys.begin(), kKeys.end(), name) == kKeys.end()) {
      problems->Add(Field(Item("proxyConfiguration.properties", i), "name"),
                    absl::StrCat(Quote(name), " is not an App Mesh proxy property; use ",
                                 JoinAlternatives(kKeys, /*quoted=*/false)));
    }
  }
}

void CheckEphemeralStorage(const RegisterTaskDefinitionRequest& request, Problems* problems) {
  if (!request.has_ephemeral_storage()) {
    return;
  }
  const auto& storage = request.ephemeral_storage();
  if (!storage.has_size_in_gib()) {
    problems->Add("ephemeralStorage.sizeInGiB", "missing; use 21 to 200 GiB");
  } else if (storage.size_in_gib() < kMinEphemeralStorageGiB ||
             storage.size_in_gib() > kMaxEphemeralStorageGiB) {
    problems->Add("ephemeralStorage.sizeInGiB",
                  absl::StrCat(storage.size_in_gib(),
                               " GiB is out of range; use 21 to 200 GiB (omit ephemeralStorage "
                               "for the 20 GiB default)"));
  }
}

void CheckRuntimePlatform(const RegisterTaskDefinitionRequest& request, Problems* problems) {
  if (!request.has_runtime_platform()) {
    return;
  }
  const auto& platform = request.runtime_platform();
  if (platform.has_cpu_architecture() && platform.cpu_architecture() != "X86_64" &&
      platform.cpu_architecture() != "ARM64") {
    problems->Add("runtimePlatform.cpuArchitecture",
                  absl::StrCat(Quote(platform.cpu_architecture()),
                               " is not a CPU architecture; use \"X86_64\" or \"ARM64\""));
  }
  if (platform.has_operating_system_family() && platform.operating_system_family() != "LINUX") {
    const bool windows = absl::StartsWith(platform.operating_system_family(), "WINDOWS_SERVER_");
    problems->Add("runtimePlatform.operatingSystemFamily",
                  absl::StrCat(Quote(platform.operating_system_family()),
                               windows ? " is not supported by Gantry; use \"LINUX\""
                                       : " is not an operating system family; use \"LINUX\""));
  }
}

}  // namespace

void CheckTaskHead(const TaskContext& ctx, Problems* problems) {
  const RegisterTaskDefinitionRequest& request = ctx.request;
  if (!request.has_family() || request.family().empty()) {
    problems->Add("family", "missing; use 1-255 letters, digits, hyphens and underscores");
  } else if (!IsValidName(request.family())) {
    problems->Add("family", absl::StrCat(Quote(request.family()),
                                         " is not a valid family; use 1-255 letters, digits, "
                                         "hyphens and underscores"));
  }
  CheckRole(request.has_task_role_arn(), request.task_role_arn(), "taskRoleArn", problems);
  CheckRole(request.has_execution_role_arn(), request.execution_role_arn(), "executionRoleArn",
            problems);
  CheckNetworkMode(request, problems);
}

void CheckContainerList(const TaskContext& ctx, Problems* problems) {
  const int count = ctx.request.container_definitions_size();
  if (count == 0) {
    problems->Add("containerDefinitions", "missing; give 1 to 10 containers");
    return;
  }
  if (count > kMaxContainers) {
    problems->Add("containerDefinitions",
                  absl::StrCat(count, " containers is more than the limit; use 1 to 10"));
  }
  bool any_essential = false;
  for (const ContainerDefinition& c : ctx.request.container_definitions()) {
    any_essential = any_essential || IsEssential(c);
  }
  if (!any_essential) {
    problems->Add("containerDefinitions",
                  "no container is essential; mark at least one \"essential\": true (the default)");
  }
  CheckContainerSums(ctx, problems);
}

void CheckTaskTail(const TaskContext& ctx, Problems* problems) {
  const RegisterTaskDefinitionRequest& request = ctx.request;
  if (request.placement_constraints_size() > 0) {
    problems->Add("placementConstraints",
                  "not supported on Fargate (Fargate spreads tasks itself); remove it");
  }
  CheckRequiresCompatibilities(request, problems);
  CheckTaskSize(ctx, problems);
  CheckTags(request, problems);
  CheckPidAndIpc(request, problems);
  CheckProxyConfiguration(ctx, problems);
  if (request.inference_accelerators_size() > 0) {
    problems->Add("inferenceAccelerators",
                  "not supported on Fargate (Elastic Inference is retired); remove it");
  }
  CheckEphemeralStorage(request, problems);
  CheckRuntimePlatform(request, problems);
}

}  // namespace gantry::taskdef::internal
