// gantry-bench: the end-to-end placement benchmark. Starts PostgreSQL (or uses
// --database-url), gantryd and simulated fleets in three zones, drives RunTask from many
// clients, and reports placement throughput, latencies, resources and the database's own
// limit (bench/internal/run.h). Parses flags, prepares the data directory, prints.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/internal/process.h"
#include "bench/internal/run.h"
#include "bench/internal/workload.h"
#include "common/flags.h"

ABSL_FLAG(int, hosts, 1000, "Simulated hosts, split evenly over three zones (3 to 300000)");
ABSL_FLAG(int64_t, tasks, 5000, "Tasks run in the peak phase");
ABSL_FLAG(int, clients, 16, "Concurrent RunTask clients (also pgbench's clients)");
ABSL_FLAG(std::string, database_url, "",
          "PostgreSQL URL or conninfo of an empty database; empty: an embedded PostgreSQL");
ABSL_FLAG(std::string, data_dir, "",
          "Directory for logs, agent state and the embedded PostgreSQL (must be empty); "
          "default: a fresh temporary directory, removed at exit unless --keep");
ABSL_FLAG(bool, keep, false, "Keep the temporary data directory (logs) at exit");
ABSL_FLAG(std::string, output, "table",
          "table: human summary on stdout; json: summary on "
          "stderr, then one JSON object as the last stdout line");
ABSL_FLAG(int, db_limit_seconds, 10, "Seconds per pgbench run of the database limit; 0 skips it");
ABSL_FLAG(int64_t, half_rate_tasks, -1,
          "Tasks offered at half the peak placement rate (default --tasks / 5; 0 skips)");
ABSL_FLAG(std::string, build_dir, "",
          "Build tree with gantryd/gantryd and agent/gantry-agent (default: this binary's "
          "parent directory's parent, i.e. build/)");
ABSL_FLAG(uint64_t, seed, 1, "Seed of the workload (call sizes, task sizes, groups)");
ABSL_FLAG(std::string, gantryd_args, "",
          "Extra gantryd flags, separated by spaces (e.g. \"--db-workers 8\")");

namespace {

namespace fs = std::filesystem;
using gantry::bench::internal::BenchOptions;

constexpr char kUsage[] = R"(gantry-bench: end-to-end placement benchmark of gantryd.

  gantry-bench [--hosts 1000] [--tasks 5000] [--clients 16] [--database-url URL]
               [--data-dir DIR] [--keep] [--output table|json] [--db-limit-seconds 10]
               [--half-rate-tasks N] [--build-dir DIR] [--seed 1] [--gantryd-args "..."]

Flags:
  --hosts N              simulated hosts (16 vCPU, 64 GiB, 32 ENIs each), split evenly over
                         the zones us-east-1a/b/c, one gantry-agent --runtime sim per zone
  --tasks M              tasks of the peak phase (RunTask counts 1-10, mostly 1-3; sizes
                         256/512 40%, 512/1024 30%, 1024/2048 15%, 2048/4096 10%, 4096/8192 5%;
                         100 groups of Zipf-like popularity, each in one of 3 VPCs)
  --clients C            concurrent RunTask clients, closed loop; also pgbench's clients
  --database-url URL     an empty database to use instead of an embedded PostgreSQL
  --data-dir DIR         logs, agent state, PostgreSQL (default: a temporary directory,
                         removed at exit unless --keep; a failed run keeps its logs)
  --keep                 keep the temporary data directory
  --output table|json    json: the summary goes to stderr and the last stdout line is JSON
  --db-limit-seconds S   length of each pgbench run (C clients, then 1); 0 skips them
  --half-rate-tasks N    tasks offered at half the peak rate (default M/5; 0 skips)
  --build-dir DIR        where gantryd/gantryd and agent/gantry-agent are (default: ../ of
                         this binary's directory)
  --seed N               the workload's seed
  --gantryd-args "..."   extra gantryd flags, e.g. "--db-workers 8"

Measures (JSON keys):
  placements_per_s    peak-phase tasks / (last task durably placed - first RunTask sent);
                      RunTask answers after its round committed, so a task answered with a
                      host is placed; tasks answered waiting are polled in the database
  running_per_s       the same tasks / (database shows all RUNNING - first RunTask sent)
  runtask_p50/p99_ms  RunTask latency under full load (closed loop, --clients clients)
  runtask_half_rate_* RunTask latency offered open-loop at half of placements_per_s,
                      counted from when each call was due
  delivery_p50/p99_ms tasks.delivered_at - placed_at: both are now() of their transactions
                      (placement round, and the poll that handed the launch to the agent),
                      so it includes the round's commit and not the answer's trip
  mean_round_size     peak tasks / distinct placed_at values (one per placement round)
  db_limit_*          pgbench running bench/db_limit.sql (update hosts, insert tasks, insert
                      ENIs; mean_round_size placements per transaction) on the same server
  ratio_to_db_limit   placements_per_s / db_limit_placements_per_s
  peak_rss_mib, gantryd_cpu_s, postgres_cpu_s, agents_cpu_s, db_size_mib: from /proc and
                      pg_database_size; CPU is for the peak phase (first send -> all RUNNING)
Exit code 0 when every task was placed exactly once and no call failed; 1 otherwise; 2 for
bad flags.
)";

bool WantsHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") return false;
    if (arg == "--help" || arg == "-help" || arg == "-h") return true;
  }
  return false;
}

int BadFlag(const std::string& message) {
  std::fprintf(stderr, "gantry-bench: %s\n", message.c_str());
  return 2;
}

