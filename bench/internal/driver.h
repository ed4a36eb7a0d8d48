// gantry-bench's gRPC side: creates the network, task definitions and cluster it uses,
// then drives RunTask calls from many client threads, closed-loop (each client sends
// its next call when the last one is answered) or open-loop (calls sent on a schedule).
//
// Each client thread has its own synchronous stub; four clients share one channel (one
// HTTP/2 connection). Setup calls report the first failure as their status. RunPhase
// never fails as a whole: RPC errors and RunTask failures[] are counted in the result.
// A Driver is used from one thread (RunPhase starts and joins its own threads).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "auth/sigv4.h"
#include "bench/internal/workload.h"

namespace gantry::bench::internal {

using SteadyTime = std::chrono::steady_clock::time_point;

// Subnet ids: subnets[vpc][zone].
struct BenchNetwork {
  std::vector<std::vector<std::string>> subnets;
};

struct PhaseOptions {
  std::string label;  // progress lines start with it
  std::string cluster;
  std::string started_by;
  const BenchNetwork* network = nullptr;
  std::vector<Call> calls;
  int clients = 1;
  // Open loop: calls are due at PacingOffsets(calls, rate) after the phase starts, and a
  // call's latency counts from when it was due. Unset: closed loop.
  std::optional<double> tasks_per_second;
};

struct PhaseResult {
  SteadyTime first_send{};
  SteadyTime last_answer{};
  // The latest answer that returned placed tasks; unset when none did.
  std::optional<SteadyTime> last_placed_answer;
  std::vector<double> latencies_ms;      // one per answered call
  std::vector<std::string> task_ids;     // every task returned, in no particular order
  std::vector<std::string> waiting_ids;  // returned without a host (placed later)
  int64_t rpc_errors = 0;
  int64_t failures = 0;             // entries of failures[] in the answers
  int64_t late_calls = 0;           // open loop: sent more than 5 ms after they were due
  std::vector<std::string> errors;  // the first few messages, for the report
};

class Driver {
 public:
  // Every call is signed with `credentials`.
  Driver(const std::string& endpoint, const auth::Credentials& credentials, int clients);

  // 3 VPCs, each with one /18 subnet per zone (workload.h).
  absl::StatusOr<BenchNetwork> CreateNetwork();
  // One task definition per Families() entry: awsvpc, FARGATE, one nginx container.
  absl::Status RegisterFamilies();
  absl::Status CreateCluster(const std::string& name);

  // Sends every call of `options`; prints a progress line to stderr every second.
  // Stops sending new calls once the bench is interrupted.
  PhaseResult RunPhase(const PhaseOptions& options);

 private:
  std::shared_ptr<grpc::Channel> ChannelFor(int client) const;

  std::vector<std::shared_ptr<grpc::Channel>> channels_;
};

}  // namespace gantry::bench::internal
