// containerDefinitions[i] (contract 1.3), member by member in ECS's order. The members
// with more structure live in container_runtime_rules.cc, port_rules.cc,
// volume_rules.cc, logging_rules.cc and dependency_rules.cc.
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "taskdef/internal/problems.h"
#include "taskdef/internal/rules.h"
#include "taskdef/taskdef.h"

namespace gantry::taskdef::internal {
namespace {

using gantry::v1::ContainerDefinition;

constexpr size_t kMaxImageReferenceLength = 255;
constexpr size_t kSha256HexLength = 64;
constexpr int32_t kMinContainerMemoryMiB = 6;
constexpr int kMaxEnvironmentFiles = 10;

bool IsImageChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("-_:./#").find(c) != absl::string_view::npos;
}

// "repo/image:tag" (letters, digits, - _ : . / #, up to 255) or
// "repo@sha256:<64 lowercase hex>" with the same rule for the part before `@`.
bool IsImageReference(absl::string_view image) {
  const size_t at = image.find('@');
  const absl::string_view name = image.substr(0, at);
  if (name.empty() || name.size() > kMaxImageReferenceLength) {
    return false;
  }
  for (char c : name) {
    if (!IsImageChar(c)) {
      return false;
    }
  }
  if (at == absl::string_view::npos) {
    return true;
  }
  const absl::string_view digest = image.substr(at + 1);
  if (!absl::StartsWith(digest, "sha256:")) {
    return false;
  }
  const absl::string_view hex = digest.substr(7);
  return hex.size() == kSha256HexLength && IsHex(hex) && absl::AsciiStrToLower(hex) == hex;
}

void CheckIdentity(const TaskContext& ctx, int index, absl::string_view path, Problems* problems) {
  const ContainerDefinition& c = ctx.request.container_definitions(index);
  const std::string name_path = Field(path, "name");
  if (!c.has_name() || c.name().empty()) {
    problems->Add(name_path, "missing; use 1-255 letters, digits, hyphens and underscores");
  } else if (!IsValidName(c.name())) {
    problems->Add(name_path, absl::StrCat(Quote(c.name()),
                                          " is not a valid container name; use 1-255 letters, "
                                          "digits, hyphens and underscores"));
  } else if (const int first = ctx.container_index.at(c.name()); first != index) {
    problems->Add(name_path,
                  absl::StrCat(Quote(c.name()), " is already used by containerDefinitions[", first,
                               "]; container names must be unique"));
  }
  const std::string image_path = Field(path, "image");
  if (!c.has_image() || c.image().empty()) {
    problems->Add(image_path, "missing; every container needs an image");
  } else if (!IsImageReference(c.image())) {
    problems->Add(image_path,
                  absl::StrCat(Quote(c.image()),
                               " is not an image reference; use up to 255 letters, digits and "
                               "- _ : . / # (\"repository:tag\"), optionally followed by "
                               "@sha256: and 64 lowercase hex digits"));
  }
  if (c.has_repository_credentials()) {
    const std::string creds_path = Field(path, "repositoryCredentials");
    RequireExecutionRole(ctx, "private registry authentication", creds_path, problems);
    if (c.repository_credentials().credentials_parameter().empty()) {
      problems->Add(Field(creds_path, "credentialsParameter"),
                    "missing; use the ARN of a Secrets Manager secret");
    }
  }
}

void CheckMemoryValue(const TaskContext& ctx, int32_t mib, absl::string_view path,
                      Problems* problems) {
  if (mib < kMinContainerMemoryMiB) {
    problems->Add(path, absl::StrCat(mib, " MiB is below the minimum; use at least 6 MiB"));
  } else if (ctx.task_memory && mib > *ctx.task_memory) {
    problems->Add(path, absl::StrCat(mib, " MiB is more than the task memory (", *ctx.task_memory,
                                     " MiB); use at most ", *ctx.task_memory, " MiB"));
  }
}

void CheckResources(const TaskContext& ctx, const ContainerDefinition& c, absl::string_view path,
                    Problems* problems) {
  if (c.has_cpu() && c.cpu() < 0) {
    problems->Add(Field(path, "cpu"),
                  absl::StrCat(c.cpu(), " is negative; use 0 or more CPU units"));
  }
  if (c.has_memory()) {
    CheckMemoryValue(ctx, c.memory(), Field(path, "memory"), problems);
  }
  if (c.has_memory_reservation()) {
    const std::string reservation_path = Field(path, "memoryReservation");
    CheckMemoryValue(ctx, c.memory_reservation(), reservation_path, problems);
    if (c.has_memory() && c.memory_reservation() >= c.memory()) {
      problems->Add(reservation_path,
                    absl::StrCat(c.memory_reservation(), " MiB must be less than memory (",
                                 c.memory(), " MiB); lower memoryReservation or raise memory"));
    }
  }
}

void CheckEnvironment(const TaskContext& ctx, const ContainerDefinition& c, absl::string_view path,
                      Problems* problems) {
  for (int k = 0; k < c.environment_size(); ++k) {
    if (c.environment(k).name().empty()) {
      problems->Add(Field(Item(Field(path, "environment"), k), "name"),
                    "missing; every environment variable needs a name");
    }
  }
  const std::string files_path = Field(path, "environmentFiles");
  if (c.environment_files_size() == 0) {
    return;
  }
  if (c.environment_files_size() > kMaxEnvironmentFiles) {
    problems->Add(files_path, absl::StrCat(c.environment_files_size(),
                                           " files is more than the limit; use at most 10"));
  }
  RequireExecutionRole(ctx, "environment files", files_path, problems);
  for (int k = 0; k < c.environment_files_size(); ++k) {
    const gantry::v1::EnvironmentFile& file = c.environment_files(k);
    const std::string item = Item(files_path, k);
    const std::string& value = file.value();
    const size_t s3 = value.find(":s3:::");
    if (!absl::StartsWith(value, "arn:") || s3 == std::string::npos ||
        value.find('/', s3) == std::string::npos || !absl::EndsWith(value, ".env")) {
      problems->Add(Field(item, "value"),
                    absl::StrCat(Quote(value),
                                 " is not an S3 object ARN ending in .env; use "
                                 "\"arn:aws:s3:::bucket/path/file.env\""));
    }
    if (file.type() != "s3") {
      problems->Add(Field(item, "type"),
                    absl::StrCat(file.has_type() ? Quote(file.type()) : "missing",
                                 file.has_type() ? " is not supported" : "", "; use \"s3\""));
    }
  }
}

// Members 26-32 that have no meaning, or are not allowed, in an awsvpc task on Fargate.
void CheckRefusedNetworking(const ContainerDefinition& c, absl::string_view path,
                            Problems* problems) {
  if (c.disable_networking()) {
    // Our choice (contract 1.3): false is accepted, true is meaningless on Fargate.
    problems->Add(Field(path, "disableNetworking"),
                  "true is not allowed on Fargate; remove it or set it to false");
  }
  if (c.privileged()) {
    problems->Add(Field(path, "privileged"),
                  "true is not allowed on Fargate; remove it or set it to false");
  }
  if (c.dns_servers_size() > 0) {
    problems->Add(Field(path, "dnsServers"), "not supported on Fargate; remove it");
  }
  if (c.dns_search_domains_size() > 0) {
    problems->Add(Field(path, "dnsSearchDomains"), "not supported on Fargate; remove it");
  }
  if (c.extra_hosts_size() > 0) {
    problems->Add(Field(path, "extraHosts"), "not supported with networkMode awsvpc; remove it");
  }
  if (c.docker_security_options_size() > 0) {
    problems->Add(Field(path, "dockerSecurityOptions"), "not supported on Fargate; remove it");
  }
}

void CheckVersionConsistency(const ContainerDefinition& c, absl::string_view path,
                             Problems* problems) {
  if (c.has_version_consistency() && c.version_consistency() != "enabled" &&
      c.version_consistency() != "disabled") {
    problems->Add(Field(path, "versionConsistency"),
                  absl::StrCat(Quote(c.version_consistency()),
                               " is not valid; use \"enabled\" or \"disabled\""));
  }
}

void CheckAccelerators(const ContainerDefinition& c, absl::string_view path, Problems* problems) {
  for (int k = 0; k < c.resource_requirements_size(); ++k) {
    problems->Add(Item(Field(path, "resourceRequirements"), k),
                  absl::StrCat(Quote(c.resource_requirements(k).type()),
                               " is not available on Fargate (no GPU, InferenceAccelerator or "
                               "NeuronDevice); remove it"));
  }
}

// Members 1-18.
void CheckFirstHalf(const TaskContext& ctx, int index, absl::string_view path, PortRegistry* ports,
                    Problems* problems) {
  const ContainerDefinition& c = ctx.request.container_definitions(index);
  CheckIdentity(ctx, index, path, problems);
  CheckResources(ctx, c, path, problems);
  if (c.links_size() > 0) {
    problems->Add(Field(path, "links"),
                  "not supported with networkMode awsvpc (containers reach each other on "
                  "localhost); remove it");
  }
  CheckPortMappings(c, path, ports, problems);
  if (c.has_restart_policy()) {
    CheckRestartPolicy(c.restart_policy(), Field(path, "restartPolicy"), problems);
  }
  CheckEnvironment(ctx, c, path, problems);
  CheckMountPoints(ctx, c, path, problems);
  CheckVolumesFrom(ctx, index, path, problems);
  if (c.has_linux_parameters()) {
    CheckLinuxParameters(c.linux_parameters(), Field(path, "linuxParameters"), problems);
  }
  CheckSecrets(ctx, c.secrets(), "secrets", Field(path, "secrets"), problems);
}

}  // namespace

