// Validate(): containerDefinitions (contract 1.3 - 1.6, 1.8, 1.9, 6.1).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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

constexpr char kDigest[] =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

void Depend(ContainerDefinition* from, const std::string& on, const std::string& condition) {
  auto* dependency = from->add_depends_on();
  dependency->set_container_name(on);
  dependency->set_condition(condition);
}

void AddPort(ContainerDefinition* c, int port, const std::string& protocol = "") {
  auto* mapping = c->add_port_mappings();
  mapping->set_container_port(port);
  if (!protocol.empty()) {
    mapping->set_protocol(protocol);
  }
}

void AddRange(ContainerDefinition* c, const std::string& range) {
  c->add_port_mappings()->set_container_port_range(range);
}

void AddUlimit(ContainerDefinition* c, const std::string& name, int soft, int hard) {
  auto* ulimit = c->add_ulimits();
  ulimit->set_name(name);
  ulimit->set_soft_limit(soft);
  ulimit->set_hard_limit(hard);
}

TEST(ValidateContainers, ListRules) {
  RunValidateCases({
      {"no containers", [](Request& r) { r.clear_container_definitions(); },
       "containerDefinitions: missing; give 1 to 10 containers"},
      {"ten containers",
       [](Request& r) {
         for (int i = 2; i < 10; ++i) {
           auto* c = r.add_container_definitions();
           c->set_name(absl::StrCat("c", i));
           c->set_image("busybox");
         }
       },
       ""},
      {"eleven containers",
       [](Request& r) {
         for (int i = 2; i < 11; ++i) {
           auto* c = r.add_container_definitions();
           c->set_name(absl::StrCat("c", i));
           c->set_image("busybox");
         }
       },
       "containerDefinitions: 11 containers is more than the limit; use 1 to 10"},
      {"no essential container", [](Request& r) { App(r)->set_essential(false); },
       "containerDefinitions: no container is essential"},
      {"essential unset counts as true",
       [](Request& r) {
         App(r)->clear_essential();
         Sidecar(r)->set_essential(false);
       },
       ""},
      {"cpu sum over task cpu", [](Request& r) { App(r)->set_cpu(512); },
       "containerDefinitions: container cpu adds up to 640 units, more than the task cpu (512)"},
      {"cpu sum equal to task cpu", [](Request& r) { App(r)->set_cpu(384); }, ""},
      {"memory sum over task memory", [](Request& r) { App(r)->set_memory_reservation(900); },
       "containerDefinitions: container memory (memoryReservation, else memory) adds up to 1028 "
       "MiB, more than the task memory (1024 MiB)"},
      {"memory sum uses reservation before memory",
       [](Request& r) {
         Sidecar(r)->set_memory(1024);
         Sidecar(r)->set_memory_reservation(64);
         App(r)->set_memory(960);
       },
       ""},
  });
}

