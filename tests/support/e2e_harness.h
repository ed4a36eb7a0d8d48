// End-to-end harness: runs the real `gantryd` (on 127.0.0.1 with port 0, learning the
// bound port from its ready line) and the real `gantryctl` against it.
//
// Binaries are found in the build tree: <build>/gantryd/gantryd and <build>/cli/gantryctl.
// Readiness is only ever learnt from gantryd's `gantryd ready grpc=HOST:PORT` line on
// stdout, never by sleeping. gantryd's stderr (its log) is appended to a file so that
// a failure can show it. One Gantryd is driven from one thread; RunGantryctl may be
// called from many threads at once. Errors are absl::Status with the log tail
// attached where gantryd failed.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/process.h"

namespace gantry::testing {

// The admin-credentials file of the gantryd started here (Gantryd::Start) that serves
// gRPC on `endpoint`. RunGantryctl, RunGantryctlWithEnv (GANTRY_ENDPOINT) and
// GantryAgent::Start pass it as --credentials-file unless their arguments name keys.
std::optional<std::filesystem::path> CredentialsFileOf(std::string_view endpoint);

std::filesystem::path GantrydBinary();
std::filesystem::path GantryctlBinary();
std::filesystem::path GantryAgentBinary();

struct GantrydOptions {
  // --data-dir; the embedded PostgreSQL lives below it.
  std::filesystem::path data_dir;
  // Appended after --listen and --data-dir, e.g. {"--region", "eu-west-1"}.
  std::vector<std::string> extra_args;
  // Where gantryd's stderr is appended; default `<data_dir>.log` (next to the data dir).
  std::filesystem::path log_file;
  // How long to wait for the ready line (the first start runs initdb).
  absl::Duration ready_timeout = absl::Seconds(60);
};

class Gantryd {
 public:
  // Starts gantryd with `--listen 127.0.0.1:0 --aws-listen 127.0.0.1:0` and waits for its
  // ready line.
  // DEADLINE_EXCEEDED when the line does not come in time (gantryd is killed);
  // UNAVAILABLE when gantryd exits or prints something else first. Messages end with
  // the tail of gantryd's log.
  static absl::StatusOr<std::unique_ptr<Gantryd>> Start(const GantrydOptions& options);

  Gantryd(const Gantryd&) = delete;
  Gantryd& operator=(const Gantryd&) = delete;
  // Stops a still-running gantryd (SIGTERM, then SIGKILL after 30 s).
  ~Gantryd();

  // HOST:PORT of the gRPC API, from the ready line.
  const std::string& endpoint() const { return endpoint_; }
  // HOST:PORT of the AWS-compatible API (the harness starts it on port 0); empty when
  // extra_args turned it off.
  const std::string& aws_endpoint() const { return aws_endpoint_; }
  // HOST:PORT of the Prometheus endpoint; empty unless extra_args gave --metrics-listen.
  const std::string& metrics_endpoint() const { return metrics_endpoint_; }
  pid_t pid() const { return process_->pid(); }
  const GantrydOptions& options() const { return options_; }

  // SIGTERM, then waits up to `timeout`; returns the exit code.
  absl::StatusOr<int> Terminate(absl::Duration timeout = absl::Seconds(30));
  // SIGKILL (no cleanup at all, as in a crash) and reap.
  absl::Status Kill();

  // The last `max_bytes` of the log file.
  std::string LogTail(size_t max_bytes = 4000) const;

 private:
  Gantryd(GantrydOptions options, std::unique_ptr<Subprocess> process, std::string endpoint,
          std::string aws_endpoint, std::string metrics_endpoint);

  GantrydOptions options_;
  std::unique_ptr<Subprocess> process_;
  std::string endpoint_;
  std::string aws_endpoint_;
  std::string metrics_endpoint_;
  bool ended_ = false;
};

struct AgentOptions {
  std::string endpoint;  // gantryd's HOST:PORT
  // --state-dir (host ids survive a restart of the agent here).
  std::filesystem::path state_dir;
  // Everything else, e.g. {"--runtime", "sim", "--hosts", "4", ...}.
  std::vector<std::string> args;
  // Where the agent's stderr is appended; default `<state_dir>.log`.
  std::filesystem::path log_file;
  absl::Duration ready_timeout = absl::Seconds(120);
};

// A running `gantry-agent`, ready once it printed `gantry-agent ready hosts=N` (every
// simulated host registered). Stopped with SIGTERM when destroyed.
class GantryAgent {
 public:
  static absl::StatusOr<std::unique_ptr<GantryAgent>> Start(const AgentOptions& options);
  GantryAgent(const GantryAgent&) = delete;
  GantryAgent& operator=(const GantryAgent&) = delete;
  ~GantryAgent();

  pid_t pid() const { return process_->pid(); }
  // SIGTERM, then waits up to `timeout`; returns the exit code.
  absl::StatusOr<int> Terminate(absl::Duration timeout = absl::Seconds(30));
  // SIGKILL and reap: the agent's hosts stop heartbeating.
  absl::Status Kill();
  std::string LogTail(size_t max_bytes = 4000) const;

 private:
  GantryAgent(AgentOptions options, std::unique_ptr<Subprocess> process);
  AgentOptions options_;
  std::unique_ptr<Subprocess> process_;
  bool ended_ = false;
};

// Runs `gantryctl --endpoint <endpoint> <args...>` with `stdin_text` on its standard
// input and returns its exit code and output. GANTRY_ENDPOINT is removed from its
// environment. DEADLINE_EXCEEDED (and the child killed) after `timeout`.
absl::StatusOr<CommandResult> RunGantryctl(std::string_view endpoint,
                                           const std::vector<std::string>& args,
                                           std::string_view stdin_text = "",
                                           absl::Duration timeout = absl::Seconds(60));

// The same without --endpoint, with the environment changed as given (for default
// endpoint handling).
absl::StatusOr<CommandResult> RunGantryctlWithEnv(
    const std::vector<std::string>& args,
    const std::map<std::string, std::optional<std::string>>& env,
    absl::Duration timeout = absl::Seconds(60));

}  // namespace gantry::testing
