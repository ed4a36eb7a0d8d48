#include "api/internal/network_requests.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/internal/ec2_error_code.h"
#include "api/internal/ec2_filters.h"
#include "api/internal/zones.h"
#include "common/ids.h"
#include "common/ipv4.h"
#include "google/protobuf/repeated_field.h"

namespace gantry::api::internal {
namespace {

constexpr int kMaxErrors = 20;
constexpr int kMinPrefix = 16;
constexpr int kMaxPrefix = 28;
constexpr size_t kMaxGroupText = 255;
// What EC2 allows in a VPC security group's name and description besides letters,
// digits and spaces.
constexpr std::string_view kGroupTextPunctuation = "._-:/()#,@[]+=&;{}!$*";

// Collects violations in request order; the first kMaxErrors are reported. The status
// carries the EC2 error code of the first violation when it has one (ec2_error_code.h):
// the EC2 front end answers with a single code, and the first line is the one it shows
// first.
class Violations {
 public:
  void Add(std::string_view field, std::string_view problem, std::string_view ec2_code = "") {
    if (lines_.empty()) {
      first_ec2_code_ = std::string(ec2_code);
    }
    lines_.push_back(absl::StrCat(std::string(field), ": ", std::string(problem)));
  }
  // `line` is already "field: problem".
  void AddLine(std::string line) { lines_.push_back(std::move(line)); }
  absl::Status ToStatus() const {
    if (lines_.empty()) {
      return absl::OkStatus();
    }
    std::vector<std::string> shown(lines_.begin(),
                                   lines_.begin() + std::min<size_t>(lines_.size(), kMaxErrors));
    absl::Status status = absl::InvalidArgumentError(absl::StrJoin(shown, "\n"));
    if (!first_ec2_code_.empty()) {
      return WithEc2ErrorCode(std::move(status), first_ec2_code_);
    }
    return status;
  }

