// Validate(): volumes and EFS (contract 1.7), mountPoints and volumesFrom (1.3).
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "taskdef/taskdef.h"
#include "tests/taskdef/base_definition.h"

namespace gantry::taskdef {
namespace {

using gantry::v1::EFSVolumeConfiguration;
using testing::App;
using testing::Case;
using testing::Request;
using testing::RunValidateCases;
using testing::Sidecar;

EFSVolumeConfiguration* Efs(Request& r) {
  auto* volume = r.add_volumes();
  volume->set_name("shared");
  auto* efs = volume->mutable_efs_volume_configuration();
  efs->set_file_system_id("fs-0123456789abcdef0");
  return efs;
}

void Mount(gantry::v1::ContainerDefinition* c, const std::string& volume, const std::string& path) {
  auto* mount = c->add_mount_points();
  mount->set_source_volume(volume);
  mount->set_container_path(path);
}

TEST(ValidateVolumes, VolumeRules) {
  RunValidateCases({
      {"bare host volume", [](Request& r) { r.mutable_volumes(0)->mutable_host(); }, ""},
      {"unnamed bare volume", [](Request& r) { r.add_volumes(); }, ""},
      {"name invalid", [](Request& r) { r.mutable_volumes(0)->set_name("my volume"); },
       "volumes[0].name: \"my volume\" is not a valid volume name"},
      {"name duplicate", [](Request& r) { r.add_volumes()->set_name("scratch"); },
       "volumes[1].name: \"scratch\" is already used by volumes[0]; volume names must be unique"},
      {"name missing with a configuration",
       [](Request& r) {
         r.add_volumes()->mutable_efs_volume_configuration()->set_file_system_id("fs-12ab");
       },
       "volumes[1].name: missing"},
      {"host.sourcePath",
       [](Request& r) { r.mutable_volumes(0)->mutable_host()->set_source_path("/var/data"); },
       "volumes[0].host.sourcePath: not supported on Fargate"},
      {"dockerVolumeConfiguration",
       [](Request& r) {
         r.mutable_volumes(0)->mutable_docker_volume_configuration()->set_driver("local");
       },
       "volumes[0].dockerVolumeConfiguration: not supported on Fargate"},
      {"fsx",
       [](Request& r) {
         r.mutable_volumes(0)
             ->mutable_fsx_windows_file_server_volume_configuration()
             ->set_file_system_id("fs-1");
       },
       "volumes[0].fsxWindowsFileServerVolumeConfiguration: not supported on Fargate"},
      {"two configurations",
       [](Request& r) {
         r.mutable_volumes(0)->mutable_host();
         r.mutable_volumes(0)->mutable_efs_volume_configuration()->set_file_system_id("fs-1");
       },
       "volumes[0]: has more than one configuration; give at most one of host"},
      {"one configuredAtLaunch",
       [](Request& r) { r.mutable_volumes(0)->set_configured_at_launch(true); }, ""},
      {"configuredAtLaunch false with efs",
       [](Request& r) {
         r.mutable_volumes(0)->set_configured_at_launch(false);
         r.mutable_volumes(0)->mutable_efs_volume_configuration()->set_file_system_id("fs-1");
       },
       ""},
      {"two configuredAtLaunch",
       [](Request& r) {
         r.mutable_volumes(0)->set_configured_at_launch(true);
         auto* second = r.add_volumes();
         second->set_name("ebs2");
         second->set_configured_at_launch(true);
       },
       "volumes[1].configuredAtLaunch: only one volume may be configured at launch and "
       "volumes[0] already is"},
  });
}

TEST(ValidateVolumes, Efs) {
  RunValidateCases({
      {"minimal", [](Request& r) { Efs(r); }, ""},
      {"access point with encryption",
       [](Request& r) {
         auto* efs = Efs(r);
         efs->set_transit_encryption("ENABLED");
         efs->set_transit_encryption_port(2999);
         efs->set_root_directory("/");
         efs->mutable_authorization_config()->set_access_point_id("fsap-0123456789abcdef0");
         efs->mutable_authorization_config()->set_iam("ENABLED");
       },
       ""},
      {"root directory without access point",
       [](Request& r) { Efs(r)->set_root_directory("/data"); }, ""},
      {"fileSystemId missing", [](Request& r) { Efs(r)->clear_file_system_id(); },
       "volumes[1].efsVolumeConfiguration.fileSystemId: missing"},
      {"fileSystemId not fs-hex", [](Request& r) { Efs(r)->set_file_system_id("fs-xyz"); },
       "volumes[1].efsVolumeConfiguration.fileSystemId: \"fs-xyz\" is not a file system id"},
      {"fileSystemId without prefix", [](Request& r) { Efs(r)->set_file_system_id("12ab"); },
       "volumes[1].efsVolumeConfiguration.fileSystemId: \"12ab\""},
      {"rootDirectory with access point",
       [](Request& r) {
         auto* efs = Efs(r);
         efs->set_root_directory("/data");
         efs->set_transit_encryption("ENABLED");
         efs->mutable_authorization_config()->set_access_point_id("fsap-12ab");
       },
       "volumes[1].efsVolumeConfiguration.rootDirectory: \"/data\" is not allowed with an access "
       "point"},
      {"rootDirectory relative", [](Request& r) { Efs(r)->set_root_directory("data"); },
       "volumes[1].efsVolumeConfiguration.rootDirectory: \"data\" is not an absolute path"},
      {"transitEncryption unknown", [](Request& r) { Efs(r)->set_transit_encryption("YES"); },
       "volumes[1].efsVolumeConfiguration.transitEncryption: \"YES\" is not valid; use "
       "\"ENABLED\" or \"DISABLED\""},
      {"access point with encryption disabled",
       [](Request& r) {
         auto* efs = Efs(r);
         efs->set_transit_encryption("DISABLED");
         efs->mutable_authorization_config()->set_access_point_id("fsap-12ab");
       },
       "volumes[1].efsVolumeConfiguration.transitEncryption: \"DISABLED\" is not allowed with an "
       "access point; set it to \"ENABLED\""},
      {"access point with encryption absent",
       [](Request& r) { Efs(r)->mutable_authorization_config()->set_access_point_id("fsap-12ab"); },
       "volumes[1].efsVolumeConfiguration.transitEncryption: absent (DISABLED) is not allowed "
       "with an access point"},
      {"iam with encryption absent",
       [](Request& r) { Efs(r)->mutable_authorization_config()->set_iam("ENABLED"); },
       "volumes[1].efsVolumeConfiguration.transitEncryption: absent (DISABLED) is not allowed "
       "with IAM authorization"},
      {"iam disabled without encryption",
       [](Request& r) { Efs(r)->mutable_authorization_config()->set_iam("DISABLED"); }, ""},
      {"transitEncryptionPort 0",
       [](Request& r) {
         Efs(r)->set_transit_encryption("ENABLED");
         r.mutable_volumes(1)->mutable_efs_volume_configuration()->set_transit_encryption_port(0);
       },
       "volumes[1].efsVolumeConfiguration.transitEncryptionPort: 0 is out of range; use 1 to "
       "65535"},
      {"transitEncryptionPort 65536",
       [](Request& r) { Efs(r)->set_transit_encryption_port(65536); },
       "volumes[1].efsVolumeConfiguration.transitEncryptionPort: 65536 is out of range"},
      {"iam unknown", [](Request& r) { Efs(r)->mutable_authorization_config()->set_iam("yes"); },
       "volumes[1].efsVolumeConfiguration.authorizationConfig.iam: \"yes\" is not valid"},
      {"accessPointId not fsap-hex",
       [](Request& r) {
         auto* efs = Efs(r);
         efs->set_transit_encryption("ENABLED");
         efs->mutable_authorization_config()->set_access_point_id("ap-12ab");
       },
       "volumes[1].efsVolumeConfiguration.authorizationConfig.accessPointId: \"ap-12ab\" is not "
       "an access point id"},
  });
}

TEST(ValidateVolumes, MountPointsAndVolumesFrom) {
  RunValidateCases({
      {"mount", [](Request& r) { Mount(App(r), "scratch", "/var/cache/nginx"); }, ""},
      {"mount unknown volume", [](Request& r) { Mount(App(r), "data", "/data"); },
       "containerDefinitions[0].mountPoints[0].sourceVolume: \"data\" is not a volume of this "
       "task definition; declare it in volumes"},
      {"mount without volume", [](Request& r) { Mount(App(r), "", "/data"); },
       "containerDefinitions[0].mountPoints[0].sourceVolume: missing"},
      {"mount relative path", [](Request& r) { Mount(App(r), "scratch", "data"); },
       "containerDefinitions[0].mountPoints[0].containerPath: \"data\" is not an absolute path"},
      {"mount without path", [](Request& r) { Mount(App(r), "scratch", ""); },
       "containerDefinitions[0].mountPoints[0].containerPath: missing"},
      {"volumesFrom other container",
       [](Request& r) { Sidecar(r)->add_volumes_from()->set_source_container("app"); }, ""},
      {"volumesFrom unknown",
       [](Request& r) { Sidecar(r)->add_volumes_from()->set_source_container("db"); },
       "containerDefinitions[1].volumesFrom[0].sourceContainer: \"db\" is not a container of "
       "this task definition"},
      {"volumesFrom itself",
       [](Request& r) { Sidecar(r)->add_volumes_from()->set_source_container("sidecar"); },
       "containerDefinitions[1].volumesFrom[0].sourceContainer: \"sidecar\" is the container "
       "itself"},
      {"volumesFrom missing", [](Request& r) { Sidecar(r)->add_volumes_from(); },
       "containerDefinitions[1].volumesFrom[0].sourceContainer: missing"},
  });
}

}  // namespace
}  // namespace gantry::taskdef
