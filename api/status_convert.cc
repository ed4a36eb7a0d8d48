#include "api/status_convert.h"

#include <atomic>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/log.h"

namespace gantry::api {
namespace {

std::string NextRequestId() {
  // Start time plus a counter: unique within a process and across restarts.
  static const int64_t start = absl::ToUnixMicros(absl::Now());
  static std::atomic<uint64_t> counter{0};
  return absl::StrFormat("%x-%x", start, counter.fetch_add(1, std::memory_order_relaxed));
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  std::string message(status.message());
  if (status.code() == absl::StatusCode::kInternal) {
    std::string request_id = NextRequestId();
    log::Error("internal_error", {{"request_id", request_id}, {"error", message}});
    message = absl::StrCat("internal error (request id ", request_id, ")");
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), message);
}

}  // namespace gantry::api
