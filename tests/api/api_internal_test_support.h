// Helpers shared by the unit tests of the api module's pure helpers (api_internal_test.cc
// and clusters_test.cc).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/api.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace gantry::api::internal::api_internal_test {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;

inline constexpr absl::StatusCode kOk = absl::StatusCode::kOk;
inline constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
inline constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;

inline constexpr char kArnPrefix[] = "arn:aws:ecs:us-east-1:000000000000:";

// The outcome a case wants: OK, or `code` with `message` somewhere in the message.
struct Want {
  absl::StatusCode code = kOk;
  std::string message;
};

template <typename T>
inline void ExpectOutcome(const absl::StatusOr<T>& got, const Want& want) {
  if (want.code == kOk) {
    EXPECT_THAT(got, IsOk());
  } else {
    EXPECT_THAT(got, StatusIs(want.code, want.message));
  }
}

inline std::string Arn(const std::string& resource) { return kArnPrefix + resource; }

inline v1::Tag MakeTag(const std::string& key, const std::string& value) {
  v1::Tag tag;
  tag.set_key(key);
  tag.set_value(value);
  return tag;
}
}  // namespace gantry::api::internal::api_internal_test
