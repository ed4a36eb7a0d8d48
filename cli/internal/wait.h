// Waiting for tasks (`run-task --wait`, `wait tasks-running`, `wait tasks-stopped`):
// the pure decision on one DescribeTasks response, the poll schedule, which describe
// errors are retried and with what deadline, the messages, and the polling loop with
// its clock and RPC passed in. Not for use outside cli/. Everything here is pure
// except what the caller's functions do; safe from any thread. Errors are
// INVALID_ARGUMENT usage errors (ParseWaitTimeout) or the caller's describe error,
// returned unchanged (WaitForTasks).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gantry/v1/ecs.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gantry::cli::internal {

enum class WaitKind { kTasksRunning, kTasksStopped };

// The lastStatus a wait is for: "RUNNING" or "STOPPED".
std::string_view WaitTarget(WaitKind kind);

// Until --timeout says otherwise (the AWS CLI's waiters give up after 10 minutes too).
inline constexpr absl::Duration kDefaultWaitTimeout = absl::Minutes(10);
// The longest --timeout accepted.
inline constexpr absl::Duration kMaxWaitTimeout = absl::Hours(24);

// What one DescribeTasks response means for a wait.
struct WaitDecision {
  enum class State { kDone, kWaiting, kFailed };
  State state = State::kWaiting;
  WaitKind kind = WaitKind::kTasksRunning;
  // kFailed only: one problem per line (`task <id> stopped before RUNNING: ...`);
  // lines that start with two blanks continue the problem above (a stopped task's
  // containers).
  std::string message;
  // Tasks described plus describe failures.
  int total = 0;
  // Tasks whose lastStatus is WaitTarget(kind).
  int at_target = 0;
  // The other tasks by lastStatus, in lifecycle order (PROVISIONING ... STOPPED), then
  // unknown statuses by name.
  std::vector<std::pair<std::string, int>> others;
  // The ids (the ARN's last segment) of the tasks not at WaitTarget(kind), in response
  // order: what a timed-out wait names, so they can be looked at or stopped.
  std::vector<std::string> unfinished;
};

// kTasksRunning: done when every task is RUNNING; failed as soon as any task is
// STOPPED (it will never run) or the response has failures (MISSING tasks).
// kTasksStopped: done when every task is STOPPED; failed when the response has
// failures. Failed too when the response has neither tasks nor failures.
WaitDecision DecideWait(const v1::DescribeTasksResponse& response, WaitKind kind);

// The time to wait before the next DescribeTasks, `elapsed` after the first one:
// 0.5 s during the first 10 s, then 2 s.
absl::Duration PollInterval(absl::Duration elapsed);

// Go's spelling of durations, which people know from the AWS and Docker tools:
// 500ms, 4s, 1.5s, 1m30s, 10m0s, 1h0m0s.
std::string FormatWaitDuration(absl::Duration duration);

// The value of --timeout: a duration (30s, 10m, 1h30m) or a bare number of seconds
// (90, 1.5), positive and at most kMaxWaitTimeout. INVALID_ARGUMENT `--timeout: ...`.
absl::StatusOr<absl::Duration> ParseWaitTimeout(std::string_view text);

// The progress line: `waiting for 3 tasks: 1 RUNNING, 2 PENDING (4s)`.
std::string FormatWaitProgress(const WaitDecision& decision, absl::Duration elapsed);
// `timed out after 10m0s waiting for tasks to be RUNNING: 2 of 3 RUNNING (1 PENDING);
// not yet RUNNING: <id>`. Without the counts when no DescribeTasks ever answered
// (`decision.total` is 0).
std::string FormatWaitTimeout(const WaitDecision& decision, absl::Duration timeout);
// A failed decision's message for stderr: `error: ` before each problem line, every
// line ending with a newline.
std::string FormatWaitFailure(const WaitDecision& decision);

// What `run-task --wait` prints instead of waiting when RunTask reported failures:
// `error: task not started: <reason>: <detail> (<arn>)` per failure (empty parts left
// out), then which tasks did start (they are not waited for). Every line ends with a
// newline.
std::string FormatRunTaskFailures(const v1::RunTaskResponse& response);

// What `run-task --wait` adds when the wait fails, times out or cannot describe the
// tasks: `error: run-task started 2 tasks: <id> <id>`, ending with a newline, so a
// script or a person can stop them. Empty when `started` has no tasks.
std::string FormatStartedTasks(const v1::RunTaskResponse& started);

// Whether a failed DescribeTasks is retried at the next poll instead of ending the
// wait: UNAVAILABLE (gantryd's queue is full, or gantryd is restarting) and
// DEADLINE_EXCEEDED are, but only once gantryd has answered this command
// (`server_reached`): with nothing listening at the endpoint, retrying until the
// timeout would only hide the mistake. Every other code ends the wait at once.
bool RetryDescribeError(const absl::Status& error, bool server_reached);

// The shortest deadline a DescribeTasks of a wait gets: the call that decides at the
// timeout has no time left, but must still get an answer.
inline constexpr absl::Duration kMinDescribeDeadline = absl::Seconds(1);
// The deadline of a DescribeTasks made `elapsed` into a wait of `timeout`: the time
// left, so a hanging gantryd cannot hold the wait past --timeout, but at least
// kMinDescribeDeadline and at most kRpcTimeout (every RPC's deadline).
absl::Duration DescribeDeadline(absl::Duration timeout, absl::Duration elapsed);

// The loop's view of time, so tests can run it on a fake clock.
struct WaitClock {
  std::function<absl::Time()> now;
  std::function<void(absl::Duration)> sleep;
};

// One DescribeTasks as the wait loop sees it.
struct DescribeAttempt {
  absl::StatusOr<v1::DescribeTasksResponse> response;
  // Whether gantryd has answered this command so far, this call included (see
  // RetryDescribeError).
  bool server_reached = true;
};
// Makes one DescribeTasks call with the given deadline.
using DescribeTasksFn = std::function<DescribeAttempt(absl::Duration deadline)>;

struct WaitOutcome {
  WaitDecision decision;               // of the last response (total 0 when none came)
  v1::DescribeTasksResponse response;  // the last response
  bool timed_out = false;              // decision.state is then kWaiting
  // When timed out: the error of the last describe if it failed (and was retried),
  // else OK.
  absl::Status last_error;
  absl::Duration elapsed;  // from the first describe to the last
};

// Calls `describe` at once and then after each PollInterval until DecideWait is done
// or failed, or `timeout` has passed since the first call (the last sleep is cut
// short to end at the timeout, and one more describe decides). Each call gets
// DescribeDeadline. A describe error that RetryDescribeError allows is retried on
// the same schedule; the outcome of a wait that times out meanwhile carries it in
// `last_error`. Calls `progress` after each response that leaves it waiting.
// Returns the first error that is not retried, unchanged; the outcome otherwise.
// Blocks in `clock.sleep` and `describe` only.
absl::StatusOr<WaitOutcome> WaitForTasks(
    const DescribeTasksFn& describe, WaitKind kind, absl::Duration timeout, const WaitClock& clock,
    const std::function<void(const WaitDecision&, absl::Duration elapsed)>& progress);

}  // namespace gantry::cli::internal
