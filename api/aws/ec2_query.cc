#include "api/aws/ec2_query.h"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gantry/v1/network.pb.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/internal/ec2_error_code.h"
#include "api/internal/network_requests.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace gantry::api::aws {
namespace {

using Respond = std::function<void(AwsResponse)>;

constexpr std::string_view kDryRunMessage = "Request would have succeeded, but DryRun flag is set.";
// Longest list index accepted ("VpcId.999999"); EC2's own limits are far lower.
constexpr size_t kMaxIndexDigits = 6;

// ---- Form decoding ---------------------------------------------------------------

// The length of the well-formed UTF-8 sequence starting at text[i], or 0 when there is
// none (bad lead or continuation byte, overlong form, surrogate, beyond U+10FFFF).
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  if (lead < 0x80) {
    return 1;
  }
  size_t length = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
  } else {
    return 0;
  }
  if (i + length > text.size()) {
    return 0;
  }
  for (size_t k = 1; k < length; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) {
      return 0;
    }
  }
  const auto second = static_cast<unsigned char>(text[i + 1]);
  const bool out_of_range = (lead == 0xE0 && second < 0xA0) || (lead == 0xED && second > 0x9F) ||
                            (lead == 0xF0 && second < 0x90) || (lead == 0xF4 && second > 0x8F);
  return out_of_range ? 0 : length;
}

bool IsUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = Utf8SequenceLength(text, i);
    if (length == 0) {
      return false;
    }
    i += length;
  }
  return true;
}

// Decodes one name or value; `offset` is where `text` starts in the body. Messages give
// byte offsets rather than echoing the bytes, which may not be printable.
absl::StatusOr<std::string> DecodeComponent(std::string_view text, size_t offset) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] != '%') {
      out.push_back(text[i]);
    } else {
      if (i + 2 >= text.size() || !absl::ascii_isxdigit(text[i + 1]) ||
          !absl::ascii_isxdigit(text[i + 2])) {
        return absl::InvalidArgumentError(
            absl::StrCat("form: the '%' at byte ", offset + i,
                         " does not start an escape; use '%' followed by two hex digits"));
      }
      out += absl::HexStringToBytes(absl::string_view(text.data() + i + 1, 2));
      i += 2;
    }
  }
  if (!IsUtf8(out)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "form: the text at byte ", offset, " is not UTF-8 once decoded; percent-encode UTF-8"));
  }
  return out;
}

// ---- XML -------------------------------------------------------------------------

void Append(std::string& out, std::initializer_list<std::string_view> parts) {
  for (std::string_view part : parts) {
    out.append(part);
  }
}

// XML element text (never attribute values, so apostrophes need no escape). Control
// characters XML 1.0 cannot carry at all (below 0x20 except tab, newline and carriage
// return) become '?', so an odd byte a caller sent and a message echoes cannot make the
// whole document unreadable.
std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default: {
        const bool forbidden =
            static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r';
        out.push_back(forbidden ? '?' : c);
      }
    }
  }
  return out;
}

void AppendElement(std::string& out, std::string_view name, std::string_view text) {
  Append(out, {"<", name, ">", XmlEscape(text), "</", name, ">"});
}

void AppendIf(std::string& out, std::string_view name, bool present, std::string_view text) {
  if (present) {
    AppendElement(out, name, text);
  }
}

void AppendBoolIf(std::string& out, std::string_view name, bool present, bool value) {
  if (present) {
    AppendElement(out, name, value ? "true" : "false");
  }
}

// `<?xml ...?><{action}Response xmlns=...><requestId>..</requestId>{body}</...>`.
std::string Document(std::string_view action, std::string_view request_id, std::string_view body) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  Append(out, {"<", action, "Response xmlns=\"", kEc2XmlNamespace, "\">"});
  AppendElement(out, "requestId", request_id);
  Append(out, {body, "</", action, "Response>"});
  return out;
}

void AppendVpc(std::string& out, const v1::Vpc& vpc) {
  AppendIf(out, "vpcId", vpc.has_vpc_id(), vpc.vpc_id());
  AppendIf(out, "ownerId", vpc.has_owner_id(), vpc.owner_id());
  AppendIf(out, "state", vpc.has_state(), vpc.state());
  if (vpc.has_cidr_block()) {
    AppendElement(out, "cidrBlock", vpc.cidr_block());
    // A Gantry VPC has exactly one IPv4 block, associated when the VPC is created; there
    // is no association id to report, so the item carries none.
    out += "<cidrBlockAssociationSet><item>";
    AppendElement(out, "cidrBlock", vpc.cidr_block());
    out += "<cidrBlockState><state>associated</state></cidrBlockState></item>";
    out += "</cidrBlockAssociationSet>";
  }
  // Gantry has no DHCP option sets; EC2 shows a VPC without one as "default".
  AppendElement(out, "dhcpOptionsId", "default");
  AppendIf(out, "instanceTenancy", vpc.has_instance_tenancy(), vpc.instance_tenancy());
  AppendBoolIf(out, "isDefault", vpc.has_is_default(), vpc.is_default());
}

