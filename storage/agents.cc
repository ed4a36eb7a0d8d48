// The agent protocol's state changes: task reports through the lifecycle state machine
// (ApplyTaskReports), an agent reconnecting with the tasks it holds (ReconnectHost) and
// hosts declared lost (MarkLostHosts). Command queues are in host_commands.cc.
//
// Lock order, as everywhere in storage (internal/commands.h): tasks (in task id order),
// then host_commands (in (host_id, seq) order), then hosts (in host id order), then
// subnets (in subnet id order). MarkLostHosts is the one exception, and it never waits
// for a task or command while holding a host: see there.
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "google/protobuf/util/message_differencer.h"
#include "lifecycle/lifecycle.h"
#include "storage/internal/commands.h"
#include "storage/internal/errors.h"
#include "storage/internal/host_rows.h"
#include "storage/internal/json.h"
#include "storage/internal/statements.h"
#include "storage/internal/task_rows.h"
#include "storage/storage.h"

namespace gantry::storage {
namespace {

using internal::ToBoolArray;
using internal::ToIntArray;
using internal::ToNullableTextArray;
using internal::ToTextArray;

constexpr char kEssentialExitedReason[] = "Essential container in task exited";

constexpr char kHostByInstance[] = R"sql(
  SELECT host_id, agent_connected FROM hosts WHERE instance_id = $1)sql";

// Locks first, reads after (see tasks.cc), in task id order so that transactions
// locking several tasks queue up instead of deadlocking. Only tasks on this host: a
// report about any other task is answered kUnknown.
constexpr char kLockReported[] = R"sql(
  SELECT task_id FROM tasks WHERE host_id = $1 AND task_id = ANY($2::text[])
  ORDER BY task_id FOR UPDATE)sql";
// Reconnect: the reported tasks and every task of the host that is not STOPPED (a
// BitmapOr of the reported ids and tasks_live_by_host, not every task the host ever
// ran).
constexpr char kLockHostTasks[] = R"sql(
  SELECT task_id FROM tasks
  WHERE host_id = $1 AND (task_id = ANY($2::text[]) OR last_status <> 'STOPPED')
  ORDER BY task_id FOR UPDATE)sql";
const std::string kSelectTasks =
    std::string("SELECT ") + internal::kTaskSelect + "WHERE t.task_id = ANY($1::text[])";

constexpr char kDefinitionBody[] = R"sql(
  SELECT body::text FROM task_definitions
  WHERE account_id = $1 AND family = $2 AND revision = $3)sql";

// Tasks' lifecycle columns and containers as lifecycle::ApplyReport/RequestStop left
// them, every changed task of a report batch in one statement (one round trip, not one
// per task). $14: the task reached STOPPED now, so it holds nothing any more (the caller
// releases in the same transaction) and, as ECS does, loses its tags. $15: its health.
constexpr char kWriteTasks[] = R"sql(
  UPDATE tasks t SET last_status = d.last_status, desired_status = d.desired_status,
    pull_started_at = d.pull_started_at::timestamptz,
    pull_stopped_at = d.pull_stopped_at::timestamptz, started_at = d.started_at::timestamptz,
    stopping_at = d.stopping_at::timestamptz,
    execution_stopped_at = d.execution_stopped_at::timestamptz,
    stopped_at = d.stopped_at::timestamptz, stop_code = d.stop_code,
    stopped_reason = d.stopped_reason, version = d.version, containers = d.containers::jsonb,
    holds_resources = t.holds_resources AND NOT d.stopped_now,
    tags = CASE WHEN d.stopped_now THEN '[]'::jsonb ELSE t.tags END,
    health_status = d.health_status
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
              $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::int8[],
              $13::text[], $14::bool[], $15::text[])
    AS d(task_id, last_status, desired_status, pull_started_at, pull_stopped_at, started_at,
         stopping_at, execution_stopped_at, stopped_at, stop_code, stopped_reason, version,
         containers, stopped_now, health_status)
  WHERE t.task_id = d.task_id)sql";

