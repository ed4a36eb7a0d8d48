// Fuzzes the EC2 Query protocol's request side (api/aws/ec2_query.h): ParseForm on the raw
// body, then DispatchEc2 on the same body with "&DryRun=true" appended.
//
// Why DryRun: NetworkOperations is a concrete class over storage::Database, and this
// fuzzer has no database. With DryRun appended, DispatchEc2 never calls an operation:
// either the form is refused (a bad escape, an unknown action or parameter, or DryRun given
// twice because the input had its own) or the request is built and validated and answered
// 412 DryRunOperation / 400. Either way it answers on this thread, which the fuzzer checks,
// so a request that reached the (database-less) operations would fail loudly rather than
// dereference a null database.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "api/api.h"
#include "api/aws/ec2_query.h"
#include "api/aws/ecs_json.h"
#include "fuzz/fuzz_support.h"

namespace gantry::fuzz {
namespace {

// No database: only refusals and DryRun answers may happen (see the file comment).
api::NetworkOperations& Operations() {
  static auto* const operations = new api::NetworkOperations(api::Config{}, nullptr);
  return *operations;
}

// An account's own key, as the front end makes it for a user's request.
api::Caller User() {
  api::Caller caller;
  caller.account_id = api::Config{}.account_id;
  caller.role = api::Caller::Role::kUser;
  caller.access_key_id = std::string(kAccessKeyId);
  return caller;
}

void CheckForm(std::string_view body) {
  const absl::StatusOr<api::aws::FormFields> fields = api::aws::ParseForm(body);
  if (!fields.ok()) {
    return;
  }
  // Decoding never grows the text: each field came from at least as many input bytes.
  size_t decoded = 0;
  for (const auto& [name, value] : *fields) {
    decoded += name.size() + value.size();
  }
  Require(decoded <= body.size(), "ParseForm does not grow the text");
}

void CheckDispatch(std::string_view body) {
  const std::string dry_run = std::string(body) + "&DryRun=true";
  int answers = 0;
  int http_status = 0;
  api::aws::DispatchEc2(Operations(), User(), dry_run, [&](api::aws::AwsResponse response) {
    ++answers;
    http_status = response.http_status;
  });
  Require(answers == 1, "DispatchEc2 answers a DryRun request once, on the calling thread",
          absl::StrCat(answers, " answers"));
  Require(http_status == 400 || http_status == 412, "a DryRun answer is 400 or 412",
          absl::StrCat("HTTP ", http_status));
}

}  // namespace
}  // namespace gantry::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  gantry::fuzz::CheckForm(body);
  gantry::fuzz::CheckDispatch(body);
  return 0;
}
