// A task's cgroup parent: the task-level cpu and memory of the task definition, shared
// by its containers, whose own cgroups (made by runc from the spec's cgroupsPath) sit
// below it. cgroup v1 (one hierarchy per controller, as on this kind of host) and v2
// (the unified hierarchy) are both handled.
//
// Thread-safety: functions of different tasks may run at once. Errors: INTERNAL with
// the path and errno text.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace gantry::agent::containerd {

// "/gantry/<task id>": the parent of the task's containers' cgroupsPath.
std::string TaskCgroupPath(const std::string& task_id);

// Creates the task's cgroup parent with its limits: memory (MiB, 0: none) and cpu
// (units, 1024 per vCPU): a weight among tasks (cpu.shares in v1, the matching
// cpu.weight in v2) and, as Fargate, a hard cap of that many CPUs (CFS quota).
absl::Status CreateTaskCgroup(const std::string& task_id, int64_t cpu_units, int64_t memory_mib);

// The CFS quota of `cpu_units` per 100 ms period, in microseconds: 256 units (a
// quarter vCPU) may run 25 ms of every 100 ms.
int64_t CpuQuotaUs(int64_t cpu_units);

// Removes it (its containers' cgroups must be gone). No-op when it does not exist.
absl::Status RemoveTaskCgroup(const std::string& task_id);

}  // namespace gantry::agent::containerd
