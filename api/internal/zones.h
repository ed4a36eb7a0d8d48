// Availability zone names: the one syntax every zone name Gantry accepts follows (hosts'
// zones, CreateSubnet's and DescribeAvailabilityZones' names), and the zones of a region
// a subnet may be created in. Pure functions, no I/O; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::api::internal {

inline constexpr size_t kMaxZoneNameLength = 64;

// 1 to kMaxZoneNameLength lowercase letters, digits and '-', as zone names and zone ids
// are (us-east-1a, use1-az1).
bool IsZoneName(std::string_view zone);

// True when `zone` is one of `region`'s zones: the region's name followed by one
// lowercase letter (us-east-1a .. us-east-1z for us-east-1), as EC2 names them. Gantry
// has no list of a region's real zones, so every letter is one.
bool IsZoneOfRegion(std::string_view region, std::string_view zone);

// `region`'s zones in order: `region`a .. `region`z.
std::vector<std::string> ZonesOfRegion(std::string_view region);

}  // namespace gantry::api::internal
