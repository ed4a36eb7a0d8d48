// The pieces of gantryctl's I/O shell that its source files share: the streams, the
// gRPC client with its per-call deadline, printing responses and errors, and the
// handlers that wait for tasks. Not for use outside cli/. Everything here does I/O
// and is used from the one thread that runs Run().
#pragma once

#include <chrono>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "cli/cli.h"
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

// A channel to gantryd and one service stub on it; every call gets kRpcTimeout.
template <typename Stub>
class Client {
 public:
  explicit Client(const std::string& endpoint)
      : channel_(grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials())),
        stub_(channel_) {}

  template <typename Request, typename Response>
  grpc::Status Call(RpcMethod<Stub, Request, Response> method, const Request& request,
                    Response* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kRpcTimeout);
    return (stub_.*method)(&context, request, response);
  }

  // A channel that is not READY after a failed call never reached the server.
  bool ReachedServer() {
    return channel_->GetState(/*try_to_connect=*/false) == GRPC_CHANNEL_READY;
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  Stub stub_;
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

// `run-task --wait`: RunTask, then as `wait tasks-running` on the started tasks.
// RunTask failures (nothing placed, a MISSING subnet) are printed as errors and end
// the command with kExitError without waiting.
int RunTaskAndWait(const Invocation& inv, Io& io);
// `wait tasks-running` and `wait tasks-stopped`.
int RunWaitTasksRunning(const Invocation& inv, Io& io);
int RunWaitTasksStopped(const Invocation& inv, Io& io);

}  // namespace gantry::cli::internal
