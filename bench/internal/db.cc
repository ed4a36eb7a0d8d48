#include "bench/internal/db.h"

#include <algorithm>
#include <cstdio>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bench/internal/process.h"
#include "bench/internal/report.h"

namespace gantry::bench::internal {
namespace {

using std::chrono::steady_clock;

constexpr auto kPollInterval = std::chrono::milliseconds(20);

constexpr char kConnectedHosts[] = R"sql(
  SELECT count(*) FROM hosts WHERE status <> 'INACTIVE' AND agent_connected)sql";
constexpr char kClusterAccount[] = R"sql(
  SELECT account_id FROM clusters WHERE name = $1 ORDER BY created_at DESC LIMIT 1)sql";
constexpr char kUnplaced[] = R"sql(
  SELECT count(*) FROM tasks WHERE task_id = ANY($1::text[]) AND host_id IS NULL)sql";
// Both counts come from small index ranges (tasks_live_by_cluster, tasks_by_cluster), so
// polling them every 20 ms costs the server little even with 100,000 tasks.
constexpr char kNotRunning[] = R"sql(
  SELECT
    (SELECT count(*) FROM tasks WHERE account_id = $1 AND cluster = $2
       AND last_status IN ('PROVISIONING', 'PENDING', 'ACTIVATING')),
    (SELECT count(*) FROM tasks WHERE account_id = $1 AND cluster = $2
       AND desired_status = 'STOPPED'))sql";
// delivered_at and placed_at are both now() of their transactions (the transaction that
// handed the launch to the agent's poll, and the placement round), so this is from the
// start of the round's transaction to the start of the delivering one: it includes the
// round's own commit time and leaves out the poll answer's trip to the agent.
constexpr char kDelivery[] = R"sql(
  SELECT count(*),
    coalesce(percentile_cont(0.5) WITHIN GROUP (
      ORDER BY extract(epoch FROM delivered_at - placed_at)::float8), 0) * 1000,
    coalesce(percentile_cont(0.99) WITHIN GROUP (
      ORDER BY extract(epoch FROM delivered_at - placed_at)::float8), 0) * 1000
  FROM tasks WHERE account_id = $1 AND cluster = $2 AND started_by = $3
    AND delivered_at IS NOT NULL AND placed_at IS NOT NULL)sql";
constexpr char kRounds[] = R"sql(
  SELECT count(DISTINCT placed_at) FROM tasks
  WHERE account_id = $1 AND cluster = $2 AND started_by = $3)sql";
constexpr char kDatabaseSize[] = R"sql(
  SELECT pg_database_size(current_database()) / 1048576.0)sql";
constexpr char kSampleContainers[] = R"sql(
  SELECT containers::text FROM tasks WHERE account_id = $1 AND cluster = $2 LIMIT 1)sql";
// An active backend with no wait event is on the CPU (or about to be); one idle in a
// transaction waits for its client (gantryd) while holding the transaction open.
constexpr char kActivity[] = R"sql(
  SELECT pid, query,
    CASE WHEN state = 'active' THEN coalesce(wait_event_type || ':' || wait_event, 'CPU')
         ELSE 'idle in transaction, after it' END
  FROM pg_stat_activity
  WHERE state IN ('active', 'idle in transaction') AND pid <> pg_backend_pid()
    AND backend_type = 'client backend')sql";
// Statement statistics, when the server has pg_stat_statements loaded (the embedded one
// does). Execution time includes lock waits, not time idle in a transaction.
constexpr char kResetStatements[] = R"sql(
  CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
  SELECT pg_stat_statements_reset())sql";
constexpr char kTopStatements[] = R"sql(
  SELECT calls, total_exec_time, rows, query FROM pg_stat_statements
  WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  ORDER BY total_exec_time DESC LIMIT $1)sql";

constexpr char kCreateReturned[] = R"sql(
  CREATE TEMP TABLE IF NOT EXISTS bench_returned (task_id text NOT NULL, phase text NOT NULL);
  TRUNCATE bench_returned)sql";
constexpr char kFillReturned[] = R"sql(
  INSERT INTO bench_returned SELECT unnest($1::text[]), $2)sql";
constexpr char kPlacedOfPhase[] = R"sql(
  SELECT count(DISTINCT r.task_id) FROM bench_returned r
  JOIN tasks t ON t.task_id = r.task_id AND t.account_id = $1 AND t.cluster = $2
  JOIN network_interfaces n ON n.task_id = t.task_id AND n.eni_id = t.eni_id
  WHERE r.phase = $3 AND t.host_id IS NOT NULL)sql";

