// How gRPC callers of gantryd (gantryctl, agents) authenticate: each call carries a
// SigV4 signature, made with the caller's access key, of a fixed request that names the
// call's method. Pure: no I/O, no clock, no gRPC types.
//
// The signed request is `POST <method path>` (e.g. /gantry.v1.Ecs/RunTask) with the
// headers host: gantry and x-amz-date, an empty body, and the credential scope
// DATE/gantry/grpc/aws4_request. The call sends two metadata entries, `authorization` and
// `x-amz-date`, as an HTTP request would send the headers. The signature thus binds the
// key, the method and the time (within kMaxClockSkew), not the message: as with bearer
// tokens, keeping a captured call from being replayed for another message within that
// window is the transport's job (TLS), not the signature's.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "auth/sigv4.h"

namespace gantry::auth {

inline constexpr char kGrpcAuthorizationKey[] = "authorization";
inline constexpr char kGrpcDateKey[] = "x-amz-date";

// The metadata entries (key, value) that authenticate a call of `method` made at `now`.
std::vector<std::pair<std::string, std::string>> SignGrpcCall(std::string_view method,
                                                              const Credentials& credentials,
                                                              absl::Time now);

// Verifies a call of `method` that carried these metadata values (empty when absent).
Verdict VerifyGrpcCall(
    std::string_view method, std::string_view authorization, std::string_view amz_date,
    absl::Time now,
    const std::function<std::optional<std::string>(std::string_view access_key_id)>& secret_of);

}  // namespace gantry::auth
