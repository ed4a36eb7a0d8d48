// metrics_store_bench: how many task samples per second one database connection stores
// with storage::StoreTaskMetrics, the call gantryd makes for every ReportTaskMetrics of
// an agent (one call per host report, one sample per task of the host). That rate over
// the agents' report interval is the fleet one connection can take.
//
// Sets up a fleet in a scratch database (an embedded PostgreSQL in a temporary directory
// unless --database-url is given), then stores one sample of every task per round, one
// call per host, and reports three rows measured in the same run (machines are noisy, so
// the ratios are the result, not the absolute times):
//   1. the UNLOGGED task_metrics table as migration 0007 creates it;
//   2. the same table with one sample per call (the fixed cost of a call);
//   3. the table after ALTER TABLE ... SET LOGGED (what UNLOGGED buys).
// Plain main() rather than Google Benchmark: every iteration needs the database and the
// fleet set up before it. Progress goes to stderr, the table to stdout.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "gantry/v1/ecs_tasks.pb.h"
#include "gantry/v1/ecs_types.pb.h"
#include <pqxx/pqxx>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/flags.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "embedded_pg/embedded_pg.h"
#include "storage/storage.h"

ABSL_FLAG(int, hosts, 200, "Hosts, each reporting its tasks' samples in one call per round");
ABSL_FLAG(int, tasks_per_host, 20, "Tasks per host: samples per call (hosts x this <= 60000)");
ABSL_FLAG(int, rounds, 20, "Timed rounds per table row (after one untimed warm-up round)");
ABSL_FLAG(std::string, database_url, "",
          "PostgreSQL URL or conninfo of a scratch database (the bench adds a VPC, hosts and "
          "tasks to it); empty: an embedded PostgreSQL");
ABSL_FLAG(std::string, data_dir, "",
          "Directory of the embedded PostgreSQL, kept at exit; default: a fresh temporary "
          "directory, removed at exit");

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kAccount[] = "000000000000";
constexpr char kCluster[] = "default";
constexpr char kFamily[] = "metrics-bench";
constexpr char kZone[] = "az-a";
// The subnet is the whole VPC: 65,531 usable addresses, one per task.
constexpr char kCidr[] = "10.0.0.0/16";
constexpr int kMaxTasks = 60000;
// Bounds one placement transaction, as the scheduler's rounds are bounded.
constexpr int kPlacementRound = 4096;
constexpr int kTaskCpu = 256;
constexpr int kTaskMemoryMib = 512;
constexpr int kTaskStorageGib = 20;
// The agents' default report interval; sampled_at moves by this each round.
constexpr absl::Duration kReportInterval = absl::Seconds(10);

constexpr char kUsage[] = R"(metrics_store_bench: task samples per second one connection stores.

  metrics_store_bench [--hosts 200] [--tasks-per-host 20] [--rounds 20]
                      [--database-url URL] [--data-dir DIR]

Rows (same fleet, same run): the UNLOGGED task_metrics table; the same with one sample per
call; the table after ALTER TABLE task_metrics SET LOGGED (set back to UNLOGGED at the end).
)";

struct Options {
  int hosts = 0;
  int tasks_per_host = 0;
  int rounds = 0;
};

// Host i runs tasks[i]; both in registration order.
struct Fleet {
  std::vector<std::string> instance_ids;
  std::vector<std::vector<std::string>> task_ids;
};

struct RowResult {
  std::string name;
  std::string persistence;  // as pg_class says during the row: "unlogged" or "logged"
  int samples_per_call = 0;
  int64_t calls = 0;
  int64_t samples = 0;
  double seconds = 0;  // sum of the timed calls
  double p50_ms = 0;
  double p99_ms = 0;
  double wal_bytes_per_sample = 0;
};

// The libpqxx connection for what storage's API does not offer (DDL, settings, WAL
// position); bench code, so libpqxx exceptions are converted here.
class AdminConnection {
 public:
  static absl::StatusOr<std::unique_ptr<AdminConnection>> Open(const std::string& conninfo) {
    try {
      return std::unique_ptr<AdminConnection>(
          new AdminConnection(std::make_unique<pqxx::connection>(conninfo)));
    } catch (const std::exception& e) {
      return absl::UnavailableError(absl::StrCat("connect: ", e.what()));
    }
  }

