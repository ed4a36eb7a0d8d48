// Fuzzes auth::ParseAuthorization on raw Authorization header values, and checks that what
// it accepts has the shape its contract (auth/sigv4.h) promises to the verifier.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "auth/sigv4.h"
#include "fuzz/fuzz_support.h"

namespace gantry::fuzz {
namespace {

bool AllOf(std::string_view text, bool (*predicate)(unsigned char)) {
  return std::all_of(text.begin(), text.end(),
                     [predicate](char c) { return predicate(static_cast<unsigned char>(c)); });
}

bool IsLowerHex(unsigned char c) { return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'); }

bool IsDigit(unsigned char c) { return absl::ascii_isdigit(c); }

void FuzzOne(std::string_view header) {
  const absl::StatusOr<auth::Authorization> parsed = auth::ParseAuthorization(header);
  if (!parsed.ok()) {
    Require(absl::IsInvalidArgument(parsed.status()), "ParseAuthorization fails INVALID_ARGUMENT",
            parsed.status().ToString());
    return;
  }
  Require(parsed->signature.size() == 64 && AllOf(parsed->signature, IsLowerHex),
          "the signature is 64 lowercase hex digits", parsed->signature);
  Require(parsed->date.size() == 8 && AllOf(parsed->date, IsDigit), "the scope date is YYYYMMDD",
          parsed->date);
  Require(!parsed->access_key_id.empty() && !parsed->region.empty() && !parsed->service.empty(),
          "key id, region and service are not empty");
  Require(!parsed->signed_headers.empty(), "SignedHeaders names at least one header");
  for (const std::string& name : parsed->signed_headers) {
    Require(!name.empty(), "no signed header name is empty");
  }
}

}  // namespace
}  // namespace gantry::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gantry::fuzz::FuzzOne(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