void AppendSubnet(std::string& out, const v1::Subnet& subnet) {
  AppendIf(out, "subnetId", subnet.has_subnet_id(), subnet.subnet_id());
  AppendIf(out, "subnetArn", subnet.has_subnet_arn(), subnet.subnet_arn());
  AppendIf(out, "state", subnet.has_state(), subnet.state());
  AppendIf(out, "ownerId", subnet.has_owner_id(), subnet.owner_id());
  AppendIf(out, "vpcId", subnet.has_vpc_id(), subnet.vpc_id());
  AppendIf(out, "cidrBlock", subnet.has_cidr_block(), subnet.cidr_block());
  AppendIf(out, "availableIpAddressCount", subnet.has_available_ip_address_count(),
           absl::StrCat(subnet.available_ip_address_count()));
  AppendIf(out, "availabilityZone", subnet.has_availability_zone(), subnet.availability_zone());
  AppendBoolIf(out, "defaultForAz", subnet.has_default_for_az(), subnet.default_for_az());
  AppendBoolIf(out, "mapPublicIpOnLaunch", subnet.has_map_public_ip_on_launch(),
               subnet.map_public_ip_on_launch());
}

void AppendSecurityGroup(std::string& out, const v1::SecurityGroup& group) {
  AppendIf(out, "ownerId", group.has_owner_id(), group.owner_id());
  AppendIf(out, "groupId", group.has_group_id(), group.group_id());
  AppendIf(out, "groupName", group.has_group_name(), group.group_name());
  AppendIf(out, "groupDescription", group.has_description(), group.description());
  AppendIf(out, "vpcId", group.has_vpc_id(), group.vpc_id());
  AppendIf(out, "securityGroupArn", group.has_security_group_arn(), group.security_group_arn());
  // Gantry does not model security group rules yet, so both rule lists are empty.
  out += "<ipPermissions/><ipPermissionsEgress/>";
}

void AppendZone(std::string& out, const v1::AvailabilityZone& zone) {
  AppendIf(out, "zoneName", zone.has_zone_name(), zone.zone_name());
  AppendIf(out, "zoneState", zone.has_state(), zone.state());
  AppendIf(out, "regionName", zone.has_region_name(), zone.region_name());
  // Gantry has no zone messages (notices about a zone's state).
  out += "<messageSet/>";
  AppendIf(out, "zoneId", zone.has_zone_id(), zone.zone_id());
  AppendIf(out, "optInStatus", zone.has_opt_in_status(), zone.opt_in_status());
  AppendIf(out, "groupName", zone.has_group_name(), zone.group_name());
  AppendIf(out, "networkBorderGroup", zone.has_network_border_group(), zone.network_border_group());
  AppendIf(out, "zoneType", zone.has_zone_type(), zone.zone_type());
}

void AppendInterfaceLists(std::string& out, const v1::Ec2NetworkInterface& eni) {
  out += "<groupSet>";
  for (const v1::GroupIdentifier& group : eni.groups()) {
    out += "<item>";
    AppendIf(out, "groupId", group.has_group_id(), group.group_id());
    AppendIf(out, "groupName", group.has_group_name(), group.group_name());
    out += "</item>";
  }
  out += "</groupSet><privateIpAddressesSet>";
  for (const v1::NetworkInterfacePrivateIpAddress& address : eni.private_ip_addresses()) {
    out += "<item>";
    AppendIf(out, "privateIpAddress", address.has_private_ip_address(),
             address.private_ip_address());
    AppendIf(out, "privateDnsName", address.has_private_dns_name(), address.private_dns_name());
    AppendBoolIf(out, "primary", address.has_primary(), address.primary());
    out += "</item>";
  }
  // Task ENIs have no IPv6 address: Gantry's subnets are IPv4 only.
  out += "</privateIpAddressesSet><ipv6AddressesSet/>";
}