TEST(ValidateContainers, NameImageAndResources) {
  RunValidateCases({
      {"name missing", [](Request& r) { Sidecar(r)->clear_name(); },
       "containerDefinitions[1].name: missing"},
      {"name invalid", [](Request& r) { Sidecar(r)->set_name("side car"); },
       "containerDefinitions[1].name: \"side car\" is not a valid container name"},
      {"name duplicate", [](Request& r) { Sidecar(r)->set_name("app"); },
       "containerDefinitions[1].name: \"app\" is already used by containerDefinitions[0]; "
       "container names must be unique"},
      {"image missing", [](Request& r) { App(r)->clear_image(); },
       "containerDefinitions[0].image: missing; every container needs an image"},
      {"image with a space", [](Request& r) { App(r)->set_image("nginx latest"); },
       "containerDefinitions[0].image: \"nginx latest\" is not an image reference"},
      {"image 255 chars", [](Request& r) { App(r)->set_image(std::string(255, 'a')); }, ""},
      {"image 256 chars", [](Request& r) { App(r)->set_image(std::string(256, 'a')); },
       "containerDefinitions[0].image: \"aaa"},
      {"image digest", [](Request& r) { App(r)->set_image(absl::StrCat("nginx@", kDigest)); }, ""},
      {"image digest after 255 chars",
       [](Request& r) { App(r)->set_image(absl::StrCat(std::string(255, 'a'), "@", kDigest)); },
       ""},
      {"image sha512 digest", [](Request& r) { App(r)->set_image("nginx@sha512:abcd"); },
       "containerDefinitions[0].image: \"nginx@sha512:abcd\" is not an image reference"},
      {"image short digest", [](Request& r) { App(r)->set_image("nginx@sha256:abcd"); },
       "containerDefinitions[0].image: \"nginx@sha256:abcd\""},
      {"image uppercase digest",
       [](Request& r) { App(r)->set_image("nginx@sha256:" + std::string(64, 'A')); },
       "containerDefinitions[0].image: \"nginx@sha256:AAAA"},
      {"image registry and port",
       [](Request& r) { App(r)->set_image("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v1"); },
       ""},
      {"repositoryCredentials without execution role",
       [](Request& r) {
         r.clear_execution_role_arn();
         Sidecar(r)->mutable_repository_credentials()->set_credentials_parameter(
             "arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry");
       },
       "containerDefinitions[1].repositoryCredentials: Fargate requires task definition to have "
       "execution role ARN to support private registry authentication; set executionRoleArn"},
      {"repositoryCredentials without parameter",
       [](Request& r) { Sidecar(r)->mutable_repository_credentials(); },
       "containerDefinitions[1].repositoryCredentials.credentialsParameter: missing"},
      {"cpu negative", [](Request& r) { Sidecar(r)->set_cpu(-1); },
       "containerDefinitions[1].cpu: -1 is negative"},
      {"memory 5", [](Request& r) { Sidecar(r)->set_memory(5); },
       "containerDefinitions[1].memory: 5 MiB is below the minimum; use at least 6 MiB"},
      {"memory 6", [](Request& r) { Sidecar(r)->set_memory(6); }, ""},
      {"memory over task memory", [](Request& r) { Sidecar(r)->set_memory(1025); },
       "containerDefinitions[1].memory: 1025 MiB is more than the task memory (1024 MiB)"},
      {"reservation equal to memory", [](Request& r) { Sidecar(r)->set_memory_reservation(128); },
       "containerDefinitions[1].memoryReservation: 128 MiB must be less than memory (128 MiB)"},
      {"reservation below memory", [](Request& r) { Sidecar(r)->set_memory_reservation(64); }, ""},
      {"reservation 5", [](Request& r) { Sidecar(r)->set_memory_reservation(5); },
       "containerDefinitions[1].memoryReservation: 5 MiB is below the minimum"},
      {"reservation over task memory",
       [](Request& r) {
         Sidecar(r)->clear_memory();
         Sidecar(r)->set_memory_reservation(2048);
       },
       "containerDefinitions[1].memoryReservation: 2048 MiB is more than the task memory"},
  });
}

TEST(ValidateContainers, RefusedOnFargate) {
  RunValidateCases({
      {"links", [](Request& r) { Sidecar(r)->add_links("app"); },
       "containerDefinitions[1].links: not supported with networkMode awsvpc"},
      {"hostname", [](Request& r) { Sidecar(r)->set_hostname("side"); },
       "containerDefinitions[1].hostname: not supported with networkMode awsvpc"},
      {"disableNetworking true", [](Request& r) { Sidecar(r)->set_disable_networking(true); },
       "containerDefinitions[1].disableNetworking: true is not allowed on Fargate"},
      {"disableNetworking false", [](Request& r) { Sidecar(r)->set_disable_networking(false); },
       ""},
      {"privileged true", [](Request& r) { Sidecar(r)->set_privileged(true); },
       "containerDefinitions[1].privileged: true is not allowed on Fargate"},
      {"privileged false", [](Request& r) { Sidecar(r)->set_privileged(false); }, ""},
      {"dnsServers", [](Request& r) { Sidecar(r)->add_dns_servers("10.0.0.2"); },
       "containerDefinitions[1].dnsServers: not supported on Fargate"},
      {"dnsSearchDomains", [](Request& r) { Sidecar(r)->add_dns_search_domains("corp"); },
       "containerDefinitions[1].dnsSearchDomains: not supported on Fargate"},
      {"extraHosts", [](Request& r) { Sidecar(r)->add_extra_hosts()->set_hostname("db"); },
       "containerDefinitions[1].extraHosts: not supported with networkMode awsvpc"},
      {"dockerSecurityOptions",
       [](Request& r) { Sidecar(r)->add_docker_security_options("no-new-privileges"); },
       "containerDefinitions[1].dockerSecurityOptions: not supported on Fargate"},
      {"resourceRequirements GPU",
       [](Request& r) {
         auto* requirement = Sidecar(r)->add_resource_requirements();
         requirement->set_type("GPU");
         requirement->set_value("1");
       },
       "containerDefinitions[1].resourceRequirements[0]: \"GPU\" is not available on Fargate"},
      {"credentialSpecs", [](Request& r) { Sidecar(r)->add_credential_specs("credentialspec:x"); },
       "containerDefinitions[1].credentialSpecs: not supported on Fargate Linux"},
      {"accepted members",
       [](Request& r) {
         Sidecar(r)->set_interactive(true);
         Sidecar(r)->set_pseudo_terminal(true);
         Sidecar(r)->set_readonly_root_filesystem(true);
         Sidecar(r)->set_working_directory("/srv");
         (*Sidecar(r)->mutable_docker_labels())["com.example.team"] = "web";
         auto* sysctl = Sidecar(r)->add_system_controls();
         sysctl->set_namespace_("net.core.somaxconn");
         sysctl->set_value("1024");
         Sidecar(r)->add_entry_point("/bin/sh");
       },
       ""},
  });
}

