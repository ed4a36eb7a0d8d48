#include "taskdef/taskdef.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "gantry/v1/ecs_types.pb.h"
#include "google/protobuf/struct.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "ecsjson/ecsjson.h"
#include "taskdef/internal/problems.h"
#include "taskdef/internal/rules.h"

namespace gantry::taskdef {
namespace {

using gantry::v1::RegisterTaskDefinitionRequest;
using gantry::v1::TaskDefinition;

constexpr size_t kMaxNameLength = 255;
constexpr char kWrapperMember[] = "taskDefinition";
constexpr char kTagsMember[] = "tags";

std::string SizeProblem(size_t bytes) {
  return absl::StrCat("taskDefinition: ", bytes,
                      " bytes of JSON is over the size limit; a task definition may be at most ",
                      kMaxTaskDefinitionBytes, " bytes (64 KiB)");
}

ecsjson::ParseOptions ReadOnlyMembers() {
  ecsjson::ParseOptions options;
  options.ignored_top_level_members = {
      "taskDefinitionArn",  "revision",        "status",
      "requiresAttributes", "compatibilities", "registeredAt",
      "registeredBy",       "deregisteredAt",  "deleteRequestedAt"};
  return options;
}

bool IsWrapper(const google::protobuf::Value& root) {
  if (!root.has_struct_value()) {
    return false;
  }
  const auto& fields = root.struct_value().fields();
  auto it = fields.find(kWrapperMember);
  return it != fields.end() && it->second.has_struct_value();
}

// The describe-task-definition form: {"taskDefinition": {...}, "tags": [...]}.
absl::Status ParseWrapper(const google::protobuf::Value& root,
                          RegisterTaskDefinitionRequest* request) {
  const auto& fields = root.struct_value().fields();
  std::vector<std::string> unknown;
  for (const auto& [name, value] : fields) {
    if (name != kWrapperMember && name != kTagsMember) {
      unknown.push_back(absl::StrCat(
          name, ": unknown field; next to \"taskDefinition\" only \"tags\" is allowed"));
    }
  }
  if (!unknown.empty()) {
    std::sort(unknown.begin(), unknown.end());  // the map has no order; be deterministic
    return absl::InvalidArgumentError(absl::StrJoin(unknown, "\n"));
  }
  GANTRY_RETURN_IF_ERROR(
      ecsjson::FromValue(fields.at(kWrapperMember), request, ReadOnlyMembers(), kWrapperMember));
  auto tags = fields.find(kTagsMember);
  if (tags == fields.end()) {
    return absl::OkStatus();
  }
  google::protobuf::Value tags_only;
  (*tags_only.mutable_struct_value()->mutable_fields())[kTagsMember] = tags->second;
  RegisterTaskDefinitionRequest parsed_tags;
  GANTRY_RETURN_IF_ERROR(ecsjson::FromValue(tags_only, &parsed_tags));
  if (request->tags_size() > 0 && parsed_tags.tags_size() > 0) {
    return absl::InvalidArgumentError(
        "tags: given both inside and next to \"taskDefinition\"; give them in one place");
  }
  if (parsed_tags.tags_size() > 0) {
    request->mutable_tags()->Swap(parsed_tags.mutable_tags());
  }
  return absl::OkStatus();
}

void FillContainerDefaults(gantry::v1::ContainerDefinition* container) {
  if (!container->has_cpu()) {
    container->set_cpu(0);
  }
  if (!container->has_essential()) {
    container->set_essential(true);
  }
  for (gantry::v1::PortMapping& mapping : *container->mutable_port_mappings()) {
    if (!mapping.has_container_port_range() && !mapping.has_host_port()) {
      mapping.set_host_port(mapping.container_port());
    }
    if (!mapping.has_protocol()) {
      mapping.set_protocol("tcp");
    }
  }
}

}  // namespace

absl::StatusOr<RegisterTaskDefinitionRequest> ParseRegisterRequestJson(std::string_view json) {
  if (json.size() > static_cast<size_t>(kMaxTaskDefinitionBytes)) {
    return absl::InvalidArgumentError(SizeProblem(json.size()));
  }
  GANTRY_ASSIGN_OR_RETURN(const google::protobuf::Value root, ecsjson::ParseJson(json));
  RegisterTaskDefinitionRequest request;
  if (IsWrapper(root)) {
    GANTRY_RETURN_IF_ERROR(ParseWrapper(root, &request));
  } else {
    GANTRY_RETURN_IF_ERROR(ecsjson::FromValue(root, &request, ReadOnlyMembers()));
  }
  return request;
}

absl::Status Validate(const RegisterTaskDefinitionRequest& request) {
  internal::Problems problems;
  // Measured on the compact JSON of the request as parsed (contract 1.1 leaves the
  // exact measurement point unverified): read-only members and whitespace the caller
  // sent do not count, so a describe output can be registered again.
  const size_t bytes = ecsjson::ToJson(request).size();
  if (bytes > static_cast<size_t>(kMaxTaskDefinitionBytes)) {
    // Only this problem: the limit is also what bounds the cost of the rules below
    // (quadratic port overlap check, recursive cycle search) on requests that did
    // not come through ParseRegisterRequestJson.
    return absl::InvalidArgumentError(SizeProblem(bytes));
  }
  const internal::TaskContext ctx = internal::BuildContext(request);
  internal::CheckTaskHead(ctx, &problems);
  internal::CheckContainerList(ctx, &problems);
  internal::PortRegistry ports;
  for (int i = 0; i < request.container_definitions_size(); ++i) {
    internal::CheckContainer(ctx, i, &ports, &problems);
  }
  internal::CheckVolumes(ctx, &problems);
  internal::CheckTaskTail(ctx, &problems);
  return problems.ToStatus();
}

absl::StatusOr<TaskDefinition> Normalize(const RegisterTaskDefinitionRequest& request) {
  GANTRY_RETURN_IF_ERROR(Validate(request));
  // Members 1-17 have the same numbers in both messages (ecs_types.proto), so the
  // wire form carries them across; tags (50) are not part of a TaskDefinition.
  RegisterTaskDefinitionRequest body = request;
  body.clear_tags();
  TaskDefinition definition;
  if (!definition.ParseFromString(body.SerializeAsString())) {
    return absl::InternalError("taskdef: request did not reparse as a TaskDefinition");
  }
  // Validate() succeeded, so both parse.
  definition.set_cpu(absl::StrCat(*ParseTaskCpu(request.cpu())));
  definition.set_memory(absl::StrCat(*ParseTaskMemory(request.memory())));
  for (gantry::v1::ContainerDefinition& container : *definition.mutable_container_definitions()) {
    FillContainerDefaults(&container);
  }
  return definition;
}

std::vector<std::string> Compatibilities(const TaskDefinition& /*definition*/) {
  // Every stored definition passed the Fargate rules, and each of those is also an
  // EC2 rule or stricter than one (observed: ECS shows both for awsvpc definitions).
  return {"EC2", "FARGATE"};
}

absl::Status ValidateTags(const google::protobuf::RepeatedPtrField<gantry::v1::Tag>& tags) {
  // The rules are written against the request's `tags`; other resources share them.
  RegisterTaskDefinitionRequest holder;
  *holder.mutable_tags() = tags;
  internal::Problems problems;
  internal::CheckTags(holder, &problems);
  return problems.ToStatus();
}

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

}  // namespace gantry::taskdef
