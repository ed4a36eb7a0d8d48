// The documents of the ECS task metadata endpoint v4 (ECS-CONTRACT.md section 5): the
// data model of a task, its containers and their stats as the runtime knows them, and
// the JSON the endpoint answers with. Also the parsing a container's network counters
// need (/proc/<pid>/net/dev) and the rate between two samples. Pure: no I/O, no clock,
// safe from any thread. The JSON printers cannot fail; only parsing reports errors
// (INVALID_ARGUMENT with the offending line).
//
// Conventions of these documents (unlike the ECS API): keys are PascalCase in the
// metadata and Docker's snake_case in the stats; timestamps are RFC 3339 strings in UTC
// with as many fraction digits as needed (Go's RFC3339Nano, as the ECS agent prints
// them); unset keys are omitted, never null (the one null is a container without stats
// in /task/stats).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gantry::agent::containerd {

// ---- Metadata (/v4/<token> and /v4/<token>/task) ----

// One entry of a container's "Networks". String and list fields are omitted when empty;
// NetworkMode and AttachmentIndex are always printed.
struct NetworkMetadata {
  std::string network_mode = "awsvpc";
  std::vector<std::string> ipv4_addresses;  // the task's private address
  int32_t attachment_index = 0;
  std::string mac_address;             // "0a:1b:2c:3d:4e:5f"
  std::string ipv4_subnet_cidr_block;  // "10.0.1.0/24"
  std::vector<std::string> domain_name_servers;
  std::vector<std::string> domain_name_search_list;
  std::string private_dns_name;  // "ip-10-0-1-23.eu-west-1.compute.internal"
  // With the prefix length, as AWS prints it: "10.0.1.1/24".
  std::string subnet_gateway_ipv4_address;
};

struct ContainerLimits {
  int64_t cpu_units = 0;              // "CPU": container cpu units; always printed
  std::optional<int64_t> memory_mib;  // "Memory": omitted when the definition sets none
};

// One container (contract 5.2). Always printed: DockerId, Name, DockerName, Image,
// ImageID, DesiredStatus, KnownStatus, Limits, Type. Omitted when unset or empty: the
// rest.
struct ContainerMetadata {
  std::string docker_id;    // containerd's container id
  std::string name;         // from the task definition
  std::string docker_name;  // the runtime's name (on Fargate the same as `name`)
  std::string image;        // as written in the task definition
  std::string image_id;     // resolved digest, "sha256:..."
  std::map<std::string, std::string> labels;
  std::string desired_status;  // "RUNNING", "STOPPED"
  std::string known_status;
  std::optional<int32_t> exit_code;
  ContainerLimits limits;
  std::optional<absl::Time> created_at;
  std::optional<absl::Time> started_at;
  std::optional<absl::Time> finished_at;
  std::string type = "NORMAL";
  std::string container_arn;
  std::string log_driver;  // e.g. "awslogs"
  std::map<std::string, std::string> log_options;
  std::vector<NetworkMetadata> networks;
};

struct TaskLimits {
  double cpu_vcpu = 0;     // "CPU": vCPUs, e.g. 0.25 (see VcpuFromCpuUnits)
  int64_t memory_mib = 0;  // "Memory"
};

// "ClockDrift": the host clock's error bound, when the runtime knows it (chrony).
struct ClockDrift {
  double clock_error_bound_ms = 0;
  absl::Time reference_timestamp;
  std::string clock_synchronization_status;  // "SYNCHRONIZED" or "NOT_SYNCHRONIZED"
};

// "EphemeralStorageMetrics" (contract 8.1): the task's writable storage, without the
// space the platform keeps for itself.
struct EphemeralStorageMetrics {
  int64_t utilized_mib = 0;
  int64_t reserved_mib = 0;
};

// One task (contract 5.3). Always printed: Cluster, TaskARN, Family, Revision,
// KnownStatus, Limits, LaunchType, FaultInjectionEnabled. Omitted when unset or empty:
// the rest, including Containers when there are none.
struct TaskMetadata {
  std::string cluster;  // the cluster's ARN
  std::string task_arn;
  std::string family;
  std::string revision;  // a string in this document: "7"
  std::string desired_status;
  std::string known_status;
  TaskLimits limits;
  std::optional<absl::Time> pull_started_at;
  std::optional<absl::Time> pull_stopped_at;
  std::optional<absl::Time> execution_stopped_at;
  std::string availability_zone;
  std::string launch_type = "FARGATE";
  std::string service_name;  // only for a service's tasks
  std::optional<ClockDrift> clock_drift;
  std::optional<EphemeralStorageMetrics> ephemeral_storage_metrics;
  bool fault_injection_enabled = false;
  std::vector<ContainerMetadata> containers;
};

// Task cpu units (1024 per vCPU) as the vCPUs of the task document: 256 -> 0.25.
double VcpuFromCpuUnits(int64_t cpu_units);

