#include "api/internal/tasks.h"

#include <algorithm>
#include <cstdint>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "api/internal/access.h"
#include "api/internal/container_instances.h"
#include "common/ids.h"
#include "common/status_details.h"
#include "common/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "taskdef/taskdef.h"

namespace gantry::api::internal {
namespace {

constexpr int kMaxCount = 10;
constexpr int kMaxSubnets = 16;
constexpr int kMaxSecurityGroups = 5;
constexpr size_t kMaxOverridesChars = 8192;
constexpr int kDefaultEphemeralGib = 20;
constexpr int kMaxStrategyItems = 20;

absl::Status Invalid(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(what)));
}

bool IsTaskId(std::string_view id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f');
         });
}

// The request's content without its token, serialised deterministically, hashed with
// 64-bit FNV-1a: stable across processes and versions of this binary.
std::string Fingerprint(v1::RunTaskRequest request) {
  request.clear_client_token();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&coded);
  }
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return absl::StrFormat("%016x", hash);
}

absl::Status CheckStartedBy(const std::string& value) {
  bool ok =
      !value.empty() && value.size() <= 128 && std::all_of(value.begin(), value.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '_' || c == '-' || c == '/';
      });
  if (!ok) {
    return Invalid("startedBy", absl::StrCat(Quote(value),
                                             " is invalid; use 1-128 letters, digits, '_', "
                                             "'-' and '/'"));
  }
  return absl::OkStatus();
}

bool IsPrintableAscii(const std::string& value) {
  return std::all_of(value.begin(), value.end(), [](char c) { return c > 32 && c < 127; });
}

absl::Status ParseNetwork(const v1::RunTaskRequest& request, RunTaskPlan* plan) {
  if (!request.has_network_configuration() ||
      !request.network_configuration().has_awsvpc_configuration()) {
    return Invalid("networkConfiguration.awsvpcConfiguration",
                   "required; Fargate tasks use awsvpc networking and need subnets");
  }
  const v1::AwsVpcConfiguration& vpc = request.network_configuration().awsvpc_configuration();
  const std::string prefix = "networkConfiguration.awsvpcConfiguration";
  if (vpc.subnets().empty() || vpc.subnets_size() > kMaxSubnets) {
    return Invalid(prefix + ".subnets",
                   absl::StrCat(vpc.subnets_size(), " subnets given; give 1 to ", kMaxSubnets));
  }
  std::set<std::string> seen;
  for (int i = 0; i < vpc.subnets_size(); ++i) {
    const std::string& id = vpc.subnets(i);
    if (!ids::IsEc2Id("subnet", id)) {
      return Invalid(absl::StrCat(prefix, ".subnets[", i, "]"),
                     absl::StrCat(Quote(id), " is not a subnet id (subnet- and 17 hex digits)"));
    }
    if (seen.insert(id).second) {
      plan->subnets.push_back(id);
      plan->subnet_positions.push_back(i);
    }
  }
  if (vpc.security_groups_size() > kMaxSecurityGroups) {
    return Invalid(
        prefix + ".securityGroups",
        absl::StrCat(vpc.security_groups_size(), " groups given; at most ", kMaxSecurityGroups));
  }
  seen.clear();
  for (int i = 0; i < vpc.security_groups_size(); ++i) {
    const std::string& id = vpc.security_groups(i);
    if (!ids::IsEc2Id("sg", id)) {
      return Invalid(
          absl::StrCat(prefix, ".securityGroups[", i, "]"),
          absl::StrCat(Quote(id), " is not a security group id (sg- and 17 hex digits)"));
    }
    if (seen.insert(id).second) {
      plan->security_groups.push_back(id);
      plan->security_group_positions.push_back(i);
    }
  }
  if (vpc.has_assign_public_ip()) {
    if (vpc.assign_public_ip() != "ENABLED" && vpc.assign_public_ip() != "DISABLED") {
      return Invalid(
          prefix + ".assignPublicIp",
          absl::StrCat(Quote(vpc.assign_public_ip()), " is invalid; use ENABLED or DISABLED"));
    }
    plan->assign_public_ip = vpc.assign_public_ip() == "ENABLED";
  }
  return absl::OkStatus();
}

