#include "bench/internal/db_limit.h"

#include <cstdlib>
#include <fstream>
#include <system_error>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bench/db_limit_sql.h"
#include "bench/internal/process.h"
#include "bench/internal/report.h"
#include "common/status_macros.h"

namespace gantry::bench::internal {
namespace {

namespace fs = std::filesystem;

// Gantry's rows, cut down to what a placement writes. The totals are so large that the
// capacity checks the script keeps never fail, however long it runs. No foreign keys
// and no secondary indexes beyond the unique ones: the limit errs on the high side.
constexpr char kCreateSchema[] = R"sql(
  DROP SCHEMA IF EXISTS gantry_bench_dblimit CASCADE;
  CREATE SCHEMA gantry_bench_dblimit;
  CREATE TABLE gantry_bench_dblimit.hosts (
    host_id bigint PRIMARY KEY,
    availability_zone text NOT NULL,
    cpu_total integer NOT NULL, memory_total integer NOT NULL,
    storage_total integer NOT NULL, eni_total integer NOT NULL,
    cpu_used integer NOT NULL DEFAULT 0, memory_used integer NOT NULL DEFAULT 0,
    storage_used integer NOT NULL DEFAULT 0, eni_used integer NOT NULL DEFAULT 0,
    version bigint NOT NULL DEFAULT 1);
  CREATE TABLE gantry_bench_dblimit.tasks (
    task_id text PRIMARY KEY,
    host_id bigint,
    availability_zone text,
    cpu integer NOT NULL,
    memory integer NOT NULL,
    last_status text NOT NULL,
    placed_at timestamptz,
    containers jsonb NOT NULL);
  CREATE TABLE gantry_bench_dblimit.network_interfaces (
    eni_id text PRIMARY KEY,
    task_id text NOT NULL UNIQUE,
    subnet_id text NOT NULL,
    private_ipv4 inet NOT NULL,
    mac_address macaddr NOT NULL UNIQUE,
    UNIQUE (subnet_id, private_ipv4));
  CREATE SEQUENCE gantry_bench_dblimit.address_seq;
  CREATE SEQUENCE gantry_bench_dblimit.mac_seq;
  CREATE TABLE gantry_bench_dblimit.sample (containers text NOT NULL))sql";
constexpr char kFillHosts[] = R"sql(
  INSERT INTO gantry_bench_dblimit.hosts (host_id, availability_zone, cpu_total, memory_total,
    storage_total, eni_total)
  SELECT g, 'bench-' || chr(97 + g % 3), 2000000000, 2000000000, 2000000000, 2000000000
  FROM generate_series(1, $1::int) AS g)sql";
constexpr char kFillSample[] = R"sql(
  INSERT INTO gantry_bench_dblimit.sample VALUES ($1))sql";
constexpr char kAnalyze[] = "ANALYZE gantry_bench_dblimit.hosts";
// A checkpoint now keeps one from landing in the middle of the measurement (best
// effort: it needs privileges a --database-url user may lack).
constexpr char kCheckpoint[] = "CHECKPOINT";
constexpr char kDropSchema[] = "DROP SCHEMA IF EXISTS gantry_bench_dblimit CASCADE";

// pgbench from $GANTRY_PG_BINDIR, the newest /usr/lib/postgresql/N/bin, or /usr/bin.
absl::StatusOr<fs::path> FindPgbench() {
  if (const char* dir = std::getenv("GANTRY_PG_BINDIR"); dir != nullptr && *dir != '\0') {
    if (fs::exists(fs::path(dir) / "pgbench")) return fs::path(dir) / "pgbench";
  }
  std::error_code ec;
  fs::path best;
  int best_version = -1;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    int version = 0;
    if (absl::SimpleAtoi(entry.path().filename().string(), &version) && version > best_version &&
        fs::exists(entry.path() / "bin" / "pgbench")) {
      best_version = version;
      best = entry.path() / "bin" / "pgbench";
    }
  }
  if (best_version >= 0) return best;
  if (fs::exists("/usr/bin/pgbench")) return fs::path("/usr/bin/pgbench");
  return absl::FailedPreconditionError(
      "pgbench not found (install postgresql-contrib or set GANTRY_PG_BINDIR), or run with "
      "--db-limit-seconds 0");
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

absl::Status PrepareDbLimit(BenchDb& db, const DbLimitOptions& options) {
  GANTRY_RETURN_IF_ERROR(db.Execute(kCreateSchema));
  GANTRY_RETURN_IF_ERROR(db.ExecuteParams(kFillHosts, {absl::StrCat(options.hosts)}));
  GANTRY_RETURN_IF_ERROR(db.ExecuteParams(kFillSample, {options.containers_json}));
  GANTRY_RETURN_IF_ERROR(db.Execute(kAnalyze));
  std::ofstream script(options.work_dir / "db_limit.sql");
  script << kDbLimitScript;
  script.close();
  if (!script) {
    return absl::InternalError(
        absl::StrCat("cannot write ", (options.work_dir / "db_limit.sql").string()));
  }
  return absl::OkStatus();
}

absl::StatusOr<DbLimitResult> RunDbLimit(BenchDb& db, const DbLimitOptions& options, int clients) {
  GANTRY_ASSIGN_OR_RETURN(fs::path pgbench, FindPgbench());
  db.Execute(kCheckpoint).IgnoreError();
  const fs::path log = options.work_dir / "pgbench.log";
  std::vector<std::string> argv = {
      pgbench.string(), "-n", "-M", "prepared", "-c", absl::StrCat(clients), "-j",
      absl::StrCat(clients < 2 ? 1 : 2), "-T", absl::StrCat(options.seconds), "-f",
      (options.work_dir / "db_limit.sql").string(), "-D", absl::StrCat("batch=", options.batch),
      "-D", absl::StrCat("hosts=", options.hosts),
      // A conninfo or URL is accepted where the database
      // name goes.
      options.conninfo};
  GANTRY_ASSIGN_OR_RETURN(std::unique_ptr<Child> child, Child::Start(argv, log));
  int exit_code = -1;
  GANTRY_ASSIGN_OR_RETURN(
      std::string output,
      child->ReadAllAndWait(absl::Seconds(options.seconds) + absl::Minutes(2), &exit_code));
  absl::StatusOr<double> tps = ParsePgbenchTps(output);
  if (exit_code != 0 || !tps.ok()) {
    return absl::InternalError(absl::StrCat("pgbench (", clients, " clients) exited with code ",
                                            exit_code, ":\n", output, ReadFile(log)));
  }
  return DbLimitResult{clients, *tps, *tps * options.batch};
}

absl::Status DropDbLimit(BenchDb& db) { return db.Execute(kDropSchema); }

}  // namespace gantry::bench::internal
