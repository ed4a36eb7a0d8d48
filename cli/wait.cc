// Waiting for tasks to reach RUNNING or STOPPED: decisions, messages and the loop.
#include "cli/internal/wait.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cli/cli.h"
#include "cli/internal/util.h"

namespace gantry::cli::internal {
namespace {

constexpr std::string_view kRunning = "RUNNING";
constexpr std::string_view kStopped = "STOPPED";

// Task lastStatus values in the order a task goes through them (ECS's Fargate task
// lifecycle); progress lists counts in this order.
constexpr std::string_view kLifecycle[] = {
    "PROVISIONING", "PENDING",  "ACTIVATING",     "RUNNING",
    "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED",
};

size_t LifecycleRank(std::string_view status) {
  const auto* end = std::end(kLifecycle);
  return static_cast<size_t>(std::find(std::begin(kLifecycle), end, status) -
                             std::begin(kLifecycle));
}

std::string Plural(int count, std::string_view one) {
  return absl::StrCat(count, " ", Sv(one), count == 1 ? "" : "s");
}

// `task <id>: MISSING: <detail>`.
std::string FailureProblem(const v1::Failure& failure) {
  std::string line = absl::StrCat("task ", LastArnSegment(failure.arn()), ": ",
                                  failure.reason().empty() ? "FAILED" : failure.reason());
  if (failure.has_detail() && !failure.detail().empty()) {
    absl::StrAppend(&line, ": ", failure.detail());
  }
  return line;
}

// `task <id> stopped before RUNNING: <stopCode>: <stoppedReason>` and a line per
// container that has a reason or an exit code.
std::string StoppedProblem(const v1::Task& task) {
  std::string line = absl::StrCat("task ", LastArnSegment(task.task_arn()), " stopped",
                                  task.has_started_at() ? "" : " before RUNNING");
  if (task.has_stop_code() && !task.stop_code().empty()) {
    absl::StrAppend(&line, ": ", task.stop_code());
  }
  if (task.has_stopped_reason() && !task.stopped_reason().empty()) {
    absl::StrAppend(&line, ": ", task.stopped_reason());
  }
  for (const v1::Container& container : task.containers()) {
    std::vector<std::string> parts;
    if (container.has_exit_code()) {
      parts.push_back(absl::StrCat("exit code ", container.exit_code()));
    }
    if (container.has_reason() && !container.reason().empty()) {
      parts.push_back(container.reason());
    }
    if (!parts.empty()) {
      absl::StrAppend(&line, "\n  container ", container.name(), ": ", absl::StrJoin(parts, ": "));
    }
  }
  return line;
}

std::vector<std::pair<std::string, int>> OrderedCounts(const std::map<std::string, int>& counts) {
  std::vector<std::pair<std::string, int>> ordered(counts.begin(), counts.end());
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    return LifecycleRank(a.first) < LifecycleRank(b.first);
  });
  return ordered;
}

// An optional sign, digits and at most one '.' with a digit somewhere: 90, -5, 1.5, .5.
bool IsPlainDecimal(std::string_view text) {
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    text.remove_prefix(1);
  }
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  auto digits = [](std::string_view part) {
    return std::all_of(part.begin(), part.end(),
                       [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
  };
  return whole.size() + fraction.size() > 0 && digits(whole) && digits(fraction);
}

std::string JoinCounts(const std::vector<std::pair<std::string, int>>& counts) {
  return absl::StrJoin(counts, ", ", [](std::string* out, const auto& count) {
    absl::StrAppend(out, count.second, " ", count.first);
  });
}

}  // namespace

std::string_view WaitTarget(WaitKind kind) {
  return kind == WaitKind::kTasksRunning ? kRunning : kStopped;
}