absl::Status ParseLaunchOptions(const v1::RunTaskRequest& request) {
  if (request.has_launch_type() && request.launch_type() != "FARGATE") {
    return Invalid("launchType", absl::StrCat(Quote(request.launch_type()),
                                              " is not supported; Gantry runs FARGATE tasks"));
  }
  if (!request.capacity_provider_strategy().empty()) {
    if (request.has_launch_type()) {
      return Invalid("capacityProviderStrategy", "cannot be combined with launchType");
    }
    if (request.capacity_provider_strategy_size() > kMaxStrategyItems) {
      return Invalid("capacityProviderStrategy",
                     absl::StrCat(request.capacity_provider_strategy_size(),
                                  " items given; at most ", kMaxStrategyItems));
    }
    for (int i = 0; i < request.capacity_provider_strategy_size(); ++i) {
      const v1::CapacityProviderStrategyItem& item = request.capacity_provider_strategy(i);
      std::string field = absl::StrCat("capacityProviderStrategy[", i, "]");
      if (item.capacity_provider() != "FARGATE") {
        return Invalid(field + ".capacityProvider", absl::StrCat(Quote(item.capacity_provider()),
                                                                 " is not available; use FARGATE"));
      }
      if (item.has_weight() && (item.weight() < 0 || item.weight() > 1000)) {
        return Invalid(field + ".weight",
                       absl::StrCat(item.weight(), " is out of range; use 0 to 1000"));
      }
      if (item.has_base() && (item.base() < 0 || item.base() > 100000)) {
        return Invalid(field + ".base",
                       absl::StrCat(item.base(), " is out of range; use 0 to 100000"));
      }
    }
  }
  if (request.has_platform_version() && request.platform_version() != "LATEST" &&
      request.platform_version() != "1.4.0") {
    return WithErrorName(
        Invalid("platformVersion", absl::StrCat(Quote(request.platform_version()),
                                                " is not supported; use LATEST or 1.4.0")),
        "PlatformUnknownException");
  }
  if (!request.placement_constraints().empty()) {
    return Invalid("placementConstraints", "not supported for launch type FARGATE");
  }
  if (!request.placement_strategy().empty()) {
    return Invalid("placementStrategy", "not supported for launch type FARGATE");
  }
  return absl::OkStatus();
}

