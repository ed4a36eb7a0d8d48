// ARNs, references to resources in requests, paging tokens, and the conversion of
// stored rows into ECS response shapes. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gantry/v1/ecs_types.pb.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "storage/storage.h"

namespace gantry::api::internal {

// `value` in double quotes, as error messages show user-given values.
std::string Quote(std::string_view value);
// Epoch seconds with a fraction, as ECS prints timestamps.
double EpochSeconds(absl::Time time);

std::string ClusterArn(const Config& config, std::string_view name);
// The cluster every account starts with, named `default`.
v1::Cluster DefaultClusterSpec();
std::string TaskDefinitionArn(const Config& config, std::string_view family, int32_t revision);
// The principal recorded as registeredBy until callers authenticate.
std::string CallerArn(const Config& config);

// A cluster given as a short name or an ARN. INVALID_ARGUMENT (naming `field`) for a
// malformed name; NOT_FOUND for an ARN of another region or account.
absl::StatusOr<std::string> ParseClusterRef(const Config& config, std::string_view field,
                                            std::string_view ref);

struct TaskDefinitionRef {
  std::string family;
  std::optional<int32_t> revision;  // unset: the latest ACTIVE revision
};

// `family`, `family:revision` or the full ARN.
absl::StatusOr<TaskDefinitionRef> ParseTaskDefinitionRef(const Config& config,
                                                         std::string_view field,
                                                         std::string_view ref);

// maxResults: unset -> 100; otherwise 1..100.
absl::StatusOr<int> PageSize(std::string_view field, const std::optional<int32_t>& max_results);

// Opaque nextToken values: a kind tag and a keyset cursor, base64url-encoded.
std::string EncodeToken(std::string_view kind, std::string_view key, int32_t number = 0);
struct DecodedToken {
  std::string key;
  int32_t number = 0;
};
// INVALID_ARGUMENT "nextToken: ..." when the token is malformed or of another kind.
absl::StatusOr<DecodedToken> DecodeToken(std::string_view kind, std::string_view token);

// List queries fetch one row more than the page size; that row only says that another
// page follows. Drops it and returns whether it was there.
template <typename Row>
bool TrimToPage(std::vector<Row>& rows, int page_size) {
  if (static_cast<int>(rows.size()) <= page_size) return false;
  rows.resize(page_size);
  return true;
}

// Stored rows in ECS's shapes.
v1::TaskDefinition ToTaskDefinition(const Config& config, const storage::TaskDefinitionRow& row);
v1::Cluster ToCluster(const Config& config, const storage::ClusterRow& row);

}  // namespace gantry::api::internal