// Checks and converts the flags; prints the problem and returns false on a bad one.
bool ReadOptions(BenchOptions* options, std::string* output) {
  options->hosts = absl::GetFlag(FLAGS_hosts);
  options->tasks = absl::GetFlag(FLAGS_tasks);
  options->clients = absl::GetFlag(FLAGS_clients);
  options->db_limit_seconds = absl::GetFlag(FLAGS_db_limit_seconds);
  const int64_t half = absl::GetFlag(FLAGS_half_rate_tasks);
  options->half_rate_tasks = half < 0 ? options->tasks / 5 : half;
  options->seed = absl::GetFlag(FLAGS_seed);
  options->database_url = absl::GetFlag(FLAGS_database_url);
  for (absl::string_view arg :
       absl::StrSplit(absl::GetFlag(FLAGS_gantryd_args), ' ', absl::SkipEmpty())) {
    options->gantryd_args.emplace_back(arg);
  }
  *output = absl::GetFlag(FLAGS_output);
  std::string problem;
  if (options->hosts < 3 || options->hosts > 300000) {
    problem = "--hosts: use 3 to 300000 (at least one host per zone)";
  } else if (options->tasks < 1) {
    problem = "--tasks: use at least 1";
  } else if (options->clients < 1 || options->clients > 1000) {
    problem = "--clients: use 1 to 1000";
  } else if (*output != "table" && *output != "json") {
    problem = absl::StrCat("--output: \"", *output, "\" is not table or json");
  } else if (options->db_limit_seconds < 0) {
    problem = "--db-limit-seconds: use 0 (skip) or more";
  } else if (absl::Status fits = gantry::bench::internal::CheckCapacity(
                 options->hosts, options->tasks + options->half_rate_tasks);
             !fits.ok()) {
    problem = std::string(fits.message());
  }
  if (!problem.empty()) {
    BadFlag(problem);
    return false;
  }
  std::error_code ec;
  std::string build_dir = absl::GetFlag(FLAGS_build_dir);
  options->build_dir = build_dir.empty()
                           ? fs::read_symlink("/proc/self/exe", ec).parent_path().parent_path()
                           : fs::path(build_dir);
  return true;
}

// The data directory: the one given (created, must be empty) or a fresh temporary one
// that PostgreSQL's user can reach (when the bench runs as root, PostgreSQL runs as
// postgres). Sets *temporary when the bench made it.
bool PrepareDataDir(BenchOptions* options, bool* temporary) {
  std::string given = absl::GetFlag(FLAGS_data_dir);
  std::error_code ec;
  if (!given.empty()) {
    fs::create_directories(given, ec);
    if (ec || !fs::is_empty(given, ec)) {
      BadFlag(absl::StrCat("--data-dir: ", given, " must be an empty directory or not exist"));
      return false;
    }
    options->data_dir = fs::absolute(given);
    return true;
  }
  std::string pattern = (fs::temp_directory_path() / "gantry-bench.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr || ::chmod(pattern.c_str(), 0755) != 0) {
    std::perror("gantry-bench: temporary directory");
    return false;
  }
  options->data_dir = pattern;
  *temporary = true;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (WantsHelp(argc, argv)) {
    std::cout << kUsage;
    return 0;
  }
  gantry::bench::internal::InstallInterruptHandler();
  absl::SetProgramUsageMessage(kUsage);
  std::vector<std::string> args = gantry::flags::NormalizeDashes(argc, argv);
  std::vector<char*> arg_pointers;
  for (std::string& arg : args) arg_pointers.push_back(arg.data());
  absl::ParseCommandLine(static_cast<int>(arg_pointers.size()), arg_pointers.data());

  BenchOptions options;
  std::string output;
  bool temporary = false;
  if (!ReadOptions(&options, &output)) return 2;
  if (!PrepareDataDir(&options, &temporary)) return 1;
  std::fprintf(
      stderr, "gantry-bench: %d hosts, %lld tasks (+%lld at half rate), %d clients; data in %s\n",
      options.hosts, static_cast<long long>(options.tasks),
      static_cast<long long>(options.half_rate_tasks), options.clients, options.data_dir.c_str());

  absl::StatusOr<gantry::bench::internal::Outcome> outcome =
      gantry::bench::internal::RunBench(options);
  // A failed run keeps its logs (not the database) for a look at what went wrong.
  std::error_code ec;
  if (!temporary || absl::GetFlag(FLAGS_keep)) {
    std::fprintf(stderr, "gantry-bench: data kept in %s\n", options.data_dir.c_str());
  } else if (!outcome.ok()) {
    fs::remove_all(options.data_dir / "pg", ec);
    std::fprintf(stderr, "gantry-bench: logs kept in %s\n", options.data_dir.c_str());
  } else {
    fs::remove_all(options.data_dir, ec);
  }
  if (!outcome.ok()) {
    std::fprintf(stderr, "gantry-bench: %s\n", std::string(outcome.status().message()).c_str());
    return gantry::bench::internal::Interrupted() ? 130 : 1;
  }
  std::string summary =
      outcome->report.Summary(absl::StrCat("gantry-bench: ", options.hosts, " hosts, ",
                                           options.tasks, " tasks, ", options.clients, " clients"));
  for (const std::string& note : outcome->notes) absl::StrAppend(&summary, "  ", note, "\n");
  for (const std::string& problem : outcome->problems) {
    absl::StrAppend(&summary, "  PROBLEM: ", problem, "\n");
  }
  if (output == "json") {
    std::cerr << summary << std::flush;
    std::cout << outcome->report.Json() << std::endl;
  } else {
    std::cout << summary << std::flush;
  }
  return outcome->problems.empty() ? 0 : 1;
}
