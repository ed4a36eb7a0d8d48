// Cost of authenticating one gRPC call, the work every agent poll, report and client call
// now adds (see auth/grpc_signing.h):
//
//   BM_SignGrpcCall    the client side: canonical request, signing key, signature.
//   BM_VerifyGrpcCall  gantryd's side: parse the header, rebuild the signature, compare.
//
// Compare with the end-to-end cost of a placement in docs/BENCHMARKS.md (about 1.6 ms of
// CPU across all processes, with about four signed calls per task).
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "absl/time/clock.h"
#include "auth/grpc_signing.h"

namespace gantry::auth {
namespace {

constexpr char kMethod[] = "/gantry.v1.AgentControl/PollCommands";
const Credentials kKey{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};

void BM_SignGrpcCall(benchmark::State& state) {
  const absl::Time now = absl::Now();
  for (auto _ : state) {
    benchmark::DoNotOptimize(SignGrpcCall(kMethod, kKey, now));
  }
}
BENCHMARK(BM_SignGrpcCall);

void BM_VerifyGrpcCall(benchmark::State& state) {
  const absl::Time now = absl::Now();
  std::vector<std::pair<std::string, std::string>> metadata = SignGrpcCall(kMethod, kKey, now);
  std::string authorization;
  std::string date;
  for (const auto& [key, value] : metadata) {
    (key == kGrpcAuthorizationKey ? authorization : date) = value;
  }
  auto secret_of = [](std::string_view) -> std::optional<std::string> {
    return kKey.secret_access_key;
  };
  for (auto _ : state) {
    Verdict verdict = VerifyGrpcCall(kMethod, authorization, date, now, secret_of);
    if (verdict.kind != Verdict::Kind::kOk) {
      state.SkipWithError("the signature did not verify");
      break;
    }
    benchmark::DoNotOptimize(verdict);
  }
}
BENCHMARK(BM_VerifyGrpcCall);

}  // namespace
}  // namespace gantry::auth

BENCHMARK_MAIN();
