#include "agent/options.h"

#include <cmath>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace gantry::agent {
namespace {

constexpr size_t kMaxZoneLength = 64;
constexpr size_t kMaxPrefixLength = 200;
constexpr size_t kMaxReasonLength = 255;
constexpr absl::Duration kMaxDelay = absl::Hours(1);
constexpr absl::Duration kMaxPollWait = absl::Minutes(10);

// Collects one problem per line, each led by the flag's dashed name.
class Problems {
 public:
  void Add(const char* flag, const std::string& what) {
    lines_.push_back(absl::StrCat("--", flag, ": ", what));
  }
  absl::Status ToStatus() const {
    if (lines_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrJoin(lines_, "\n"));
  }

 private:
  std::vector<std::string> lines_;
};

std::string Quoted(const std::string& value) { return absl::StrCat("\"", value, "\""); }

// A whole number in [min, max]; `unit` describes what the number counts.
int64_t Integer(Problems& problems, const char* flag, const std::string& text, int64_t min,
                int64_t max, const std::string& unit) {
  std::string allowed = absl::StrCat("use ", unit, ", ", min, " to ", max);
  if (text.empty()) {
    problems.Add(flag, absl::StrCat("required; ", allowed));
    return 0;
  }
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    problems.Add(flag, absl::StrCat(Quoted(text), " is not a whole number; ", allowed));
  } else if (value < min || value > max) {
    problems.Add(flag, absl::StrCat(value, " is out of range; ", allowed));
  }
  return value;
}

// A duration in [min, max], in absl's form (200ms, 2s, 1m30s; a bare 0 is allowed).
absl::Duration Duration(Problems& problems, const char* flag, const std::string& text,
                        absl::Duration min, absl::Duration max, bool min_exclusive) {
  std::string allowed =
      absl::StrCat("use a duration ", min_exclusive ? "above " : "from ", absl::FormatDuration(min),
                   " to ", absl::FormatDuration(max), ", e.g. 200ms or 2s");
  absl::Duration value;
  if (!absl::ParseDuration(text, &value)) {
    problems.Add(flag, absl::StrCat(Quoted(text), " is not a duration; ", allowed));
    return absl::ZeroDuration();
  }
  if (value < min || (min_exclusive && value == min) || value > max) {
    problems.Add(flag, absl::StrCat(Quoted(text), " is out of range; ", allowed));
  }
  return value;
}

