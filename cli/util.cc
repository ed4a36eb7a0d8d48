// Helpers shared by the gantryctl source files.
#include "cli/internal/util.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/cli.h"

namespace gantry::cli::internal {

std::string LastArnSegment(std::string_view arn) {
  if (arn.empty()) {
    return std::string(kNone);
  }
  size_t slash = arn.rfind('/');
  return std::string(slash == std::string_view::npos ? arn : arn.substr(slash + 1));
}

absl::StatusOr<int64_t> IntFlag(const Invocation& inv, std::string_view flag, int64_t min,
                                int64_t max) {
  std::string text = inv.Value(flag);
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", Sv(flag), ": \"", text, "\" is not an integer"));
  }
  if (value < min || value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", Sv(flag), ": ", value, " is out of range; use ", min, " to ", max));
  }
  return value;
}

absl::Status FlagValueError(std::string_view flag, const absl::Status& status) {
  std::vector<std::string> lines = absl::StrSplit(std::string(status.message()), '\n');
  for (std::string& line : lines) {
    line = absl::StrCat("--", Sv(flag), ": ", line);
  }
  return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
}

std::string RenderBlock(const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t width = 0;
  for (const auto& [label, value] : rows) {
    width = std::max(width, label.size());
  }
  std::string out;
  for (const auto& [label, value] : rows) {
    if (!value.empty()) {
      absl::StrAppend(&out, label, std::string(width + 2 - label.size(), ' '), value, "\n");
    }
  }
  return out;
}

std::string RenderList(std::string_view header,
                       const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::vector<std::vector<std::string>> rows;
  for (const std::string& item : items) {
    rows.push_back({item});
  }
  return RenderTable({std::string(header)}, rows);
}

std::string RenderFailures(const google::protobuf::RepeatedPtrField<v1::Failure>& failures) {
  if (failures.empty()) {
    return "";
  }
  std::vector<std::vector<std::string>> rows;
  for (const v1::Failure& f : failures) {
    rows.push_back({f.arn(), f.reason(), f.has_detail() ? f.detail() : std::string(kNone)});
  }
  return absl::StrCat("\nFailures:\n", RenderTable({"ARN", "REASON", "DETAIL"}, rows));
}

}  // namespace gantry::cli::internal