 private:
  std::vector<std::string> lines_;
  std::string first_ec2_code_;
};

// EC2's code for a malformed id of the kind with `prefix`.
std::string_view MalformedIdCode(std::string_view prefix) {
  if (prefix == "vpc") {
    return kEc2InvalidVpcIdMalformed;
  }
  if (prefix == "subnet") {
    return kEc2InvalidSubnetIdMalformed;
  }
  if (prefix == "sg") {
    return kEc2InvalidGroupIdMalformed;
  }
  if (prefix == "eni") {
    return kEc2InvalidNetworkInterfaceIdMalformed;
  }
  return "";
}

std::string Quoted(std::string_view value) { return absl::StrCat("\"", std::string(value), "\""); }

// `kind` names the resource in messages ("VPC"), `prefix` is the id prefix ("vpc").
void CheckId(Violations& violations, std::string_view field, std::string_view kind,
             std::string_view prefix, bool present, std::string_view id) {
  if (!present || id.empty()) {
    violations.Add(field, "required");
  } else if (!ids::IsEc2Id(prefix, id)) {
    violations.Add(field,
                   absl::StrCat(Quoted(id), " is not a ", std::string(kind), " id (",
                                std::string(prefix), "- followed by 8 or 17 hex digits)"),
                   MalformedIdCode(prefix));
  }
}

// `range_code` is EC2's code for a prefix outside /16../28 (VPCs and subnets differ).
void CheckCidrBlock(Violations& violations, bool present, std::string_view text,
                    std::string_view range_code) {
  constexpr std::string_view kField = "CidrBlock";
  if (!present || text.empty()) {
    violations.Add(kField, "required");
    return;
  }
  absl::StatusOr<ipv4::Cidr> cidr = ipv4::ParseCidr(text);
  if (!cidr.ok()) {
    violations.Add(kField, std::string(cidr.status().message()));
  } else if (cidr->prefix < kMinPrefix || cidr->prefix > kMaxPrefix) {
    violations.Add(kField,
                   absl::StrCat(Quoted(text), " has prefix /", cidr->prefix,
                                "; use a prefix between /", kMinPrefix, " and /", kMaxPrefix),
                   range_code);
  }
}

void CheckZone(Violations& violations, std::string_view field, bool present,
               std::string_view zone) {
  if (!present || zone.empty()) {
    violations.Add(field, "required");
    return;
  }
  if (!IsZoneName(zone)) {
    violations.Add(field,
                   absl::StrCat(Quoted(zone), " is not an availability zone name; use up to ",
                                kMaxZoneNameLength, " lowercase letters, digits and '-'"));
  }
}

// A subnet's zone must be one of the region's, as in EC2 (whose message this is), so no
// subnet sits in a zone that cannot be a zone of the region.
void CheckSubnetZone(Violations& violations, std::string_view region, bool present,
                     std::string_view zone) {
  constexpr std::string_view kField = "AvailabilityZone";
  if (!present || zone.empty() || !IsZoneName(zone)) {
    CheckZone(violations, kField, present, zone);
    return;
  }
  if (!IsZoneOfRegion(region, zone)) {
    violations.Add(kField, absl::StrCat("Value (", std::string(zone),
                                        ") for parameter availabilityZone is invalid. Subnets can "
                                        "currently only be created in the following availability "
                                        "zones: ",
                                        absl::StrJoin(ZonesOfRegion(region), ", ")));
  }
}

void CheckFilters(Violations& violations, FilterKind kind, const Filters& filters) {
  for (std::string& line : FilterProblems(kind, filters)) {
    violations.AddLine(std::move(line));
  }
}

bool IsGroupTextChar(char c) {
  return absl::ascii_isalnum(c) || c == ' ' || kGroupTextPunctuation.find(c) != std::string::npos;
}

// GroupName and Description share EC2's rules: required, up to 255 characters of
// letters, digits, spaces and kGroupTextPunctuation.
void CheckGroupText(Violations& violations, std::string_view field, bool present,
                    std::string_view text) {
  if (!present || text.empty()) {
    violations.Add(field, "required");
    return;
  }
  if (text.size() > kMaxGroupText) {
    violations.Add(
        field, absl::StrCat(text.size(), " characters; use up to ", kMaxGroupText, " characters"));
  }
  for (char c : text) {
    if (!IsGroupTextChar(c)) {
      violations.Add(field, absl::StrCat(Quoted(text.substr(0, 64)),
                                         " has a character that is not allowed; use letters, "
                                         "digits, spaces and ",
                                         std::string(kGroupTextPunctuation)));
      break;
    }
  }
}

void CheckIdList(Violations& violations, std::string_view field, std::string_view kind,
                 std::string_view prefix,
                 const google::protobuf::RepeatedPtrField<std::string>& values) {
  if (values.size() > kMaxDescribeIds) {
    violations.Add(field,
                   absl::StrCat(values.size(), " ids given; give at most ", kMaxDescribeIds));
    return;
  }
  for (int i = 0; i < values.size(); ++i) {
    CheckId(violations, absl::StrCat(std::string(field), "[", i, "]"), kind, prefix, true,
            values[i]);
  }
}

}  // namespace

absl::StatusOr<std::string> ParseCreateVpc(const v1::CreateVpcRequest& request) {
  Violations violations;
  CheckCidrBlock(violations, request.has_cidr_block(), request.cidr_block(), kEc2InvalidVpcRange);
  if (request.has_instance_tenancy() && request.instance_tenancy() != "default") {
    violations.Add("InstanceTenancy", absl::StrCat(Quoted(request.instance_tenancy()),
                                                   " is not supported; use \"default\""));
  }
  if (absl::Status status = violations.ToStatus(); !status.ok()) return status;
  return request.cidr_block();
}

absl::StatusOr<NewSubnet> ParseCreateSubnet(std::string_view region,
                                            const v1::CreateSubnetRequest& request) {
  Violations violations;
  CheckId(violations, "VpcId", "VPC", "vpc", request.has_vpc_id(), request.vpc_id());
  CheckCidrBlock(violations, request.has_cidr_block(), request.cidr_block(),
                 kEc2InvalidSubnetRange);
  CheckSubnetZone(violations, region, request.has_availability_zone(), request.availability_zone());
  if (absl::Status status = violations.ToStatus(); !status.ok()) return status;
  return NewSubnet{request.vpc_id(), request.cidr_block(), request.availability_zone()};
}

absl::StatusOr<std::string> ParseDeleteSubnet(const v1::DeleteSubnetRequest& request) {
  Violations violations;
  CheckId(violations, "SubnetId", "subnet", "subnet", request.has_subnet_id(), request.subnet_id());
  if (absl::Status status = violations.ToStatus(); !status.ok()) return status;
  return request.subnet_id();
}

absl::StatusOr<NewSecurityGroup> ParseCreateSecurityGroup(
    const v1::CreateSecurityGroupRequest& request) {
  Violations violations;
  CheckGroupText(violations, "GroupName", request.has_group_name(), request.group_name());
  if (absl::StartsWithIgnoreCase(request.group_name(), "sg-")) {
    violations.Add("GroupName",
                   absl::StrCat(Quoted(request.group_name()), " may not start with \"sg-\""));
  }
  CheckGroupText(violations, "Description", request.has_description(), request.description());
  CheckId(violations, "VpcId", "VPC", "vpc", request.has_vpc_id(), request.vpc_id());
  if (absl::Status status = violations.ToStatus(); !status.ok()) return status;
  return NewSecurityGroup{request.vpc_id(), request.group_name(), request.description()};
}

absl::StatusOr<std::vector<std::string>> ParseDescribeVpcs(const v1::DescribeVpcsRequest& request) {
  Violations violations;
  CheckIdList(violations, "VpcIds", "VPC", "vpc", request.vpc_ids());
  CheckFilters(violations, FilterKind::kVpc, request.filters());
  if (absl::Status status = violations.ToStatus(); !status.ok()) return status;
  return std::vector<std::string>(request.vpc_ids().begin(), request.vpc_ids().end());
}

absl::StatusOr<std::vector<std::string>> ParseDescribeSubnets(
    const v1::DescribeSubnetsRequest& request) {
  Violations violations;
  CheckIdList(violations, "SubnetIds", "subnet", "subnet", request.subnet_ids());
  CheckFilters(violations, FilterKind::kSubnet, request.filters());
  if (absl::Status status = violations.ToStatus(); !status.ok()) return status;
  return std::vector<std::string>(request.subnet_ids().begin(), request.subnet_ids().end());
}

absl::StatusOr<SecurityGroupQuery> ParseDescribeSecurityGroups(
    const v1::DescribeSecurityGroupsRequest& request) {
  Violations violations;
  CheckIdList(violations, "GroupIds", "security group", "sg", request.group_ids());
  if (request.group_names_size() > kMaxDescribeIds) {
    violations.Add("GroupNames", absl::StrCat(request.group_names_size(),
                                              " names given; give at most ", kMaxDescribeIds));
  } else {
    for (int i = 0; i < request.group_names_size(); ++i) {
      const std::string& name = request.group_names(i);
      if (name.empty()) {
        violations.Add(absl::StrCat("GroupNames[", i, "]"), "must not be empty");
      } else if (name.size() > kMaxGroupText) {
        violations.Add(
            absl::StrCat("GroupNames[", i, "]"),
            absl::StrCat(name.size(), " characters; use up to ", kMaxGroupText, " characters"));
      }
    }
  }
  CheckFilters(violations, FilterKind::kSecurityGroup, request.filters());
  if (absl::Status status = violations.ToStatus(); !status.ok()) return status;
  return SecurityGroupQuery{
      std::vector<std::string>(request.group_ids().begin(), request.group_ids().end()),
      std::vector<std::string>(request.group_names().begin(), request.group_names().end())};
}

absl::StatusOr<std::vector<std::string>> ParseDescribeAvailabilityZones(
    const v1::DescribeAvailabilityZonesRequest& request) {
  Violations violations;
  if (request.zone_names_size() > kMaxDescribeIds) {
    violations.Add("ZoneNames", absl::StrCat(request.zone_names_size(),
                                             " names given; give at most ", kMaxDescribeIds));
  } else {
    for (int i = 0; i < request.zone_names_size(); ++i) {
      CheckZone(violations, absl::StrCat("ZoneNames[", i, "]"), true, request.zone_names(i));
    }
  }
  CheckFilters(violations, FilterKind::kAvailabilityZone, request.filters());
  if (absl::Status status = violations.ToStatus(); !status.ok()) {
    return status;
  }
  return std::vector<std::string>(request.zone_names().begin(), request.zone_names().end());
}

absl::StatusOr<std::vector<std::string>> ParseDescribeNetworkInterfaces(
    const v1::DescribeNetworkInterfacesRequest& request) {
  Violations violations;
  CheckIdList(violations, "NetworkInterfaceIds", "network interface", "eni",
              request.network_interface_ids());
  CheckFilters(violations, FilterKind::kNetworkInterface, request.filters());
  if (absl::Status status = violations.ToStatus(); !status.ok()) {
    return status;
  }
  return std::vector<std::string>(request.network_interface_ids().begin(),
                                  request.network_interface_ids().end());
}

}  // namespace gantry::api::internal
