// RequiresAttributes: the capability attributes ECS derives from a definition
// (contract 1.10). Best effort: ECS uses them only for EC2 placement, Gantry only
// reports them, so a missing or extra name changes no behaviour.
#include <set>
#include <string>
#include <vector>

#include "gantry/v1/ecs_types.pb.h"

#include "absl/strings/match.h"
#include "taskdef/taskdef.h"

namespace gantry::taskdef {
namespace {

using gantry::v1::ContainerDefinition;
using gantry::v1::TaskDefinition;

using Names = std::set<std::string>;

constexpr char kDockerApi[] = "com.amazonaws.ecs.capability.docker-remote-api.";

void AddSecretAttributes(const google::protobuf::RepeatedPtrField<gantry::v1::Secret>& secrets,
                         const std::string& suffix, Names* names) {
  for (const gantry::v1::Secret& secret : secrets) {
    const bool asm_secret = absl::StrContains(secret.value_from(), ":secretsmanager:");
    names->insert(std::string("ecs.capability.secrets.") + (asm_secret ? "asm." : "ssm.") + suffix);
  }
}

void AddLoggingAttributes(const TaskDefinition& def, const ContainerDefinition& c, Names* names) {
  if (!c.has_log_configuration()) {
    return;
  }
  const gantry::v1::LogConfiguration& log = c.log_configuration();
  names->insert(std::string(kDockerApi) + "1.18");
  if (log.log_driver() == "awslogs" || log.log_driver() == "splunk" ||
      log.log_driver() == "awsfirelens") {
    names->insert("com.amazonaws.ecs.capability.logging-driver." + log.log_driver());
    names->insert(std::string(kDockerApi) + "1.19");
  }
  if (log.log_driver() == "awslogs" && def.has_execution_role_arn()) {
    names->insert("ecs.capability.execution-role-awslogs");
  }
  AddSecretAttributes(log.secret_options(), "bootstrap.log-driver", names);
}

void AddFirelensAttributes(const ContainerDefinition& c, Names* names) {
  if (!c.has_firelens_configuration()) {
    return;
  }
  const gantry::v1::FirelensConfiguration& firelens = c.firelens_configuration();
  if (!firelens.type().empty()) {
    names->insert("ecs.capability.firelens." + firelens.type());
  }
  if (firelens.options().contains("config-file-type")) {
    names->insert("ecs.capability.firelens.config." + firelens.options().at("config-file-type"));
  }
}

void AddContainerAttributes(const TaskDefinition& def, const ContainerDefinition& c, Names* names) {
  AddLoggingAttributes(def, c, names);
  AddFirelensAttributes(c, names);
  AddSecretAttributes(c.secrets(), "environment-variables", names);
  if (c.ulimits_size() > 0 || c.docker_labels_size() > 0) {
    names->insert(std::string(kDockerApi) + "1.18");
  }
  if (c.has_memory_reservation()) {
    names->insert(std::string(kDockerApi) + "1.21");
  }
  if (c.has_health_check()) {
    names->insert("ecs.capability.container-health-check");
    names->insert(std::string(kDockerApi) + "1.24");
  }
  if (c.linux_parameters().init_process_enabled()) {
    names->insert(std::string(kDockerApi) + "1.25");
  }
  if (c.depends_on_size() > 0) {
    names->insert("ecs.capability.container-ordering");
  }
  if (c.environment_files_size() > 0) {
    names->insert("ecs.capability.env-files.s3");
  }
  if (c.has_repository_credentials()) {
    names->insert("com.amazonaws.ecs.capability.private-registry-authentication.secretsmanager");
  }
  if (absl::StrContains(c.image(), ".dkr.ecr.")) {
    names->insert("com.amazonaws.ecs.capability.ecr-auth");
    if (def.has_execution_role_arn()) {
      names->insert("ecs.capability.execution-role-ecr-pull");
    }
  }
  if (c.restart_policy().enabled()) {
    names->insert("ecs.capability.container-restart-policy");
  }
}

void AddTaskAttributes(const TaskDefinition& def, Names* names) {
  if (def.network_mode() == "awsvpc") {
    names->insert("ecs.capability.task-eni");
  }
  if (def.has_task_role_arn()) {
    names->insert("com.amazonaws.ecs.capability.task-iam-role");
  }
  if (def.has_proxy_configuration()) {
    names->insert("ecs.capability.aws-appmesh");
  }
  if (def.enable_fault_injection()) {
    names->insert("ecs.capability.fault-injection");
  }
  for (const gantry::v1::Volume& volume : def.volumes()) {
    if (volume.has_efs_volume_configuration()) {
      const auto& efs = volume.efs_volume_configuration();
      names->insert("ecs.capability.efs");
      if (efs.transit_encryption() == "ENABLED" || efs.has_authorization_config()) {
        names->insert("ecs.capability.efsAuth");
      }
    }
    if (volume.configured_at_launch()) {
      names->insert("ecs.capability.ebs-task-attach");
    }
  }
}

}  // namespace

std::vector<gantry::v1::Attribute> RequiresAttributes(const TaskDefinition& definition) {
  Names names;
  AddTaskAttributes(definition, &names);
  for (const ContainerDefinition& container : definition.container_definitions()) {
    AddContainerAttributes(definition, container, &names);
  }
  std::vector<gantry::v1::Attribute> attributes;
  attributes.reserve(names.size());
  for (const std::string& name : names) {
    attributes.emplace_back().set_name(name);
  }
  return attributes;
}

}  // namespace gantry::taskdef
