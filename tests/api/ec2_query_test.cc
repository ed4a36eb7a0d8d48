// The EC2 Query front end without a database: form decoding, the error document and the
// status-to-error table, the requests DispatchEc2 answers before any operation runs
// (unknown actions, unsupported parameters, DryRun), and the XML the successful
// responses are rendered to.
#include "api/aws/ec2_query.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gantry/v1/network.pb.h"

#include "absl/status/status.h"
#include "api/api.h"
#include "api/internal/ec2_error_code.h"
#include "api/internal/network_requests.h"
#include "api/internal/network_shapes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace gantry::api::aws {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr std::string_view kPrologue = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

// The text between the first <name> and its </name>, or "<missing>".
std::string ElementText(const std::string& xml, const std::string& name) {
  const std::string open = "<" + name + ">";
  const size_t start = xml.find(open);
  const size_t end = xml.find("</" + name + ">", start);
  if (start == std::string::npos || end == std::string::npos) {
    return "<missing>";
  }
  return xml.substr(start + open.size(), end - start - open.size());
}

// `text` with the five predefined XML entities decoded, for comparing messages.
std::string XmlUnescape(std::string text) {
  const std::vector<std::pair<std::string, std::string>> entities = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}};
  for (const auto& [entity, character] : entities) {
    for (size_t at = text.find(entity); at != std::string::npos;
         at = text.find(entity, at + character.size())) {
      text.replace(at, entity.size(), character);
    }
  }
  return text;
}

// True when every start tag is closed in order (self-closing tags and the <?xml?>
// prologue excepted) and no text holds a raw '<'. Enough to catch broken nesting.
bool TagsBalance(std::string_view xml) {
  std::vector<std::string> open;
  for (size_t i = xml.find('<'); i != std::string_view::npos; i = xml.find('<', i + 1)) {
    const size_t end = xml.find('>', i);
    if (end == std::string_view::npos) {
      return false;
    }
    std::string_view tag = xml.substr(i + 1, end - i - 1);
    if (tag.starts_with('?') || tag.ends_with('/')) {
      continue;
    }
    if (tag.starts_with('/')) {
      if (open.empty() || open.back() != tag.substr(1)) {
        return false;
      }
      open.pop_back();
    } else {
      open.emplace_back(tag.substr(0, tag.find(' ')));
    }
  }
  return open.empty();
}

// ---- ParseForm -------------------------------------------------------------------