absl::Status ParseOverrides(const v1::RunTaskRequest& request, RunTaskPlan* plan) {
  if (!request.has_overrides()) return absl::OkStatus();
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(request.overrides(), &json);
  if (json.size() > kMaxOverridesChars) {
    return Invalid("overrides",
                   absl::StrCat(json.size(), " characters; at most ", kMaxOverridesChars));
  }
  // PostgreSQL's jsonb cannot hold a NUL character; refuse it here rather than fail
  // the placement round that would store it.
  if (json.find("\\u0000") != std::string::npos) {
    return Invalid("overrides", "contains a NUL character (\\u0000), which is not allowed");
  }
  plan->overrides = request.overrides();
  std::set<std::string> names;
  for (int i = 0; i < plan->overrides.container_overrides_size(); ++i) {
    const v1::ContainerOverride& container = plan->overrides.container_overrides(i);
    std::string field = absl::StrCat("overrides.containerOverrides[", i, "].name");
    if (!container.has_name() || container.name().empty()) return Invalid(field, "required");
    if (!names.insert(container.name()).second) {
      return Invalid(field, absl::StrCat(Quote(container.name()), " is overridden twice"));
    }
  }
  if (plan->overrides.has_ephemeral_storage()) {
    int32_t size = plan->overrides.ephemeral_storage().size_in_gib();
    if (size < 21 || size > 200) {
      return Invalid("overrides.ephemeralStorage.sizeInGiB",
                     absl::StrCat(size, " is out of range; use 21 to 200 (20 is the default)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string TaskArn(const Config& config, std::string_view cluster, std::string_view task_id) {
  return absl::StrCat("arn:aws:ecs:", config.region, ":", config.account_id, ":task/",
                      std::string(cluster), "/", std::string(task_id));
}

absl::StatusOr<TaskRef> ParseTaskRef(const Config& config, std::string_view field,
                                     std::string_view ref, TaskAccounts accounts) {
  TaskRef parsed;
  if (IsTaskId(ref)) {
    parsed.task_id = std::string(ref);
    return parsed;
  }
  if (!absl::StartsWith(std::string(ref), "arn:")) {
    return Invalid(field, absl::StrCat(Quote(ref), " is not a task id (32 hex digits) or ARN"));
  }
  std::vector<std::string> parts = absl::StrSplit(std::string(ref), absl::MaxSplits(':', 5));
  if (parts.size() != 6 || parts[2] != "ecs" || !absl::StartsWith(parts[5], "task/")) {
    return Invalid(field, absl::StrCat(Quote(ref), " is not a task ARN"));
  }
  bool account_ok =
      accounts == TaskAccounts::kAny ? IsAccountId(parts[4]) : parts[4] == config.account_id;
  if (parts[3] != config.region || !account_ok) {
    return absl::NotFoundError(
        absl::StrCat(std::string(field), ": ", Quote(ref), " does not exist"));
  }
  parsed.account_id = parts[4];
  std::vector<std::string> path = absl::StrSplit(parts[5].substr(5), '/');
  if (path.size() > 2 || !IsTaskId(path.back())) {
    return Invalid(field, absl::StrCat(Quote(ref), " is not a task ARN"));
  }
  if (path.size() == 2) parsed.cluster = path[0];
  parsed.task_id = path.back();
  return parsed;
}

absl::StatusOr<RunTaskPlan> ParseRunTask(const Config& config, const v1::RunTaskRequest& request) {
  RunTaskPlan plan;
  if (!request.has_task_definition() || request.task_definition().empty()) {
    return Invalid("taskDefinition", "required");
  }
  GANTRY_ASSIGN_OR_RETURN(
      plan.definition, ParseTaskDefinitionRef(config, "taskDefinition", request.task_definition()));
  plan.cluster = "default";
  if (request.has_cluster()) {
    GANTRY_ASSIGN_OR_RETURN(plan.cluster, ParseClusterRef(config, "cluster", request.cluster()));
  }
  if (request.has_count()) {
    if (request.count() < 1 || request.count() > kMaxCount) {
      return Invalid("count",
                     absl::StrCat(request.count(), " is out of range; use 1 to ", kMaxCount));
    }
    plan.count = request.count();
  }
  GANTRY_RETURN_IF_ERROR(ParseLaunchOptions(request));
  GANTRY_RETURN_IF_ERROR(ParseNetwork(request, &plan));
  GANTRY_RETURN_IF_ERROR(ParseOverrides(request, &plan));
  if (request.has_group()) {
    if (request.group().empty() || request.group().size() > 255 ||
        !IsPrintableAscii(request.group())) {
      return Invalid("group", absl::StrCat(Quote(request.group()),
                                           " is invalid; use 1-255 printable characters"));
    }
    plan.group = request.group();
  }
  if (request.has_started_by()) {
    GANTRY_RETURN_IF_ERROR(CheckStartedBy(request.started_by()));
    plan.started_by = request.started_by();
  }
  if (request.has_client_token()) {
    const std::string& token = request.client_token();
    if (token.empty() || token.size() > 64 || !IsPrintableAscii(token)) {
      return Invalid("clientToken", "use 1-64 ASCII characters from '!' to '~' (no spaces)");
    }
    plan.client_token = token;
  }
  if (request.has_propagate_tags()) {
    const std::string& propagate = request.propagate_tags();
    if (propagate == "SERVICE") {
      return Invalid("propagateTags", "SERVICE is only valid for tasks started by a service");
    }
    if (propagate != "TASK_DEFINITION" && propagate != "NONE") {
      return Invalid("propagateTags",
                     absl::StrCat(Quote(propagate), " is invalid; use TASK_DEFINITION or NONE"));
    }
    plan.propagate_definition_tags = propagate == "TASK_DEFINITION";
  }
  GANTRY_RETURN_IF_ERROR(taskdef::ValidateTags(request.tags()));
  plan.tags.assign(request.tags().begin(), request.tags().end());
  plan.ecs_managed_tags = request.enable_ecs_managed_tags();
  plan.enable_execute_command = request.enable_execute_command();
  plan.fingerprint = Fingerprint(request);
  return plan;
}

namespace {

struct TaskSize {
  int32_t cpu = 0;
  int32_t memory = 0;
  int32_t ephemeral_gib = kDefaultEphemeralGib;
};

absl::StatusOr<TaskSize> EffectiveSize(const RunTaskPlan& plan, const v1::TaskDefinition& body) {
  TaskSize size;
  const v1::TaskOverride& overrides = plan.overrides;
  if (overrides.has_cpu()) {
    GANTRY_ASSIGN_OR_RETURN(size.cpu, taskdef::ParseTaskCpu(overrides.cpu(), "overrides.cpu"));
  } else {
    GANTRY_ASSIGN_OR_RETURN(size.cpu, taskdef::ParseTaskCpu(body.cpu()));
  }
  if (overrides.has_memory()) {
    GANTRY_ASSIGN_OR_RETURN(size.memory,
                            taskdef::ParseTaskMemory(overrides.memory(), "overrides.memory"));
  } else {
    GANTRY_ASSIGN_OR_RETURN(size.memory, taskdef::ParseTaskMemory(body.memory()));
  }
  if (overrides.has_cpu() || overrides.has_memory()) {
    if (absl::Status fits = taskdef::CheckFargateTaskSize(size.cpu, size.memory); !fits.ok()) {
      return Invalid("overrides", std::string(fits.message()));
    }
  }
  if (overrides.has_ephemeral_storage()) {
    size.ephemeral_gib = overrides.ephemeral_storage().size_in_gib();
  } else if (body.has_ephemeral_storage() && body.ephemeral_storage().size_in_gib() > 0) {
    size.ephemeral_gib = body.ephemeral_storage().size_in_gib();
  }
  return size;
}

std::vector<v1::Container> BuildContainers(const Config& config, const std::string& cluster,
                                           const std::string& task_id,
                                           const v1::TaskDefinition& body,
                                           const v1::TaskOverride& overrides) {
  std::vector<v1::Container> containers;
  for (const v1::ContainerDefinition& definition : body.container_definitions()) {
    v1::Container& container = containers.emplace_back();
    container.set_container_arn(absl::StrCat("arn:aws:ecs:", config.region, ":", config.account_id,
                                             ":container/", cluster, "/", task_id, "/",
                                             ids::NewUuid()));
    container.set_task_arn(TaskArn(config, cluster, task_id));
    container.set_name(definition.name());
    container.set_image(definition.image());
    container.set_last_status("PENDING");
    container.set_health_status("UNKNOWN");
    int32_t cpu = definition.cpu();
    std::optional<int32_t> memory, reservation;
    if (definition.has_memory()) memory = definition.memory();
    if (definition.has_memory_reservation()) reservation = definition.memory_reservation();
    for (const v1::ContainerOverride& override : overrides.container_overrides()) {
      if (override.name() != definition.name()) continue;
      if (override.has_cpu()) cpu = override.cpu();
      if (override.has_memory()) memory = override.memory();
      if (override.has_memory_reservation()) reservation = override.memory_reservation();
    }
    container.set_cpu(absl::StrCat(cpu));
    if (memory.has_value()) container.set_memory(absl::StrCat(*memory));
    if (reservation.has_value()) container.set_memory_reservation(absl::StrCat(*reservation));
  }
  return containers;
}

absl::Status CheckContainerOverrides(const RunTaskPlan& plan, const v1::TaskDefinition& body) {
  for (int i = 0; i < plan.overrides.container_overrides_size(); ++i) {
    const std::string& name = plan.overrides.container_overrides(i).name();
    bool known =
        std::any_of(body.container_definitions().begin(), body.container_definitions().end(),
                    [&](const v1::ContainerDefinition& c) { return c.name() == name; });
    if (!known) {
      return Invalid(absl::StrCat("overrides.containerOverrides[", i, "].name"),
                     absl::StrCat(Quote(name), " is not a container of ", body.family()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<storage::NewTask>> BuildTasks(
    const Config& config, const std::string& account_id, const RunTaskPlan& plan,
    const storage::TaskDefinitionRow& definition, const std::vector<std::string>& security_groups) {
  const v1::TaskDefinition& body = definition.body;
  // Every stored definition passed Fargate's rules (taskdef::Validate), so every one
  // can run on FARGATE; no compatibility check is needed here.
  GANTRY_RETURN_IF_ERROR(CheckContainerOverrides(plan, body));
  GANTRY_ASSIGN_OR_RETURN(TaskSize size, EffectiveSize(plan, body));
  if (plan.enable_execute_command && !body.has_task_role_arn() &&
      !plan.overrides.has_task_role_arn()) {
    return Invalid("enableExecuteCommand",
                   "needs a task role (taskRoleArn in the task definition or the overrides)");
  }
  std::vector<v1::Tag> tags = plan.tags;
  if (plan.propagate_definition_tags) {
    // Keys are unique on a resource; the caller's own tag wins over the definition's.
    for (const v1::Tag& tag : definition.tags) {
      bool given = std::any_of(plan.tags.begin(), plan.tags.end(),
                               [&](const v1::Tag& own) { return own.key() == tag.key(); });
      if (!given) tags.push_back(tag);
    }
  }
  if (plan.ecs_managed_tags) {
    v1::Tag& tag = tags.emplace_back();
    tag.set_key("aws:ecs:clusterName");
    tag.set_value(plan.cluster);
  }
  std::vector<storage::NewTask> tasks;
  for (int i = 0; i < plan.count; ++i) {
    storage::NewTask& task = tasks.emplace_back();
    task.task_id = ids::RandomHex(32);
    task.account_id = account_id;
    task.cluster = plan.cluster;
    task.family = definition.family;
    task.revision = definition.revision;
    task.group = plan.group.value_or(absl::StrCat("family:", definition.family));
    task.started_by = plan.started_by;
    task.cpu_units = size.cpu;
    task.memory_mib = size.memory;
    task.ephemeral_storage_gib = size.ephemeral_gib;
    task.subnet_ids = plan.subnets;
    task.security_group_ids = security_groups;
    task.assign_public_ip = plan.assign_public_ip;
    task.enable_execute_command = plan.enable_execute_command;
    task.overrides = plan.overrides;
    task.tags = tags;
    task.containers = BuildContainers(config, plan.cluster, task.task_id, body, plan.overrides);
  }
  return tasks;
}

namespace {

void SetTime(const std::optional<absl::Time>& time, void (v1::Task::*setter)(double),
             v1::Task* task) {
  if (time.has_value()) (task->*setter)(EpochSeconds(*time));
}

std::string AttachmentStatus(const storage::TaskRow& row) {
  if (!row.holds_resources) return "DELETED";
  return row.last_status == "PROVISIONING" ? "PRECREATED" : "ATTACHED";
}

void AddAttachment(const storage::TaskRow& row, v1::Task* task) {
  const storage::TaskPlacement& placement = *row.placement;
  v1::Attachment* attachment = task->add_attachments();
  attachment->set_id(placement.attachment_id);
  attachment->set_type("ElasticNetworkInterface");
  attachment->set_status(AttachmentStatus(row));
  auto detail = [&](const char* name, const std::string& value) {
    v1::KeyValuePair* pair = attachment->add_details();
    pair->set_name(name);
    pair->set_value(value);
  };
  detail("subnetId", placement.subnet_id);
  detail("networkInterfaceId", placement.eni_id);
  detail("macAddress", placement.mac_address);
  detail("privateDnsName", placement.private_dns_name);
  detail("privateIPv4Address", placement.private_ipv4);
}

// Whether the agent reported this container. RunTask stores every container PENDING
// with nothing else, so a bare PENDING is indistinguishable from no report.
bool Reported(const v1::Container& stored) {
  if (!stored.has_last_status() || stored.last_status().empty()) return false;
  return stored.last_status() != "PENDING" || stored.has_runtime_id() || stored.has_exit_code() ||
         stored.has_reason();
}

// Containers are PENDING, RUNNING or STOPPED and never go back. What the agent reported
// wins while the task lives; without a report, the task's status decides: once the
// task has started they run until it deprovisions. Every container of a task that is
// deprovisioning or stopped is STOPPED, whatever was reported last.
std::string ContainerStatus(const storage::TaskRow& row, const v1::Container& stored) {
  const std::string& status = row.last_status;
  if (status == "STOPPED" || status == "DEPROVISIONING") return "STOPPED";
  if (Reported(stored)) return stored.last_status();
  if (status == "RUNNING") return "RUNNING";
  if ((status == "DEACTIVATING" || status == "STOPPING") && row.started_at.has_value()) {
    return "RUNNING";
  }
  return "PENDING";
}

}  // namespace

v1::Task ToTask(const Config& config, const storage::TaskRow& row, bool with_tags) {
  const storage::NewTask& spec = row.spec;
  v1::Task task;
  task.set_task_arn(TaskArn(config, spec.cluster, spec.task_id));
  task.set_cluster_arn(ClusterArn(config, spec.cluster));
  task.set_task_definition_arn(TaskDefinitionArn(config, spec.family, spec.revision));
  task.set_last_status(row.last_status);
  task.set_desired_status(row.desired_status);
  task.set_launch_type("FARGATE");
  task.set_platform_version("1.4.0");
  task.set_platform_family("Linux");
  task.set_cpu(absl::StrCat(spec.cpu_units));
  task.set_memory(absl::StrCat(spec.memory_mib));
  task.mutable_ephemeral_storage()->set_size_in_gib(spec.ephemeral_storage_gib);
  task.mutable_fargate_ephemeral_storage()->set_size_in_gib(spec.ephemeral_storage_gib);
  task.set_group(spec.group);
  if (spec.started_by.has_value()) task.set_started_by(*spec.started_by);
  task.set_health_status(row.health_status);
  task.set_enable_execute_command(spec.enable_execute_command);
  v1::Attribute* architecture = task.add_attributes();
  architecture->set_name("ecs.cpu-architecture");
  architecture->set_value("x86_64");
  *task.mutable_overrides() = spec.overrides;
  // ECS always lists every container in the overrides, overridden or not.
  for (const v1::Container& container : spec.containers) {
    bool listed = std::any_of(
        spec.overrides.container_overrides().begin(), spec.overrides.container_overrides().end(),
        [&](const v1::ContainerOverride& o) { return o.name() == container.name(); });
    if (!listed) task.mutable_overrides()->add_container_overrides()->set_name(container.name());
  }
  if (row.placement.has_value()) {
    task.set_availability_zone(row.placement->availability_zone);
    task.set_container_instance_arn(ContainerInstanceArn(config, row.placement->instance_id));
    AddAttachment(row, &task);
  }
  for (const v1::Container& stored : spec.containers) {
    v1::Container* container = task.add_containers();
    *container = stored;
    container->set_last_status(ContainerStatus(row, stored));
    if (row.placement.has_value()) {
      v1::NetworkInterface* eni = container->add_network_interfaces();
      eni->set_attachment_id(row.placement->attachment_id);
      eni->set_private_ipv4_address(row.placement->private_ipv4);
    }
  }
  task.set_created_at(EpochSeconds(row.created_at));
  SetTime(row.pull_started_at, &v1::Task::set_pull_started_at, &task);
  SetTime(row.pull_stopped_at, &v1::Task::set_pull_stopped_at, &task);
  SetTime(row.started_at, &v1::Task::set_started_at, &task);
  SetTime(row.stopping_at, &v1::Task::set_stopping_at, &task);
  SetTime(row.execution_stopped_at, &v1::Task::set_execution_stopped_at, &task);
  SetTime(row.stopped_at, &v1::Task::set_stopped_at, &task);
  if (row.stop_code.has_value()) task.set_stop_code(*row.stop_code);
  if (row.stopped_reason.has_value()) task.set_stopped_reason(*row.stopped_reason);
  task.set_version(row.version);
  if (with_tags) {
    for (const v1::Tag& tag : spec.tags) *task.add_tags() = tag;
  }
  return task;
}

absl::StatusOr<ListTasksPlan> ParseListTasks(const Config& config,
                                             const v1::ListTasksRequest& request) {
  ListTasksPlan plan;
  storage::ListTasksQuery& query = plan.query;
  query.cluster = "default";
  if (request.has_cluster()) {
    GANTRY_ASSIGN_OR_RETURN(query.cluster, ParseClusterRef(config, "cluster", request.cluster()));
  }
  if (request.has_family()) {
    if (!taskdef::IsValidName(request.family())) {
      return Invalid("family",
                     absl::StrCat(Quote(request.family()), " is not a valid family name"));
    }
    query.family = request.family();
  }
  if (request.has_started_by()) {
    GANTRY_RETURN_IF_ERROR(CheckStartedBy(request.started_by()));
    if (request.has_family() || request.has_container_instance() || request.has_service_name()) {
      return Invalid("startedBy",
                     "must be the only filter; do not combine it with family, "
                     "containerInstance or serviceName");
    }
    query.started_by = request.started_by();
  }
  if (request.has_container_instance()) {
    GANTRY_ASSIGN_OR_RETURN(
        std::string id,
        ParseContainerInstanceRef(config, "containerInstance", request.container_instance()));
    query.instance_id = id;
  }
  if (request.has_desired_status()) {
    const std::string& status = request.desired_status();
    if (status != "RUNNING" && status != "PENDING" && status != "STOPPED") {
      return Invalid("desiredStatus",
                     absl::StrCat(Quote(status), " is invalid; use RUNNING, PENDING or STOPPED"));
    }
    // ECS never sets a desired status of PENDING.
    if (status == "PENDING") plan.matches_nothing = true;
    query.desired_status = status;
  }
  if (request.has_launch_type()) {
    const std::string& type = request.launch_type();
    if (type != "FARGATE" && type != "EC2" && type != "EXTERNAL" && type != "MANAGED_INSTANCES") {
      return Invalid("launchType",
                     absl::StrCat(Quote(type), " is invalid; use FARGATE, EC2 or EXTERNAL"));
    }
    if (type != "FARGATE") plan.matches_nothing = true;
  }
  // No services yet, so no service of that name.
  if (request.has_service_name()) {
    return WithErrorName(
        absl::NotFoundError(absl::StrCat("serviceName: service ", Quote(request.service_name()),
                                         " not found; Gantry has no services yet")),
        "ServiceNotFoundException");
  }
  GANTRY_ASSIGN_OR_RETURN(
      query.limit,
      PageSize("maxResults",
               request.has_max_results() ? std::optional(request.max_results()) : std::nullopt));
  return plan;
}

}  // namespace gantry::api::internal
