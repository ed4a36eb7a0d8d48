#include "api/aws/front_end.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"

namespace gantry::api::aws {
namespace {

std::optional<std::string> Header(const auth::HttpRequest& request, absl::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

bool IsQueryProtocol(const auth::HttpRequest& request) {
  const std::string content_type = Header(request, "content-type").value_or("");
  return absl::StartsWith(absl::AsciiStrToLower(content_type),
                          "application/x-www-form-urlencoded") ||
         absl::StartsWith(request.query, "Action=") || absl::StrContains(request.query, "&Action=");
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// EC2's error document.
AwsResponse Ec2Error(int http_status, std::string_view code, std::string_view message) {
  return {http_status, "text/xml;charset=UTF-8",
          absl::StrCat(
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>",
              XmlEscape(code), "</Code><Message>", XmlEscape(message),
              "</Message></Error></Errors><RequestID>", ids::NewUuid(), "</RequestID></Response>")};
}

}  // namespace

AwsResponse RequestTooLarge(size_t max_body_bytes) {
  return EcsError(413, "RequestEntityTooLargeException",
                  absl::StrCat("Request body is larger than ", max_body_bytes, " bytes"));
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

HttpHandler MakeFrontEnd(EcsOperations* ecs, std::string region, SecretLookup secret_of,
                         std::function<absl::Time()> now) {
  return [ecs, region = std::move(region), secret_of = std::move(secret_of), now = std::move(now)](
             auth::HttpRequest request, std::function<void(AwsResponse)> respond) {
    if (IsQueryProtocol(request)) {
      respond(Ec2Error(400, "InvalidAction",
                       "Gantry does not serve the EC2 Query protocol yet; use gantryctl for "
                       "VPCs, subnets and security groups"));
      return;
    }
    const std::optional<std::string> target = Header(request, "x-amz-target");
    if (!target.has_value()) {
      respond(EcsError(400, "UnknownOperationException",
                       "X-Amz-Target: missing; ECS requests name their operation there "
                       "(AmazonEC2ContainerServiceV20141113.<Operation>)"));
      return;
    }
    if (request.method != "POST") {
      respond(EcsError(400, "UnknownOperationException",
                       absl::StrCat("method ", request.method, ": ECS requests are POST /")));
      return;
    }
    const auth::Verdict verdict = auth::Verify(request, region, "ecs", now(), secret_of);
    if (verdict.kind != auth::Verdict::Kind::kOk) {
      respond(EcsAuthError(verdict));
      return;
    }
    DispatchEcs(*ecs, *target, request.body, std::move(respond));
  };
}

}  // namespace gantry::api::aws
