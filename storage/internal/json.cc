#include "storage/internal/json.h"

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/util/json_util.h"

namespace gantry::storage::internal {
namespace {

// Parsed shared documents by type and text. Bounded by the bytes of text it keys on:
// when full it starts over, which costs one parse per document in use.
class SharedDocuments {
 public:
  static SharedDocuments& Instance() {
    static SharedDocuments* const kInstance = new SharedDocuments();
    return *kInstance;
  }

  std::shared_ptr<const google::protobuf::Message> Find(const std::string& key) {
    absl::MutexLock lock(&mu_);
    auto it = parsed_.find(key);
    return it == parsed_.end() ? nullptr : it->second;
  }

  void Add(std::string key, std::shared_ptr<const google::protobuf::Message> message) {
    absl::MutexLock lock(&mu_);
    if (key_bytes_ + key.size() > kMaxKeyBytes) {
      parsed_.clear();
      key_bytes_ = 0;
    }
    key_bytes_ += key.size();
    parsed_.emplace(std::move(key), std::move(message));
  }

 private:
  static constexpr size_t kMaxKeyBytes = 16 << 20;

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const google::protobuf::Message>> parsed_
      ABSL_GUARDED_BY(mu_);
  size_t key_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

std::string ToJsonText(const google::protobuf::Message& message) {
  std::string out;
  // Cannot fail for our messages (no Any, no invalid UTF-8 reaches storage).
  (void)google::protobuf::util::MessageToJsonString(message, &out);
  return out;
}

absl::Status FromJsonText(const std::string& text, google::protobuf::Message* message) {
  // jsonb prints an empty object so; most tasks have no overrides.
  if (text == "{}") {
    message->Clear();
    return absl::OkStatus();
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(text, message, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("stored ", message->GetTypeName(),
                                            " does not parse: ", status.message().ToString()));
  }
  return absl::OkStatus();
}

absl::Status FromSharedJsonText(const std::string& text, google::protobuf::Message* message) {
  std::string key = absl::StrCat(message->GetTypeName(), "\n", text);
  SharedDocuments& documents = SharedDocuments::Instance();
  if (std::shared_ptr<const google::protobuf::Message> parsed = documents.Find(key)) {
    message->CopyFrom(*parsed);
    return absl::OkStatus();
  }
  std::shared_ptr<google::protobuf::Message> parsed(message->New());
  if (absl::Status status = FromJsonText(text, parsed.get()); !status.ok()) {
    return status;
  }
  message->CopyFrom(*parsed);
  documents.Add(std::move(key), std::move(parsed));
  return absl::OkStatus();
}

std::string TagsToJsonText(const std::vector<gantry::v1::Tag>& tags) {
  std::string out = "[";
  for (size_t i = 0; i < tags.size(); ++i) {
    if (i > 0) {
      out.push_back(',');
    }
    out += ToJsonText(tags[i]);
  }
  out.push_back(']');
  return out;
}

absl::StatusOr<std::vector<gantry::v1::Tag>> TagsFromJsonText(const std::string& text) {
  if (text == "[]") {
    return std::vector<gantry::v1::Tag>();
  }
  // The request message has a `tags` member of the right shape to parse into.
  gantry::v1::RegisterTaskDefinitionRequest holder;
  absl::Status status = FromJsonText(absl::StrCat("{\"tags\":", text, "}"), &holder);
  if (!status.ok()) {
    return status;
  }
  return std::vector<gantry::v1::Tag>(holder.tags().begin(), holder.tags().end());
}

}  // namespace gantry::storage::internal
