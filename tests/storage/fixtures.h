// Shared inputs for the storage tests.
#pragma once

#include <string>

#include "gantry/v1/ecs_types.pb.h"

namespace gantry::storage::testing {

// A small valid Fargate definition of `family`; storage does not look inside it.
inline gantry::v1::TaskDefinition MinimalTaskDefinition(const std::string& family) {
  gantry::v1::TaskDefinition body;
  body.set_family(family);
  body.set_cpu("256");
  body.set_memory("512");
  body.set_network_mode("awsvpc");
  auto* container = body.add_container_definitions();
  container->set_name("app");
  container->set_image("nginx:1.27");
  return body;
}

}  // namespace gantry::storage::testing
