// gantry-agent: the Gantry data-plane agent. Parses and validates flags (exit code 2 on
// a bad one), then runs the agent (agent/agent.h) until SIGINT or SIGTERM.
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/marshalling.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_replace.h"
#include "agent/agent.h"
#include "agent/options.h"
#include "common/flags.h"

// Every flag is read as text and validated by agent::ParseOptions, so that a bad value
// gets a message naming the flag and what is allowed, and exit code 2.
ABSL_FLAG(std::string, endpoint, "", "gantryd's gRPC address HOST:PORT");
ABSL_FLAG(std::string, runtime, "", "Container runtime: sim");
ABSL_FLAG(std::string, hosts, "", "Hosts to simulate");
ABSL_FLAG(std::string, availability_zone, "", "The hosts' availability zone");
ABSL_FLAG(std::string, cpu, "", "CPU units per host (1024 per vCPU)");
ABSL_FLAG(std::string, memory, "", "Memory per host in MiB");
ABSL_FLAG(std::string, ephemeral_storage, gantry::agent::FlagValues().ephemeral_storage,
          "Task storage per host in GiB");
ABSL_FLAG(std::string, max_enis, gantry::agent::FlagValues().max_enis, "Task ENIs per host");
ABSL_FLAG(std::string, state_dir, gantry::agent::FlagValues().state_dir,
          "Directory keeping the host ids across restarts");
ABSL_FLAG(std::string, launch_delay, gantry::agent::FlagValues().launch_delay,
          "sim: time from PENDING to RUNNING");
ABSL_FLAG(std::string, stop_delay, gantry::agent::FlagValues().stop_delay,
          "sim: time from STOPPING to STOPPED");
ABSL_FLAG(std::string, fail_rate, gantry::agent::FlagValues().fail_rate,
          "sim: share of launches that fail, 0 to 1");
ABSL_FLAG(std::string, fail_reason, gantry::agent::FlagValues().fail_reason,
          "sim: stopped reason of a failed launch");
ABSL_FLAG(std::string, credentials_file, "",
          "AWS shared-credentials file with the agent's access key");
ABSL_FLAG(std::string, profile, "", "Profile of the credentials file");
ABSL_FLAG(std::string, poll_wait, gantry::agent::FlagValues().poll_wait,
          "Longest command long-poll");
ABSL_FLAG(std::string, metrics_interval, gantry::agent::FlagValues().metrics_interval,
          "How often running tasks' usage is reported (0s: never)");
ABSL_FLAG(std::string, containerd_address, gantry::agent::FlagValues().containerd_address,
          "containerd: the daemon's socket");
ABSL_FLAG(std::vector<std::string>, insecure_registry, {},
          "containerd: registries pulled from over plain HTTP (repeatable, comma-separated)");
ABSL_FLAG(std::string, init_path, gantry::agent::FlagValues().init_path,
          "containerd: the init binary for initProcessEnabled");
ABSL_FLAG(std::string, task_cleanup_wait, gantry::agent::FlagValues().task_cleanup_wait,
          "containerd: how long a stopped task's directory and logs are kept");
ABSL_FLAG(std::string, log_max_size, gantry::agent::FlagValues().log_max_size,
          "containerd: MiB per container log file before it is rotated");
ABSL_FLAG(std::string, host_name_prefix, "",
          "Host names are this prefix + index (default: hostname + \"-\")");

namespace {

bool WantsHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") return false;
    if (arg == "--help" || arg == "-help" || arg == "-h") return true;
  }
  return false;
}

std::string MachineHostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "gantry-agent-";
  return std::string(name) + "-";
}

// Every value of a flag that may be repeated (absl keeps only the last one), from the
// dash-normalised arguments: "--NAME=V" and "--NAME V".
std::vector<std::string> RepeatedFlag(const std::vector<std::string>& args,
                                      const std::string& name) {
  std::vector<std::string> values;
  const std::string flag = "--" + name;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--") break;
    if (args[i].rfind(flag + "=", 0) == 0) {
      values.push_back(args[i].substr(flag.size() + 1));
    } else if (args[i] == flag && i + 1 < args.size()) {
      values.push_back(args[++i]);
    }
  }
  return values;
}

gantry::agent::MachineResources ThisMachine() {
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  return {.cpu_units = std::max(1L, cpus) * 1024,
          .memory_mib = static_cast<int64_t>(pages) * page_size / (1 << 20)};
}

int BadFlags(const std::string& message) {
  std::cerr << "gantry-agent: bad flags:\n  " << absl::StrReplaceAll(message, {{"\n", "\n  "}})
            << "\nRun gantry-agent --help for usage.\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (WantsHelp(argc, argv)) {
    std::cout << gantry::agent::Usage();
    return 0;
  }
  absl::SetProgramUsageMessage(gantry::agent::Usage());
  std::vector<std::string> args = gantry::flags::NormalizeDashes(argc, argv);
  std::vector<char*> arg_pointers;
  for (std::string& arg : args) arg_pointers.push_back(arg.data());
  std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(arg_pointers.size()), arg_pointers.data());
  if (positional.size() > 1) {
    return BadFlags(std::string("unexpected argument \"") + positional[1] +
                    "\"; every setting is a flag, e.g. --hosts 10");
  }
  gantry::agent::FlagValues flags;
  flags.endpoint = absl::GetFlag(FLAGS_endpoint);
  flags.runtime = absl::GetFlag(FLAGS_runtime);
  flags.hosts = absl::GetFlag(FLAGS_hosts);
  flags.availability_zone = absl::GetFlag(FLAGS_availability_zone);
  flags.cpu = absl::GetFlag(FLAGS_cpu);
  flags.memory = absl::GetFlag(FLAGS_memory);
  flags.ephemeral_storage = absl::GetFlag(FLAGS_ephemeral_storage);
  flags.max_enis = absl::GetFlag(FLAGS_max_enis);
  flags.state_dir = absl::GetFlag(FLAGS_state_dir);
  flags.launch_delay = absl::GetFlag(FLAGS_launch_delay);
  flags.stop_delay = absl::GetFlag(FLAGS_stop_delay);
  flags.fail_rate = absl::GetFlag(FLAGS_fail_rate);
  flags.fail_reason = absl::GetFlag(FLAGS_fail_reason);
  flags.poll_wait = absl::GetFlag(FLAGS_poll_wait);
  flags.metrics_interval = absl::GetFlag(FLAGS_metrics_interval);
  flags.host_name_prefix = absl::GetFlag(FLAGS_host_name_prefix);
  flags.credentials_file = absl::GetFlag(FLAGS_credentials_file);
  flags.profile = absl::GetFlag(FLAGS_profile);
  flags.containerd_address = absl::GetFlag(FLAGS_containerd_address);
  flags.insecure_registries = RepeatedFlag(args, "insecure_registry");
  flags.init_path = absl::GetFlag(FLAGS_init_path);
  flags.log_max_size = absl::GetFlag(FLAGS_log_max_size);
  flags.task_cleanup_wait = absl::GetFlag(FLAGS_task_cleanup_wait);
  flags = gantry::agent::WithMachineDefaults(std::move(flags), ThisMachine());
  auto options = gantry::agent::ParseOptions(flags, MachineHostName());
  if (!options.ok()) return BadFlags(std::string(options.status().message()));
  absl::StatusOr<gantry::auth::Credentials> credentials =
      gantry::auth::FindCredentials(options->credential_flags);
  if (!credentials.ok()) {
    std::cerr << "gantry-agent: " << credentials.status().message() << "\n";
    return 1;
  }
  options->credentials = *std::move(credentials);
  return gantry::agent::RunAgent(*options, std::cout);
}
