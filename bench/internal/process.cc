#include "bench/internal/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace gantry::bench::internal {
namespace {

// Set once by the signal thread, read by every loop that waits (relaxed is enough: it
// is a flag that only ever goes from false to true, and nothing else is published
// through it).
std::atomic<bool> interrupted{false};

// Poll slice: how late a wait notices an interrupt.
constexpr absl::Duration kSlice = absl::Milliseconds(100);

absl::Status ErrnoError(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

int PollMillis(absl::Time deadline) {
  absl::Duration left = std::min(deadline - absl::Now(), kSlice);
  return static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(left) + 1));
}

// In the forked child: async-signal-safe calls only, up to execv.
[[noreturn]] void ExecChild(pid_t parent, int in_fd, int out_fd, int err_fd, char** argv) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) ::_exit(127);
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &default_action, nullptr);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) ::_exit(127);
  ::execv(argv[0], argv);
  static constexpr char kMessage[] = "gantry-bench: exec failed: ";
  [[maybe_unused]] ssize_t ignored = ::write(2, kMessage, sizeof(kMessage) - 1);
  ignored = ::write(2, argv[0], std::strlen(argv[0]));
  ignored = ::write(2, "\n", 1);
  ::_exit(127);
}

}  // namespace

void InstallInterruptHandler() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread([signals] {
    for (;;) {
      int signal = 0;
      if (sigwait(&signals, &signal) != 0) continue;
      if (!interrupted.exchange(true, std::memory_order_relaxed)) {
        std::fprintf(stderr,
                     "gantry-bench: interrupted; stopping gantryd, agents and "
                     "PostgreSQL (interrupt again to quit at once)\n");
        continue;
      }
      std::fprintf(stderr,
                   "gantry-bench: quitting; the embedded PostgreSQL may be left "
                   "running in the data directory\n");
      ::_exit(130);
    }
  }).detach();
}

bool Interrupted() { return interrupted.load(std::memory_order_relaxed); }

absl::Status CheckInterrupted() {
  return Interrupted() ? absl::CancelledError("interrupted") : absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Child>> Child::Start(const std::vector<std::string>& argv,
                                                    const std::filesystem::path& stderr_file) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return ErrnoError("pipe2");
  int in_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int err_fd = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (in_fd < 0 || err_fd < 0) {
    absl::Status status = ErrnoError(absl::StrCat("open ", stderr_file.string()));
    for (int fd : {in_fd, err_fd, out[0], out[1]}) {
      if (fd >= 0) ::close(fd);
    }
    return status;
  }
  std::vector<std::string> args = argv;
  std::vector<char*> pointers;
  for (std::string& arg : args) pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) ExecChild(parent, in_fd, out[1], err_fd, pointers.data());
  const int fork_errno = errno;
  ::close(in_fd);
  ::close(err_fd);
  ::close(out[1]);
  if (pid < 0) {
    ::close(out[0]);
    errno = fork_errno;
    return ErrnoError("fork");
  }
  std::string name = std::filesystem::path(argv[0]).filename().string();
  return std::unique_ptr<Child>(new Child(pid, out[0], std::move(name)));
}

Child::Child(pid_t pid, int stdout_fd, std::string name)
    : pid_(pid), stdout_fd_(stdout_fd), name_(std::move(name)) {}

Child::~Child() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

absl::StatusOr<std::string> Child::ReadLine(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    if (size_t newline = buffer_.find('\n'); newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return line;
    }
    if (Interrupted()) return absl::CancelledError("interrupted");
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(name_, " printed no line within ", absl::FormatDuration(timeout)));
    }
    pollfd fd{stdout_fd_, POLLIN, 0};
    int ready = ::poll(&fd, 1, PollMillis(deadline));
    if (ready < 0 && errno != EINTR) return ErrnoError("poll");
    if (ready <= 0) continue;
    char chunk[4096];
    ssize_t n = ::read(stdout_fd_, chunk, sizeof(chunk));
    if (n < 0 && errno != EINTR && errno != EAGAIN) return ErrnoError("read");
    if (n == 0) {
      return absl::OutOfRangeError(
          absl::StrCat(name_, " closed its output", buffer_.empty() ? "" : " after: ", buffer_));
    }
    if (n > 0) buffer_.append(chunk, static_cast<size_t>(n));
  }
}

absl::StatusOr<std::string> Child::ReadAllAndWait(absl::Duration timeout, int* exit_code) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string out = std::move(buffer_);
  buffer_.clear();
  for (;;) {
    if (Interrupted() || absl::Now() >= deadline) {
      const bool interrupted_now = Interrupted();
      Stop(absl::Seconds(5)).IgnoreError();
      if (interrupted_now) return absl::CancelledError("interrupted");
      return absl::DeadlineExceededError(
          absl::StrCat(name_, " did not finish within ", absl::FormatDuration(timeout)));
    }
    pollfd fd{stdout_fd_, POLLIN, 0};
    int ready = ::poll(&fd, 1, PollMillis(deadline));
    if (ready < 0 && errno != EINTR) return ErrnoError("poll");
    if (ready <= 0) continue;
    char chunk[4096];
    ssize_t n = ::read(stdout_fd_, chunk, sizeof(chunk));
    if (n < 0 && errno != EINTR && errno != EAGAIN) return ErrnoError("read");
    if (n == 0) break;
    if (n > 0) out.append(chunk, static_cast<size_t>(n));
  }
  if (!WaitFor(std::max(deadline - absl::Now(), absl::Seconds(5)))) {
    Stop(absl::Seconds(5)).IgnoreError();
    return absl::DeadlineExceededError(absl::StrCat(name_, " closed its output but did not exit"));
  }
  *exit_code = exit_code_;
  return out;
}

bool Child::Running() { return !WaitFor(absl::ZeroDuration()); }

bool Child::WaitFor(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!reaped_) {
    int status = 0;
    pid_t got = ::waitpid(pid_, &status, WNOHANG);
    if (got == pid_) {
      reaped_ = true;
      exit_code_ = ExitCodeOf(status);
      break;
    }
    if (got < 0 && errno != EINTR) {  // not our child any more: nothing to wait for
      reaped_ = true;
      break;
    }
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

absl::StatusOr<int> Child::Stop(absl::Duration grace) {
  if (WaitFor(absl::ZeroDuration())) return exit_code_;
  ::kill(pid_, SIGTERM);
  if (WaitFor(grace)) return exit_code_;
  ::kill(pid_, SIGKILL);
  if (WaitFor(absl::Seconds(10))) return exit_code_;
  return absl::InternalError(absl::StrCat(name_, " (pid ", pid_, ") survived SIGKILL"));
}

}  // namespace gantry::bench::internal