// Tasks whose agent no longer has them go to STOPPED at once: lifecycle::RequestStop
// then a STOPPED report, at the transaction's time, in one statement. The first stop
// code and reason win; a task that never ran failed to start.
constexpr char kStopLost[] = R"sql(
  UPDATE tasks t SET last_status = 'STOPPED', desired_status = 'STOPPED',
    stop_code = coalesce(t.stop_code,
      CASE WHEN t.started_at IS NULL AND t.last_status <> 'RUNNING' THEN 'TaskFailedToStart'
           ELSE 'InfrastructureHealth' END),
    stopped_reason = coalesce(t.stopped_reason, d.reason),
    stopping_at = coalesce(t.stopping_at, now()),
    execution_stopped_at = coalesce(t.execution_stopped_at, now()), stopped_at = now(),
    holds_resources = false, tags = '[]', version = t.version + 1
  FROM unnest($1::text[], $2::text[]) AS d(task_id, reason)
  WHERE t.task_id = d.task_id AND t.last_status <> 'STOPPED')sql";

// Reconnect: tasks on the host, handed to its agent, whose LAUNCH was acknowledged, and
// that the agent did not report.
constexpr char kLostOnReconnect[] = R"sql(
  SELECT t.task_id FROM tasks t
  WHERE t.host_id = $1 AND t.last_status <> 'STOPPED' AND t.delivered_at IS NOT NULL
    AND NOT (t.task_id = ANY($2::text[]))
    AND NOT EXISTS (SELECT 1 FROM host_commands c
                    WHERE c.task_id = t.task_id AND c.kind = 'LAUNCH')
  ORDER BY t.task_id)sql";
// Every change of a host bumps its version (as ECS's container instance version).
constexpr char kReconnect[] = R"sql(
  UPDATE hosts SET agent_connected = true, lost_at = NULL, last_seen_at = now(),
    version = version + CASE WHEN agent_connected THEN 0 ELSE 1 END
  WHERE host_id = $1)sql";

// Connected hosts not seen for $1 microseconds, oldest first; those another gantryd
// (or any transaction) has locked are skipped, so this never waits for a host.
constexpr char kClaimLost[] = R"sql(
  SELECT host_id, instance_id FROM hosts
  WHERE agent_connected AND last_seen_at < now() - $1::int8 * interval '1 microsecond'
  ORDER BY last_seen_at LIMIT $2
  FOR NO KEY UPDATE SKIP LOCKED)sql";
constexpr char kLockLostTasks[] = R"sql(
  SELECT task_id, host_id FROM tasks
  WHERE host_id = ANY($1::int8[]) AND last_status <> 'STOPPED'
  ORDER BY task_id FOR UPDATE SKIP LOCKED)sql";
constexpr char kCountLiveTasks[] = R"sql(
  SELECT host_id, count(*) FROM tasks
  WHERE host_id = ANY($1::int8[]) AND last_status <> 'STOPPED' GROUP BY host_id)sql";
constexpr char kMarkLost[] = R"sql(
  UPDATE hosts SET agent_connected = false, lost_at = now(), version = version + 1
  WHERE host_id = ANY($1::int8[]))sql";
// The claimed hosts' commands, never waiting: a row another transaction holds (a
// concurrent acknowledgement or stop) is skipped, and kCountCommands then shows its
// host as contended.
constexpr char kLockHostCommands[] = R"sql(
  SELECT host_id, seq FROM host_commands WHERE host_id = ANY($1::int8[])
  ORDER BY host_id, seq FOR UPDATE SKIP LOCKED)sql";
constexpr char kCountCommands[] = R"sql(
  SELECT host_id, count(*) FROM host_commands WHERE host_id = ANY($1::int8[])
  GROUP BY host_id)sql";
// Exactly the rows kLockHostCommands locked.
constexpr char kDeleteLockedCommands[] = R"sql(
  DELETE FROM host_commands
  WHERE (host_id, seq) IN (SELECT * FROM unnest($1::int8[], $2::int8[])))sql";

std::optional<std::string> TimestampParam(const std::optional<absl::Time>& time) {
  if (!time.has_value()) {
    return std::nullopt;
  }
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6S+00:00", *time, absl::UTCTimeZone());
}

absl::StatusOr<lifecycle::TaskState> StateOf(const TaskRow& row) {
  std::optional<lifecycle::TaskStatus> status = lifecycle::ParseTaskStatus(row.last_status);
  if (!status.has_value()) {
    return absl::InternalError(
        absl::StrCat("task ", row.spec.task_id, " has an unknown lastStatus ", row.last_status));
  }
  lifecycle::TaskState state;
  state.last_status = *status;
  state.desired_running = row.desired_status == "RUNNING";
  state.times = {row.pull_started_at, row.pull_stopped_at,      row.started_at,
                 row.stopping_at,     row.execution_stopped_at, row.stopped_at};
  state.version = row.version;
  state.stop_code = row.stop_code;
  state.stopped_reason = row.stopped_reason;
  return state;
}