// Each check counts violations; $1 is the account, $2 the cluster.
struct Check {
  const char* what;
  const char* sql;
};
constexpr Check kChecks[] = {
    {"task ids returned more than once", R"sql(
      SELECT count(*) - count(DISTINCT task_id) FROM bench_returned
      WHERE $1::text IS NOT NULL AND $2::text IS NOT NULL)sql"},
    {"returned tasks missing from the cluster", R"sql(
      SELECT count(*) FROM bench_returned r
      LEFT JOIN tasks t ON t.task_id = r.task_id AND t.account_id = $1 AND t.cluster = $2
      WHERE t.task_id IS NULL)sql"},
    {"tasks in the cluster that no RunTask returned", R"sql(
      SELECT count(*) FROM tasks t WHERE t.account_id = $1 AND t.cluster = $2
        AND NOT EXISTS (SELECT 1 FROM bench_returned r WHERE r.task_id = t.task_id))sql"},
    {"tasks without a host holding their resources", R"sql(
      SELECT count(*) FROM tasks WHERE account_id = $1 AND cluster = $2
        AND (host_id IS NULL OR NOT holds_resources))sql"},
    {"tasks without their ENI row", R"sql(
      SELECT count(*) FROM tasks t
      LEFT JOIN network_interfaces n ON n.task_id = t.task_id AND n.eni_id = t.eni_id
        AND n.subnet_id = t.subnet_id AND n.private_ipv4 = t.private_ipv4
      WHERE t.account_id = $1 AND t.cluster = $2 AND n.task_id IS NULL)sql"},
    {"ENI rows minus tasks", R"sql(
      SELECT abs((SELECT count(*) FROM network_interfaces n JOIN tasks t ON t.task_id = n.task_id
                  WHERE t.account_id = $1 AND t.cluster = $2)
               - (SELECT count(*) FROM tasks WHERE account_id = $1 AND cluster = $2)))sql"},
    {"addresses held by more than one task", R"sql(
      SELECT coalesce(sum(c - 1), 0) FROM (
        SELECT count(*) AS c FROM tasks WHERE holds_resources AND $1::text IS NOT NULL
          AND $2::text IS NOT NULL
        GROUP BY subnet_id, private_ipv4 HAVING count(*) > 1) d)sql"},
    {"addresses outside their subnet or reserved", R"sql(
      SELECT count(*) FROM tasks t JOIN subnets s ON s.subnet_id = t.subnet_id
      WHERE t.account_id = $1 AND t.cluster = $2
        AND (NOT t.private_ipv4 <<= s.cidr_block
             OR t.private_ipv4 - s.cidr_block::inet < 4
             OR t.private_ipv4 - s.cidr_block::inet >= s.address_count - 1))sql"},
    {"tasks whose zone is not their host's and subnet's", R"sql(
      SELECT count(*) FROM tasks t
      JOIN hosts h ON h.host_id = t.host_id JOIN subnets s ON s.subnet_id = t.subnet_id
      WHERE t.account_id = $1 AND t.cluster = $2
        AND (t.availability_zone <> h.availability_zone
             OR t.availability_zone <> s.availability_zone))sql"},
    {"hosts whose used resources differ from their tasks' sum", R"sql(
      SELECT count(*) FROM hosts h
      LEFT JOIN (SELECT host_id, sum(cpu) AS cpu, sum(memory) AS memory,
                        sum(ephemeral_storage) AS storage, count(*) AS enis
                 FROM tasks WHERE holds_resources GROUP BY host_id) u ON u.host_id = h.host_id
      WHERE $1::text IS NOT NULL AND $2::text IS NOT NULL
        AND (h.cpu_used <> coalesce(u.cpu, 0) OR h.memory_used <> coalesce(u.memory, 0)
             OR h.storage_used <> coalesce(u.storage, 0) OR h.eni_used <> coalesce(u.enis, 0)))sql"},
    {"subnets whose address count differs from their ENIs", R"sql(
      SELECT count(*) FROM subnets s
      LEFT JOIN (SELECT subnet_id, count(*) AS c FROM network_interfaces GROUP BY subnet_id) n
        ON n.subnet_id = s.subnet_id
      WHERE $1::text IS NOT NULL AND $2::text IS NOT NULL
        AND s.addresses_in_use <> coalesce(n.c, 0))sql"},
};

template <typename T, typename F>
absl::StatusOr<T> Guarded(const char* what, F&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat(what, ": ", e.what()));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<ActivitySampler>> ActivitySampler::Start(const std::string& conninfo,
                                                                        absl::Duration interval) {
  absl::StatusOr<std::unique_ptr<pqxx::connection>> connection =
      Guarded<std::unique_ptr<pqxx::connection>>(
          "connect the sampler", [&] { return std::make_unique<pqxx::connection>(conninfo); });
  if (!connection.ok()) return connection.status();
  auto sampler = std::unique_ptr<ActivitySampler>(new ActivitySampler());
  sampler->thread_ =
      std::thread(&ActivitySampler::Loop, sampler.get(), *std::move(connection), interval);
  return sampler;
}

