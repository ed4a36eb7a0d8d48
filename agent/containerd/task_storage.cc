#include "agent/containerd/task_storage.h"

#include <sys/statfs.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/containerd/command.h"
#include "common/status_macros.h"

namespace gantry::agent::containerd {
namespace {

namespace fs = std::filesystem;

constexpr char kImageFile[] = "ephemeral.img";
constexpr char kMountDir[] = "ephemeral";
constexpr char kLowerDirOption[] = "lowerdir=";

absl::Status MakeDirectories(const fs::path& path) {
  std::error_code error;
  fs::create_directories(path, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create ", path.string(), ": ", error.message()));
  }
  return absl::OkStatus();
}

// True when `path` is a mount point (listed in /proc/self/mounts).
bool IsMounted(const fs::path& path) {
  std::ifstream mounts("/proc/self/mounts");
  std::string device;
  std::string mount_point;
  std::string rest;
  while (mounts >> device >> mount_point && std::getline(mounts, rest)) {
    if (mount_point == path.string()) {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<fs::path> CreateTaskStorage(const fs::path& task_dir, int64_t size_bytes) {
  GANTRY_RETURN_IF_ERROR(RemoveTaskStorage(task_dir));
  GANTRY_RETURN_IF_ERROR(MakeDirectories(task_dir / kMountDir));
  const fs::path image = task_dir / kImageFile;
  { std::ofstream create(image); }
  std::error_code error;
  fs::resize_file(image, static_cast<uintmax_t>(size_bytes), error);  // sparse
  if (error) {
    return absl::InternalError(absl::StrCat("cannot size ", image.string(), ": ", error.message()));
  }
  // No reserved blocks (the task gets all of its size); lazy initialisation keeps the
  // sparse file small and mkfs quick.
  GANTRY_RETURN_IF_ERROR(
      RunCommand({"mkfs.ext4", "-q", "-F", "-m", "0", "-E",
                  "lazy_itable_init=1,lazy_journal_init=1,nodiscard", image.string()})
          .status());
  GANTRY_RETURN_IF_ERROR(
      RunCommand({"mount", "-o", "loop", image.string(), (task_dir / kMountDir).string()})
          .status());
  return task_dir / kMountDir;
}

absl::Status RemoveTaskStorage(const fs::path& task_dir) {
  const fs::path mount_point = task_dir / kMountDir;
  if (IsMounted(mount_point)) {
    // The loop device is detached with the last unmount (mount -o loop sets autoclear).
    GANTRY_RETURN_IF_ERROR(RunCommand({"umount", mount_point.string()}).status());
  }
  std::error_code error;
  fs::remove(task_dir / kImageFile, error);
  fs::remove(mount_point, error);
  return absl::OkStatus();
}

absl::StatusOr<StorageUsage> TaskStorageUsage(const fs::path& mount_point) {
  struct statfs info {};
  if (statfs(mount_point.c_str(), &info) != 0) {
    return absl::InternalError(
        absl::StrCat("statfs ", mount_point.string(), ": ", std::strerror(errno)));
  }
  const int64_t block = static_cast<int64_t>(info.f_bsize);
  return StorageUsage{static_cast<int64_t>(info.f_blocks - info.f_bfree) * block,
                      static_cast<int64_t>(info.f_blocks) * block};
}

absl::StatusOr<WritableLayer> CreateWritableLayer(const fs::path& mount_point,
                                                  const std::string& container_id) {
  const fs::path base = mount_point / "containers" / container_id;
  GANTRY_RETURN_IF_ERROR(MakeDirectories(base / "upper"));
  GANTRY_RETURN_IF_ERROR(MakeDirectories(base / "work"));
  return WritableLayer{(base / "upper").string(), (base / "work").string()};
}

absl::StatusOr<std::string> CreateVolumeDirectory(const fs::path& mount_point,
                                                  const std::string& volume_name) {
  const fs::path directory = mount_point / "volumes" / volume_name;
  GANTRY_RETURN_IF_ERROR(MakeDirectories(directory));
  // Any user of any container may write a task volume, as on Fargate.
  std::error_code error;
  fs::permissions(directory, fs::perms::all | fs::perms::sticky_bit, error);
  return directory.string();
}

absl::StatusOr<::containerd::types::Mount> OverlayRootfs(
    const std::vector<::containerd::types::Mount>& view, const WritableLayer& layer) {
  if (view.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("an image view of ", view.size(), " mounts; expected one"));
  }
  ::containerd::types::Mount rootfs;
  rootfs.set_type("overlay");
  rootfs.set_source("overlay");
  std::string lower;
  if (view[0].type() == "bind") {
    lower = view[0].source();  // a one-layer image: the layer itself
  } else if (view[0].type() == "overlay") {
    for (const std::string& option : view[0].options()) {
      if (absl::StartsWith(option, kLowerDirOption)) {
        lower = option.substr(std::string_view(kLowerDirOption).size());
      } else if (option != "ro") {
        rootfs.add_options(option);  // e.g. index=off, userxattr
      }
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat("an image view mounted as \"", view[0].type(),
                                                   "\"; expected bind or overlay"));
  }
  if (lower.empty()) {
    return absl::InvalidArgumentError("the image view names no lower directory");
  }
  rootfs.add_options(absl::StrCat(kLowerDirOption, lower));
  rootfs.add_options(absl::StrCat("upperdir=", layer.upper));
  rootfs.add_options(absl::StrCat("workdir=", layer.work));
  return rootfs;
}

}  // namespace gantry::agent::containerd
