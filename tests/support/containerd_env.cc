#include "tests/support/containerd_env.h"

#include <arpa/inet.h>
#include <elf.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "github.com/containerd/containerd/api/services/version/v1/version.grpc.pb.h"
#include <google/protobuf/empty.pb.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/substitute.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"

namespace gantry::testing {
namespace {

namespace fs = std::filesystem;

constexpr absl::Duration kReadyTimeout = absl::Seconds(30);
constexpr absl::Duration kStopTimeout = absl::Seconds(5);
constexpr absl::Duration kToolTimeout = absl::Seconds(120);
// sun_path holds 108 bytes; containerd also binds "<socket>.ttrpc".
constexpr size_t kMaxSocketPath = 100;

absl::Status ErrnoError(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

absl::Status WriteFile(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) {
    return absl::InternalError(absl::StrCat("writing ", path.string(), " failed"));
  }
  return absl::OkStatus();
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string FileTail(const fs::path& path, size_t max_bytes) {
  std::string content = ReadFile(path);
  if (content.size() > max_bytes) {
    content.erase(0, content.size() - max_bytes);
  }
  return content;
}

bool IsExecutableFile(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

// True when `path` is an ELF file with a PT_INTERP header, i.e. needs a dynamic loader.
absl::StatusOr<bool> IsDynamicallyLinked(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  Elf64_Ehdr header{};
  if (!in.read(reinterpret_cast<char*>(&header), sizeof(header)) ||
      std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64) {
    return absl::FailedPreconditionError(
        absl::StrCat(path.string(), " is not a 64-bit ELF executable"));
  }
  for (int i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr program{};
    in.seekg(static_cast<std::streamoff>(header.e_phoff + i * header.e_phentsize));
    if (!in.read(reinterpret_cast<char*>(&program), sizeof(program))) {
      return absl::FailedPreconditionError(
          absl::StrCat(path.string(), ": truncated ELF program headers"));
    }
    if (program.p_type == PT_INTERP) {
      return true;
    }
  }
  return false;
}

// A TOML basic string.
std::string TomlString(std::string_view value) {
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      quoted.push_back('\\');
    }
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

// A port on 127.0.0.1 that was free a moment ago (the kernel's pick for port 0). The
// caller's server may lose a race for it; StartRegistry retries with another.
absl::StatusOr<int> FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return ErrnoError("socket");
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    absl::Status error = ErrnoError("bind 127.0.0.1:0");
    ::close(fd);
    return error;
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

// The status code of `GET path` on 127.0.0.1:port (HTTP/1.1, connection closed after).
// UNAVAILABLE when the server does not accept, answer or speak HTTP within `timeout`.
absl::StatusOr<int> HttpGetStatus(int port, std::string_view path, absl::Duration timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return ErrnoError("socket");
  }
  timeval tv = absl::ToTimeval(timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  std::string response;
  absl::Status status = absl::OkStatus();
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    status = absl::UnavailableError(absl::StrCat("connect: ", std::strerror(errno)));
  } else {
    std::string request =
        absl::StrCat("GET ", std::string(path), " HTTP/1.1\r\nHost: 127.0.0.1:", port,
                     "\r\nConnection: close\r\n\r\n");
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      status = absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
    }
    char buffer[512];
    while (status.ok() && response.find("\r\n") == std::string::npos) {
      ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        status = absl::UnavailableError(
            absl::StrCat("no status line; got \"", response, "\"",
                         n < 0 ? absl::StrCat(": ", std::strerror(errno)) : ""));
        break;
      }
      response.append(buffer, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  GANTRY_RETURN_IF_ERROR(status);
  // "HTTP/1.1 200 OK"
  std::vector<std::string> parts = absl::StrSplit(response.substr(0, response.find("\r\n")), ' ');
  int code = 0;
  if (parts.size() < 2 || !absl::StartsWith(parts[0], "HTTP/") ||
      !absl::SimpleAtoi(parts[1], &code)) {
    return absl::UnavailableError(absl::StrCat("not an HTTP status line: \"", response, "\""));
  }
  return code;
}

// Polling a server that is starting: back off from 5 ms up to 100 ms.
void SleepBackoff(absl::Duration* step) {
  absl::SleepFor(*step);
  *step = std::min(*step * 2, absl::Milliseconds(100));
}

// UNAVAILABLE when `process` has already ended (it is reaped then).
absl::Status CheckRunning(Subprocess& process, const char* name, const std::string& log) {
  absl::StatusOr<int> exit_code = process.Wait(absl::ZeroDuration());
  if (exit_code.ok()) {
    return absl::UnavailableError(absl::StrCat(name, " exited with code ", *exit_code,
                                               " before it answered; log tail:\n", log));
  }
  return absl::OkStatus();
}

// Parts of a "/proc/PID/cmdline".
std::vector<std::string> CmdlineOf(const fs::path& proc_dir) {
  std::string raw = ReadFile(proc_dir / "cmdline");
  if (raw.empty()) {
    return {};
  }
  if (raw.back() == '\0') {
    raw.pop_back();
  }
  return absl::StrSplit(raw, '\0');
}

// The parent pid and state letter from "/proc/PID/stat" ("pid (comm) S ppid ...");
// comm may contain spaces and parentheses, so parse after the last ')'.
bool ParentAndState(pid_t pid, pid_t* parent, char* state) {
  std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  size_t close = stat.rfind(')');
  if (close == std::string::npos) {
    return false;
  }
  std::vector<std::string> fields =
      absl::StrSplit(stat.substr(close + 1), ' ', absl::SkipWhitespace());
  int ppid = 0;
  if (fields.size() < 2 || fields[0].size() != 1 || !absl::SimpleAtoi(fields[1], &ppid)) {
    return false;
  }
  *state = fields[0][0];
  *parent = ppid;
  return true;
}

// Every live process: pid -> parent pid.
std::map<pid_t, pid_t> LiveProcesses() {
  std::map<pid_t, pid_t> processes;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", ec)) {
    int pid = 0;
    pid_t parent = 0;
    char state = 0;
    if (absl::SimpleAtoi(entry.path().filename().string(), &pid) &&
        ParentAndState(pid, &parent, &state) && state != 'Z') {
      processes[pid] = parent;
    }
  }
  return processes;
}

// Undoes the octal escapes (\040 for a space) of a /proc/self/mountinfo field.
std::string UnescapeMountField(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      int value = 0;
      bool octal = true;
      for (size_t j = i + 1; j <= i + 3; ++j) {
        octal = octal && field[j] >= '0' && field[j] <= '7';
        value = value * 8 + (field[j] - '0');
      }
      if (octal) {
        out.push_back(static_cast<char>(value));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

bool IsValidRepositoryName(const std::string& name) {
  if (name.empty() || name.size() > 255) {
    return false;
  }
  for (absl::string_view component : absl::StrSplit(name, '/')) {
    if (component.empty() || !absl::ascii_isalnum(component.front()) ||
        !absl::ascii_isalnum(component.back())) {
      return false;
    }
    for (char c : component) {
      bool allowed =
          absl::ascii_isdigit(c) || (c >= 'a' && c <= 'z') || c == '.' || c == '_' || c == '-';
      if (!allowed) {
        return false;
      }
    }
  }
  return true;
}

bool IsValidTag(const std::string& tag) {
  if (tag.empty() || tag.size() > 128 || tag.front() == '.' || tag.front() == '-') {
    return false;
  }
  return std::all_of(tag.begin(), tag.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
  });
}

// $0 root, $1 state, $2 gRPC socket, $3 ttrpc socket, $4 "managed opt" directory (kept
// out of the host's /opt); all TOML strings. The CRI plugin would start a second API and
// want CNI; Gantry's runtime does not use it.
constexpr char kContainerdConfig[] = R"toml(version = 2
root = $0
state = $1
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = $2

[ttrpc]
  address = $3

[plugins."io.containerd.internal.v1.opt"]
  path = $4
)toml";

// $0 storage directory, $1 HOST:PORT. No auth section: the registry then accepts anyone,
// which is what a loopback test registry wants. A fixed secret silences the "no HTTP
// secret" warning.
constexpr char kRegistryConfig[] = R"yaml(version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $0
  delete:
    enabled: true
http:
  addr: $1
  secret: gantry-test
)yaml";

constexpr std::string_view kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
constexpr std::string_view kGroup =
    "root:x:0:\n"
    "nobody:x:65534:\n";
// skopeo refuses to copy without a signature policy; do not depend on the host's.
constexpr std::string_view kSkopeoPolicy =
    R"json({"default": [{"type": "insecureAcceptAnything"}]})json";

}  // namespace

absl::StatusOr<fs::path> FindExecutable(std::string_view name) {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    dirs = absl::StrSplit(path, ':', absl::SkipEmpty());
  }
  for (const char* dir :
       {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}) {
    dirs.push_back(dir);
  }
  for (const std::string& dir : dirs) {
    fs::path candidate = fs::path(dir) / name;
    if (candidate.is_absolute() && IsExecutableFile(candidate)) {
      return candidate;
    }
  }
  return absl::NotFoundError(absl::StrCat("no executable \"", std::string(name), "\" in PATH (",
                                          absl::StrJoin(dirs, ":"), ")"));
}

