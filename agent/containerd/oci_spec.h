// The OCI runtime spec (runc's config.json) of one container of a task, built from its
// ECS container definition, the task's overrides and the image's own config. Pure: no
// I/O, safe from any thread. The spec goes to containerd as JSON (Containers.Create).
//
// What it sets, as ECS on Fargate does:
//   process     args = entryPoint (else the image's Entrypoint) + command (else, when
//               entryPoint is not set, the image's Cmd); env = image Env, then the
//               definition's environment, then the override's, then `extra_env` (later
//               wins by name); user ("uid", "uid:gid"; a name is refused: there is no
//               /etc/passwd lookup here, so a bare uid gets gid 0) else the image's,
//               else root; cwd = workingDirectory, else the image's, else "/";
//               rlimits from ulimits (RLIMIT_<NAME>, soft/hard), plus Fargate's
//               nofile 65535/65535 (at most host_nofile_limit) when ulimits sets no
//               nofile;
//               capabilities: the default set of a container runtime (below) minus
//               linuxParameters.capabilities.drop plus SYS_PTRACE when it is in add (the
//               only one Fargate allows; validation refused others); noNewPrivileges
//               off (as Docker and ECS); never privileged.
//   root        "rootfs", readonly = readonlyRootFilesystem.
//   hostname    the given one (the task's ENI DNS name or the definition's hostname).
//   mounts      /proc, /dev, /dev/pts, /dev/shm (linuxParameters.sharedMemorySize MiB,
//               else 64), /dev/mqueue, /sys (read-only), /sys/fs/cgroup (read-only),
//               and the `binds` given (resolv.conf, hosts, volumes), then the init
//               binary (below), in that order. Unlike containerd's default spec there is
//               no tmpfs on /run: Docker and Fargate mount none, and images ship files
//               there (e.g. /run/nginx) that a tmpfs would hide.
//   linux       namespaces pid, ipc, uts, mount, and network = `netns_path` (shared by
//               the task's containers); cgroupsPath; resources: memory.limit = the
//               container's memory (MiB) when set, memory.reservation from
//               memoryReservation, cpu.shares = max(cpu, 2) (Docker's rule for 0);
//               the override's memory, memoryReservation and cpu win where set;
//               masked and read-only paths as runc's defaults.
//   init        initProcessEnabled: `init_path` (a static init on the host, Debian's
//               tini-static) is bind-mounted read-only at /sbin/gantry-init and args
//               become ["/sbin/gantry-init", "--", args...], as Docker's --init does.
//               An empty init_path with initProcessEnabled is FAILED_PRECONDITION.
//
// Errors start with the field path inside the container definition ("user",
// "ulimits[1].name", "linuxParameters.capabilities.add[0]"), so the caller can prefix
// "containerDefinitions[i]."; every problem found is reported, one per line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gantry/v1/ecs_tasks.pb.h"
#include "gantry/v1/ecs_types.pb.h"

#include "absl/status/statusor.h"

namespace gantry::agent::containerd {

// The parts of an image's config blob (OCI image spec, "config" object) a spec needs.
struct ImageConfig {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "NAME=value"
  std::string user;
  std::string working_dir;
  std::string stop_signal;  // e.g. "SIGTERM"; empty when the image sets none
  // rootfs.diff_ids (not part of "config"): the uncompressed layer digests, bottom
  // first, that the runtime turns into snapshot chain ids.
  std::vector<std::string> diff_ids;
};

// Parses an image config blob (JSON). INVALID_ARGUMENT when it is not a JSON object or
// a field has the wrong type; absent and null fields stay empty.
absl::StatusOr<ImageConfig> ParseImageConfig(std::string_view json);

// A bind mount from the host into the container.
struct BindMount {
  std::string host_path;
  std::string container_path;
  bool read_only = false;
};

struct ContainerSpecInput {
  v1::ContainerDefinition definition;
  // The task's containerOverrides[] entry of this container (empty when none).
  v1::ContainerOverride overrides;
  ImageConfig image;
  std::string hostname;
  std::string netns_path;              // e.g. /run/netns/gantry-<task id>
  std::string cgroups_path;            // e.g. /gantry/<task id>/<container name>
  std::vector<std::string> extra_env;  // "NAME=value", e.g. ECS_CONTAINER_METADATA_URI_V4
  std::vector<BindMount> binds;
  std::string init_path;  // host path of the init binary; see "init" above
  // The agent's own hard RLIMIT_NOFILE (0: unknown): the default nofile (Fargate's
  // 65535) is capped to it, since raising a hard limit needs CAP_SYS_RESOURCE.
  int64_t host_nofile_limit = 0;
};

// The default capability set of a container runtime (Docker's and containerd's).
const std::vector<std::string>& DefaultCapabilities();

// The spec as JSON. INVALID_ARGUMENT (naming the field) for what cannot be run: a user
// given by name (the definition's or the image's), an unknown ulimit name or a missing
// or negative limit (an OCI rlimit is unsigned), an added capability other than
// SYS_PTRACE, a command that ends up empty, a working directory that is not absolute.
// FAILED_PRECONDITION for what this host cannot provide: secrets and environmentFiles
// (no store to read them from yet), initProcessEnabled without an init binary.
absl::StatusOr<std::string> BuildOciSpec(const ContainerSpecInput& input);

}  // namespace gantry::agent::containerd
