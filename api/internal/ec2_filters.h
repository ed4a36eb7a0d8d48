// EC2's Filters on the network API's Describe calls, applied to the response shapes after
// the operation's read (a tenant's networks are small, so no SQL narrows them). A
// resource is kept when every filter matches it (filters are AND'ed) and a filter matches
// when one of its values matches one of the resource's values of that field (values are
// OR'ed). Values match the whole field text, case-sensitively, with EC2's wildcards: `*`
// any run of characters, `?` any one character, `\` makes the next character literal.
// Boolean fields read as "true" / "false".
//
// Names each call knows (EC2's, plus a few aliases EC2 accepts):
//   DescribeVpcs: cidr, cidr-block-association.cidr-block, dhcp-options-id, is-default,
//     owner-id, state, vpc-id
//   DescribeSubnets: availability-zone, availability-zone-id, available-ip-address-count,
//     cidr-block (also cidr, cidrBlock), default-for-az, map-public-ip-on-launch,
//     owner-id, state, subnet-arn, subnet-id, vpc-id
//   DescribeSecurityGroups: description, group-id, group-name, owner-id, vpc-id
//   DescribeNetworkInterfaces: addresses.private-ip-address, availability-zone,
//     description, group-id, group-name, interface-type, mac-address,
//     network-interface-id, owner-id, private-dns-name, private-ip-address,
//     requester-id, requester-managed, status, subnet-id, vpc-id
//   DescribeAvailabilityZones: group-name, network-border-group, opt-in-status,
//     region-name, state, zone-id, zone-name, zone-type
//
// Pure functions, no I/O; safe from any thread. Problems are INVALID_ARGUMENT lines in
// network_requests' style (`Filters[1].Name: ...`).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gantry/v1/network.pb.h"

#include "google/protobuf/repeated_field.h"

namespace gantry::api::internal {

using Filters = google::protobuf::RepeatedPtrField<v1::Filter>;

// How many filters one call may give, and values one filter may have (EC2 allows 200
// values per filter); a value's length is capped so matching stays cheap.
inline constexpr int kMaxFilters = 50;
inline constexpr int kMaxFilterValues = 200;
inline constexpr size_t kMaxFilterValueLength = 1024;

// Which Describe call's names apply.
enum class FilterKind { kVpc, kSubnet, kSecurityGroup, kNetworkInterface, kAvailabilityZone };

// The problems of `filters` for `kind`, one "field: problem" line each, in order: a
// missing or unknown name (the line names the supported ones), no values, too many
// filters or values, an over-long value.
std::vector<std::string> FilterProblems(FilterKind kind, const Filters& filters);

// True when `text` matches `pattern` with EC2's wildcards (see above).
bool WildcardMatch(std::string_view pattern, std::string_view text);

// True when `resource` passes every filter. Names FilterProblems does not know are
// never matched: validate first.
bool MatchesFilters(const Filters& filters, const v1::Vpc& resource);
bool MatchesFilters(const Filters& filters, const v1::Subnet& resource);
bool MatchesFilters(const Filters& filters, const v1::SecurityGroup& resource);
bool MatchesFilters(const Filters& filters, const v1::Ec2NetworkInterface& resource);
bool MatchesFilters(const Filters& filters, const v1::AvailabilityZone& resource);

// Removes from `resources` what does not pass `filters`, keeping the order.
template <typename Resource>
void KeepMatching(const Filters& filters, google::protobuf::RepeatedPtrField<Resource>& resources) {
  if (filters.empty()) {
    return;
  }
  google::protobuf::RepeatedPtrField<Resource> kept;
  for (Resource& resource : resources) {
    if (MatchesFilters(filters, resource)) {
      *kept.Add() = std::move(resource);
    }
  }
  resources.Swap(&kept);
}

}  // namespace gantry::api::internal
