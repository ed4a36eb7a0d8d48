// agent/options: flag validation into Options.
#include "agent/options.h"

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace gantry::agent {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;

FlagValues ValidFlags() {
  FlagValues flags;
  flags.endpoint = "127.0.0.1:50051";
  flags.runtime = "sim";
  flags.hosts = "3";
  flags.availability_zone = "us-east-1a";
  flags.cpu = "4096";
  flags.memory = "16384";
  return flags;
}

TEST(ParseOptions, Containerd_OneHostAndTheMachineByDefault_RegistriesSplitOnCommas) {
  FlagValues flags;
  flags.endpoint = "127.0.0.1:50051";
  flags.runtime = "containerd";
  flags.availability_zone = "us-east-1a";
  flags.insecure_registries = {"127.0.0.1:5000,localhost:5001", "registry.test:80"};
  absl::StatusOr<Options> options =
      ParseOptions(WithMachineDefaults(flags, {.cpu_units = 2048, .memory_mib = 7900}), "box-");
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->runtime, "containerd");
  EXPECT_EQ(options->hosts, 1);
  EXPECT_EQ(options->cpu_units, 2048);
  EXPECT_EQ(options->memory_mib, 7900);
  EXPECT_EQ(options->containerd_address, "/run/containerd/containerd.sock");
  EXPECT_EQ(options->init_path, "/usr/bin/tini-static");
  EXPECT_EQ(options->log_max_bytes, 10 << 20);
  EXPECT_EQ(options->task_cleanup_wait, absl::Hours(3));
  EXPECT_THAT(options->insecure_registries,
              ::testing::ElementsAre("127.0.0.1:5000", "localhost:5001", "registry.test:80"));
}

TEST(ParseOptions, Containerd_GivenValuesWinOverTheMachine_BadRegistryNamed) {
  FlagValues flags = ValidFlags();
  flags.runtime = "containerd";
  flags.hosts = "";
  flags.insecure_registries = {"127.0.0.1"};
  absl::StatusOr<Options> options =
      ParseOptions(WithMachineDefaults(flags, {.cpu_units = 2048, .memory_mib = 7900}), "box-");
  EXPECT_THAT(options, StatusIs(absl::StatusCode::kInvalidArgument,
                                "--insecure-registry: \"127.0.0.1\" is not HOST:PORT; use e.g. "
                                "127.0.0.1:5000"));
  flags.insecure_registries.clear();
  flags.containerd_address = "containerd.sock";
  options = ParseOptions(WithMachineDefaults(flags, {.cpu_units = 2048, .memory_mib = 7900}), "b");
  EXPECT_THAT(options, StatusIs(absl::StatusCode::kInvalidArgument,
                                "--containerd-address: \"containerd.sock\" is not a socket path"));
  flags.containerd_address = "/run/containerd/containerd.sock";
  options = ParseOptions(WithMachineDefaults(flags, {.cpu_units = 2048, .memory_mib = 7900}), "b");
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->cpu_units, 4096);
  EXPECT_EQ(options->memory_mib, 16384);
}

TEST(ParseOptions, Sim_MachineDefaultsDoNotApply) {
  FlagValues flags = ValidFlags();
  flags.hosts = "";
  EXPECT_EQ(WithMachineDefaults(flags, {.cpu_units = 2048, .memory_mib = 7900}).hosts, "");
}

TEST(ParseOptions, RequiredFlagsOnly_DefaultsApply) {
  absl::StatusOr<Options> options = ParseOptions(ValidFlags(), "box-");
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->endpoint, "127.0.0.1:50051");
  EXPECT_EQ(options->runtime, "sim");
  EXPECT_EQ(options->hosts, 3);
  EXPECT_EQ(options->availability_zone, "us-east-1a");
  EXPECT_EQ(options->cpu_units, 4096);
  EXPECT_EQ(options->memory_mib, 16384);
  EXPECT_EQ(options->ephemeral_storage_gib, 200);
  EXPECT_EQ(options->eni_slots, 16);
  EXPECT_EQ(options->state_dir, "./.gantry-agent");
  EXPECT_EQ(options->sim.launch_delay, absl::Milliseconds(200));
  EXPECT_EQ(options->sim.stop_delay, absl::Milliseconds(100));
  EXPECT_EQ(options->sim.fail_rate, 0);
  EXPECT_EQ(options->sim.fail_reason, "CannotPullContainerError: simulated pull failure");
  EXPECT_EQ(options->poll_wait, absl::Seconds(20));
  EXPECT_EQ(options->metrics_interval, absl::Seconds(10));
  EXPECT_EQ(options->host_name_prefix, "box-");
}

