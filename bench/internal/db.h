// gantry-bench's own reads of Gantry's database: waiting until the run's tasks are placed
// or RUNNING, the delivery latency and round count recorded in the task rows, the
// database size, and the exactly-once checks after a run. Also runs the DDL of the
// database-limit run (db_limit.h).
//
// These are measurements of a running gantryd, so they read its tables directly
// (read-only, except the bench's own temporary table and schema); the SQL is here and
// not in storage/ because it is the bench's, not Gantry's. One connection, used from
// one thread. libpqxx exceptions become UNAVAILABLE (INTERNAL for unexpected results);
// waits return DEADLINE_EXCEEDED or CANCELLED.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "bench/internal/driver.h"

namespace gantry::bench::internal {

// The run's tasks: those of one cluster (of one account).
struct RunScope {
  std::string account_id;
  std::string cluster;
};

struct DeliveryLatency {
  int64_t delivered = 0;  // tasks with delivered_at
  double p50_ms = 0;
  double p99_ms = 0;
};

struct PlacementCheck {
  int64_t tasks_placed = 0;            // distinct peak-phase tasks placed with an ENI
  int64_t half_rate_tasks_placed = 0;  // the same for the half-rate phase
  int64_t violations = 0;              // sum over every check below
  std::vector<std::string> problems;   // one line per failed check
};

// One statement's totals from pg_stat_statements.
struct StatementStats {
  int64_t calls = 0;
  double total_ms = 0;  // execution time, lock waits included
  int64_t rows = 0;
  std::string statement;  // shortened
};

class BenchDb {
 public:
  static absl::StatusOr<std::unique_ptr<BenchDb>> Open(const std::string& conninfo);

  // Hosts whose agent is connected (a fresh database has none).
  absl::StatusOr<int64_t> ConnectedHosts();
  absl::StatusOr<std::string> ClusterAccount(const std::string& cluster);

  // Polls every 20 ms until every task in `ids` has a host; returns when it saw so.
  absl::StatusOr<SteadyTime> WaitPlaced(const std::vector<std::string>& ids,
                                        absl::Duration timeout);
  // Polls every 20 ms until none of the run's tasks is PROVISIONING, PENDING or
  // ACTIVATING; prints progress every second. FAILED_PRECONDITION when a task stopped
  // (it would never run).
  absl::StatusOr<SteadyTime> WaitRunning(const RunScope& scope, int64_t tasks,
                                         absl::Duration timeout);

  // Percentiles of delivered_at - placed_at over the tasks started by `started_by`.
  absl::StatusOr<DeliveryLatency> Delivery(const RunScope& scope, const std::string& started_by);
  // Distinct placed_at values among those tasks: each placement round stamps its tasks
  // with its transaction's now(), so this counts the rounds that placed them.
  absl::StatusOr<int64_t> Rounds(const RunScope& scope, const std::string& started_by);
  absl::StatusOr<double> DatabaseSizeMib();
  // One task's containers JSON, as Gantry stored it (a realistic row for db_limit).
  absl::StatusOr<std::string> SampleContainers(const RunScope& scope);

  // Starts pg_stat_statements afresh (creating the extension in this database).
  // UNAVAILABLE when the server has not loaded it; the caller then goes without.
  absl::Status ResetStatementStats();
  // The statements that took the most execution time since the reset.
  absl::StatusOr<std::vector<StatementStats>> TopStatements(int limit);

  // Every returned id exactly once in the database, every task placed with its ENI, no
  // address given twice, hosts' and subnets' counters equal to what their tasks hold.
  absl::StatusOr<PlacementCheck> CheckPlacements(const RunScope& scope,
                                                 const std::vector<std::string>& peak_ids,
                                                 const std::vector<std::string>& half_ids);

  // Runs SQL text (no parameters): DDL and the like.
  absl::Status Execute(const std::string& sql);
  // Runs one statement with parameters.
  absl::Status ExecuteParams(const std::string& sql, const std::vector<std::string>& params);

 private:
  explicit BenchDb(std::unique_ptr<pqxx::connection> connection)
      : connection_(std::move(connection)) {}

  std::unique_ptr<pqxx::connection> connection_;
};

// A poor man's profiler of the server: a thread with its own connection that samples
// pg_stat_activity every `interval` and counts what the active backends (other than its
// own) are running, with their wait event: wall time in the database by statement,
// waits included. Start/Stop from one thread; Stop joins.
class ActivitySampler {
 public:
  struct Entry {
    std::string what;  // statement (shortened) and [wait event] or [CPU]
    int64_t samples = 0;
  };
  struct Profile {
    int64_t ticks = 0;                        // how many times pg_stat_activity was read
    std::vector<Entry> statements;            // most frequent first
    std::map<pid_t, std::string> by_backend;  // each backend's most frequent statement
  };

  static absl::StatusOr<std::unique_ptr<ActivitySampler>> Start(const std::string& conninfo,
                                                                absl::Duration interval);
  ActivitySampler(const ActivitySampler&) = delete;
  ActivitySampler& operator=(const ActivitySampler&) = delete;
  ~ActivitySampler();
  Profile Stop();

 private:
  ActivitySampler() = default;
  void Loop(std::unique_ptr<pqxx::connection> connection, absl::Duration interval);

  absl::Notification stop_;
  std::thread thread_;
  // Written by the sampling thread only, read after it is joined.
  int64_t ticks_ = 0;
  std::map<std::string, int64_t> counts_;
  std::map<pid_t, std::map<std::string, int64_t>> by_backend_;
};

// A PostgreSQL array literal of `values` ("{"a","b"}"), for a text[] parameter.
std::string TextArray(const std::vector<std::string>& values);

}  // namespace gantry::bench::internal
