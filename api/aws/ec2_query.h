// EC2 over the Query protocol, the way the aws CLI and the AWS SDKs speak it: `POST /`
// with an application/x-www-form-urlencoded body naming `Action=...&Version=2016-11-15`
// and the action's parameters in EC2's query names (`VpcId.1`, `GroupDescription`).
// Each supported action is the NetworkOperations method the gRPC service calls; this
// file only converts the form into the request and the response into EC2's XML (element
// names lowerCamel, lists as `<xxxSet><item>`), the analogue of ecs_json for ECS.
//
// Errors are answered as EC2 answers them: an XML `<Response><Errors><Error>` document
// with EC2's error code, HTTP 400 for client errors (412 for DryRun), 500 or 503 for
// server faults. Parameters Gantry does not understand are refused, never ignored.
//
// Thread-safe: no state beyond the operations it calls. The Render* functions are pure.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gantry/v1/network.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/api.h"
#include "api/aws/ecs_json.h"

namespace gantry::api::aws {

// The one EC2 API version Gantry serves, and the XML namespace of its responses.
inline constexpr std::string_view kEc2ApiVersion = "2016-11-15";
inline constexpr std::string_view kEc2XmlNamespace = "http://ec2.amazonaws.com/doc/2016-11-15/";
inline constexpr std::string_view kEc2ContentType = "text/xml;charset=UTF-8";

// Form parameters in the order they were sent.
using FormFields = std::vector<std::pair<std::string, std::string>>;

// Parses application/x-www-form-urlencoded text into ordered (name, value) pairs,
// decoding %XX escapes and '+' as a space. Empty `&&` segments are skipped; a segment
// without '=' is a name with an empty value. INVALID_ARGUMENT on a '%' not followed by
// two hex digits, or when a decoded name or value is not UTF-8.
absl::StatusOr<FormFields> ParseForm(std::string_view body);

// The EC2 error document (text/xml) with a fresh request id:
// <Response><Errors><Error><Code>..</Code><Message>..</Message></Error></Errors>
// <RequestID>..</RequestID></Response>.
AwsResponse Ec2Error(int http_status, std::string_view code, std::string_view message);

// The EC2 error for a failed NetworkOperations call. An INVALID_ARGUMENT carrying an EC2
// code (api/internal/ec2_error_code.h: InvalidVpcID.Malformed and the other malformed
// ids, InvalidVpc.Range, InvalidSubnet.Range for a prefix outside /16../28) is answered
// with it; otherwise the code is chosen by status code and by the field path that starts
// the message ("VpcId: ...", "SubnetIds[0]: ..."):
//   INVALID_ARGUMENT     400 MissingParameter (first violation "X: required"),
//                            InvalidSubnet.Conflict / InvalidSubnet.Range (CidrBlock
//                            overlaps another subnet / is outside the VPC), else
//                            InvalidParameterValue
//   NOT_FOUND            400 InvalidVpcID.NotFound, InvalidSubnetID.NotFound,
//                            InvalidGroup.NotFound, InvalidNetworkInterfaceID.NotFound,
//                            else InvalidParameterValue (e.g. an unknown zone name)
//   ALREADY_EXISTS       400 InvalidGroup.Duplicate, InvalidSubnet.Conflict
//   FAILED_PRECONDITION  400 DependencyViolation (e.g. a subnet whose addresses are in use)
//   UNAVAILABLE, DEADLINE_EXCEEDED  503 Unavailable (the SDKs retry it)
//   anything else        500 InternalError
AwsResponse Ec2ErrorFor(const absl::Status& status);

// Runs the EC2 action the form names (`Action`, with `Version` 2016-11-15) on
// `operations` for `caller`. `done` is called exactly once: from this thread when the request is
// refused before the operation runs (bad form, unknown action or parameter, DryRun),
// otherwise from whichever thread finishes the operation.
//
// Actions: CreateVpc, DescribeVpcs, CreateSubnet, DescribeSubnets, DeleteSubnet,
// CreateSecurityGroup, DescribeSecurityGroups, DescribeAvailabilityZones and
// DescribeNetworkInterfaces. Other actions are answered with InvalidAction, a missing one
// with MissingAction.
void DispatchEc2(NetworkOperations& operations, const Caller& caller, std::string_view form_body,
                 std::function<void(AwsResponse)> done);

// The successful responses' XML documents (without HTTP framing). Elements come from the
// fields the message has set, plus what EC2 always shows that follows from Gantry's model:
// a VPC's one associated block in cidrBlockAssociationSet, dhcpOptionsId "default" (no
// DHCP option set), empty ipPermissions/ipPermissionsEgress (no rules are modelled), an
// empty messageSet for a zone (no zone messages) and an empty ipv6AddressesSet for an
// ENI (no IPv6). No tagSet: Gantry stores no tags. Text is XML-escaped.
std::string RenderCreateVpc(const v1::CreateVpcResponse& response, std::string_view request_id);
std::string RenderDescribeVpcs(const v1::DescribeVpcsResponse& response,
                               std::string_view request_id);
std::string RenderCreateSubnet(const v1::CreateSubnetResponse& response,
                               std::string_view request_id);
std::string RenderDescribeSubnets(const v1::DescribeSubnetsResponse& response,
                                  std::string_view request_id);
std::string RenderDeleteSubnet(const v1::DeleteSubnetResponse& response,
                               std::string_view request_id);
std::string RenderCreateSecurityGroup(const v1::CreateSecurityGroupResponse& response,
                                      std::string_view request_id);
std::string RenderDescribeSecurityGroups(const v1::DescribeSecurityGroupsResponse& response,
                                         std::string_view request_id);
std::string RenderDescribeAvailabilityZones(const v1::DescribeAvailabilityZonesResponse& response,
                                            std::string_view request_id);
std::string RenderDescribeNetworkInterfaces(const v1::DescribeNetworkInterfacesResponse& response,
                                            std::string_view request_id);

}  // namespace gantry::api::aws