WaitDecision DecideWait(const v1::DescribeTasksResponse& response, WaitKind kind) {
  WaitDecision decision;
  decision.kind = kind;
  decision.total = response.tasks_size() + response.failures_size();
  std::vector<std::string> problems;
  for (const v1::Failure& failure : response.failures()) {
    problems.push_back(FailureProblem(failure));
  }
  std::map<std::string, int> others;
  for (const v1::Task& task : response.tasks()) {
    const std::string status = task.has_last_status() ? task.last_status() : "UNKNOWN";
    if (status == WaitTarget(kind)) {
      ++decision.at_target;
      continue;
    }
    ++others[status];
    decision.unfinished.push_back(LastArnSegment(task.task_arn()));
    if (kind == WaitKind::kTasksRunning && status == kStopped) {
      problems.push_back(StoppedProblem(task));
    }
  }
  decision.others = OrderedCounts(others);
  if (decision.total == 0) {
    problems.push_back("DescribeTasks returned no tasks and no failures");
  }
  if (!problems.empty()) {
    decision.state = WaitDecision::State::kFailed;
    decision.message = absl::StrJoin(problems, "\n");
  } else if (decision.at_target == decision.total) {
    decision.state = WaitDecision::State::kDone;
  }
  return decision;
}

absl::Duration PollInterval(absl::Duration elapsed) {
  return elapsed < absl::Seconds(10) ? absl::Milliseconds(500) : absl::Seconds(2);
}

std::string FormatWaitDuration(absl::Duration duration) {
  if (duration <= absl::ZeroDuration()) {
    return "0s";
  }
  if (duration < absl::Seconds(1)) {
    return absl::StrCat(absl::ToInt64Milliseconds(duration), "ms");
  }
  absl::Duration rest = duration;
  const int64_t hours = absl::IDivDuration(rest, absl::Hours(1), &rest);
  const int64_t minutes = absl::IDivDuration(rest, absl::Minutes(1), &rest);
  const int64_t millis = absl::ToInt64Milliseconds(rest);
  std::string seconds = absl::StrCat(millis / 1000);
  if (millis % 1000 != 0) {
    std::string fraction = absl::StrCat(1000 + millis % 1000).substr(1);
    fraction.erase(fraction.find_last_not_of('0') + 1);
    absl::StrAppend(&seconds, ".", fraction);
  }
  if (hours > 0) {
    return absl::StrCat(hours, "h", minutes, "m", seconds, "s");
  }
  if (minutes > 0) {
    return absl::StrCat(minutes, "m", seconds, "s");
  }
  return absl::StrCat(seconds, "s");
}

absl::StatusOr<absl::Duration> ParseWaitTimeout(std::string_view text) {
  const std::string trimmed(absl::StripAsciiWhitespace(Sv(text)));
  // A bare number is seconds, as capacity's --interval reads it; appending "s" only to
  // plain decimals keeps "5m" from becoming "5ms".
  const std::string duration = IsPlainDecimal(trimmed) ? absl::StrCat(trimmed, "s") : trimmed;
  absl::Duration timeout;
  if (!absl::ParseDuration(duration, &timeout)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--timeout: \"", trimmed,
                     "\" is not a duration; use e.g. 30s, 10m, 1h30m or 90 (seconds)"));
  }
  if (timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--timeout: \"", trimmed, "\" is not positive; use e.g. 30s, 10m or 1h30m"));
  }
  if (timeout > kMaxWaitTimeout) {
    return absl::InvalidArgumentError(absl::StrCat("--timeout: \"", trimmed,
                                                   "\" is too long; use at most ",
                                                   FormatWaitDuration(kMaxWaitTimeout)));
  }
  return timeout;
}

std::string FormatWaitProgress(const WaitDecision& decision, absl::Duration elapsed) {
  std::vector<std::pair<std::string, int>> counts = {
      {std::string(WaitTarget(decision.kind)), decision.at_target}};
  counts.insert(counts.end(), decision.others.begin(), decision.others.end());
  return absl::StrCat("waiting for ", Plural(decision.total, "task"), ": ", JoinCounts(counts),
                      " (", FormatWaitDuration(absl::Trunc(elapsed, absl::Seconds(1))), ")");
}

