#include "embedded_pg/embedded_pg.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "embedded_pg/internal/process.h"

#include <libpq-fe.h>

namespace gantry::embedded_pg {
namespace {

namespace fs = std::filesystem;
using internal::RunAs;

// sun_path holds 108 bytes including the terminating NUL.
constexpr size_t kMaxSocketPath = 107;
constexpr int kPort = 5432;
constexpr int kLogTailLines = 25;

absl::StatusOr<fs::path> FindBinDir() {
  if (const char* env = std::getenv("GANTRY_PG_BINDIR"); env != nullptr && *env != '\0') {
    if (fs::exists(fs::path(env) / "initdb")) return fs::path(env);
    return absl::FailedPreconditionError(
        absl::StrCat("GANTRY_PG_BINDIR=", env, " does not contain PostgreSQL's initdb"));
  }
  std::error_code ec;
  fs::path best;
  int best_version = -1;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    int version = std::atoi(entry.path().filename().c_str());
    if (version > best_version && fs::exists(entry.path() / "bin" / "initdb")) {
      best_version = version;
      best = entry.path() / "bin";
    }
  }
  if (best_version >= 0) return best;
  return absl::FailedPreconditionError(
      "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql; run "
      "scripts/install-deps, set GANTRY_PG_BINDIR, or pass --database-url");
}

std::string WithLog(const std::string& what, const fs::path& log_file) {
  std::string tail = internal::Tail(log_file, kLogTailLines);
  if (tail.empty()) return what;
  return absl::StrCat(what, "; PostgreSQL said (", log_file.string(), "):\n", tail);
}

// Socket directory inside the data dir, unless the socket path would be too long.
fs::path ChooseSocketDir(const fs::path& data_dir) {
  fs::path preferred = data_dir / "run";
  if ((preferred / ".s.PGSQL.5432").string().size() <= kMaxSocketPath) return preferred;
  return fs::path("/tmp") /
         absl::StrFormat("gantry-pg-%016x", std::hash<std::string>{}(data_dir.string()));
}

absl::Status MakeDir(const RunAs& who, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", dir.string(), ": ", ec.message()));
  }
  return internal::GiveTo(who, dir);
}

// Holds an exclusive lock on <data_dir>/gantryd.lock for the life of the process, so
// that two processes never manage one cluster. The kernel drops it when we die.
absl::StatusOr<int> LockDataDir(const fs::path& data_dir) {
  fs::path lock_path = data_dir / "gantryd.lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open ", lock_path.string(), ": ", std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::string holder;
    std::getline(std::ifstream(lock_path), holder);
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat(
        "data directory ", data_dir.string(), " is in use by another process (pid ",
        holder.empty() ? "unknown" : holder, "); stop it or choose another --data-dir"));
  }
  std::string pid = absl::StrCat(::getpid(), "\n");
  if (::ftruncate(fd, 0) != 0 || ::write(fd, pid.data(), pid.size()) < 0) {
    log::Warning("embedded_pg_lockfile_write_failed", {{"path", lock_path.string()}});
  }
  return fd;
}

// What postmaster.pid says about a server on this data directory.
struct PostmasterState {
  bool alive = false;  // a PostgreSQL process with that pid exists
  pid_t pid = 0;
};

PostmasterState ReadPostmaster(const fs::path& pgdata) {
  PostmasterState state;
  std::ifstream in(pgdata / "postmaster.pid");
  std::string line;
  if (!std::getline(in, line)) return state;
  state.pid = std::atoi(line.c_str());
  if (state.pid <= 0 || ::kill(state.pid, 0) != 0) return state;
  // After a crash the pid may belong to an unrelated process, or to the postmaster of
  // another cluster. A postmaster's working directory is its data directory, so only a
  // process running in `pgdata` is ours to adopt (or to stop).
  std::error_code ec;
  fs::path cwd = fs::read_symlink(absl::StrCat("/proc/", state.pid, "/cwd"), ec);
  state.alive = !ec && fs::equivalent(cwd, pgdata, ec) && !ec;
  return state;
}

}  // namespace

EmbeddedPostgres::EmbeddedPostgres(Options options, fs::path bin_dir, fs::path pgdata,
                                   fs::path socket_dir, fs::path log_file, int lock_fd)
    : options_(std::move(options)),
      bin_dir_(std::move(bin_dir)),
      pgdata_(std::move(pgdata)),
      socket_dir_(std::move(socket_dir)),
      log_file_(std::move(log_file)),
      lock_fd_(lock_fd) {}