void AppendInterface(std::string& out, const v1::Ec2NetworkInterface& eni) {
  AppendIf(out, "networkInterfaceId", eni.has_network_interface_id(), eni.network_interface_id());
  AppendIf(out, "subnetId", eni.has_subnet_id(), eni.subnet_id());
  AppendIf(out, "vpcId", eni.has_vpc_id(), eni.vpc_id());
  AppendIf(out, "availabilityZone", eni.has_availability_zone(), eni.availability_zone());
  AppendIf(out, "description", eni.has_description(), eni.description());
  AppendIf(out, "ownerId", eni.has_owner_id(), eni.owner_id());
  AppendIf(out, "requesterId", eni.has_requester_id(), eni.requester_id());
  AppendBoolIf(out, "requesterManaged", eni.has_requester_managed(), eni.requester_managed());
  AppendIf(out, "status", eni.has_status(), eni.status());
  AppendIf(out, "macAddress", eni.has_mac_address(), eni.mac_address());
  AppendIf(out, "privateIpAddress", eni.has_private_ip_address(), eni.private_ip_address());
  AppendIf(out, "privateDnsName", eni.has_private_dns_name(), eni.private_dns_name());
  AppendBoolIf(out, "sourceDestCheck", eni.has_source_dest_check(), eni.source_dest_check());
  AppendInterfaceLists(out, eni);
  AppendIf(out, "interfaceType", eni.has_interface_type(), eni.interface_type());
}

// ---- Reading the form ------------------------------------------------------------

// An EC2 client error found before the operation runs; always HTTP 400.
struct Refusal {
  std::string code;
  std::string message;
};

// The N of "`prefix`.N" (a positive decimal without leading zeros), or 0 when `name` is
// not an entry of that list.
int ListIndex(std::string_view name, std::string_view prefix) {
  if (name.size() <= prefix.size() + 1 || !name.starts_with(prefix) || name[prefix.size()] != '.') {
    return 0;
  }
  const std::string_view digits = name.substr(prefix.size() + 1);
  if (digits.size() > kMaxIndexDigits || digits.front() == '0') {
    return 0;
  }
  int index = 0;
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return 0;
    }
    index = index * 10 + (c - '0');
  }
  return index;
}

// The parameters of one request. Builders take the names they understand; whatever is
// left untaken afterwards is refused, so no parameter is ever silently ignored. The first
// problem found while taking is kept as the refusal.
class FormReader {
 public:
  explicit FormReader(FormFields fields)
      : fields_(std::move(fields)), taken_(fields_.size(), false) {}

  // The value of the single-valued parameter `name`, or nullopt when absent.
  std::optional<std::string> Take(std::string_view name) {
    std::optional<std::string> value;
    int count = 0;
    for (size_t i = 0; i < fields_.size(); ++i) {
      if (fields_[i].first == name) {
        taken_[i] = true;
        if (count++ == 0) {
          value = fields_[i].second;
        }
      }
    }
    if (count > 1) {
      Refuse("InvalidParameterValue",
             absl::StrCat(std::string(name), ": given ", count, " times; give it once"));
    }
    return value;
  }

  // The values of `prefix`.1, `prefix`.2, ... in index order (gaps allowed).
  std::vector<std::string> TakeList(std::string_view prefix) {
    std::vector<std::pair<int, std::string>> entries;
    for (size_t i = 0; i < fields_.size(); ++i) {
      if (const int index = ListIndex(fields_[i].first, prefix); index > 0) {
        taken_[i] = true;
        entries.emplace_back(index, fields_[i].second);
      }
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> values;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i > 0 && entries[i].first == entries[i - 1].first) {
        Refuse("InvalidParameterValue", absl::StrCat(std::string(prefix), ".", entries[i].first,
                                                     ": given twice; give each index once"));
      }
      values.push_back(std::move(entries[i].second));
    }
    return values;
  }

  // EC2's filters, `Filter.N.Name` and `Filter.N.Value.M`, in the order of N (gaps
  // allowed). Other names under `Filter.N.` are left untaken, so they are refused as
  // unknown; a filter without a name or values is returned as such for validation.
  std::vector<v1::Filter> TakeFilters() {
    std::vector<int> indexes;
    for (const auto& [name, value] : fields_) {
      const size_t second_dot = name.find('.', name.find('.') + 1);
      if (second_dot == std::string::npos) {
        continue;
      }
      if (const int index = ListIndex(std::string_view(name).substr(0, second_dot), "Filter");
          index > 0) {
        indexes.push_back(index);
      }
    }
    std::sort(indexes.begin(), indexes.end());
    indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());
    std::vector<v1::Filter> filters;
    for (const int index : indexes) {
      const std::string prefix = absl::StrCat("Filter.", index);
      v1::Filter filter;
      if (std::optional<std::string> name = Take(absl::StrCat(prefix, ".Name"))) {
        filter.set_name(*std::move(name));
      }
      for (std::string& value : TakeList(absl::StrCat(prefix, ".Value"))) {
        filter.add_values(std::move(value));
      }
      filters.push_back(std::move(filter));
    }
    return filters;
  }

  void Refuse(std::string code, std::string message) {
    if (!refusal_.has_value()) {
      refusal_ = Refusal{std::move(code), std::move(message)};
    }
  }
  const std::optional<Refusal>& refusal() const { return refusal_; }

  // The names nobody took, in the order they were sent.
  std::vector<std::string> Untaken() const {
    std::vector<std::string> names;
    for (size_t i = 0; i < fields_.size(); ++i) {
      if (!taken_[i]) {
        names.push_back(fields_[i].first);
      }
    }
    return names;
  }

 private:
  const FormFields fields_;
  std::vector<bool> taken_;
  std::optional<Refusal> refusal_;
};

