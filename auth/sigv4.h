// AWS Signature Version 4 (AWS4-HMAC-SHA256 in the Authorization header) for Gantry's
// AWS-compatible front ends: the canonical request, string to sign and signature as AWS
// defines them, signing a request the way an AWS SDK does, and verifying a received request
// against the secret of its access key. Pure: no I/O and no clock (callers pass the current
// time); safe to call from any thread. ParseAuthorization reports errors as INVALID_ARGUMENT;
// Verify reports a Verdict whose kind each front end maps to its protocol's error code.
// Secrets and the signature Gantry expects never appear in any message.
//
// The rules are those of non-S3 services: the path is normalised and every segment
// URI-encoded again (so "%20" on the wire is signed as "%2520"), and the payload hash is
// always the SHA-256 of the body (no UNSIGNED-PAYLOAD). Presigned URLs (X-Amz-Signature in
// the query), SigV4a and chunked payloads are not supported.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gantry::auth {

// What signing and verification need from an HTTP request, as received on the wire.
struct HttpRequest {
  std::string method;  // "POST"
  std::string path;    // raw path as sent, e.g. "/" (may contain %XX escapes)
  std::string query;   // raw query string without '?', may be empty
  // Names in any case, repeats allowed, in the order received.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
};

// The parsed Authorization header:
//   AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/ecs/aws4_request,
//   SignedHeaders=host;x-amz-date, Signature=<64 lowercase hex digits>
struct Authorization {
  std::string access_key_id;
  std::string date;  // YYYYMMDD from the credential scope
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;  // as listed in the header
  std::string signature;
};

// Requests whose time is further than this from the caller's clock are rejected.
inline constexpr absl::Duration kMaxClockSkew = absl::Minutes(15);

// Parses the value of an Authorization header. INVALID_ARGUMENT with an AWS-like message
// (which names the missing or bad part, never the signature) when it is not SigV4.
absl::StatusOr<Authorization> ParseAuthorization(std::string_view header);

// The canonical request: method, canonical URI, canonical query string, the canonical
// headers named by `signed_headers` (names matched case-insensitively; repeated headers
// joined with ','; values trimmed with inner whitespace runs collapsed), the signed header
// list, and the hex SHA-256 of the body. `signed_headers` is lowercased and sorted first.
std::string CanonicalRequest(const HttpRequest& request,
                             const std::vector<std::string>& signed_headers);

// "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + hex(sha256(canonical_request)),
// where scope is "YYYYMMDD/region/service/aws4_request".
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);

// Lowercase hex HMAC-SHA256 of `string_to_sign` under the key derived from `secret` for
// the scope date (YYYYMMDD), region and service.
std::string Signature(std::string_view secret, std::string_view date, std::string_view region,
                      std::string_view service, std::string_view string_to_sign);

// Signs `request` as an AWS SDK would at time `now`: replaces any X-Amz-Date and
// Authorization headers with new ones, signing host, x-amz-date and, when present,
// content-type, x-amz-target and x-amz-security-token. The caller sets Host beforehand.
void Sign(HttpRequest& request, const Credentials& credentials, std::string_view region,
          std::string_view service, absl::Time now);

// The outcome of Verify; front ends map `kind` to their protocol's error code.
struct Verdict {
  enum class Kind {
    kOk,
    kMissing,       // no Authorization header
    kMalformed,     // unparseable header, no usable date, host unsigned, scope date mismatch
    kUnknownKey,    // secret_of does not know the access key
    kBadSignature,  // signature differs (wrong secret, or the request changed after signing)
    kExpired,       // request time further than kMaxClockSkew from now, either way
    kWrongScope,    // region or service of the credential scope is not this endpoint's
  };
  Kind kind = Kind::kMissing;
  std::string access_key_id;  // set when the header named one
  std::string message;        // AWS-like human text, never containing the secret
  // kOk: the header names the signature covers, lowercase, as the request listed them.
  std::vector<std::string> signed_headers;
};

// Verifies the SigV4 Authorization header of `request` for this endpoint's `region` and
// `service` at time `now`. `secret_of` returns the secret of an access key id, or nullopt
// when the key is unknown; it is called at most once, and only after the cheap checks pass.
// The signature comparison takes the same time wherever the signatures differ.
Verdict Verify(
    const HttpRequest& request, std::string_view region, std::string_view service, absl::Time now,
    const std::function<std::optional<std::string>(std::string_view access_key_id)>& secret_of);

// The part of Verify that needs neither the body nor the secret, for a server to run on a
// request's head before it reads the body: the Authorization header, the request time,
// the scope and the clock, and whether `key_known` knows the access key. kOk means only
// that the body is worth reading; Verify must still pass on the whole request.
Verdict VerifyHead(const HttpRequest& request, std::string_view region, std::string_view service,
                   absl::Time now, const std::function<bool(std::string_view)>& key_known);

}  // namespace gantry::auth
