#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/api.h"
#include "api/internal/access.h"
#include "api/internal/capacity.h"
#include "api/internal/resources.h"
#include "api/internal/run_on_database.h"
#include "common/status_macros.h"

namespace gantry::api {

void AdminOperations::DescribeCapacity(const Caller& caller,
                                       const v1::DescribeCapacityRequest& request,
                                       Done<v1::DescribeCapacityResponse> done) {
  GANTRY_RETURN_DONE_IF_ERROR(internal::RequireAdmin(caller, "Capacity reports"), done);
  const Config config = internal::WithAccount(config_, caller.account_id);
  std::optional<storage::ClusterKey> cluster;
  if (!request.cluster().empty()) {
    absl::StatusOr<std::string> name =
        internal::ParseClusterRef(config, "cluster", request.cluster());
    if (!name.ok()) {
      return done(name.status());
    }
    cluster = storage::ClusterKey{config.account_id, *std::move(name)};
  }
  internal::RunOnDatabase<v1::DescribeCapacityResponse>(
      database_,
      [cluster = std::move(cluster)](
          storage::Connection& connection) -> absl::StatusOr<v1::DescribeCapacityResponse> {
        GANTRY_ASSIGN_OR_RETURN(
            storage::FleetSnapshot snapshot,
            storage::ReadFleetSnapshot(connection, cluster, internal::kMaxExplainedWaitingTasks));
        return internal::BuildCapacityResponse(snapshot, cluster.has_value() ? cluster->name : "");
      },
      std::move(done));
}

}  // namespace gantry::api