// The boolean parameter `name`, or nullopt when absent: true|false in any case;
// anything else is refused (and read as false).
std::optional<bool> TakeBool(FormReader& form, std::string_view name) {
  const std::optional<std::string> value = form.Take(name);
  if (!value.has_value()) {
    return std::nullopt;
  }
  const std::string lower = absl::AsciiStrToLower(*value);
  if (lower != "true" && lower != "false") {
    form.Refuse("InvalidParameterValue", absl::StrCat(std::string(name), ": \"", *value,
                                                      "\" is not a boolean; use true or false"));
  }
  return lower == "true";
}

// The refusal for a form the builder has read: a problem met while taking, else the
// first untaken parameter, which is either a member of the action's EC2 model that
// Gantry does not implement (`unsupported` lists the first name segments) or unknown.
std::optional<Refusal> CheckForm(const FormReader& form, std::string_view action,
                                 const std::vector<std::string_view>& unsupported) {
  if (form.refusal().has_value()) {
    return form.refusal();
  }
  const std::vector<std::string> untaken = form.Untaken();
  if (untaken.empty()) {
    return std::nullopt;
  }
  const std::string& name = untaken.front();
  const std::string member = name.substr(0, name.find('.'));
  if (std::find(unsupported.begin(), unsupported.end(), member) != unsupported.end()) {
    return Refusal{"InvalidParameterValue",
                   absl::StrCat(name, ": Gantry's ", std::string(action), " does not support ",
                                member, " yet; leave it out")};
  }
  return Refusal{"UnknownParameter",
                 absl::StrCat(name, ": not a parameter of ", std::string(action))};
}

// EC2 requires Version; Gantry answers in the 2016-11-15 shapes only.
std::optional<Refusal> CheckVersion(FormReader& form) {
  const std::optional<std::string> version = form.Take("Version");
  if (!version.has_value()) {
    return Refusal{"MissingParameter",
                   absl::StrCat("Version: required; use ", std::string(kEc2ApiVersion))};
  }
  if (*version != kEc2ApiVersion) {
    return Refusal{"InvalidParameterValue",
                   absl::StrCat("Version: \"", *version, "\" is not served; Gantry speaks EC2 ",
                                std::string(kEc2ApiVersion))};
  }
  return form.refusal();
}

// ---- Requests --------------------------------------------------------------------

void TakeFilters(FormReader& form, google::protobuf::RepeatedPtrField<v1::Filter>& filters) {
  for (v1::Filter& filter : form.TakeFilters()) {
    *filters.Add() = std::move(filter);
  }
}

v1::CreateVpcRequest BuildCreateVpc(FormReader& form) {
  v1::CreateVpcRequest request;
  if (std::optional<std::string> cidr_block = form.Take("CidrBlock")) {
    request.set_cidr_block(*std::move(cidr_block));
  }
  if (std::optional<std::string> tenancy = form.Take("InstanceTenancy")) {
    request.set_instance_tenancy(*std::move(tenancy));
  }
  return request;
}

v1::DescribeVpcsRequest BuildDescribeVpcs(FormReader& form) {
  v1::DescribeVpcsRequest request;
  for (std::string& id : form.TakeList("VpcId")) {
    request.add_vpc_ids(std::move(id));
  }
  TakeFilters(form, *request.mutable_filters());
  return request;
}

