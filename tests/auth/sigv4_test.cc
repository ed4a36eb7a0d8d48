// Table tests for auth/sigv4.h. The signing vectors are AWS's SigV4 test suite (credentials
// AKIDEXAMPLE, 2015-08-30T12:36:00Z, us-east-1, service "service"), as published in
// github.com/awslabs/aws-c-auth tests/aws-signing-test-suite/v4/<name>/ and in the classic
// aws-sig-v4-test-suite (canonical request, string to sign and signature per case), and the
// IAM ListUsers example of AWS's SigV4 documentation.
#include "auth/sigv4.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "tests/support/status_matchers.h"

namespace gantry::auth {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

using Headers = std::vector<std::pair<std::string, std::string>>;
using Kind = Verdict::Kind;

constexpr char kAkid[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kSuiteDate[] = "20150830T123600Z";
constexpr char kSuiteScope[] = "20150830/us-east-1/service/aws4_request";
constexpr char kEmptyHash[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kHostAndDate[] = "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n";
constexpr char kUnreserved[] = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

absl::Time SuiteTime() {
  return absl::FromCivil(absl::CivilSecond(2015, 8, 30, 12, 36, 0), absl::UTCTimeZone());
}

std::string Canonical(std::string_view method, std::string_view uri, std::string_view query,
                      std::string_view headers, std::string_view signed_headers,
                      std::string_view payload_hash = kEmptyHash) {
  return absl::StrCat(std::string(method), "\n", std::string(uri), "\n", std::string(query), "\n",
                      std::string(headers), "\n", std::string(signed_headers), "\n",
                      std::string(payload_hash));
}

std::function<std::optional<std::string>(std::string_view)> SecretLookup(
    std::optional<std::string> secret) {
  return [secret](std::string_view access_key_id) -> std::optional<std::string> {
    return access_key_id == kAkid ? secret : std::nullopt;
  };
}

void RemoveHeader(HttpRequest& request, std::string_view name) {
  std::erase_if(request.headers, [name](const std::pair<std::string, std::string>& header) {
    return absl::AsciiStrToLower(header.first) == name;
  });
}

void SetHeader(HttpRequest& request, std::string_view name, std::string value) {
  RemoveHeader(request, absl::AsciiStrToLower(std::string(name)));
  request.headers.emplace_back(std::string(name), std::move(value));
}

// --- AWS's SigV4 test suite ---

struct SuiteCase {
  std::string name;
  std::string request_line;  // "METHOD path?query", as the suite's request files begin
  Headers headers;           // besides Host and X-Amz-Date, all of them signed
  std::string body;
  std::string want_canonical;
  std::string want_sts_hash;  // last line of the string to sign; empty where unpublished
  std::string want_signature;
};

std::string HostDate(std::string_view method, std::string_view uri, std::string_view query = "") {
  return Canonical(method, uri, query, kHostAndDate, "host;x-amz-date");
}

std::string MyHeader1(std::string_view method, std::string_view value) {
  return Canonical(method, "/", "",
                   absl::StrCat("host:example.amazonaws.com\nmy-header1:", std::string(value),
                                "\nx-amz-date:20150830T123600Z\n"),
                   "host;my-header1;x-amz-date");
}

std::string FormPost(std::string_view content_type) {
  return Canonical("POST", "/", "",
                   absl::StrCat("content-type:", std::string(content_type), "\n", kHostAndDate),
                   "content-type;host;x-amz-date",
                   "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
}

std::vector<SuiteCase> SuiteCases() {
  const std::string kVanillaHash =
      "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63";
  const std::string kVanillaSignature =
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
  const std::string kUtf8QueryHash =
      "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073";
  const std::string kUtf8QuerySignature =
      "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04";
  const std::string kUnreservedQuery = absl::StrCat(kUnreserved, "=", kUnreserved);
  return {
      {.name = "get-vanilla",
       .request_line = "GET /",
       .want_canonical = HostDate("GET", "/"),
       .want_sts_hash = kVanillaHash,
       .want_signature = kVanillaSignature},
      {.name = "post-vanilla",
       .request_line = "POST /",
       .want_canonical = HostDate("POST", "/"),
       .want_sts_hash = "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
       .want_signature = "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {.name = "post-vanilla-query",
       .request_line = "POST /?Param1=value1",
       .want_canonical = HostDate("POST", "/", "Param1=value1"),
       .want_sts_hash = "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
       .want_signature = "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
      {.name = "get-vanilla-query-order-key-case",
       .request_line = "GET /?Param2=value2&Param1=value1",
       .want_canonical = HostDate("GET", "/", "Param1=value1&Param2=value2"),
       .want_sts_hash = "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
       .want_signature = "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {.name = "get-vanilla-query-order-key",
       .request_line = "GET /?Param1=value2&Param1=Value1",
       .want_canonical = HostDate("GET", "/", "Param1=Value1&Param1=value2"),
       .want_sts_hash = "704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89",
       .want_signature = "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"},
      {.name = "get-vanilla-query-order-value",
       .request_line = "GET /?Param1=value2&Param1=value1",
       .want_canonical = HostDate("GET", "/", "Param1=value1&Param1=value2"),
       .want_sts_hash = "c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606",
       .want_signature = "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
      // Sorted by encoded name: '%' sorts before letters, and "Param" before "Param-3".
      {.name = "get-vanilla-query-order-encoded",
       .request_line = "GET /?Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
       .want_canonical = HostDate("GET", "/", "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"),
       .want_signature = "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac"},
      {.name = "get-vanilla-query-unreserved",
       .request_line = "GET /?" + kUnreservedQuery,
       .want_canonical = HostDate("GET", "/", kUnreservedQuery),
       .want_sts_hash = "c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
       .want_signature = "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
      {.name = "get-vanilla-utf8-query",
       .request_line = "GET /?\xE1\x88\xB4=bar",
       .want_canonical = HostDate("GET", "/", "%E1%88%B4=bar"),
       .want_sts_hash = kUtf8QueryHash,
       .want_signature = kUtf8QuerySignature},
      // The same request as clients send it: escapes are decoded and re-encoded.
      {.name = "get-vanilla-utf8-query, escaped on the wire",
       .request_line = "GET /?%E1%88%B4=bar",
       .want_canonical = HostDate("GET", "/", "%E1%88%B4=bar"),
       .want_sts_hash = kUtf8QueryHash,
       .want_signature = kUtf8QuerySignature},
      {.name = "get-unreserved",
       .request_line = absl::StrCat("GET /", kUnreserved),
       .want_canonical = HostDate("GET", absl::StrCat("/", kUnreserved)),
       .want_sts_hash = "6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
       .want_signature = "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {.name = "get-utf8",
       .request_line = "GET /\xE1\x88\xB4",
       .want_canonical = HostDate("GET", "/%E1%88%B4"),
       .want_sts_hash = "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
       .want_signature = "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {.name = "get-space",
       .request_line = "GET /example space/",
       .want_canonical = HostDate("GET", "/example%20space/"),
       .want_sts_hash = "63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86",
       .want_signature = "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
      {.name = "get-slash",
       .request_line = "GET //",
       .want_canonical = HostDate("GET", "/"),
       .want_sts_hash = kVanillaHash,
       .want_signature = kVanillaSignature},
      {.name = "get-slash-dot-slash",
       .request_line = "GET /./",
       .want_canonical = HostDate("GET", "/"),
       .want_sts_hash = kVanillaHash,
       .want_signature = kVanillaSignature},
      {.name = "get-slashes",
       .request_line = "GET //example//",
       .want_canonical = HostDate("GET", "/example/"),
       .want_sts_hash = "cb96b4ac96d501f7c5c15bc6d67b3035061cfced4af6585ad927f7e6c985c015",
       .want_signature = "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
      {.name = "get-slash-pointless-dot",
       .request_line = "GET /./example",
       .want_canonical = HostDate("GET", "/example"),
       .want_sts_hash = "214d50c111a8edc4819da6a636336472c916b5240f51e9a51b5c3305180cf702",
       .want_signature = "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"},
      {.name = "get-relative",
       .request_line = "GET /example/..",
       .want_canonical = HostDate("GET", "/"),
       .want_sts_hash = kVanillaHash,
       .want_signature = kVanillaSignature},
      {.name = "get-relative-relative",
       .request_line = "GET /example1/example2/../..",
       .want_canonical = HostDate("GET", "/"),
       .want_sts_hash = kVanillaHash,
       .want_signature = kVanillaSignature},
      {.name = "get-header-value-trim",
       .request_line = "GET /",
       .headers = {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
       .want_canonical = Canonical("GET", "/", "",
                                   "host:example.amazonaws.com\nmy-header1:value1\n"
                                   "my-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n",
                                   "host;my-header1;my-header2;x-amz-date"),
       .want_sts_hash = "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
       .want_signature = "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {.name = "get-header-key-duplicate",
       .request_line = "GET /",
       .headers = {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
       .want_canonical = MyHeader1("GET", "value2,value2,value1"),
       .want_signature = "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {.name = "post-header-key-sort",
       .request_line = "POST /",
       .headers = {{"My-Header1", "value1"}},
       .want_canonical = MyHeader1("POST", "value1"),
       .want_sts_hash = "9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65",
       .want_signature = "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
      {.name = "post-header-value-case",
       .request_line = "POST /",
       .headers = {{"My-Header1", "VALUE1"}},
       .want_canonical = MyHeader1("POST", "VALUE1"),
       .want_sts_hash = "d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93",
       .want_signature = "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
      {.name = "post-x-www-form-urlencoded",
       .request_line = "POST /",
       .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
       .body = "Param1=value1",
       .want_canonical = FormPost("application/x-www-form-urlencoded"),
       .want_sts_hash = "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
       .want_signature = "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
      {.name = "post-x-www-form-urlencoded-parameters",
       .request_line = "POST /",
       .headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"}},
       .body = "Param1=value1",
       .want_canonical = FormPost("application/x-www-form-urlencoded; charset=utf8"),
       .want_sts_hash = "2e1cf7ed91881a30569e46552437e4156c823447bf1781b921b5d486c568dd1c",
       .want_signature = "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
  };
}

HttpRequest SuiteRequest(const SuiteCase& c) {
  const std::pair<std::string, std::string> line =
      absl::StrSplit(c.request_line, absl::MaxSplits(' ', 1));
  const std::pair<std::string, std::string> target =
      absl::StrSplit(line.second, absl::MaxSplits('?', 1));
  HttpRequest request{line.first, target.first, target.second, {}, c.body};
  request.headers.emplace_back("Host", "example.amazonaws.com");
  request.headers.insert(request.headers.end(), c.headers.begin(), c.headers.end());
  request.headers.emplace_back("X-Amz-Date", kSuiteDate);
  return request;
}

// host, x-amz-date and the case's own headers, lowercase and sorted as SDKs list them.
std::vector<std::string> SuiteSignedHeaders(const SuiteCase& c) {
  std::vector<std::string> names = {"host", "x-amz-date"};
  for (const auto& [name, value] : c.headers) {
    names.push_back(absl::AsciiStrToLower(name));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

TEST(SigV4Suite, EachCase_MatchesCanonicalRequestStringToSignAndSignature) {
  for (const SuiteCase& c : SuiteCases()) {
    SCOPED_TRACE(c.name);
    const std::string canonical = CanonicalRequest(SuiteRequest(c), SuiteSignedHeaders(c));
    EXPECT_EQ(canonical, c.want_canonical);
    const std::string string_to_sign = StringToSign(kSuiteDate, kSuiteScope, canonical);
    if (!c.want_sts_hash.empty()) {
      EXPECT_EQ(string_to_sign, absl::StrCat("AWS4-HMAC-SHA256\n", kSuiteDate, "\n", kSuiteScope,
                                             "\n", c.want_sts_hash));
    }
    EXPECT_EQ(Signature(kSecret, "20150830", "us-east-1", "service", string_to_sign),
              c.want_signature);
  }
}

TEST(SigV4Suite, EachSignedRequest_Verifies) {
  for (const SuiteCase& c : SuiteCases()) {
    SCOPED_TRACE(c.name);
    HttpRequest request = SuiteRequest(c);
    request.headers.emplace_back(
        "Authorization", absl::StrCat("AWS4-HMAC-SHA256 Credential=", kAkid, "/", kSuiteScope,
                                      ", SignedHeaders=", absl::StrJoin(SuiteSignedHeaders(c), ";"),
                                      ", Signature=", c.want_signature));
    const Verdict verdict =
        Verify(request, "us-east-1", "service", SuiteTime(), SecretLookup(kSecret));
    EXPECT_EQ(verdict.kind, Kind::kOk) << verdict.message;
    EXPECT_EQ(verdict.access_key_id, kAkid);
  }
}

// The IAM ListUsers example of AWS's SigV4 documentation, step by step.
TEST(SigV4Docs, IamListUsers_MatchesEachPublishedStep) {
  HttpRequest request{"GET",
                      "/",
                      "Action=ListUsers&Version=2010-05-08",
                      {{"Host", "iam.amazonaws.com"},
                       {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                       {"X-Amz-Date", kSuiteDate}},
                      ""};
  const std::string canonical = CanonicalRequest(request, {"content-type", "host", "x-amz-date"});
  EXPECT_EQ(canonical, Canonical("GET", "/", "Action=ListUsers&Version=2010-05-08",
                                 "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
                                 "host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n",
                                 "content-type;host;x-amz-date"));
  const std::string string_to_sign =
      StringToSign(kSuiteDate, "20150830/us-east-1/iam/aws4_request", canonical);
  EXPECT_EQ(string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  EXPECT_EQ(Signature(kSecret, "20150830", "us-east-1", "iam", string_to_sign),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

// --- Sign ---

struct SignCase {
  std::string name;
  HttpRequest request;
  std::string service;
  std::string want_authorization;
};

TEST(SigV4Sign, PublishedRequests_GetPublishedAuthorization) {
  const std::string kSuiteCredential =
      absl::StrCat("AWS4-HMAC-SHA256 Credential=", kAkid, "/", kSuiteScope, ", SignedHeaders=");
  const std::vector<SignCase> cases = {
      {"get-vanilla",
       {"GET", "/", "", {{"Host", "example.amazonaws.com"}}, ""},
       "service",
       kSuiteCredential +
           "host;x-amz-date, "
           "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"post-x-www-form-urlencoded",
       {"POST",
        "/",
        "",
        {{"Content-Type", "application/x-www-form-urlencoded"}, {"Host", "example.amazonaws.com"}},
        "Param1=value1"},
       "service",
       kSuiteCredential +
           "content-type;host;x-amz-date, "
           "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
      {"get-vanilla-with-session-token",
       {"GET",
        "/",
        "",
        {{"Host", "example.amazonaws.com"},
         {"X-Amz-Security-Token",
          "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"}},
        ""},
       "service",
       kSuiteCredential +
           "host;x-amz-date;x-amz-security-token, "
           "Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"},
      {"IAM ListUsers (SigV4 documentation)",
       {"GET",
        "/",
        "Action=ListUsers&Version=2010-05-08",
        {{"Host", "iam.amazonaws.com"},
         {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
        ""},
       "iam",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
       "SignedHeaders=content-type;host;x-amz-date, "
       "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"},
  };
  for (const SignCase& c : cases) {
    SCOPED_TRACE(c.name);
    HttpRequest request = c.request;
    Sign(request, {kAkid, kSecret}, "us-east-1", c.service, SuiteTime());
    EXPECT_THAT(request.headers, Contains(Pair("X-Amz-Date", kSuiteDate)));
    EXPECT_THAT(request.headers, Contains(Pair("Authorization", c.want_authorization)));
  }
}

TEST(SigV4Sign, AlreadySigned_ReplacesDateAndAuthorization) {
  HttpRequest request{"GET",
                      "/",
                      "",
                      {{"Host", "example.amazonaws.com"},
                       {"x-amz-date", "20000101T000000Z"},
                       {"authorization", "stale"}},
                      ""};
  Sign(request, {kAkid, kSecret}, "us-east-1", "service", SuiteTime());
  EXPECT_THAT(
      request.headers,
      ElementsAre(Pair("Host", "example.amazonaws.com"), Pair("X-Amz-Date", kSuiteDate),
                  Pair("Authorization",
                       HasSubstr("Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae"
                                 "1d763fbf31"))));
}

// --- Canonical URI and query string beyond the suite ---

struct CanonicalFormCase {
  std::string name;
  std::string path;
  std::string query;
  std::string want_uri;
  std::string want_query;
};

TEST(SigV4CanonicalRequest, PathAndQuery_AreNormalisedAndEncoded) {
  const std::vector<CanonicalFormCase> cases = {
      {"empty path is /", "", "", "/", ""},
      // The SigV4 documentation's example: non-S3 paths are encoded again as sent.
      {"escaped path is encoded twice", "/documents%20and%20settings/", "",
       "/documents%2520and%2520settings/", ""},
      {"RFC 3986 5.2.4 example", "/a/b/c/./../../g", "", "/a/g", ""},
      {"trailing .. keeps the slash (RFC 3986)", "/a/b/..", "", "/a/", ""},
      {".. above the root stays at the root", "/../a", "", "/a", ""},
      {"reserved characters in the path", "/a:b@c", "", "/a%3Ab%40c", ""},
      {"empty parameters are dropped", "/", "a=1&&b=2&", "/", "a=1&b=2"},
      {"parameter without = gets an empty value", "/", "flag&a=", "/", "a=&flag="},
      {"space is %20", "/", "q=a%20b&r=c d", "/", "q=a%20b&r=c%20d"},
      {"lowercase escapes and escaped unreserved normalised", "/", "%7e=%41%2f", "/", "~=A%2F"},
      {"'+' is a literal plus", "/", "a=b+c", "/", "a=b%2Bc"},
      {"bad escapes are kept literally", "/", "x=%zz&y=%4", "/", "x=%25zz&y=%254"},
      {"'=' inside a value", "/", "a=b=c", "/", "a=b%3Dc"},
  };
  for (const CanonicalFormCase& c : cases) {
    SCOPED_TRACE(c.name);
    const HttpRequest request{"GET", c.path, c.query, {}, ""};
    const std::vector<std::string> lines = absl::StrSplit(CanonicalRequest(request, {}), '\n');
    ASSERT_GE(lines.size(), 3u);
    EXPECT_EQ(lines[1], c.want_uri);
    EXPECT_EQ(lines[2], c.want_query);
  }
}

TEST(SigV4CanonicalRequest, SignedHeaderNames_AreLowercasedAndSorted) {
  const HttpRequest request{
      "POST", "/", "", {{"X-Amz-Target", "A.B"}, {"HOST", "h"}, {"X-Amz-Date", kSuiteDate}}, ""};
  EXPECT_EQ(CanonicalRequest(request, {"X-Amz-Target", "host", "x-amz-date", "host"}),
            Canonical("POST", "/", "", "host:h\nx-amz-date:20150830T123600Z\nx-amz-target:A.B\n",
                      "host;x-amz-date;x-amz-target"));
}

// --- ParseAuthorization ---

std::string ValidHeader() {
  return absl::StrCat(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ecs/",
      "aws4_request, SignedHeaders=host;x-amz-date, Signature=", std::string(64, 'a'));
}

TEST(SigV4ParseAuthorization, ValidHeaders_GiveEveryField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"as SDKs send it", ValidHeader()},
      {"no spaces after commas",
       absl::StrCat("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ecs/aws4_request,",
                    "SignedHeaders=host;x-amz-date,Signature=", std::string(64, 'a'))},
      {"parameters in another order",
       absl::StrCat("AWS4-HMAC-SHA256 Signature=", std::string(64, 'a'),
                    ", SignedHeaders=host;x-amz-date, ",
                    "Credential=AKIDEXAMPLE/20150830/us-east-1/ecs/aws4_request")},
  };
  for (const auto& [name, header] : cases) {
    SCOPED_TRACE(name);
    const absl::StatusOr<Authorization> auth = ParseAuthorization(header);
    ASSERT_THAT(auth, IsOk());
    EXPECT_EQ(auth->access_key_id, kAkid);
    EXPECT_EQ(auth->date, "20150830");
    EXPECT_EQ(auth->region, "us-east-1");
    EXPECT_EQ(auth->service, "ecs");
    EXPECT_THAT(auth->signed_headers, ElementsAre("host", "x-amz-date"));
    EXPECT_EQ(auth->signature, std::string(64, 'a'));
  }
}

struct BadHeaderCase {
  std::string name;
  std::string header;
  std::string want_message;
};

TEST(SigV4ParseAuthorization, BadHeaders_AreInvalidArgument) {
  const std::string kCredential = "Credential=AKIDEXAMPLE/20150830/us-east-1/ecs/aws4_request";
  const std::string kRest =
      absl::StrCat(", SignedHeaders=host;x-amz-date, Signature=", std::string(64, 'a'));
  const std::string kAlgorithm = "AWS4-HMAC-SHA256 ";
  const std::vector<BadHeaderCase> cases = {
      {"empty", "", "unsupported algorithm"},
      {"SigV2", "AWS AKIDEXAMPLE:c2lnbmF0dXJl", "unsupported algorithm"},
      {"other algorithm", "AWS4-HMAC-SHA512 " + kCredential + kRest, "unsupported algorithm"},
      {"algorithm not followed by a space", "AWS4-HMAC-SHA256X" + kCredential + kRest,
       "unsupported algorithm"},
      {"algorithm only", "AWS4-HMAC-SHA256",
       "Authorization header requires 'Credential' parameter. Authorization header requires "
       "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."},
      {"no signature", kAlgorithm + kCredential + ", SignedHeaders=host",
       "Authorization header requires 'Signature' parameter."},
      {"repeated parameter", kAlgorithm + kCredential + ", " + kCredential + kRest,
       "'Credential' given more than once"},
      {"unknown parameter", kAlgorithm + "Foo=bar, " + kCredential + kRest,
       "unexpected part 'Foo'"},
      {"four credential parts",
       kAlgorithm + "Credential=AKIDEXAMPLE/20150830/us-east-1/ecs" + kRest,
       "5 slash-separated parts"},
      {"bad terminator",
       kAlgorithm + "Credential=AKIDEXAMPLE/20150830/us-east-1/ecs/aws4_req" + kRest,
       "valid terminator: 'aws4_request', not 'aws4_req'"},
      {"bad credential date",
       kAlgorithm + "Credential=AKIDEXAMPLE/2015-08-30/us-east-1/ecs/aws4_request" + kRest,
       "Invalid credential date '2015-08-30'"},
      {"empty region", kAlgorithm + "Credential=AKIDEXAMPLE/20150830//ecs/aws4_request" + kRest,
       "must not be empty"},
      {"empty signed header name",
       kAlgorithm + kCredential +
           ", SignedHeaders=host;;x-amz-date, Signature=" + std::string(64, 'a'),
       "SignedHeaders: empty header name"},
      {"uppercase signature",
       kAlgorithm + kCredential + ", SignedHeaders=host, Signature=" + std::string(64, 'A'),
       "64 lowercase hexadecimal digits"},
      {"short signature",
       kAlgorithm + kCredential + ", SignedHeaders=host, Signature=" + std::string(63, 'a'),
       "64 lowercase hexadecimal digits"},
  };
  for (const BadHeaderCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseAuthorization(c.header),
                StatusIs(absl::StatusCode::kInvalidArgument, c.want_message));
  }
}

// --- Verify ---

// An ECS call (AWS JSON 1.1) before signing.
HttpRequest EcsRequest() {
  return HttpRequest{"POST",
                     "/",
                     "",
                     {{"Host", "ecs.us-east-1.amazonaws.com"},
                      {"Content-Type", "application/x-amz-json-1.1"},
                      {"X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListClusters"}},
                     "{}"};
}

// True when `text` holds 64 hex digits in a row, the shape of a signature.
bool HasSignatureShape(std::string_view text) {
  int run = 0;
  for (const char c : text) {
    run = absl::ascii_isxdigit(static_cast<unsigned char>(c)) ? run + 1 : 0;
    if (run >= 64) {
      return true;
    }
  }
  return false;
}

struct VerifyCase {
  std::string name;
  std::function<void(HttpRequest&)> before_signing;  // may be empty
  std::string sign_region = "us-east-1";
  std::string sign_service = "ecs";
  std::function<void(HttpRequest&)> after_signing;  // may be empty
  absl::Duration clock_offset;                      // now = signing time + offset
  std::optional<std::string> stored_secret = kSecret;
  Kind want_kind = Kind::kOk;
  std::string want_message;  // substring
  std::string want_key = kAkid;
};

std::vector<VerifyCase> VerifyCases() {
  const std::string kNoMatch = "The request signature we calculated does not match";
  const std::string kCredential =
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ecs/aws4_request";
  return {
      {.name = "signed request"},
      {.name = "14 minutes later", .clock_offset = absl::Minutes(14)},
      {.name = "exactly 15 minutes later", .clock_offset = absl::Minutes(15)},
      {.name = "client clock 14 minutes ahead", .clock_offset = -absl::Minutes(14)},
      {.name = "16 minutes later",
       .clock_offset = absl::Minutes(16),
       .want_kind = Kind::kExpired,
       .want_message = "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z "
                       "(20150830T125200Z - 15 min.)"},
      {.name = "client clock 16 minutes ahead",
       .clock_offset = -absl::Minutes(16),
       .want_kind = Kind::kExpired,
       .want_message = "Signature not yet current: 20150830T123600Z is still later than "
                       "20150830T123500Z (20150830T122000Z + 15 min.)"},
      {.name = "wrong secret",
       .stored_secret = "another secret",
       .want_kind = Kind::kBadSignature,
       .want_message = kNoMatch},
      {.name = "body changed after signing",
       .after_signing = [](HttpRequest& r) { r.body = R"({"maxResults":1})"; },
       .want_kind = Kind::kBadSignature,
       .want_message = kNoMatch},
      {.name = "signed header changed after signing",
       .after_signing =
           [](HttpRequest& r) {
             SetHeader(r, "X-Amz-Target", "AmazonEC2ContainerServiceV20141113.DeleteCluster");
           },
       .want_kind = Kind::kBadSignature,
       .want_message = kNoMatch},
      {.name = "query added after signing",
       .after_signing = [](HttpRequest& r) { r.query = "Action=RunInstances"; },
       .want_kind = Kind::kBadSignature,
       .want_message = kNoMatch},
      {.name = "path changed after signing",
       .after_signing = [](HttpRequest& r) { r.path = "/other"; },
       .want_kind = Kind::kBadSignature,
       .want_message = kNoMatch},
      {.name = "unsigned header added after signing",
       .after_signing = [](HttpRequest& r) { r.headers.emplace_back("User-Agent", "curl"); }},
      {.name = "unknown access key",
       .stored_secret = std::nullopt,
       .want_kind = Kind::kUnknownKey,
       .want_message = "The security token included in the request is invalid."},
      {.name = "no Authorization header",
       .after_signing = [](HttpRequest& r) { RemoveHeader(r, "authorization"); },
       .want_kind = Kind::kMissing,
       .want_message = "Missing Authentication Token",
       .want_key = ""},
      {.name = "Authorization header without a signature",
       .after_signing =
           [kCredential](HttpRequest& r) {
             SetHeader(r, "Authorization", kCredential + ", SignedHeaders=host;x-amz-date");
           },
       .want_kind = Kind::kMalformed,
       .want_message = "Authorization header requires 'Signature' parameter.",
       .want_key = ""},
      {.name = "SigV2 Authorization header",
       .after_signing =
           [](HttpRequest& r) { SetHeader(r, "Authorization", "AWS AKIDEXAMPLE:c2ln"); },
       .want_kind = Kind::kMalformed,
       .want_message = "unsupported algorithm",
       .want_key = ""},
      {.name = "Authorization header twice",
       .after_signing =
           [](HttpRequest& r) { r.headers.emplace_back("authorization", "AWS4-HMAC-SHA256"); },
       .want_kind = Kind::kMalformed,
       .want_message = "Authorization header given more than once",
       .want_key = ""},
      {.name = "no X-Amz-Date or Date",
       .after_signing = [](HttpRequest& r) { RemoveHeader(r, "x-amz-date"); },
       .want_kind = Kind::kMalformed,
       .want_message = "requires existence of either a 'X-Amz-Date' or a 'Date' header"},
      {.name = "X-Amz-Date in extended format",
       .after_signing = [](HttpRequest& r) { SetHeader(r, "X-Amz-Date", "2015-08-30T12:36:00Z"); },
       .want_kind = Kind::kMalformed,
       .want_message = "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'"},
      {.name = "credential date differs from X-Amz-Date",
       .after_signing = [](HttpRequest& r) { SetHeader(r, "X-Amz-Date", "20150831T000000Z"); },
       .want_kind = Kind::kMalformed,
       .want_message = "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                       "date from HTTP: '20150830' != '20150831', from '20150831T000000Z'."},
      {.name = "signed for another region",
       .sign_region = "us-west-2",
       .want_kind = Kind::kWrongScope,
       .want_message = "Credential should be scoped to a valid region, not 'us-west-2'."},
      {.name = "signed for another service",
       .sign_service = "ec2",
       .want_kind = Kind::kWrongScope,
       .want_message = "Credential should be scoped to correct service: 'ecs'."},
      {.name = "host not signed",
       .before_signing = [](HttpRequest& r) { RemoveHeader(r, "host"); },
       .after_signing =
           [](HttpRequest& r) { r.headers.emplace_back("Host", "ecs.us-east-1.amazonaws.com"); },
       .want_kind = Kind::kMalformed,
       .want_message = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
  };
}

TEST(SigV4Verify, EachCase_GivesItsVerdict) {
  for (const VerifyCase& c : VerifyCases()) {
    SCOPED_TRACE(c.name);
    HttpRequest request = EcsRequest();
    if (c.before_signing) {
      c.before_signing(request);
    }
    Sign(request, {kAkid, kSecret}, c.sign_region, c.sign_service, SuiteTime());
    if (c.after_signing) {
      c.after_signing(request);
    }
    const Verdict verdict = Verify(request, "us-east-1", "ecs", SuiteTime() + c.clock_offset,
                                   SecretLookup(c.stored_secret));
    EXPECT_EQ(verdict.kind, c.want_kind) << verdict.message;
    EXPECT_EQ(verdict.access_key_id, c.want_key);
    if (c.want_message.empty()) {
      EXPECT_EQ(verdict.message, "");
    } else {
      EXPECT_THAT(verdict.message, HasSubstr(c.want_message));
    }
    EXPECT_THAT(verdict.message, ::testing::Not(HasSubstr(kSecret)));
    EXPECT_FALSE(HasSignatureShape(verdict.message)) << verdict.message;
  }
}

TEST(SigV4Verify, EcsRequest_SignsContentTypeHostDateAndTarget) {
  HttpRequest request = EcsRequest();
  Sign(request, {kAkid, kSecret}, "us-east-1", "ecs", SuiteTime());
  EXPECT_THAT(
      request.headers,
      Contains(Pair("Authorization",
                    HasSubstr("SignedHeaders=content-type;host;x-amz-date;x-amz-target,"))));
}

TEST(SigV4Verify, CheapChecksFail_SecretIsNotLookedUp) {
  HttpRequest request = EcsRequest();
  Sign(request, {kAkid, kSecret}, "us-east-1", "ecs", SuiteTime());
  int lookups = 0;
  const auto counting = [&lookups](std::string_view) -> std::optional<std::string> {
    ++lookups;
    return kSecret;
  };
  EXPECT_EQ(Verify(request, "us-east-1", "ecs", SuiteTime() + absl::Hours(1), counting).kind,
            Kind::kExpired);
  EXPECT_EQ(Verify(request, "eu-west-1", "ecs", SuiteTime(), counting).kind, Kind::kWrongScope);
  EXPECT_EQ(lookups, 0);
  EXPECT_EQ(Verify(request, "us-east-1", "ecs", SuiteTime(), counting).kind, Kind::kOk);
  EXPECT_EQ(lookups, 1);
}

// A client may sign the HTTP Date header instead of sending X-Amz-Date; the string to sign
// then carries that time in ISO 8601 basic form.
TEST(SigV4Verify, DateHeaderInsteadOfXAmzDate_Verifies) {
  HttpRequest request = EcsRequest();
  request.headers.emplace_back("Date", "Sun, 30 Aug 2015 12:36:00 GMT");
  const std::string scope = "20150830/us-east-1/ecs/aws4_request";
  const std::string signature = Signature(
      kSecret, "20150830", "us-east-1", "ecs",
      StringToSign(kSuiteDate, scope, CanonicalRequest(request, {"date", "host", "x-amz-target"})));
  request.headers.emplace_back(
      "Authorization",
      absl::StrCat("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", scope,
                   ", SignedHeaders=date;host;x-amz-target, Signature=", signature));
  EXPECT_EQ(Verify(request, "us-east-1", "ecs", SuiteTime(), SecretLookup(kSecret)).kind,
            Kind::kOk);

  SetHeader(request, "Date", "2015-08-30 12:36:00");
  const Verdict verdict = Verify(request, "us-east-1", "ecs", SuiteTime(), SecretLookup(kSecret));
  EXPECT_EQ(verdict.kind, Kind::kMalformed);
  EXPECT_THAT(verdict.message, HasSubstr("is not an RFC 1123 date"));
}

}  // namespace
}  // namespace gantry::auth
