// An EC2 error code carried on an absl::Status as a payload, for the errors whose EC2
// code cannot be derived from the status code and the field alone (a malformed
// `vpc-` id is InvalidVpcID.Malformed, a VPC block of the wrong size InvalidVpc.Range).
// Validation attaches the code where it knows it; the EC2 Query front end
// (api/aws/ec2_query.cc) prefers it to its own mapping. gRPC callers never see it:
// status_convert copies only the code and the message. Pure functions, no state.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace gantry::api::internal {

// EC2's codes that validation attaches.
inline constexpr std::string_view kEc2InvalidVpcRange = "InvalidVpc.Range";
inline constexpr std::string_view kEc2InvalidSubnetRange = "InvalidSubnet.Range";
inline constexpr std::string_view kEc2InvalidVpcIdMalformed = "InvalidVpcID.Malformed";
inline constexpr std::string_view kEc2InvalidSubnetIdMalformed = "InvalidSubnetID.Malformed";
inline constexpr std::string_view kEc2InvalidGroupIdMalformed = "InvalidGroupId.Malformed";
inline constexpr std::string_view kEc2InvalidNetworkInterfaceIdMalformed =
    "InvalidNetworkInterfaceID.Malformed";

// `status` with `code` attached (replacing any attached before). An OK status stays OK:
// absl ignores payloads on OK.
absl::Status WithEc2ErrorCode(absl::Status status, std::string_view code);

// The code attached to `status`, or nullopt when none is.
std::optional<std::string> Ec2ErrorCodeOf(const absl::Status& status);

}  // namespace gantry::api::internal