TEST(ValidateContainers, PortMappings) {
  RunValidateCases({
      {"containerPort 0",
       [](Request& r) { App(r)->mutable_port_mappings(0)->set_container_port(0); },
       "containerDefinitions[0].portMappings[0].containerPort: 0 is out of range; use 1 to 65535"},
      {"containerPort 65535",
       [](Request& r) { App(r)->mutable_port_mappings(0)->set_container_port(65535); }, ""},
      {"containerPort 65536",
       [](Request& r) { App(r)->mutable_port_mappings(0)->set_container_port(65536); },
       "containerDefinitions[0].portMappings[0].containerPort: 65536 is out of range"},
      {"containerPort missing",
       [](Request& r) { App(r)->mutable_port_mappings(0)->clear_container_port(); },
       "containerDefinitions[0].portMappings[0].containerPort: missing"},
      {"hostPort equal", [](Request& r) { App(r)->mutable_port_mappings(0)->set_host_port(80); },
       ""},
      {"hostPort different",
       [](Request& r) { App(r)->mutable_port_mappings(0)->set_host_port(8080); },
       "containerDefinitions[0].portMappings[0].hostPort: 8080 differs from containerPort 80; on "
       "awsvpc omit hostPort or set it equal to containerPort"},
      {"hostPort 0", [](Request& r) { App(r)->mutable_port_mappings(0)->set_host_port(0); },
       "containerDefinitions[0].portMappings[0].hostPort: 0 differs from containerPort 80"},
      {"protocol udp", [](Request& r) { App(r)->mutable_port_mappings(0)->set_protocol("udp"); },
       ""},
      {"protocol sctp", [](Request& r) { App(r)->mutable_port_mappings(0)->set_protocol("sctp"); },
       "containerDefinitions[0].portMappings[0].protocol: \"sctp\" is not a protocol"},
      {"protocol TCP", [](Request& r) { App(r)->mutable_port_mappings(0)->set_protocol("TCP"); },
       "containerDefinitions[0].portMappings[0].protocol: \"TCP\""},
      {"appProtocol grpc and name",
       [](Request& r) {
         App(r)->mutable_port_mappings(0)->set_app_protocol("grpc");
         App(r)->mutable_port_mappings(0)->set_name("web-80");
       },
       ""},
      {"appProtocol https",
       [](Request& r) { App(r)->mutable_port_mappings(0)->set_app_protocol("https"); },
       "containerDefinitions[0].portMappings[0].appProtocol: \"https\" is not an application "
       "protocol"},
      {"range valid", [](Request& r) { AddRange(Sidecar(r), "8000-8010"); }, ""},
      {"range reversed", [](Request& r) { AddRange(Sidecar(r), "8010-8000"); },
       "containerDefinitions[1].portMappings[0].containerPortRange: \"8010-8000\" is not a port "
       "range"},
      {"range single", [](Request& r) { AddRange(Sidecar(r), "8000-8000"); },
       "containerPortRange: \"8000-8000\" is not a port range"},
      {"range no dash", [](Request& r) { AddRange(Sidecar(r), "8000"); },
       "containerPortRange: \"8000\" is not a port range"},
      {"range from 0", [](Request& r) { AddRange(Sidecar(r), "0-10"); },
       "containerPortRange: \"0-10\" is not a port range"},
      {"range to 65536", [](Request& r) { AddRange(Sidecar(r), "9000-65536"); },
       "containerPortRange: \"9000-65536\" is not a port range"},
      {"range with hostPort",
       [](Request& r) {
         AddRange(Sidecar(r), "8000-8010");
         Sidecar(r)->mutable_port_mappings(0)->set_host_port(8000);
       },
       "containerDefinitions[1].portMappings[0].hostPort: must be absent when containerPortRange "
       "is used"},
      {"range with containerPort",
       [](Request& r) {
         AddRange(Sidecar(r), "8000-8010");
         Sidecar(r)->mutable_port_mappings(0)->set_container_port(8000);
       },
       "containerDefinitions[1].portMappings[0].containerPort: must be absent when "
       "containerPortRange is used"},
      {"100 ranges",
       [](Request& r) {
         for (int i = 0; i < 100; ++i)
           AddRange(Sidecar(r), absl::StrCat(10000 + 2 * i, "-", 10001 + 2 * i));
       },
       ""},
      {"101 ranges",
       [](Request& r) {
         for (int i = 0; i < 101; ++i)
           AddRange(Sidecar(r), absl::StrCat(10000 + 2 * i, "-", 10001 + 2 * i));
       },
       "containerDefinitions[1].portMappings: 101 port ranges is more than the limit"},
      {"same port in two containers", [](Request& r) { AddPort(Sidecar(r), 80); },
       "containerDefinitions[1].portMappings[0]: 80/tcp is already mapped by "
       "containerDefinitions[0].portMappings[0]"},
      {"same port explicit tcp", [](Request& r) { AddPort(Sidecar(r), 80, "tcp"); },
       "containerDefinitions[1].portMappings[0]: 80/tcp is already mapped"},
      {"same port other protocol", [](Request& r) { AddPort(Sidecar(r), 80, "udp"); }, ""},
      {"same port in one container", [](Request& r) { AddPort(App(r), 80); },
       "containerDefinitions[0].portMappings[1]: 80/tcp is already mapped by "
       "containerDefinitions[0].portMappings[0]"},
      {"range overlapping a port", [](Request& r) { AddRange(Sidecar(r), "70-90"); },
       "containerDefinitions[1].portMappings[0]: 70-90/tcp is already mapped by "
       "containerDefinitions[0].portMappings[0]"},
      {"ranges overlapping",
       [](Request& r) {
         AddRange(Sidecar(r), "8000-8010");
         AddRange(Sidecar(r), "8010-8020");
       },
       "containerDefinitions[1].portMappings[1]: 8010-8020/tcp is already mapped by "
       "containerDefinitions[1].portMappings[0]"},
  });
}

