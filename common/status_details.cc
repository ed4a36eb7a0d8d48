#include "common/status_details.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace gantry {
namespace {

constexpr char kResourceIdsUrl[] = "type.gantry.dev/resource-ids";
constexpr char kErrorNameUrl[] = "type.gantry.dev/aws-error-name";

}  // namespace

absl::Status WithResourceIds(absl::Status status, const std::vector<std::string>& ids) {
  if (!status.ok() && !ids.empty()) {
    // Ids and ARNs hold no newline.
    status.SetPayload(kResourceIdsUrl, absl::Cord(absl::StrJoin(ids, "\n")));
  }
  return status;
}

std::vector<std::string> ResourceIdsOf(const absl::Status& status) {
  auto payload = status.GetPayload(kResourceIdsUrl);
  if (!payload.has_value()) {
    return {};
  }
  return absl::StrSplit(std::string(*payload), '\n', absl::SkipEmpty());
}

absl::Status WithErrorName(absl::Status status, std::string_view name) {
  if (!status.ok()) {
    status.SetPayload(kErrorNameUrl, absl::Cord(absl::string_view(name.data(), name.size())));
  }
  return status;
}

std::optional<std::string> ErrorNameOf(const absl::Status& status) {
  auto payload = status.GetPayload(kErrorNameUrl);
  if (!payload.has_value()) {
    return std::nullopt;
  }
  return std::string(*payload);
}

}  // namespace gantry
