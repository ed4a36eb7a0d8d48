#include "scheduler/scheduler.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/log.h"
#include "common/status_details.h"
#include "placement/placement.h"

namespace gantry::scheduler {
namespace {

// Waiting tasks are retried at least this often (capacity freed by another gantryd,
// placement deadlines), besides every time capacity is known to have changed.
constexpr absl::Duration kWaitingRetry = absl::Seconds(1);

using Done = std::function<void(absl::StatusOr<RunOutcome>)>;

struct Entry {
  RunRequest request;
  Done done;
};

placement::TaskRequest ToPlacementRequest(const storage::NewTask& task) {
  placement::TaskRequest request;
  request.group = SpreadGroupKey(task.account_id, task.cluster, task.group);
  request.needs = {task.cpu_units, task.memory_mib, task.ephemeral_storage_gib, 1};
  request.subnet_ids = task.subnet_ids;
  return request;
}

// Bounds of a slice of the view re-read between rounds: fewer rows are not worth a
// round trip, more would stall a round.
constexpr int64_t kMinSliceHosts = 64;
constexpr int64_t kMaxSliceHosts = 2048;

placement::Host ToPlacementHost(const storage::HostCapacity& host) {
  placement::Host out;
  out.id = host.host_id;
  out.availability_zone = host.availability_zone;
  out.total = {host.total.cpu_units, host.total.memory_mib, host.total.ephemeral_storage_gib,
               host.total.enis};
  out.used = {host.used.cpu_units, host.used.memory_mib, host.used.ephemeral_storage_gib,
              host.used.enis};
  out.accepts_tasks = host.status == "ACTIVE";
  return out;
}

placement::Subnet ToPlacementSubnet(const storage::SubnetCapacity& subnet) {
  return {subnet.subnet_id, subnet.availability_zone, subnet.free_addresses};
}

placement::Snapshot ToSnapshot(const storage::CapacitySnapshot& capacity) {
  placement::Snapshot snapshot;
  for (const storage::HostCapacity& host : capacity.hosts) {
    snapshot.hosts.push_back(ToPlacementHost(host));
  }
  for (const storage::SubnetCapacity& subnet : capacity.subnets) {
    snapshot.subnets.push_back(ToPlacementSubnet(subnet));
  }
  for (const storage::GroupZoneCount& count : capacity.group_counts) {
    snapshot.group_counts.push_back({SpreadGroupKey(count.account_id, count.cluster, count.group),
                                     count.availability_zone, count.tasks});
  }
  return snapshot;
}

}  // namespace

// Invariants: `placer_`, `view_*` and `waiting_*` are touched only by the loop thread.
// Every Entry taken from `queue_` has its `done` called exactly once.
class Scheduler::Loop {
 public:
  Loop(Options options, std::unique_ptr<storage::Connection> connection)
      : options_(std::move(options)), connection_(std::move(connection)) {}

  ~Loop() { Shutdown(); }

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }

  void Submit(RunRequest request, Done done) {
    {
      absl::MutexLock lock(&mu_);
      int tasks = static_cast<int>(request.tasks.size());
      if (!stopping_ && queued_tasks_ + tasks <= options_.queue_capacity_tasks) {
        queued_tasks_ += tasks;
        queue_.push_back({std::move(request), std::move(done)});
        return;
      }
    }
    done(absl::UnavailableError("RunTask: the scheduler is overloaded or stopping; retry later"));
  }

  void CapacityChanged() {
    absl::MutexLock lock(&mu_);
    capacity_changed_ = true;
  }

  SchedulerStats Stats() {
    SchedulerStats stats;
    {
      absl::MutexLock lock(&stats_mu_);
      stats = stats_;
    }
    absl::MutexLock lock(&mu_);
    stats.queued_tasks = queued_tasks_;
    return stats;
  }