absl::StatusOr<ContainerdEnv::Tools> ContainerdEnv::FindTools() {
  if (::geteuid() != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("running real containers needs root; euid is ", ::geteuid()));
  }
  Tools tools;
  struct Wanted {
    const char* name;
    fs::path* path;
    const char* package;  // the Debian package that provides it, for the message
  };
  const Wanted wanted[] = {
      {"containerd", &tools.containerd, "containerd"},
      {"containerd-shim-runc-v2", &tools.shim, "containerd"},
      {"runc", &tools.runc, "runc"},
      {"docker-registry", &tools.registry, "docker-registry"},
      {"umoci", &tools.umoci, "umoci"},
      {"skopeo", &tools.skopeo, "skopeo"},
      {"busybox", &tools.busybox, "busybox-static"},
  };
  for (const Wanted& tool : wanted) {
    absl::StatusOr<fs::path> path = FindExecutable(tool.name);
    if (!path.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(path.status().message(), "; install the Debian package ", tool.package));
    }
    *tool.path = *std::move(path);
  }
  GANTRY_ASSIGN_OR_RETURN(bool dynamic, IsDynamicallyLinked(tools.busybox));
  if (dynamic) {
    return absl::FailedPreconditionError(
        absl::StrCat(tools.busybox.string(),
                     " is dynamically linked and cannot run alone in an image; install the "
                     "Debian package busybox-static"));
  }
  return tools;
}