v1::CreateSubnetRequest BuildCreateSubnet(FormReader& form) {
  v1::CreateSubnetRequest request;
  if (std::optional<std::string> vpc_id = form.Take("VpcId")) {
    request.set_vpc_id(*std::move(vpc_id));
  }
  if (std::optional<std::string> cidr_block = form.Take("CidrBlock")) {
    request.set_cidr_block(*std::move(cidr_block));
  }
  if (std::optional<std::string> zone = form.Take("AvailabilityZone")) {
    request.set_availability_zone(*std::move(zone));
  }
  return request;
}

v1::DescribeSubnetsRequest BuildDescribeSubnets(FormReader& form) {
  v1::DescribeSubnetsRequest request;
  for (std::string& id : form.TakeList("SubnetId")) {
    request.add_subnet_ids(std::move(id));
  }
  TakeFilters(form, *request.mutable_filters());
  return request;
}

v1::DeleteSubnetRequest BuildDeleteSubnet(FormReader& form) {
  v1::DeleteSubnetRequest request;
  if (std::optional<std::string> subnet_id = form.Take("SubnetId")) {
    request.set_subnet_id(*std::move(subnet_id));
  }
  return request;
}

v1::CreateSecurityGroupRequest BuildCreateSecurityGroup(FormReader& form) {
  v1::CreateSecurityGroupRequest request;
  if (std::optional<std::string> name = form.Take("GroupName")) {
    request.set_group_name(*std::move(name));
  }
  if (std::optional<std::string> description = form.Take("GroupDescription")) {
    request.set_description(*std::move(description));
  }
  if (std::optional<std::string> vpc_id = form.Take("VpcId")) {
    request.set_vpc_id(*std::move(vpc_id));
  }
  return request;
}

v1::DescribeSecurityGroupsRequest BuildDescribeSecurityGroups(FormReader& form) {
  v1::DescribeSecurityGroupsRequest request;
  for (std::string& id : form.TakeList("GroupId")) {
    request.add_group_ids(std::move(id));
  }
  for (std::string& name : form.TakeList("GroupName")) {
    request.add_group_names(std::move(name));
  }
  TakeFilters(form, *request.mutable_filters());
  return request;
}

v1::DescribeAvailabilityZonesRequest BuildDescribeAvailabilityZones(FormReader& form) {
  v1::DescribeAvailabilityZonesRequest request;
  for (std::string& name : form.TakeList("ZoneName")) {
    request.add_zone_names(std::move(name));
  }
  if (std::optional<bool> all = TakeBool(form, "AllAvailabilityZones")) {
    request.set_all_availability_zones(*all);
  }
  TakeFilters(form, *request.mutable_filters());
  return request;
}

v1::DescribeNetworkInterfacesRequest BuildDescribeNetworkInterfaces(FormReader& form) {
  v1::DescribeNetworkInterfacesRequest request;
  for (std::string& id : form.TakeList("NetworkInterfaceId")) {
    request.add_network_interface_ids(std::move(id));
  }
  TakeFilters(form, *request.mutable_filters());
  return request;
}

// What the operation would check before touching the database: a DryRun answers
// "would have succeeded" only for a request that passes it.
absl::Status Validate(const Config& /*config*/, const v1::CreateVpcRequest& r) {
  return internal::ParseCreateVpc(r).status();
}
absl::Status Validate(const Config& /*config*/, const v1::DescribeVpcsRequest& r) {
  return internal::ParseDescribeVpcs(r).status();
}
absl::Status Validate(const Config& config, const v1::CreateSubnetRequest& r) {
  return internal::ParseCreateSubnet(config.region, r).status();
}
absl::Status Validate(const Config& /*config*/, const v1::DescribeSubnetsRequest& r) {
  return internal::ParseDescribeSubnets(r).status();
}
absl::Status Validate(const Config& /*config*/, const v1::DeleteSubnetRequest& r) {
  return internal::ParseDeleteSubnet(r).status();
}
absl::Status Validate(const Config& /*config*/, const v1::CreateSecurityGroupRequest& r) {
  return internal::ParseCreateSecurityGroup(r).status();
}
absl::Status Validate(const Config& /*config*/, const v1::DescribeSecurityGroupsRequest& r) {
  return internal::ParseDescribeSecurityGroups(r).status();
}
absl::Status Validate(const Config& /*config*/, const v1::DescribeAvailabilityZonesRequest& r) {
  return internal::ParseDescribeAvailabilityZones(r).status();
}
absl::Status Validate(const Config& /*config*/, const v1::DescribeNetworkInterfacesRequest& r) {
  return internal::ParseDescribeNetworkInterfaces(r).status();
}

// ---- Dispatch --------------------------------------------------------------------

using Runner = std::function<void(NetworkOperations&, const Caller&, FormReader&, Respond)>;

