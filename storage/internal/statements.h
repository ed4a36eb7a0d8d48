// Every SQL statement Gantry runs is named and prepared once per connection. Each
// storage source file owns its statements; this registry collects them.
#pragma once

#include <vector>

namespace gantry::storage::internal {

struct Statement {
  const char* name;
  const char* sql;
};

const std::vector<Statement>& ClusterStatements();
const std::vector<Statement>& TaskDefinitionStatements();
const std::vector<Statement>& NetworkStatements();
const std::vector<Statement>& HostStatements();
const std::vector<Statement>& TaskStatements();
const std::vector<Statement>& PlacementStatements();
const std::vector<Statement>& CommandStatements();
const std::vector<Statement>& AgentStatements();
const std::vector<Statement>& HostCommandStatements();
const std::vector<Statement>& CapacityStatements();
const std::vector<Statement>& AccountStatements();
const std::vector<Statement>& TaskMetricsStatements();
const std::vector<Statement>& LogRequestStatements();

// All of the above, prepared by Connection at connect time.
std::vector<Statement> AllStatements();

}  // namespace gantry::storage::internal
