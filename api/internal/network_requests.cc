#include "api/internal/network_requests.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ids.h"
#include "common/ipv4.h"
#include "google/protobuf/repeated_field.h"

namespace gantry::api::internal {
namespace {

constexpr int kMaxErrors = 20;
constexpr int kMinPrefix = 16;
constexpr int kMaxPrefix = 28;
constexpr size_t kMaxZoneLength = 64;
constexpr size_t kMaxGroupText = 255;
// What EC2 allows in a VPC security group's name and description besides letters,
// digits and spaces.
constexpr std::string_view kGroupTextPunctuation = "._-:/()#,@[]+=&;{}!$*";

// Collects violations in request order; the first kMaxErrors are reported.
class Violations {
 public:
  void Add(std::string_view field, std::string_view problem) {
    lines_.push_back(absl::StrCat(std::string(field), ": ", std::string(problem)));
  }
  absl::Status ToStatus() const {
    if (lines_.empty()) return absl::OkStatus();
    std::vector<std::string> shown(lines_.begin(),
                                   lines_.begin() + std::min<size_t>(lines_.size(), kMaxErrors));
    return absl::InvalidArgumentError(absl::StrJoin(shown, "\n"));
  }

 private:
  std::vector<std::string> lines_;
};

std::string Quoted(std::string_view value) { return absl::StrCat("\"", std::string(value), "\""); }

// `kind` names the resource in messages ("VPC"), `prefix` is the id prefix ("vpc").
void CheckId(Violations& violations, std::string_view field, std::string_view kind,
             std::string_view prefix, bool present, std::string_view id) {
  if (!present || id.empty()) {
    violations.Add(field, "required");
  } else if (!ids::IsEc2Id(prefix, id)) {
    violations.Add(field, absl::StrCat(Quoted(id), " is not a ", std::string(kind), " id (",
                                       std::string(prefix), "- followed by 8 or 17 hex digits)"));
  }
}

void CheckCidrBlock(Violations& violations, bool present, std::string_view text) {
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
                                "; use a prefix between /", kMinPrefix, " and /", kMaxPrefix));
  }
}

void CheckZone(Violations& violations, std::string_view field, bool present,
               std::string_view zone) {
  if (!present || zone.empty()) {
    violations.Add(field, "required");
    return;
  }
  bool ok = zone.size() <= kMaxZoneLength;
  for (char c : zone) {
    ok = ok && (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-');
  }
  if (!ok) {
    violations.Add(field,
                   absl::StrCat(Quoted(zone), " is not an availability zone name; use up to ",
                                kMaxZoneLength, " lowercase letters, digits and '-'"));
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
  CheckCidrBlock(violations, request.has_cidr_block(), request.cidr_block());
  if (request.has_instance_tenancy() && request.instance_tenancy() != "default") {
    violations.Add("InstanceTenancy", absl::StrCat(Quoted(request.instance_tenancy()),
                                                   " is not supported; use \"default\""));
  }
  if (absl::Status status = violations.ToStatus(); !status.ok()) return status;
  return request.cidr_block();
}

absl::StatusOr<NewSubnet> ParseCreateSubnet(const v1::CreateSubnetRequest& request) {
  Violations violations;
  CheckId(violations, "VpcId", "VPC", "vpc", request.has_vpc_id(), request.vpc_id());
  CheckCidrBlock(violations, request.has_cidr_block(), request.cidr_block());
  CheckZone(violations, "AvailabilityZone", request.has_availability_zone(),
            request.availability_zone());
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
  if (absl::Status status = violations.ToStatus(); !status.ok()) return status;
  return std::vector<std::string>(request.vpc_ids().begin(), request.vpc_ids().end());
}

absl::StatusOr<std::vector<std::string>> ParseDescribeSubnets(
    const v1::DescribeSubnetsRequest& request) {
  Violations violations;
  CheckIdList(violations, "SubnetIds", "subnet", "subnet", request.subnet_ids());
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
  if (absl::Status status = violations.ToStatus(); !status.ok()) {
    return status;
  }
  return std::vector<std::string>(request.network_interface_ids().begin(),
                                  request.network_interface_ids().end());
}

}  // namespace gantry::api::internal
