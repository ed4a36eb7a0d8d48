#include "api/internal/ec2_error_code.h"

#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace gantry::api::internal {
namespace {

// Payload type URLs only need to be unique within the process; this one is never sent.
// absl::string_view: this Abseil's is not std::string_view.
constexpr absl::string_view kPayloadType = "type.gantry.dev/gantry.v1.Ec2ErrorCode";

}  // namespace

absl::Status WithEc2ErrorCode(absl::Status status, std::string_view code) {
  status.SetPayload(kPayloadType, absl::Cord(absl::string_view(code.data(), code.size())));
  return status;
}

std::optional<std::string> Ec2ErrorCodeOf(const absl::Status& status) {
  const absl::optional<absl::Cord> payload = status.GetPayload(kPayloadType);
  if (!payload.has_value()) {
    return std::nullopt;
  }
  return std::string(*payload);
}

}  // namespace gantry::api::internal
