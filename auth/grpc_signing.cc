#include "auth/grpc_signing.h"

namespace gantry::auth {
namespace {

constexpr char kHost[] = "gantry";
constexpr char kScopeRegion[] = "gantry";
constexpr char kScopeService[] = "grpc";

HttpRequest CallRequest(std::string_view method) {
  HttpRequest request;
  request.method = "POST";
  request.path = std::string(method);
  request.headers.emplace_back("host", kHost);
  return request;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> SignGrpcCall(std::string_view method,
                                                              const Credentials& credentials,
                                                              absl::Time now) {
  HttpRequest request = CallRequest(method);
  Sign(request, credentials, kScopeRegion, kScopeService, now);
  std::vector<std::pair<std::string, std::string>> metadata;
  for (auto& [name, value] : request.headers) {
    if (name == "Authorization") {
      metadata.emplace_back(kGrpcAuthorizationKey, std::move(value));
    } else if (name == "X-Amz-Date") {
      metadata.emplace_back(kGrpcDateKey, std::move(value));
    }
  }
  return metadata;
}

Verdict VerifyGrpcCall(
    std::string_view method, std::string_view authorization, std::string_view amz_date,
    absl::Time now,
    const std::function<std::optional<std::string>(std::string_view access_key_id)>& secret_of) {
  HttpRequest request = CallRequest(method);
  if (!authorization.empty()) {
    request.headers.emplace_back(kGrpcAuthorizationKey, std::string(authorization));
  }
  if (!amz_date.empty()) {
    request.headers.emplace_back(kGrpcDateKey, std::string(amz_date));
  }
  return Verify(request, kScopeRegion, kScopeService, now, secret_of);
}

}  // namespace gantry::auth