void CheckContainer(const TaskContext& ctx, int index, PortRegistry* ports, Problems* problems) {
  const ContainerDefinition& c = ctx.request.container_definitions(index);
  const std::string path = Item("containerDefinitions", index);
  CheckFirstHalf(ctx, index, path, ports, problems);
  CheckDependsOn(ctx, index, path, problems);
  CheckTimeout(c, /*start=*/true, path, problems);
  CheckTimeout(c, /*start=*/false, path, problems);
  CheckVersionConsistency(c, path, problems);
  if (c.has_hostname()) {
    problems->Add(Field(path, "hostname"), "not supported with networkMode awsvpc; remove it");
  }
  if (c.has_user()) {
    CheckUser(c.user(), Field(path, "user"), problems);
  }
  CheckRefusedNetworking(c, path, problems);
  CheckUlimits(c, path, problems);
  if (c.has_log_configuration()) {
    CheckLogConfiguration(ctx, c.log_configuration(), Field(path, "logConfiguration"), problems);
  }
  if (c.has_health_check()) {
    CheckHealthCheck(c.health_check(), Field(path, "healthCheck"), problems);
  }
  CheckAccelerators(c, path, problems);
  if (c.has_firelens_configuration()) {
    CheckFirelensConfiguration(ctx, index, Field(path, "firelensConfiguration"), problems);
  }
  if (c.credential_specs_size() > 0) {
    problems->Add(Field(path, "credentialSpecs"),
                  "not supported on Fargate Linux (gMSA is for Windows); remove it");
  }
}

}  // namespace gantry::taskdef::internal