absl::Status CheckContainerdPrerequisites() { return ContainerdEnv::FindTools().status(); }

ContainerdEnv::ContainerdEnv(fs::path dir, Tools tools)
    : dir_(std::move(dir)),
      tools_(std::move(tools)),
      containerd_address_((dir_ / "containerd.sock").string()),
      containerd_log_(dir_ / "containerd.log"),
      registry_log_(dir_ / "registry.log") {}

absl::StatusOr<std::unique_ptr<ContainerdEnv>> ContainerdEnv::Start(const fs::path& dir) {
  GANTRY_ASSIGN_OR_RETURN(Tools tools, FindTools());
  std::error_code ec;
  fs::path absolute = fs::absolute(dir, ec);
  if (ec || !fs::is_directory(absolute, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("dir: \"", dir.string(), "\" is not an existing directory"));
  }
  std::unique_ptr<ContainerdEnv> env(new ContainerdEnv(absolute, std::move(tools)));
  if (env->containerd_address_.size() > kMaxSocketPath) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dir: \"", dir.string(), "\" is too long for a unix socket path below it; use at most ",
        kMaxSocketPath - std::string_view("/containerd.sock").size(), " bytes"));
  }
  // On failure the destructor stops whatever did start.
  GANTRY_RETURN_IF_ERROR(env->StartContainerd());
  GANTRY_RETURN_IF_ERROR(env->StartRegistry());
  return env;
}

ContainerdEnv::~ContainerdEnv() {
  StopServers();
  KillShims();
  UnmountBelowDir();
}

std::string ContainerdEnv::ContainerdLogTail(size_t max_bytes) const {
  return FileTail(containerd_log_, max_bytes);
}

std::string ContainerdEnv::RegistryLogTail(size_t max_bytes) const {
  return FileTail(registry_log_, max_bytes);
}

