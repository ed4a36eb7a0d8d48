#include "agent/containerd/task_cgroup.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace gantry::agent::containerd {
namespace {

namespace fs = std::filesystem;

const fs::path kCgroupRoot = "/sys/fs/cgroup";

bool IsUnified() { return fs::exists(kCgroupRoot / "cgroup.controllers"); }

absl::Status WriteFile(const fs::path& path, const std::string& value) {
  std::ofstream file(path);
  file << value;
  file.close();
  if (!file) {
    return absl::InternalError(absl::StrCat("cannot write \"", value, "\" to ", path.string(), ": ",
                                            std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status MakeDirectories(const fs::path& path) {
  std::error_code error;
  fs::create_directories(path, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create ", path.string(), ": ", error.message()));
  }
  return absl::OkStatus();
}

// The CFS period the task's CPU quota is measured over (the kernel's default).
constexpr int64_t kCpuPeriodUs = 100000;

// cgroup v2's cpu.weight (1..10000, default 100) for v1's cpu.shares (2..262144,
// default 1024), by the kernel's own conversion.
int64_t WeightOfShares(int64_t shares) { return 1 + ((shares - 2) * 9999) / 262142; }

absl::Status CreateUnified(const std::string& task_id, int64_t cpu_units, int64_t memory_mib) {
  const fs::path gantry = kCgroupRoot / "gantry";
  GANTRY_RETURN_IF_ERROR(MakeDirectories(gantry));
  // Children get a controller only when every ancestor delegates it.
  GANTRY_RETURN_IF_ERROR(WriteFile(kCgroupRoot / "cgroup.subtree_control", "+cpu +memory"));
  GANTRY_RETURN_IF_ERROR(WriteFile(gantry / "cgroup.subtree_control", "+cpu +memory"));
  const fs::path task = gantry / task_id;
  GANTRY_RETURN_IF_ERROR(MakeDirectories(task));
  GANTRY_RETURN_IF_ERROR(WriteFile(task / "cgroup.subtree_control", "+cpu +memory"));
  if (memory_mib > 0) {
    GANTRY_RETURN_IF_ERROR(WriteFile(task / "memory.max", std::to_string(memory_mib << 20)));
  }
  if (cpu_units > 0) {
    GANTRY_RETURN_IF_ERROR(WriteFile(
        task / "cpu.weight", std::to_string(WeightOfShares(std::max<int64_t>(cpu_units, 2)))));
    GANTRY_RETURN_IF_ERROR(
        WriteFile(task / "cpu.max", absl::StrCat(CpuQuotaUs(cpu_units), " ", kCpuPeriodUs)));
  }
  return absl::OkStatus();
}

absl::Status CreateV1(const std::string& task_id, int64_t cpu_units, int64_t memory_mib) {
  const fs::path memory = kCgroupRoot / "memory" / "gantry" / task_id;
  const fs::path cpu = kCgroupRoot / "cpu" / "gantry" / task_id;
  GANTRY_RETURN_IF_ERROR(MakeDirectories(memory));
  GANTRY_RETURN_IF_ERROR(MakeDirectories(cpu));
  if (memory_mib > 0) {
    GANTRY_RETURN_IF_ERROR(
        WriteFile(memory / "memory.limit_in_bytes", std::to_string(memory_mib << 20)));
  }
  if (cpu_units > 0) {
    GANTRY_RETURN_IF_ERROR(
        WriteFile(cpu / "cpu.shares", std::to_string(std::max<int64_t>(cpu_units, 2))));
    GANTRY_RETURN_IF_ERROR(WriteFile(cpu / "cpu.cfs_period_us", std::to_string(kCpuPeriodUs)));
    GANTRY_RETURN_IF_ERROR(
        WriteFile(cpu / "cpu.cfs_quota_us", std::to_string(CpuQuotaUs(cpu_units))));
  }
  return absl::OkStatus();
}

// Every directory that may hold the task's cgroup: one per v1 hierarchy, or the one.
std::vector<fs::path> TaskDirectories(const std::string& task_id) {
  std::vector<fs::path> directories;
  if (IsUnified()) {
    directories.push_back(kCgroupRoot / "gantry" / task_id);
    return directories;
  }
  std::error_code error;
  for (const auto& hierarchy : fs::directory_iterator(kCgroupRoot, error)) {
    directories.push_back(hierarchy.path() / "gantry" / task_id);
  }
  return directories;
}

}  // namespace

int64_t CpuQuotaUs(int64_t cpu_units) { return cpu_units * kCpuPeriodUs / 1024; }

std::string TaskCgroupPath(const std::string& task_id) { return absl::StrCat("/gantry/", task_id); }

absl::Status CreateTaskCgroup(const std::string& task_id, int64_t cpu_units, int64_t memory_mib) {
  return IsUnified() ? CreateUnified(task_id, cpu_units, memory_mib)
                     : CreateV1(task_id, cpu_units, memory_mib);
}

absl::Status RemoveTaskCgroup(const std::string& task_id) {
  for (const fs::path& directory : TaskDirectories(task_id)) {
    std::error_code error;
    if (!fs::exists(directory, error)) {
      continue;
    }
    // A cgroup directory is removed with rmdir once it has no children and no tasks;
    // its control files go with it (remove_all would try to unlink them and fail).
    for (const auto& child : fs::directory_iterator(directory, error)) {
      if (child.is_directory()) {
        fs::remove(child.path(), error);
      }
    }
    if (!fs::remove(directory, error) && error) {
      return absl::InternalError(
          absl::StrCat("cannot remove cgroup ", directory.string(), ": ", error.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace gantry::agent::containerd
