// gMock matchers for absl::Status and absl::StatusOr (our Abseil has none):
//   EXPECT_THAT(status, IsOk());
//   EXPECT_THAT(status_or, StatusIs(absl::StatusCode::kInvalidArgument,
//   "containerDefinitions[0]"));
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace gantry::testing {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& status = ::gantry::testing::GetStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status.ToString();
  return status.ok();
}

MATCHER_P2(StatusIs, code, message_substring,
           "has code " + ::testing::PrintToString(code) + " and a message containing \"" +
               std::string(message_substring) + "\"") {
  const absl::Status& status = ::gantry::testing::GetStatus(arg);
  *result_listener << "status is " << status.ToString();
  return status.code() == code &&
         std::string(status.message()).find(message_substring) != std::string::npos;
}

}  // namespace gantry::testing