  absl::Status Execute(const std::string& sql) {
    try {
      pqxx::nontransaction tx(*connection_);
      tx.exec(sql);
      return absl::OkStatus();
    } catch (const std::exception& e) {
      return absl::InternalError(absl::StrCat(sql, ": ", e.what()));
    }
  }

  // The first column of the first row, as text.
  absl::StatusOr<std::string> QueryValue(const std::string& sql) {
    try {
      pqxx::nontransaction tx(*connection_);
      return tx.exec1(sql)[0].as<std::string>();
    } catch (const std::exception& e) {
      return absl::InternalError(absl::StrCat(sql, ": ", e.what()));
    }
  }

 private:
  explicit AdminConnection(std::unique_ptr<pqxx::connection> connection)
      : connection_(std::move(connection)) {}
  std::unique_ptr<pqxx::connection> connection_;
};

absl::StatusOr<std::string> Persistence(AdminConnection& admin) {
  GANTRY_ASSIGN_OR_RETURN(
      std::string code,
      admin.QueryValue("SELECT relpersistence FROM pg_class WHERE oid = 'task_metrics'::regclass"));
  return code == "u" ? std::string("unlogged") : code == "p" ? std::string("logged") : code;
}

// Bytes of WAL written since the cluster began: differences give a row's WAL volume.
absl::StatusOr<int64_t> WalPosition(AdminConnection& admin) {
  GANTRY_ASSIGN_OR_RETURN(std::string bytes,
                          admin.QueryValue("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')"));
  return static_cast<int64_t>(std::strtod(bytes.c_str(), nullptr));
}

gantry::v1::TaskDefinition BenchTaskDefinition() {
  gantry::v1::TaskDefinition body;
  body.set_family(kFamily);
  body.set_cpu(absl::StrCat(kTaskCpu));
  body.set_memory(absl::StrCat(kTaskMemoryMib));
  body.set_network_mode("awsvpc");
  gantry::v1::ContainerDefinition* container = body.add_container_definitions();
  container->set_name("app");
  container->set_image("nginx:1.27");
  return body;
}

struct Network {
  int32_t revision = 0;  // of the bench's task definition
  std::string subnet_id;
  std::string security_group_id;
};

// The cluster, the task definition, and a VPC whose one subnet holds every task's address.
absl::StatusOr<Network> PrepareAccount(gantry::storage::Connection& connection) {
  namespace storage = gantry::storage;
  GANTRY_RETURN_IF_ERROR(storage::Migrate(connection, storage::BuiltinMigrations()).status());
  GANTRY_RETURN_IF_ERROR(storage::CreateCluster(connection, kAccount, kCluster, {}).status());
  GANTRY_ASSIGN_OR_RETURN(
      storage::TaskDefinitionRow definition,
      storage::RegisterTaskDefinition(connection, kAccount, BenchTaskDefinition(), {}, "bench"));
  GANTRY_ASSIGN_OR_RETURN(storage::VpcRow vpc, storage::CreateVpc(connection, kAccount, kCidr));
  GANTRY_ASSIGN_OR_RETURN(storage::SubnetRow subnet,
                          storage::CreateSubnet(connection, kAccount, vpc.vpc_id, kCidr, kZone));
  GANTRY_ASSIGN_OR_RETURN(std::vector<storage::SecurityGroupRow> groups,
                          storage::GetSecurityGroups(connection, kAccount, {}));
  for (const storage::SecurityGroupRow& group : groups) {
    if (group.vpc_id == vpc.vpc_id) {
      return Network{definition.revision, subnet.subnet_id, group.group_id};
    }
  }
  return absl::InternalError(absl::StrCat(vpc.vpc_id, ": no default security group"));
}

gantry::storage::NewTask BenchTask(const Network& network) {
  gantry::storage::NewTask task;
  task.task_id = gantry::ids::RandomHex(32);
  task.account_id = kAccount;
  task.cluster = kCluster;
  task.family = kFamily;
  task.revision = network.revision;
  task.group = absl::StrCat("family:", kFamily);
  task.cpu_units = kTaskCpu;
  task.memory_mib = kTaskMemoryMib;
  task.ephemeral_storage_gib = kTaskStorageGib;
  task.subnet_ids = {network.subnet_id};
  task.security_group_ids = {network.security_group_id};
  gantry::v1::Container container;
  container.set_name("app");
  task.containers.push_back(container);
  return task;
}

