// Fuzzes the AWS front end's handler (api/aws/front_end.h) on whole requests in
// fuzz_support.h's HTTP-like text form: protocol routing (ECS JSON 1.1 or EC2 Query), the
// X-Amz-Target and method checks, SigV4 verification and each protocol's error answers.
//
// The operations have no database, so no request may get past authentication: the key
// ring knows the seeds' key id but with a different secret, and a fuzzer cannot forge an
// HMAC-SHA256. ec2_query_fuzzer and ecsjson_fuzzer cover what lies behind authentication.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "api/aws/ecs_json.h"
#include "api/aws/front_end.h"
#include "api/aws/http_server.h"
#include "api/key_ring.h"
#include "fuzz/fuzz_support.h"

namespace gantry::fuzz {
namespace {

// Not the seeds' secret: their signatures are well formed and fail only at the comparison.
constexpr std::string_view kOtherSecret = "gantry-fuzz-secret-that-signed-nothing";

// One user key: the seeds' key id with kOtherSecret. Never freed: the handler keeps it.
const api::KeyRing* MakeKeys() {
  auto* const keys = new api::KeyRing();
  api::AccessKey key;
  key.secret = std::string(kOtherSecret);
  key.caller.account_id = api::Config{}.account_id;
  key.caller.role = api::Caller::Role::kUser;
  key.caller.access_key_id = std::string(kAccessKeyId);
  keys->Put(key);
  return keys;
}

const api::aws::HttpHandler& Handler() {
  static auto* const ecs = new api::EcsOperations(api::Config{}, nullptr, nullptr);
  static auto* const network = new api::NetworkOperations(api::Config{}, nullptr);
  static const auto* const handler = new api::aws::HttpHandler(api::aws::MakeFrontEnd(
      ecs, network, std::string(kRegion), MakeKeys(), [] { return kSigningTime; }));
  return *handler;
}

void FuzzOne(std::string_view input) {
  int answers = 0;
  int http_status = 0;
  Handler()(ParseHttpRequest(input), [&](api::aws::AwsResponse response) {
    ++answers;
    http_status = response.http_status;
  });
  Require(answers == 1, "the front end answers a refused request once, on the calling thread",
          absl::StrCat(answers, " answers"));
  Require(http_status >= 400 && http_status < 500, "an unauthenticated request gets a 4xx",
          absl::StrCat("HTTP ", http_status));
}

}  // namespace
}  // namespace gantry::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gantry::fuzz::FuzzOne(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
