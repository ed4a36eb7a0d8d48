#include "storage/internal/statements.h"

namespace gantry::storage::internal {

std::vector<Statement> AllStatements() {
  std::vector<Statement> all;
  for (const auto* group :
       {&ClusterStatements(), &TaskDefinitionStatements(), &NetworkStatements(), &HostStatements(),
        &TaskStatements(), &PlacementStatements(), &CommandStatements(), &AgentStatements(),
        &HostCommandStatements(), &CapacityStatements(), &AccountStatements(),
        &TaskMetricsStatements(), &LogRequestStatements()}) {
    all.insert(all.end(), group->begin(), group->end());
  }
  return all;
}

}  // namespace gantry::storage::internal