// Hosts sized to take exactly `tasks_per_host` tasks each.
absl::Status RegisterHosts(gantry::storage::Connection& connection, const Options& options,
                           Fleet* fleet) {
  const int32_t n = options.tasks_per_host;
  for (int i = 0; i < options.hosts; ++i) {
    gantry::storage::NewHost host{kZone,
                                  {kTaskCpu * n, kTaskMemoryMib * n, kTaskStorageGib * n, n},
                                  "bench",
                                  absl::StrCat("bench-host-", i)};
    GANTRY_ASSIGN_OR_RETURN(gantry::storage::HostRow row,
                            gantry::storage::RegisterHost(connection, host));
    fleet->instance_ids.push_back(row.instance_id);
    fleet->task_ids.emplace_back();
  }
  return absl::OkStatus();
}

// Places every host's tasks on it with CommitRound, as the scheduler does, in rounds of
// at most kPlacementRound tasks.
absl::Status PlaceTasks(gantry::storage::Connection& connection, const Options& options,
                        const Network& network, const std::vector<int64_t>& hosts, Fleet* fleet) {
  const int total = options.hosts * options.tasks_per_host;
  int placed = 0;
  while (placed < total) {
    gantry::storage::Round round{.region = "us-east-1"};
    const int end = std::min(total, placed + kPlacementRound);
    for (int i = placed; i < end; ++i) {
      const int host = i / options.tasks_per_host;
      round.new_tasks.push_back(BenchTask(network));
      round.placements.push_back(
          {round.new_tasks.back().task_id, hosts[host], network.subnet_id, kZone});
      fleet->task_ids[host].push_back(round.new_tasks.back().task_id);
    }
    GANTRY_ASSIGN_OR_RETURN(gantry::storage::RoundResult result,
                            gantry::storage::CommitRound(connection, round));
    if (!result.displaced_task_ids.empty()) {
      return absl::InternalError(absl::StrCat(result.displaced_task_ids.size(),
                                              " tasks displaced: the hosts should fit them"));
    }
    placed = end;
    std::fprintf(stderr, "placing tasks %d/%d\n", placed, total);
  }
  return absl::OkStatus();
}

absl::StatusOr<Fleet> PrepareFleet(gantry::storage::Connection& connection,
                                   const Options& options) {
  GANTRY_ASSIGN_OR_RETURN(Network network, PrepareAccount(connection));
  std::fprintf(stderr, "registering %d hosts\n", options.hosts);
  Fleet fleet;
  GANTRY_RETURN_IF_ERROR(RegisterHosts(connection, options, &fleet));
  GANTRY_ASSIGN_OR_RETURN(std::vector<gantry::storage::HostRow> rows,
                          gantry::storage::GetHosts(connection, fleet.instance_ids));
  // GetHosts answers in no promised order; placements need host ids in fleet order.
  std::vector<int64_t> host_ids;
  for (const std::string& instance_id : fleet.instance_ids) {
    auto it = std::find_if(rows.begin(), rows.end(), [&](const gantry::storage::HostRow& row) {
      return row.instance_id == instance_id;
    });
    if (it == rows.end()) {
      return absl::InternalError(absl::StrCat("host ", instance_id, " vanished"));
    }
    host_ids.push_back(it->host_id);
  }
  GANTRY_RETURN_IF_ERROR(PlaceTasks(connection, options, network, host_ids, &fleet));
  return fleet;
}

// One agent report's worth of samples; values move every round so that each update
// writes new data, as real reports do.
void FillSamples(const std::vector<std::string>& task_ids, int count, int64_t clock_round,
                 std::vector<gantry::storage::TaskMetricsSample>* samples) {
  samples->resize(count);
  for (int i = 0; i < count; ++i) {
    gantry::storage::TaskMetricsSample& s = (*samples)[i];
    const double load = static_cast<double>((clock_round * 7 + i * 13) % 100);
    s.task_id = task_ids[i];
    s.sampled_at = absl::FromUnixSeconds(1'800'000'000) + clock_round * kReportInterval;
    s.interval_ms = absl::ToInt64Milliseconds(kReportInterval);
    s.cpu_utilized = load * 2.56;
    s.cpu_seconds = static_cast<double>(clock_round) * 2.5 + load / 10;
    s.memory_utilized_mib = 100 + load * 3;
    s.network_rx_bytes = clock_round * 1'000'000 + i;
    s.network_tx_bytes = clock_round * 250'000 + i;
    s.network_rx_rate = load * 1000;
    s.network_tx_rate = load * 250;
    s.storage_read_bytes = clock_round * 4096;
    s.storage_write_bytes = clock_round * 8192;
    s.ephemeral_utilized_mib = 512 + load;
  }
}

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) {
    return 0;
  }
  std::sort(values.begin(), values.end());
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
  return values[std::max<size_t>(rank, 1) - 1];
}

