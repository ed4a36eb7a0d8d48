// Fuzzes auth::Verify on whole requests (fuzz_support.h's HTTP-like text form) with a fixed
// key and clock, for both signing names the front end serves (ecs, ec2). The seeds are
// requests botocore signed with that key at that time, so mutations start from requests
// that verify and reach every step up to the signature comparison.
//
// Also checks Sign against Verify: a request with a Host header, signed by auth::Sign at
// the fixed time, must verify.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/sigv4.h"
#include "fuzz/fuzz_support.h"

namespace gantry::fuzz {
namespace {

std::optional<std::string> SecretOf(std::string_view access_key_id) {
  if (access_key_id != kAccessKeyId) {
    return std::nullopt;
  }
  return std::string(kSecretAccessKey);
}

bool HasHost(const auth::HttpRequest& request) {
  for (const auto& header : request.headers) {
    if (absl::EqualsIgnoreCase(header.first, "host")) {
      return true;
    }
  }
  return false;
}

void CheckVerdict(const auth::Verdict& verdict) {
  if (verdict.kind == auth::Verdict::Kind::kOk) {
    Require(verdict.access_key_id == kAccessKeyId, "only the known key verifies");
    Require(!verdict.signed_headers.empty(), "a verified request lists its signed headers");
    return;
  }
  Require(!verdict.message.empty(), "a refusal says why");
}

void CheckSignThenVerify(const auth::HttpRequest& request) {
  auth::HttpRequest signed_request = request;
  const auth::Credentials credentials{std::string(kAccessKeyId), std::string(kSecretAccessKey)};
  auth::Sign(signed_request, credentials, kRegion, "ecs", kSigningTime);
  const auth::Verdict verdict =
      auth::Verify(signed_request, kRegion, "ecs", kSigningTime, SecretOf);
  Require(verdict.kind == auth::Verdict::Kind::kOk, "Verify accepts what Sign signed",
          absl::StrCat("kind ", static_cast<int>(verdict.kind), ": ", verdict.message));
}

void FuzzOne(std::string_view input) {
  const auth::HttpRequest request = ParseHttpRequest(input);
  for (const std::string_view service : {"ecs", "ec2"}) {
    CheckVerdict(auth::Verify(request, kRegion, service, kSigningTime, SecretOf));
  }
  if (HasHost(request)) {
    CheckSignThenVerify(request);
  }
}

}  // namespace
}  // namespace gantry::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gantry::fuzz::FuzzOne(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
