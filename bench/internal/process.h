// Child processes of gantry-bench (gantryd, gantry-agent, pgbench) and its reaction to
// SIGINT/SIGTERM.
//
// A child runs in its own process group (a Ctrl-C reaches only the bench, which then
// stops its children in order) and gets PR_SET_PDEATHSIG=SIGTERM, so it does not outlive
// a bench that is killed outright. Its stdout is a pipe read line by line; its stderr is
// appended to a log file. Every wait has a deadline and gives up early once the bench
// was interrupted (CANCELLED). A Child is used from the thread that started it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gantry::bench::internal {

// Blocks SIGINT and SIGTERM in the calling thread (call it first in main, so every
// thread inherits the mask) and starts a thread that takes them: the first sets
// Interrupted(); a second one ends the process at once (exit code 130).
void InstallInterruptHandler();
// True once SIGINT or SIGTERM arrived. Long waits check it and return CANCELLED.
bool Interrupted();
// CANCELLED when Interrupted(), else OK.
absl::Status CheckInterrupted();

class Child {
 public:
  // Starts argv[0] (a path) with `argv`; stderr is appended to `stderr_file`.
  // INTERNAL when the pipe, the log file or fork fails; a failed exec is exit code 127.
  static absl::StatusOr<std::unique_ptr<Child>> Start(const std::vector<std::string>& argv,
                                                      const std::filesystem::path& stderr_file);
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  // Kills (SIGKILL) and reaps a child still running.
  ~Child();

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }

  // The next line of stdout, without the newline. DEADLINE_EXCEEDED after `timeout`,
  // OUT_OF_RANGE when stdout closed first, CANCELLED when interrupted.
  absl::StatusOr<std::string> ReadLine(absl::Duration timeout);
  // Everything the child writes to stdout until it closes it, then its exit code.
  // DEADLINE_EXCEEDED (child killed) after `timeout`; CANCELLED (child killed) when
  // interrupted.
  absl::StatusOr<std::string> ReadAllAndWait(absl::Duration timeout, int* exit_code);
  // SIGTERM, then up to `grace` for it to exit, then SIGKILL. Returns the exit code
  // (128 + signal when a signal ended it). Idempotent.
  absl::StatusOr<int> Stop(absl::Duration grace);
  // True while the child has not exited (reaps it when it has).
  bool Running();

 private:
  Child(pid_t pid, int stdout_fd, std::string name);
  // Waits up to `timeout` for the child to exit; false when it is still running.
  bool WaitFor(absl::Duration timeout);

  pid_t pid_;
  int stdout_fd_;
  std::string name_;
  std::string buffer_;  // stdout read but not yet returned
  bool reaped_ = false;
  int exit_code_ = -1;
};

}  // namespace gantry::bench::internal
