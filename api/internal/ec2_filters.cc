#include "api/internal/ec2_filters.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gantry::api::internal {
namespace {

// A field a filter can name: its values on one resource (none when the field is unset,
// so no filter value matches it).
template <typename Resource>
struct Field {
  std::string_view name;
  std::vector<std::string> (*read)(const Resource&);
};

std::vector<std::string> Text(bool present, const std::string& value) {
  if (!present) {
    return {};
  }
  return {value};
}

std::vector<std::string> Bool(bool present, bool value) {
  if (!present) {
    return {};
  }
  return {value ? "true" : "false"};
}

// Each table is sorted by name: FilterProblems lists the names in table order.
const std::vector<Field<v1::Vpc>>& VpcFields() {
  using R = v1::Vpc;
  static const auto* const kFields = new std::vector<Field<R>>{
      {"cidr", [](const R& r) { return Text(r.has_cidr_block(), r.cidr_block()); }},
      // A Gantry VPC has one block, its primary one.
      {"cidr-block-association.cidr-block",
       [](const R& r) { return Text(r.has_cidr_block(), r.cidr_block()); }},
      // What DescribeVpcs shows: Gantry has no DHCP option sets.
      {"dhcp-options-id", [](const R&) { return std::vector<std::string>{"default"}; }},
      {"is-default", [](const R& r) { return Bool(r.has_is_default(), r.is_default()); }},
      {"owner-id", [](const R& r) { return Text(r.has_owner_id(), r.owner_id()); }},
      {"state", [](const R& r) { return Text(r.has_state(), r.state()); }},
      {"vpc-id", [](const R& r) { return Text(r.has_vpc_id(), r.vpc_id()); }},
  };
  return *kFields;
}

const std::vector<Field<v1::Subnet>>& SubnetFields() {
  using R = v1::Subnet;
  static const auto* const kFields = new std::vector<Field<R>>{
      {"availability-zone",
       [](const R& r) { return Text(r.has_availability_zone(), r.availability_zone()); }},
      // A Gantry zone's id is its name (see network_shapes.h).
      {"availability-zone-id",
       [](const R& r) { return Text(r.has_availability_zone(), r.availability_zone()); }},
      {"available-ip-address-count",
       [](const R& r) {
         return Text(r.has_available_ip_address_count(),
                     absl::StrCat(r.available_ip_address_count()));
       }},
      {"cidr", [](const R& r) { return Text(r.has_cidr_block(), r.cidr_block()); }},
      {"cidr-block", [](const R& r) { return Text(r.has_cidr_block(), r.cidr_block()); }},
      {"cidrBlock", [](const R& r) { return Text(r.has_cidr_block(), r.cidr_block()); }},
      {"default-for-az",
       [](const R& r) { return Bool(r.has_default_for_az(), r.default_for_az()); }},
      {"map-public-ip-on-launch",
       [](const R& r) {
         return Bool(r.has_map_public_ip_on_launch(), r.map_public_ip_on_launch());
       }},
      {"owner-id", [](const R& r) { return Text(r.has_owner_id(), r.owner_id()); }},
      {"state", [](const R& r) { return Text(r.has_state(), r.state()); }},
      {"subnet-arn", [](const R& r) { return Text(r.has_subnet_arn(), r.subnet_arn()); }},
      {"subnet-id", [](const R& r) { return Text(r.has_subnet_id(), r.subnet_id()); }},
      {"vpc-id", [](const R& r) { return Text(r.has_vpc_id(), r.vpc_id()); }},
  };
  return *kFields;
}

const std::vector<Field<v1::SecurityGroup>>& SecurityGroupFields() {
  using R = v1::SecurityGroup;
  static const auto* const kFields = new std::vector<Field<R>>{
      {"description", [](const R& r) { return Text(r.has_description(), r.description()); }},
      {"group-id", [](const R& r) { return Text(r.has_group_id(), r.group_id()); }},
      {"group-name", [](const R& r) { return Text(r.has_group_name(), r.group_name()); }},
      {"owner-id", [](const R& r) { return Text(r.has_owner_id(), r.owner_id()); }},
      {"vpc-id", [](const R& r) { return Text(r.has_vpc_id(), r.vpc_id()); }},
  };
  return *kFields;
}

std::vector<std::string> PrivateAddresses(const v1::Ec2NetworkInterface& eni) {
  std::vector<std::string> addresses;
  for (const v1::NetworkInterfacePrivateIpAddress& address : eni.private_ip_addresses()) {
    if (address.has_private_ip_address()) {
      addresses.push_back(address.private_ip_address());
    }
  }
  return addresses;
}

const std::vector<Field<v1::Ec2NetworkInterface>>& NetworkInterfaceFields() {
  using R = v1::Ec2NetworkInterface;
  static const auto* const kFields = new std::vector<Field<R>>{
      {"addresses.private-ip-address", &PrivateAddresses},
      {"availability-zone",
       [](const R& r) { return Text(r.has_availability_zone(), r.availability_zone()); }},
      {"description", [](const R& r) { return Text(r.has_description(), r.description()); }},
      {"group-id",
       [](const R& r) {
         std::vector<std::string> ids;
         for (const v1::GroupIdentifier& group : r.groups()) {
           if (group.has_group_id()) {
             ids.push_back(group.group_id());
           }
         }
         return ids;
       }},
      {"group-name",
       [](const R& r) {
         std::vector<std::string> names;
         for (const v1::GroupIdentifier& group : r.groups()) {
           if (group.has_group_name()) {
             names.push_back(group.group_name());
           }
         }
         return names;
       }},
      {"interface-type",
       [](const R& r) { return Text(r.has_interface_type(), r.interface_type()); }},
      {"mac-address", [](const R& r) { return Text(r.has_mac_address(), r.mac_address()); }},
      {"network-interface-id",
       [](const R& r) { return Text(r.has_network_interface_id(), r.network_interface_id()); }},
      {"owner-id", [](const R& r) { return Text(r.has_owner_id(), r.owner_id()); }},
      {"private-dns-name",
       [](const R& r) { return Text(r.has_private_dns_name(), r.private_dns_name()); }},
      {"private-ip-address",
       [](const R& r) { return Text(r.has_private_ip_address(), r.private_ip_address()); }},
      {"requester-id", [](const R& r) { return Text(r.has_requester_id(), r.requester_id()); }},
      {"requester-managed",
       [](const R& r) { return Bool(r.has_requester_managed(), r.requester_managed()); }},
      {"status", [](const R& r) { return Text(r.has_status(), r.status()); }},
      {"subnet-id", [](const R& r) { return Text(r.has_subnet_id(), r.subnet_id()); }},
      {"vpc-id", [](const R& r) { return Text(r.has_vpc_id(), r.vpc_id()); }},
  };
  return *kFields;
}

const std::vector<Field<v1::AvailabilityZone>>& ZoneFields() {
  using R = v1::AvailabilityZone;
  static const auto* const kFields = new std::vector<Field<R>>{
      {"group-name", [](const R& r) { return Text(r.has_group_name(), r.group_name()); }},
      {"network-border-group",
       [](const R& r) { return Text(r.has_network_border_group(), r.network_border_group()); }},
      {"opt-in-status", [](const R& r) { return Text(r.has_opt_in_status(), r.opt_in_status()); }},
      {"region-name", [](const R& r) { return Text(r.has_region_name(), r.region_name()); }},
      {"state", [](const R& r) { return Text(r.has_state(), r.state()); }},
      {"zone-id", [](const R& r) { return Text(r.has_zone_id(), r.zone_id()); }},
      {"zone-name", [](const R& r) { return Text(r.has_zone_name(), r.zone_name()); }},
      {"zone-type", [](const R& r) { return Text(r.has_zone_type(), r.zone_type()); }},
  };
  return *kFields;
}

template <typename Resource>
std::vector<std::string> NamesOf(const std::vector<Field<Resource>>& fields) {
  std::vector<std::string> names;
  for (const Field<Resource>& field : fields) {
    names.emplace_back(field.name);
  }
  return names;
}

// The action (for messages) and the filter names of `kind`.
std::pair<std::string, std::vector<std::string>> ActionAndNames(FilterKind kind) {
  switch (kind) {
    case FilterKind::kVpc:
      return {"DescribeVpcs", NamesOf(VpcFields())};
    case FilterKind::kSubnet:
      return {"DescribeSubnets", NamesOf(SubnetFields())};
    case FilterKind::kSecurityGroup:
      return {"DescribeSecurityGroups", NamesOf(SecurityGroupFields())};
    case FilterKind::kNetworkInterface:
      return {"DescribeNetworkInterfaces", NamesOf(NetworkInterfaceFields())};
    case FilterKind::kAvailabilityZone:
      return {"DescribeAvailabilityZones", NamesOf(ZoneFields())};
  }
  return {"", {}};
}

template <typename Resource>
bool Matches(const Filters& filters, const std::vector<Field<Resource>>& fields,
             const Resource& resource) {
  for (const v1::Filter& filter : filters) {
    const Field<Resource>* field = nullptr;
    for (const Field<Resource>& candidate : fields) {
      if (candidate.name == filter.name()) {
        field = &candidate;
        break;
      }
    }
    if (field == nullptr) {
      return false;
    }
    const std::vector<std::string> have = field->read(resource);
    bool matched = false;
    for (const std::string& pattern : filter.values()) {
      for (const std::string& text : have) {
        matched = matched || WildcardMatch(pattern, text);
      }
    }
    if (!matched) {
      return false;
    }
  }
  return true;
}

// One element of a pattern: a literal character, `?` or `*`.
struct PatternToken {
  enum class Kind { kLiteral, kAnyOne, kAnyRun };
  Kind kind;
  char literal = 0;
};

std::vector<PatternToken> Tokenize(std::string_view pattern) {
  using Kind = PatternToken::Kind;
  std::vector<PatternToken> tokens;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    // A trailing lone backslash escapes nothing and stands for itself.
    if (c == '\\' && i + 1 < pattern.size()) {
      tokens.push_back({Kind::kLiteral, pattern[++i]});
    } else if (c == '?') {
      tokens.push_back({Kind::kAnyOne});
    } else if (c == '*') {
      tokens.push_back({Kind::kAnyRun});
    } else {
      tokens.push_back({Kind::kLiteral, c});
    }
  }
  return tokens;
}

}  // namespace

