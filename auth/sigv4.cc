#include "auth/sigv4.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace gantry::auth {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";
// ISO 8601 basic format in UTC, as in X-Amz-Date: 20150830T123600Z. %E4Y, because a plain
// %Y would parse all eight digits of the date as the year.
constexpr char kAmzDateFormat[] = "%E4Y%m%dT%H%M%SZ";
// RFC 1123, the form of the HTTP Date header: Sun, 30 Aug 2015 12:36:00 GMT.
constexpr char kHttpDateFormat[] = "%a, %d %b %Y %H:%M:%S GMT";

// Debian's Abseil has its own string_view type; these convert without copying.
absl::string_view Absl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}
std::string_view Std(absl::string_view text) { return std::string_view(text.data(), text.size()); }

std::string Hex(std::string_view bytes, const char* digits) {
  std::string out;
  out.reserve(2 * bytes.size());
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(digits[byte >> 4]);
    out.push_back(digits[byte & 0xf]);
  }
  return out;
}

std::string LowerHex(std::string_view bytes) { return Hex(bytes, "0123456789abcdef"); }

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  // Only an OpenSSL malfunction makes a SHA-256 of memory fail.
  GANTRY_CHECK(EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) == 1);
  return LowerHex(std::string_view(reinterpret_cast<const char*>(digest), size));
}

// The raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  const unsigned char* result =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &size);
  GANTRY_CHECK(result != nullptr);
  return std::string(reinterpret_cast<const char*>(mac), size);
}

bool IsUnreserved(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

// RFC 3986 percent-encoding of every byte outside the unreserved set, hex digits uppercase.
std::string UriEncode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (IsUnreserved(c)) {
      out.push_back(c);
    } else {
      absl::StrAppend(&out, "%", Hex(std::string_view(&c, 1), "0123456789ABCDEF"));
    }
  }
  return out;
}

