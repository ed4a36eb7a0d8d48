// Container instances (Gantry's hosts) in ECS's shapes: their ARNs, references to
// them in requests, and the ContainerInstance object. Pure functions; errors are
// absl::Status naming the request member.
#pragma once

#include <string>
#include <string_view>

#include "gantry/v1/ecs_tasks.pb.h"

#include "absl/status/statusor.h"
#include "api/api.h"
#include "storage/storage.h"

namespace gantry::api::internal {

// "arn:aws:ecs:REGION:ACCOUNT:container-instance/INSTANCE_ID". Hosts form one fleet
// shared by every cluster (as Fargate's does), so the ARN names no cluster.
std::string ContainerInstanceArn(const Config& config, std::string_view instance_id);

// True when `id` is 32 lowercase hex digits.
bool IsContainerInstanceId(std::string_view id);

// The instance id in `ref`: the bare id, the ARN above, or the cluster-qualified ARN
// form ".../container-instance/CLUSTER/ID" (the cluster is not checked: the fleet is
// shared). INVALID_ARGUMENT naming `field` when malformed; NOT_FOUND for an ARN of
// another region or account.
absl::StatusOr<std::string> ParseContainerInstanceRef(const Config& config, std::string_view field,
                                                      std::string_view ref);

// A stored host as ECS's ContainerInstance.
v1::ContainerInstance ToContainerInstance(const Config& config, const storage::HostRow& row);

}  // namespace gantry::api::internal
