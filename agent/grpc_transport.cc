#include "agent/grpc_transport.h"

#include <chrono>
#include <utility>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "auth/client.h"

namespace gantry::agent {
namespace {

// A LaunchTask carries a whole task definition; a poll answers up to 100 of them.
constexpr int kMaxReceiveMessageBytes = 64 << 20;
// Keeps gRPC's own reconnect attempts in step with the session backoff (100 ms .. 5 s).
constexpr int kMinReconnectBackoffMs = 100;
constexpr int kMaxReconnectBackoffMs = 5000;

absl::Status ToAbsl(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace

void CallCounter::Add() {
  absl::MutexLock lock(&mutex_);
  ++in_flight_;
}

void CallCounter::Done() {
  absl::MutexLock lock(&mutex_);
  --in_flight_;
}

bool CallCounter::WaitForZero(absl::Duration timeout) {
  absl::MutexLock lock(&mutex_);
  auto zero = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return in_flight_ == 0; };
  return mutex_.AwaitWithTimeout(absl::Condition(&zero), timeout);
}

GrpcTransport::GrpcTransport(const std::string& endpoint, const auth::Credentials& credentials,
                             int channel_index, CallCounter* counter)
    : counter_(counter) {
  grpc::ChannelArguments args;
  // Channels with equal arguments would share one subchannel (one connection) through
  // the global pool; a local pool and a distinct argument keep them apart.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("gantry.agent_channel", channel_index);
  args.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, kMinReconnectBackoffMs);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kMinReconnectBackoffMs);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectBackoffMs);
  stub_ = v1::AgentControl::NewStub(auth::CreateSignedChannel(endpoint, credentials, args));
}

template <typename Request, typename Response, typename Start>
AgentTransport::Cancel GrpcTransport::Call(const Request& request, absl::Duration timeout,
                                           Done<Response> done, Start start) {
  // gRPC needs the context, request and response until the callback has run; the
  // callback owns them (the cancel function only observes).
  struct State {
    grpc::ClientContext context;
    Request request;
    Response response;
  };
  auto state = std::make_shared<State>();
  state->request = request;
  state->context.set_deadline(std::chrono::system_clock::now() +
                              absl::ToChronoMilliseconds(timeout));
  counter_->Add();
  CallCounter* counter = counter_;
  start(&state->context, &state->request, &state->response,
        [state, done = std::move(done), counter](grpc::Status status) {
          if (status.ok()) {
            done(std::move(state->response));
          } else {
            done(ToAbsl(status));
          }
          counter->Done();
        });
  return [weak = std::weak_ptr<State>(state)] {
    if (std::shared_ptr<State> live = weak.lock()) live->context.TryCancel();
  };
}

AgentTransport::Cancel GrpcTransport::RegisterHost(const v1::RegisterHostRequest& request,
                                                   absl::Duration timeout,
                                                   Done<v1::RegisterHostResponse> done) {
  return Call(request, timeout, std::move(done),
              [this](grpc::ClientContext* context, const v1::RegisterHostRequest* in,
                     v1::RegisterHostResponse* out, std::function<void(grpc::Status)> then) {
                stub_->async()->RegisterHost(context, in, out, std::move(then));
              });
}

AgentTransport::Cancel GrpcTransport::PollCommands(const v1::PollCommandsRequest& request,
                                                   absl::Duration timeout,
                                                   Done<v1::PollCommandsResponse> done) {
  return Call(request, timeout, std::move(done),
              [this](grpc::ClientContext* context, const v1::PollCommandsRequest* in,
                     v1::PollCommandsResponse* out, std::function<void(grpc::Status)> then) {
                stub_->async()->PollCommands(context, in, out, std::move(then));
              });
}

AgentTransport::Cancel GrpcTransport::ReportTaskState(const v1::ReportTaskStateRequest& request,
                                                      absl::Duration timeout,
                                                      Done<v1::ReportTaskStateResponse> done) {
  return Call(request, timeout, std::move(done),
              [this](grpc::ClientContext* context, const v1::ReportTaskStateRequest* in,
                     v1::ReportTaskStateResponse* out, std::function<void(grpc::Status)> then) {
                stub_->async()->ReportTaskState(context, in, out, std::move(then));
              });
}

AgentTransport::Cancel GrpcTransport::ReportTaskMetrics(const v1::ReportTaskMetricsRequest& request,
                                                        absl::Duration timeout,
                                                        Done<v1::ReportTaskMetricsResponse> done) {
  return Call(request, timeout, std::move(done),
              [this](grpc::ClientContext* context, const v1::ReportTaskMetricsRequest* in,
                     v1::ReportTaskMetricsResponse* out, std::function<void(grpc::Status)> then) {
                stub_->async()->ReportTaskMetrics(context, in, out, std::move(then));
              });
}

AgentTransport::Cancel GrpcTransport::SubmitLogs(const v1::SubmitLogsRequest& request,
                                                 absl::Duration timeout,
                                                 Done<v1::SubmitLogsResponse> done) {
  return Call(request, timeout, std::move(done),
              [this](grpc::ClientContext* context, const v1::SubmitLogsRequest* in,
                     v1::SubmitLogsResponse* out, std::function<void(grpc::Status)> then) {
                stub_->async()->SubmitLogs(context, in, out, std::move(then));
              });
}

}  // namespace gantry::agent