// Binds one action: build the request from the form, refuse what is left over, answer
// DryRun, else call the operation and render its response.
template <typename Request, typename Response>
Runner Bind(std::string_view action, std::vector<std::string_view> unsupported,
            Request (*build)(FormReader&),
            void (NetworkOperations::*method)(const Caller&, const Request&, Done<Response>),
            std::string (*render)(const Response&, std::string_view)) {
  return [=](NetworkOperations& operations, const Caller& caller, FormReader& form, Respond done) {
    const Request request = build(form);
    const bool dry_run = TakeBool(form, "DryRun").value_or(false);
    if (std::optional<Refusal> refusal = CheckForm(form, action, unsupported)) {
      done(Ec2Error(400, refusal->code, refusal->message));
      return;
    }
    if (dry_run) {
      const absl::Status valid = Validate(operations.config(), request);
      done(valid.ok() ? Ec2Error(412, "DryRunOperation", kDryRunMessage) : Ec2ErrorFor(valid));
      return;
    }
    (operations.*method)(
        caller, request, [done = std::move(done), render](absl::StatusOr<Response> result) {
          if (!result.ok()) {
            done(Ec2ErrorFor(result.status()));
            return;
          }
          const std::string request_id = ids::NewUuid();
          done({200, std::string(kEc2ContentType), render(*result, request_id), request_id});
        });
  };
}

const absl::flat_hash_map<std::string, Runner>& Actions() {
  using Ops = NetworkOperations;
  // The members of each action's EC2 model (first name segment) that Gantry does not
  // implement; anything else untaken is an UnknownParameter.
  static const auto* const kActions = new absl::flat_hash_map<std::string, Runner>{
      {"CreateVpc",
       Bind("CreateVpc",
            {"TagSpecification", "AmazonProvidedIpv6CidrBlock", "Ipv6Pool", "Ipv6CidrBlock",
             "Ipv4IpamPoolId", "Ipv4NetmaskLength", "Ipv6IpamPoolId", "Ipv6NetmaskLength",
             "Ipv6CidrBlockNetworkBorderGroup", "VpcEncryptionControl"},
            &BuildCreateVpc, &Ops::CreateVpc, &RenderCreateVpc)},
      {"DescribeVpcs", Bind("DescribeVpcs", {"MaxResults", "NextToken"}, &BuildDescribeVpcs,
                            &Ops::DescribeVpcs, &RenderDescribeVpcs)},
      {"CreateSubnet",
       Bind("CreateSubnet",
            {"TagSpecification", "AvailabilityZoneId", "Ipv6CidrBlock", "OutpostArn", "Ipv6Native",
             "Ipv4IpamPoolId", "Ipv4NetmaskLength", "Ipv6IpamPoolId", "Ipv6NetmaskLength"},
            &BuildCreateSubnet, &Ops::CreateSubnet, &RenderCreateSubnet)},
      {"DescribeSubnets",
       Bind("DescribeSubnets", {"MaxResults", "NextToken"}, &BuildDescribeSubnets,
            &Ops::DescribeSubnets, &RenderDescribeSubnets)},
      {"DeleteSubnet",
       Bind("DeleteSubnet", {}, &BuildDeleteSubnet, &Ops::DeleteSubnet, &RenderDeleteSubnet)},
      {"CreateSecurityGroup",
       Bind("CreateSecurityGroup", {"TagSpecification"}, &BuildCreateSecurityGroup,
            &Ops::CreateSecurityGroup, &RenderCreateSecurityGroup)},
      {"DescribeSecurityGroups",
       Bind("DescribeSecurityGroups", {"MaxResults", "NextToken"}, &BuildDescribeSecurityGroups,
            &Ops::DescribeSecurityGroups, &RenderDescribeSecurityGroups)},
      {"DescribeAvailabilityZones",
       Bind("DescribeAvailabilityZones", {"ZoneId"}, &BuildDescribeAvailabilityZones,
            &Ops::DescribeAvailabilityZones, &RenderDescribeAvailabilityZones)},
      {"DescribeNetworkInterfaces",
       Bind("DescribeNetworkInterfaces", {"MaxResults", "NextToken"},
            &BuildDescribeNetworkInterfaces, &Ops::DescribeNetworkInterfaces,
            &RenderDescribeNetworkInterfaces)},
  };
  return *kActions;
}