TEST(ParseOptions, OptionalFlags_Parsed) {
  FlagValues flags = ValidFlags();
  flags.endpoint = "[::1]:7000";
  flags.ephemeral_storage = "20";
  flags.max_enis = "4096";
  flags.state_dir = "/var/lib/agent";
  flags.launch_delay = "0";
  flags.stop_delay = "1m30s";
  flags.fail_rate = "0.25";
  flags.fail_reason = "boom";
  flags.poll_wait = "500ms";
  flags.metrics_interval = "0s";
  flags.host_name_prefix = "rack7-";
  absl::StatusOr<Options> options = ParseOptions(flags, "box-");
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->ephemeral_storage_gib, 20);
  EXPECT_EQ(options->eni_slots, 4096);
  EXPECT_EQ(options->state_dir, "/var/lib/agent");
  EXPECT_EQ(options->sim.launch_delay, absl::ZeroDuration());
  EXPECT_EQ(options->sim.stop_delay, absl::Seconds(90));
  EXPECT_EQ(options->sim.fail_rate, 0.25);
  EXPECT_EQ(options->sim.fail_reason, "boom");
  EXPECT_EQ(options->poll_wait, absl::Milliseconds(500));
  EXPECT_EQ(options->metrics_interval, absl::ZeroDuration()) << "0s turns metrics off";
  EXPECT_EQ(options->host_name_prefix, "rack7-");
}