void SetState(const lifecycle::TaskState& state, TaskRow* row) {
  row->last_status = std::string(lifecycle::ToString(state.last_status));
  row->desired_status = state.desired_running ? "RUNNING" : "STOPPED";
  row->pull_started_at = state.times.pull_started_at;
  row->pull_stopped_at = state.times.pull_stopped_at;
  row->started_at = state.times.started_at;
  row->stopping_at = state.times.stopping_at;
  row->execution_stopped_at = state.times.execution_stopped_at;
  row->stopped_at = state.times.stopped_at;
  row->version = state.version;
  row->stop_code = state.stop_code;
  row->stopped_reason = state.stopped_reason;
}

bool Before(lifecycle::ContainerStatus a, lifecycle::ContainerStatus b) {
  return static_cast<int>(a) < static_cast<int>(b);
}

// Applies container reports to the stored containers (matched by name; unknown names
// and statuses are ignored, and a container's status never moves back). Returns
// whether anything changed.
bool MergeContainers(const std::vector<ContainerReport>& reports,
                     std::vector<gantry::v1::Container>* containers) {
  bool changed = false;
  for (const ContainerReport& report : reports) {
    auto it = std::find_if(containers->begin(), containers->end(),
                           [&](const gantry::v1::Container& c) { return c.name() == report.name; });
    std::optional<lifecycle::ContainerStatus> status =
        lifecycle::ParseContainerStatus(report.status);
    if (it == containers->end() || !status.has_value()) {
      continue;
    }
    std::optional<lifecycle::ContainerStatus> stored =
        lifecycle::ParseContainerStatus(it->last_status());
    if (stored.has_value() && Before(*status, *stored)) {
      continue;
    }
    gantry::v1::Container next = *it;
    next.set_last_status(std::string(lifecycle::ToString(*status)));
    if (report.exit_code.has_value()) {
      next.set_exit_code(*report.exit_code);
    }
    if (!report.reason.empty()) {
      next.set_reason(report.reason);
    }
    if (!report.runtime_id.empty()) {
      next.set_runtime_id(report.runtime_id);
    }
    if (!report.image_digest.empty()) {
      next.set_image_digest(report.image_digest);
    }
    if (!report.health_status.empty()) {
      next.set_health_status(report.health_status);
    }
    if (!report.network_bindings.empty()) {
      next.clear_network_bindings();
      for (const gantry::v1::NetworkBinding& binding : report.network_bindings) {
        *next.add_network_bindings() = binding;
      }
    }
    if (!google::protobuf::util::MessageDifferencer::Equals(next, *it)) {
      *it = std::move(next);
      changed = true;
    }
  }
  return changed;
}

ReportResult Result(const std::string& task_id, ReportOutcome outcome, bool desired_running) {
  return {task_id, outcome, desired_running ? "RUNNING" : "STOPPED"};
}

// Report order: oldest first (stable, so reports with equal times keep their order).
std::vector<size_t> OldestFirst(const std::vector<TaskReport>& reports) {
  std::vector<size_t> order(reports.size());
  for (size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return reports[a].at < reports[b].at; });
  return order;
}

std::vector<std::string> ReportedIds(const std::vector<TaskReport>& reports) {
  std::vector<std::string> ids;
  ids.reserve(reports.size());
  for (const TaskReport& report : reports) {
    ids.push_back(report.task_id);
  }
  return ids;
}

using TasksById = std::map<std::string, TaskRow>;

// The tasks with these ids, by id. The caller has locked them.
absl::StatusOr<TasksById> LoadTasks(pqxx::work& tx, const std::vector<std::string>& task_ids) {
  TasksById tasks;
  if (task_ids.empty()) {
    return tasks;
  }
  for (const pqxx::row& row : tx.exec_prepared("agent_select_tasks", ToTextArray(task_ids))) {
    GANTRY_ASSIGN_OR_RETURN(TaskRow task, internal::RowToTask(row));
    std::string id = task.spec.task_id;
    tasks.emplace(std::move(id), std::move(task));
  }
  return tasks;
}

// Applies reports to the tasks of one host inside a transaction. The caller has locked
// the task rows (Load reads them); Flush writes what changed.
class ReportApplier {
 public:
  explicit ReportApplier(pqxx::work& tx) : tx_(tx) {}

  absl::Status Load(const std::vector<std::string>& task_ids) {
    GANTRY_ASSIGN_OR_RETURN(TasksById rows, LoadTasks(tx_, task_ids));
    for (auto& [id, row] : rows) {
      tasks_.emplace(id, Working{row, row, false, false});
    }
    return absl::OkStatus();
  }

