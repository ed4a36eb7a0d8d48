// The system under test: a PostgreSQL server (embedded, or the one --database-url names),
// gantryd on it, and one simulated gantry-agent fleet per zone.
//
// Start() brings up the database and gantryd and waits for gantryd's ready line;
// StartAgents() starts the fleets and waits for each one's ready line. Stop() (also run
// by the destructor, so every error path cleans up) stops the agents, then gantryd
// (SIGTERM: it answers what is in flight and stops), then the embedded PostgreSQL.
// Used from one thread. Errors: FAILED_PRECONDITION (binaries missing), UNAVAILABLE (a
// process exited or did not get ready; the message has its log's tail), CANCELLED
// (interrupted).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/internal/process.h"
#include "embedded_pg/embedded_pg.h"

namespace gantry::bench::internal {

struct StackOptions {
  // Where gantryd/gantryd and agent/gantry-agent are.
  std::filesystem::path build_dir;
  // Logs, agent state and the embedded PostgreSQL (in `pg/`) go here.
  std::filesystem::path data_dir;
  // Empty: start an embedded PostgreSQL.
  std::string database_url;
  // Appended to gantryd's own arguments.
  std::vector<std::string> gantryd_args;
};

class Stack {
 public:
  static absl::StatusOr<std::unique_ptr<Stack>> Start(const StackOptions& options);
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;
  ~Stack();

  // Starts one agent per zone (`hosts_per_zone[z]` hosts in ZoneName(z); zones with 0
  // are skipped) and waits until every one is ready.
  absl::Status StartAgents(const std::vector<int>& hosts_per_zone);

  // Stops everything that runs, in order; reports the first problem. Idempotent.
  absl::Status Stop();

  const std::string& endpoint() const { return endpoint_; }
  // gantryd's admin key (the agents and the clients sign with it).
  std::filesystem::path credentials_file() const {
    return options_.data_dir / "gantryd" / "admin-credentials";
  }
  const std::string& conninfo() const { return conninfo_; }
  pid_t gantryd_pid() const { return gantryd_->pid(); }
  std::vector<pid_t> agent_pids() const;
  // The embedded server's postmaster; nullopt with --database-url.
  std::optional<pid_t> postmaster_pid() const;

 private:
  explicit Stack(StackOptions options) : options_(std::move(options)) {}
  absl::Status StartDatabase();
  absl::Status StartGantryd();

  StackOptions options_;
  std::unique_ptr<embedded_pg::EmbeddedPostgres> postgres_;
  std::string conninfo_;
  std::unique_ptr<Child> gantryd_;
  std::string endpoint_;
  std::vector<std::unique_ptr<Child>> agents_;
};

}  // namespace gantry::bench::internal
