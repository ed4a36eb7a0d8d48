// gantry-agent's command line: the raw flag text, its validation into typed Options, and
// the usage text. Pure: no I/O, safe from any thread. Errors are INVALID_ARGUMENT, one
// problem per line in flag order, each starting with the flag (`--cpu: ...`) and saying
// what is allowed; main() prints them and exits with code 2.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/sim_runtime.h"
#include "auth/client.h"

namespace gantry::agent {

// The flag values exactly as typed (absl parses them as strings so that every bad value
// gets our message and exit code 2, not Abseil's). Defaults are the documented ones.
struct FlagValues {
  std::string endpoint;
  std::string runtime;
  std::string hosts;
  std::string availability_zone;
  std::string cpu;
  std::string memory;
  std::string ephemeral_storage = "200";
  std::string max_enis = "16";
  std::string state_dir = "./.gantry-agent";
  std::string launch_delay = "200ms";
  std::string stop_delay = "100ms";
  std::string fail_rate = "0";
  std::string fail_reason = "CannotPullContainerError: simulated pull failure";
  std::string poll_wait = "20s";
  std::string metrics_interval = "10s";
  std::string host_name_prefix;  // empty: "<machine hostname>-"
  std::string credentials_file;
  std::string profile;
  // containerd runtime
  std::string containerd_address = "/run/containerd/containerd.sock";
  std::vector<std::string> insecure_registries;  // each "HOST:PORT[,HOST:PORT...]"
  std::string init_path = "/usr/bin/tini-static";
  std::string log_max_size = "10";  // MiB
  std::string task_cleanup_wait = "3h";
};

struct Options {
  std::string endpoint;  // HOST:PORT
  std::string runtime;   // "sim" or "containerd"
  int hosts = 0;
  std::string availability_zone;
  int64_t cpu_units = 0;
  int64_t memory_mib = 0;
  int64_t ephemeral_storage_gib = 200;
  int64_t eni_slots = 16;
  std::string state_dir;
  SimConfig sim;
  // --runtime containerd: the daemon's socket, the registries pulled over plain HTTP,
  // and the init binary of initProcessEnabled. Tasks' files go to <state dir>/tasks.
  std::string containerd_address;
  std::set<std::string> insecure_registries;
  std::string init_path;
  int64_t log_max_bytes = 0;  // container logs are rotated past this
  // A stopped task's directory (its logs) is removed this long after it stopped.
  absl::Duration task_cleanup_wait = absl::Hours(3);
  absl::Duration poll_wait = absl::Seconds(20);
  // How often running tasks' usage is reported; zero: never.
  absl::Duration metrics_interval = absl::Seconds(10);
  std::string host_name_prefix;
  // Where to find the key that signs every call (an agent or admin key).
  auth::CredentialFlags credential_flags;
  // The key found there; main() looks it up (I/O) after parsing.
  auth::Credentials credentials;
};

inline constexpr int kMaxHosts = 100000;
inline constexpr char kContainerdRuntime[] = "containerd";

// What a real host has, for the containerd runtime's defaults.
struct MachineResources {
  int64_t cpu_units = 0;   // 1024 per online CPU
  int64_t memory_mib = 0;  // MemTotal
};

// With --runtime containerd, the flags left empty that default to the machine:
// --hosts 1, --cpu and --memory what `machine` has. Other runtimes: unchanged.
FlagValues WithMachineDefaults(FlagValues flags, const MachineResources& machine);

// Validates and converts every flag; reports every problem found (see file comment).
// `default_host_name_prefix` is used when --host-name-prefix is empty.
absl::StatusOr<Options> ParseOptions(const FlagValues& flags,
                                     const std::string& default_host_name_prefix);

// The text `gantry-agent --help` prints.
std::string Usage();

}  // namespace gantry::agent
