#include "api/internal/zones.h"

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace gantry::api::internal {

bool IsZoneName(std::string_view zone) {
  if (zone.empty() || zone.size() > kMaxZoneNameLength) {
    return false;
  }
  for (char c : zone) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-') {
      return false;
    }
  }
  return true;
}

bool IsZoneOfRegion(std::string_view region, std::string_view zone) {
  return !region.empty() && zone.size() == region.size() + 1 && zone.starts_with(region) &&
         absl::ascii_islower(zone.back());
}

std::vector<std::string> ZonesOfRegion(std::string_view region) {
  std::vector<std::string> zones;
  for (char letter = 'a'; letter <= 'z'; ++letter) {
    zones.push_back(absl::StrCat(std::string(region), std::string(1, letter)));
  }
  return zones;
}

}  // namespace gantry::api::internal
