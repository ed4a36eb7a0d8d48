#include "bench/internal/run.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "auth/client.h"
#include "bench/internal/db.h"
#include "bench/internal/db_limit.h"
#include "bench/internal/driver.h"
#include "bench/internal/proc_stats.h"
#include "bench/internal/process.h"
#include "bench/internal/stack.h"
#include "bench/internal/workload.h"
#include "common/ids.h"
#include "common/status_macros.h"

namespace gantry::bench::internal {
namespace {

constexpr char kPeakStartedBy[] = "gantry-bench-peak";
constexpr char kHalfStartedBy[] = "gantry-bench-half";
constexpr absl::Duration kPlacedTimeout = absl::Minutes(10);
constexpr absl::Duration kRunningTimeout = absl::Minutes(10);
constexpr size_t kTopThreads = 4;
constexpr size_t kTopBackends = 3;
constexpr size_t kTopStatements = 8;
constexpr absl::Duration kSampleInterval = absl::Milliseconds(20);

double Seconds(SteadyTime from, SteadyTime to) {
  return std::chrono::duration<double>(to - from).count();
}

double PerSecond(double count, double seconds) { return seconds > 0 ? count / seconds : 0; }

// Everything one run measures, filled in phase by phase.
struct Figures {
  double fleet_ready_s = 0;
  int64_t calls = 0;
  int64_t tasks_returned = 0;
  int64_t waiting_tasks = 0;
  double placement_s = 0;  // first RunTask sent -> every task placed
  double running_s = 0;    // first RunTask sent -> every task RUNNING
  double runtask_p50_ms = 0, runtask_p99_ms = 0, runtask_max_ms = 0;
  double half_rate_offered_per_s = 0;
  double runtask_half_p50_ms = 0, runtask_half_p99_ms = 0;
  int64_t half_rate_late_calls = 0;
  DeliveryLatency delivery, half_delivery;
  int64_t rounds = 0;
  CpuSample cpu_start, cpu_placed, cpu_running;
  ActivitySampler::Profile activity;
  std::vector<StatementStats> statements;  // empty without pg_stat_statements
  SteadyTime cpu_start_at{}, cpu_placed_at{}, cpu_running_at{};
  double gantryd_cpu_total_s = 0;
  double peak_rss_mib = 0;
  double db_size_mib = 0;
  int64_t rpc_errors = 0, runtask_failures = 0;
  PlacementCheck check;
  int db_limit_batch = 0;
  DbLimitResult db_limit, db_limit_serial;
  double load_start = 0, load_end = 0;
};

struct Run {
  explicit Run(const BenchOptions& o) : options(o) {}
  const BenchOptions& options;
  std::unique_ptr<Stack> stack;
  std::unique_ptr<BenchDb> db;
  std::unique_ptr<Driver> driver;
  BenchNetwork network;
  RunScope scope;
  std::vector<std::string> peak_ids, half_ids;
  Figures f;
  Outcome outcome;
};

absl::Status SetUp(Run& run) {
  const BenchOptions& o = run.options;
  GANTRY_ASSIGN_OR_RETURN(run.stack, Stack::Start({.build_dir = o.build_dir,
                                                   .data_dir = o.data_dir,
                                                   .database_url = o.database_url,
                                                   .gantryd_args = o.gantryd_args}));
  GANTRY_ASSIGN_OR_RETURN(run.db, BenchDb::Open(run.stack->conninfo()));
  GANTRY_ASSIGN_OR_RETURN(int64_t connected, run.db->ConnectedHosts());
  if (connected > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("the database already has ", connected,
                     " connected hosts; tasks could land on them. Use an empty database"));
  }
  GANTRY_ASSIGN_OR_RETURN(
      auth::Credentials credentials,
      auth::FindCredentials({.credentials_file = run.stack->credentials_file().string()}));
  run.driver = std::make_unique<Driver>(run.stack->endpoint(), credentials, o.clients);
  GANTRY_ASSIGN_OR_RETURN(run.network, run.driver->CreateNetwork());
  GANTRY_RETURN_IF_ERROR(run.driver->RegisterFamilies());
  run.scope.cluster = absl::StrCat("bench-", ids::RandomHex(8));
  GANTRY_RETURN_IF_ERROR(run.driver->CreateCluster(run.scope.cluster));
  GANTRY_ASSIGN_OR_RETURN(run.scope.account_id, run.db->ClusterAccount(run.scope.cluster));
  std::vector<int> hosts_per_zone;
  for (int zone = 0; zone < kZones; ++zone) hosts_per_zone.push_back(HostsInZone(o.hosts, zone));
  const SteadyTime fleet_start = std::chrono::steady_clock::now();
  GANTRY_RETURN_IF_ERROR(run.stack->StartAgents(hosts_per_zone));
  run.f.fleet_ready_s = Seconds(fleet_start, std::chrono::steady_clock::now());
  return absl::OkStatus();
}

CpuSample Sample(const Run& run) {
  return SampleCpu(run.stack->gantryd_pid(), run.stack->postmaster_pid(), run.stack->agent_pids());
}

void NoteErrors(Run& run, const std::string& phase, const PhaseResult& result) {
  run.f.rpc_errors += result.rpc_errors;
  run.f.runtask_failures += result.failures;
  if (result.rpc_errors > 0 || result.failures > 0) {
    run.outcome.problems.push_back(absl::StrCat(phase, ": ", result.rpc_errors,
                                                " RunTask calls failed, ", result.failures,
                                                " failures[] entries"));
  }
  for (const std::string& error : result.errors) {
    run.outcome.problems.push_back(absl::StrCat(phase, ": ", error));
  }
}

// When every task of `result` was placed: the last answer carrying placed tasks, or
// (for tasks that were answered waiting) the poll that saw the last of them placed.
absl::StatusOr<SteadyTime> AllPlaced(Run& run, const PhaseResult& result) {
  SteadyTime placed = result.last_placed_answer.value_or(result.first_send);
  if (!result.waiting_ids.empty()) {
    std::fprintf(stderr, "%zu tasks were answered waiting for capacity; polling until placed\n",
                 result.waiting_ids.size());
    GANTRY_ASSIGN_OR_RETURN(SteadyTime polled,
                            run.db->WaitPlaced(result.waiting_ids, kPlacedTimeout));
    placed = std::max(placed, polled);
  }
  return placed;
}

std::string CpuLine(const std::string& what, const CpuSample& from, const CpuSample& to,
                    double wall_s) {
  const double gantryd = to.gantryd_s - from.gantryd_s;
  const double postgres = to.postgres_s - from.postgres_s;
  const double agents = to.agents_s - from.agents_s;
  const double bench = to.bench_s - from.bench_s;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return absl::StrFormat(
      "%s (%.2f s): CPU s gantryd %.2f, PostgreSQL %.2f, agents %.2f, bench %.2f = %.0f%% of "
      "%u cores",
      what, wall_s, gantryd, postgres, agents, bench,
      100 * (gantryd + postgres + agents + bench) / (wall_s * cores), cores);
}

void NoteStatements(Run& run) {
  const Figures& f = run.f;
  if (f.statements.empty()) return;
  std::vector<std::string>& notes = run.outcome.notes;
  notes.push_back(
      "statements by execution time (pg_stat_statements; calls, total, per call, "
      "rows per call):");
  for (const StatementStats& s : f.statements) {
    notes.push_back(absl::StrFormat("  %7d %9.0f ms %7.3f ms %6.1f  %s", s.calls, s.total_ms,
                                    s.calls > 0 ? s.total_ms / s.calls : 0,
                                    s.calls > 0 ? static_cast<double>(s.rows) / s.calls : 0,
                                    s.statement));
  }
}

// The peak phase's CPU by process, and its busiest gantryd threads and PostgreSQL
// processes (with what each last ran), while the backends' last queries are still the
// peak's.
void NoteWhereTimeWent(Run& run) {
  const Figures& f = run.f;
  std::vector<std::string>& notes = run.outcome.notes;
  notes.push_back(CpuLine("peak, to all placed", f.cpu_start, f.cpu_placed,
                          Seconds(f.cpu_start_at, f.cpu_placed_at)));
  notes.push_back(CpuLine("peak, to all RUNNING", f.cpu_start, f.cpu_running,
                          Seconds(f.cpu_start_at, f.cpu_running_at)));
  std::string threads = "busiest gantryd threads (to all RUNNING):";
  for (const CpuUser& user :
       TopCpuUsers(f.cpu_start.gantryd_threads, f.cpu_running.gantryd_threads, kTopThreads)) {
    absl::StrAppend(&threads, absl::StrFormat(" %d %s %.2fs;", user.id, user.comm, user.seconds));
  }
  notes.push_back(threads);
  for (const CpuUser& user : TopCpuUsers(f.cpu_start.postgres_processes,
                                         f.cpu_running.postgres_processes, kTopBackends)) {
    auto it = f.activity.by_backend.find(user.id);
    notes.push_back(absl::StrFormat("PostgreSQL process %d %.2fs CPU, mostly: %s", user.id,
                                    user.seconds,
                                    it == f.activity.by_backend.end() ? "?" : it->second));
  }
  NoteStatements(run);
  if (f.activity.ticks == 0) return;
  notes.push_back(absl::StrFormat(
      "PostgreSQL backends busy, by statement (mean over %d samples, %s apart; waits included):",
      f.activity.ticks, absl::FormatDuration(kSampleInterval)));
  double total = 0;
  for (const ActivitySampler::Entry& entry : f.activity.statements) total += entry.samples;
  notes.push_back(absl::StrFormat("  %5.2f in all", total / f.activity.ticks));
  for (size_t i = 0; i < f.activity.statements.size() && i < kTopStatements; ++i) {
    const ActivitySampler::Entry& entry = f.activity.statements[i];
    notes.push_back(absl::StrFormat(
        "  %5.2f %s", static_cast<double>(entry.samples) / f.activity.ticks, entry.what));
  }
}

absl::Status PeakPhase(Run& run) {
  Figures& f = run.f;
  std::vector<Call> calls = PlanCalls(run.options.tasks, run.options.seed);
  f.calls = static_cast<int64_t>(calls.size());
  // Only on the embedded server: no extension is created in a --database-url database.
  const bool statement_stats =
      run.stack->postmaster_pid().has_value() && run.db->ResetStatementStats().ok();
  GANTRY_ASSIGN_OR_RETURN(std::unique_ptr<ActivitySampler> sampler,
                          ActivitySampler::Start(run.stack->conninfo(), kSampleInterval));
  f.cpu_start = Sample(run);
  f.cpu_start_at = std::chrono::steady_clock::now();
  PhaseResult peak = run.driver->RunPhase({.label = "peak",
                                           .cluster = run.scope.cluster,
                                           .started_by = kPeakStartedBy,
                                           .network = &run.network,
                                           .calls = std::move(calls),
                                           .clients = run.options.clients});
  GANTRY_RETURN_IF_ERROR(CheckInterrupted());
  NoteErrors(run, "peak", peak);
  GANTRY_ASSIGN_OR_RETURN(SteadyTime placed, AllPlaced(run, peak));
  f.cpu_placed = Sample(run);
  f.cpu_placed_at = std::chrono::steady_clock::now();
  f.tasks_returned = static_cast<int64_t>(peak.task_ids.size());
  f.waiting_tasks = static_cast<int64_t>(peak.waiting_ids.size());
  f.placement_s = Seconds(peak.first_send, placed);
  GANTRY_ASSIGN_OR_RETURN(SteadyTime running,
                          run.db->WaitRunning(run.scope, f.tasks_returned, kRunningTimeout));
  f.cpu_running = Sample(run);
  f.cpu_running_at = std::chrono::steady_clock::now();
  f.activity = sampler->Stop();
  if (statement_stats) {
    f.statements = run.db->TopStatements(static_cast<int>(kTopStatements))
                       .value_or(std::vector<StatementStats>());
  }
  NoteWhereTimeWent(run);
  f.running_s = Seconds(peak.first_send, running);
  f.runtask_p50_ms = Percentile(peak.latencies_ms, 0.5);
  f.runtask_p99_ms = Percentile(peak.latencies_ms, 0.99);
  f.runtask_max_ms = Percentile(peak.latencies_ms, 1.0);
  run.peak_ids = std::move(peak.task_ids);
  std::fprintf(stderr, "peak: %lld tasks placed in %.3f s, RUNNING after %.3f s\n",
               static_cast<long long>(f.tasks_returned), f.placement_s, f.running_s);
  GANTRY_ASSIGN_OR_RETURN(f.delivery, run.db->Delivery(run.scope, kPeakStartedBy));
  GANTRY_ASSIGN_OR_RETURN(f.rounds, run.db->Rounds(run.scope, kPeakStartedBy));
  return absl::OkStatus();
}

absl::Status HalfRatePhase(Run& run) {
  Figures& f = run.f;
  const double peak_rate = PerSecond(static_cast<double>(f.tasks_returned), f.placement_s);
  if (run.options.half_rate_tasks <= 0 || peak_rate <= 0) return absl::OkStatus();
  f.half_rate_offered_per_s = peak_rate / 2;
  std::fprintf(stderr, "half-rate: %lld tasks offered at %.0f tasks/s\n",
               static_cast<long long>(run.options.half_rate_tasks), f.half_rate_offered_per_s);
  PhaseResult half =
      run.driver->RunPhase({.label = "half-rate",
                            .cluster = run.scope.cluster,
                            .started_by = kHalfStartedBy,
                            .network = &run.network,
                            .calls = PlanCalls(run.options.half_rate_tasks, run.options.seed + 1),
                            .clients = run.options.clients,
                            .tasks_per_second = f.half_rate_offered_per_s});
  GANTRY_RETURN_IF_ERROR(CheckInterrupted());
  NoteErrors(run, "half-rate", half);
  GANTRY_RETURN_IF_ERROR(AllPlaced(run, half).status());
  f.runtask_half_p50_ms = Percentile(half.latencies_ms, 0.5);
  f.runtask_half_p99_ms = Percentile(half.latencies_ms, 0.99);
  f.half_rate_late_calls = half.late_calls;
  run.half_ids = std::move(half.task_ids);
  const int64_t all = static_cast<int64_t>(run.peak_ids.size() + run.half_ids.size());
  GANTRY_RETURN_IF_ERROR(run.db->WaitRunning(run.scope, all, kRunningTimeout).status());
  GANTRY_ASSIGN_OR_RETURN(f.half_delivery, run.db->Delivery(run.scope, kHalfStartedBy));
  return absl::OkStatus();
}

absl::Status Resources(Run& run) {
  Figures& f = run.f;
  f.peak_rss_mib = PeakRssMib(run.stack->gantryd_pid());
  f.gantryd_cpu_total_s = Sample(run).gantryd_s;
  GANTRY_ASSIGN_OR_RETURN(f.db_size_mib, run.db->DatabaseSizeMib());
  GANTRY_ASSIGN_OR_RETURN(f.check, run.db->CheckPlacements(run.scope, run.peak_ids, run.half_ids));
  for (const std::string& problem : f.check.problems) {
    run.outcome.problems.push_back(absl::StrCat("placement check: ", problem));
  }
  if (f.check.tasks_placed != run.options.tasks) {
    run.outcome.problems.push_back(absl::StrCat("placed ", f.check.tasks_placed, " of ",
                                                run.options.tasks, " peak-phase tasks"));
  }
  return absl::OkStatus();
}

absl::Status DbLimitPhase(Run& run) {
  Figures& f = run.f;
  if (run.options.db_limit_seconds <= 0) return absl::OkStatus();  // every db_limit_* is 0
  const double mean_round = f.rounds > 0 ? static_cast<double>(f.tasks_returned) / f.rounds : 1;
  f.db_limit_batch = std::max(1, static_cast<int>(std::lround(mean_round)));
  GANTRY_ASSIGN_OR_RETURN(std::string containers, run.db->SampleContainers(run.scope));
  DbLimitOptions options{.conninfo = run.stack->conninfo(),
                         .hosts = run.options.hosts,
                         .batch = f.db_limit_batch,
                         .seconds = run.options.db_limit_seconds,
                         .containers_json = std::move(containers),
                         .work_dir = run.options.data_dir};
  std::fprintf(stderr, "database limit: pgbench, %d placements per transaction, %d s each\n",
               f.db_limit_batch, options.seconds);
  GANTRY_RETURN_IF_ERROR(PrepareDbLimit(*run.db, options));
  GANTRY_ASSIGN_OR_RETURN(f.db_limit, RunDbLimit(*run.db, options, run.options.clients));
  std::fprintf(stderr, "database limit: %d clients: %.0f placements/s\n", f.db_limit.clients,
               f.db_limit.placements_per_s);
  GANTRY_ASSIGN_OR_RETURN(f.db_limit_serial, RunDbLimit(*run.db, options, 1));
  std::fprintf(stderr, "database limit: 1 client: %.0f placements/s\n",
               f.db_limit_serial.placements_per_s);
  return DropDbLimit(*run.db);
}

Report BuildReport(const Run& run) {
  const Figures& f = run.f;
  const BenchOptions& o = run.options;
  const double placements = PerSecond(static_cast<double>(f.tasks_returned), f.placement_s);
  const double limit = f.db_limit.placements_per_s;
  Report r;
  r.Add("placements_per_s", placements, "/s", "placements/s (first RunTask -> all placed)");
  r.Add("running_per_s", PerSecond(static_cast<double>(f.tasks_returned), f.running_s), "/s",
        "tasks/s reaching RUNNING");
  r.Add("ratio_to_db_limit", limit > 0 ? placements / limit : 0, "", "ratio to the database limit");
  r.Add("db_limit_placements_per_s", limit, "/s", "database limit (pgbench, db_limit_clients)");
  r.AddCount("db_limit_batch", f.db_limit_batch, "database limit: placements per transaction");
  r.AddCount("db_limit_clients", f.db_limit.clients, "database limit: pgbench clients");
  r.Add("db_limit_tps", f.db_limit.transactions_per_s, "/s", "database limit: transactions/s");
  r.Add("db_limit_1client_placements_per_s", f.db_limit_serial.placements_per_s, "/s",
        "database limit with 1 client");
  r.Add("runtask_p50_ms", f.runtask_p50_ms, "ms", "RunTask latency p50, full load");
  r.Add("runtask_p99_ms", f.runtask_p99_ms, "ms", "RunTask latency p99, full load");
  r.Add("runtask_max_ms", f.runtask_max_ms, "ms", "RunTask latency max, full load");
  r.Add("runtask_half_rate_p50_ms", f.runtask_half_p50_ms, "ms",
        "RunTask latency p50, half of peak rate (from when due)");
  r.Add("runtask_half_rate_p99_ms", f.runtask_half_p99_ms, "ms",
        "RunTask latency p99, half of peak rate (from when due)");
  r.Add("half_rate_offered_per_s", f.half_rate_offered_per_s, "/s", "half-rate phase: offered");
  r.AddCount("half_rate_late_calls", f.half_rate_late_calls,
             "half-rate phase: calls sent >5 ms late");
  r.Add("delivery_p50_ms", f.delivery.p50_ms, "ms", "delivery p50, full load (placed -> agent)");
  r.Add("delivery_p99_ms", f.delivery.p99_ms, "ms", "delivery p99, full load (placed -> agent)");
  r.Add("delivery_half_rate_p50_ms", f.half_delivery.p50_ms, "ms", "delivery p50, half rate");
  r.Add("delivery_half_rate_p99_ms", f.half_delivery.p99_ms, "ms", "delivery p99, half rate");
  r.Add("peak_rss_mib", f.peak_rss_mib, "MiB", "gantryd peak RSS (VmHWM)");
  r.Add("gantryd_cpu_s", f.cpu_running.gantryd_s - f.cpu_start.gantryd_s, "s",
        "gantryd CPU, peak phase (to all RUNNING)");
  r.Add("gantryd_cpu_total_s", f.gantryd_cpu_total_s, "s", "gantryd CPU, whole run");
  r.Add("postgres_cpu_s", f.cpu_running.postgres_s - f.cpu_start.postgres_s, "s",
        "PostgreSQL CPU, peak phase (embedded only)");
  r.Add("agents_cpu_s", f.cpu_running.agents_s - f.cpu_start.agents_s, "s",
        "agents CPU, peak phase");
  r.Add("bench_cpu_s", f.cpu_running.bench_s - f.cpu_start.bench_s, "s", "bench CPU, peak phase");
  r.Add("db_size_mib", f.db_size_mib, "MiB", "database size after both phases");
  r.Add("mean_round_size", f.rounds > 0 ? static_cast<double>(f.tasks_returned) / f.rounds : 0,
        "tasks", "mean placement round (tasks per transaction)");
  r.AddCount("rounds", f.rounds, "placement rounds, peak phase");
  r.Add("placement_s", f.placement_s, "s", "peak phase: first RunTask -> all placed");
  r.Add("running_s", f.running_s, "s", "peak phase: first RunTask -> all RUNNING");
  r.Add("fleet_ready_s", f.fleet_ready_s, "s", "agents started -> all hosts registered");
  r.AddCount("hosts", o.hosts, "hosts");
  r.AddCount("tasks", o.tasks, "tasks, peak phase");
  r.AddCount("clients", o.clients, "clients");
  r.AddCount("calls", f.calls, "RunTask calls, peak phase");
  r.AddCount("half_rate_tasks", o.half_rate_tasks, "tasks, half-rate phase");
  r.AddCount("tasks_placed", f.check.tasks_placed, "peak-phase tasks placed exactly once");
  r.AddCount("half_rate_tasks_placed", f.check.half_rate_tasks_placed,
             "half-rate tasks placed exactly once");
  r.AddCount("placement_errors", f.check.violations, "placement check violations");
  r.AddCount("rpc_errors", f.rpc_errors, "RunTask RPC errors");
  r.AddCount("runtask_failures", f.runtask_failures, "RunTask failures[] entries");
  r.AddCount("waiting_tasks", f.waiting_tasks, "peak tasks answered waiting for capacity");
  r.Add("load_avg_start", f.load_start, "", "load average (1 min) at start");
  r.Add("load_avg_end", f.load_end, "", "load average (1 min) at end");
  return r;
}

absl::Status RunPhases(Run& run) {
  GANTRY_RETURN_IF_ERROR(SetUp(run));
  GANTRY_RETURN_IF_ERROR(PeakPhase(run));
  GANTRY_RETURN_IF_ERROR(HalfRatePhase(run));
  GANTRY_RETURN_IF_ERROR(Resources(run));
  return DbLimitPhase(run);
}

}  // namespace

absl::StatusOr<Outcome> RunBench(const BenchOptions& options) {
  Run run(options);
  run.f.load_start = LoadAverage();
  absl::Status status = RunPhases(run);
  run.db.reset();
  absl::Status stopped = run.stack != nullptr ? run.stack->Stop() : absl::OkStatus();
  if (!status.ok()) return status;
  if (!stopped.ok()) run.outcome.problems.push_back(std::string(stopped.message()));
  run.f.load_end = LoadAverage();
  run.outcome.report = BuildReport(run);
  return std::move(run.outcome);
}

}  // namespace gantry::bench::internal