std::string ServedActions() {
  std::vector<std::string> names;
  for (const auto& [name, runner] : Actions()) {
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return absl::StrJoin(names, ", ");
}

// The field path that starts the first line of `message`, lowercased and without list
// indexes: "SubnetIds[1]: ..." gives "subnetids".
std::string LeadingField(std::string_view message) {
  const std::string_view first_line = message.substr(0, message.find('\n'));
  const size_t colon = first_line.find(':');
  if (colon == std::string_view::npos) {
    return "";
  }
  const std::string_view field = first_line.substr(0, colon);
  return absl::AsciiStrToLower(std::string(field.substr(0, field.find('['))));
}

std::string_view InvalidArgumentCode(std::string_view message, std::string_view field) {
  const std::string_view first_line = message.substr(0, message.find('\n'));
  if (first_line.ends_with(": required")) {
    return "MissingParameter";
  }
  if (field == "cidrblock" && first_line.find(" overlaps ") != std::string_view::npos) {
    return "InvalidSubnet.Conflict";
  }
  if (field == "cidrblock" && first_line.find(" is not within ") != std::string_view::npos) {
    return "InvalidSubnet.Range";
  }
  return "InvalidParameterValue";
}

std::string_view NotFoundCode(std::string_view field) {
  if (field == "vpcid" || field == "vpcids") {
    return "InvalidVpcID.NotFound";
  }
  if (field == "subnetid" || field == "subnetids") {
    return "InvalidSubnetID.NotFound";
  }
  if (field == "groupid" || field == "groupids" || field == "groupname" || field == "groupnames") {
    return "InvalidGroup.NotFound";
  }
  if (field == "networkinterfaceid" || field == "networkinterfaceids") {
    return "InvalidNetworkInterfaceID.NotFound";
  }
  return "InvalidParameterValue";
}

// Storage reports a lost unique race as "<operation>: already exists".
std::string_view AlreadyExistsCode(std::string_view message, std::string_view field) {
  if (field == "groupname" || message.find("security group") != std::string_view::npos) {
    return "InvalidGroup.Duplicate";
  }
  if (message.find("subnet") != std::string_view::npos) {
    return "InvalidSubnet.Conflict";
  }
  return "InvalidParameterValue";
}

}  // namespace

absl::StatusOr<FormFields> ParseForm(std::string_view body) {
  FormFields fields;
  size_t start = 0;
  while (start <= body.size()) {
    const size_t end = std::min(body.find('&', start), body.size());
    const std::string_view segment = body.substr(start, end - start);
    if (!segment.empty()) {
      const size_t equals = segment.find('=');
      const std::string_view raw_name = segment.substr(0, equals);
      const std::string_view raw_value =
          equals == std::string_view::npos ? std::string_view() : segment.substr(equals + 1);
      GANTRY_ASSIGN_OR_RETURN(std::string name, DecodeComponent(raw_name, start));
      GANTRY_ASSIGN_OR_RETURN(std::string value,
                              DecodeComponent(raw_value, start + raw_name.size() + 1));
      fields.emplace_back(std::move(name), std::move(value));
    }
    start = end + 1;
  }
  return fields;
}

AwsResponse Ec2Error(int http_status, std::string_view code, std::string_view message) {
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>";
  AppendElement(body, "Code", code);
  AppendElement(body, "Message", message);
  body += "</Error></Errors>";
  const std::string request_id = ids::NewUuid();
  AppendElement(body, "RequestID", request_id);
  body += "</Response>";
  return {http_status, std::string(kEc2ContentType), std::move(body), request_id};
}

AwsResponse Ec2ErrorFor(const absl::Status& status) {
  const std::string message(status.message());
  // Validation attaches the code where EC2's differs from what the status code and the
  // field give (a malformed id, a block of the wrong size).
  if (std::optional<std::string> code = internal::Ec2ErrorCodeOf(status);
      code.has_value() && status.code() == absl::StatusCode::kInvalidArgument) {
    return Ec2Error(400, *code, message);
  }
  const std::string field = LeadingField(message);
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return Ec2Error(400, InvalidArgumentCode(message, field), message);
    case absl::StatusCode::kNotFound:
      return Ec2Error(400, NotFoundCode(field), message);
    case absl::StatusCode::kAlreadyExists:
      return Ec2Error(400, AlreadyExistsCode(message, field), message);
    case absl::StatusCode::kFailedPrecondition:
      return Ec2Error(400, "DependencyViolation", message);
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      // 503 tells the SDKs to retry with backoff.
      return Ec2Error(503, "Unavailable", message);
    default:
      log::Error("ec2_internal_error",
                 {{"code", absl::StatusCodeToString(status.code())}, {"error", message}});
      return Ec2Error(500, "InternalError", message);
  }
}

