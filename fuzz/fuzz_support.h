// Shared pieces of the libFuzzer targets in fuzz/: the text form in which the HTTP-level
// fuzzers receive a request, the fixed key and clock they verify signatures with, and the
// check that turns a broken invariant into a crash libFuzzer records.
//
// Fuzzing only: nothing outside fuzz/ links this. Pure functions, safe from any thread.
#pragma once

#include <string_view>

#include "absl/time/time.h"
#include "auth/sigv4.h"

namespace gantry::fuzz {

// The example key of AWS's SigV4 documentation; the seed corpora were signed with it by
// botocore (the aws CLI's SDK) at kSigningTime.
inline constexpr std::string_view kAccessKeyId = "AKIDEXAMPLE";
inline constexpr std::string_view kSecretAccessKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
inline constexpr std::string_view kRegion = "us-east-1";
// 2015-08-30T12:36:00Z, the date of AWS's SigV4 test suite.
inline constexpr absl::Time kSigningTime = absl::FromUnixSeconds(1440938160);

// Reads a request written the way HTTP/1.1 puts it on the wire, with '\n' line ends:
//
//   POST /path?query
//   Name: value
//   ...
//   <empty line>
//   body bytes
//
// The request line splits at its first space (method) and the target at its first '?'
// (path, query), as the HTTP server does; a header line splits at its first ':' and the
// value loses the spaces and tabs after it. Everything after the first empty line is the
// body. Any bytes give some request: this never fails.
auth::HttpRequest ParseHttpRequest(std::string_view text);

// Aborts with `invariant` and `detail` on stderr when `condition` is false. For properties
// the code under test promises (a round trip, an answer given exactly once), so that
// libFuzzer saves the input as a crash.
void Require(bool condition, std::string_view invariant, std::string_view detail = "");

}  // namespace gantry::fuzz
