#include <utility>

#include "api/api.h"

namespace gantry::api {

AgentOperations::AgentOperations(Config config, storage::Database* database,
                                 std::function<void()> capacity_changed)
    : config_(std::move(config)),
      database_(database),
      capacity_changed_(std::move(capacity_changed)) {}

void AgentOperations::RegisterHost(const v1::RegisterHostRequest&,
                                   Done<v1::RegisterHostResponse> done) {
  done(absl::UnimplementedError("RegisterHost is not implemented yet"));
}

}  // namespace gantry::api
