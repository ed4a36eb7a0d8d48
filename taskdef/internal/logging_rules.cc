// logConfiguration, firelensConfiguration (contract 1.8, 6.1) and the features that
// need the task execution role (contract 1.1 executionRoleArn).
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "taskdef/internal/problems.h"
#include "taskdef/internal/rules.h"

namespace gantry::taskdef::internal {
namespace {

using gantry::v1::LogConfiguration;

// Options the awslogs driver needs on Fargate, in the order they are reported.
constexpr absl::string_view kAwslogsRequired[] = {"awslogs-group", "awslogs-region",
                                                  "awslogs-stream-prefix"};

void CheckAwslogsOptions(const TaskContext& ctx, const LogConfiguration& config,
                         absl::string_view path, Problems* problems) {
  RequireExecutionRole(ctx, "log driver awslogs", Field(path, "logDriver"), problems);
  const std::string options_path = Field(path, "options");
  for (absl::string_view option : kAwslogsRequired) {
    auto it = config.options().find(std::string(option));
    if (it == config.options().end() || it->second.empty()) {
      problems->Add(Key(options_path, option),
                    "missing; the awslogs driver on Fargate needs awslogs-group, awslogs-region "
                    "and awslogs-stream-prefix");
    }
  }
  auto mode = config.options().find("mode");
  if (mode != config.options().end() && mode->second != "blocking" &&
      mode->second != "non-blocking") {
    problems->Add(Key(options_path, "mode"),
                  absl::StrCat(Quote(mode->second),
                               " is not a delivery mode; use \"blocking\" or \"non-blocking\""));
  }
}

void CheckFirelensOptions(const gantry::v1::FirelensConfiguration& config, absl::string_view path,
                          Problems* problems) {
  const std::string options_path = Field(path, "options");
  const auto& options = config.options();
  auto metadata = options.find("enable-ecs-log-metadata");
  if (metadata != options.end() && metadata->second != "true" && metadata->second != "false") {
    problems->Add(
        Key(options_path, "enable-ecs-log-metadata"),
        absl::StrCat(Quote(metadata->second), " is not valid; use \"true\" or \"false\""));
  }
  auto file_type = options.find("config-file-type");
  auto file_value = options.find("config-file-value");
  if (file_type != options.end() && file_type->second != "file") {
    problems->Add(Key(options_path, "config-file-type"),
                  absl::StrCat(Quote(file_type->second),
                               file_type->second == "s3" ? " is not supported on Fargate"
                                                         : " is not a config file type",
                               "; use \"file\" (a file baked into the router image)"));
  }
  if (file_type == options.end() && file_value != options.end()) {
    problems->Add(Key(options_path, "config-file-type"),
                  "missing while config-file-value is set; use \"file\"");
  }
  if (file_type != options.end() && (file_value == options.end() || file_value->second.empty())) {
    problems->Add(Key(options_path, "config-file-value"),
                  "missing while config-file-type is set; give the config file's path in the "
                  "router image");
  }
}

}  // namespace

void RequireExecutionRole(const TaskContext& ctx, absl::string_view feature, absl::string_view path,
                          Problems* problems) {
  if (!ctx.has_execution_role) {
    // Wording of ECS's own message (observed), then what to do.
    problems->Add(path, absl::StrCat("Fargate requires task definition to have execution role "
                                     "ARN to support ",
                                     feature, "; set executionRoleArn"));
  }
}

void CheckSecrets(const TaskContext& ctx,
                  const google::protobuf::RepeatedPtrField<gantry::v1::Secret>& secrets,
                  absl::string_view feature, absl::string_view path, Problems* problems) {
  if (secrets.empty()) {
    return;
  }
  RequireExecutionRole(ctx, feature, path, problems);
  for (int k = 0; k < secrets.size(); ++k) {
    const std::string item = Item(path, k);
    if (secrets[k].name().empty()) {
      problems->Add(Field(item, "name"), "missing; give the variable or option name");
    }
    const std::string& value_from = secrets[k].value_from();
    if (value_from.empty()) {
      problems->Add(Field(item, "valueFrom"),
                    "missing; use a Secrets Manager secret ARN or an SSM parameter ARN or name");
    } else if (absl::StartsWith(value_from, "arn:") &&
               !absl::StrContains(value_from, ":secretsmanager:") &&
               !absl::StrContains(value_from, ":ssm:")) {
      problems->Add(Field(item, "valueFrom"),
                    absl::StrCat(Quote(value_from),
                                 " is neither a Secrets Manager nor an SSM parameter ARN; use one "
                                 "of those or an SSM parameter name"));
    }
  }
}

void CheckLogConfiguration(const TaskContext& ctx, const LogConfiguration& config,
                           absl::string_view path, Problems* problems) {
  const std::string driver_path = Field(path, "logDriver");
  const std::string& driver = config.log_driver();
  if (!config.has_log_driver() || driver.empty()) {
    problems->Add(driver_path, "missing; use awslogs, splunk or awsfirelens");
  } else if (driver == "awslogs") {
    CheckAwslogsOptions(ctx, config, path, problems);
  } else if (driver == "awsfirelens") {
    if (ctx.first_log_router < 0) {
      problems->Add(driver_path,
                    "\"awsfirelens\" needs a log router; add one container with "
                    "firelensConfiguration");
    }
  } else if (driver != "splunk") {
    problems->Add(driver_path, absl::StrCat(Quote(driver),
                                            " is not supported on Fargate; use awslogs, splunk "
                                            "or awsfirelens"));
  }
  CheckSecrets(ctx, config.secret_options(), "log driver secret options",
               Field(path, "secretOptions"), problems);
}

void CheckFirelensConfiguration(const TaskContext& ctx, int index, absl::string_view path,
                                Problems* problems) {
  if (ctx.first_log_router != index) {
    const int router = ctx.first_log_router;
    problems->Add(path,
                  absl::StrCat("only one container may have firelensConfiguration and ",
                               Quote(ctx.request.container_definitions(router).name()),
                               " (containerDefinitions[", router, "]) already does; remove it"));
  }
  const gantry::v1::FirelensConfiguration& config =
      ctx.request.container_definitions(index).firelens_configuration();
  if (!config.has_type() || config.type().empty()) {
    problems->Add(Field(path, "type"), "missing; use \"fluentbit\" or \"fluentd\"");
  } else if (config.type() != "fluentbit" && config.type() != "fluentd") {
    problems->Add(Field(path, "type"), absl::StrCat(Quote(config.type()),
                                                    " is not a log router type; use "
                                                    "\"fluentbit\" or \"fluentd\""));
  }
  CheckFirelensOptions(config, path, problems);
}

}  // namespace gantry::taskdef::internal