std::vector<std::string> FilterProblems(FilterKind kind, const Filters& filters) {
  std::vector<std::string> problems;
  if (filters.size() > kMaxFilters) {
    problems.push_back(
        absl::StrCat("Filters: ", filters.size(), " filters given; give at most ", kMaxFilters));
    return problems;
  }
  const auto [action, names] = ActionAndNames(kind);
  for (int i = 0; i < filters.size(); ++i) {
    const v1::Filter& filter = filters[i];
    const std::string field = absl::StrCat("Filters[", i, "]");
    if (filter.name().empty()) {
      problems.push_back(absl::StrCat(field, ".Name: required"));
    } else if (std::find(names.begin(), names.end(), filter.name()) == names.end()) {
      problems.push_back(absl::StrCat(field, ".Name: \"", filter.name(), "\" is not a filter of ",
                                      action, "; use one of ", absl::StrJoin(names, ", ")));
    }
    if (filter.values().empty()) {
      problems.push_back(absl::StrCat(field, ".Values: required; give at least one value"));
    } else if (filter.values_size() > kMaxFilterValues) {
      problems.push_back(absl::StrCat(field, ".Values: ", filter.values_size(),
                                      " values given; give at most ", kMaxFilterValues));
    } else {
      for (int j = 0; j < filter.values_size(); ++j) {
        if (filter.values(j).size() > kMaxFilterValueLength) {
          problems.push_back(absl::StrCat(field, ".Values[", j, "]: ", filter.values(j).size(),
                                          " characters; use up to ", kMaxFilterValueLength,
                                          " characters"));
        }
      }
    }
  }
  return problems;
}

