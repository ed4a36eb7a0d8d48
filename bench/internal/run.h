// One gantry-bench run, start to finish: bring up PostgreSQL, gantryd and the simulated
// fleets (stack.h); create the network, task definitions and a cluster of its own; run
// the peak phase (closed loop, --clients clients) and wait until its tasks are placed and
// RUNNING; run the half-rate phase (open loop at half the measured placement rate); read
// delivery latency, round sizes, resources and the database size; check that every task
// was placed exactly once; measure the database's own limit with pgbench (db_limit.h);
// stop everything.
//
// Blocking; progress goes to stderr. Fails (with everything stopped) when the system
// under test cannot be brought up or a wait times out; a run that completes returns its
// Report even when checks failed (Outcome::problems says which).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/internal/report.h"

namespace gantry::bench::internal {

struct BenchOptions {
  int hosts = 1000;
  int64_t tasks = 5000;
  int clients = 16;
  int64_t half_rate_tasks = 1000;
  int db_limit_seconds = 10;
  uint64_t seed = 1;
  std::string database_url;  // empty: embedded PostgreSQL under data_dir/pg
  std::filesystem::path data_dir;
  std::filesystem::path build_dir;
  std::vector<std::string> gantryd_args;
};

struct Outcome {
  Report report;
  // Lines on where the CPU went during the peak phase, for the human summary.
  std::vector<std::string> notes;
  // Correctness problems (placement violations, RPC errors, RunTask failures); a run
  // with any is a failed run.
  std::vector<std::string> problems;
};

absl::StatusOr<Outcome> RunBench(const BenchOptions& options);

}  // namespace gantry::bench::internal
