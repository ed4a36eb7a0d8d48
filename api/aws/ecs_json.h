// ECS over the AWS JSON 1.1 protocol, the way the aws CLI and the AWS SDKs speak it:
// `POST /` with `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Operation>` and a
// JSON body in ECS's request shape. Each operation is the same EcsOperations method
// the gRPC service calls; this file only converts JSON and errors.
//
// Errors are answered as ECS answers them: HTTP 400 (500 for server faults) with
// `{"__type": "<ExceptionName>", "message": "..."}`.
//
// Thread-safe: no state beyond the operations it calls.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "api/api.h"

namespace gantry::api::aws {

// An HTTP answer in AWS's shape, transport-neutral.
struct AwsResponse {
  int http_status = 200;
  std::string content_type;
  std::string body;
  // The x-amzn-RequestId header; empty: the server makes one. Set when the body names
  // the request too (EC2's XML), so that both agree.
  std::string request_id;
};

// The X-Amz-Target prefix of ECS operations.
inline constexpr std::string_view kEcsTargetPrefix = "AmazonEC2ContainerServiceV20141113.";
inline constexpr std::string_view kAmzJson11 = "application/x-amz-json-1.1";

// An ECS error answer: `type` is the exception name, e.g. "ClientException".
AwsResponse EcsError(int http_status, std::string_view type, std::string_view message);

// The ECS exception name and HTTP status for a failed operation's status.
AwsResponse EcsErrorFor(const absl::Status& status);

// Runs the operation `target` names with `body` for `caller`; `done` is called exactly
// once, from this thread (bad request) or from whichever thread finishes the operation.
void DispatchEcs(EcsOperations& operations, const Caller& caller, std::string_view target,
                 std::string_view body, std::function<void(AwsResponse)> done);

}  // namespace gantry::api::aws
