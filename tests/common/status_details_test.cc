#include "common/status_details.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gantry {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(StatusDetails, ResourceIds_RoundTripAndSurviveCopies) {
  const absl::Status status =
      WithResourceIds(absl::AlreadyExistsError("token used"), {"arn:a/1", "arn:a/2"});
  const absl::Status copy = status;  // NOLINT: a copy keeps the payload
  EXPECT_THAT(ResourceIdsOf(copy), ElementsAre("arn:a/1", "arn:a/2"));
  EXPECT_EQ(copy.message(), "token used");
  EXPECT_THAT(ResourceIdsOf(absl::AlreadyExistsError("plain")), IsEmpty());
  // An OK status carries nothing.
  EXPECT_THAT(ResourceIdsOf(WithResourceIds(absl::OkStatus(), {"x"})), IsEmpty());
  // Replacing the ids replaces them.
  EXPECT_THAT(ResourceIdsOf(WithResourceIds(status, {"arn:b"})), ElementsAre("arn:b"));
}

TEST(StatusDetails, ErrorName_RoundTrip) {
  const absl::Status status =
      WithErrorName(absl::NotFoundError("task: gone"), "InvalidParameterException");
  EXPECT_EQ(ErrorNameOf(status), "InvalidParameterException");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorNameOf(absl::NotFoundError("x")), std::nullopt);
  EXPECT_EQ(ErrorNameOf(WithErrorName(absl::OkStatus(), "X")), std::nullopt);
}

}  // namespace
}  // namespace gantry