bool IsZoneName(const std::string& zone) {
  if (zone.empty() || zone.size() > kMaxZoneLength) return false;
  for (char c : zone) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// HOST:PORT with a port 1-65535; HOST may be a name, an IPv4 address or [IPv6].
bool IsEndpoint(const std::string& endpoint) {
  size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string host = endpoint.substr(0, colon);
  if (host.front() != '[' && host.find(':') != std::string::npos) return false;
  int port = 0;
  return absl::SimpleAtoi(endpoint.substr(colon + 1), &port) && port >= 1 && port <= 65535 &&
         host.find_first_of(" /") == std::string::npos;
}

void ParseConnection(const FlagValues& flags, Problems& problems, Options& options) {
  options.endpoint = flags.endpoint;
  if (flags.endpoint.empty()) {
    problems.Add("endpoint", "required; use gantryd's address HOST:PORT, e.g. 127.0.0.1:50051");
  } else if (!IsEndpoint(flags.endpoint)) {
    problems.Add("endpoint", absl::StrCat(Quoted(flags.endpoint),
                                          " is not HOST:PORT; use e.g. 127.0.0.1:50051 "
                                          "(port 1 to 65535)"));
  }
  options.runtime = flags.runtime;
  if (flags.runtime.empty()) {
    problems.Add("runtime", "required; use sim or containerd");
  } else if (flags.runtime != "sim" && flags.runtime != kContainerdRuntime) {
    problems.Add("runtime",
                 absl::StrCat(Quoted(flags.runtime), " is not a runtime; use sim or containerd"));
  }
}

// The ranges are gantryd's RegisterHost limits.
void ParseHosts(const FlagValues& flags, Problems& problems, Options& options) {
  options.hosts = static_cast<int>(
      Integer(problems, "hosts", flags.hosts, 1, kMaxHosts, "the number of hosts to simulate"));
  options.availability_zone = flags.availability_zone;
  if (flags.availability_zone.empty()) {
    problems.Add("availability-zone", "required; use the hosts' zone name, e.g. us-east-1a");
  } else if (!IsZoneName(flags.availability_zone)) {
    problems.Add("availability-zone",
                 absl::StrCat(Quoted(flags.availability_zone), " is not a zone name; use 1-",
                              kMaxZoneLength, " lowercase letters, digits and -"));
  }
  options.cpu_units =
      Integer(problems, "cpu", flags.cpu, 256, 1048576, "CPU units per host (1024 per vCPU)");
  options.memory_mib =
      Integer(problems, "memory", flags.memory, 512, 16777216, "MiB of memory per host");
  options.ephemeral_storage_gib = Integer(problems, "ephemeral-storage", flags.ephemeral_storage,
                                          20, 65536, "GiB of task storage per host");
  options.eni_slots = Integer(problems, "max-enis", flags.max_enis, 1, 4096, "task ENIs per host");
}

// A real host is one host: --hosts defaults to 1 and may be nothing else.
void ParseContainerd(const FlagValues& flags, Problems& problems, Options& options) {
  options.containerd_address = flags.containerd_address;
  options.init_path = flags.init_path;
  options.log_max_bytes =
      Integer(problems, "log-max-size", flags.log_max_size, 1, 1024, "MiB per container log file")
      << 20;
  options.task_cleanup_wait = Duration(problems, "task-cleanup-wait", flags.task_cleanup_wait,
                                       absl::ZeroDuration(), absl::Hours(24 * 30), false);
  for (const std::string& list : flags.insecure_registries) {
    for (absl::string_view entry : absl::StrSplit(list, ',', absl::SkipEmpty())) {
      std::string registry(entry);
      if (!IsEndpoint(registry)) {
        problems.Add("insecure-registry",
                     absl::StrCat(Quoted(registry), " is not HOST:PORT; use e.g. 127.0.0.1:5000"));
      }
      options.insecure_registries.insert(registry);
    }
  }
  if (options.runtime != kContainerdRuntime) {
    return;
  }
  if (flags.containerd_address.empty() || flags.containerd_address.front() != '/') {
    problems.Add("containerd-address",
                 absl::StrCat(Quoted(flags.containerd_address),
                              " is not a socket path; use e.g. /run/containerd/containerd.sock"));
  }
  if (options.hosts != 1) {
    problems.Add("hosts", "the containerd runtime runs one real host; use 1 (or leave it out)");
  }
}

void ParseSim(const FlagValues& flags, Problems& problems, SimConfig& sim) {
  sim.launch_delay = Duration(problems, "launch-delay", flags.launch_delay, absl::ZeroDuration(),
                              kMaxDelay, false);
  sim.stop_delay =
      Duration(problems, "stop-delay", flags.stop_delay, absl::ZeroDuration(), kMaxDelay, false);
  double fail_rate = 0;
  if (!absl::SimpleAtod(flags.fail_rate, &fail_rate) || !std::isfinite(fail_rate) ||
      fail_rate < 0 || fail_rate > 1) {
    problems.Add("fail-rate", absl::StrCat(Quoted(flags.fail_rate),
                                           " is not a fraction; use 0 to 1, e.g. 0.05"));
  }
  sim.fail_rate = fail_rate;
  sim.fail_reason = flags.fail_reason;
  if (flags.fail_reason.empty() || flags.fail_reason.size() > kMaxReasonLength) {
    problems.Add("fail-reason", absl::StrCat("use 1 to ", kMaxReasonLength, " characters of text"));
  }
}

}  // namespace

FlagValues WithMachineDefaults(FlagValues flags, const MachineResources& machine) {
  if (flags.runtime != kContainerdRuntime) {
    return flags;
  }
  if (flags.hosts.empty()) {
    flags.hosts = absl::StrCat(1);  // not = "1": g++ 12 warns falsely (-Wrestrict)
  }
  if (flags.cpu.empty()) {
    flags.cpu = absl::StrCat(machine.cpu_units);
  }
  if (flags.memory.empty()) {
    flags.memory = absl::StrCat(machine.memory_mib);
  }
  return flags;
}

absl::StatusOr<Options> ParseOptions(const FlagValues& flags,
                                     const std::string& default_host_name_prefix) {
  Problems problems;
  Options options;
  ParseConnection(flags, problems, options);
  ParseHosts(flags, problems, options);
  options.state_dir = flags.state_dir;
  if (flags.state_dir.empty()) problems.Add("state-dir", "required; use a directory path");
  ParseSim(flags, problems, options.sim);
  ParseContainerd(flags, problems, options);
  options.poll_wait =
      Duration(problems, "poll-wait", flags.poll_wait, absl::ZeroDuration(), kMaxPollWait, true);
  options.metrics_interval = Duration(problems, "metrics-interval", flags.metrics_interval,
                                      absl::ZeroDuration(), absl::Hours(1), false);
  // Below 100 ms the readings cost more than they tell (and gantryd's writes multiply).
  if (options.metrics_interval > absl::ZeroDuration() &&
      options.metrics_interval < absl::Milliseconds(100)) {
    problems.Add("metrics-interval", absl::StrCat(absl::FormatDuration(options.metrics_interval),
                                                  " is too short; use 0s (off) or 100ms to 1h"));
  }
  options.host_name_prefix =
      flags.host_name_prefix.empty() ? default_host_name_prefix : flags.host_name_prefix;
  options.credential_flags = {flags.credentials_file, flags.profile};
  if (options.host_name_prefix.size() > kMaxPrefixLength) {
    problems.Add("host-name-prefix",
                 absl::StrCat(options.host_name_prefix.size(),
                              " characters is too long; use at most ", kMaxPrefixLength));
  }
  if (absl::Status status = problems.ToStatus(); !status.ok()) return status;
  return options;
}