// `time` in UTC as Go's RFC3339Nano: "2024-06-10T06:13:29.77Z", trailing fraction zeros
// dropped, no fraction at all on a whole second.
std::string FormatMetadataTime(absl::Time time);

// The container object (GET /v4/<token>).
std::string ContainerJson(const ContainerMetadata& container);
// The task object with all its containers (GET /v4/<token>/task).
std::string TaskJson(const TaskMetadata& task);
// An error answer's body: the message as a JSON string, as the ECS agent writes them.
std::string ErrorJson(std::string_view message);

// ---- Stats (/v4/<token>/stats and /v4/<token>/task/stats), Docker's API v1.30 shape ----

// One network interface's cumulative counters (the "networks" map's values).
struct NetworkCounters {
  uint64_t rx_bytes = 0;
  uint64_t rx_packets = 0;
  uint64_t rx_errors = 0;
  uint64_t rx_dropped = 0;
  uint64_t tx_bytes = 0;
  uint64_t tx_packets = 0;
  uint64_t tx_errors = 0;
  uint64_t tx_dropped = 0;
};

// "network_rate_stats": the ECS agent's own addition, over all interfaces.
struct NetworkRateStats {
  double rx_bytes_per_sec = 0;
  double tx_bytes_per_sec = 0;
};

// "cpu_stats" and "precpu_stats". Omitted when zero or empty, as Docker does:
// percpu_usage, system_cpu_usage, online_cpus; the rest is always printed.
struct CpuStats {
  uint64_t total_usage_ns = 0;
  std::vector<uint64_t> percpu_usage_ns;
  uint64_t usage_in_kernelmode_ns = 0;
  uint64_t usage_in_usermode_ns = 0;
  uint64_t system_cpu_usage_ns = 0;  // the host's, since boot
  uint32_t online_cpus = 0;
  uint64_t throttling_periods = 0;  // "throttling_data": {"periods", ...}
  uint64_t throttled_periods = 0;
  uint64_t throttled_time_ns = 0;
};

// "memory_stats". Every key is omitted when zero or empty, as Docker does (cgroup v2
// has no max_usage).
struct MemoryStats {
  uint64_t usage_bytes = 0;
  uint64_t max_usage_bytes = 0;
  uint64_t limit_bytes = 0;
  std::map<std::string, uint64_t> stats;  // the cgroup's memory.stat: "cache", "rss", ...
};

// One "blkio_stats.io_service_bytes_recursive" entry.
struct BlkioEntry {
  uint64_t major = 0;
  uint64_t minor = 0;
  std::string op;  // "Read", "Write", "Sync", "Async", "Total"
  uint64_t value = 0;
};

// One container's sample, with the previous one's CPU figures for "precpu_stats" (a
// client computes CPU percent from the two). Integers are printed exactly: a double
// would round nanosecond and byte counters above 2^53.
struct ContainerStats {
  std::string id;    // the DockerId
  std::string name;  // the container's name ("curltest" on Fargate, no leading "/")
  absl::Time read = absl::UnixEpoch();
  // The previous sample's time; without one, "preread" is Go's zero time
  // ("0001-01-01T00:00:00Z") and `precpu` should stay zero, as Docker prints them.
  std::optional<absl::Time> preread;
  uint64_t pids_current = 0;  // "pids_stats": {"current"}; omitted when zero
  uint32_t num_procs = 0;     // always 0 on Linux, printed for the shape
  CpuStats cpu;
  CpuStats precpu;
  MemoryStats memory;
  std::vector<BlkioEntry> io_service_bytes_recursive;
  // By interface name; omitted when empty. Docker's map has no "lo".
  std::map<std::string, NetworkCounters> networks;
  std::optional<NetworkRateStats> network_rate;  // omitted before a second sample
};

// One container's stats document (GET /v4/<token>/stats).
std::string StatsJson(const ContainerStats& stats);
// The task's: {"<DockerId>": <stats>, ...} (GET /v4/<token>/task/stats). Every id of
// `task_docker_ids` without an entry in `stats` (not started, or gone) prints as null.
std::string TaskStatsJson(const std::map<std::string, ContainerStats>& stats,
                          const std::vector<std::string>& task_docker_ids = {});

// Parses the text of /proc/<pid>/net/dev: two header lines (they contain '|'), then one
// line per interface, "  eth0: <8 receive counters> <8 transmit counters>". Every
// interface is returned, "lo" included. INVALID_ARGUMENT naming the line when one is not
// "<name>: <16 unsigned integers>".
absl::StatusOr<std::map<std::string, NetworkCounters>> ParseProcNetDev(std::string_view text);

// Bytes per second received and sent between two samples, summed over the interfaces
// present in both. An interface whose counter went backwards (recreated) adds nothing;
// a non-positive `elapsed` gives zero rates.
NetworkRateStats RateBetween(const std::map<std::string, NetworkCounters>& previous,
                             const std::map<std::string, NetworkCounters>& current,
                             absl::Duration elapsed);

}  // namespace gantry::agent::containerd