// Greedy matching that, on a mismatch, retries from the last `*` one character further:
// O(pattern x text) at worst, never exponential.
bool WildcardMatch(std::string_view pattern, std::string_view text) {
  using Kind = PatternToken::Kind;
  const std::vector<PatternToken> tokens = Tokenize(pattern);
  constexpr size_t kNoRun = std::string_view::npos;
  size_t p = 0;
  size_t t = 0;
  size_t last_run = kNoRun;
  size_t run_text = 0;
  while (t < text.size()) {
    if (p < tokens.size() && (tokens[p].kind == Kind::kAnyOne ||
                              (tokens[p].kind == Kind::kLiteral && tokens[p].literal == text[t]))) {
      ++p;
      ++t;
    } else if (p < tokens.size() && tokens[p].kind == Kind::kAnyRun) {
      last_run = p++;
      run_text = t;
    } else if (last_run != kNoRun) {
      p = last_run + 1;
      t = ++run_text;
    } else {
      return false;
    }
  }
  while (p < tokens.size() && tokens[p].kind == Kind::kAnyRun) {
    ++p;
  }
  return p == tokens.size();
}

bool MatchesFilters(const Filters& filters, const v1::Vpc& resource) {
  return Matches(filters, VpcFields(), resource);
}
bool MatchesFilters(const Filters& filters, const v1::Subnet& resource) {
  return Matches(filters, SubnetFields(), resource);
}
bool MatchesFilters(const Filters& filters, const v1::SecurityGroup& resource) {
  return Matches(filters, SecurityGroupFields(), resource);
}
bool MatchesFilters(const Filters& filters, const v1::Ec2NetworkInterface& resource) {
  return Matches(filters, NetworkInterfaceFields(), resource);
}
bool MatchesFilters(const Filters& filters, const v1::AvailabilityZone& resource) {
  return Matches(filters, ZoneFields(), resource);
}

}  // namespace gantry::api::internal