absl::Status ContainerdEnv::StartContainerd() {
  fs::path config = dir_ / "containerd.toml";
  std::string text =
      absl::Substitute(kContainerdConfig, TomlString((dir_ / "containerd" / "root").string()),
                       TomlString((dir_ / "containerd" / "state").string()),
                       TomlString(containerd_address_), TomlString(containerd_address_ + ".ttrpc"),
                       TomlString((dir_ / "containerd" / "opt").string()));
  GANTRY_RETURN_IF_ERROR(WriteFile(config, text));

  ProcessOptions options;
  options.argv = {tools_.containerd.string(), "--config", config.string()};
  // containerd finds the shim, and the shim finds runc, through PATH.
  const char* path = std::getenv("PATH");
  options.env["PATH"] =
      absl::StrCat(tools_.shim.parent_path().string(), ":", tools_.runc.parent_path().string(), ":",
                   path != nullptr ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
  options.stderr_file = containerd_log_;
  GANTRY_ASSIGN_OR_RETURN(containerd_, Subprocess::Start(options));
  return WaitForContainerd(kReadyTimeout);
}

absl::Status ContainerdEnv::WaitForContainerd(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  absl::Duration step = absl::Milliseconds(5);
  std::string last_error = "socket not created yet";
  while (true) {
    GANTRY_RETURN_IF_ERROR(CheckRunning(*containerd_, "containerd", ContainerdLogTail()));
    std::error_code ec;
    if (fs::exists(containerd_address_, ec)) {
      // A new channel per attempt: a channel that failed to connect would wait out its
      // reconnect backoff (a second or more) before trying again.
      auto stub = containerd::services::version::v1::Version::NewStub(
          grpc::CreateChannel("unix://" + containerd_address_, grpc::InsecureChannelCredentials()));
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(std::min(deadline, absl::Now() + absl::Seconds(2))));
      google::protobuf::Empty request;
      containerd::services::version::v1::VersionResponse response;
      grpc::Status status = stub->Version(&context, request, &response);
      if (status.ok() && !response.version().empty()) {
        return absl::OkStatus();
      }
      last_error = status.ok() ? "Version answered with an empty version"
                               : absl::StrCat("Version: ", status.error_message());
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "containerd did not answer on ", containerd_address_, " within ",
          absl::FormatDuration(timeout), " (", last_error, "); log tail:\n", ContainerdLogTail()));
    }
    SleepBackoff(&step);
  }
}

absl::Status ContainerdEnv::StartRegistry() {
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    GANTRY_ASSIGN_OR_RETURN(int port, FreeLoopbackPort());
    bool port_taken = false;
    absl::Status status = StartRegistryOnce(port, &port_taken);
    if (status.ok() || !port_taken || attempt == kAttempts) {
      return status;
    }
  }
}

absl::Status ContainerdEnv::StartRegistryOnce(int port, bool* port_taken) {
  std::string address = absl::StrCat("127.0.0.1:", port);
  fs::path config = dir_ / "registry.yml";
  std::string text = absl::Substitute(kRegistryConfig, (dir_ / "registry").string(), address);
  GANTRY_RETURN_IF_ERROR(WriteFile(config, text));
  std::error_code ec;
  fs::remove(registry_log_, ec);  // only this attempt's log counts below

  ProcessOptions options;
  options.argv = {tools_.registry.string(), "serve", config.string()};
  options.stderr_file = registry_log_;
  GANTRY_ASSIGN_OR_RETURN(registry_process_, Subprocess::Start(options));
  absl::Status status = WaitForRegistry(port, kReadyTimeout);
  if (!status.ok()) {
    *port_taken = absl::StrContains(RegistryLogTail(), "address already in use");
    (void)registry_process_->Signal(SIGKILL);
    registry_process_.reset();
    return status;
  }
  registry_ = address;
  return absl::OkStatus();
}

absl::Status ContainerdEnv::WaitForRegistry(int port, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  absl::Duration step = absl::Milliseconds(5);
  std::string last_error;
  while (true) {
    GANTRY_RETURN_IF_ERROR(CheckRunning(*registry_process_, "docker-registry", RegistryLogTail()));
    absl::StatusOr<int> code = HttpGetStatus(port, "/v2/", absl::Seconds(2));
    if (code.ok() && *code == 200) {
      return absl::OkStatus();
    }
    last_error = code.ok() ? absl::StrCat("GET /v2/ answered ", *code)
                           : std::string(code.status().message());
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "docker-registry did not answer on 127.0.0.1:", port, " within ",
          absl::FormatDuration(timeout), " (", last_error, "); log tail:\n", RegistryLogTail()));
    }
    SleepBackoff(&step);
  }
}

void ContainerdEnv::StopServers() {
  // Both at once: each may take a moment to shut down.
  std::vector<Subprocess*> running;
  for (Subprocess* process : {registry_process_.get(), containerd_.get()}) {
    if (process != nullptr && process->Signal(SIGTERM).ok()) {
      running.push_back(process);
    }
  }
  absl::Time deadline = absl::Now() + kStopTimeout;
  for (Subprocess* process : running) {
    if (!process->Wait(std::max(deadline - absl::Now(), absl::ZeroDuration())).ok()) {
      (void)process->Signal(SIGKILL);
      (void)process->Wait(kStopTimeout);
    }
  }
  registry_process_.reset();
  containerd_.reset();
}