TEST(ParseOptions, BadValue_NamesFlagAndWhatIsAllowed) {
  struct Case {
    const char* name;
    std::string FlagValues::*field;
    std::string value;
    const char* want;
  };
  const Case cases[] = {
      {"no endpoint", &FlagValues::endpoint, "", "--endpoint: required; use gantryd's address"},
      {"endpoint without port", &FlagValues::endpoint, "localhost",
       "--endpoint: \"localhost\" is not HOST:PORT"},
      {"endpoint port 0", &FlagValues::endpoint, "localhost:0", "is not HOST:PORT"},
      {"endpoint port text", &FlagValues::endpoint, "localhost:http", "is not HOST:PORT"},
      {"no runtime", &FlagValues::runtime, "", "--runtime: required; use sim or containerd"},
      {"unknown runtime", &FlagValues::runtime, "docker",
       "--runtime: \"docker\" is not a runtime; use sim or containerd"},
      {"containerd with 3 hosts", &FlagValues::runtime, "containerd",
       "--hosts: the containerd runtime runs one real host; use 1"},
      {"log size zero", &FlagValues::log_max_size, "0",
       "--log-max-size: 0 is out of range; use MiB per container log file, 1 to 1024"},
      {"no hosts", &FlagValues::hosts, "", "--hosts: required; use the number of hosts"},
      {"hosts text", &FlagValues::hosts, "ten", "--hosts: \"ten\" is not a whole number"},
      {"hosts zero", &FlagValues::hosts, "0", "--hosts: 0 is out of range; use"},
      {"hosts too many", &FlagValues::hosts, "100001", "1 to 100000"},
      {"no zone", &FlagValues::availability_zone, "", "--availability-zone: required"},
      {"zone upper case", &FlagValues::availability_zone, "US-EAST-1A",
       "--availability-zone: \"US-EAST-1A\" is not a zone name"},
      {"no cpu", &FlagValues::cpu, "", "--cpu: required; use CPU units per host"},
      {"cpu low", &FlagValues::cpu, "128",
       "--cpu: 128 is out of range; use CPU units per host "
       "(1024 per vCPU), 256 to 1048576"},
      {"memory fraction", &FlagValues::memory, "1.5", "--memory: \"1.5\" is not a whole number"},
      {"memory low", &FlagValues::memory, "100", "--memory: 100 is out of range"},
      {"storage low", &FlagValues::ephemeral_storage, "10",
       "--ephemeral-storage: 10 is out of range; use GiB of task storage per host, 20 to 65536"},
      {"enis zero", &FlagValues::max_enis, "0", "--max-enis: 0 is out of range"},
      {"no state dir", &FlagValues::state_dir, "", "--state-dir: required"},
      {"launch delay text", &FlagValues::launch_delay, "fast",
       "--launch-delay: \"fast\" is not a duration"},
      {"launch delay no unit", &FlagValues::launch_delay, "200", "is not a duration"},
      {"stop delay negative", &FlagValues::stop_delay, "-1s",
       "--stop-delay: \"-1s\" is out of range; use a duration from 0 to 1h"},
      {"fail rate above 1", &FlagValues::fail_rate, "1.5",
       "--fail-rate: \"1.5\" is not a fraction; use 0 to 1"},
      {"fail rate negative", &FlagValues::fail_rate, "-0.1", "--fail-rate"},
      {"fail rate nan", &FlagValues::fail_rate, "nan", "--fail-rate"},
      {"fail rate percent", &FlagValues::fail_rate, "5%", "--fail-rate"},
      {"empty fail reason", &FlagValues::fail_reason, "", "--fail-reason: use 1 to 255"},
      {"poll wait zero", &FlagValues::poll_wait, "0s",
       "--poll-wait: \"0s\" is out of range; use a duration above 0 to 10m"},
      {"poll wait long", &FlagValues::poll_wait, "1h", "--poll-wait"},
      {"metrics interval tiny", &FlagValues::metrics_interval, "10ms",
       "--metrics-interval: 10ms is too short; use 0s (off) or 100ms to 1h"},
      {"metrics interval long", &FlagValues::metrics_interval, "2h", "--metrics-interval"},
      {"metrics interval negative", &FlagValues::metrics_interval, "-1s", "--metrics-interval"},
      {"cleanup wait negative", &FlagValues::task_cleanup_wait, "-1m", "--task-cleanup-wait"},
      {"prefix too long", &FlagValues::host_name_prefix, std::string(201, 'x'),
       "--host-name-prefix: 201 characters is too long"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FlagValues flags = ValidFlags();
    flags.*c.field = c.value;
    EXPECT_THAT(ParseOptions(flags, "box-"), StatusIs(absl::StatusCode::kInvalidArgument, c.want));
  }
}

TEST(ParseOptions, SeveralProblems_AllReportedInFlagOrder) {
  FlagValues flags;  // nothing required given
  flags.fail_rate = "2";
  absl::StatusOr<Options> options = ParseOptions(flags, "box-");
  ASSERT_FALSE(options.ok());
  std::string message(options.status().message());
  for (const char* flag : {"--endpoint:", "--runtime:", "--hosts:", "--availability-zone:",
                           "--cpu:", "--memory:", "--fail-rate:"}) {
    EXPECT_NE(message.find(flag), std::string::npos) << flag;
  }
  EXPECT_LT(message.find("--endpoint:"), message.find("--runtime:"));
  EXPECT_LT(message.find("--memory:"), message.find("--fail-rate:"));
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 6);
}

TEST(Usage, MentionsEveryFlag) {
  std::string usage = Usage();
  for (const char* flag :
       {"--endpoint", "--runtime", "--hosts", "--availability-zone", "--cpu", "--memory",
        "--ephemeral-storage", "--max-enis", "--state-dir", "--launch-delay", "--stop-delay",
        "--fail-rate", "--fail-reason", "--poll-wait", "--metrics-interval", "--task-cleanup-wait",
        "--host-name-prefix"}) {
    EXPECT_NE(usage.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace gantry::agent