  // The loaded row of a task, or nullptr.
  const TaskRow* Find(const std::string& task_id) const {
    auto it = tasks_.find(task_id);
    return it == tasks_.end() ? nullptr : &it->second.original;
  }

  absl::StatusOr<std::vector<ReportResult>> ApplyAll(const std::vector<TaskReport>& reports) {
    std::vector<ReportResult> results(reports.size());
    for (size_t index : OldestFirst(reports)) {
      GANTRY_ASSIGN_OR_RETURN(results[index], Apply(reports[index]));
    }
    return results;
  }

  // Writes every changed task (one UPDATE for all). Returns the tasks that reached
  // STOPPED, as read under their row locks: the caller deletes their commands and
  // releases what they held (FinishStops), after any other task it stops in this
  // transaction (lock order: every task, then commands, then hosts).
  std::vector<const TaskRow*> Flush() {
    std::vector<const TaskRow*> stopped;
    constexpr int kTextColumns = 11;  // $1..$11
    std::vector<std::optional<std::string>> text[kTextColumns];
    std::vector<int64_t> versions;
    std::vector<std::string> containers;
    std::vector<bool> stopped_now;
    std::vector<std::string> health;
    for (const auto& [id, task] : tasks_) {
      if (!task.dirty) {
        continue;
      }
      const TaskRow& row = task.current;
      const std::optional<std::string> values[kTextColumns] = {
          id,
          row.last_status,
          row.desired_status,
          TimestampParam(row.pull_started_at),
          TimestampParam(row.pull_stopped_at),
          TimestampParam(row.started_at),
          TimestampParam(row.stopping_at),
          TimestampParam(row.execution_stopped_at),
          TimestampParam(row.stopped_at),
          row.stop_code,
          row.stopped_reason};
      for (int i = 0; i < kTextColumns; ++i) {
        text[i].push_back(values[i]);
      }
      versions.push_back(row.version);
      containers.push_back(internal::ContainersToJsonText(row.spec.containers));
      stopped_now.push_back(task.releases);
      health.push_back(row.health_status);
      if (task.releases) {
        stopped.push_back(&task.original);
      }
    }
    if (versions.empty()) {
      return stopped;
    }
    std::string arrays[kTextColumns];
    for (int i = 0; i < kTextColumns; ++i) {
      arrays[i] = ToNullableTextArray(text[i]);
    }
    tx_.exec_prepared0("agent_write_tasks", arrays[0], arrays[1], arrays[2], arrays[3], arrays[4],
                       arrays[5], arrays[6], arrays[7], arrays[8], arrays[9], arrays[10],
                       ToIntArray(versions), ToTextArray(containers), ToBoolArray(stopped_now),
                       ToTextArray(health));
    return stopped;
  }

 private:
  struct Working {
    TaskRow original;  // as read, under the row lock
    TaskRow current;   // with the reports applied so far
    bool dirty = false;
    bool releases = false;  // reached STOPPED (lifecycle::Applied::releases_resources)
  };

  absl::StatusOr<ReportResult> Apply(const TaskReport& report) {
    auto it = tasks_.find(report.task_id);
    std::optional<lifecycle::TaskStatus> status = lifecycle::ParseTaskStatus(report.status);
    if (it == tasks_.end() || !status.has_value()) {
      return Result(report.task_id, ReportOutcome::kUnknown, false);
    }
    Working& task = it->second;
    GANTRY_ASSIGN_OR_RETURN(const lifecycle::TaskState before, StateOf(task.current));
    const lifecycle::Report lifecycle_report{*status, report.at, report.reason,
                                             report.pull_started_at, report.pull_stopped_at};
    const lifecycle::Applied probe = lifecycle::ApplyReport(before, lifecycle_report);
    // An older report carries nothing newer, not even its containers' states.
    if (probe.outcome == lifecycle::Outcome::kStale) {
      return Result(report.task_id, ReportOutcome::kStale, before.desired_running);
    }
    const bool containers_changed =
        MergeContainers(report.containers, &task.current.spec.containers);
    if (containers_changed) {
      GANTRY_ASSIGN_OR_RETURN(task.current.health_status, HealthOf(task.current));
    }
    lifecycle::TaskState state = before;
    GANTRY_ASSIGN_OR_RETURN(bool essential_exited, EssentialExited(task.current, probe, report));
    if (essential_exited) {
      state = lifecycle::RequestStop(state, lifecycle::kEssentialContainerExited,
                                     kEssentialExitedReason, report.at);
    }
    const lifecycle::Applied applied = lifecycle::ApplyReport(state, lifecycle_report);
    state = applied.state;
    if (state == before && !containers_changed) {
      return Result(report.task_id, ReportOutcome::kDuplicate, before.desired_running);
    }
    // A change of containers alone is a change too.
    if (state.version == before.version) {
      ++state.version;
    }
    SetState(state, &task.current);
    task.dirty = true;
    task.releases = task.releases || applied.releases_resources;
    return Result(report.task_id, ReportOutcome::kApplied, state.desired_running);
  }