// One round: a StoreTaskMetrics call per host. Adds each call's latency (ms) when `timed`.
// Every sample is newer than the stored one, so every call must store all of them.
absl::Status StoreRound(gantry::storage::Connection& connection, const Fleet& fleet,
                        int samples_per_call, int64_t clock_round, bool timed,
                        std::vector<double>* latencies_ms) {
  std::vector<gantry::storage::TaskMetricsSample> samples;
  for (size_t h = 0; h < fleet.instance_ids.size(); ++h) {
    FillSamples(fleet.task_ids[h], samples_per_call, clock_round, &samples);
    const Clock::time_point start = Clock::now();
    absl::StatusOr<std::vector<gantry::storage::TaskMetricsRow>> stored =
        gantry::storage::StoreTaskMetrics(connection, fleet.instance_ids[h], samples);
    const Clock::time_point end = Clock::now();
    if (!stored.ok()) {
      return stored.status();
    }
    if (stored->size() != samples.size()) {
      return absl::InternalError(absl::StrCat("host ", fleet.instance_ids[h], ": stored ",
                                              stored->size(), " of ", samples.size(), " samples"));
    }
    if (timed) {
      latencies_ms->push_back(std::chrono::duration<double, std::milli>(end - start).count());
    }
  }
  return absl::OkStatus();
}

// One table row: a checkpoint (so no row inherits another's dirty pages), an untimed
// warm-up round (the first inserts the rows, and plans and caches settle), then the
// timed rounds. `clock_round` is the report clock shared by all rows.
absl::StatusOr<RowResult> MeasureRow(gantry::storage::Connection& connection,
                                     AdminConnection& admin, const Fleet& fleet,
                                     const Options& options, const std::string& name,
                                     int samples_per_call, int64_t* clock_round) {
  RowResult row{.name = name, .samples_per_call = samples_per_call};
  GANTRY_ASSIGN_OR_RETURN(row.persistence, Persistence(admin));
  GANTRY_RETURN_IF_ERROR(admin.Execute("CHECKPOINT"));
  GANTRY_RETURN_IF_ERROR(
      StoreRound(connection, fleet, samples_per_call, ++*clock_round, false, nullptr));
  GANTRY_ASSIGN_OR_RETURN(int64_t wal_before, WalPosition(admin));
  std::vector<double> latencies_ms;
  for (int r = 1; r <= options.rounds; ++r) {
    GANTRY_RETURN_IF_ERROR(
        StoreRound(connection, fleet, samples_per_call, ++*clock_round, true, &latencies_ms));
    std::fprintf(stderr, "%s, %s: round %d/%d\n", name.c_str(), row.persistence.c_str(), r,
                 options.rounds);
  }
  GANTRY_ASSIGN_OR_RETURN(int64_t wal_after, WalPosition(admin));
  row.calls = static_cast<int64_t>(latencies_ms.size());
  row.samples = row.calls * samples_per_call;
  for (double ms : latencies_ms) {
    row.seconds += ms / 1000;
  }
  row.p50_ms = Percentile(latencies_ms, 0.50);
  row.p99_ms = Percentile(latencies_ms, 0.99);
  // The admin connection's own WAL position queries write none.
  row.wal_bytes_per_sample =
      static_cast<double>(wal_after - wal_before) / static_cast<double>(row.samples);
  return row;
}

struct Report {
  std::string server;  // version and the settings that decide a logged write's cost
  std::vector<RowResult> rows;
};