std::string Usage() {
  return R"(gantry-agent: the Gantry data-plane agent. One process plays --hosts hosts, each
registered with gantryd, polling for commands and reporting task states.

Usage:
  gantry-agent --endpoint HOST:PORT --runtime sim --hosts N --availability-zone AZ
               --cpu UNITS --memory MIB [flags]
  gantry-agent --endpoint HOST:PORT --runtime containerd --availability-zone AZ [flags]

Required:
  --endpoint HOST:PORT        gantryd's gRPC address
  --runtime sim|containerd    the container runtime: sim simulates hosts; containerd runs
                              real containers on this machine (as root)
  --hosts N                   hosts to simulate, 1 to 100000 (containerd: 1, the default)
  --availability-zone AZ      the hosts' zone, e.g. us-east-1a
  --cpu UNITS                 CPU units per host (1024 per vCPU), 256 to 1048576
                              (containerd: default 1024 per CPU of this machine)
  --memory MIB                memory per host in MiB, 512 to 16777216
                              (containerd: default this machine's memory)

Optional:
  --ephemeral-storage GIB     task storage per host, 20 to 65536 (default 200)
  --max-enis N                task ENIs per host, 1 to 4096 (default 16)
  --state-dir DIR             where host ids are kept across restarts (default ./.gantry-agent)
  --launch-delay DURATION     sim: time from PENDING to RUNNING (default 200ms)
  --stop-delay DURATION       sim: time from STOPPING to STOPPED (default 100ms)
  --fail-rate FRACTION        sim: share of launches that fail, 0 to 1 (default 0)
  --fail-reason TEXT          sim: the stopped reason of a failed launch
                              (default "CannotPullContainerError: simulated pull failure")
  --containerd-address PATH  containerd: its socket (default /run/containerd/containerd.sock)
  --insecure-registry H:P     containerd: a registry pulled from over plain HTTP; repeat the
                              flag or separate with commas (other registries: not yet)
  --init-path PATH            containerd: the static init run as PID 1 of containers with
                              initProcessEnabled (default /usr/bin/tini-static)
  --task-cleanup-wait DURATION containerd: a stopped task's directory and logs are removed
                              this long after it stopped, 0s to 720h (default 3h)
  --log-max-size MIB          containerd: a container's log file is rotated past this, two
                              old files kept, 1 to 1024 (default 10)
  --poll-wait DURATION        longest command long-poll, above 0s to 10m (default 20s)
  --metrics-interval DURATION how often running tasks' usage is reported to gantryd, 100ms to
                              1h, or 0s for never (default 10s)
  --host-name-prefix TEXT     host names are TEXT + index (default: this machine's hostname + "-")
  --credentials-file FILE     the access key (an agent or admin key) in an AWS shared-credentials
  --profile NAME              file, and its profile; without them: AWS_ACCESS_KEY_ID and
                              AWS_SECRET_ACCESS_KEY, then AWS_SHARED_CREDENTIALS_FILE and
                              AWS_PROFILE, then ./.gantry/admin-credentials

Flags may be spelled with dashes or underscores (--state-dir, --state_dir). Durations
are like 200ms, 2s, 1m30s.

Per-task simulation hints (container environment variables, overrides win):
  GANTRY_SIM_FAIL_START=<reason>   the launch fails with this reason
  GANTRY_SIM_EXIT_AFTER=<duration> the container exits this long after RUNNING
  GANTRY_SIM_EXIT_CODE=<0..255>    ... with this exit code (default 0)

Prints "gantry-agent ready hosts=N" on stdout once every host has registered; logs go
to stderr (GANTRY_LOG_LEVEL=debug for every state change). SIGINT or SIGTERM stops it.
Exit codes: 0 stopped by a signal, 1 failure, 2 bad flags.
)";
}

}  // namespace gantry::agent
