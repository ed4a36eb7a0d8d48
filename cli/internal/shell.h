// The pieces of gantryctl's I/O shell that its source files share: the streams, the
// gRPC client with its per-call deadline, printing responses and errors, and the
// handlers that wait for tasks. Not for use outside cli/. Everything here does I/O
// and is used from the one thread that runs Run().
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "auth/client.h"
#include "cli/cli.h"
#include "cli/internal/wait.h"
#include "google/protobuf/message.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/status.h"

namespace gantry::cli::internal {

struct Io {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  // Progress lines go to `err` only when it is a terminal.
  bool err_is_terminal = false;
};

template <typename Stub, typename Request, typename Response>
using RpcMethod = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&, Response*);

// A channel to gantryd and one service stub on it; every call gets kRpcTimeout unless
// the caller gives a shorter deadline.
template <typename Stub>
class Client {
 public:
  explicit Client(const Invocation& inv)
      : channel_(inv.credentials.has_value()
                     ? auth::CreateSignedChannel(inv.endpoint, *inv.credentials)
                     : grpc::CreateChannel(inv.endpoint, grpc::InsecureChannelCredentials())),
        stub_(channel_),
        credentials_problem_(inv.credentials_problem) {}

  template <typename Request, typename Response>
  grpc::Status Call(RpcMethod<Stub, Request, Response> method, const Request& request,
                    Response* response,
                    std::chrono::system_clock::duration deadline = kRpcTimeout) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + deadline);
    grpc::Status status = (stub_.*method)(&context, request, response);
    // Unsigned (no key found), the call still tells an unreachable gantryd apart; a
    // refusal is explained by where the key was looked for.
    if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED && !credentials_problem_.empty()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, credentials_problem_);
    }
    return status;
  }

  // A channel that is not READY after a failed call never reached the server.
  bool ReachedServer() {
    return channel_->GetState(/*try_to_connect=*/false) == GRPC_CHANNEL_READY;
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  Stub stub_;
  const std::string credentials_problem_;
};

// `gantryctl: <message>` and where to get help; returns kExitUsage.
int PrintUsageError(const absl::Status& status, std::string_view command, std::ostream& err);
// `error: <CODE>: <message>`; returns kExitError.
int PrintError(const absl::Status& status, std::ostream& err);

// Prints `response` as --output json or text (after --query) want it; returns kExitOk,
// or kExitError when the output stream failed.
int PrintStructured(const Invocation& inv, const google::protobuf::Message& response, Io& io);

template <typename Response>
int PrintResponse(const Invocation& inv, const Response& response, Io& io) {
  if (inv.output != OutputFormat::kTable) {
    return PrintStructured(inv, response, io);
  }
  io.out << FormatTable(response);
  return io.out.good() ? kExitOk : kExitError;
}

// A wait as the shell runs it (see WaitAndPrint).
struct WaitRun {
  DescribeTasksFn describe;
  // Whether the channel to gantryd is connected now, for FormatRpcError.
  std::function<bool()> reached_server;
  WaitClock clock;
  WaitKind kind = WaitKind::kTasksRunning;
  absl::Duration timeout = kDefaultWaitTimeout;
  // Printed to `err` after the error when the wait fails, times out or cannot
  // describe the tasks (FormatStartedTasks for run-task --wait); may be empty.
  std::string after_error;
};

// Waits with WaitForTasks, showing its progress on `err` as one line rewritten in
// place (only when `io.err_is_terminal`; the line is wiped before anything else is
// printed), then prints the last DescribeTasks response as describe-tasks does
// (table, JSON or text, after --query) and returns kExitOk; or prints the failure,
// the timeout (followed by the last describe error when it was being retried) or the
// describe error that ended the wait, then `after_error`, and returns kExitError.
int WaitAndPrint(const Invocation& inv, Io& io, const WaitRun& wait);

// `run-task --wait`: RunTask, then as `wait tasks-running` on the started tasks.
// RunTask failures (nothing placed, a MISSING subnet) are printed as errors and end
// the command with kExitError without waiting. When the wait does not end with the
// tasks RUNNING, the started tasks' ids follow the error (FormatStartedTasks).
int RunTaskAndWait(const Invocation& inv, Io& io);
// `wait tasks-running` and `wait tasks-stopped`.
int RunWaitTasksRunning(const Invocation& inv, Io& io);
// gantryctl logs (logs.cc).
int RunLogs(const Invocation& inv, Io& io);
int RunWaitTasksStopped(const Invocation& inv, Io& io);

}  // namespace gantry::cli::internal
