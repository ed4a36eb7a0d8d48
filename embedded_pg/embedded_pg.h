// Embedded PostgreSQL: a private PostgreSQL cluster that lives inside a Gantry data
// directory, for `gantryd` without --database-url and for the test harness.
//
// Start() creates the cluster on first use (initdb), then starts the server, or
// adopts one that a previous, hard-killed process left running on the same data
// directory (a stale postmaster.pid from a dead server is cleared). The server listens
// only on a Unix socket inside the data directory, so there is no TCP port to collide
// with. When the process runs as root, PostgreSQL (which refuses to run as root) runs
// as the unprivileged `postgres` user; a data directory that user cannot reach is
// reported with the directory that blocks it. Failures carry PostgreSQL's own log
// lines. A lock file keeps two processes from owning one data directory at once.
//
// Thread-safety: Start/Stop block (they run PostgreSQL's tools) and are meant for
// startup and shutdown; an instance is used from one thread. Errors are absl::Status:
// FAILED_PRECONDITION (environment: binaries missing, permissions, directory in use),
// UNAVAILABLE (the server did not come up), INTERNAL otherwise.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gantry::embedded_pg {

struct Options {
  // Gantry data directory; the cluster lives in `<data_dir>/postgres`, the socket in
  // `<data_dir>/run` (or a short directory under /tmp when that path is too long for
  // a Unix socket), PostgreSQL's log in `<data_dir>/postgres.log`.
  std::filesystem::path data_dir;
  // Database created on first start (besides PostgreSQL's own `postgres`).
  std::string database = "gantry";
  absl::Duration start_timeout = absl::Seconds(60);
  // Extra server settings passed as `-c name=value` (e.g. {"max_connections", "200"}).
  std::vector<std::pair<std::string, std::string>> settings;
};

class EmbeddedPostgres {
 public:
  // Blocks until the server accepts connections and `options.database` exists.
  static absl::StatusOr<std::unique_ptr<EmbeddedPostgres>> Start(const Options& options);

  EmbeddedPostgres(const EmbeddedPostgres&) = delete;
  EmbeddedPostgres& operator=(const EmbeddedPostgres&) = delete;
  // Stops the server if Stop() was not called.
  ~EmbeddedPostgres();

  // Fast shutdown (open transactions roll back); blocks until the server is gone.
  absl::Status Stop();

  // libpq connection string for `database` (default: Options::database).
  std::string ConnectionString(const std::string& database = "") const;

  // True when Start() found a server already running on this data directory.
  bool adopted() const { return adopted_; }
  const std::filesystem::path& socket_dir() const { return socket_dir_; }

 private:
  EmbeddedPostgres(Options options, std::filesystem::path bin_dir, std::filesystem::path pgdata,
                   std::filesystem::path socket_dir, std::filesystem::path log_file, int lock_fd);
  absl::Status StartOrAdopt();
  absl::Status EnsureDatabase();

  Options options_;
  std::filesystem::path bin_dir_;
  std::filesystem::path pgdata_;
  std::filesystem::path socket_dir_;
  std::filesystem::path log_file_;
  int lock_fd_ = -1;
  bool adopted_ = false;
  bool running_ = false;
};

}  // namespace gantry::embedded_pg
