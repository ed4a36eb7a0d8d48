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
#include "auth/sigv4.h"

namespace gantry::api::aws {

// The secret of an access key, or nullopt when Gantry did not issue it.
using SecretLookup = std::function<std::optional<std::string>(std::string_view access_key_id)>;

// The handler for HttpServer. `ecs` and `network` must outlive the server. `now` is the
// clock (tests pass a fixed one).
HttpHandler MakeFrontEnd(EcsOperations* ecs, NetworkOperations* network, std::string region,
                         SecretLookup secret_of, std::function<absl::Time()> now = absl::Now);

// The answer to a request whose body exceeds the server's limit.
AwsResponse RequestTooLarge(size_t max_body_bytes);

// The ECS and EC2 errors for a request that failed authentication.
AwsResponse EcsAuthError(const auth::Verdict& verdict);
AwsResponse Ec2AuthError(const auth::Verdict& verdict);

}  // namespace gantry::api::aws
