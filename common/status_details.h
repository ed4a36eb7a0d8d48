// Details a status carries to the front ends beyond its code and message, as absl::Status
// payloads: the resources it is about, and the name of the AWS error that reports it when
// the code alone would pick another. gRPC callers see the code and message only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace gantry {

// `status` naming these resources (ids or ARNs); ECS's ConflictException lists them as
// resourceIds.
absl::Status WithResourceIds(absl::Status status, const std::vector<std::string>& ids);
// The resources `status` names; empty when none.
std::vector<std::string> ResourceIdsOf(const absl::Status& status);

// `status` reported under this AWS error name (e.g. "PlatformUnknownException").
absl::Status WithErrorName(absl::Status status, std::string_view name);
// The AWS error name `status` asks for; nullopt: the front end picks by code.
std::optional<std::string> ErrorNameOf(const absl::Status& status);

}  // namespace gantry