absl::StatusOr<Report> RunBench(const std::string& conninfo, const Options& options) {
  GANTRY_ASSIGN_OR_RETURN(std::unique_ptr<gantry::storage::Connection> connection,
                          gantry::storage::Connection::Open(conninfo));
  GANTRY_ASSIGN_OR_RETURN(std::unique_ptr<AdminConnection> admin, AdminConnection::Open(conninfo));
  GANTRY_ASSIGN_OR_RETURN(Fleet fleet, PrepareFleet(*connection, options));
  Report report;
  GANTRY_ASSIGN_OR_RETURN(
      report.server,
      admin->QueryValue("SELECT 'PostgreSQL ' || current_setting('server_version') ||"
                        " ', fsync=' || current_setting('fsync') ||"
                        " ', synchronous_commit=' || current_setting('synchronous_commit') ||"
                        " ', wal_level=' || current_setting('wal_level') ||"
                        " ', shared_buffers=' || current_setting('shared_buffers')"));
  int64_t clock_round = 0;
  const std::string many = absl::StrCat(options.tasks_per_host, " tasks per call");
  GANTRY_ASSIGN_OR_RETURN(RowResult unlogged, MeasureRow(*connection, *admin, fleet, options, many,
                                                         options.tasks_per_host, &clock_round));
  report.rows.push_back(unlogged);
  GANTRY_ASSIGN_OR_RETURN(RowResult single, MeasureRow(*connection, *admin, fleet, options,
                                                       "1 task per call", 1, &clock_round));
  report.rows.push_back(single);
  std::fprintf(stderr, "ALTER TABLE task_metrics SET LOGGED\n");
  GANTRY_RETURN_IF_ERROR(admin->Execute("ALTER TABLE task_metrics SET LOGGED"));
  GANTRY_ASSIGN_OR_RETURN(RowResult logged, MeasureRow(*connection, *admin, fleet, options, many,
                                                       options.tasks_per_host, &clock_round));
  report.rows.push_back(logged);
  // Leaves the schema as the migrations made it (matters for --database-url/--data-dir).
  GANTRY_RETURN_IF_ERROR(admin->Execute("ALTER TABLE task_metrics SET UNLOGGED"));
  return report;
}

void PrintReport(const Report& report, const Options& options, const std::string& command,
                 const std::string& where) {
  std::printf("metrics_store_bench: %d hosts x %d tasks, %d timed rounds per row, one connection\n",
              options.hosts, options.tasks_per_host, options.rounds);
  std::printf("database: %s (%s)\n", report.server.c_str(), where.c_str());
  std::printf("command: %s\n\n", command.c_str());
  std::printf("%-18s %-9s %7s %7s %9s %8s %10s %8s %7s %7s %9s\n", "row", "table", "samples",
              "calls", "samples", "seconds", "samples/s", "calls/s", "p50 ms", "p99 ms",
              "WAL B/smp");
  std::printf("%-18s %-9s %7s\n", "", "", "/call");
  for (const RowResult& row : report.rows) {
    std::printf("%-18s %-9s %7d %7lld %9lld %8.2f %10.0f %8.0f %7.3f %7.3f %9.0f\n",
                row.name.c_str(), row.persistence.c_str(), row.samples_per_call,
                static_cast<long long>(row.calls), static_cast<long long>(row.samples), row.seconds,
                static_cast<double>(row.samples) / row.seconds,
                static_cast<double>(row.calls) / row.seconds, row.p50_ms, row.p99_ms,
                row.wal_bytes_per_sample);
  }
  const RowResult& unlogged = report.rows[0];
  const RowResult& single = report.rows[1];
  const RowResult& logged = report.rows[2];
  auto rate = [](const RowResult& row) { return static_cast<double>(row.samples) / row.seconds; };
  auto mean_ms = [](const RowResult& row) {
    return row.seconds * 1000 / static_cast<double>(row.calls);
  };
  std::printf("\nunlogged/logged samples/s: %.2f\n", rate(unlogged) / rate(logged));
  if (options.tasks_per_host > 1) {
    // Mean call time = fixed + per_sample * samples, solved from the two unlogged rows.
    const double per_sample = (mean_ms(unlogged) - mean_ms(single)) / (options.tasks_per_host - 1);
    std::printf(
        "%d vs 1 task per call samples/s: %.2f (mean call = %.3f ms fixed + %.4f ms "
        "per sample)\n",
        options.tasks_per_host, rate(unlogged) / rate(single), mean_ms(single) - per_sample,
        per_sample);
  }
  const double seconds = absl::ToDoubleSeconds(kReportInterval);
  std::printf(
      "hosts one connection keeps up with (%d tasks each, a report every %.0f s): "
      "unlogged %.0f, logged %.0f\n",
      options.tasks_per_host, seconds, rate(unlogged) * seconds / options.tasks_per_host,
      rate(logged) * seconds / options.tasks_per_host);
}