TEST(ValidateContainers, LinuxParameters) {
  RunValidateCases({
      {"add SYS_PTRACE",
       [](Request& r) {
         Sidecar(r)->mutable_linux_parameters()->mutable_capabilities()->add_add("SYS_PTRACE");
       },
       ""},
      {"add SYS_ADMIN",
       [](Request& r) {
         Sidecar(r)->mutable_linux_parameters()->mutable_capabilities()->add_add("SYS_ADMIN");
       },
       "containerDefinitions[1].linuxParameters.capabilities.add[0]: \"SYS_ADMIN\" is not "
       "allowed on Fargate; only SYS_PTRACE can be added"},
      {"add NET_ADMIN second",
       [](Request& r) {
         auto* caps = Sidecar(r)->mutable_linux_parameters()->mutable_capabilities();
         caps->add_add("SYS_PTRACE");
         caps->add_add("NET_ADMIN");
       },
       "containerDefinitions[1].linuxParameters.capabilities.add[1]: \"NET_ADMIN\" is not "
       "allowed on Fargate; only SYS_PTRACE can be added"},
      {"drop anything",
       [](Request& r) {
         auto* caps = Sidecar(r)->mutable_linux_parameters()->mutable_capabilities();
         caps->add_drop("ALL");
         caps->add_drop("NET_RAW");
         caps->add_drop("SYS_ADMIN");
       },
       ""},
      {"drop unknown name",
       [](Request& r) {
         Sidecar(r)->mutable_linux_parameters()->mutable_capabilities()->add_drop("CAP_NET_RAW");
       },
       "containerDefinitions[1].linuxParameters.capabilities.drop[0]: \"CAP_NET_RAW\" is not a "
       "Linux capability"},
      {"initProcessEnabled",
       [](Request& r) { Sidecar(r)->mutable_linux_parameters()->set_init_process_enabled(true); },
       ""},
      {"devices",
       [](Request& r) {
         Sidecar(r)->mutable_linux_parameters()->add_devices()->set_host_path("/dev/fuse");
       },
       "containerDefinitions[1].linuxParameters.devices: not supported on Fargate"},
      {"sharedMemorySize",
       [](Request& r) { Sidecar(r)->mutable_linux_parameters()->set_shared_memory_size(64); },
       "containerDefinitions[1].linuxParameters.sharedMemorySize: not supported on Fargate"},
      {"tmpfs",
       [](Request& r) {
         Sidecar(r)->mutable_linux_parameters()->add_tmpfs()->set_container_path("/tmp");
       },
       "containerDefinitions[1].linuxParameters.tmpfs: not supported on Fargate"},
      {"maxSwap", [](Request& r) { Sidecar(r)->mutable_linux_parameters()->set_max_swap(0); },
       "containerDefinitions[1].linuxParameters.maxSwap: not supported on Fargate"},
      {"swappiness", [](Request& r) { Sidecar(r)->mutable_linux_parameters()->set_swappiness(60); },
       "containerDefinitions[1].linuxParameters.swappiness: not supported on Fargate"},
  });
}

