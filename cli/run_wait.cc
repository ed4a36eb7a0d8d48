// The shell of waiting for tasks: `run-task --wait`, `wait tasks-running` and
// `wait tasks-stopped` poll DescribeTasks on the real clock and print the outcome.
#include <algorithm>
#include <ostream>
#include <string>

#include "gantry/v1/ecs.grpc.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/cli.h"
#include "cli/internal/shell.h"
#include "cli/internal/wait.h"

namespace gantry::cli::internal {
namespace {

using EcsClient = Client<v1::Ecs::Stub>;

// One line on a terminal, rewritten in place with "\r"; nothing at all when `err` is
// not a terminal, so logs and pipes never get progress noise.
class ProgressLine {
 public:
  explicit ProgressLine(Io& io) : io_(io) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine() { Clear(); }

  void Show(const std::string& line) {
    if (!io_.err_is_terminal) {
      return;
    }
    // Blanks wipe what is left of a longer previous line.
    io_.err << "\r" << line << std::string(width_ > line.size() ? width_ - line.size() : 0, ' ')
            << std::flush;
    width_ = std::max(width_, line.size());
  }

  void Clear() {
    if (width_ > 0) {
      io_.err << "\r" << std::string(width_, ' ') << "\r" << std::flush;
      width_ = 0;
    }
  }

 private:
  Io& io_;
  size_t width_ = 0;  // the longest line shown since the last Clear
};

absl::StatusOr<absl::Duration> Timeout(const Invocation& inv) {
  return inv.Has("timeout") ? ParseWaitTimeout(inv.Value("timeout")) : kDefaultWaitTimeout;
}

// Polls `request` until the wait is decided, then prints the last DescribeTasks
// response (table, JSON or text, after --query) or the errors.
int WaitAndPrint(const Invocation& inv, Io& io, EcsClient& client,
                 const v1::DescribeTasksRequest& request, WaitKind kind, absl::Duration timeout) {
  grpc::Status rpc_status;
  auto describe = [&]() -> absl::StatusOr<v1::DescribeTasksResponse> {
    v1::DescribeTasksResponse response;
    rpc_status = client.Call(&v1::Ecs::Stub::DescribeTasks, request, &response);
    if (!rpc_status.ok()) {
      return absl::UnknownError("DescribeTasks failed");  // reported from rpc_status below
    }
    return response;
  };
  const WaitClock clock{[] { return absl::Now(); }, [](absl::Duration d) { absl::SleepFor(d); }};
  absl::StatusOr<WaitOutcome> outcome;
  {
    ProgressLine progress(io);
    outcome = WaitForTasks(describe, kind, timeout, clock,
                           [&](const WaitDecision& decision, absl::Duration elapsed) {
                             progress.Show(FormatWaitProgress(decision, elapsed));
                           });
  }
  if (!rpc_status.ok()) {
    io.err << FormatRpcError(rpc_status, inv.endpoint, client.ReachedServer());
    return kExitError;
  }
  if (!outcome.ok()) {
    return PrintError(outcome.status(), io.err);
  }
  if (outcome->timed_out) {
    io.err << "error: " << FormatWaitTimeout(outcome->decision, timeout) << "\n";
    return kExitError;
  }
  if (outcome->decision.state == WaitDecision::State::kFailed) {
    io.err << FormatWaitFailure(outcome->decision);
    return kExitError;
  }
  return PrintResponse(inv, outcome->response, io);
}

int RunWait(const Invocation& inv, Io& io, WaitKind kind) {
  absl::StatusOr<v1::DescribeTasksRequest> request = BuildDescribeTasksRequest(inv);
  if (!request.ok()) {
    return PrintUsageError(request.status(), inv.command, io.err);
  }
  absl::StatusOr<absl::Duration> timeout = Timeout(inv);
  if (!timeout.ok()) {
    return PrintUsageError(timeout.status(), inv.command, io.err);
  }
  EcsClient client(inv.endpoint);
  return WaitAndPrint(inv, io, client, *request, kind, *timeout);
}

}  // namespace

int RunTaskAndWait(const Invocation& inv, Io& io) {
  absl::StatusOr<v1::RunTaskRequest> request = BuildRunTaskRequest(inv);
  if (!request.ok()) {
    return PrintUsageError(request.status(), inv.command, io.err);
  }
  absl::StatusOr<absl::Duration> timeout = Timeout(inv);
  if (!timeout.ok()) {
    return PrintUsageError(timeout.status(), inv.command, io.err);
  }
  EcsClient client(inv.endpoint);
  v1::RunTaskResponse started;
  grpc::Status status = client.Call(&v1::Ecs::Stub::RunTask, *request, &started);
  if (!status.ok()) {
    io.err << FormatRpcError(status, inv.endpoint, client.ReachedServer());
    return kExitError;
  }
  if (!started.failures().empty()) {
    io.err << FormatRunTaskFailures(started);
    return kExitError;
  }
  if (started.tasks().empty()) {
    io.err << "error: RunTask started no tasks and reported no failures\n";
    return kExitError;
  }
  v1::DescribeTasksRequest describe;
  if (request->has_cluster()) {
    describe.set_cluster(request->cluster());
  }
  for (const v1::Task& task : started.tasks()) {
    describe.add_tasks(task.task_arn());
  }
  return WaitAndPrint(inv, io, client, describe, WaitKind::kTasksRunning, *timeout);
}

int RunWaitTasksRunning(const Invocation& inv, Io& io) {
  return RunWait(inv, io, WaitKind::kTasksRunning);
}

int RunWaitTasksStopped(const Invocation& inv, Io& io) {
  return RunWait(inv, io, WaitKind::kTasksStopped);
}

}  // namespace gantry::cli::internal
