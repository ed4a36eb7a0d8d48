// gantryd's AWS-compatible front end: authenticates each request with SigV4 and routes
// it by protocol. ECS speaks AWS JSON 1.1 (X-Amz-Target, signing name `ecs`); a
// form-encoded `Action=` request is EC2's Query protocol (signing name `ec2`), answered
// in XML. Errors, authentication's included, take each protocol's own shape.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "api/api.h"
#include "api/aws/http_server.h"
#include "api/key_ring.h"
#include "auth/sigv4.h"

namespace gantry::api::aws {

// The handler for HttpServer. Requests must be signed by a key of `keys`, and run as the
// caller that key makes. `ecs`, `network` and `keys` must outlive the server. `now` is the
// clock (tests pass a fixed one).
HttpHandler MakeFrontEnd(EcsOperations* ecs, NetworkOperations* network, std::string region,
                         const KeyRing* keys, std::function<absl::Time()> now = absl::Now);

// HttpService::check_head: refuses, before its body is read, a request that MakeFrontEnd
// would refuse for its signature whatever the body: not signed, signed by an unknown key,
// out of the clock window, for another region or service; and an ECS request that names
// no operation or is not a POST. So a client without a key cannot make gantryd buffer
// bodies.
std::function<std::optional<AwsResponse>(const auth::HttpRequest& head)> MakeHeadCheck(
    std::string region, const KeyRing* keys, std::function<absl::Time()> now = absl::Now);

// HttpService::refuse: a request the server refused itself, in ECS's error shape.
AwsResponse RefuseRequest(int http_status, const std::string& message);

// The ECS and EC2 errors for a request that failed authentication.
AwsResponse EcsAuthError(const auth::Verdict& verdict);
AwsResponse Ec2AuthError(const auth::Verdict& verdict);

}  // namespace gantry::api::aws