TEST(ValidateContainers, EnvironmentAndSecrets) {
  RunValidateCases({
      {"environment name missing",
       [](Request& r) { Sidecar(r)->add_environment()->set_value("x"); },
       "containerDefinitions[1].environment[0].name: missing"},
      {"environment value empty",
       [](Request& r) { Sidecar(r)->add_environment()->set_name("EMPTY"); }, ""},
      {"environmentFiles valid",
       [](Request& r) {
         auto* file = Sidecar(r)->add_environment_files();
         file->set_value("arn:aws:s3:::my-bucket/config/app.env");
         file->set_type("s3");
       },
       ""},
      {"environmentFiles 11",
       [](Request& r) {
         for (int i = 0; i < 11; ++i) {
           auto* file = Sidecar(r)->add_environment_files();
           file->set_value(absl::StrCat("arn:aws:s3:::b/", i, ".env"));
           file->set_type("s3");
         }
       },
       "containerDefinitions[1].environmentFiles: 11 files is more than the limit; use at most 10"},
      {"environmentFiles type local",
       [](Request& r) {
         auto* file = Sidecar(r)->add_environment_files();
         file->set_value("arn:aws:s3:::b/a.env");
         file->set_type("local");
       },
       "containerDefinitions[1].environmentFiles[0].type: \"local\" is not supported; use \"s3\""},
      {"environmentFiles type missing",
       [](Request& r) { Sidecar(r)->add_environment_files()->set_value("arn:aws:s3:::b/a.env"); },
       "containerDefinitions[1].environmentFiles[0].type: missing; use \"s3\""},
      {"environmentFiles not .env",
       [](Request& r) {
         auto* file = Sidecar(r)->add_environment_files();
         file->set_value("arn:aws:s3:::b/a.txt");
         file->set_type("s3");
       },
       "containerDefinitions[1].environmentFiles[0].value: \"arn:aws:s3:::b/a.txt\" is not an S3 "
       "object ARN ending in .env"},
      {"environmentFiles not an ARN",
       [](Request& r) {
         auto* file = Sidecar(r)->add_environment_files();
         file->set_value("s3://b/a.env");
         file->set_type("s3");
       },
       "containerDefinitions[1].environmentFiles[0].value: \"s3://b/a.env\""},
      {"environmentFiles without execution role",
       [](Request& r) {
         r.clear_execution_role_arn();
         auto* file = Sidecar(r)->add_environment_files();
         file->set_value("arn:aws:s3:::b/a.env");
         file->set_type("s3");
       },
       "containerDefinitions[1].environmentFiles: Fargate requires task definition to have "
       "execution role ARN to support environment files"},
      {"secrets valid",
       [](Request& r) {
         auto* secret = Sidecar(r)->add_secrets();
         secret->set_name("DB_PASSWORD");
         secret->set_value_from("arn:aws:ssm:eu-west-1:123456789012:parameter/db");
       },
       ""},
      {"secrets without execution role",
       [](Request& r) {
         r.clear_execution_role_arn();
         auto* secret = Sidecar(r)->add_secrets();
         secret->set_name("DB_PASSWORD");
         secret->set_value_from("db-password");
       },
       "containerDefinitions[1].secrets: Fargate requires task definition to have execution role "
       "ARN to support secrets; set executionRoleArn"},
      {"secret name missing",
       [](Request& r) { Sidecar(r)->add_secrets()->set_value_from("db-password"); },
       "containerDefinitions[1].secrets[0].name: missing"},
      {"secret valueFrom Secrets Manager ARN with JSON key",
       [](Request& r) {
         auto* secret = Sidecar(r)->add_secrets();
         secret->set_name("DB_USER");
         secret->set_value_from(
             "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:username::");
       },
       ""},
      {"secret valueFrom SSM name",
       [](Request& r) {
         auto* secret = Sidecar(r)->add_secrets();
         secret->set_name("DB_USER");
         secret->set_value_from("/prod/db/user");
       },
       ""},
      {"secret valueFrom other ARN",
       [](Request& r) {
         auto* secret = Sidecar(r)->add_secrets();
         secret->set_name("DB_USER");
         secret->set_value_from("arn:aws:s3:::bucket/user");
       },
       "containerDefinitions[1].secrets[0].valueFrom: \"arn:aws:s3:::bucket/user\" is neither a "
       "Secrets Manager nor an SSM parameter ARN"},
      {"secret valueFrom missing", [](Request& r) { Sidecar(r)->add_secrets()->set_name("DB"); },
       "containerDefinitions[1].secrets[0].valueFrom: missing"},
  });
}

