// The agent transport seam: the AgentControl calls (agent.proto) an agent makes, as
// asynchronous functions (no Ack: every poll acknowledges), so that a host session can
// be driven by a fake in tests and by gRPC (grpc_transport.h) in production.
//
// Thread-safety: calls may be started from any thread. `done` runs exactly once, on a
// transport thread or inline, with the response or the call's status (gRPC codes map
// one to one onto absl codes; UNAVAILABLE covers connection failures). The returned
// Cancel may be called from any thread, at any time, any number of times; a cancelled
// call still runs `done` (usually with CANCELLED).
#pragma once

#include <functional>

#include "gantry/v1/agent.pb.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gantry::agent {

class AgentTransport {
 public:
  template <typename Response>
  using Done = std::function<void(absl::StatusOr<Response>)>;
  using Cancel = std::function<void()>;

  virtual ~AgentTransport() = default;

  // Each call fails with DEADLINE_EXCEEDED when it has not finished within `timeout`.
  virtual Cancel RegisterHost(const v1::RegisterHostRequest& request, absl::Duration timeout,
                              Done<v1::RegisterHostResponse> done) = 0;
  virtual Cancel PollCommands(const v1::PollCommandsRequest& request, absl::Duration timeout,
                              Done<v1::PollCommandsResponse> done) = 0;
  virtual Cancel ReportTaskState(const v1::ReportTaskStateRequest& request, absl::Duration timeout,
                                 Done<v1::ReportTaskStateResponse> done) = 0;
  virtual Cancel ReportTaskMetrics(const v1::ReportTaskMetricsRequest& request,
                                   absl::Duration timeout,
                                   Done<v1::ReportTaskMetricsResponse> done) = 0;
  virtual Cancel SubmitLogs(const v1::SubmitLogsRequest& request, absl::Duration timeout,
                            Done<v1::SubmitLogsResponse> done) = 0;
};

}  // namespace gantry::agent
