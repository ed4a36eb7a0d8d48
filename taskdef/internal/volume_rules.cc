// volumes (contract 1.7) and the container members that use them: mountPoints and
// volumesFrom (contract 1.3).
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "taskdef/internal/problems.h"
#include "taskdef/internal/rules.h"
#include "taskdef/taskdef.h"

namespace gantry::taskdef::internal {
namespace {

using gantry::v1::EFSVolumeConfiguration;
using gantry::v1::Volume;

constexpr int32_t kMaxPort = 65535;

// "fs-" or "fsap-" followed by hex digits.
bool HasHexId(absl::string_view value, absl::string_view prefix) {
  return absl::StartsWith(value, prefix) && IsHex(value.substr(prefix.size()));
}

bool IsEnabledOrDisabled(absl::string_view value) {
  return value == "ENABLED" || value == "DISABLED";
}

void CheckVolumeName(const TaskContext& ctx, const Volume& volume, int index, bool configured,
                     absl::string_view path, Problems* problems) {
  const std::string name_path = Field(path, "name");
  if (!volume.has_name() || volume.name().empty()) {
    // The contract requires a name when a configuration member is given; a bare
    // unnamed volume can never be mounted, but ECS accepts it.
    if (configured) {
      problems->Add(name_path, "missing; use 1-255 letters, digits, hyphens and underscores");
    }
    return;
  }
  if (!IsValidName(volume.name())) {
    problems->Add(name_path, absl::StrCat(Quote(volume.name()),
                                          " is not a valid volume name; use 1-255 letters, "
                                          "digits, hyphens and underscores"));
  }
  const int first = ctx.volume_index.at(volume.name());
  if (first != index) {
    problems->Add(name_path, absl::StrCat(Quote(volume.name()), " is already used by volumes[",
                                          first, "]; volume names must be unique"));
  }
}

int CountConfigurations(const Volume& volume) {
  return (volume.has_host() ? 1 : 0) + (volume.has_docker_volume_configuration() ? 1 : 0) +
         (volume.has_efs_volume_configuration() ? 1 : 0) +
         (volume.has_fsx_windows_file_server_volume_configuration() ? 1 : 0) +
         (volume.configured_at_launch() ? 1 : 0);
}

void CheckEfsAuthorization(const EFSVolumeConfiguration& efs, absl::string_view path,
                           Problems* problems) {
  if (!efs.has_authorization_config()) {
    return;
  }
  const auto& auth = efs.authorization_config();
  const std::string auth_path = Field(path, "authorizationConfig");
  if (auth.has_access_point_id() && !HasHexId(auth.access_point_id(), "fsap-")) {
    problems->Add(Field(auth_path, "accessPointId"),
                  absl::StrCat(Quote(auth.access_point_id()),
                               " is not an access point id; use \"fsap-\" followed by hex digits"));
  }
  if (auth.has_iam() && !IsEnabledOrDisabled(auth.iam())) {
    problems->Add(
        Field(auth_path, "iam"),
        absl::StrCat(Quote(auth.iam()), " is not valid; use \"ENABLED\" or \"DISABLED\""));
  }
}

void CheckEfsEncryption(const EFSVolumeConfiguration& efs, absl::string_view path,
                        Problems* problems) {
  const std::string encryption_path = Field(path, "transitEncryption");
  const bool access_point = efs.authorization_config().has_access_point_id();
  const bool iam = efs.authorization_config().iam() == "ENABLED";
  if (efs.has_transit_encryption() && !IsEnabledOrDisabled(efs.transit_encryption())) {
    problems->Add(encryption_path, absl::StrCat(Quote(efs.transit_encryption()),
                                                " is not valid; use \"ENABLED\" or \"DISABLED\""));
  } else if (efs.transit_encryption() != "ENABLED" && (access_point || iam)) {
    problems->Add(encryption_path,
                  absl::StrCat(efs.has_transit_encryption() ? "\"DISABLED\"" : "absent (DISABLED)",
                               " is not allowed with ",
                               access_point ? "an access point" : "IAM authorization",
                               "; set it to \"ENABLED\""));
  }
  if (efs.has_transit_encryption_port() &&
      (efs.transit_encryption_port() < 1 || efs.transit_encryption_port() > kMaxPort)) {
    problems->Add(Field(path, "transitEncryptionPort"),
                  absl::StrCat(efs.transit_encryption_port(), " is out of range; use 1 to 65535"));
  }
}

void CheckEfs(const EFSVolumeConfiguration& efs, absl::string_view path, Problems* problems) {
  if (!efs.has_file_system_id() || efs.file_system_id().empty()) {
    problems->Add(Field(path, "fileSystemId"), "missing; use \"fs-\" followed by hex digits");
  } else if (!HasHexId(efs.file_system_id(), "fs-")) {
    problems->Add(Field(path, "fileSystemId"),
                  absl::StrCat(Quote(efs.file_system_id()),
                               " is not a file system id; use \"fs-\" followed by hex digits"));
  }
  if (efs.has_root_directory()) {
    const std::string& root = efs.root_directory();
    if (efs.authorization_config().has_access_point_id() && root != "/") {
      problems->Add(Field(path, "rootDirectory"),
                    absl::StrCat(Quote(root),
                                 " is not allowed with an access point; omit rootDirectory or use "
                                 "\"/\" (the access point sets the root)"));
    } else if (!absl::StartsWith(root, "/")) {
      // Our choice: the EFS mount helper needs an absolute path inside the file system.
      problems->Add(Field(path, "rootDirectory"),
                    absl::StrCat(Quote(root), " is not an absolute path; start it with \"/\""));
    }
  }
  CheckEfsEncryption(efs, path, problems);
  CheckEfsAuthorization(efs, path, problems);
}

// `launch_volume` is the index of the first configuredAtLaunch volume, or -1.
void CheckVolume(const TaskContext& ctx, int index, int* launch_volume, Problems* problems) {
  const Volume& volume = ctx.request.volumes(index);
  const std::string path = Item("volumes", index);
  const int configurations = CountConfigurations(volume);
  if (configurations > 1) {
    problems->Add(path,
                  "has more than one configuration; give at most one of host, "
                  "dockerVolumeConfiguration, efsVolumeConfiguration, "
                  "fsxWindowsFileServerVolumeConfiguration and configuredAtLaunch");
  }
  CheckVolumeName(ctx, volume, index, configurations > 0, path, problems);
  if (volume.host().has_source_path()) {
    problems->Add(Field(path, "host.sourcePath"),
                  "not supported on Fargate (there is no host path); remove it for a task-scoped "
                  "volume");
  }
  if (volume.has_docker_volume_configuration()) {
    problems->Add(Field(path, "dockerVolumeConfiguration"),
                  "not supported on Fargate; use efsVolumeConfiguration or a task-scoped volume");
  }
  if (volume.has_efs_volume_configuration()) {
    CheckEfs(volume.efs_volume_configuration(), Field(path, "efsVolumeConfiguration"), problems);
  }
  if (volume.has_fsx_windows_file_server_volume_configuration()) {
    problems->Add(Field(path, "fsxWindowsFileServerVolumeConfiguration"),
                  "not supported on Fargate Linux; use efsVolumeConfiguration");
  }
  if (volume.configured_at_launch()) {
    if (*launch_volume >= 0) {
      problems->Add(Field(path, "configuredAtLaunch"),
                    absl::StrCat("only one volume may be configured at launch and volumes[",
                                 *launch_volume, "] already is; remove configuredAtLaunch"));
    } else {
      *launch_volume = index;
    }
  }
}

}  // namespace

void CheckVolumes(const TaskContext& ctx, Problems* problems) {
  int launch_volume = -1;
  for (int i = 0; i < ctx.request.volumes_size(); ++i) {
    CheckVolume(ctx, i, &launch_volume, problems);
  }
}

void CheckMountPoints(const TaskContext& ctx, const gantry::v1::ContainerDefinition& container,
                      absl::string_view path, Problems* problems) {
  for (int k = 0; k < container.mount_points_size(); ++k) {
    const gantry::v1::MountPoint& mount = container.mount_points(k);
    const std::string item = Item(Field(path, "mountPoints"), k);
    if (!mount.has_source_volume() || mount.source_volume().empty()) {
      problems->Add(Field(item, "sourceVolume"), "missing; name a volume of this task definition");
    } else if (!ctx.volume_index.contains(mount.source_volume())) {
      problems->Add(Field(item, "sourceVolume"),
                    absl::StrCat(Quote(mount.source_volume()),
                                 " is not a volume of this task definition; declare it in "
                                 "volumes"));
    }
    if (!mount.has_container_path() || mount.container_path().empty()) {
      problems->Add(Field(item, "containerPath"), "missing; use an absolute path");
    } else if (!absl::StartsWith(mount.container_path(), "/")) {
      problems->Add(Field(item, "containerPath"),
                    absl::StrCat(Quote(mount.container_path()),
                                 " is not an absolute path; start it with \"/\""));
    }
  }
}

void CheckVolumesFrom(const TaskContext& ctx, int index, absl::string_view path,
                      Problems* problems) {
  const gantry::v1::ContainerDefinition& container = ctx.request.container_definitions(index);
  for (int k = 0; k < container.volumes_from_size(); ++k) {
    const std::string& source = container.volumes_from(k).source_container();
    const std::string source_path = Field(Item(Field(path, "volumesFrom"), k), "sourceContainer");
    if (source.empty()) {
      problems->Add(source_path, "missing; name another container of this task definition");
    } else if (!ctx.container_index.contains(source)) {
      problems->Add(source_path, absl::StrCat(Quote(source),
                                              " is not a container of this task definition; "
                                              "name another of its containers"));
    } else if (source == container.name()) {
      problems->Add(source_path, absl::StrCat(Quote(source),
                                              " is the container itself; name another "
                                              "container"));
    }
  }
}

}  // namespace gantry::taskdef::internal
