#include "tests/support/e2e_harness.h"

#include <signal.h>

#include <fstream>
#include <iterator>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"

namespace gantry::testing {
namespace {

constexpr char kReadyPrefix[] = "gantryd ready grpc=";

absl::Status WithLog(const absl::Status& status, const std::string& log_tail) {
  return absl::Status(status.code(),
                      absl::StrCat(status.message(), "\n--- gantryd log (tail) ---\n", log_tail));
}

// The admin key file of each gantryd this process started, by gRPC endpoint: clients
// started against an endpoint sign with its key, as a user's would from ./.gantry.
absl::Mutex credentials_mu(absl::kConstInit);
std::map<std::string, std::filesystem::path>& CredentialsByEndpoint()
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(credentials_mu) {
  static auto* const kFiles = new std::map<std::string, std::filesystem::path>();
  return *kFiles;
}

void RememberCredentials(const std::string& endpoint, const std::filesystem::path& file) {
  absl::MutexLock lock(&credentials_mu);
  CredentialsByEndpoint()[endpoint] = file;
}

// `argv` with `--credentials-file FILE` added when `endpoint` is a gantryd started here
// and the arguments name no key file of their own.
void AddCredentials(std::string_view endpoint, std::vector<std::string>& argv) {
  for (const std::string& arg : argv) {
    if (absl::StartsWith(arg, "--credentials-file") || absl::StartsWith(arg, "--profile")) {
      return;
    }
  }
  std::optional<std::filesystem::path> file = CredentialsFileOf(endpoint);
  if (file.has_value()) {
    argv.insert(argv.begin() + 1, {"--credentials-file", file->string()});
  }
}

std::string ReadTail(const std::filesystem::path& path, size_t max_bytes) {
  std::ifstream file(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

}  // namespace

std::optional<std::filesystem::path> CredentialsFileOf(std::string_view endpoint) {
  absl::MutexLock lock(&credentials_mu);
  auto it = CredentialsByEndpoint().find(std::string(endpoint));
  if (it == CredentialsByEndpoint().end()) {
    return std::nullopt;
  }
  return it->second;
}

std::filesystem::path GantrydBinary() { return GANTRY_BINARY_DIR "/gantryd/gantryd"; }
std::filesystem::path GantryctlBinary() { return GANTRY_BINARY_DIR "/cli/gantryctl"; }
std::filesystem::path GantryAgentBinary() { return GANTRY_BINARY_DIR "/agent/gantry-agent"; }

absl::StatusOr<std::unique_ptr<GantryAgent>> GantryAgent::Start(const AgentOptions& options) {
  constexpr char kAgentReady[] = "gantry-agent ready hosts=";
  AgentOptions resolved = options;
  if (resolved.log_file.empty()) resolved.log_file = resolved.state_dir.string() + ".log";
  if (!std::filesystem::exists(GantryAgentBinary())) {
    return absl::FailedPreconditionError(absl::StrCat(
        GantryAgentBinary().string(), " does not exist; build the gantry-agent target"));
  }
  ProcessOptions process_options;
  process_options.argv = {GantryAgentBinary().string(), "--endpoint", resolved.endpoint,
                          "--state-dir", resolved.state_dir.string()};
  process_options.argv.insert(process_options.argv.end(), resolved.args.begin(),
                              resolved.args.end());
  AddCredentials(resolved.endpoint, process_options.argv);
  process_options.stderr_file = resolved.log_file;
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(process_options);
  if (!process.ok()) return process.status();
  absl::StatusOr<std::string> line = (*process)->ReadStdoutLine(resolved.ready_timeout);
  if (!line.ok() || !absl::StartsWith(*line, kAgentReady)) {
    (*process)->Signal(SIGKILL).IgnoreError();
    (*process)->Wait(absl::Seconds(10)).IgnoreError();
    absl::Status status =
        line.ok()
            ? absl::UnavailableError(absl::StrCat("gantry-agent printed \"", *line, "\" first"))
            : line.status();
    return absl::Status(status.code(),
                        absl::StrCat(status.message(), "\n--- gantry-agent log (tail) ---\n",
                                     ReadTail(resolved.log_file, 4000)));
  }
  return std::unique_ptr<GantryAgent>(new GantryAgent(std::move(resolved), *std::move(process)));
}

GantryAgent::GantryAgent(AgentOptions options, std::unique_ptr<Subprocess> process)
    : options_(std::move(options)), process_(std::move(process)) {}

GantryAgent::~GantryAgent() {
  if (!ended_ && !Terminate().ok()) Kill().IgnoreError();
}

absl::StatusOr<int> GantryAgent::Terminate(absl::Duration timeout) {
  GANTRY_RETURN_IF_ERROR(process_->Signal(SIGTERM));
  absl::StatusOr<int> exit_code = process_->Wait(timeout);
  if (exit_code.ok()) ended_ = true;
  return exit_code;
}

absl::Status GantryAgent::Kill() {
  GANTRY_RETURN_IF_ERROR(process_->Signal(SIGKILL));
  GANTRY_RETURN_IF_ERROR(process_->Wait(absl::Seconds(30)).status());
  ended_ = true;
  return absl::OkStatus();
}

std::string GantryAgent::LogTail(size_t max_bytes) const {
  return ReadTail(options_.log_file, max_bytes);
}

absl::StatusOr<std::unique_ptr<Gantryd>> Gantryd::Start(const GantrydOptions& options) {
  GantrydOptions resolved = options;
  if (resolved.log_file.empty()) {
    resolved.log_file = resolved.data_dir.string() + ".log";
  }
  if (!std::filesystem::exists(GantrydBinary())) {
    return absl::FailedPreconditionError(
        absl::StrCat(GantrydBinary().string(), " does not exist; build the gantryd target"));
  }
  ProcessOptions process_options;
  process_options.argv = {GantrydBinary().string(),
                          "--listen",
                          "127.0.0.1:0",
                          "--aws-listen",
                          "127.0.0.1:0",
                          "--data-dir",
                          resolved.data_dir.string()};
  process_options.argv.insert(process_options.argv.end(), resolved.extra_args.begin(),
                              resolved.extra_args.end());
  process_options.stderr_file = resolved.log_file;
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(process_options);
  if (!process.ok()) {
    return process.status();
  }
  absl::StatusOr<std::string> line = (*process)->ReadStdoutLine(resolved.ready_timeout);
  if (!line.ok()) {
    (*process)->Signal(SIGKILL).IgnoreError();
    absl::StatusOr<int> exit_code = (*process)->Wait(absl::Seconds(10));
    absl::Status status = line.status().code() == absl::StatusCode::kDeadlineExceeded
                              ? line.status()
                              : absl::UnavailableError(absl::StrCat(
                                    "gantryd ended before its ready line (exit code ",
                                    exit_code.ok() ? absl::StrCat(*exit_code) : "unknown",
                                    "): ", line.status().message()));
    return WithLog(status, ReadTail(resolved.log_file, 4000));
  }
  if (!absl::StartsWith(*line, kReadyPrefix)) {
    return WithLog(absl::UnavailableError(
                       absl::StrCat("gantryd printed \"", *line, "\" instead of its ready line")),
                   ReadTail(resolved.log_file, 4000));
  }
  // "gantryd ready grpc=HOST:PORT aws=HOST:PORT metrics=HOST:PORT" (off when disabled).
  std::vector<std::string> fields = absl::StrSplit(line->substr(sizeof(kReadyPrefix) - 1), ' ');
  std::string aws_endpoint;
  std::string metrics_endpoint;
  for (size_t i = 1; i < fields.size(); ++i) {
    if (absl::StartsWith(fields[i], "aws=")) aws_endpoint = fields[i].substr(4);
    if (absl::StartsWith(fields[i], "metrics=")) metrics_endpoint = fields[i].substr(8);
  }
  if (aws_endpoint == "off") aws_endpoint.clear();
  if (metrics_endpoint == "off") metrics_endpoint.clear();
  RememberCredentials(fields[0], resolved.data_dir / "admin-credentials");
  return std::unique_ptr<Gantryd>(new Gantryd(std::move(resolved), *std::move(process),
                                              std::move(fields[0]), std::move(aws_endpoint),
                                              std::move(metrics_endpoint)));
}

Gantryd::Gantryd(GantrydOptions options, std::unique_ptr<Subprocess> process, std::string endpoint,
                 std::string aws_endpoint, std::string metrics_endpoint)
    : options_(std::move(options)),
      process_(std::move(process)),
      endpoint_(std::move(endpoint)),
      aws_endpoint_(std::move(aws_endpoint)),
      metrics_endpoint_(std::move(metrics_endpoint)) {}

Gantryd::~Gantryd() {
  if (!ended_) {
    absl::StatusOr<int> exit_code = Terminate();
    if (!exit_code.ok()) {
      Kill().IgnoreError();
    }
  }
}

absl::StatusOr<int> Gantryd::Terminate(absl::Duration timeout) {
  absl::Status signalled = process_->Signal(SIGTERM);
  if (!signalled.ok()) {
    return signalled;
  }
  absl::StatusOr<int> exit_code = process_->Wait(timeout);
  if (!exit_code.ok()) {
    return WithLog(exit_code.status(), LogTail());
  }
  ended_ = true;
  return exit_code;
}

absl::Status Gantryd::Kill() {
  absl::Status signalled = process_->Signal(SIGKILL);
  if (!signalled.ok()) {
    return signalled;
  }
  absl::StatusOr<int> exit_code = process_->Wait(absl::Seconds(30));
  if (!exit_code.ok()) {
    return exit_code.status();
  }
  ended_ = true;
  return absl::OkStatus();
}

std::string Gantryd::LogTail(size_t max_bytes) const {
  return ReadTail(options_.log_file, max_bytes);
}

absl::StatusOr<CommandResult> RunGantryctl(std::string_view endpoint,
                                           const std::vector<std::string>& args,
                                           std::string_view stdin_text, absl::Duration timeout) {
  ProcessOptions options;
  options.argv = {GantryctlBinary().string(), "--endpoint", std::string(endpoint)};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  AddCredentials(endpoint, options.argv);
  options.env["GANTRY_ENDPOINT"] = std::nullopt;
  return RunCommand(options, stdin_text, timeout);
}

absl::StatusOr<CommandResult> RunGantryctlWithEnv(
    const std::vector<std::string>& args,
    const std::map<std::string, std::optional<std::string>>& env, absl::Duration timeout) {
  ProcessOptions options;
  options.argv = {GantryctlBinary().string()};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  if (auto it = env.find("GANTRY_ENDPOINT"); it != env.end() && it->second.has_value()) {
    AddCredentials(*it->second, options.argv);
  }
  options.env = env;
  return RunCommand(options, "", timeout);
}

}  // namespace gantry::testing
