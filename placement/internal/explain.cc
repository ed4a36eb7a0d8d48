#include "placement/internal/explain.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace gantry::placement::internal {
namespace {

// "a", "a and b", "a, b and c".
std::string JoinWith(absl::Span<const std::string> parts, absl::string_view last_separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) {
      absl::StrAppend(&out, i + 1 == parts.size() ? std::string(last_separator) : ", ");
    }
    absl::StrAppend(&out, parts[i]);
  }
  return out;
}

std::string NeedsList(const Resources& needs) {
  std::vector<std::string> parts;
  for (Dimension dimension : kDimensions) {
    if (Get(needs, dimension) != 0) {
      parts.push_back(Quantity(dimension, Get(needs, dimension)));
    }
  }
  return JoinWith(parts, " and ");
}

}  // namespace

int64_t Get(const Resources& resources, Dimension dimension) {
  switch (dimension) {
    case Dimension::kCpu:
      return resources.cpu_units;
    case Dimension::kMemory:
      return resources.memory_mib;
    case Dimension::kStorage:
      return resources.ephemeral_storage_gib;
    case Dimension::kEnis:
      return resources.enis;
  }
  return 0;
}

const char* ReasonFor(Dimension dimension) {
  switch (dimension) {
    case Dimension::kCpu:
      return kReasonCpu;
    case Dimension::kMemory:
      return kReasonMemory;
    case Dimension::kStorage:
      return kReasonStorage;
    case Dimension::kEnis:
      return kReasonEni;
  }
  return kReasonCpu;
}

std::string Quantity(Dimension dimension, int64_t value) {
  switch (dimension) {
    case Dimension::kCpu:
      return absl::StrCat(value, " CPU units");
    case Dimension::kMemory:
      return absl::StrCat(value, " MiB of memory");
    case Dimension::kStorage:
      return absl::StrCat(value, " GiB of ephemeral storage");
    case Dimension::kEnis:
      return absl::StrCat(value, value == 1 ? " ENI slot" : " ENI slots");
  }
  return absl::StrCat(value);
}

std::string JoinOr(absl::Span<const absl::string_view> names) {
  std::vector<std::string> parts(names.begin(), names.end());
  return JoinWith(parts, " or ");
}

std::string NoFreeSentence(absl::string_view zones, Dimension dimension, int64_t needed) {
  const std::string what = dimension == Dimension::kEnis && needed == 1
                               ? std::string("a free ENI slot")
                               : absl::StrCat(Quantity(dimension, needed), " free");
  return absl::StrCat("no host in ", zones, " has ", what);
}

std::string NoFreeTogetherSentence(absl::string_view zones, const Resources& needs) {
  return absl::StrCat("no host in ", zones, " has ", NeedsList(needs), " free at once");
}

std::string NeverSentence(absl::string_view zones, Dimension dimension, int64_t needed,
                          int64_t largest) {
  return absl::StrCat("the task needs ", Quantity(dimension, needed), "; the largest host in ",
                      zones, " has ", Quantity(dimension, largest));
}

std::string NeverTogetherSentence(absl::string_view zones, const Resources& needs) {
  return absl::StrCat("the task needs ", NeedsList(needs), " together; no host in ", zones,
                      " has that much even when empty");
}

}  // namespace gantry::placement::internal