void ContainerdEnv::KillShims() {
  // A shim is started as `containerd-shim-runc-v2 -namespace NS -address SOCKET ...` and
  // re-parents itself away from containerd, so it outlives containerd. The container
  // processes are its children (their pid namespaces die with their init).
  std::map<pid_t, pid_t> processes = LiveProcesses();
  std::set<pid_t> shims;
  for (const auto& [pid, parent] : processes) {
    std::vector<std::string> argv = CmdlineOf(fs::path("/proc") / std::to_string(pid));
    if (argv.empty() || !absl::StrContains(argv[0], "containerd-shim")) {
      continue;
    }
    for (size_t i = 0; i < argv.size(); ++i) {
      bool flag_then_value = (argv[i] == "-address" || argv[i] == "--address") &&
                             i + 1 < argv.size() && argv[i + 1] == containerd_address_;
      if (flag_then_value || argv[i] == "-address=" + containerd_address_ ||
          argv[i] == "--address=" + containerd_address_) {
        shims.insert(pid);
        break;
      }
    }
  }
  if (shims.empty()) {
    return;
  }
  // Shims first: a shim that outlived its container could reap it and exit on its own,
  // which is not what a killed containerd's leftovers look like.
  std::vector<pid_t> victims(shims.begin(), shims.end());
  for (const auto& [pid, parent] : processes) {
    if (shims.count(parent) > 0) {
      victims.push_back(pid);
    }
  }
  for (pid_t pid : victims) {
    ::kill(pid, SIGKILL);
  }
  // They are not our children, so wait by watching /proc (zombies count as gone).
  absl::Time deadline = absl::Now() + kStopTimeout;
  absl::Duration step = absl::Milliseconds(5);
  while (absl::Now() < deadline) {
    std::map<pid_t, pid_t> live = LiveProcesses();
    if (std::none_of(victims.begin(), victims.end(),
                     [&live](pid_t pid) { return live.count(pid) > 0; })) {
      return;
    }
    SleepBackoff(&step);
  }
}

void ContainerdEnv::UnmountBelowDir() {
  // Killed shims leave their containers' rootfs overlays mounted in the state dir.
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string prefix = dir_.string() + "/";
  std::vector<std::string> mount_points;
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ');
    if (fields.size() > 4) {
      std::string mount_point = UnescapeMountField(fields[4]);
      if (absl::StartsWith(mount_point, prefix)) {
        mount_points.push_back(mount_point);
      }
    }
  }
  // Deepest first.
  std::sort(mount_points.begin(), mount_points.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& mount_point : mount_points) {
    ::umount2(mount_point.c_str(), MNT_DETACH);
  }
}

absl::StatusOr<CommandResult> ContainerdEnv::Run(const std::vector<std::string>& argv) {
  ProcessOptions options;
  options.argv = argv;
  GANTRY_ASSIGN_OR_RETURN(CommandResult result, RunCommand(options, "", kToolTimeout));
  if (result.exit_code != 0) {
    return absl::InternalError(absl::StrCat("`", absl::StrJoin(argv, " "), "` exited with code ",
                                            result.exit_code, ": ", result.err));
  }
  return result;
}

absl::StatusOr<std::string> ContainerdEnv::PushBusyboxImage(const std::string& name,
                                                            const std::string& tag,
                                                            const std::vector<std::string>& cmd) {
  if (!IsValidRepositoryName(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "name: \"", name,
        "\" is not a repository name; use lower case letters, digits, '.', '_' and '-' in "
        "components separated by '/'"));
  }
  if (!IsValidTag(tag)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tag: \"", tag,
                     "\" is not a tag; use up to 128 of A-Z a-z 0-9 _ . - "
                     "not starting with '.' or '-'"));
  }
  std::string repository_tag = absl::StrCat(name, ":", tag);
  std::string reference = absl::StrCat(registry_, "/", repository_tag);
  if (auto it = pushed_.find(repository_tag); it != pushed_.end() && it->second == cmd) {
    return reference;
  }
  std::string work_name = name;
  std::replace(work_name.begin(), work_name.end(), '/', '_');
  fs::path work = dir_ / "images" / absl::StrCat(work_name, "-", tag);
  std::error_code ec;
  fs::remove_all(work, ec);
  if (!fs::create_directories(work, ec) && ec) {
    return absl::InternalError(absl::StrCat("mkdir ", work.string(), ": ", ec.message()));
  }
  GANTRY_RETURN_IF_ERROR(BuildImage(work, tag, cmd));

  fs::path policy = work / "policy.json";
  GANTRY_RETURN_IF_ERROR(WriteFile(policy, kSkopeoPolicy));
  GANTRY_RETURN_IF_ERROR(
      Run({tools_.skopeo.string(), "--policy", policy.string(), "copy", "--dest-tls-verify=false",
           absl::StrCat("oci:", (work / "oci").string(), ":", tag),
           absl::StrCat("docker://", reference)})
          .status());
  pushed_[repository_tag] = cmd;
  return reference;
}

