// Child processes for end-to-end tests: fork/exec with pipes, reading stdout line by
// line with a deadline, signals, and waiting with a deadline. Every blocking call
// takes a timeout; nothing here sleeps to wait for readiness.
//
// Pipes are created close-on-exec, so a child never inherits another child's pipe
// ends and processes may be started from several threads at once. A child gets
// PR_SET_PDEATHSIG=SIGTERM, so a crashed test process does not leave servers
// behind. One Subprocess is used from one thread at a time. Errors are
// absl::Status: DEADLINE_EXCEEDED on a timeout, OUT_OF_RANGE when stdout closed
// before a line arrived, INTERNAL for failed system calls.
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

namespace gantry::testing {

struct ProcessOptions {
  // argv[0] is the path of the executable (no PATH lookup).
  std::vector<std::string> argv;
  // Changes to the inherited environment: a value sets the variable, nullopt unsets it.
  std::map<std::string, std::optional<std::string>> env;
  // Standard input is a pipe (see WriteStdinAndClose/Communicate) or /dev/null.
  bool pipe_stdin = false;
  // When set, stderr is appended to this file instead of going to a pipe (for servers
  // whose logs nobody reads while they run: an unread pipe would fill and block them).
  std::filesystem::path stderr_file;
};

// What a finished child printed and how it ended.
struct CommandResult {
  // The exit code, or 128 + the signal number when a signal killed the child.
  int exit_code = -1;
  std::string out;
  std::string err;
};

class Subprocess {
 public:
  // Starts the child. INTERNAL when a pipe, the stderr file or fork fails; a failed
  // exec shows up as exit code 127 with the reason on stderr.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(const ProcessOptions& options);

  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  // SIGKILLs and reaps a child that is still running.
  ~Subprocess();

  pid_t pid() const { return pid_; }

  // The next line of stdout without its newline. DEADLINE_EXCEEDED when no full line
  // arrives within `timeout`; OUT_OF_RANGE when stdout closed first (the message has
  // whatever partial text came).
  absl::StatusOr<std::string> ReadStdoutLine(absl::Duration timeout);

  // Sends `signal` to the child. FAILED_PRECONDITION when it was already reaped.
  absl::Status Signal(int signal);

  // Waits for the child to end and returns its exit code (128 + signal when killed).
  // DEADLINE_EXCEEDED when it is still running after `timeout` (it is left running).
  absl::StatusOr<int> Wait(absl::Duration timeout);

  // Writes `stdin_text` (when stdin is a pipe), closes stdin, reads stdout and stderr
  // (when piped) to the end and waits. On timeout the child is SIGKILLed and the
  // result is DEADLINE_EXCEEDED with what it printed so far.
  absl::StatusOr<CommandResult> Communicate(std::string_view stdin_text, absl::Duration timeout);

 private:
  Subprocess(pid_t pid, int stdin_fd, int stdout_fd, int stderr_fd);
  void CloseFd(int* fd);
  // One poll() round for Communicate: writes pending stdin, reads stdout and stderr.
  absl::Status PumpOnce(int timeout_millis, std::string_view stdin_text, size_t* written,
                        CommandResult* result);

  pid_t pid_;
  int stdin_fd_;
  int stdout_fd_;
  int stderr_fd_;
  std::string stdout_buffer_;  // read but not yet returned by ReadStdoutLine
  bool reaped_ = false;
  int exit_code_ = -1;
};

// Starts `options`, feeds it `stdin_text` and collects its output: Start followed by
// Communicate.
absl::StatusOr<CommandResult> RunCommand(const ProcessOptions& options, std::string_view stdin_text,
                                         absl::Duration timeout);

}  // namespace gantry::testing
