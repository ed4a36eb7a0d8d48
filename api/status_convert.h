// The one place that turns absl::Status into grpc::Status: the canonical code numbers
// match, so code and message are copied. INTERNAL errors get a request id (logged with
// the error) so a user's report can be matched to the server's log.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace gantry::api {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace gantry::api
