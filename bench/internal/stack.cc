#include "bench/internal/stack.h"

#include <signal.h>

#include <cstdio>
#include <deque>
#include <fstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "bench/internal/workload.h"
#include "common/status_macros.h"

namespace gantry::bench::internal {
namespace {

namespace fs = std::filesystem;

constexpr char kGantrydReady[] = "gantryd ready grpc=";
constexpr char kAgentReady[] = "gantry-agent ready hosts=";
constexpr absl::Duration kGantrydReadyTimeout = absl::Minutes(2);
// 10,000 hosts registered in about 5 s in the poll-storm run; a loaded machine is slower.
constexpr absl::Duration kAgentReadyTimeout = absl::Minutes(10);

std::string LogTail(const fs::path& file, size_t max_lines = 20) {
  std::ifstream in(file);
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(std::move(line));
    if (lines.size() > max_lines) lines.pop_front();
  }
  if (lines.empty()) return "";
  return absl::StrCat("\n--- ", file.string(), " (tail) ---\n", absl::StrJoin(lines, "\n"));
}

absl::Status RequireBinary(const fs::path& path, const std::string& target) {
  if (fs::exists(path)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(path.string(), " does not exist; build the ",
                                                    target, " target or pass --build-dir"));
}

fs::path AgentLog(const fs::path& data_dir, int zone) {
  return data_dir / absl::StrCat("agent-", ZoneName(zone), ".log");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Stack>> Stack::Start(const StackOptions& options) {
  GANTRY_RETURN_IF_ERROR(RequireBinary(options.build_dir / "gantryd/gantryd", "gantryd"));
  GANTRY_RETURN_IF_ERROR(RequireBinary(options.build_dir / "agent/gantry-agent", "gantry-agent"));
  auto stack = std::unique_ptr<Stack>(new Stack(options));
  GANTRY_RETURN_IF_ERROR(stack->StartDatabase());
  GANTRY_RETURN_IF_ERROR(stack->StartGantryd());
  return stack;
}

Stack::~Stack() {
  if (absl::Status status = Stop(); !status.ok()) {
    std::fprintf(stderr, "gantry-bench: %s\n", std::string(status.message()).c_str());
  }
}

absl::Status Stack::StartDatabase() {
  if (!options_.database_url.empty()) {
    conninfo_ = options_.database_url;
    return absl::OkStatus();
  }
  std::fprintf(stderr, "starting PostgreSQL in %s\n", (options_.data_dir / "pg").c_str());
  embedded_pg::Options pg_options;
  pg_options.data_dir = options_.data_dir / "pg";
  pg_options.database = "gantry";
  // Connections for gantryd's pool and loops, the bench and pgbench's clients. For the
  // report on where the time went: pg_stat_statements, and statements in
  // pg_stat_activity long enough to show their WHERE clause.
  pg_options.settings = {{"max_connections", "200"},
                         {"track_activity_query_size", "4096"},
                         {"shared_preload_libraries", "pg_stat_statements"}};
  GANTRY_ASSIGN_OR_RETURN(postgres_, embedded_pg::EmbeddedPostgres::Start(pg_options));
  conninfo_ = postgres_->ConnectionString();
  return absl::OkStatus();
}

absl::Status Stack::StartGantryd() {
  std::vector<std::string> argv = {(options_.build_dir / "gantryd/gantryd").string(),
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--aws-listen",
                                   "",
                                   "--data-dir",
                                   (options_.data_dir / "gantryd").string(),
                                   "--database-url",
                                   conninfo_,
                                   "--host-timeout",
                                   "5m",
                                   "--placement-timeout",
                                   "30m"};
  argv.insert(argv.end(), options_.gantryd_args.begin(), options_.gantryd_args.end());
  const fs::path log = options_.data_dir / "gantryd.log";
  GANTRY_ASSIGN_OR_RETURN(gantryd_, Child::Start(argv, log));
  absl::StatusOr<std::string> line = gantryd_->ReadLine(kGantrydReadyTimeout);
  if (!line.ok() || !absl::StartsWith(*line, kGantrydReady)) {
    if (absl::IsCancelled(line.status())) return line.status();
    return absl::UnavailableError(absl::StrCat(
        "gantryd did not get ready: ", line.ok() ? *line : line.status().ToString(), LogTail(log)));
  }
  // "gantryd ready grpc=HOST:PORT aws=..."
  endpoint_ = line->substr(sizeof(kGantrydReady) - 1);
  endpoint_ = endpoint_.substr(0, endpoint_.find(' '));
  std::fprintf(stderr, "gantryd ready at %s (pid %d, log %s)\n", endpoint_.c_str(), gantryd_->pid(),
               log.c_str());
  return absl::OkStatus();
}

absl::Status Stack::StartAgents(const std::vector<int>& hosts_per_zone) {
  const absl::Time start = absl::Now();
  std::vector<int> zones;
  for (int zone = 0; zone < static_cast<int>(hosts_per_zone.size()); ++zone) {
    if (hosts_per_zone[zone] == 0) continue;
    const std::string name = ZoneName(zone);
    std::vector<std::string> argv = {(options_.build_dir / "agent/gantry-agent").string(),
                                     "--endpoint",
                                     endpoint_,
                                     "--runtime",
                                     "sim",
                                     "--hosts",
                                     absl::StrCat(hosts_per_zone[zone]),
                                     "--availability-zone",
                                     name,
                                     "--cpu",
                                     absl::StrCat(kHostCpuUnits),
                                     "--memory",
                                     absl::StrCat(kHostMemoryMib),
                                     "--ephemeral-storage",
                                     absl::StrCat(kHostStorageGib),
                                     "--max-enis",
                                     absl::StrCat(kHostEnis),
                                     "--launch-delay",
                                     "0",
                                     "--stop-delay",
                                     "0",
                                     "--state-dir",
                                     (options_.data_dir / absl::StrCat("agent-", name)).string(),
                                     "--host-name-prefix",
                                     absl::StrCat(name, "-"),
                                     "--credentials-file",
                                     credentials_file().string()};
    GANTRY_ASSIGN_OR_RETURN(std::unique_ptr<Child> agent,
                            Child::Start(argv, AgentLog(options_.data_dir, zone)));
    agents_.push_back(std::move(agent));
    zones.push_back(zone);
  }
  // The fleets register in parallel; their ready lines are read in turn.
  for (size_t i = 0; i < agents_.size(); ++i) {
    const absl::Duration left = kAgentReadyTimeout - (absl::Now() - start);
    absl::StatusOr<std::string> line = agents_[i]->ReadLine(left);
    if (!line.ok() || !absl::StartsWith(*line, kAgentReady)) {
      if (absl::IsCancelled(line.status())) return line.status();
      return absl::UnavailableError(
          absl::StrCat("the agent of ", ZoneName(zones[i]),
                       " did not get ready: ", line.ok() ? *line : line.status().ToString(),
                       LogTail(AgentLog(options_.data_dir, zones[i]))));
    }
    std::fprintf(stderr, "agent %s ready: %d hosts after %.1f s\n", ZoneName(zones[i]).c_str(),
                 hosts_per_zone[zones[i]], absl::ToDoubleSeconds(absl::Now() - start));
  }
  return absl::OkStatus();
}

absl::Status Stack::Stop() {
  absl::Status first;
  auto note = [&first](const absl::Status& status) {
    if (first.ok() && !status.ok()) first = status;
  };
  // SIGTERM to every agent first, so the fleets wind down together.
  for (auto& agent : agents_) {
    if (agent->Running()) ::kill(agent->pid(), SIGTERM);
  }
  for (auto& agent : agents_) note(agent->Stop(absl::Seconds(30)).status());
  agents_.clear();
  if (gantryd_ != nullptr) {
    absl::StatusOr<int> code = gantryd_->Stop(absl::Seconds(60));
    note(code.status());
    if (code.ok() && *code != 0 && *code != 128 + SIGTERM) {
      note(absl::InternalError(absl::StrCat("gantryd exited with code ", *code,
                                            LogTail(options_.data_dir / "gantryd.log"))));
    }
    gantryd_.reset();
  }
  if (postgres_ != nullptr) {
    note(postgres_->Stop());
    postgres_.reset();
  }
  return first;
}

std::vector<pid_t> Stack::agent_pids() const {
  std::vector<pid_t> pids;
  for (const auto& agent : agents_) pids.push_back(agent->pid());
  return pids;
}

std::optional<pid_t> Stack::postmaster_pid() const {
  if (postgres_ == nullptr) return std::nullopt;
  std::ifstream in(options_.data_dir / "pg" / "postgres" / "postmaster.pid");
  std::string line;
  pid_t pid = 0;
  if (!std::getline(in, line) || !absl::SimpleAtoi(line, &pid)) return std::nullopt;
  return pid;
}

}  // namespace gantry::bench::internal
