// The scheduler turns RunTask calls into placed tasks, many per transaction.
//
// One loop thread owns a database connection and a placement::Placer, the in-memory
// view of hosts, subnets and group spread. Each round it takes every RunTask waiting
// in its bounded queue plus the tasks waiting in the database for capacity, places
// them against the view (pure, microseconds per task), and commits all of the round's
// tasks and placements in one transaction (storage::CommitRound). That transaction
// re-checks every host's capacity and every address in SQL, so a stale view (another
// gantryd on the same database) can cost a retry but never overcommit a host or give
// an address twice. Only after the commit are callers answered.
//
// Threading: Submit() and CapacityChanged() may be called from any thread and never
// block; `done` is called exactly once: on the loop thread, on the caller's thread when
// the queue refuses, or on the thread calling Shutdown() for requests still queued.
// The loop is a plain thread rather than an Asio strand: it owns one blocking database
// connection and does nothing else, so there is nothing to multiplex. Errors: UNAVAILABLE when the
// queue is full or the scheduler stopped; ALREADY_EXISTS when a clientToken was used for another
// request; database errors as storage reports them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/storage.h"

namespace gantry::scheduler {

struct Options {
  std::string conninfo;
  std::string region = "us-east-1";
  // A task that cannot be placed for this long stops with TaskFailedToStart.
  absl::Duration placement_timeout = absl::Minutes(10);
  // Tasks committed per transaction, at most.
  int max_round_tasks = 4096;
  // Tasks accepted but not yet taken by a round; beyond this Submit is UNAVAILABLE.
  int queue_capacity_tasks = 65536;
  // While there is work, every host of the view is re-read at least this often, a few
  // hundred per round rather than all at once, so that capacity another gantryd took or
  // freed is seen without stalling the rounds (a full load of 10,000 hosts held RunTask
  // calls for 50-100 ms).
  absl::Duration view_max_age = absl::Seconds(2);
  // The whole view (with group spread counts, which only a full load reads) is reloaded
  // at least this often while there is work, and whenever capacity is known to have
  // changed or a round found the view stale.
  absl::Duration view_full_reload_age = absl::Seconds(30);
  // Bounds on the loop's database work, so a stuck lock or statement cannot stall
  // every RunTask: the round fails (callers may retry) and the loop goes on.
  absl::Duration statement_timeout = absl::Seconds(30);
  absl::Duration lock_timeout = absl::Seconds(10);
};

// One RunTask call, validated and resolved.
struct RunRequest {
  std::string account_id;
  std::string client_token;  // empty: none
  // Identifies the request's content; the same token with another fingerprint is
  // refused.
  std::string fingerprint;
  std::vector<storage::NewTask> tasks;
};

struct RunFailure {
  std::string reason;  // RESOURCE:CPU, RESOURCE:MEMORY, RESOURCE:ENI, MISSING, ...
  std::string detail;
};

struct RunOutcome {
  // Created tasks, placed or waiting for capacity (lastStatus PROVISIONING), in
  // request order; with a reused clientToken, the tasks created the first time.
  std::vector<storage::TaskRow> tasks;
  // Tasks that were not created because waiting could not help (bigger than any host).
  std::vector<RunFailure> failures;
};

// The answer to a RunTask call whose clientToken is already bound: the first call's
// tasks when `request` has the same fingerprint, else ALREADY_EXISTS naming them.
// Blocking (reads the tasks).
absl::StatusOr<RunOutcome> ReplayBinding(storage::Connection& connection, const RunRequest& request,
                                         const storage::TokenBinding& binding);

// The placement spread group of a task: tasks of different clusters or accounts never
// share one. Whoever runs placement::Placer over stored tasks must key groups so, or its
// zone choices differ from the scheduler's.
std::string SpreadGroupKey(std::string_view account_id, std::string_view cluster,
                           std::string_view group);

// What the scheduler has done since it started, for gantryd's metrics endpoint.
struct SchedulerStats {
  uint64_t rounds = 0;           // rounds that committed
  uint64_t failed_rounds = 0;    // rounds whose commit failed (their requests were retried
                                 // one by one, or failed)
  uint64_t tasks_created = 0;    // tasks that RunTask calls created
  uint64_t tasks_placed = 0;     // placements committed (new tasks and waiting ones)
  uint64_t tasks_displaced = 0;  // placements the database refused (stale view)
  double round_seconds = 0;      // time spent in rounds, commit included
  int64_t queued_tasks = 0;      // accepted by Submit, not yet taken by a round
};

class Scheduler {
 public:
  // Connects, loads the view and starts the loop thread.
  static absl::StatusOr<std::unique_ptr<Scheduler>> Start(Options options);
  ~Scheduler();  // Shutdown()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void Submit(RunRequest request, std::function<void(absl::StatusOr<RunOutcome>)> done);

  // Capacity may have appeared (a host registered, a task released its resources):
  // reload the view and retry waiting tasks in the next round.
  void CapacityChanged();

  // A consistent copy; any thread.
  SchedulerStats stats() const;

  // Stops taking work, finishes the round in progress, answers queued callers with
  // UNAVAILABLE, joins the loop. Idempotent.
  void Shutdown();

 private:
  class Loop;
  explicit Scheduler(std::unique_ptr<Loop> loop);
  std::unique_ptr<Loop> loop_;
};

}  // namespace gantry::scheduler
