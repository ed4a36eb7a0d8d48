// A task's ephemeral storage, as Fargate 1.4 gives it: one file system of the task's
// size (ephemeralStorage.sizeInGiB, 20 GiB by default) that holds the writable layers
// of all its containers and its task-local volumes together, so that writing past it
// fails inside the container (ENOSPC) and never fills the host.
//
// It is an ext4 file system in a sparse file (<task dir>/ephemeral.img: it takes only
// the space written), loop-mounted at <task dir>/ephemeral. A container's root file
// system is an overlay of its image's layers (a read-only view containerd keeps) with
// its upper and work directories on that file system.
//
// Thread-safety: functions of different tasks may run at once. Errors: INTERNAL with
// the failed command or call.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "github.com/containerd/containerd/api/types/mount.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gantry::agent::containerd {

// Creates and mounts the task's file system of `size_bytes`; returns its mount point.
// An existing one (a retried launch) is removed first.
absl::StatusOr<std::filesystem::path> CreateTaskStorage(const std::filesystem::path& task_dir,
                                                        int64_t size_bytes);

// Unmounts and deletes it. No-op when there is none.
absl::Status RemoveTaskStorage(const std::filesystem::path& task_dir);

// Bytes used and bytes in all (statfs) of the mounted task file system.
struct StorageUsage {
  int64_t used_bytes = 0;
  int64_t total_bytes = 0;
};
absl::StatusOr<StorageUsage> TaskStorageUsage(const std::filesystem::path& mount_point);

// The container's writable directories on the task's file system (created here).
struct WritableLayer {
  std::string upper;
  std::string work;
};
absl::StatusOr<WritableLayer> CreateWritableLayer(const std::filesystem::path& mount_point,
                                                  const std::string& container_id);

// A task-local volume's directory on the task's file system (created here).
absl::StatusOr<std::string> CreateVolumeDirectory(const std::filesystem::path& mount_point,
                                                  const std::string& volume_name);

// Pure: the container's root file system mount, from the read-only view of its image
// that containerd gives (a bind mount of one layer, or an overlay of several) and its
// writable layer. INVALID_ARGUMENT for a view of another shape.
absl::StatusOr<::containerd::types::Mount> OverlayRootfs(
    const std::vector<::containerd::types::Mount>& view, const WritableLayer& layer);

}  // namespace gantry::agent::containerd
