#include "tests/support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace gantry::testing {
namespace {

absl::Status ErrnoError(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) {
    return WEXITSTATUS(wait_status);
  }
  if (WIFSIGNALED(wait_status)) {
    return 128 + WTERMSIG(wait_status);
  }
  return -1;
}

// Milliseconds left until `deadline` for poll(), rounded up, at least 0.
int RemainingMillis(absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) {
    return 0;
  }
  return static_cast<int>(std::min<int64_t>(
      absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))), INT_MAX));
}

// Owns a file descriptor; closes it on destruction unless released.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(-1); }

  int get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset(int fd) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

absl::StatusOr<Pipe> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return ErrnoError("pipe2");
  }
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// The child's ends (`read` of in, `write` of out and err) and the parent's ends.
struct ChildStdio {
  Pipe in;
  Pipe out;
  Pipe err;
};

absl::Status OpenStdio(const ProcessOptions& options, ChildStdio* stdio) {
  if (options.pipe_stdin) {
    absl::StatusOr<Pipe> pipe = MakePipe();
    if (!pipe.ok()) {
      return pipe.status();
    }
    stdio->in = *std::move(pipe);
  } else {
    stdio->in.read.Reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (stdio->in.read.get() < 0) {
      return ErrnoError("open /dev/null");
    }
  }
  absl::StatusOr<Pipe> out = MakePipe();
  if (!out.ok()) {
    return out.status();
  }
  stdio->out = *std::move(out);
  if (options.stderr_file.empty()) {
    absl::StatusOr<Pipe> err = MakePipe();
    if (!err.ok()) {
      return err.status();
    }
    stdio->err = *std::move(err);
    return absl::OkStatus();
  }
  stdio->err.write.Reset(
      ::open(options.stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (stdio->err.write.get() < 0) {
    return ErrnoError(absl::StrCat("open ", options.stderr_file.string()));
  }
  return absl::OkStatus();
}

std::vector<std::string> BuildEnvironment(
    const std::map<std::string, std::optional<std::string>>& changes) {
  std::map<std::string, std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    size_t eq = text.find('=');
    if (eq != std::string_view::npos) {
      env.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
    }
  }
  for (const auto& [name, value] : changes) {
    if (value.has_value()) {
      env[name] = *value;
    } else {
      env.erase(name);
    }
  }
  std::vector<std::string> result;
  for (const auto& [name, value] : env) {
    result.push_back(absl::StrCat(name, "=", value));
  }
  return result;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) {
    pointers.push_back(s.data());
  }
  pointers.push_back(nullptr);
  return pointers;
}

// Runs in the forked child: only async-signal-safe calls until execve.
[[noreturn]] void ExecChild(pid_t parent, int in_fd, int out_fd, int err_fd, char** argv,
                            char** envp) {
  // Die with the test process, and do not miss a parent that died before prctl.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) {
    ::_exit(127);
  }
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &default_action, nullptr);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // dup2 clears close-on-exec on the new descriptor; everything else closes at exec.
  if (::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) {
    ::_exit(127);
  }
  ::execve(argv[0], argv, envp);
  static constexpr char kMessage[] = "process: execve failed for ";
  [[maybe_unused]] ssize_t ignored = ::write(2, kMessage, sizeof(kMessage) - 1);
  ignored = ::write(2, argv[0], std::strlen(argv[0]));
  ignored = ::write(2, "\n", 1);
  ::_exit(127);
}

// Writing to a pipe whose reader died must be an EPIPE error here, not a fatal signal.
void IgnoreSigpipeOnce() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

// Reads what is available from `*fd` into `out`; closes it at end of file or on error.
void Drain(int* fd, std::string* out) {
  char buffer[16 * 1024];
  ssize_t n = ::read(*fd, buffer, sizeof(buffer));
  if (n > 0) {
    out->append(buffer, static_cast<size_t>(n));
  } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    ::close(*fd);
    *fd = -1;
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(const ProcessOptions& options) {
  if (options.argv.empty()) {
    return absl::InvalidArgumentError("argv is empty");
  }
  IgnoreSigpipeOnce();
  std::vector<std::string> argv_strings = options.argv;
  std::vector<std::string> env_strings = BuildEnvironment(options.env);
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);

  ChildStdio stdio;
  absl::Status opened = OpenStdio(options, &stdio);
  if (!opened.ok()) {
    return opened;
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    return ErrnoError("fork");
  }
  if (pid == 0) {
    ExecChild(parent, stdio.in.read.get(), stdio.out.write.get(), stdio.err.write.get(),
              argv.data(), envp.data());
  }
  return std::unique_ptr<Subprocess>(new Subprocess(
      pid, stdio.in.write.Release(), stdio.out.read.Release(), stdio.err.read.Release()));
}

Subprocess::Subprocess(pid_t pid, int stdin_fd, int stdout_fd, int stderr_fd)
    : pid_(pid), stdin_fd_(stdin_fd), stdout_fd_(stdout_fd), stderr_fd_(stderr_fd) {}

Subprocess::~Subprocess() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  CloseFd(&stdin_fd_);
  CloseFd(&stdout_fd_);
  CloseFd(&stderr_fd_);
}