TEST(ValidateContainers, DependsOn) {
  RunValidateCases({
      {"START", [](Request& r) { Depend(App(r), "sidecar", "START"); }, ""},
      {"COMPLETE on non-essential", [](Request& r) { Depend(App(r), "sidecar", "COMPLETE"); }, ""},
      {"SUCCESS on non-essential", [](Request& r) { Depend(App(r), "sidecar", "SUCCESS"); }, ""},
      {"HEALTHY with a health check", [](Request& r) { Depend(Sidecar(r), "app", "HEALTHY"); }, ""},
      {"unknown container", [](Request& r) { Depend(App(r), "db", "START"); },
       "containerDefinitions[0].dependsOn[0].containerName: \"db\" is not a container of this "
       "task definition"},
      {"itself", [](Request& r) { Depend(App(r), "app", "START"); },
       "containerDefinitions[0].dependsOn[0].containerName: \"app\" is the container itself"},
      {"containerName missing",
       [](Request& r) { App(r)->add_depends_on()->set_condition("START"); },
       "containerDefinitions[0].dependsOn[0].containerName: missing"},
      {"condition missing",
       [](Request& r) { App(r)->add_depends_on()->set_container_name("sidecar"); },
       "containerDefinitions[0].dependsOn[0].condition: missing; use START, COMPLETE, SUCCESS or "
       "HEALTHY"},
      {"condition unknown", [](Request& r) { Depend(App(r), "sidecar", "READY"); },
       "containerDefinitions[0].dependsOn[0].condition: \"READY\" is not a dependency condition"},
      {"condition lowercase", [](Request& r) { Depend(App(r), "sidecar", "start"); },
       "containerDefinitions[0].dependsOn[0].condition: \"start\""},
      {"COMPLETE on essential", [](Request& r) { Depend(Sidecar(r), "app", "COMPLETE"); },
       "containerDefinitions[1].dependsOn[0].condition: \"COMPLETE\" needs a non-essential "
       "target, but \"app\" is essential"},
      {"SUCCESS on essential by default",
       [](Request& r) {
         App(r)->clear_essential();
         Depend(Sidecar(r), "app", "SUCCESS");
       },
       "containerDefinitions[1].dependsOn[0].condition: \"SUCCESS\" needs a non-essential target"},
      {"HEALTHY without a health check", [](Request& r) { Depend(App(r), "sidecar", "HEALTHY"); },
       "containerDefinitions[0].dependsOn[0].condition: \"HEALTHY\" needs a healthCheck on "
       "\"sidecar\""},
      {"two-container cycle",
       [](Request& r) {
         Depend(App(r), "sidecar", "START");
         Depend(Sidecar(r), "app", "START");
       },
       "containerDefinitions[1].dependsOn[0]: dependency cycle \"app\" -> \"sidecar\" -> \"app\"; "
       "dependsOn must not form a cycle"},
      {"three-container cycle",
       [](Request& r) {
         auto* third = r.add_container_definitions();
         third->set_name("init");
         third->set_image("busybox");
         third->set_essential(false);
         Depend(App(r), "init", "START");
         Depend(third, "sidecar", "START");
         Depend(Sidecar(r), "app", "START");
       },
       "containerDefinitions[1].dependsOn[0]: dependency cycle \"app\" -> \"init\" -> "
       "\"sidecar\" -> \"app\""},
      {"diamond is not a cycle",
       [](Request& r) {
         auto* third = r.add_container_definitions();
         third->set_name("init");
         third->set_image("busybox");
         third->set_essential(false);
         Depend(App(r), "init", "START");
         Depend(App(r), "sidecar", "START");
         Depend(Sidecar(r), "init", "START");
       },
       ""},
  });
}

