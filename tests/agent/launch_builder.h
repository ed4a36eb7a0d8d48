// Builds LaunchTask commands for the agent tests.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gantry/v1/agent.pb.h"

namespace gantry::agent::testing {

struct EnvVar {
  std::string name;
  std::string value;
};

class LaunchBuilder {
 public:
  explicit LaunchBuilder(std::string arn) {
    launch_.set_task_arn(std::move(arn));
    launch_.set_desired_status("RUNNING");
    launch_.mutable_network_interface()->set_private_ipv4_address("10.0.1.7");
  }
  // Adds a container definition (essential unless said otherwise, when `essential` is
  // set at all).
  LaunchBuilder& Container(const std::string& name, std::vector<EnvVar> environment = {},
                           std::optional<bool> essential = std::nullopt) {
    v1::ContainerDefinition* definition =
        launch_.mutable_task_definition()->add_container_definitions();
    definition->set_name(name);
    definition->set_image("public.ecr.aws/docker/library/" + name + ":latest");
    if (essential.has_value()) definition->set_essential(*essential);
    for (const EnvVar& var : environment) {
      v1::KeyValuePair* pair = definition->add_environment();
      pair->set_name(var.name);
      pair->set_value(var.value);
    }
    return *this;
  }
  LaunchBuilder& Override(const std::string& name, std::vector<EnvVar> environment) {
    v1::ContainerOverride* container = launch_.mutable_overrides()->add_container_overrides();
    container->set_name(name);
    for (const EnvVar& var : environment) {
      v1::KeyValuePair* pair = container->add_environment();
      pair->set_name(var.name);
      pair->set_value(var.value);
    }
    return *this;
  }
  LaunchBuilder& DesiredStatus(const std::string& status) {
    launch_.set_desired_status(status);
    return *this;
  }
  v1::LaunchTask Build() const { return launch_; }

 private:
  v1::LaunchTask launch_;
};

}  // namespace gantry::agent::testing