  // Whether the report shows an essential container STOPPED while the task should run
  // and has run (a container that stops before the task ever ran is a failure to
  // start, which ApplyReport records as TaskFailedToStart with the agent's reason).
  // Reads the task definition only then.
  absl::StatusOr<bool> EssentialExited(const TaskRow& task, const lifecycle::Applied& probe,
                                       const TaskReport& report) {
    const lifecycle::TaskState& reported = probe.state;
    if (task.desired_status != "RUNNING") {
      return false;
    }
    const bool ran = reported.times.started_at.has_value() ||
                     reported.last_status == lifecycle::TaskStatus::kRunning;
    if (!ran) {
      return false;
    }
    std::vector<std::string> stopped;
    for (const ContainerReport& container : report.containers) {
      if (container.status == "STOPPED") {
        stopped.push_back(container.name);
      }
    }
    if (stopped.empty()) {
      return false;
    }
    GANTRY_ASSIGN_OR_RETURN(const gantry::v1::TaskDefinition* definition, Definition(task));
    for (const gantry::v1::ContainerDefinition& container : definition->container_definitions()) {
      const bool essential = !container.has_essential() || container.essential();
      if (essential &&
          std::find(stopped.begin(), stopped.end(), container.name()) != stopped.end()) {
        return true;
      }
    }
    return false;
  }

  // The task's health from its containers' as merged. Reads the task definition (which
  // containers are essential) only when a container has a health check's result.
  absl::StatusOr<std::string> HealthOf(const TaskRow& task) {
    const auto& containers = task.spec.containers;
    const bool checked = std::any_of(containers.begin(), containers.end(), [](const auto& c) {
      return c.health_status() == "HEALTHY" || c.health_status() == "UNHEALTHY";
    });
    if (!checked) {
      return std::string("UNKNOWN");
    }
    GANTRY_ASSIGN_OR_RETURN(const gantry::v1::TaskDefinition* definition, Definition(task));
    std::vector<lifecycle::ContainerHealth> health;
    for (const gantry::v1::Container& container : containers) {
      bool essential = true;
      for (const gantry::v1::ContainerDefinition& defined : definition->container_definitions()) {
        if (defined.name() == container.name()) {
          essential = !defined.has_essential() || defined.essential();
        }
      }
      health.push_back({container.health_status(), essential});
    }
    return std::string(lifecycle::TaskHealth(health));
  }

  absl::StatusOr<const gantry::v1::TaskDefinition*> Definition(const TaskRow& task) {
    std::string key =
        absl::StrCat(task.spec.account_id, "/", task.spec.family, ":", task.spec.revision);
    auto it = definitions_.find(key);
    if (it != definitions_.end()) {
      return &it->second;
    }
    pqxx::result rows = tx_.exec_prepared("agent_definition_body", task.spec.account_id,
                                          task.spec.family, task.spec.revision);
    gantry::v1::TaskDefinition definition;
    // A task's definition row cannot go away (foreign key); an empty body has no
    // essential container.
    if (!rows.empty()) {
      GANTRY_RETURN_IF_ERROR(
          internal::FromSharedJsonText(rows[0][0].as<std::string>(), &definition));
    }
    return &definitions_.emplace(std::move(key), std::move(definition)).first->second;
  }

  pqxx::work& tx_;
  std::map<std::string, Working> tasks_;  // by task id: Flush writes in lock order
  absl::flat_hash_map<std::string, gantry::v1::TaskDefinition> definitions_;
};

struct HostRef {
  int64_t host_id = 0;
  bool agent_connected = false;
};

absl::StatusOr<HostRef> FindHost(pqxx::work& tx, std::string_view instance_id) {
  pqxx::result rows = tx.exec_prepared("agent_host_by_instance", std::string(instance_id));
  if (rows.empty()) {
    return absl::NotFoundError(
        absl::StrCat("host: container instance ", std::string(instance_id), " does not exist"));
  }
  return HostRef{rows[0][0].as<int64_t>(), rows[0][1].as<bool>()};
}

