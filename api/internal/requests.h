// Validation of request members outside task definitions (clusters, listing, paging),
// and assembly of responses that need more than one row. Pure functions; errors are
// INVALID_ARGUMENT naming the member.
#pragma once

#include <string>
#include <vector>

#include "gantry/v1/ecs.pb.h"

#include "absl/status/statusor.h"
#include "api/api.h"
#include "google/protobuf/repeated_field.h"
#include "storage/storage.h"

namespace gantry::api::internal {

// The user-given parts of a new cluster (settings default to containerInsights
// disabled, as ECS shows them).
absl::StatusOr<v1::Cluster> ClusterSpecFromRequest(const v1::CreateClusterRequest& request);

struct ClusterQuery {
  std::vector<std::string> refs;   // as given (for failures), deduplicated
  std::vector<std::string> names;  // parsed, same order
  bool with_tags = false;
  bool with_settings = false;
  bool with_configurations = false;
  bool with_statistics = false;
};

absl::StatusOr<ClusterQuery> ParseDescribeClusters(const Config& config,
                                                   const v1::DescribeClustersRequest& request);

// Clusters in the order asked, MISSING failures for the others.
v1::DescribeClustersResponse DescribeClustersResponse(const Config& config,
                                                      const ClusterQuery& query,
                                                      const std::vector<storage::ClusterRow>& rows);

// include: only "TAGS" is allowed; true when present.
absl::StatusOr<bool> IncludesTags(const std::string& field,
                                  const google::protobuf::RepeatedPtrField<std::string>& include);

absl::StatusOr<storage::ListTaskDefinitionsQuery> ParseListTaskDefinitions(
    const v1::ListTaskDefinitionsRequest& request);
absl::StatusOr<storage::ListFamiliesQuery> ParseListFamilies(
    const v1::ListTaskDefinitionFamiliesRequest& request);

}  // namespace gantry::api::internal
