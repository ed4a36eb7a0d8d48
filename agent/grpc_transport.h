// AgentTransport over gRPC's asynchronous callback API: no thread waits on a call, so
// one process can hold thousands of long polls. Each GrpcTransport owns one channel,
// i.e. one HTTP/2 connection, shared by the sessions of up to a few hundred hosts.
//
// Thread-safety: as AgentTransport. `done` runs on a gRPC thread and must not block.
// Every call is counted in a CallCounter from start until its `done` has returned, so
// shutdown can cancel everything and then wait until no callback can run any more.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "gantry/v1/agent.grpc.pb.h"

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/transport.h"
#include "auth/sigv4.h"

namespace gantry::agent {

// Calls in flight, across transports.
class CallCounter {
 public:
  void Add();
  void Done();
  // True once no call is in flight; false when `timeout` passed first.
  bool WaitForZero(absl::Duration timeout);

 private:
  absl::Mutex mutex_;
  int64_t in_flight_ ABSL_GUARDED_BY(mutex_) = 0;
};

class GrpcTransport final : public AgentTransport {
 public:
  // Connects lazily to `endpoint` (HOST:PORT, plaintext); every call is signed with
  // `credentials`. `channel_index` goes into the
  // channel arguments so that every transport gets a connection of its own.
  // `counter` must outlive every call.
  GrpcTransport(const std::string& endpoint, const auth::Credentials& credentials,
                int channel_index, CallCounter* counter);
  GrpcTransport(const GrpcTransport&) = delete;
  GrpcTransport& operator=(const GrpcTransport&) = delete;

  Cancel RegisterHost(const v1::RegisterHostRequest& request, absl::Duration timeout,
                      Done<v1::RegisterHostResponse> done) override;
  Cancel PollCommands(const v1::PollCommandsRequest& request, absl::Duration timeout,
                      Done<v1::PollCommandsResponse> done) override;
  Cancel ReportTaskState(const v1::ReportTaskStateRequest& request, absl::Duration timeout,
                         Done<v1::ReportTaskStateResponse> done) override;
  Cancel ReportTaskMetrics(const v1::ReportTaskMetricsRequest& request, absl::Duration timeout,
                           Done<v1::ReportTaskMetricsResponse> done) override;
  Cancel SubmitLogs(const v1::SubmitLogsRequest& request, absl::Duration timeout,
                    Done<v1::SubmitLogsResponse> done) override;

 private:
  template <typename Request, typename Response, typename Start>
  Cancel Call(const Request& request, absl::Duration timeout, Done<Response> done, Start start);

  CallCounter* const counter_;
  std::unique_ptr<v1::AgentControl::Stub> stub_;
};

}  // namespace gantry::agent