std::vector<std::string> Column(const pqxx::result& rows) {
  std::vector<std::string> values;
  values.reserve(rows.size());
  for (const pqxx::row& row : rows) {
    values.push_back(row[0].as<std::string>());
  }
  return values;
}

// Tasks that reached STOPPED in this transaction (read under their row locks) lose
// their pending commands, then give back their host share and address: command rows
// before hosts and subnets (lock order). Returns whether anything was released.
absl::StatusOr<bool> FinishStops(pqxx::work& tx, const std::vector<const TaskRow*>& tasks) {
  if (tasks.empty()) {
    return false;
  }
  std::vector<std::string> ids;
  for (const TaskRow* task : tasks) {
    ids.push_back(task->spec.task_id);
  }
  internal::DeleteTaskCommands(tx, ids);
  GANTRY_RETURN_IF_ERROR(internal::ReleaseTasksResources(tx, tasks));
  return std::any_of(tasks.begin(), tasks.end(),
                     [](const TaskRow* task) { return task->holds_resources; });
}

// Moves tasks whose agent no longer has them to STOPPED (kStopLost). `tasks` were read
// under their row locks; the caller finishes the stop (commands, release).
void StopLostTasks(pqxx::work& tx, const std::vector<const TaskRow*>& tasks,
                   const std::string& reason) {
  if (tasks.empty()) {
    return;
  }
  std::vector<std::string> ids;
  for (const TaskRow* task : tasks) {
    ids.push_back(task->spec.task_id);
  }
  tx.exec_prepared0("agent_stop_lost", ToTextArray(ids),
                    ToTextArray(std::vector<std::string>(ids.size(), reason)));
}

// Locks the claimed hosts' live tasks and pending commands without waiting. Returns the
// locked task ids and command keys per host; `contended` gets the hosts of which
// something could not be locked.
struct HostLocks {
  std::map<int64_t, std::vector<std::string>> tasks;
  std::vector<int64_t> command_hosts, command_seqs;
  absl::flat_hash_set<int64_t> contended;
};

HostLocks LockHostsContents(pqxx::work& tx, const std::string& host_ids) {
  HostLocks locks;
  for (const pqxx::row& row : tx.exec_prepared("agent_lock_lost_tasks", host_ids)) {
    locks.tasks[row[1].as<int64_t>()].push_back(row[0].as<std::string>());
  }
  for (const pqxx::row& row : tx.exec_prepared("agent_count_live_tasks", host_ids)) {
    const int64_t host_id = row[0].as<int64_t>();
    if (static_cast<int64_t>(locks.tasks[host_id].size()) < row[1].as<int64_t>()) {
      locks.contended.insert(host_id);
    }
  }
  std::map<int64_t, int64_t> commands_locked;
  for (const pqxx::row& row : tx.exec_prepared("agent_lock_host_commands", host_ids)) {
    locks.command_hosts.push_back(row[0].as<int64_t>());
    locks.command_seqs.push_back(row[1].as<int64_t>());
    ++commands_locked[locks.command_hosts.back()];
  }
  for (const pqxx::row& row : tx.exec_prepared("agent_count_commands", host_ids)) {
    const int64_t host_id = row[0].as<int64_t>();
    if (commands_locked[host_id] < row[1].as<int64_t>()) {
      locks.contended.insert(host_id);
    }
  }
  return locks;
}

