#include "api/aws/front_end.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/aws/ec2_query.h"

namespace gantry::api::aws {
namespace {

std::optional<std::string> Header(const auth::HttpRequest& request, absl::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (absl::EqualsIgnoreCase(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

bool IsQueryProtocol(const auth::HttpRequest& request) {
  const std::string content_type = Header(request, "content-type").value_or("");
  return absl::StartsWith(absl::AsciiStrToLower(content_type),
                          "application/x-www-form-urlencoded") ||
         absl::StartsWith(request.query, "Action=") || absl::StrContains(request.query, "&Action=");
}

// Whether a verified signature covers X-Amz-Target. Without it, a captured request could
// be replayed as another operation with the same body; the SDKs always sign it.
bool TargetSigned(const auth::Verdict& verdict) {
  for (const std::string& name : verdict.signed_headers) {
    if (absl::EqualsIgnoreCase(name, "x-amz-target")) {
      return true;
    }
  }
  return false;
}

}  // namespace

AwsResponse RefuseRequest(int http_status, const std::string& message) {
  // Which protocol the client speaks is not known yet; every SDK reads ECS's JSON shape.
  return EcsError(http_status,
                  http_status == 413 ? "RequestEntityTooLargeException" : "SerializationException",
                  message);
}

AwsResponse EcsAuthError(const auth::Verdict& verdict) {
  using Kind = auth::Verdict::Kind;
  switch (verdict.kind) {
    case Kind::kMissing:
      return EcsError(400, "MissingAuthenticationTokenException",
                      verdict.message.empty() ? "Missing Authentication Token" : verdict.message);
    case Kind::kMalformed:
      return EcsError(400, "IncompleteSignatureException", verdict.message);
    case Kind::kUnknownKey:
      return EcsError(400, "UnrecognizedClientException",
                      "The security token included in the request is invalid.");
    case Kind::kBadSignature:
    case Kind::kExpired:
    case Kind::kWrongScope:
      return EcsError(400, "InvalidSignatureException", verdict.message);
    case Kind::kOk:
      break;
  }
  return EcsError(500, "ServerException", "authentication: unexpected verdict");
}

AwsResponse Ec2AuthError(const auth::Verdict& verdict) {
  using Kind = auth::Verdict::Kind;
  switch (verdict.kind) {
    case Kind::kMissing:
      return Ec2Error(403, "MissingAuthenticationToken",
                      "The request must contain the parameter AWSAccessKeyId or a SigV4 "
                      "Authorization header");
    case Kind::kMalformed:
      return Ec2Error(400, "IncompleteSignature", verdict.message);
    case Kind::kUnknownKey:
      return Ec2Error(401, "AuthFailure",
                      "AWS was not able to validate the provided access credentials");
    case Kind::kExpired:
      return Ec2Error(400, "RequestExpired", verdict.message);
    case Kind::kBadSignature:
    case Kind::kWrongScope:
      return Ec2Error(403, "SignatureDoesNotMatch", verdict.message);
    case Kind::kOk:
      break;
  }
  return Ec2Error(500, "InternalError", "authentication: unexpected verdict");
}

namespace {

// Verifies `request` for `service` against `keys`; the caller is the key as looked up
// during verification.
struct Authenticated {
  auth::Verdict verdict;
  std::optional<Caller> caller;
};
Authenticated Authenticate(const auth::HttpRequest& request, const KeyRing& keys,
                           std::string_view region, std::string_view service, absl::Time now) {
  Authenticated result;
  result.verdict =
      auth::Verify(request, region, service, now,
                   [&keys, &result](std::string_view access_key_id) -> std::optional<std::string> {
                     std::optional<AccessKey> key = keys.Find(access_key_id);
                     if (!key.has_value()) {
                       return std::nullopt;
                     }
                     result.caller = key->caller;
                     return key->secret;
                   });
  return result;
}

// An ECS request must name its operation and be a POST.
std::optional<AwsResponse> RefuseEcsRequestLine(const auth::HttpRequest& request) {
  if (!Header(request, "x-amz-target").has_value()) {
    return EcsError(400, "UnknownOperationException",
                    "X-Amz-Target: missing; ECS requests name their operation there "
                    "(AmazonEC2ContainerServiceV20141113.<Operation>)");
  }
  if (request.method != "POST") {
    return EcsError(400, "UnknownOperationException",
                    absl::StrCat("method ", request.method, ": ECS requests are POST /"));
  }
  return std::nullopt;
}

std::optional<AwsResponse> RefuseEcsSignature(const auth::Verdict& verdict) {
  if (verdict.kind != auth::Verdict::Kind::kOk) {
    return EcsAuthError(verdict);
  }
  if (!TargetSigned(verdict)) {
    return EcsError(400, "IncompleteSignatureException",
                    "SignedHeaders: must include x-amz-target, which names the operation");
  }
  return std::nullopt;
}

}  // namespace

std::function<std::optional<AwsResponse>(const auth::HttpRequest&)> MakeHeadCheck(
    std::string region, const KeyRing* keys, std::function<absl::Time()> now) {
  return [keys, region = std::move(region),
          now = std::move(now)](const auth::HttpRequest& head) -> std::optional<AwsResponse> {
    const auto known = [keys](std::string_view access_key_id) {
      return keys->Find(access_key_id).has_value();
    };
    if (IsQueryProtocol(head)) {
      const auth::Verdict verdict = auth::VerifyHead(head, region, "ec2", now(), known);
      if (verdict.kind != auth::Verdict::Kind::kOk) {
        return Ec2AuthError(verdict);
      }
      return std::nullopt;
    }
    if (std::optional<AwsResponse> refused = RefuseEcsRequestLine(head)) {
      return refused;
    }
    return RefuseEcsSignature(auth::VerifyHead(head, region, "ecs", now(), known));
  };
}

HttpHandler MakeFrontEnd(EcsOperations* ecs, NetworkOperations* network, std::string region,
                         const KeyRing* keys, std::function<absl::Time()> now) {
  return [ecs, network, keys, region = std::move(region), now = std::move(now)](
             auth::HttpRequest request, std::function<void(AwsResponse)> respond) {
    if (IsQueryProtocol(request)) {
      const Authenticated auth = Authenticate(request, *keys, region, "ec2", now());
      if (auth.verdict.kind != auth::Verdict::Kind::kOk) {
        respond(Ec2AuthError(auth.verdict));
        return;
      }
      // The SDKs POST the form; a GET carries it in the query string.
      DispatchEc2(*network, *auth.caller, request.method == "POST" ? request.body : request.query,
                  std::move(respond));
      return;
    }
    if (std::optional<AwsResponse> refused = RefuseEcsRequestLine(request)) {
      respond(*std::move(refused));
      return;
    }
    const Authenticated auth = Authenticate(request, *keys, region, "ecs", now());
    if (std::optional<AwsResponse> refused = RefuseEcsSignature(auth.verdict)) {
      respond(*std::move(refused));
      return;
    }
    DispatchEcs(*ecs, *auth.caller, *Header(request, "x-amz-target"), request.body,
                std::move(respond));
  };
}

}  // namespace gantry::api::aws
