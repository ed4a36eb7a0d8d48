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
// The same for documents that many rows share and nobody changes (a task definition
// revision's body, read with every launch): each distinct text is parsed once per
// process and then copied, which is tens of times cheaper than protobuf's JSON parser.
// Keyed by the text itself, so nothing can go stale. Thread-safe.
absl::Status FromSharedJsonText(const std::string& text, google::protobuf::Message* message);

std::string TagsToJsonText(const std::vector<gantry::v1::Tag>& tags);
absl::StatusOr<std::vector<gantry::v1::Tag>> TagsFromJsonText(const std::string& text);

}  // namespace gantry::storage::internal
