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

// The answer to a request whose body exceeds the server's limit.
AwsResponse RequestTooLarge(size_t max_body_bytes);

// The ECS and EC2 errors for a request that failed authentication.
AwsResponse EcsAuthError(const auth::Verdict& verdict);
AwsResponse Ec2AuthError(const auth::Verdict& verdict);

}  // namespace gantry::api::aws