void Subprocess::CloseFd(int* fd) {
  if (*fd >= 0) {
    ::close(*fd);
    *fd = -1;
  }
}

absl::StatusOr<std::string> Subprocess::ReadStdoutLine(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    size_t newline = stdout_buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = stdout_buffer_.substr(0, newline);
      stdout_buffer_.erase(0, newline + 1);
      return line;
    }
    if (stdout_fd_ < 0) {
      return absl::OutOfRangeError(
          absl::StrCat("stdout closed before a full line; got \"", stdout_buffer_, "\""));
    }
    int millis = RemainingMillis(deadline);
    if (millis == 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("no line on stdout within ", absl::FormatDuration(timeout)));
    }
    pollfd poll_fd{stdout_fd_, POLLIN, 0};
    int ready = ::poll(&poll_fd, 1, millis);
    if (ready < 0 && errno != EINTR) {
      return ErrnoError("poll");
    }
    if (ready > 0) {
      Drain(&stdout_fd_, &stdout_buffer_);
    }
  }
}

absl::Status Subprocess::Signal(int signal) {
  if (reaped_) {
    return absl::FailedPreconditionError(absl::StrCat("process ", pid_, " already ended"));
  }
  if (::kill(pid_, signal) != 0) {
    return ErrnoError(absl::StrCat("kill ", pid_));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  absl::Duration step = absl::Milliseconds(1);
  while (!reaped_) {
    int status = 0;
    pid_t result = ::waitpid(pid_, &status, WNOHANG);
    if (result == pid_) {
      reaped_ = true;
      exit_code_ = ExitCodeOf(status);
      break;
    }
    if (result < 0 && errno != EINTR) {
      return ErrnoError(absl::StrCat("waitpid ", pid_));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("process ", pid_, " still running after ", absl::FormatDuration(timeout)));
    }
    // Polling an exit (not readiness): back off up to 20 ms.
    absl::SleepFor(step);
    step = std::min(step * 2, absl::Milliseconds(20));
  }
  return exit_code_;
}

absl::StatusOr<CommandResult> Subprocess::Communicate(std::string_view stdin_text,
                                                      absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  CommandResult result;
  result.out = std::exchange(stdout_buffer_, "");
  size_t written = 0;
  if (stdin_text.empty()) {
    CloseFd(&stdin_fd_);
  } else if (stdin_fd_ >= 0) {
    // A blocking write of more than the pipe holds would wait for the child, which
    // may itself be waiting for us to read its output.
    ::fcntl(stdin_fd_, F_SETFL, ::fcntl(stdin_fd_, F_GETFL) | O_NONBLOCK);
  }
  while (stdin_fd_ >= 0 || stdout_fd_ >= 0 || stderr_fd_ >= 0) {
    int millis = RemainingMillis(deadline);
    if (millis == 0) {
      ::kill(pid_, SIGKILL);
      (void)Wait(absl::Seconds(10));
      return absl::DeadlineExceededError(
          absl::StrCat("process ", pid_, " did not finish within ", absl::FormatDuration(timeout),
                       "; stdout: ", result.out, "; stderr: ", result.err));
    }
    absl::Status pumped = PumpOnce(millis, stdin_text, &written, &result);
    if (!pumped.ok()) {
      return pumped;
    }
  }
  absl::StatusOr<int> exit_code = Wait(deadline - absl::Now());
  if (!exit_code.ok()) {
    return exit_code.status();
  }
  result.exit_code = *exit_code;
  return result;
}

absl::Status Subprocess::PumpOnce(int timeout_millis, std::string_view stdin_text, size_t* written,
                                  CommandResult* result) {
  std::vector<pollfd> fds;
  for (int fd : {stdin_fd_, stdout_fd_, stderr_fd_}) {
    if (fd >= 0) {
      fds.push_back({fd, static_cast<short>(fd == stdin_fd_ ? POLLOUT : POLLIN), 0});
    }
  }
  int ready = ::poll(fds.data(), fds.size(), timeout_millis);
  if (ready < 0 && errno != EINTR) {
    return ErrnoError("poll");
  }
  for (const pollfd& p : fds) {
    if (p.revents == 0) {
      continue;
    }
    if (p.fd == stdin_fd_) {
      ssize_t n = ::write(stdin_fd_, stdin_text.data() + *written, stdin_text.size() - *written);
      if (n > 0) {
        *written += static_cast<size_t>(n);
      }
      if (*written == stdin_text.size() || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        CloseFd(&stdin_fd_);
      }
    } else if (p.fd == stdout_fd_) {
      Drain(&stdout_fd_, &result->out);
    } else if (p.fd == stderr_fd_) {
      Drain(&stderr_fd_, &result->err);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<CommandResult> RunCommand(const ProcessOptions& options, std::string_view stdin_text,
                                         absl::Duration timeout) {
  ProcessOptions with_stdin = options;
  with_stdin.pipe_stdin = options.pipe_stdin || !stdin_text.empty();
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(with_stdin);
  if (!process.ok()) {
    return process.status();
  }
  return (*process)->Communicate(stdin_text, timeout);
}

}  // namespace gantry::testing