std::string FormatWaitTimeout(const WaitDecision& decision, absl::Duration timeout) {
  const std::string_view target = WaitTarget(decision.kind);
  std::string message = absl::StrCat("timed out after ", FormatWaitDuration(timeout),
                                     " waiting for tasks to be ", Sv(target));
  if (decision.total == 0) {
    return message;
  }
  absl::StrAppend(&message, ": ", decision.at_target, " of ", decision.total, " ", Sv(target));
  if (!decision.others.empty()) {
    absl::StrAppend(&message, " (", JoinCounts(decision.others), ")");
  }
  if (!decision.unfinished.empty()) {
    absl::StrAppend(&message, "; not yet ", Sv(target), ": ",
                    absl::StrJoin(decision.unfinished, " "));
  }
  return message;
}

std::string FormatWaitFailure(const WaitDecision& decision) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(decision.message, '\n', absl::SkipEmpty())) {
    absl::StrAppend(&out, absl::StartsWith(line, " ") ? "" : "error: ", line, "\n");
  }
  return out;
}

std::string FormatRunTaskFailures(const v1::RunTaskResponse& response) {
  std::string out;
  for (const v1::Failure& failure : response.failures()) {
    std::vector<std::string> parts = {"error: task not started"};
    for (const std::string& part : {failure.reason(), failure.detail()}) {
      if (!part.empty()) {
        parts.push_back(part);
      }
    }
    absl::StrAppend(&out, absl::StrJoin(parts, ": "));
    if (!failure.arn().empty()) {
      absl::StrAppend(&out, " (", failure.arn(), ")");
    }
    absl::StrAppend(&out, "\n");
  }
  if (!response.tasks().empty()) {
    std::vector<std::string> ids;
    for (const v1::Task& task : response.tasks()) {
      ids.push_back(LastArnSegment(task.task_arn()));
    }
    absl::StrAppend(&out, "error: not waiting for the ", Plural(response.tasks_size(), "task"),
                    " that did start: ", absl::StrJoin(ids, " "), "\n");
  }
  return out;
}

std::string FormatStartedTasks(const v1::RunTaskResponse& started) {
  if (started.tasks().empty()) {
    return "";
  }
  std::vector<std::string> ids;
  for (const v1::Task& task : started.tasks()) {
    ids.push_back(LastArnSegment(task.task_arn()));
  }
  return absl::StrCat("error: run-task started ", Plural(started.tasks_size(), "task"), ": ",
                      absl::StrJoin(ids, " "), "\n");
}

bool RetryDescribeError(const absl::Status& error, bool server_reached) {
  const absl::StatusCode code = error.code();
  return server_reached &&
         (code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded);
}

absl::Duration DescribeDeadline(absl::Duration timeout, absl::Duration elapsed) {
  return std::clamp(timeout - elapsed, kMinDescribeDeadline, absl::FromChrono(kRpcTimeout));
}

absl::StatusOr<WaitOutcome> WaitForTasks(
    const DescribeTasksFn& describe, WaitKind kind, absl::Duration timeout, const WaitClock& clock,
    const std::function<void(const WaitDecision&, absl::Duration elapsed)>& progress) {
  const absl::Time start = clock.now();
  WaitOutcome outcome;
  outcome.decision.kind = kind;  // what a timeout names when no describe ever answered
  while (true) {
    DescribeAttempt attempt = describe(DescribeDeadline(timeout, clock.now() - start));
    outcome.elapsed = clock.now() - start;
    if (attempt.response.ok()) {
      outcome.response = *std::move(attempt.response);
      outcome.decision = DecideWait(outcome.response, kind);
      outcome.last_error = absl::OkStatus();
      if (outcome.decision.state != WaitDecision::State::kWaiting) {
        return outcome;
      }
    } else if (RetryDescribeError(attempt.response.status(), attempt.server_reached)) {
      // Keep the last decision: a timeout then still says how far the tasks got.
      outcome.last_error = attempt.response.status();
    } else {
      return attempt.response.status();
    }
    if (outcome.elapsed >= timeout) {
      outcome.timed_out = true;
      return outcome;
    }
    if (outcome.last_error.ok()) {
      progress(outcome.decision, outcome.elapsed);
    }
    clock.sleep(std::min(PollInterval(outcome.elapsed), timeout - outcome.elapsed));
  }
}

}  // namespace gantry::cli::internal