EmbeddedPostgres::~EmbeddedPostgres() {
  if (running_) {
    absl::Status status = Stop();
    if (!status.ok()) log::Error("embedded_pg_stop_failed", {{"error", status.ToString()}});
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

absl::StatusOr<std::unique_ptr<EmbeddedPostgres>> EmbeddedPostgres::Start(const Options& options) {
  GANTRY_ASSIGN_OR_RETURN(fs::path bin_dir, FindBinDir());
  GANTRY_ASSIGN_OR_RETURN(RunAs who, internal::ResolveRunAs());
  std::error_code ec;
  fs::create_directories(options.data_dir, ec);
  fs::path data_dir = fs::weakly_canonical(fs::absolute(options.data_dir), ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot use data directory ", options.data_dir.string(), ": ", ec.message()));
  }
  GANTRY_ASSIGN_OR_RETURN(int lock_fd, LockDataDir(data_dir));
  fs::path socket_dir = ChooseSocketDir(data_dir);
  auto pg = std::unique_ptr<EmbeddedPostgres>(new EmbeddedPostgres(
      options, bin_dir, data_dir / "postgres", socket_dir, data_dir / "postgres.log", lock_fd));
  if (socket_dir.string().find('\'') != std::string::npos) {
    return absl::FailedPreconditionError("the data directory path must not contain a quote (')");
  }
  GANTRY_RETURN_IF_ERROR(MakeDir(who, pg->pgdata_));
  GANTRY_RETURN_IF_ERROR(MakeDir(who, socket_dir));
  GANTRY_RETURN_IF_ERROR(internal::CheckReachable(who, pg->pgdata_));
  GANTRY_RETURN_IF_ERROR(internal::CheckReachable(who, socket_dir));
  ::chmod(pg->pgdata_.c_str(), 0700);  // PostgreSQL insists on it

  if (!fs::exists(pg->pgdata_ / "PG_VERSION")) {
    if (!fs::is_empty(pg->pgdata_)) {
      return absl::FailedPreconditionError(absl::StrCat(
          pg->pgdata_.string(), " is neither empty nor a PostgreSQL cluster; move it away"));
    }
    log::Info("embedded_pg_initdb", {{"pgdata", pg->pgdata_.string()}});
    fs::path initdb_log = data_dir / "initdb.log";
    GANTRY_ASSIGN_OR_RETURN(
        int code,
        internal::Run(who,
                      {(bin_dir / "initdb").string(), "-D", pg->pgdata_.string(), "-U", "postgres",
                       "-A", "trust", "-E", "UTF8", "--locale=C", "--no-instructions"},
                      pg->pgdata_.parent_path(), initdb_log));
    if (code != 0) {
      return absl::FailedPreconditionError(
          WithLog(absl::StrCat("initdb failed with exit code ", code), initdb_log));
    }
  }
  GANTRY_RETURN_IF_ERROR(pg->StartOrAdopt());
  GANTRY_RETURN_IF_ERROR(pg->EnsureDatabase());
  return pg;
}

absl::Status EmbeddedPostgres::StartOrAdopt() {
  GANTRY_ASSIGN_OR_RETURN(RunAs who, internal::ResolveRunAs());
  PostmasterState state = ReadPostmaster(pgdata_);
  if (state.alive) {
    adopted_ = true;
    log::Info("embedded_pg_adopt", {{"pid", state.pid}, {"pgdata", pgdata_.string()}});
  } else {
    // A dead or unrelated pid: PostgreSQL would refuse to start over a live one.
    std::error_code ec;
    if (state.pid > 0 && fs::remove(pgdata_ / "postmaster.pid", ec)) {
      log::Warning("embedded_pg_stale_pidfile_removed", {{"pid", state.pid}});
    }
    std::string server_options =
        absl::StrFormat("-c listen_addresses='' -c port=%d -k '%s'", kPort, socket_dir_.string());
    for (const auto& [name, value] : options_.settings) {
      absl::StrAppend(&server_options, " -c ", name, "=", value);
    }
    int timeout_s = static_cast<int>(absl::ToInt64Seconds(options_.start_timeout));
    log::Info("embedded_pg_start",
              {{"pgdata", pgdata_.string()}, {"socket_dir", socket_dir_.string()}});
    GANTRY_ASSIGN_OR_RETURN(
        int code, internal::Run(who,
                                {(bin_dir_ / "pg_ctl").string(), "start", "-D", pgdata_.string(),
                                 "-l", log_file_.string(), "-w", "-t", absl::StrCat(timeout_s),
                                 "-o", server_options},
                                pgdata_.parent_path(), log_file_));
    if (code != 0) {
      return absl::UnavailableError(WithLog(
          absl::StrCat("PostgreSQL did not start (pg_ctl exit code ", code, ")"), log_file_));
    }
  }
  running_ = true;
  // Also covers an adopted server that is still recovering from the crash.
  std::string conninfo = ConnectionString("postgres");
  absl::Time deadline = absl::Now() + options_.start_timeout;
  while (PQping(conninfo.c_str()) != PQPING_OK) {
    if (absl::Now() > deadline) {
      return absl::UnavailableError(WithLog("PostgreSQL is not accepting connections", log_file_));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::OkStatus();
}

absl::Status EmbeddedPostgres::EnsureDatabase() {
  try {
    pqxx::connection conn(ConnectionString("postgres"));
    pqxx::nontransaction tx(conn);
    pqxx::result found =
        tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", options_.database);
    if (found.empty()) {
      tx.exec0(absl::StrCat("CREATE DATABASE ", tx.quote_name(options_.database)));
      log::Info("embedded_pg_database_created", {{"database", options_.database}});
    }
  } catch (const std::exception& e) {
    return absl::UnavailableError(WithLog(
        absl::StrCat("cannot create database ", options_.database, ": ", e.what()), log_file_));
  }
  return absl::OkStatus();
}

absl::Status EmbeddedPostgres::Stop() {
  if (!running_) return absl::OkStatus();
  running_ = false;
  GANTRY_ASSIGN_OR_RETURN(RunAs who, internal::ResolveRunAs());
  GANTRY_ASSIGN_OR_RETURN(
      int code, internal::Run(who,
                              {(bin_dir_ / "pg_ctl").string(), "stop", "-D", pgdata_.string(), "-m",
                               "fast", "-w", "-t", "60"},
                              pgdata_.parent_path(), log_file_));
  if (code != 0) {
    return absl::UnavailableError(
        WithLog(absl::StrCat("pg_ctl stop failed with exit code ", code), log_file_));
  }
  log::Info("embedded_pg_stopped", {{"pgdata", pgdata_.string()}});
  return absl::OkStatus();
}

std::string EmbeddedPostgres::ConnectionString(const std::string& database) const {
  return absl::StrFormat("host=%s port=%d user=postgres dbname=%s", socket_dir_.string(), kPort,
                         database.empty() ? options_.database : database);
}

}  // namespace gantry::embedded_pg