void DispatchEc2(NetworkOperations& operations, const Caller& caller, std::string_view form_body,
                 Respond done) {
  absl::StatusOr<FormFields> fields = ParseForm(form_body);
  if (!fields.ok()) {
    done(Ec2Error(400, "MalformedQueryString", std::string(fields.status().message())));
    return;
  }
  FormReader form(*std::move(fields));
  const std::optional<std::string> action = form.Take("Action");
  if (!action.has_value() || action->empty()) {
    done(
        Ec2Error(400, "MissingAction", "Action: required; name the EC2 action, e.g. DescribeVpcs"));
    return;
  }
  const auto it = Actions().find(*action);
  if (it == Actions().end()) {
    done(Ec2Error(
        400, "InvalidAction",
        absl::StrCat("Action: \"", *action, "\" is not an EC2 action Gantry serves; it serves ",
                     ServedActions())));
    return;
  }
  if (std::optional<Refusal> refusal = CheckVersion(form)) {
    done(Ec2Error(400, refusal->code, refusal->message));
    return;
  }
  it->second(operations, caller, form, std::move(done));
}

std::string RenderCreateVpc(const v1::CreateVpcResponse& response, std::string_view request_id) {
  std::string body;
  if (response.has_vpc()) {
    body += "<vpc>";
    AppendVpc(body, response.vpc());
    body += "</vpc>";
  }
  return Document("CreateVpc", request_id, body);
}

std::string RenderDescribeVpcs(const v1::DescribeVpcsResponse& response,
                               std::string_view request_id) {
  std::string body = "<vpcSet>";
  for (const v1::Vpc& vpc : response.vpcs()) {
    body += "<item>";
    AppendVpc(body, vpc);
    body += "</item>";
  }
  body += "</vpcSet>";
  return Document("DescribeVpcs", request_id, body);
}

std::string RenderCreateSubnet(const v1::CreateSubnetResponse& response,
                               std::string_view request_id) {
  std::string body;
  if (response.has_subnet()) {
    body += "<subnet>";
    AppendSubnet(body, response.subnet());
    body += "</subnet>";
  }
  return Document("CreateSubnet", request_id, body);
}

std::string RenderDescribeSubnets(const v1::DescribeSubnetsResponse& response,
                                  std::string_view request_id) {
  std::string body = "<subnetSet>";
  for (const v1::Subnet& subnet : response.subnets()) {
    body += "<item>";
    AppendSubnet(body, subnet);
    body += "</item>";
  }
  body += "</subnetSet>";
  return Document("DescribeSubnets", request_id, body);
}

std::string RenderDeleteSubnet(const v1::DeleteSubnetResponse& /*response*/,
                               std::string_view request_id) {
  return Document("DeleteSubnet", request_id, "<return>true</return>");
}

std::string RenderCreateSecurityGroup(const v1::CreateSecurityGroupResponse& response,
                                      std::string_view request_id) {
  std::string body;
  AppendIf(body, "groupId", response.has_group_id(), response.group_id());
  AppendIf(body, "securityGroupArn", response.has_security_group_arn(),
           response.security_group_arn());
  return Document("CreateSecurityGroup", request_id, body);
}

std::string RenderDescribeSecurityGroups(const v1::DescribeSecurityGroupsResponse& response,
                                         std::string_view request_id) {
  std::string body = "<securityGroupInfo>";
  for (const v1::SecurityGroup& group : response.security_groups()) {
    body += "<item>";
    AppendSecurityGroup(body, group);
    body += "</item>";
  }
  body += "</securityGroupInfo>";
  return Document("DescribeSecurityGroups", request_id, body);
}

std::string RenderDescribeAvailabilityZones(const v1::DescribeAvailabilityZonesResponse& response,
                                            std::string_view request_id) {
  std::string body = "<availabilityZoneInfo>";
  for (const v1::AvailabilityZone& zone : response.availability_zones()) {
    body += "<item>";
    AppendZone(body, zone);
    body += "</item>";
  }
  body += "</availabilityZoneInfo>";
  return Document("DescribeAvailabilityZones", request_id, body);
}

std::string RenderDescribeNetworkInterfaces(const v1::DescribeNetworkInterfacesResponse& response,
                                            std::string_view request_id) {
  std::string body = "<networkInterfaceSet>";
  for (const v1::Ec2NetworkInterface& eni : response.network_interfaces()) {
    body += "<item>";
    AppendInterface(body, eni);
    body += "</item>";
  }
  body += "</networkInterfaceSet>";
  return Document("DescribeNetworkInterfaces", request_id, body);
}

}  // namespace gantry::api::aws