TEST(Ec2ParseForm, Table_DecodesInOrder) {
  struct Case {
    std::string name;
    std::string body;
    FormFields want;
  };
  const std::vector<Case> cases = {
      {"empty body", "", {}},
      {"action and version",
       "Action=DescribeVpcs&Version=2016-11-15",
       {{"Action", "DescribeVpcs"}, {"Version", "2016-11-15"}}},
      {"percent escapes in name and value, both cases of hex",
       "Cidr%42lock=10.0.0.0%2f16&Group%4eame=a%2Fb",
       {{"CidrBlock", "10.0.0.0/16"}, {"GroupName", "a/b"}}},
      {"plus is a space, an escaped plus is not",
       "GroupDescription=web+tier%2B1",
       {{"GroupDescription", "web tier+1"}}},
      {"escaped separators stay in the value", "A=x%3Dy%26z", {{"A", "x=y&z"}}},
      {"second equals sign belongs to the value", "A=b=c", {{"A", "b=c"}}},
      {"empty value and missing equals", "A=&B", {{"A", ""}, {"B", ""}}},
      {"empty segments skipped", "&&A=1&&B=2&", {{"A", "1"}, {"B", "2"}}},
      {"repeats kept in order", "X=2&X=1", {{"X", "2"}, {"X", "1"}}},
      {"UTF-8 decoded", "GroupName=caf%C3%A9", {{"GroupName", "caf\xC3\xA9"}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<FormFields> fields = ParseForm(c.body);
    ASSERT_THAT(fields, IsOk());
    EXPECT_EQ(*fields, c.want);
  }
}

TEST(Ec2ParseForm, Table_BadEscapesAndBytes_InvalidArgument) {
  struct Case {
    std::string name;
    std::string body;
    std::string want_message;
  };
  const std::vector<Case> cases = {
      {"non-hex digit", "A=%G1", "'%' at byte 2"},
      {"one digit at the end", "A=%4", "'%' at byte 2"},
      {"bare percent at the end", "Action=X&B=%", "'%' at byte 11"},
      {"bad escape in a name", "%zz=1", "'%' at byte 0"},
      {"decodes to a lone continuation byte", "A=%80", "not UTF-8"},
      {"decodes to an invalid lead byte", "A=%FF", "not UTF-8"},
      {"truncated two-byte sequence", "A=%C3", "not UTF-8"},
      {"UTF-16 surrogate", "A=%ED%A0%80", "not UTF-8"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseForm(c.body), StatusIs(absl::StatusCode::kInvalidArgument, c.want_message));
  }
}

// ---- Ec2Error / Ec2ErrorFor ------------------------------------------------------

TEST(Ec2Error, Document_ShapeAndEscaping) {
  const AwsResponse answer = Ec2Error(400, "Bad<Code>", "a<b & \"c\" 'd'\x01");
  EXPECT_EQ(answer.http_status, 400);
  EXPECT_EQ(answer.content_type, "text/xml;charset=UTF-8");
  EXPECT_THAT(answer.body, StartsWith(std::string(kPrologue) +
                                      "<Response><Errors><Error><Code>Bad&lt;Code&gt;</Code>"
                                      "<Message>a&lt;b &amp; &quot;c&quot; 'd'?"
                                      "</Message></Error></Errors><RequestID>"));
  EXPECT_THAT(answer.body, ::testing::EndsWith("</RequestID></Response>"));
  const std::string request_id = ElementText(answer.body, "RequestID");
  EXPECT_EQ(request_id.size(), 36u) << request_id;
  EXPECT_NE(request_id, ElementText(Ec2Error(400, "X", "y").body, "RequestID"));
  EXPECT_TRUE(TagsBalance(answer.body));
}

TEST(Ec2ErrorFor, Table_CodeAndHttpStatus) {
  struct Case {
    std::string name;
    absl::Status status;
    int want_http;
    std::string want_code;
  };
  v1::CreateVpcRequest no_cidr;
  v1::CreateVpcRequest two_problems;
  two_problems.set_cidr_block("10.0.0.0/8");
  two_problems.set_instance_tenancy("dedicated");
  v1::CreateVpcRequest tenancy;
  tenancy.set_cidr_block("10.0.0.0/16");
  tenancy.set_instance_tenancy("dedicated");
  v1::CreateVpcRequest small_vpc;
  small_vpc.set_cidr_block("10.0.0.0/29");
  v1::CreateSubnetRequest big_subnet;
  big_subnet.set_vpc_id("vpc-0123456789abcdef0");
  big_subnet.set_cidr_block("10.0.0.0/15");
  big_subnet.set_availability_zone("us-east-1a");
  v1::CreateSubnetRequest mars_subnet = big_subnet;
  mars_subnet.set_cidr_block("10.0.0.0/24");
  mars_subnet.set_availability_zone("mars-1a");
  v1::CreateSubnetRequest mars_subnet_junk_vpc = mars_subnet;
  mars_subnet_junk_vpc.set_vpc_id("junk");
  v1::DescribeVpcsRequest junk_vpc;
  junk_vpc.add_vpc_ids("junk");
  v1::DescribeSubnetsRequest junk_subnet;
  junk_subnet.add_subnet_ids("subnet-1");
  v1::DeleteSubnetRequest junk_delete;
  junk_delete.set_subnet_id("vpc-0123456789abcdef0");
  v1::DescribeSecurityGroupsRequest junk_group;
  junk_group.add_group_ids("web");
  v1::DescribeNetworkInterfacesRequest junk_eni;
  junk_eni.add_network_interface_ids("eni-xyz");
  v1::DescribeVpcsRequest bad_filter;
  v1::Filter* filter = bad_filter.add_filters();
  filter->set_name("tag:Name");
  filter->add_values("web");
  const std::vector<Case> cases = {
      {"validation: member missing", internal::ParseCreateVpc(no_cidr).status(), 400,
       "MissingParameter"},
      {"validation: bad value", internal::ParseCreateVpc(tenancy).status(), 400,
       "InvalidParameterValue"},
      {"vpc block too large, first of two problems",
       internal::ParseCreateVpc(two_problems).status(), 400, "InvalidVpc.Range"},
      {"vpc block too small", internal::ParseCreateVpc(small_vpc).status(), 400,
       "InvalidVpc.Range"},
      {"subnet block outside /16../28",
       internal::ParseCreateSubnet("us-east-1", big_subnet).status(), 400, "InvalidSubnet.Range"},
      {"subnet zone not of the region",
       internal::ParseCreateSubnet("us-east-1", mars_subnet).status(), 400,
       "InvalidParameterValue"},
      {"malformed vpc id", internal::ParseDescribeVpcs(junk_vpc).status(), 400,
       "InvalidVpcID.Malformed"},
      {"malformed vpc id on create subnet",
       internal::ParseCreateSubnet("us-east-1", mars_subnet_junk_vpc).status(), 400,
       "InvalidVpcID.Malformed"},
      {"malformed subnet id", internal::ParseDescribeSubnets(junk_subnet).status(), 400,
       "InvalidSubnetID.Malformed"},
      {"malformed subnet id on delete", internal::ParseDeleteSubnet(junk_delete).status(), 400,
       "InvalidSubnetID.Malformed"},
      {"malformed group id", internal::ParseDescribeSecurityGroups(junk_group).status(), 400,
       "InvalidGroupId.Malformed"},
      {"malformed interface id", internal::ParseDescribeNetworkInterfaces(junk_eni).status(), 400,
       "InvalidNetworkInterfaceID.Malformed"},
      {"unknown filter name", internal::ParseDescribeVpcs(bad_filter).status(), 400,
       "InvalidParameterValue"},
      {"an attached code only answers INVALID_ARGUMENT",
       internal::WithEc2ErrorCode(absl::NotFoundError("VpcId: vpc-1 does not exist"),
                                  "InvalidVpcID.Malformed"),
       400, "InvalidVpcID.NotFound"},
      {"validation: first line decides",
       absl::InvalidArgumentError("VpcId: \"x\" is not a VPC id\nCidrBlock: required"), 400,
       "InvalidParameterValue"},
      {"subnet overlaps another",
       absl::InvalidArgumentError("CidrBlock: \"10.0.1.0/24\" overlaps subnet-0a1b2c3d4e5f60718 "
                                  "(10.0.0.0/23); choose a range no other subnet of vpc-1 uses"),
       400, "InvalidSubnet.Conflict"},
      {"subnet outside its VPC",
       absl::InvalidArgumentError("CidrBlock: \"10.1.0.0/24\" is not within vpc-1's CIDR block "
                                  "10.0.0.0/16; choose a range inside it"),
       400, "InvalidSubnet.Range"},
      {"vpc id on create", absl::NotFoundError("VpcId: vpc-0123456789abcdef0 does not exist"), 400,
       "InvalidVpcID.NotFound"},
      {"vpc ids on describe", internal::FirstMissing("VpcIds", "vpc ID", {"vpc-1", "vpc-2"}, {}),
       400, "InvalidVpcID.NotFound"},
      {"subnet id on delete", absl::NotFoundError("SubnetId: subnet-0a1b2c3d does not exist"), 400,
       "InvalidSubnetID.NotFound"},
      {"subnet ids on describe", internal::FirstMissing("SubnetIds", "subnet ID", {"subnet-1"}, {}),
       400, "InvalidSubnetID.NotFound"},
      {"group ids", internal::FirstMissing("GroupIds", "security group", {"sg-1"}, {}), 400,
       "InvalidGroup.NotFound"},
      {"network interface ids",
       internal::FirstMissing("NetworkInterfaceIds", "networkInterface ID", {"eni-1"}, {}), 400,
       "InvalidNetworkInterfaceID.NotFound"},
      {"zone names, as EC2 answers an unknown zone",
       internal::FirstMissing("ZoneNames", "availability zone", {"us-east-1z"}, {}), 400,
       "InvalidParameterValue"},
      {"group names", absl::NotFoundError("GroupNames[2]: The security group 'web' does not exist"),
       400, "InvalidGroup.NotFound"},
      {"not found, unknown field", absl::NotFoundError("cluster: no such cluster"), 400,
       "InvalidParameterValue"},
      {"group name taken", absl::AlreadyExistsError("GroupName: \"web\" already exists in vpc-1"),
       400, "InvalidGroup.Duplicate"},
      {"group unique race", absl::AlreadyExistsError("create security group: already exists"), 400,
       "InvalidGroup.Duplicate"},
      {"subnet unique race", absl::AlreadyExistsError("create subnet: already exists"), 400,
       "InvalidSubnet.Conflict"},
      {"subnet in use",
       absl::FailedPreconditionError("subnet-1 has 3 addresses in use; stop its tasks first"), 400,
       "DependencyViolation"},
      {"database queue full", absl::UnavailableError("the database queue is full (64 waiting)"),
       503, "Unavailable"},
      {"statement timeout", absl::DeadlineExceededError("describe vpcs: timed out"), 503,
       "Unavailable"},
      {"lost race", absl::AbortedError("create vpc: conflicting concurrent change"), 500,
       "InternalError"},
      {"bug", absl::InternalError("create vpc: internal storage error"), 500, "InternalError"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_FALSE(c.status.ok());
    const AwsResponse answer = Ec2ErrorFor(c.status);
    EXPECT_EQ(answer.http_status, c.want_http);
    EXPECT_EQ(ElementText(answer.body, "Code"), c.want_code);
    EXPECT_THAT(
        answer.body,
        HasSubstr(ElementText(Ec2Error(400, "", std::string(c.status.message())).body, "Message")));
  }
}

// ---- DispatchEc2 refusals --------------------------------------------------------

// Answers `body` with operations that have no database: every request here is refused
// before an operation could reach it (one that did would dereference the null database).
AwsResponse Dispatch(const std::string& body) {
  static NetworkOperations* const kOperations = new NetworkOperations(Config{}, nullptr);
  int calls = 0;
  AwsResponse answer;
  const Caller caller{.account_id = "000000000000", .role = Caller::Role::kUser};
  DispatchEc2(*kOperations, caller, body, [&](AwsResponse response) {
    ++calls;
    answer = std::move(response);
  });
  EXPECT_EQ(calls, 1);
  return answer;
}

struct DispatchCase {
  std::string name;
  std::string body;
  int want_http;
  std::string want_code;
  std::string want_message;
};

void ExpectAnswers(const std::vector<DispatchCase>& cases) {
  for (const DispatchCase& c : cases) {
    SCOPED_TRACE(c.name);
    const AwsResponse answer = Dispatch(c.body);
    EXPECT_EQ(answer.http_status, c.want_http);
    EXPECT_EQ(answer.content_type, "text/xml;charset=UTF-8");
    EXPECT_EQ(ElementText(answer.body, "Code"), c.want_code);
    EXPECT_THAT(XmlUnescape(ElementText(answer.body, "Message")), HasSubstr(c.want_message));
  }
}

constexpr std::string_view kV = "&Version=2016-11-15";

TEST(DispatchEc2, Table_ActionsRefused) {
  const std::string v(kV);
  ExpectAnswers({
      {"bad escape", "Action=DescribeVpcs%ZZ" + v, 400, "MalformedQueryString", "byte 19"},
      {"no action", "Version=2016-11-15", 400, "MissingAction", "Action: required"},
      {"empty action", "Action=" + v, 400, "MissingAction", "Action: required"},
      {"action given twice", "Action=DescribeVpcs&Action=DescribeVpcs" + v, 400,
       "InvalidParameterValue", "Action: given 2 times"},
      {"unknown action", "Action=RunInstances" + v, 400, "InvalidAction",
       "\"RunInstances\" is not an EC2 action Gantry serves; it serves CreateSecurityGroup, "
       "CreateSubnet, CreateVpc, DeleteSubnet, DescribeAvailabilityZones, "
       "DescribeNetworkInterfaces, DescribeSecurityGroups, DescribeSubnets, DescribeVpcs"},
      {"action names are case-sensitive", "Action=describevpcs" + v, 400, "InvalidAction",
       "describevpcs"},
      {"no version", "Action=DescribeVpcs", 400, "MissingParameter", "Version: required"},
      {"other version", "Action=DescribeVpcs&Version=2014-06-15", 400, "InvalidParameterValue",
       "Version: \"2014-06-15\" is not served"},
  });
}

TEST(DispatchEc2, Table_ParametersRefused) {
  const std::string v(kV);
  ExpectAnswers({
      {"filter member Gantry does not know",
       "Action=DescribeSubnets" + v + "&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1&Filter.1.Op=x",
       400, "UnknownParameter", "Filter.1.Op: not a parameter of DescribeSubnets"},
      {"filter value without index",
       "Action=DescribeSubnets" + v + "&Filter.1.Name=vpc-id&Filter.1.Value=vpc-1", 400,
       "UnknownParameter", "Filter.1.Value: not a parameter of DescribeSubnets"},
      {"filter index zero", "Action=DescribeVpcs" + v + "&Filter.0.Name=vpc-id", 400,
       "UnknownParameter", "Filter.0.Name: not a parameter of DescribeVpcs"},
      {"filter name twice", "Action=DescribeVpcs" + v + "&Filter.1.Name=vpc-id&Filter.1.Name=state",
       400, "InvalidParameterValue", "Filter.1.Name: given 2 times"},
      {"filters on an action without them", "Action=DeleteSubnet" + v + "&Filter.1.Name=vpc-id",
       400, "UnknownParameter", "Filter.1.Name: not a parameter of DeleteSubnet"},
      {"pagination", "Action=DescribeVpcs" + v + "&MaxResults=5", 400, "InvalidParameterValue",
       "MaxResults: Gantry's DescribeVpcs does not support MaxResults yet"},
      {"next token", "Action=DescribeSecurityGroups" + v + "&NextToken=abc", 400,
       "InvalidParameterValue", "NextToken: Gantry's DescribeSecurityGroups"},
      {"tags on a vpc",
       "Action=CreateVpc" + v +
           "&CidrBlock=10.0.0.0%2F16&TagSpecification.1.ResourceType=vpc"
           "&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=a%3C%26%3E",
       400, "InvalidParameterValue",
       "TagSpecification.1.ResourceType: Gantry's CreateVpc does not support TagSpecification"},
      {"tags on a group",
       "Action=CreateSecurityGroup" + v + "&GroupName=web&TagSpecification.1.ResourceType=x", 400,
       "InvalidParameterValue", "TagSpecification.1.ResourceType: Gantry's CreateSecurityGroup"},
      {"zone id", "Action=CreateSubnet" + v + "&VpcId=vpc-1&AvailabilityZoneId=use1-az1", 400,
       "InvalidParameterValue", "AvailabilityZoneId: Gantry's CreateSubnet does not support"},
      {"ipv6 on a vpc", "Action=CreateVpc" + v + "&AmazonProvidedIpv6CidrBlock=true", 400,
       "InvalidParameterValue", "AmazonProvidedIpv6CidrBlock: Gantry's CreateVpc"},
      {"unknown name", "Action=DescribeVpcs" + v + "&Bogus=1", 400, "UnknownParameter",
       "Bogus: not a parameter of DescribeVpcs"},
      {"list member without index", "Action=DescribeVpcs" + v + "&VpcId=vpc-1", 400,
       "UnknownParameter", "VpcId: not a parameter of DescribeVpcs"},
      {"index zero", "Action=DescribeSubnets" + v + "&SubnetId.0=subnet-1", 400, "UnknownParameter",
       "SubnetId.0: not a parameter"},
      {"index with leading zero", "Action=DescribeSubnets" + v + "&SubnetId.01=subnet-1", 400,
       "UnknownParameter", "SubnetId.01: not a parameter"},
      {"scalar member indexed", "Action=DeleteSubnet" + v + "&SubnetId.1=subnet-1", 400,
       "UnknownParameter", "SubnetId.1: not a parameter of DeleteSubnet"},
      {"another action's member", "Action=DeleteSubnet" + v + "&VpcId=vpc-1", 400,
       "UnknownParameter", "VpcId: not a parameter of DeleteSubnet"},
      {"scalar given twice", "Action=CreateVpc" + v + "&CidrBlock=10.0.0.0%2F16&CidrBlock=x", 400,
       "InvalidParameterValue", "CidrBlock: given 2 times; give it once"},
      {"index given twice", "Action=DescribeSubnets" + v + "&SubnetId.1=a&SubnetId.1=b", 400,
       "InvalidParameterValue", "SubnetId.1: given twice"},
      {"dry run not a boolean", "Action=DescribeVpcs" + v + "&DryRun=yes", 400,
       "InvalidParameterValue", "DryRun: \"yes\" is not a boolean"},
      {"refused even without dry run", "Action=CreateVpc" + v + "&DryRun=false&Ipv6Pool=p", 400,
       "InvalidParameterValue", "Ipv6Pool: Gantry's CreateVpc"},
      {"zone ids", "Action=DescribeAvailabilityZones" + v + "&ZoneId.1=use1-az1", 400,
       "InvalidParameterValue",
       "ZoneId.1: Gantry's DescribeAvailabilityZones does not support ZoneId yet"},
      {"all zones not a boolean",
       "Action=DescribeAvailabilityZones" + v + "&AllAvailabilityZones=1", 400,
       "InvalidParameterValue", "AllAvailabilityZones: \"1\" is not a boolean"},
      {"all zones twice",
       "Action=DescribeAvailabilityZones" + v +
           "&AllAvailabilityZones=true&AllAvailabilityZones=false",
       400, "InvalidParameterValue", "AllAvailabilityZones: given 2 times"},
      {"zone name without index", "Action=DescribeAvailabilityZones" + v + "&ZoneName=us-east-1a",
       400, "UnknownParameter", "ZoneName: not a parameter of DescribeAvailabilityZones"},
      {"interface pages", "Action=DescribeNetworkInterfaces" + v + "&MaxResults=5", 400,
       "InvalidParameterValue", "MaxResults: Gantry's DescribeNetworkInterfaces"},
      {"interface next token", "Action=DescribeNetworkInterfaces" + v + "&NextToken=abc", 400,
       "InvalidParameterValue", "NextToken: Gantry's DescribeNetworkInterfaces"},
      {"interface id without index",
       "Action=DescribeNetworkInterfaces" + v + "&NetworkInterfaceId=eni-0a1b2c3d", 400,
       "UnknownParameter", "NetworkInterfaceId: not a parameter of DescribeNetworkInterfaces"},
  });
}

TEST(DispatchEc2, Table_DryRun) {
  const std::string v(kV);
  const std::string succeeded = "Request would have succeeded, but DryRun flag is set.";
  ExpectAnswers({
      {"create vpc", "Action=CreateVpc" + v + "&CidrBlock=10.0.0.0%2F16&DryRun=true", 412,
       "DryRunOperation", succeeded},
      {"any case", "Action=CreateVpc" + v + "&CidrBlock=10.0.0.0%2F16&DryRun=True", 412,
       "DryRunOperation", succeeded},
      {"create subnet",
       "Action=CreateSubnet" + v +
           "&VpcId=vpc-0123456789abcdef0&CidrBlock=10.0.1.0%2F24&AvailabilityZone=us-east-1a"
           "&DryRun=true",
       412, "DryRunOperation", succeeded},
      {"create group",
       "Action=CreateSecurityGroup" + v +
           "&GroupName=web&GroupDescription=web+tier&VpcId=vpc-0123456789abcdef0&DryRun=true",
       412, "DryRunOperation", succeeded},
      {"describe all vpcs", "Action=DescribeVpcs" + v + "&DryRun=true", 412, "DryRunOperation",
       succeeded},
      {"describe groups by id and name",
       "Action=DescribeSecurityGroups" + v +
           "&GroupId.1=sg-0a1b2c3d4e5f67890&GroupName.1=default&DryRun=true",
       412, "DryRunOperation", succeeded},
      {"delete subnet", "Action=DeleteSubnet" + v + "&SubnetId=subnet-0a1b2c3d&DryRun=true", 412,
       "DryRunOperation", succeeded},
      {"invalid request is not a success", "Action=CreateVpc" + v + "&DryRun=true", 400,
       "MissingParameter", "CidrBlock: required"},
      {"description missing",
       "Action=CreateSecurityGroup" + v + "&GroupName=web&VpcId=vpc-0123456789abcdef0&DryRun=true",
       400, "MissingParameter", "Description: required"},
      {"list read in index order, not form order",
       "Action=DescribeVpcs" + v + "&VpcId.2=bad&VpcId.1=vpc-0123456789abcdef0&DryRun=true", 400,
       "InvalidVpcID.Malformed", "VpcIds[1]: \"bad\" is not a VPC id"},
      {"gaps in indexes allowed",
       "Action=DescribeSubnets" + v + "&SubnetId.7=subnet-0a1b2c3d&SubnetId.3=x&DryRun=true", 400,
       "InvalidSubnetID.Malformed", "SubnetIds[0]: \"x\" is not a subnet id"},
      {"all zones", "Action=DescribeAvailabilityZones" + v + "&DryRun=true", 412, "DryRunOperation",
       succeeded},
      {"named zones, all zones accepted",
       "Action=DescribeAvailabilityZones" + v +
           "&ZoneName.1=us-east-1a&ZoneName.2=us-east-1b&AllAvailabilityZones=true&DryRun=true",
       412, "DryRunOperation", succeeded},
      {"zone name checked",
       "Action=DescribeAvailabilityZones" + v + "&ZoneName.1=us-east-1a&ZoneName.2=US&DryRun=true",
       400, "InvalidParameterValue", "ZoneNames[1]: \"US\" is not an availability zone name"},
      {"all interfaces", "Action=DescribeNetworkInterfaces" + v + "&DryRun=true", 412,
       "DryRunOperation", succeeded},
      {"interfaces by id",
       "Action=DescribeNetworkInterfaces" + v +
           "&NetworkInterfaceId.1=eni-0a1b2c3d&NetworkInterfaceId.2=eni-0123456789abcdef0"
           "&DryRun=true",
       412, "DryRunOperation", succeeded},
      {"interface id checked",
       "Action=DescribeNetworkInterfaces" + v + "&NetworkInterfaceId.1=sg-0a1b2c3d&DryRun=true",
       400, "InvalidNetworkInterfaceID.Malformed",
       "NetworkInterfaceIds[0]: \"sg-0a1b2c3d\" is not a network interface id"},
      {"subnet zone outside the region",
       "Action=CreateSubnet" + v +
           "&VpcId=vpc-0123456789abcdef0&CidrBlock=10.0.1.0%2F24&AvailabilityZone=mars-1a"
           "&DryRun=true",
       400, "InvalidParameterValue",
       "AvailabilityZone: Value (mars-1a) for parameter availabilityZone is invalid. Subnets can "
       "currently only be created in the following availability zones: us-east-1a, us-east-1b, "},
      {"subnet prefix too long",
       "Action=CreateSubnet" + v +
           "&VpcId=vpc-0123456789abcdef0&CidrBlock=10.0.1.0%2F29&AvailabilityZone=us-east-1f"
           "&DryRun=true",
       400, "InvalidSubnet.Range", "CidrBlock: \"10.0.1.0/29\" has prefix /29"},
      {"vpc prefix too short", "Action=CreateVpc" + v + "&CidrBlock=10.0.0.0%2F8&DryRun=true", 400,
       "InvalidVpc.Range", "CidrBlock: \"10.0.0.0/8\" has prefix /8"},
      {"malformed group id", "Action=DescribeSecurityGroups" + v + "&GroupId.1=junk&DryRun=true",
       400, "InvalidGroupId.Malformed", "GroupIds[0]: \"junk\" is not a security group id"},
      {"filters read in index order",
       "Action=DescribeSubnets" + v +
           "&Filter.2.Name=state&Filter.2.Value.1=available&Filter.1.Name=vpc-id"
           "&Filter.1.Value.2=vpc-2&Filter.1.Value.1=vpc-1&DryRun=true",
       412, "DryRunOperation", succeeded},
      {"filter of every describe: vpcs",
       "Action=DescribeVpcs" + v + "&Filter.1.Name=cidr&Filter.1.Value.1=10.*&DryRun=true", 412,
       "DryRunOperation", succeeded},
      {"filter of every describe: groups",
       "Action=DescribeSecurityGroups" + v +
           "&Filter.1.Name=group-name&Filter.1.Value.1=web&DryRun=true",
       412, "DryRunOperation", succeeded},
      {"filter of every describe: zones",
       "Action=DescribeAvailabilityZones" + v +
           "&Filter.1.Name=zone-name&Filter.1.Value.1=us-east-1%3F&DryRun=true",
       412, "DryRunOperation", succeeded},
      {"filter of every describe: interfaces",
       "Action=DescribeNetworkInterfaces" + v +
           "&Filter.1.Name=group-id&Filter.1.Value.1=sg-1&DryRun=true",
       412, "DryRunOperation", succeeded},
      {"unknown filter name",
       "Action=DescribeSubnets" + v + "&Filter.1.Name=tag%3AName&Filter.1.Value.1=web&DryRun=true",
       400, "InvalidParameterValue",
       "Filters[0].Name: \"tag:Name\" is not a filter of DescribeSubnets; use one of "
       "availability-zone, availability-zone-id"},
      {"filter without values", "Action=DescribeVpcs" + v + "&Filter.1.Name=vpc-id&DryRun=true",
       400, "InvalidParameterValue", "Filters[0].Values: required; give at least one value"},
      {"filter without name", "Action=DescribeVpcs" + v + "&Filter.3.Value.1=x&DryRun=true", 400,
       "MissingParameter", "Filters[0].Name: required"},
      {"tenancy passed through",
       "Action=CreateVpc" + v + "&CidrBlock=10.0.0.0%2F16&InstanceTenancy=dedicated&DryRun=true",
       400, "InvalidParameterValue", "InstanceTenancy: \"dedicated\" is not supported"},
  });
}

// ---- Rendering -------------------------------------------------------------------

v1::Vpc FullVpc(const std::string& id) {
  v1::Vpc vpc;
  vpc.set_vpc_id(id);
  vpc.set_state("available");
  vpc.set_cidr_block("10.0.0.0/16");
  vpc.set_owner_id("000000000000");
  vpc.set_instance_tenancy("default");
  vpc.set_is_default(false);
  return vpc;
}

TEST(Ec2Render, CreateVpc_ExactDocument) {
  v1::CreateVpcResponse response;
  *response.mutable_vpc() = FullVpc("vpc-0123456789abcdef0");
  EXPECT_EQ(RenderCreateVpc(response, "req-1"),
            std::string(kPrologue) +
                "<CreateVpcResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                "<requestId>req-1</requestId><vpc><vpcId>vpc-0123456789abcdef0</vpcId>"
                "<ownerId>000000000000</ownerId><state>available</state>"
                "<cidrBlock>10.0.0.0/16</cidrBlock><cidrBlockAssociationSet><item>"
                "<cidrBlock>10.0.0.0/16</cidrBlock><cidrBlockState><state>associated</state>"
                "</cidrBlockState></item></cidrBlockAssociationSet>"
                "<dhcpOptionsId>default</dhcpOptionsId><instanceTenancy>default</instanceTenancy>"
                "<isDefault>false</isDefault></vpc></CreateVpcResponse>");
}

TEST(Ec2Render, Vpc_UnsetFieldsLeftOutAndTrueRendered) {
  v1::CreateVpcResponse response;
  response.mutable_vpc()->set_vpc_id("vpc-1");
  response.mutable_vpc()->set_is_default(true);
  const std::string xml = RenderCreateVpc(response, "req-1");
  EXPECT_THAT(xml, HasSubstr("<vpc><vpcId>vpc-1</vpcId><dhcpOptionsId>default</dhcpOptionsId>"
                             "<isDefault>true</isDefault></vpc>"));
  EXPECT_THAT(xml, Not(HasSubstr("<state>")));
  EXPECT_THAT(xml, Not(HasSubstr("cidrBlock")));
}

TEST(Ec2Render, DescribeVpcs_ItemsInVpcSet) {
  v1::DescribeVpcsResponse response;
  *response.add_vpcs() = FullVpc("vpc-a");
  *response.add_vpcs() = FullVpc("vpc-b");
  const std::string xml = RenderDescribeVpcs(response, "req-2");
  EXPECT_THAT(xml, HasSubstr("<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/"
                             "2016-11-15/\"><requestId>req-2</requestId><vpcSet><item>"
                             "<vpcId>vpc-a</vpcId>"));
  EXPECT_THAT(xml, HasSubstr("</isDefault></item><item><vpcId>vpc-b</vpcId>"));
  EXPECT_THAT(xml, ::testing::EndsWith("</isDefault></item></vpcSet></DescribeVpcsResponse>"));
  EXPECT_TRUE(TagsBalance(xml));
  EXPECT_THAT(RenderDescribeVpcs(v1::DescribeVpcsResponse(), "req-3"),
              HasSubstr("<requestId>req-3</requestId><vpcSet></vpcSet></DescribeVpcsResponse>"));
}

v1::Subnet FullSubnet(const std::string& id) {
  v1::Subnet subnet;
  subnet.set_subnet_id(id);
  subnet.set_vpc_id("vpc-1");
  subnet.set_cidr_block("10.0.1.0/24");
  subnet.set_availability_zone("us-east-1a");
  subnet.set_available_ip_address_count(251);
  subnet.set_state("available");
  subnet.set_default_for_az(false);
  subnet.set_map_public_ip_on_launch(false);
  subnet.set_owner_id("000000000000");
  subnet.set_subnet_arn("arn:aws:ec2:us-east-1:000000000000:subnet/" + id);
  return subnet;
}

TEST(Ec2Render, CreateSubnet_ExactDocument) {
  v1::CreateSubnetResponse response;
  *response.mutable_subnet() = FullSubnet("subnet-1");
  EXPECT_EQ(RenderCreateSubnet(response, "req-4"),
            std::string(kPrologue) +
                "<CreateSubnetResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                "<requestId>req-4</requestId><subnet><subnetId>subnet-1</subnetId>"
                "<subnetArn>arn:aws:ec2:us-east-1:000000000000:subnet/subnet-1</subnetArn>"
                "<state>available</state><ownerId>000000000000</ownerId><vpcId>vpc-1</vpcId>"
                "<cidrBlock>10.0.1.0/24</cidrBlock>"
                "<availableIpAddressCount>251</availableIpAddressCount>"
                "<availabilityZone>us-east-1a</availabilityZone><defaultForAz>false</defaultForAz>"
                "<mapPublicIpOnLaunch>false</mapPublicIpOnLaunch></subnet>"
                "</CreateSubnetResponse>");
}

TEST(Ec2Render, DescribeSubnets_ItemsInSubnetSet) {
  v1::DescribeSubnetsResponse response;
  *response.add_subnets() = FullSubnet("subnet-a");
  *response.add_subnets() = FullSubnet("subnet-b");
  response.mutable_subnets(1)->set_available_ip_address_count(0);
  const std::string xml = RenderDescribeSubnets(response, "req-5");
  EXPECT_THAT(xml, HasSubstr("<requestId>req-5</requestId><subnetSet><item>"
                             "<subnetId>subnet-a</subnetId>"));
  EXPECT_THAT(xml, HasSubstr("</item><item><subnetId>subnet-b</subnetId>"));
  EXPECT_THAT(xml, HasSubstr("<availableIpAddressCount>0</availableIpAddressCount>"));
  EXPECT_THAT(xml, ::testing::EndsWith("</item></subnetSet></DescribeSubnetsResponse>"));
  EXPECT_TRUE(TagsBalance(xml));
}

TEST(Ec2Render, DeleteSubnet_ReturnsTrue) {
  EXPECT_EQ(RenderDeleteSubnet(v1::DeleteSubnetResponse(), "req-6"),
            std::string(kPrologue) +
                "<DeleteSubnetResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                "<requestId>req-6</requestId><return>true</return></DeleteSubnetResponse>");
}

TEST(Ec2Render, CreateSecurityGroup_ExactDocument) {
  v1::CreateSecurityGroupResponse response;
  response.set_group_id("sg-0a1b2c3d4e5f67890");
  response.set_security_group_arn(
      "arn:aws:ec2:us-east-1:000000000000:security-group/sg-0a1b2c3d4e5f67890");
  EXPECT_EQ(RenderCreateSecurityGroup(response, "req-7"),
            std::string(kPrologue) +
                "<CreateSecurityGroupResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                "<requestId>req-7</requestId><groupId>sg-0a1b2c3d4e5f67890</groupId>"
                "<securityGroupArn>arn:aws:ec2:us-east-1:000000000000:security-group/"
                "sg-0a1b2c3d4e5f67890</securityGroupArn></CreateSecurityGroupResponse>");
}

TEST(Ec2Render, DescribeSecurityGroups_ItemsEscaped) {
  v1::DescribeSecurityGroupsResponse response;
  v1::SecurityGroup* group = response.add_security_groups();
  group->set_group_id("sg-1");
  group->set_group_name("web & <db>");
  group->set_description("it's \"quoted\"");
  group->set_vpc_id("vpc-1");
  group->set_owner_id("000000000000");
  group->set_security_group_arn("arn:aws:ec2:us-east-1:000000000000:security-group/sg-1");
  response.add_security_groups()->set_group_id("sg-2");
  const std::string xml = RenderDescribeSecurityGroups(response, "req-8");
  EXPECT_THAT(xml,
              HasSubstr("<requestId>req-8</requestId><securityGroupInfo><item>"
                        "<ownerId>000000000000</ownerId><groupId>sg-1</groupId>"
                        "<groupName>web &amp; &lt;db&gt;</groupName>"
                        "<groupDescription>it's &quot;quoted&quot;</groupDescription>"
                        "<vpcId>vpc-1</vpcId><securityGroupArn>arn:aws:ec2:us-east-1:000000000000:"
                        "security-group/sg-1</securityGroupArn>"
                        "<ipPermissions/><ipPermissionsEgress/></item>"));
  EXPECT_THAT(xml, HasSubstr("<item><groupId>sg-2</groupId><ipPermissions/>"
                             "<ipPermissionsEgress/></item></securityGroupInfo>"
                             "</DescribeSecurityGroupsResponse>"));
  EXPECT_TRUE(TagsBalance(xml));
}

v1::AvailabilityZone FullZone(const std::string& name) {
  v1::AvailabilityZone zone;
  zone.set_zone_name(name);
  zone.set_zone_id(name);
  zone.set_state("available");
  zone.set_region_name("us-east-1");
  zone.set_zone_type("availability-zone");
  zone.set_opt_in_status("opt-in-not-required");
  zone.set_group_name("us-east-1");
  zone.set_network_border_group("us-east-1");
  return zone;
}

TEST(Ec2Render, DescribeAvailabilityZones_ExactDocument) {
  v1::DescribeAvailabilityZonesResponse response;
  *response.add_availability_zones() = FullZone("us-east-1a");
  response.add_availability_zones()->set_zone_name("us-east-1b");
  const std::string xml = RenderDescribeAvailabilityZones(response, "req-9");
  EXPECT_EQ(xml, std::string(kPrologue) +
                     "<DescribeAvailabilityZonesResponse "
                     "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                     "<requestId>req-9</requestId><availabilityZoneInfo><item>"
                     "<zoneName>us-east-1a</zoneName><zoneState>available</zoneState>"
                     "<regionName>us-east-1</regionName><messageSet/>"
                     "<zoneId>us-east-1a</zoneId><optInStatus>opt-in-not-required</optInStatus>"
                     "<groupName>us-east-1</groupName>"
                     "<networkBorderGroup>us-east-1</networkBorderGroup>"
                     "<zoneType>availability-zone</zoneType></item>"
                     "<item><zoneName>us-east-1b</zoneName><messageSet/></item>"
                     "</availabilityZoneInfo></DescribeAvailabilityZonesResponse>");
  EXPECT_TRUE(TagsBalance(xml));
  EXPECT_THAT(RenderDescribeAvailabilityZones(v1::DescribeAvailabilityZonesResponse(), "req-10"),
              HasSubstr("<requestId>req-10</requestId><availabilityZoneInfo>"
                        "</availabilityZoneInfo></DescribeAvailabilityZonesResponse>"));
}

v1::Ec2NetworkInterface FullInterface(const std::string& id) {
  v1::Ec2NetworkInterface eni;
  eni.set_network_interface_id(id);
  eni.set_subnet_id("subnet-1");
  eni.set_vpc_id("vpc-1");
  eni.set_availability_zone("us-east-1a");
  eni.set_description("arn:aws:ecs:us-east-1:123456789012:attachment/a1");
  eni.set_owner_id("123456789012");
  eni.set_requester_id("000000000000");
  eni.set_requester_managed(true);
  eni.set_status("in-use");
  eni.set_mac_address("0a:1b:2c:3d:4e:5f");
  eni.set_private_ip_address("10.0.1.23");
  eni.set_private_dns_name("ip-10-0-1-23.ec2.internal");
  v1::NetworkInterfacePrivateIpAddress* address = eni.add_private_ip_addresses();
  address->set_primary(true);
  address->set_private_ip_address("10.0.1.23");
  address->set_private_dns_name("ip-10-0-1-23.ec2.internal");
  v1::GroupIdentifier* web = eni.add_groups();
  web->set_group_id("sg-1");
  web->set_group_name("web & <db>");
  eni.add_groups()->set_group_id("sg-2");
  eni.set_interface_type("interface");
  eni.set_source_dest_check(true);
  return eni;
}

TEST(Ec2Render, DescribeNetworkInterfaces_ExactDocument) {
  v1::DescribeNetworkInterfacesResponse response;
  *response.add_network_interfaces() = FullInterface("eni-0a1b2c3d");
  const std::string xml = RenderDescribeNetworkInterfaces(response, "req-11");
  EXPECT_EQ(xml,
            std::string(kPrologue) +
                "<DescribeNetworkInterfacesResponse "
                "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                "<requestId>req-11</requestId><networkInterfaceSet><item>"
                "<networkInterfaceId>eni-0a1b2c3d</networkInterfaceId><subnetId>subnet-1</subnetId>"
                "<vpcId>vpc-1</vpcId><availabilityZone>us-east-1a</availabilityZone>"
                "<description>arn:aws:ecs:us-east-1:123456789012:attachment/a1</description>"
                "<ownerId>123456789012</ownerId><requesterId>000000000000</requesterId>"
                "<requesterManaged>true</requesterManaged><status>in-use</status>"
                "<macAddress>0a:1b:2c:3d:4e:5f</macAddress>"
                "<privateIpAddress>10.0.1.23</privateIpAddress>"
                "<privateDnsName>ip-10-0-1-23.ec2.internal</privateDnsName>"
                "<sourceDestCheck>true</sourceDestCheck><groupSet>"
                "<item><groupId>sg-1</groupId><groupName>web &amp; &lt;db&gt;</groupName></item>"
                "<item><groupId>sg-2</groupId></item></groupSet><privateIpAddressesSet><item>"
                "<privateIpAddress>10.0.1.23</privateIpAddress>"
                "<privateDnsName>ip-10-0-1-23.ec2.internal</privateDnsName>"
                "<primary>true</primary></item></privateIpAddressesSet><ipv6AddressesSet/>"
                "<interfaceType>interface</interfaceType></item></networkInterfaceSet>"
                "</DescribeNetworkInterfacesResponse>");
  EXPECT_TRUE(TagsBalance(xml));
}

TEST(Ec2Render, DescribeNetworkInterfaces_EmptyListsStayWellFormed) {
  v1::DescribeNetworkInterfacesResponse response;
  response.add_network_interfaces()->set_network_interface_id("eni-1");
  const std::string xml = RenderDescribeNetworkInterfaces(response, "req-12");
  EXPECT_THAT(xml, HasSubstr("<networkInterfaceSet><item><networkInterfaceId>eni-1"
                             "</networkInterfaceId><groupSet></groupSet><privateIpAddressesSet>"
                             "</privateIpAddressesSet><ipv6AddressesSet/></item>"
                             "</networkInterfaceSet>"));
  EXPECT_TRUE(TagsBalance(xml));
  EXPECT_THAT(RenderDescribeNetworkInterfaces(v1::DescribeNetworkInterfacesResponse(), "req-13"),
              HasSubstr("<requestId>req-13</requestId><networkInterfaceSet>"
                        "</networkInterfaceSet></DescribeNetworkInterfacesResponse>"));
}

}  // namespace
}  // namespace gantry::api::aws
