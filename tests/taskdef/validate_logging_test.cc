// Validate(): logConfiguration, FireLens and the execution role (contract 1.1, 1.8, 6.1).
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "taskdef/taskdef.h"
#include "tests/taskdef/base_definition.h"

namespace gantry::taskdef {
namespace {

using gantry::v1::ContainerDefinition;
using testing::App;
using testing::Case;
using testing::Request;
using testing::RunValidateCases;
using testing::Sidecar;

gantry::v1::LogConfiguration* AppLog(Request& r) { return App(r)->mutable_log_configuration(); }

// Makes the sidecar a fluent-bit router and the app log through it.
void UseFirelens(Request& r) {
  auto* firelens = Sidecar(r)->mutable_firelens_configuration();
  firelens->set_type("fluentbit");
  (*firelens->mutable_options())["enable-ecs-log-metadata"] = "true";
  AppLog(r)->Clear();
  AppLog(r)->set_log_driver("awsfirelens");
  (*AppLog(r)->mutable_options())["Name"] = "cloudwatch_logs";
}

TEST(ValidateLogging, LogConfiguration) {
  RunValidateCases({
      {"driver missing", [](Request& r) { AppLog(r)->clear_log_driver(); },
       "containerDefinitions[0].logConfiguration.logDriver: missing; use awslogs, splunk or "
       "awsfirelens"},
      {"json-file", [](Request& r) { AppLog(r)->set_log_driver("json-file"); },
       "containerDefinitions[0].logConfiguration.logDriver: \"json-file\" is not supported on "
       "Fargate; use awslogs, splunk or awsfirelens"},
      {"fluentd", [](Request& r) { AppLog(r)->set_log_driver("fluentd"); },
       "containerDefinitions[0].logConfiguration.logDriver: \"fluentd\" is not supported"},
      {"splunk",
       [](Request& r) {
         AppLog(r)->Clear();
         AppLog(r)->set_log_driver("splunk");
         (*AppLog(r)->mutable_options())["splunk-url"] = "https://splunk.example.com:8088";
       },
       ""},
      {"awslogs without stream prefix",
       [](Request& r) { AppLog(r)->mutable_options()->erase("awslogs-stream-prefix"); },
       "containerDefinitions[0].logConfiguration.options[\"awslogs-stream-prefix\"]: missing; the "
       "awslogs driver on Fargate needs awslogs-group, awslogs-region and awslogs-stream-prefix"},
      {"awslogs without group",
       [](Request& r) { AppLog(r)->mutable_options()->erase("awslogs-group"); },
       "containerDefinitions[0].logConfiguration.options[\"awslogs-group\"]: missing"},
      {"awslogs without region",
       [](Request& r) { AppLog(r)->mutable_options()->erase("awslogs-region"); },
       "containerDefinitions[0].logConfiguration.options[\"awslogs-region\"]: missing"},
      {"awslogs without execution role", [](Request& r) { r.clear_execution_role_arn(); },
       "containerDefinitions[0].logConfiguration.logDriver: Fargate requires task definition to "
       "have execution role ARN to support log driver awslogs; set executionRoleArn"},
      {"awslogs non-blocking",
       [](Request& r) {
         (*AppLog(r)->mutable_options())["mode"] = "non-blocking";
         (*AppLog(r)->mutable_options())["max-buffer-size"] = "25m";
       },
       ""},
      {"awslogs mode unknown", [](Request& r) { (*AppLog(r)->mutable_options())["mode"] = "fast"; },
       "containerDefinitions[0].logConfiguration.options.mode: \"fast\" is not a delivery mode"},
      {"secretOptions",
       [](Request& r) {
         auto* secret = AppLog(r)->add_secret_options();
         secret->set_name("splunk-token");
         secret->set_value_from("arn:aws:secretsmanager:eu-west-1:123456789012:secret:t");
       },
       ""},
      {"secretOptions without execution role",
       [](Request& r) {
         UseFirelens(r);
         r.clear_execution_role_arn();
         auto* secret = AppLog(r)->add_secret_options();
         secret->set_name("apikey");
         secret->set_value_from("apikey");
       },
       "containerDefinitions[0].logConfiguration.secretOptions: Fargate requires task definition "
       "to have execution role ARN to support log driver secret options; set executionRoleArn"},
      {"secretOptions without valueFrom",
       [](Request& r) { AppLog(r)->add_secret_options()->set_name("token"); },
       "containerDefinitions[0].logConfiguration.secretOptions[0].valueFrom: missing"},
  });
}

TEST(ValidateLogging, Firelens) {
  RunValidateCases({
      {"router and app", [](Request& r) { UseFirelens(r); }, ""},
      {"router without users",
       [](Request& r) { Sidecar(r)->mutable_firelens_configuration()->set_type("fluentd"); }, ""},
      {"awsfirelens without router",
       [](Request& r) {
         UseFirelens(r);
         Sidecar(r)->clear_firelens_configuration();
       },
       "containerDefinitions[0].logConfiguration.logDriver: \"awsfirelens\" needs a log router; "
       "add one container with firelensConfiguration"},
      {"two routers",
       [](Request& r) {
         UseFirelens(r);
         App(r)->mutable_firelens_configuration()->set_type("fluentbit");
       },
       "containerDefinitions[1].firelensConfiguration: only one container may have "
       "firelensConfiguration and \"app\" (containerDefinitions[0]) already does"},
      {"type missing",
       [](Request& r) {
         UseFirelens(r);
         Sidecar(r)->mutable_firelens_configuration()->clear_type();
       },
       "containerDefinitions[1].firelensConfiguration.type: missing; use \"fluentbit\" or "
       "\"fluentd\""},
      {"type unknown",
       [](Request& r) {
         UseFirelens(r);
         Sidecar(r)->mutable_firelens_configuration()->set_type("logstash");
       },
       "containerDefinitions[1].firelensConfiguration.type: \"logstash\" is not a log router type"},
      {"config file",
       [](Request& r) {
         UseFirelens(r);
         auto& options = *Sidecar(r)->mutable_firelens_configuration()->mutable_options();
         options["config-file-type"] = "file";
         options["config-file-value"] = "/fluent-bit/etc/extra.conf";
       },
       ""},
      {"config file from s3",
       [](Request& r) {
         UseFirelens(r);
         auto& options = *Sidecar(r)->mutable_firelens_configuration()->mutable_options();
         options["config-file-type"] = "s3";
         options["config-file-value"] = "arn:aws:s3:::b/extra.conf";
       },
       "containerDefinitions[1].firelensConfiguration.options[\"config-file-type\"]: \"s3\" is "
       "not supported on Fargate; use \"file\""},
      {"config file type without value",
       [](Request& r) {
         UseFirelens(r);
         (*Sidecar(r)->mutable_firelens_configuration()->mutable_options())["config-file-type"] =
             "file";
       },
       "containerDefinitions[1].firelensConfiguration.options[\"config-file-value\"]: missing"},
      {"config file value without type",
       [](Request& r) {
         UseFirelens(r);
         (*Sidecar(r)->mutable_firelens_configuration()->mutable_options())["config-file-value"] =
             "/x.conf";
       },
       "containerDefinitions[1].firelensConfiguration.options[\"config-file-type\"]: missing"},
      {"metadata flag not boolean",
       [](Request& r) {
         UseFirelens(r);
         (*Sidecar(r)
               ->mutable_firelens_configuration()
               ->mutable_options())["enable-ecs-log-metadata"] = "yes";
       },
       "containerDefinitions[1].firelensConfiguration.options[\"enable-ecs-log-metadata\"]: "
       "\"yes\" is not valid; use \"true\" or \"false\""},
  });
}

}  // namespace
}  // namespace gantry::taskdef