std::string CommandLine(int argc, char** argv) {
  std::string command;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool quote = arg.empty() || arg.find_first_of(" \t'\"") != std::string::npos;
    absl::StrAppend(&command, i == 0 ? "" : " ", quote ? absl::StrCat("'", arg, "'") : arg);
  }
  return command;
}

absl::StatusOr<Options> ReadOptions() {
  Options options{absl::GetFlag(FLAGS_hosts), absl::GetFlag(FLAGS_tasks_per_host),
                  absl::GetFlag(FLAGS_rounds)};
  if (options.hosts < 1 || options.tasks_per_host < 1 || options.rounds < 1) {
    return absl::InvalidArgumentError("--hosts, --tasks-per-host, --rounds: use at least 1");
  }
  if (static_cast<int64_t>(options.hosts) * options.tasks_per_host > kMaxTasks) {
    return absl::InvalidArgumentError(
        absl::StrCat("--hosts x --tasks-per-host: ", options.hosts, " x ", options.tasks_per_host,
                     " is over ", kMaxTasks, " (one /16 subnet holds every task)"));
  }
  return options;
}

// Removes a directory the bench made, at scope exit (after PostgreSQL stopped).
class ScratchDir {
 public:
  ScratchDir() = default;
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  // A fresh directory that PostgreSQL's user can reach (as root it runs as postgres).
  absl::StatusOr<fs::path> Make() {
    std::string pattern = (fs::temp_directory_path() / "metrics-store-bench.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr || ::chmod(pattern.c_str(), 0755) != 0) {
      return absl::InternalError(absl::StrCat("temporary directory: ", std::strerror(errno)));
    }
    path_ = pattern;
    return path_;
  }

 private:
  fs::path path_;
};

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "metrics_store_bench: %s\n", std::string(status.message()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = CommandLine(argc, argv);
  absl::SetProgramUsageMessage(kUsage);
  std::vector<std::string> args = gantry::flags::NormalizeDashes(argc, argv);
  std::vector<char*> arg_pointers;
  for (std::string& arg : args) {
    arg_pointers.push_back(arg.data());
  }
  absl::ParseCommandLine(static_cast<int>(arg_pointers.size()), arg_pointers.data());
  absl::StatusOr<Options> options = ReadOptions();
  if (!options.ok()) {
    Fail(options.status());
    return 2;
  }

  // Declared before the server so that it is removed only after the server stopped.
  ScratchDir scratch;
  std::unique_ptr<gantry::embedded_pg::EmbeddedPostgres> postgres;
  std::string conninfo = absl::GetFlag(FLAGS_database_url);
  std::string where = "--database-url";
  if (conninfo.empty()) {
    fs::path data_dir = absl::GetFlag(FLAGS_data_dir);
    if (data_dir.empty()) {
      absl::StatusOr<fs::path> made = scratch.Make();
      if (!made.ok()) {
        return Fail(made.status());
      }
      data_dir = *made;
    }
    std::fprintf(stderr, "starting PostgreSQL in %s\n", data_dir.c_str());
    gantry::embedded_pg::Options pg_options;
    pg_options.data_dir = data_dir;
    absl::StatusOr<std::unique_ptr<gantry::embedded_pg::EmbeddedPostgres>> started =
        gantry::embedded_pg::EmbeddedPostgres::Start(pg_options);
    if (!started.ok()) {
      return Fail(started.status());
    }
    postgres = *std::move(started);
    conninfo = postgres->ConnectionString();
    where = "embedded, default settings";
  }

  absl::StatusOr<Report> report = RunBench(conninfo, *options);
  if (postgres != nullptr) {
    if (absl::Status stopped = postgres->Stop(); !stopped.ok()) {
      Fail(stopped);
    }
  }
  if (!report.ok()) {
    return Fail(report.status());
  }
  PrintReport(*report, *options, command, where);
  return 0;
}