ActivitySampler::~ActivitySampler() {
  if (thread_.joinable()) Stop();
}

void ActivitySampler::Loop(std::unique_ptr<pqxx::connection> connection, absl::Duration interval) {
  while (!stop_.WaitForNotificationWithTimeout(interval)) {
    absl::StatusOr<pqxx::result> rows = Guarded<pqxx::result>("sample activity", [&] {
      pqxx::nontransaction tx(*connection);
      return tx.exec(kActivity);
    });
    if (!rows.ok()) return;  // the server went away: the profile so far stands
    ++ticks_;
    for (const pqxx::row& row : *rows) {
      const std::string statement = ShortStatement(row[1].as<std::string>());
      ++counts_[absl::StrCat(statement, " [", row[2].as<std::string>(), "]")];
      ++by_backend_[row[0].as<pid_t>()][statement];
    }
  }
}

ActivitySampler::Profile ActivitySampler::Stop() {
  stop_.Notify();
  thread_.join();
  Profile profile;
  profile.ticks = ticks_;
  for (const auto& [what, samples] : counts_) profile.statements.push_back({what, samples});
  std::sort(profile.statements.begin(), profile.statements.end(),
            [](const Entry& a, const Entry& b) { return a.samples > b.samples; });
  for (const auto& [pid, statements] : by_backend_) {
    auto top = std::max_element(statements.begin(), statements.end(),
                                [](const auto& a, const auto& b) { return a.second < b.second; });
    profile.by_backend[pid] = top->first;
  }
  return profile;
}

