#include "api/internal/container_instances.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/internal/resources.h"
#include "google/protobuf/repeated_field.h"
#include "taskdef/taskdef.h"

namespace gantry::api::internal {
namespace {

constexpr char kResourcePrefix[] = "container-instance/";

absl::Status Malformed(std::string_view field, std::string_view ref) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), ": ", Quote(ref),
                   " is not a container instance; use its 32-hex-digit id or its ARN "
                   "(arn:aws:ecs:REGION:ACCOUNT:container-instance/ID)"));
}

void AddResource(google::protobuf::RepeatedPtrField<v1::Resource>* resources, const char* name,
                 int32_t value) {
  v1::Resource* resource = resources->Add();
  resource->set_name(name);
  resource->set_type("INTEGER");
  resource->set_integer_value(value);
}

void AddResources(google::protobuf::RepeatedPtrField<v1::Resource>* resources,
                  const storage::HostResources& amounts) {
  AddResource(resources, "CPU", amounts.cpu_units);
  AddResource(resources, "MEMORY", amounts.memory_mib);
  AddResource(resources, "EPHEMERAL_STORAGE", amounts.ephemeral_storage_gib);
  AddResource(resources, "ENI", amounts.enis);
}

void AddAttribute(v1::ContainerInstance* instance, const char* name, const std::string& value) {
  v1::Attribute* attribute = instance->add_attributes();
  attribute->set_name(name);
  attribute->set_value(value);
}

}  // namespace

std::string ContainerInstanceArn(const Config& config, std::string_view instance_id) {
  return absl::StrCat("arn:aws:ecs:", config.region, ":", config.account_id, ":", kResourcePrefix,
                      std::string(instance_id));
}

bool IsContainerInstanceId(std::string_view id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

absl::StatusOr<std::string> ParseContainerInstanceRef(const Config& config, std::string_view field,
                                                      std::string_view ref) {
  if (!absl::StartsWith(std::string(ref), "arn:")) {
    if (!IsContainerInstanceId(ref)) return Malformed(field, ref);
    return std::string(ref);
  }
  std::vector<std::string> parts = absl::StrSplit(std::string(ref), absl::MaxSplits(':', 5));
  if (parts.size() != 6 || parts[0] != "arn" || parts[2] != "ecs" ||
      !absl::StartsWith(parts[5], kResourcePrefix)) {
    return Malformed(field, ref);
  }
  // Check the shape before the owner: a malformed ARN is the caller's mistake wherever
  // it points.
  std::vector<std::string> path = absl::StrSplit(parts[5].substr(sizeof(kResourcePrefix) - 1), '/');
  bool well_formed = (path.size() == 1 || (path.size() == 2 && taskdef::IsValidName(path[0]))) &&
                     IsContainerInstanceId(path.back());
  if (!well_formed) return Malformed(field, ref);
  if (parts[3] != config.region || parts[4] != config.account_id) {
    return absl::NotFoundError(
        absl::StrCat(std::string(field), ": ", Quote(ref), " does not exist"));
  }
  return path.back();
}

v1::ContainerInstance ToContainerInstance(const Config& config, const storage::HostRow& row) {
  v1::ContainerInstance instance;
  instance.set_container_instance_arn(ContainerInstanceArn(config, row.instance_id));
  instance.set_version(row.version);
  instance.mutable_version_info()->set_agent_version(row.agent_version);
  instance.set_status(row.status);
  // False once the host missed its heartbeats (lost) until its agent reconnects.
  instance.set_agent_connected(row.agent_connected);
  instance.set_running_tasks_count(row.running_tasks);
  instance.set_pending_tasks_count(row.pending_tasks);
  instance.set_registered_at(EpochSeconds(row.registered_at));
  AddResources(instance.mutable_registered_resources(), row.total);
  storage::HostResources remaining = {
      row.total.cpu_units - row.used.cpu_units, row.total.memory_mib - row.used.memory_mib,
      row.total.ephemeral_storage_gib - row.used.ephemeral_storage_gib,
      row.total.enis - row.used.enis};
  AddResources(instance.mutable_remaining_resources(), remaining);
  AddAttribute(&instance, "ecs.availability-zone", row.availability_zone);
  AddAttribute(&instance, "ecs.os-type", "linux");
  AddAttribute(&instance, "ecs.cpu-architecture", "x86_64");
  return instance;
}

}  // namespace gantry::api::internal