// Host loss for the claimed hosts: the ones whose live tasks and pending commands could
// all be locked without waiting are marked lost, lose their commands and have their
// tasks stopped, and their polls are notified.
absl::StatusOr<std::vector<LostHost>> LoseHosts(
    pqxx::work& tx, const std::vector<std::pair<int64_t, std::string>>& hosts,
    absl::Duration timeout) {
  std::vector<int64_t> host_ids;
  for (const auto& host : hosts) {
    host_ids.push_back(host.first);
  }
  HostLocks locks = LockHostsContents(tx, ToIntArray(host_ids));
  std::vector<LostHost> lost;
  std::vector<int64_t> lost_ids;
  std::vector<std::string> lost_instances;
  for (const auto& [host_id, instance_id] : hosts) {
    if (locks.contended.contains(host_id)) {
      continue;
    }
    lost_ids.push_back(host_id);
    lost_instances.push_back(instance_id);
    lost.push_back({instance_id, locks.tasks[host_id]});
  }
  if (lost.empty()) {
    return lost;
  }
  tx.exec_prepared0("agent_mark_lost", ToIntArray(lost_ids));
  // Every command of a lost host, which are all its tasks' commands (a task's commands
  // are on its host): nothing else to delete per task below.
  std::vector<int64_t> command_hosts, command_seqs;
  for (size_t i = 0; i < locks.command_hosts.size(); ++i) {
    if (locks.contended.contains(locks.command_hosts[i])) {
      continue;
    }
    command_hosts.push_back(locks.command_hosts[i]);
    command_seqs.push_back(locks.command_seqs[i]);
  }
  if (!command_hosts.empty()) {
    tx.exec_prepared0("agent_delete_locked_commands", ToIntArray(command_hosts),
                      ToIntArray(command_seqs));
  }
  std::vector<TasksById> rows_per_host;  // owns what `stopped` points to
  rows_per_host.reserve(lost.size());    // never reallocated: the pointers stay valid
  std::vector<const TaskRow*> stopped;
  for (LostHost& host : lost) {
    if (host.stopped_task_ids.empty()) {
      continue;
    }
    GANTRY_ASSIGN_OR_RETURN(TasksById rows, LoadTasks(tx, host.stopped_task_ids));
    rows_per_host.push_back(std::move(rows));
    std::vector<const TaskRow*> tasks;
    for (const auto& [id, row] : rows_per_host.back()) {
      tasks.push_back(&row);
    }
    StopLostTasks(tx, tasks,
                  absl::StrCat("Host ", host.instance_id, " was lost: no heartbeat for ",
                               absl::FormatDuration(timeout)));
    stopped.insert(stopped.end(), tasks.begin(), tasks.end());
  }
  // One release for all, so subnets are locked once, in id order. The hosts are ours
  // already; subnets come last in the lock order, so waiting for them is safe.
  GANTRY_RETURN_IF_ERROR(internal::ReleaseTasksResources(tx, stopped));
  // Their held polls, on every gantryd, read again and learn the host was lost.
  internal::NotifyHosts(tx, std::move(lost_instances));
  return lost;
}

}  // namespace

namespace internal {
const std::vector<Statement>& AgentStatements() {
  static const std::vector<Statement> kStatements = {
      {"agent_host_by_instance", kHostByInstance},
      {"agent_lock_reported", kLockReported},
      {"agent_lock_host_tasks", kLockHostTasks},
      {"agent_select_tasks", kSelectTasks.c_str()},
      {"agent_definition_body", kDefinitionBody},
      {"agent_write_tasks", kWriteTasks},
      {"agent_stop_lost", kStopLost},
      {"agent_lost_on_reconnect", kLostOnReconnect},
      {"agent_reconnect", kReconnect},
      {"agent_claim_lost", kClaimLost},
      {"agent_lock_lost_tasks", kLockLostTasks},
      {"agent_count_live_tasks", kCountLiveTasks},
      {"agent_mark_lost", kMarkLost},
      {"agent_lock_host_commands", kLockHostCommands},
      {"agent_count_commands", kCountCommands},
      {"agent_delete_locked_commands", kDeleteLockedCommands},
  };
  return kStatements;
}
}  // namespace internal

absl::StatusOr<ReportsApplied> ApplyTaskReports(Connection& connection,
                                                std::string_view instance_id,
                                                const std::vector<TaskReport>& reports) {
  return internal::InTransaction(
      connection, "apply task reports", [&](pqxx::work& tx) -> absl::StatusOr<ReportsApplied> {
        GANTRY_ASSIGN_OR_RETURN(HostRef host, FindHost(tx, instance_id));
        ReportsApplied applied;
        if (reports.empty()) {
          return applied;
        }
        ReportApplier applier(tx);
        GANTRY_RETURN_IF_ERROR(applier.Load(Column(tx.exec_prepared(
            "agent_lock_reported", host.host_id, ToTextArray(ReportedIds(reports))))));
        GANTRY_ASSIGN_OR_RETURN(applied.results, applier.ApplyAll(reports));
        GANTRY_ASSIGN_OR_RETURN(applied.released, FinishStops(tx, applier.Flush()));
        return applied;
      });
}