// Decodes %XX escapes. A '%' without two hex digits after it stays as it is, so every query
// string has a canonical form. '+' stays '+': SDKs send spaces in queries as %20, and
// decoding '+' would make a client's "a+b" (signed as a%2Bb) fail to verify.
std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && absl::ascii_isxdigit(text[i + 1]) &&
        absl::ascii_isxdigit(text[i + 2])) {
      out += absl::HexStringToBytes(absl::string_view(text.data() + i + 1, 2));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// RFC 3986 section 5.2.4 (remove dot segments) on the raw path, also dropping empty
// segments, then each segment URI-encoded as it is. Encoding the raw (already escaped) text
// rather than decoding first is the "encode twice" rule of non-S3 services: the SDKs sign
// the escaped path they send, encoded once more. A path whose last segment is empty, "." or
// ".." keeps a trailing slash.
std::string CanonicalUri(std::string_view raw_path) {
  std::vector<absl::string_view> segments;
  bool trailing_slash = false;
  for (const absl::string_view segment : absl::StrSplit(Absl(raw_path), '/')) {
    trailing_slash = segment.empty() || segment == "." || segment == "..";
    if (segment == "..") {
      if (!segments.empty()) {
        segments.pop_back();
      }
    } else if (!trailing_slash) {
      segments.push_back(segment);
    }
  }
  std::string out;
  for (const absl::string_view segment : segments) {
    absl::StrAppend(&out, "/", UriEncode(Std(segment)));
  }
  if (out.empty() || trailing_slash) {
    out.push_back('/');
  }
  return out;
}

// Parameters decoded and re-encoded (so "%7e" and "~" sign alike), sorted by encoded name
// and then value; a parameter without '=' gets an empty value ("a" becomes "a=").
std::string CanonicalQuery(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> params;
  for (const absl::string_view param : absl::StrSplit(Absl(raw_query), '&', absl::SkipEmpty())) {
    const size_t equals = param.find('=');
    const absl::string_view name = param.substr(0, equals);
    const absl::string_view value =
        equals == absl::string_view::npos ? absl::string_view() : param.substr(equals + 1);
    params.emplace_back(UriEncode(PercentDecode(Std(name))), UriEncode(PercentDecode(Std(value))));
  }
  std::sort(params.begin(), params.end());
  return absl::StrJoin(params, "&", absl::PairFormatter("="));
}

bool IsHeaderSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// A header value as SigV4 signs it: outer whitespace removed, inner runs made one space.
std::string TrimAndCollapse(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (const char c : value) {
    if (IsHeaderSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    out.push_back(c);
  }
  return out;
}

// The values of header `name` in the order received, untouched.
std::vector<std::string> HeaderValues(const HttpRequest& request, std::string_view name) {
  std::vector<std::string> values;
  for (const auto& [key, value] : request.headers) {
    if (absl::EqualsIgnoreCase(key, Absl(name))) {
      values.push_back(value);
    }
  }
  return values;
}

std::vector<std::string> SortedLowercase(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  out.reserve(names.size());
  for (const std::string& name : names) {
    out.push_back(absl::AsciiStrToLower(name));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string FormatAmzDate(absl::Time time) {
  return absl::FormatTime(kAmzDateFormat, time, absl::UTCTimeZone());
}

std::string Scope(std::string_view date, std::string_view region, std::string_view service) {
  return absl::StrCat(Absl(date), "/", Absl(region), "/", Absl(service), "/", Absl(kTerminator));
}

// --- Authorization header parsing ---

struct RawParams {
  std::optional<absl::string_view> credential;
  std::optional<absl::string_view> signed_headers;
  std::optional<absl::string_view> signature;
};

absl::Status Invalid(std::string message) { return absl::InvalidArgumentError(message); }

// Splits "Credential=..., SignedHeaders=..., Signature=..." into its three values.
absl::StatusOr<RawParams> SplitParams(absl::string_view text) {
  RawParams params;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    part = absl::StripAsciiWhitespace(part);
    const size_t equals = part.find('=');
    const absl::string_view key = part.substr(0, equals);
    std::optional<absl::string_view>* slot = key == "Credential"      ? &params.credential
                                             : key == "SignedHeaders" ? &params.signed_headers
                                             : key == "Signature"     ? &params.signature
                                                                      : nullptr;
    if (slot == nullptr || equals == absl::string_view::npos) {
      return Invalid(absl::StrCat("Authorization header: unexpected part '", key,
                                  "'; expected Credential=, SignedHeaders= and Signature="));
    }
    if (slot->has_value()) {
      return Invalid(absl::StrCat("Authorization header: '", key, "' given more than once"));
    }
    *slot = part.substr(equals + 1);
  }
  return params;
}

absl::Status RequireAll(const RawParams& params) {
  std::vector<std::string> missing;
  for (const auto& [name, value] :
       {std::pair{"Credential", params.credential}, std::pair{"Signature", params.signature},
        std::pair{"SignedHeaders", params.signed_headers}}) {
    if (!value.has_value()) {
      missing.push_back(absl::StrCat("Authorization header requires '", name, "' parameter."));
    }
  }
  return missing.empty() ? absl::OkStatus() : Invalid(absl::StrJoin(missing, " "));
}

bool IsDigits(absl::string_view text, size_t size) {
  return text.size() == size && std::all_of(text.begin(), text.end(), [](char c) {
           return absl::ascii_isdigit(static_cast<unsigned char>(c));
         });
}

// "AKID/YYYYMMDD/region/service/aws4_request".
absl::Status ParseCredential(absl::string_view credential, Authorization& out) {
  const std::vector<absl::string_view> parts = absl::StrSplit(credential, '/');
  if (parts.size() != 5) {
    return Invalid(
        absl::StrCat("Credential should have 5 slash-separated parts (key/YYYYMMDD/region/service/"
                     "aws4_request), not ",
                     parts.size()));
  }
  if (parts[4] != Absl(kTerminator)) {
    return Invalid(absl::StrCat("Credential should be scoped with a valid terminator: '",
                                Absl(kTerminator), "', not '", parts[4], "'."));
  }
  if (!IsDigits(parts[1], 8)) {
    return Invalid(absl::StrCat("Invalid credential date '", parts[1],
                                "'. Date is not the required format: yyyyMMdd."));
  }
  if (parts[0].empty() || parts[2].empty() || parts[3].empty()) {
    return Invalid("Credential: access key id, region and service must not be empty");
  }
  out.access_key_id = std::string(parts[0]);
  out.date = std::string(parts[1]);
  out.region = std::string(parts[2]);
  out.service = std::string(parts[3]);
  return absl::OkStatus();
}

absl::Status ParseSignedHeaders(absl::string_view list, Authorization& out) {
  for (const absl::string_view name : absl::StrSplit(list, ';')) {
    if (name.empty()) {
      return Invalid(absl::StrCat("SignedHeaders: empty header name in '", list, "'"));
    }
    out.signed_headers.emplace_back(name);
  }
  return absl::OkStatus();
}

absl::Status ParseSignatureValue(absl::string_view signature, Authorization& out) {
  const bool lower_hex = std::all_of(signature.begin(), signature.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
  });
  if (signature.size() != 64 || !lower_hex) {
    return Invalid("Signature should be 64 lowercase hexadecimal digits");
  }
  out.signature = std::string(signature);
  return absl::OkStatus();
}

// --- Verification steps ---

struct RequestTime {
  absl::Time time;
  std::string amz_date;  // ISO 8601 basic form, as the string to sign carries it
};

absl::StatusOr<RequestTime> ParseAmzDate(absl::string_view text) {
  RequestTime out;
  std::string error;
  // The round trip rejects what ParseTime tolerates (signs, spaces, extra digits).
  if (!absl::ParseTime(kAmzDateFormat, text, absl::UTCTimeZone(), &out.time, &error) ||
      FormatAmzDate(out.time) != text) {
    return Invalid(absl::StrCat("Date must be in ISO-8601 'basic format'. Got '", text,
                                "'. See http://en.wikipedia.org/wiki/ISO_8601"));
  }
  out.amz_date = std::string(text);
  return out;
}

absl::StatusOr<RequestTime> ParseHttpDate(absl::string_view text) {
  RequestTime out;
  std::string error;
  if (!absl::ParseTime(kHttpDateFormat, text, absl::UTCTimeZone(), &out.time, &error)) {
    return Invalid(absl::StrCat(
        "Date: '", text, "' is not an RFC 1123 date such as 'Sun, 30 Aug 2015 12:36:00 GMT'"));
  }
  out.amz_date = FormatAmzDate(out.time);
  return out;
}

// X-Amz-Date, or the HTTP Date header when X-Amz-Date is absent (as AWS accepts).
absl::StatusOr<RequestTime> RequestTimeOf(const HttpRequest& request) {
  const std::vector<std::string> amz_dates = HeaderValues(request, "x-amz-date");
  const std::vector<std::string> dates = HeaderValues(request, "date");
  if (amz_dates.size() > 1 || (amz_dates.empty() && dates.size() > 1)) {
    return Invalid("X-Amz-Date or Date header given more than once");
  }
  if (amz_dates.size() == 1) {
    return ParseAmzDate(absl::StripAsciiWhitespace(amz_dates[0]));
  }
  if (dates.size() == 1) {
    return ParseHttpDate(absl::StripAsciiWhitespace(dates[0]));
  }
  return Invalid(
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
}

struct Problem {
  Verdict::Kind kind;
  std::string message;
};

// Checks of the header against the request and this endpoint that need no secret.
std::optional<Problem> CheckScope(const Authorization& auth, std::string_view amz_date,
                                  std::string_view region, std::string_view service) {
  using Kind = Verdict::Kind;
  // Without host in the signature, a captured request could be replayed to another endpoint.
  if (std::none_of(auth.signed_headers.begin(), auth.signed_headers.end(),
                   [](const std::string& name) { return absl::EqualsIgnoreCase(name, "host"); })) {
    return Problem{Kind::kMalformed,
                   "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."};
  }
  const std::string_view day = amz_date.substr(0, 8);
  if (auth.date != day) {
    return Problem{Kind::kMalformed,
                   absl::StrCat("Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                                "version of date from HTTP: '",
                                auth.date, "' != '", Absl(day), "', from '", Absl(amz_date), "'.")};
  }
  if (auth.region != region) {
    return Problem{Kind::kWrongScope, absl::StrCat("Credential should be scoped to a valid region, "
                                                   "not '",
                                                   auth.region, "'.")};
  }
  if (auth.service != service) {
    return Problem{
        Kind::kWrongScope,
        absl::StrCat("Credential should be scoped to correct service: '", Absl(service), "'.")};
  }
  return std::nullopt;
}

// AWS's wording, so clients and people recognise the clock-skew error.
std::optional<std::string> CheckClock(const RequestTime& request_time, absl::Time now) {
  const int64_t minutes = absl::ToInt64Minutes(kMaxClockSkew);
  if (request_time.time < now - kMaxClockSkew) {
    return absl::StrCat("Signature expired: ", request_time.amz_date, " is now earlier than ",
                        FormatAmzDate(now - kMaxClockSkew), " (", FormatAmzDate(now), " - ",
                        minutes, " min.)");
  }
  if (request_time.time > now + kMaxClockSkew) {
    return absl::StrCat("Signature not yet current: ", request_time.amz_date,
                        " is still later than ", FormatAmzDate(now + kMaxClockSkew), " (",
                        FormatAmzDate(now), " + ", minutes, " min.)");
  }
  return std::nullopt;
}

bool SignatureMatches(const HttpRequest& request, const Authorization& auth,
                      std::string_view amz_date, std::string_view secret) {
  const std::string string_to_sign =
      StringToSign(amz_date, Scope(auth.date, auth.region, auth.service),
                   CanonicalRequest(request, auth.signed_headers));
  const std::string expected =
      Signature(secret, auth.date, auth.region, auth.service, string_to_sign);
  // Constant time, so response timing does not reveal how many leading digits were right.
  return expected.size() == auth.signature.size() &&
         CRYPTO_memcmp(expected.data(), auth.signature.data(), expected.size()) == 0;
}

Verdict MakeVerdict(Verdict::Kind kind, std::string access_key_id, std::string message) {
  Verdict verdict;
  verdict.kind = kind;
  verdict.access_key_id = std::move(access_key_id);
  verdict.message = std::move(message);
  return verdict;
}

}  // namespace

absl::StatusOr<Authorization> ParseAuthorization(std::string_view header) {
  absl::string_view rest = absl::StripAsciiWhitespace(Absl(header));
  if (!absl::ConsumePrefix(&rest, Absl(kAlgorithm)) ||
      (!rest.empty() && !absl::ascii_isspace(static_cast<unsigned char>(rest.front())))) {
    return Invalid(absl::StrCat("Authorization header: unsupported algorithm; expected '",
                                Absl(kAlgorithm),
                                " Credential=..., SignedHeaders=..., "
                                "Signature=...'"));
  }
  GANTRY_ASSIGN_OR_RETURN(const RawParams params, SplitParams(rest));
  GANTRY_RETURN_IF_ERROR(RequireAll(params));
  Authorization out;
  GANTRY_RETURN_IF_ERROR(ParseCredential(*params.credential, out));
  GANTRY_RETURN_IF_ERROR(ParseSignedHeaders(*params.signed_headers, out));
  GANTRY_RETURN_IF_ERROR(ParseSignatureValue(*params.signature, out));
  return out;
}

std::string CanonicalRequest(const HttpRequest& request,
                             const std::vector<std::string>& signed_headers) {
  const std::vector<std::string> names = SortedLowercase(signed_headers);
  std::string out = absl::StrCat(request.method, "\n", CanonicalUri(request.path), "\n",
                                 CanonicalQuery(request.query), "\n");
  for (const std::string& name : names) {
    std::vector<std::string> values = HeaderValues(request, name);
    for (std::string& value : values) {
      value = TrimAndCollapse(value);
    }
    absl::StrAppend(&out, name, ":", absl::StrJoin(values, ","), "\n");
  }
  absl::StrAppend(&out, "\n", absl::StrJoin(names, ";"), "\n", Sha256Hex(request.body));
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  return absl::StrCat(Absl(kAlgorithm), "\n", Absl(amz_date), "\n", Absl(scope), "\n",
                      Sha256Hex(canonical_request));
}

std::string Signature(std::string_view secret, std::string_view date, std::string_view region,
                      std::string_view service, std::string_view string_to_sign) {
  std::string key = HmacSha256(absl::StrCat("AWS4", Absl(secret)), date);
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  key = HmacSha256(key, kTerminator);
  return LowerHex(HmacSha256(key, string_to_sign));
}

void Sign(HttpRequest& request, const Credentials& credentials, std::string_view region,
          std::string_view service, absl::Time now) {
  std::erase_if(request.headers, [](const std::pair<std::string, std::string>& header) {
    return absl::EqualsIgnoreCase(header.first, "x-amz-date") ||
           absl::EqualsIgnoreCase(header.first, "authorization");
  });
  const std::string amz_date = FormatAmzDate(now);
  request.headers.emplace_back("X-Amz-Date", amz_date);
  std::vector<std::string> signed_headers;
  for (const char* name :
       {"content-type", "host", "x-amz-date", "x-amz-security-token", "x-amz-target"}) {
    if (!HeaderValues(request, name).empty()) {
      signed_headers.push_back(name);
    }
  }
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = Scope(date, region, service);
  const std::string signature =
      Signature(credentials.secret_access_key, date, region, service,
                StringToSign(amz_date, scope, CanonicalRequest(request, signed_headers)));
  request.headers.emplace_back(
      "Authorization", absl::StrCat(Absl(kAlgorithm), " Credential=", credentials.access_key_id,
                                    "/", scope, ", SignedHeaders=",
                                    absl::StrJoin(signed_headers, ";"), ", Signature=", signature));
}

namespace {

// What the checks before the secret found: the parsed header and the request's time.
struct Prechecked {
  Authorization auth;
  RequestTime time;
};

// The checks that need neither the body nor a secret: a verdict when one fails.
std::variant<Verdict, Prechecked> Precheck(const HttpRequest& request, std::string_view region,
                                           std::string_view service, absl::Time now) {
  using Kind = Verdict::Kind;
  const std::vector<std::string> headers = HeaderValues(request, "authorization");
  if (headers.empty()) {
    return MakeVerdict(Kind::kMissing, "", "Missing Authentication Token");
  }
  if (headers.size() > 1) {
    return MakeVerdict(Kind::kMalformed, "", "Authorization header given more than once");
  }
  absl::StatusOr<Authorization> auth = ParseAuthorization(headers[0]);
  if (!auth.ok()) {
    return MakeVerdict(Kind::kMalformed, "", std::string(auth.status().message()));
  }
  absl::StatusOr<RequestTime> time = RequestTimeOf(request);
  if (!time.ok()) {
    return MakeVerdict(Kind::kMalformed, auth->access_key_id, std::string(time.status().message()));
  }
  if (std::optional<Problem> problem = CheckScope(*auth, time->amz_date, region, service)) {
    return MakeVerdict(problem->kind, auth->access_key_id, std::move(problem->message));
  }
  if (std::optional<std::string> message = CheckClock(*time, now)) {
    return MakeVerdict(Kind::kExpired, auth->access_key_id, std::move(*message));
  }
  return Prechecked{*std::move(auth), *std::move(time)};
}

Verdict UnknownKey(const std::string& access_key_id) {
  return MakeVerdict(Verdict::Kind::kUnknownKey, access_key_id,
                     "The security token included in the request is invalid.");
}

}  // namespace

Verdict Verify(
    const HttpRequest& request, std::string_view region, std::string_view service, absl::Time now,
    const std::function<std::optional<std::string>(std::string_view access_key_id)>& secret_of) {
  std::variant<Verdict, Prechecked> prechecked = Precheck(request, region, service, now);
  if (Verdict* failed = std::get_if<Verdict>(&prechecked)) {
    return std::move(*failed);
  }
  const Prechecked& passed = std::get<Prechecked>(prechecked);
  const std::optional<std::string> secret =
      secret_of ? secret_of(passed.auth.access_key_id) : std::nullopt;
  if (!secret.has_value()) {
    return UnknownKey(passed.auth.access_key_id);
  }
  if (!SignatureMatches(request, passed.auth, passed.time.amz_date, *secret)) {
    return MakeVerdict(Verdict::Kind::kBadSignature, passed.auth.access_key_id,
                       "The request signature we calculated does not match the signature you "
                       "provided. Check your AWS Secret Access Key and signing method. Consult the "
                       "service documentation for details.");
  }
  Verdict verdict = MakeVerdict(Verdict::Kind::kOk, passed.auth.access_key_id, "");
  verdict.signed_headers = passed.auth.signed_headers;
  return verdict;
}

Verdict VerifyHead(const HttpRequest& request, std::string_view region, std::string_view service,
                   absl::Time now, const std::function<bool(std::string_view)>& key_known) {
  std::variant<Verdict, Prechecked> prechecked = Precheck(request, region, service, now);
  if (Verdict* failed = std::get_if<Verdict>(&prechecked)) {
    return std::move(*failed);
  }
  const Prechecked& passed = std::get<Prechecked>(prechecked);
  if (!key_known || !key_known(passed.auth.access_key_id)) {
    return UnknownKey(passed.auth.access_key_id);
  }
  Verdict verdict = MakeVerdict(Verdict::Kind::kOk, passed.auth.access_key_id, "");
  verdict.signed_headers = passed.auth.signed_headers;
  return verdict;
}

}  // namespace gantry::auth