TEST(ValidateContainers, TimeoutsVersionAndUser) {
  RunValidateCases({
      {"startTimeout 2", [](Request& r) { Sidecar(r)->set_start_timeout(2); }, ""},
      {"startTimeout 1", [](Request& r) { Sidecar(r)->set_start_timeout(1); },
       "containerDefinitions[1].startTimeout: 1 s is out of range; use 2 to 120 s"},
      {"startTimeout 121", [](Request& r) { Sidecar(r)->set_start_timeout(121); },
       "containerDefinitions[1].startTimeout: 121 s is out of range"},
      {"stopTimeout 120", [](Request& r) { Sidecar(r)->set_stop_timeout(120); }, ""},
      {"stopTimeout 121", [](Request& r) { Sidecar(r)->set_stop_timeout(121); },
       "containerDefinitions[1].stopTimeout: 121 s is out of range; use 2 to 120 s"},
      {"stopTimeout 1", [](Request& r) { Sidecar(r)->set_stop_timeout(1); },
       "containerDefinitions[1].stopTimeout: 1 s is out of range"},
      {"versionConsistency disabled",
       [](Request& r) { Sidecar(r)->set_version_consistency("disabled"); }, ""},
      {"versionConsistency on", [](Request& r) { Sidecar(r)->set_version_consistency("on"); },
       "containerDefinitions[1].versionConsistency: \"on\" is not valid; use \"enabled\" or "
       "\"disabled\""},
      {"user name", [](Request& r) { Sidecar(r)->set_user("nginx"); }, ""},
      {"user uid:gid", [](Request& r) { Sidecar(r)->set_user("1000:1000"); }, ""},
      {"user name:gid", [](Request& r) { Sidecar(r)->set_user("www-data:33"); }, ""},
      {"user root uid", [](Request& r) { Sidecar(r)->set_user("0"); }, ""},
      {"user empty", [](Request& r) { Sidecar(r)->set_user(""); },
       "containerDefinitions[1].user: \"\" is not a user"},
      {"user three parts", [](Request& r) { Sidecar(r)->set_user("a:b:c"); },
       "containerDefinitions[1].user: \"a:b:c\" is not a user"},
      {"user negative", [](Request& r) { Sidecar(r)->set_user("-1"); },
       "containerDefinitions[1].user: \"-1\" is not a user"},
      {"user with a space", [](Request& r) { Sidecar(r)->set_user("web user"); },
       "containerDefinitions[1].user: \"web user\""},
      {"user uid too large", [](Request& r) { Sidecar(r)->set_user("4294967295"); },
       "containerDefinitions[1].user: \"4294967295\""},
      {"user empty group", [](Request& r) { Sidecar(r)->set_user("web:"); },
       "containerDefinitions[1].user: \"web:\""},
  });
}

TEST(ValidateContainers, RestartPolicy) {
  RunValidateCases({
      {"valid",
       [](Request& r) {
         auto* policy = Sidecar(r)->mutable_restart_policy();
         policy->set_enabled(true);
         policy->add_ignored_exit_codes(0);
         policy->set_restart_attempt_period(60);
       },
       ""},
      {"enabled missing",
       [](Request& r) { Sidecar(r)->mutable_restart_policy()->set_restart_attempt_period(300); },
       "containerDefinitions[1].restartPolicy.enabled: missing"},
      {"period 59",
       [](Request& r) {
         Sidecar(r)->mutable_restart_policy()->set_enabled(true);
         Sidecar(r)->mutable_restart_policy()->set_restart_attempt_period(59);
       },
       "containerDefinitions[1].restartPolicy.restartAttemptPeriod: 59 s is out of range; use 60 "
       "to 1800 s"},
      {"period 1800",
       [](Request& r) {
         Sidecar(r)->mutable_restart_policy()->set_enabled(true);
         Sidecar(r)->mutable_restart_policy()->set_restart_attempt_period(1800);
       },
       ""},
      {"period 1801",
       [](Request& r) {
         Sidecar(r)->mutable_restart_policy()->set_enabled(true);
         Sidecar(r)->mutable_restart_policy()->set_restart_attempt_period(1801);
       },
       "containerDefinitions[1].restartPolicy.restartAttemptPeriod: 1801 s is out of range"},
      {"51 exit codes",
       [](Request& r) {
         Sidecar(r)->mutable_restart_policy()->set_enabled(true);
         for (int i = 0; i < 51; ++i)
           Sidecar(r)->mutable_restart_policy()->add_ignored_exit_codes(i);
       },
       "containerDefinitions[1].restartPolicy.ignoredExitCodes: 51 exit codes is more than the "
       "limit"},
  });
}