absl::Status ContainerdEnv::BuildImage(const fs::path& work, const std::string& tag,
                                       const std::vector<std::string>& cmd) {
  std::string layout = (work / "oci").string();
  std::string image = absl::StrCat(layout, ":", tag);
  std::string bundle = (work / "bundle").string();
  const std::string umoci = tools_.umoci.string();
  GANTRY_RETURN_IF_ERROR(Run({umoci, "init", "--layout", layout}).status());
  GANTRY_RETURN_IF_ERROR(Run({umoci, "new", "--image", image}).status());
  // --rootless: no chown/mknod, and the layer records files as owned by root.
  GANTRY_RETURN_IF_ERROR(Run({umoci, "unpack", "--rootless", "--image", image, bundle}).status());
  GANTRY_RETURN_IF_ERROR(PopulateRootfs(fs::path(bundle) / "rootfs"));
  // repack adds the layer to the manifest the bundle was unpacked from (umoci-repack(1)),
  // so the config is set afterwards, on the repacked image.
  GANTRY_RETURN_IF_ERROR(Run({umoci, "repack", "--image", image, bundle}).status());
  std::vector<std::string> config = {umoci, "config", "--image", image, "--config.env=PATH=/bin"};
  for (const std::string& arg : cmd) {
    // "--flag=value": a value starting with '-' would otherwise parse as a flag.
    config.push_back(absl::StrCat("--config.cmd=", arg));
  }
  return Run(config).status();
}

absl::Status ContainerdEnv::PopulateRootfs(const fs::path& rootfs) {
  std::error_code ec;
  for (const char* sub : {"bin", "etc", "tmp", "root"}) {
    if (!fs::create_directories(rootfs / sub, ec) && ec) {
      return absl::InternalError(
          absl::StrCat("mkdir ", (rootfs / sub).string(), ": ", ec.message()));
    }
  }
  fs::permissions(rootfs / "tmp", fs::perms::all | fs::perms::sticky_bit, ec);
  if (!ec) {
    fs::permissions(rootfs / "root", fs::perms::owner_all, ec);
  }
  fs::path busybox = rootfs / "bin" / "busybox";
  if (!ec) {
    fs::copy_file(tools_.busybox, busybox, fs::copy_options::overwrite_existing, ec);
  }
  if (!ec) {
    fs::permissions(busybox,
                    fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                        fs::perms::others_read | fs::perms::others_exec,
                    ec);
  }
  if (ec) {
    return absl::InternalError(absl::StrCat("populating ", rootfs.string(), ": ", ec.message()));
  }
  GANTRY_RETURN_IF_ERROR(WriteFile(rootfs / "etc" / "passwd", kPasswd));
  GANTRY_RETURN_IF_ERROR(WriteFile(rootfs / "etc" / "group", kGroup));
  // Every applet this busybox has (sh, sleep, cat, echo, wget, httpd, grep, ip,
  // ifconfig, nc, ...): a test should not fail because a link was forgotten.
  GANTRY_ASSIGN_OR_RETURN(CommandResult list, Run({tools_.busybox.string(), "--list"}));
  for (absl::string_view applet : absl::StrSplit(list.out, '\n', absl::SkipWhitespace())) {
    applet = absl::StripAsciiWhitespace(applet);
    if (applet == "busybox" || absl::StrContains(applet, '/')) {
      continue;
    }
    fs::create_symlink("busybox", rootfs / "bin" / std::string(applet), ec);
    if (ec) {
      return absl::InternalError(
          absl::StrCat("symlink bin/", std::string(applet), ": ", ec.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace gantry::testing