std::string TextArray(const std::vector<std::string>& values) {
  std::string literal = "{";
  for (const std::string& value : values) {
    if (literal.size() > 1) literal += ',';
    literal += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  return literal + "}";
}

absl::StatusOr<std::unique_ptr<BenchDb>> BenchDb::Open(const std::string& conninfo) {
  return Guarded<std::unique_ptr<BenchDb>>("connect to the database", [&] {
    return std::unique_ptr<BenchDb>(new BenchDb(std::make_unique<pqxx::connection>(conninfo)));
  });
}

absl::StatusOr<int64_t> BenchDb::ConnectedHosts() {
  return Guarded<int64_t>("count hosts", [&] {
    pqxx::nontransaction tx(*connection_);
    return tx.exec1(kConnectedHosts)[0].as<int64_t>();
  });
}

absl::StatusOr<std::string> BenchDb::ClusterAccount(const std::string& cluster) {
  absl::StatusOr<pqxx::result> rows = Guarded<pqxx::result>("read the cluster", [&] {
    pqxx::nontransaction tx(*connection_);
    return tx.exec_params(kClusterAccount, cluster);
  });
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::InternalError(absl::StrCat("cluster ", cluster, " not found"));
  return (*rows)[0][0].as<std::string>();
}

absl::StatusOr<SteadyTime> BenchDb::WaitPlaced(const std::vector<std::string>& ids,
                                               absl::Duration timeout) {
  const steady_clock::time_point deadline =
      steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  const std::string array = TextArray(ids);
  for (;;) {
    absl::StatusOr<int64_t> unplaced = Guarded<int64_t>("count unplaced tasks", [&] {
      pqxx::nontransaction tx(*connection_);
      return tx.exec_params1(kUnplaced, array)[0].as<int64_t>();
    });
    if (!unplaced.ok()) return unplaced.status();
    const steady_clock::time_point now = steady_clock::now();
    if (*unplaced == 0) return now;
    if (Interrupted()) return absl::CancelledError("interrupted");
    if (now > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          *unplaced, " tasks still wait for a host after ", absl::FormatDuration(timeout)));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

absl::StatusOr<SteadyTime> BenchDb::WaitRunning(const RunScope& scope, int64_t tasks,
                                                absl::Duration timeout) {
  const steady_clock::time_point start = steady_clock::now();
  const steady_clock::time_point deadline = start + absl::ToChronoNanoseconds(timeout);
  steady_clock::time_point next_progress = start + std::chrono::seconds(1);
  for (;;) {
    absl::StatusOr<pqxx::row> counts = Guarded<pqxx::row>("count tasks not running", [&] {
      pqxx::nontransaction tx(*connection_);
      return tx.exec_params1(kNotRunning, scope.account_id, scope.cluster);
    });
    if (!counts.ok()) return counts.status();
    const int64_t not_running = (*counts)[0].as<int64_t>();
    const int64_t stopped = (*counts)[1].as<int64_t>();
    const steady_clock::time_point now = steady_clock::now();
    if (stopped > 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(stopped, " tasks stopped instead of running; see gantryd.log"));
    }
    if (not_running == 0) return now;
    if (Interrupted()) return absl::CancelledError("interrupted");
    if (now > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          not_running, " tasks are still not RUNNING after ", absl::FormatDuration(timeout)));
    }
    if (now >= next_progress) {
      std::fprintf(stderr, "[running %5.1fs] %lld/%lld tasks RUNNING\n",
                   std::chrono::duration<double>(now - start).count(),
                   static_cast<long long>(tasks - not_running), static_cast<long long>(tasks));
      next_progress += std::chrono::seconds(1);
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

absl::StatusOr<DeliveryLatency> BenchDb::Delivery(const RunScope& scope,
                                                  const std::string& started_by) {
  return Guarded<DeliveryLatency>("read delivery latency", [&] {
    pqxx::nontransaction tx(*connection_);
    pqxx::row row = tx.exec_params1(kDelivery, scope.account_id, scope.cluster, started_by);
    return DeliveryLatency{row[0].as<int64_t>(), row[1].as<double>(), row[2].as<double>()};
  });
}

absl::StatusOr<int64_t> BenchDb::Rounds(const RunScope& scope, const std::string& started_by) {
  return Guarded<int64_t>("count rounds", [&] {
    pqxx::nontransaction tx(*connection_);
    return tx.exec_params1(kRounds, scope.account_id, scope.cluster, started_by)[0].as<int64_t>();
  });
}

absl::StatusOr<double> BenchDb::DatabaseSizeMib() {
  return Guarded<double>("read the database size", [&] {
    pqxx::nontransaction tx(*connection_);
    return tx.exec1(kDatabaseSize)[0].as<double>();
  });
}

absl::StatusOr<std::string> BenchDb::SampleContainers(const RunScope& scope) {
  absl::StatusOr<pqxx::result> rows = Guarded<pqxx::result>("read a task", [&] {
    pqxx::nontransaction tx(*connection_);
    return tx.exec_params(kSampleContainers, scope.account_id, scope.cluster);
  });
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::InternalError("the run has no tasks");
  return (*rows)[0][0].as<std::string>();
}

absl::Status BenchDb::ResetStatementStats() { return Execute(kResetStatements); }

absl::StatusOr<std::vector<StatementStats>> BenchDb::TopStatements(int limit) {
  return Guarded<std::vector<StatementStats>>("read pg_stat_statements", [&] {
    pqxx::nontransaction tx(*connection_);
    std::vector<StatementStats> top;
    for (const pqxx::row& row : tx.exec_params(kTopStatements, limit)) {
      top.push_back({row[0].as<int64_t>(), row[1].as<double>(), row[2].as<int64_t>(),
                     ShortStatement(row[3].as<std::string>())});
    }
    return top;
  });
}

absl::StatusOr<PlacementCheck> BenchDb::CheckPlacements(const RunScope& scope,
                                                        const std::vector<std::string>& peak_ids,
                                                        const std::vector<std::string>& half_ids) {
  return Guarded<PlacementCheck>("check placements", [&] {
    pqxx::nontransaction tx(*connection_);
    tx.exec(kCreateReturned);
    tx.exec_params(kFillReturned, TextArray(peak_ids), "peak");
    tx.exec_params(kFillReturned, TextArray(half_ids), "half");
    // Without statistics the planner takes the temporary table for a few rows and joins
    // it by nested loops: the checks took minutes at 60,000 tasks.
    tx.exec("ANALYZE bench_returned");
    PlacementCheck check;
    check.tasks_placed =
        tx.exec_params1(kPlacedOfPhase, scope.account_id, scope.cluster, "peak")[0].as<int64_t>();
    check.half_rate_tasks_placed =
        tx.exec_params1(kPlacedOfPhase, scope.account_id, scope.cluster, "half")[0].as<int64_t>();
    for (const Check& c : kChecks) {
      const int64_t count =
          tx.exec_params1(c.sql, scope.account_id, scope.cluster)[0].as<int64_t>();
      if (count != 0) {
        check.violations += count;
        check.problems.push_back(absl::StrCat(c.what, ": ", count));
      }
    }
    return check;
  });
}

absl::Status BenchDb::Execute(const std::string& sql) {
  return Guarded<bool>("run SQL",
                       [&] {
                         pqxx::nontransaction tx(*connection_);
                         tx.exec(sql);
                         return true;
                       })
      .status();
}

absl::Status BenchDb::ExecuteParams(const std::string& sql,
                                    const std::vector<std::string>& params) {
  return Guarded<bool>("run SQL",
                       [&] {
                         pqxx::nontransaction tx(*connection_);
                         tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
                         return true;
                       })
      .status();
}

}  // namespace gantry::bench::internal
