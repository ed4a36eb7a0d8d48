// Protobuf messages stored as jsonb. Storage-internal.
#pragma once

#include <string>
#include <vector>

#include "gantry/v1/ecs_types.pb.h"

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace gantry::storage::internal {

std::string ToJsonText(const google::protobuf::Message& message);
// Lenient on unknown members so that rows written by a newer gantryd still load.
absl::Status FromJsonText(const std::string& text, google::protobuf::Message* message);

std::string TagsToJsonText(const std::vector<gantry::v1::Tag>& tags);
absl::StatusOr<std::vector<gantry::v1::Tag>> TagsFromJsonText(const std::string& text);

}  // namespace gantry::storage::internal