TEST(ValidateContainers, Ulimits) {
  RunValidateCases({
      {"nofile", [](Request& r) { AddUlimit(Sidecar(r), "nofile", 65535, 1048576); }, ""},
      {"unknown name", [](Request& r) { AddUlimit(Sidecar(r), "files", 1, 2); },
       "containerDefinitions[1].ulimits[0].name: \"files\" is not a ulimit; use core, cpu"},
      {"soft above hard", [](Request& r) { AddUlimit(Sidecar(r), "nproc", 20, 10); },
       "containerDefinitions[1].ulimits[0].softLimit: 20 is above the hard limit (10)"},
      {"soft missing",
       [](Request& r) {
         auto* ulimit = Sidecar(r)->add_ulimits();
         ulimit->set_name("core");
         ulimit->set_hard_limit(0);
       },
       "containerDefinitions[1].ulimits[0].softLimit: missing"},
      {"hard missing",
       [](Request& r) {
         auto* ulimit = Sidecar(r)->add_ulimits();
         ulimit->set_name("core");
         ulimit->set_soft_limit(0);
       },
       "containerDefinitions[1].ulimits[0].hardLimit: missing"},
      {"nofile above Fargate's limit",
       [](Request& r) { AddUlimit(Sidecar(r), "nofile", 1024, 1048577); },
       "containerDefinitions[1].ulimits[0].hardLimit: 1048577 is above Fargate's nofile limit"},
      {"duplicate name",
       [](Request& r) {
         AddUlimit(Sidecar(r), "nofile", 1024, 2048);
         AddUlimit(Sidecar(r), "nofile", 1024, 4096);
       },
       "containerDefinitions[1].ulimits[1].name: \"nofile\" is already set by "
       "containerDefinitions[1].ulimits[0]"},
  });
}

TEST(ValidateContainers, HealthCheck) {
  auto check = [](Request& r) { return App(r)->mutable_health_check(); };
  RunValidateCases({
      {"CMD form",
       [check](Request& r) {
         check(r)->clear_command();
         check(r)->add_command("CMD");
         check(r)->add_command("/healthz");
       },
       ""},
      {"all limits at their bounds",
       [check](Request& r) {
         check(r)->set_interval(5);
         check(r)->set_timeout(60);
         check(r)->set_retries(10);
         check(r)->set_start_period(0);
       },
       ""},
      {"upper and lower bounds",
       [check](Request& r) {
         check(r)->set_interval(300);
         check(r)->set_timeout(2);
         check(r)->set_retries(1);
         check(r)->set_start_period(300);
       },
       ""},
      {"command missing", [check](Request& r) { check(r)->clear_command(); },
       "containerDefinitions[0].healthCheck.command: missing"},
      {"command without CMD",
       [check](Request& r) {
         check(r)->clear_command();
         check(r)->add_command("curl");
       },
       "containerDefinitions[0].healthCheck.command[0]: \"curl\" must be \"CMD\" or "
       "\"CMD-SHELL\""},
      {"command only CMD-SHELL",
       [check](Request& r) {
         check(r)->clear_command();
         check(r)->add_command("CMD-SHELL");
       },
       "containerDefinitions[0].healthCheck.command: has only \"CMD-SHELL\""},
      {"interval 4", [check](Request& r) { check(r)->set_interval(4); },
       "containerDefinitions[0].healthCheck.interval: 4 s is out of range; use 5 to 300 s"},
      {"interval 301", [check](Request& r) { check(r)->set_interval(301); },
       "containerDefinitions[0].healthCheck.interval: 301 s is out of range"},
      {"timeout 1", [check](Request& r) { check(r)->set_timeout(1); },
       "containerDefinitions[0].healthCheck.timeout: 1 s is out of range; use 2 to 60 s"},
      {"timeout 61", [check](Request& r) { check(r)->set_timeout(61); },
       "containerDefinitions[0].healthCheck.timeout: 61 s is out of range"},
      {"retries 0", [check](Request& r) { check(r)->set_retries(0); },
       "containerDefinitions[0].healthCheck.retries: 0 is out of range; use 1 to 10"},
      {"retries 11", [check](Request& r) { check(r)->set_retries(11); },
       "containerDefinitions[0].healthCheck.retries: 11 is out of range"},
      {"startPeriod -1", [check](Request& r) { check(r)->set_start_period(-1); },
       "containerDefinitions[0].healthCheck.startPeriod: -1 s is out of range; use 0 to 300 s"},
      {"startPeriod 301", [check](Request& r) { check(r)->set_start_period(301); },
       "containerDefinitions[0].healthCheck.startPeriod: 301 s is out of range"},
  });
}

}  // namespace
}  // namespace gantry::taskdef
