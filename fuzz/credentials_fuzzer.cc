// Fuzzes auth::ParseCredentialsFile, which reads the shared-credentials file gantryd and
// gantryctl load. The first input line is the profile to look up, the rest the file text.
// A key found in the [default] profile must survive FormatCredentialsFile and a re-read.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "auth/credentials.h"
#include "fuzz/fuzz_support.h"

namespace gantry::fuzz {
namespace {

void CheckRoundTrip(const auth::Credentials& credentials) {
  const std::string text = auth::FormatCredentialsFile(credentials, "default", "fuzz");
  const absl::StatusOr<auth::Credentials> again = auth::ParseCredentialsFile(text, "default");
  Require(again.ok(), "ParseCredentialsFile reads what FormatCredentialsFile wrote",
          again.status().ToString());
  Require(again->access_key_id == credentials.access_key_id &&
              again->secret_access_key == credentials.secret_access_key,
          "the key survives FormatCredentialsFile and ParseCredentialsFile", text);
}

void FuzzOne(std::string_view input) {
  const size_t newline = input.find('\n');
  const std::string_view profile = input.substr(0, newline);
  const std::string_view text =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  const absl::StatusOr<auth::Credentials> named = auth::ParseCredentialsFile(text, profile);
  if (!named.ok()) {
    Require(absl::IsNotFound(named.status()), "ParseCredentialsFile fails NOT_FOUND",
            named.status().ToString());
  }
  const absl::StatusOr<auth::Credentials> found = auth::ParseCredentialsFile(text, "default");
  if (found.ok()) {
    CheckRoundTrip(*found);
  }
}

}  // namespace
}  // namespace gantry::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gantry::fuzz::FuzzOne(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
