// A valid Fargate task definition for table tests to mutate, and the table runner.
// Containers: [0] "app" (essential, port 80, health check, awslogs) and
// [1] "sidecar" (not essential, cpu 128, memory 128). Volumes: [0] "scratch".
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "gantry/v1/ecs_types.pb.h"

namespace gantry::taskdef::testing {

using Request = gantry::v1::RegisterTaskDefinitionRequest;

// JSON text of the base definition.
extern const char kBaseDefinitionJson[];

// The base definition, parsed (ParseRegisterRequestJson must accept it).
Request BaseRequest();

gantry::v1::ContainerDefinition* App(Request& r);
gantry::v1::ContainerDefinition* Sidecar(Request& r);

// One row of a validation table: a mutation of the base definition and the
// substring the error must contain, or "" when the result must be OK.
struct Case {
  std::string name;
  std::function<void(Request&)> mutate;
  std::string want;
};

// Applies each case to a fresh base definition and checks Validate() against it.
void RunValidateCases(const std::vector<Case>& cases);

// The lines of a status message.
std::vector<std::string> Lines(const std::string& message);

}  // namespace gantry::taskdef::testing