absl::StatusOr<ReconnectResult> ReconnectHost(Connection& connection, std::string_view instance_id,
                                              const std::vector<TaskReport>& reports) {
  bool was_lost = false;
  absl::StatusOr<ReconnectResult> result = internal::InTransaction(
      connection, "reconnect host", [&](pqxx::work& tx) -> absl::StatusOr<ReconnectResult> {
        GANTRY_ASSIGN_OR_RETURN(HostRef host, FindHost(tx, instance_id));
        was_lost = !host.agent_connected;
        const std::string reported = ToTextArray(ReportedIds(reports));
        ReconnectResult result;
        ReportApplier applier(tx);
        GANTRY_RETURN_IF_ERROR(applier.Load(
            Column(tx.exec_prepared("agent_lock_host_tasks", host.host_id, reported))));
        GANTRY_ASSIGN_OR_RETURN(std::vector<ReportResult> results, applier.ApplyAll(reports));
        absl::flat_hash_set<std::string> listed;
        for (const ReportResult& report : results) {
          if (report.desired_status != "RUNNING" && listed.insert(report.task_id).second) {
            result.stop_task_ids.push_back(report.task_id);
          }
        }
        std::vector<const TaskRow*> stopped = applier.Flush();

        std::vector<const TaskRow*> lost;
        for (const pqxx::row& row :
             tx.exec_prepared("agent_lost_on_reconnect", host.host_id, reported)) {
          // A task handed out after the lock above is not ours to judge.
          if (const TaskRow* task = applier.Find(row[0].as<std::string>()); task != nullptr) {
            lost.push_back(task);
            result.lost_task_ids.push_back(task->spec.task_id);
          }
        }
        StopLostTasks(
            tx, lost,
            absl::StrCat("Task lost: host ", std::string(instance_id), " reconnected without it"));
        // Reported and lost tasks are disjoint (lost ones were not reported).
        stopped.insert(stopped.end(), lost.begin(), lost.end());
        GANTRY_ASSIGN_OR_RETURN(result.released, FinishStops(tx, stopped));

        tx.exec_prepared0("agent_reconnect", host.host_id);
        pqxx::result rows =
            tx.exec_prepared("host_select_many", ToTextArray({std::string(instance_id)}));
        result.host = internal::RowToHost(rows.at(0));
        return result;
      });
  if (result.ok()) {
    log::Info("host_reconnected", {{"host", std::string(instance_id)},
                                   {"was_lost", was_lost},
                                   {"reported", reports.size()},
                                   {"stop", result->stop_task_ids.size()},
                                   {"lost", result->lost_task_ids.size()}});
    // Its tasks were stopped and released when it was lost, and nothing is placed on a
    // lost host: a lost host comes back empty.
    const HostResources& used = result->host.used;
    if (was_lost && (used.cpu_units != 0 || used.memory_mib != 0 ||
                     used.ephemeral_storage_gib != 0 || used.enis != 0)) {
      log::Error("lost_host_not_empty", {{"host", std::string(instance_id)},
                                         {"cpu_used", used.cpu_units},
                                         {"enis_used", used.enis}});
    }
  }
  return result;
}

absl::StatusOr<std::vector<LostHost>> MarkLostHosts(Connection& connection, absl::Duration timeout,
                                                    int limit) {
  absl::StatusOr<std::vector<LostHost>> lost = internal::InTransaction(
      connection, "mark lost hosts", [&](pqxx::work& tx) -> absl::StatusOr<std::vector<LostHost>> {
        // Hosts are locked before their tasks and commands here, against the usual order
        // (internal/commands.h), so this never waits for a task or a command: hosts,
        // tasks and commands locked by anyone else are skipped (SKIP LOCKED), and a host
        // with a live task or a pending command that could not be locked is left for the
        // next call. Transactions that hold a task or a command and want its host
        // (StopTask, reports, TakeCommands) then wait for this one, never the other way
        // round. Subnets, last in the order, are waited for.
        std::vector<std::pair<int64_t, std::string>> hosts;
        for (const pqxx::row& row :
             tx.exec_prepared("agent_claim_lost", absl::ToInt64Microseconds(timeout), limit)) {
          hosts.emplace_back(row[0].as<int64_t>(), row[1].as<std::string>());
        }
        if (hosts.empty()) {
          return std::vector<LostHost>();
        }
        return LoseHosts(tx, hosts, timeout);
      });
  if (lost.ok()) {
    for (const LostHost& host : *lost) {
      log::Warning("host_lost", {{"host", host.instance_id},
                                 {"timeout", absl::FormatDuration(timeout)},
                                 {"tasks_stopped", host.stopped_task_ids.size()}});
    }
  }
  return lost;
}

}  // namespace gantry::storage
