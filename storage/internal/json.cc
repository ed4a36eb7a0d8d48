#include "storage/internal/json.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace gantry::storage::internal {

std::string ToJsonText(const google::protobuf::Message& message) {
  std::string out;
  // Cannot fail for our messages (no Any, no invalid UTF-8 reaches storage).
  (void)google::protobuf::util::MessageToJsonString(message, &out);
  return out;
}

absl::Status FromJsonText(const std::string& text, google::protobuf::Message* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(text, message, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("stored ", message->GetTypeName(),
                                            " does not parse: ", status.message().ToString()));
  }
  return absl::OkStatus();
}

std::string TagsToJsonText(const std::vector<gantry::v1::Tag>& tags) {
  std::string out = "[";
  for (size_t i = 0; i < tags.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += ToJsonText(tags[i]);
  }
  out.push_back(']');
  return out;
}

absl::StatusOr<std::vector<gantry::v1::Tag>> TagsFromJsonText(const std::string& text) {
  // The request message has a `tags` member of the right shape to parse into.
  gantry::v1::RegisterTaskDefinitionRequest holder;
  absl::Status status = FromJsonText(absl::StrCat("{\"tags\":", text, "}"), &holder);
  if (!status.ok()) return status;
  return std::vector<gantry::v1::Tag>(holder.tags().begin(), holder.tags().end());
}

}  // namespace gantry::storage::internal
