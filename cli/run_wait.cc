// The shell of waiting for tasks: `run-task --wait`, `wait tasks-running` and
// `wait tasks-stopped` poll DescribeTasks on the real clock and print the outcome.
#include <algorithm>
#include <chrono>
#include <ostream>
#include <string>
#include <utility>

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

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// DescribeTasks of `request` on `client`, which must outlive the returned function.
// `server_reached` says whether gantryd has answered this command already.
DescribeTasksFn DescribeOn(EcsClient& client, v1::DescribeTasksRequest request,
                           bool server_reached) {
  return [&client, request = std::move(request),
          reached = server_reached](absl::Duration deadline) mutable {
    v1::DescribeTasksResponse response;
    const grpc::Status status =
        client.Call(&v1::Ecs::Stub::DescribeTasks, request, &response,
                    std::chrono::duration_cast<std::chrono::system_clock::duration>(
                        absl::ToChronoNanoseconds(deadline)));
    // A channel that is READY after a failed call did reach gantryd (a full queue).
    reached = reached || status.ok() || client.ReachedServer();
    DescribeAttempt attempt;
    attempt.server_reached = reached;
    if (status.ok()) {
      attempt.response = std::move(response);
    } else {
      // The codes match (STYLE.md section 4).
      attempt.response =
          absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
    }
    return attempt;
  };
}

WaitRun RealWait(EcsClient& client, v1::DescribeTasksRequest request, bool server_reached,
                 WaitKind kind, absl::Duration timeout) {
  WaitRun wait;
  wait.describe = DescribeOn(client, std::move(request), server_reached);
  wait.reached_server = [&client] { return client.ReachedServer(); };
  wait.clock = {[] { return absl::Now(); }, [](absl::Duration d) { absl::SleepFor(d); }};
  wait.kind = kind;
  wait.timeout = timeout;
  return wait;
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
  EcsClient client(inv);
  return WaitAndPrint(
      inv, io, RealWait(client, *std::move(request), /*server_reached=*/false, kind, *timeout));
}

}  // namespace

int WaitAndPrint(const Invocation& inv, Io& io, const WaitRun& wait) {
  absl::StatusOr<WaitOutcome> outcome;
  {
    ProgressLine progress(io);
    outcome = WaitForTasks(wait.describe, wait.kind, wait.timeout, wait.clock,
                           [&](const WaitDecision& decision, absl::Duration elapsed) {
                             progress.Show(FormatWaitProgress(decision, elapsed));
                           });
  }
  if (!outcome.ok()) {
    io.err << FormatRpcError(ToGrpc(outcome.status()), inv.endpoint, wait.reached_server());
  } else if (outcome->timed_out) {
    io.err << "error: " << FormatWaitTimeout(outcome->decision, wait.timeout) << "\n";
    if (!outcome->last_error.ok()) {
      io.err << FormatRpcError(ToGrpc(outcome->last_error), inv.endpoint, wait.reached_server());
    }
  } else if (outcome->decision.state == WaitDecision::State::kFailed) {
    io.err << FormatWaitFailure(outcome->decision);
  } else {
    return PrintResponse(inv, outcome->response, io);
  }
  io.err << wait.after_error;
  return kExitError;
}

int RunTaskAndWait(const Invocation& inv, Io& io) {
  absl::StatusOr<v1::RunTaskRequest> request = BuildRunTaskRequest(inv);
  if (!request.ok()) {
    return PrintUsageError(request.status(), inv.command, io.err);
  }
  absl::StatusOr<absl::Duration> timeout = Timeout(inv);
  if (!timeout.ok()) {
    return PrintUsageError(timeout.status(), inv.command, io.err);
  }
  EcsClient client(inv);
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
  // RunTask answered, so a describe error now is gantryd's trouble, not a wrong endpoint.
  WaitRun wait = RealWait(client, std::move(describe), /*server_reached=*/true,
                          WaitKind::kTasksRunning, *timeout);
  wait.after_error = FormatStartedTasks(started);
  return WaitAndPrint(inv, io, wait);
}

int RunWaitTasksRunning(const Invocation& inv, Io& io) {
  return RunWait(inv, io, WaitKind::kTasksRunning);
}

int RunWaitTasksStopped(const Invocation& inv, Io& io) {
  return RunWait(inv, io, WaitKind::kTasksStopped);
}

}  // namespace gantry::cli::internal