  void Shutdown() {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        return;
      }
      stopping_ = true;
    }
    if (thread_.joinable()) {
      thread_.join();
    }
    std::deque<Entry> left;
    {
      absl::MutexLock lock(&mu_);
      left.swap(queue_);
    }
    for (Entry& entry : left) {
      entry.done(absl::UnavailableError("RunTask: gantryd is stopping"));
    }
  }

 private:
  void Run() {
    while (true) {
      std::vector<Entry> batch;
      bool capacity_changed = false;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this] { return stopping_ || !queue_.empty() || capacity_changed_; };
        absl::Duration wait = std::max(absl::ZeroDuration(), next_waiting_retry_ - absl::Now());
        mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
        if (stopping_) {
          return;
        }
        capacity_changed = std::exchange(capacity_changed_, false);
        batch = TakeBatchLocked();
      }
      // Waiting tasks are looked at on a timer whatever this process believes: another
      // gantryd may have queued them, or a failed round may have left them.
      bool retry_waiting = capacity_changed || absl::Now() >= next_waiting_retry_;
      if (capacity_changed) {
        view_dirty_ = true;
      }
      if (batch.empty() && !retry_waiting) {
        continue;
      }
      const absl::Time start = absl::Now();
      RunRound(std::move(batch), retry_waiting);
      absl::MutexLock lock(&stats_mu_);
      stats_.round_seconds += absl::ToDoubleSeconds(absl::Now() - start);
    }
  }

  // Whole requests, up to max_round_tasks tasks (at least one request). A request
  // whose clientToken is already in the round waits for the next one, so that a
  // token is bound once per round.
  std::vector<Entry> TakeBatchLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<Entry> batch;
    std::deque<Entry> deferred;
    absl::flat_hash_set<std::string> tokens;
    int tasks = 0;
    while (!queue_.empty()) {
      Entry& next = queue_.front();
      int size = static_cast<int>(next.request.tasks.size());
      if (!batch.empty() && tasks + size > options_.max_round_tasks) {
        break;
      }
      if (!next.request.client_token.empty() &&
          !tokens.insert(next.request.account_id + "/" + next.request.client_token).second) {
        deferred.push_back(std::move(next));
      } else {
        tasks += size;
        queued_tasks_ -= size;
        batch.push_back(std::move(next));
      }
      queue_.pop_front();
    }
    for (auto it = deferred.rbegin(); it != deferred.rend(); ++it) {
      queue_.push_front(std::move(*it));
    }
    return batch;
  }

  // Reloads the whole view when forced, dirty or due, and sets `*fresh`; otherwise
  // re-reads the slice of hosts that is due.
  absl::Status RefreshView(bool force, bool* fresh) {
    const absl::Time now = absl::Now();
    if (force || !placer_.has_value() || view_dirty_ ||
        now - view_loaded_at_ >= options_.view_full_reload_age) {
      absl::StatusOr<storage::CapacitySnapshot> capacity = storage::LoadCapacity(*connection_);
      if (!capacity.ok()) {
        return capacity.status();
      }
      placer_.emplace(ToSnapshot(*capacity));
      view_loaded_at_ = now;
      view_dirty_ = false;
      slice_read_at_ = now;
      slice_cursor_ = 0;
      *fresh = true;
      return absl::OkStatus();
    }
    return RefreshSlice(now);
  }

  // Re-reads the hosts after the cursor, as many as are due for every host to be read
  // once per view_max_age, and every subnet; the cursor wraps at the end.
  absl::Status RefreshSlice(absl::Time now) {
    const double due_share = absl::FDivDuration(now - slice_read_at_, options_.view_max_age);
    const int64_t hosts = std::max<int64_t>(static_cast<int64_t>(placer_->host_count()), 1);
    const int64_t due = static_cast<int64_t>(due_share * static_cast<double>(hosts));
    if (due < kMinSliceHosts && due_share < 1.0) {
      return absl::OkStatus();
    }
    const int limit = static_cast<int>(std::clamp(due, kMinSliceHosts, kMaxSliceHosts));
    absl::StatusOr<storage::CapacitySlice> slice =
        storage::LoadCapacitySlice(*connection_, slice_cursor_, limit);
    if (!slice.ok()) {
      return slice.status();
    }
    for (const storage::HostCapacity& host : slice->hosts) {
      placer_->UpsertHost(ToPlacementHost(host));
    }
    for (int64_t host_id : slice->gone) {
      placer_->RemoveHost(host_id);
    }
    for (const storage::SubnetCapacity& subnet : slice->subnets) {
      placer_->UpsertSubnet(ToPlacementSubnet(subnet));
    }
    // Fewer rows than asked for: the slice reached the last host.
    const size_t read = slice->hosts.size() + slice->gone.size();
    slice_cursor_ = read < static_cast<size_t>(limit) ? 0 : slice->last_host_id;
    slice_read_at_ = now;
    return absl::OkStatus();
  }

  struct EntryPlan {
    std::vector<std::optional<RunFailure>> failures;  // per task; set: not created
  };

  // What one round decided against the view.
  struct RoundPlan {
    storage::Round round;
    std::vector<EntryPlan> entries;
    std::vector<storage::ExpiredTask> expired;
    // Some task looked impossible (unknown subnet, no host big enough). A view older
    // than this round may just not know the new subnet or host yet.
    bool saw_never = false;
  };

  void RunRound(std::vector<Entry> batch, bool retry_waiting) {
    std::vector<storage::TaskRow> waiting;
    if (retry_waiting) {
      waiting = LoadWaiting();
    }
    // Idle: nothing to place, no reason to reload the view.
    if (batch.empty() && waiting.empty()) {
      return;
    }
    bool fresh = false;
    if (absl::Status status = RefreshView(/*force=*/false, &fresh); !status.ok()) {
      FailAll(batch, status);
      return;
    }
    RoundPlan plan = PlanRound(batch, waiting);
    if (plan.saw_never && !fresh) {
      // Judge "never" only against a view loaded this round.
      if (absl::Status status = RefreshView(/*force=*/true, &fresh); !status.ok()) {
        FailAll(batch, status);
        return;
      }
      plan = PlanRound(batch, waiting);
    }
    storage::Round& round = plan.round;
    if (round.new_tasks.empty() && round.placements.empty()) {
      Answer(batch, plan.entries, {});
      Expire(plan.expired);
      return;
    }
    absl::StatusOr<storage::RoundResult> result = storage::CommitRound(*connection_, round);
    CountRound(round, result);
    if (!result.ok()) {
      log::Warning("placement_round_failed",
                   {{"error", std::string(result.status().message())}, {"requests", batch.size()}});
      view_dirty_ = true;
      // One bad request must not fail the others: retry each on its own, unless the
      // database itself is unavailable.
      if (batch.size() > 1 && result.status().code() != absl::StatusCode::kUnavailable) {
        CommitSeparately(batch, plan);
      } else {
        FailAll(batch, result.status());
      }
      return;
    }
    if (!result->displaced_task_ids.empty()) {
      // The view was stale; the database kept every invariant. Reload and retry.
      log::Info("placements_displaced", {{"tasks", result->displaced_task_ids.size()},
                                         {"hosts", result->stale_hosts.size()},
                                         {"subnets", result->stale_subnets.size()}});
      view_dirty_ = true;
    }
    log::Debug("placement_round", {{"requests", batch.size()},
                                   {"new_tasks", round.new_tasks.size()},
                                   {"placed", round.placements.size()}});
    AnswerCommitted(batch, plan.entries, round, *result);
    Expire(plan.expired);
  }

  void CountRound(const storage::Round& round, const absl::StatusOr<storage::RoundResult>& result) {
    absl::MutexLock lock(&stats_mu_);
    if (!result.ok()) {
      ++stats_.failed_rounds;
      return;
    }
    ++stats_.rounds;
    stats_.tasks_created += round.new_tasks.size();
    stats_.tasks_displaced += result->displaced_task_ids.size();
    stats_.tasks_placed += round.placements.size() -
                           std::min(round.placements.size(), result->displaced_task_ids.size());
  }

  // Commits each request of a failed round in its own transaction (waiting tasks wait
  // for the next round) and answers it.
  void CommitSeparately(std::vector<Entry>& batch, const RoundPlan& plan) {
    for (size_t i = 0; i < batch.size(); ++i) {
      const RunRequest& request = batch[i].request;
      absl::flat_hash_set<std::string> ids;
      for (const storage::NewTask& task : request.tasks) {
        ids.insert(task.task_id);
      }
      storage::Round single;
      single.region = options_.region;
      for (const storage::NewTask& task : plan.round.new_tasks) {
        if (ids.contains(task.task_id)) {
          single.new_tasks.push_back(task);
        }
      }
      for (const storage::RoundPlacement& placement : plan.round.placements) {
        if (ids.contains(placement.task_id)) {
          single.placements.push_back(placement);
        }
      }
      for (const storage::TokenClaim& token : plan.round.tokens) {
        if (token.account_id == request.account_id && token.client_token == request.client_token) {
          single.tokens.push_back(token);
        }
      }
      std::vector<Entry> one;
      one.push_back(std::move(batch[i]));
      std::vector<EntryPlan> one_plan = {plan.entries[i]};
      if (single.new_tasks.empty()) {
        Answer(one, one_plan, {});
        continue;
      }
      absl::StatusOr<storage::RoundResult> result = storage::CommitRound(*connection_, single);
      CountRound(single, result);
      if (!result.ok()) {
        log::Warning("run_task_failed", {{"error", std::string(result.status().message())}});
        one[0].done(result.status());
        continue;
      }
      AnswerCommitted(one, one_plan, single, *result);
    }
  }

  // Places against the current view (and changes it): waiting tasks first, oldest
  // first, then the new requests in arrival order.
  RoundPlan PlanRound(const std::vector<Entry>& batch,
                      const std::vector<storage::TaskRow>& waiting) {
    RoundPlan plan;
    plan.round.region = options_.region;
    PlanWaiting(waiting, &plan);
    plan.entries.resize(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      PlanEntry(batch[i].request, &plan, &plan.entries[i]);
    }
    return plan;
  }

  std::vector<storage::TaskRow> LoadWaiting() {
    next_waiting_retry_ = absl::Now() + kWaitingRetry;
    absl::StatusOr<std::vector<storage::TaskRow>> waiting =
        storage::LoadWaitingTasks(*connection_, options_.max_round_tasks);
    if (!waiting.ok()) {
      log::Warning("waiting_tasks_unreadable",
                   {{"error", std::string(waiting.status().message())}});
      return {};
    }
    return *std::move(waiting);
  }

  void PlanWaiting(const std::vector<storage::TaskRow>& waiting, RoundPlan* plan) {
    absl::Time now = absl::Now();
    for (const storage::TaskRow& task : waiting) {
      placement::TaskRequest request = ToPlacementRequest(task.spec);
      placement::Decision decision = placer_->Place(request);
      if (const auto* assignment = std::get_if<placement::Assignment>(&decision)) {
        plan->round.placements.push_back({task.spec.task_id, assignment->host_id,
                                          assignment->subnet_id, assignment->availability_zone});
        continue;
      }
      const auto& unplaced = std::get<placement::Unplaced>(decision);
      // Its subnets were deleted: waiting cannot help, fail it now. (A task bigger
      // than every host keeps waiting until its deadline: big hosts may be draining
      // for a moment.)
      if (unplaced.never && unplaced.reason == "MISSING") {
        plan->saw_never = true;
        plan->expired.push_back(
            {task.spec.task_id, absl::StrCat(unplaced.reason, ": ", unplaced.detail)});
      } else if (now - task.created_at >= options_.placement_timeout) {
        plan->expired.push_back(
            {task.spec.task_id,
             absl::StrCat("Capacity is unavailable: ", unplaced.detail, " (waited ",
                          absl::FormatDuration(options_.placement_timeout), ")")});
      }
    }
  }

  void PlanEntry(const RunRequest& request, RoundPlan* round_plan, EntryPlan* plan) {
    storage::Round* round = &round_plan->round;
    plan->failures.resize(request.tasks.size());
    std::vector<std::string> created;
    for (size_t i = 0; i < request.tasks.size(); ++i) {
      const storage::NewTask& task = request.tasks[i];
      placement::TaskRequest placement_request = ToPlacementRequest(task);
      placement::Decision decision = placer_->Place(placement_request);
      if (const auto* assignment = std::get_if<placement::Assignment>(&decision)) {
        round->placements.push_back({task.task_id, assignment->host_id, assignment->subnet_id,
                                     assignment->availability_zone});
      } else if (const auto& unplaced = std::get<placement::Unplaced>(decision); unplaced.never) {
        round_plan->saw_never = true;
        plan->failures[i] = RunFailure{unplaced.reason, unplaced.detail};
        continue;
      }
      round->new_tasks.push_back(task);
      created.push_back(task.task_id);
    }
    if (!request.client_token.empty()) {
      round->tokens.push_back(
          {request.account_id, request.client_token, request.fingerprint, std::move(created)});
    }
  }

  void AnswerCommitted(std::vector<Entry>& batch, const std::vector<EntryPlan>& plans,
                       const storage::Round& round, const storage::RoundResult& result) {
    absl::flat_hash_map<std::string, const storage::TaskRow*> rows;
    for (const storage::TaskRow& row : result.tasks) {
      rows[row.spec.task_id] = &row;
    }
    absl::flat_hash_set<std::string> lost;
    for (size_t index : result.lost_tokens) {
      lost.insert(round.tokens[index].account_id + "/" + round.tokens[index].client_token);
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      const RunRequest& request = batch[i].request;
      if (!request.client_token.empty() &&
          lost.contains(request.account_id + "/" + request.client_token)) {
        batch[i].done(Replay(request));
        continue;
      }
      RunOutcome outcome;
      for (size_t t = 0; t < request.tasks.size(); ++t) {
        if (plans[i].failures[t].has_value()) {
          outcome.failures.push_back(*plans[i].failures[t]);
        } else if (auto it = rows.find(request.tasks[t].task_id); it != rows.end()) {
          outcome.tasks.push_back(*it->second);
        }
      }
      batch[i].done(std::move(outcome));
    }
  }

  // A clientToken bound by an earlier call: the same request gets that call's tasks.
  absl::StatusOr<RunOutcome> Replay(const RunRequest& request) {
    absl::StatusOr<std::optional<storage::TokenBinding>> binding =
        storage::GetRunTaskToken(*connection_, request.account_id, request.client_token);
    if (!binding.ok()) {
      return binding.status();
    }
    if (!binding->has_value()) {
      return absl::AbortedError("clientToken: lost a race; retry");
    }
    return ReplayBinding(*connection_, request, **binding);
  }

  void Answer(std::vector<Entry>& batch, const std::vector<EntryPlan>& plans,
              const storage::RoundResult& result) {
    storage::Round empty;
    AnswerCommitted(batch, plans, empty, result);
  }

  void Expire(const std::vector<storage::ExpiredTask>& expired) {
    if (expired.empty()) {
      return;
    }
    absl::StatusOr<std::vector<std::string>> stopped =
        storage::ExpireWaitingTasks(*connection_, expired);
    if (!stopped.ok()) {
      log::Warning("expire_failed", {{"error", std::string(stopped.status().message())}});
      return;
    }
    for (const storage::ExpiredTask& task : expired) {
      log::Info("task_failed_to_start", {{"task", task.task_id}, {"reason", task.reason}});
    }
  }

  static void FailAll(std::vector<Entry>& batch, const absl::Status& status) {
    for (Entry& entry : batch) {
      entry.done(status);
    }
  }

  const Options options_;
  std::unique_ptr<storage::Connection> connection_;
  std::thread thread_;

  absl::Mutex mu_;
  // Taken alone, never with mu_ held.
  absl::Mutex stats_mu_;
  SchedulerStats stats_ ABSL_GUARDED_BY(stats_mu_);
  std::deque<Entry> queue_ ABSL_GUARDED_BY(mu_);
  int queued_tasks_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool capacity_changed_ ABSL_GUARDED_BY(mu_) = false;

  std::optional<placement::Placer> placer_;
  absl::Time view_loaded_at_;
  bool view_dirty_ = true;
  absl::Time slice_read_at_;
  int64_t slice_cursor_ = 0;  // hosts up to this id were re-read in the current sweep
  absl::Time next_waiting_retry_ = absl::InfinitePast();
};

std::string SpreadGroupKey(std::string_view account_id, std::string_view cluster,
                           std::string_view group) {
  return absl::StrCat(std::string(account_id), "/", std::string(cluster), "/", std::string(group));
}

absl::StatusOr<RunOutcome> ReplayBinding(storage::Connection& connection, const RunRequest& request,
                                         const storage::TokenBinding& binding) {
  if (binding.fingerprint != request.fingerprint) {
    return WithResourceIds(absl::AlreadyExistsError(absl::StrCat(
                               "clientToken: \"", request.client_token,
                               "\" was already used for a different RunTask request (tasks ",
                               absl::StrJoin(binding.task_ids, ", "), ")")),
                           binding.task_ids);
  }
  absl::StatusOr<std::vector<storage::TaskRow>> rows =
      storage::GetTasksById(connection, request.account_id, binding.task_ids);
  if (!rows.ok()) {
    return rows.status();
  }
  absl::flat_hash_map<std::string, storage::TaskRow*> by_id;
  for (storage::TaskRow& row : *rows) {
    by_id[row.spec.task_id] = &row;
  }
  RunOutcome outcome;
  for (const std::string& id : binding.task_ids) {
    if (auto it = by_id.find(id); it != by_id.end()) {
      outcome.tasks.push_back(std::move(*it->second));
    }
  }
  return outcome;
}

Scheduler::Scheduler(std::unique_ptr<Loop> loop) : loop_(std::move(loop)) {}
Scheduler::~Scheduler() { Shutdown(); }

absl::StatusOr<std::unique_ptr<Scheduler>> Scheduler::Start(Options options) {
  absl::StatusOr<std::unique_ptr<storage::Connection>> connection = storage::Connection::Open(
      options.conninfo,
      {.statement_timeout = options.statement_timeout, .lock_timeout = options.lock_timeout});
  if (!connection.ok()) {
    return connection.status();
  }
  auto loop = std::make_unique<Loop>(std::move(options), *std::move(connection));
  loop->Start();
  return std::unique_ptr<Scheduler>(new Scheduler(std::move(loop)));
}

void Scheduler::Submit(RunRequest request, std::function<void(absl::StatusOr<RunOutcome>)> done) {
  loop_->Submit(std::move(request), std::move(done));
}

void Scheduler::CapacityChanged() { loop_->CapacityChanged(); }

SchedulerStats Scheduler::stats() const { return loop_->Stats(); }

void Scheduler::Shutdown() { loop_->Shutdown(); }

}  // namespace gantry::scheduler
