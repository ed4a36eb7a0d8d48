// Builds gantry.v1 request messages from parsed gantryctl flags.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "google/protobuf/struct.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cli/cli.h"
#include "cli/internal/util.h"
#include "common/status_macros.h"
#include "ecsjson/ecsjson.h"

namespace gantry::cli {
namespace {

// Copies --max-results and --next-token when given.
template <typename Request>
absl::Status SetPaging(const Invocation& inv, Request* request) {
  if (inv.Has("max-results")) {
    std::string text = inv.Value("max-results");
    int32_t max_results = 0;
    if (!absl::SimpleAtoi(text, &max_results)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--max-results: \"", text, "\" is not an integer"));
    }
    request->set_max_results(max_results);
  }
  if (inv.Has("next-token")) {
    request->set_next_token(inv.Value("next-token"));
  }
  return absl::OkStatus();
}

absl::Status NotATag(std::string_view text, std::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("--tags: \"", internal::Sv(text),
                                                 "\" is not a tag", internal::Sv(problem),
                                                 "; write key=KEY,value=VALUE"));
}

// One shorthand tag, `key=K,value=V`, read by ParseShorthand (so quotes keep commas:
// `value="a,b"`); the member names are case-insensitive, as the AWS CLI has them.
absl::StatusOr<v1::Tag> ParseTag(std::string_view text) {
  absl::StatusOr<google::protobuf::Value> tree = ParseShorthand(text, "tags");
  if (!tree.ok()) {
    return NotATag(text,
                   absl::StrCat(": ", absl::StripPrefix(tree.status().message(), "--tags: ")));
  }
  // A Struct keeps no order; sorting the members keeps the messages deterministic.
  const auto& fields = tree->struct_value().fields();
  const std::map<std::string, google::protobuf::Value> members(fields.begin(), fields.end());
  v1::Tag tag;
  for (const auto& [member, value] : members) {
    const std::string name = absl::AsciiStrToLower(member);
    if (name != "key" && name != "value") {
      return NotATag(text, "");
    }
    if (name == "key" ? tag.has_key() : tag.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--tags: \"", internal::Sv(text), "\" gives ", name, " more than once"));
    }
    if (!value.has_string_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--tags: \"", internal::Sv(text), "\": the ", name,
                       " must be one string; quote a value that has commas, e.g. value=\"a,b\""));
    }
    if (name == "key") {
      tag.set_key(value.string_value());
    } else {
      tag.set_value(value.string_value());
    }
  }
  if (!tag.has_key()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tags: \"", internal::Sv(text), "\" has no key; write key=KEY,value=VALUE"));
  }
  return tag;
}

// One JSON tag object; `path` names it in errors ("[1]", or "" for a lone object).
absl::StatusOr<v1::Tag> ParseJsonTag(const google::protobuf::Value& value,
                                     const std::string& path) {
  v1::Tag tag;
  absl::Status status = ecsjson::FromValue(value, &tag, {}, path);
  if (!status.ok()) {
    return internal::FlagValueError("tags", status);
  }
  if (!tag.has_key()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tags: ", path, path.empty() ? "" : ": ", "the tag has no \"key\""));
  }
  return tag;
}

// The AWS CLI's JSON form: `[{"key": "K", "value": "V"}, ...]`, or one such object.
absl::Status AppendJsonTags(std::string_view text, std::vector<v1::Tag>* tags) {
  absl::StatusOr<google::protobuf::Value> json = ecsjson::ParseJson(text);
  if (!json.ok()) {
    return internal::FlagValueError("tags", json.status());
  }
  if (json->has_struct_value()) {
    GANTRY_ASSIGN_OR_RETURN(v1::Tag tag, ParseJsonTag(*json, ""));
    tags->push_back(std::move(tag));
    return absl::OkStatus();
  }
  if (!json->has_list_value()) {
    return absl::InvalidArgumentError(
        R"(--tags: expected a JSON list of tags, e.g. [{"key":"team","value":"core"}])");
  }
  const auto& elements = json->list_value().values();
  for (int i = 0; i < elements.size(); ++i) {
    GANTRY_ASSIGN_OR_RETURN(v1::Tag tag, ParseJsonTag(elements[i], absl::StrCat("[", i, "]")));
    tags->push_back(std::move(tag));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<v1::Tag>> ParseTags(const std::vector<std::string>& values) {
  std::vector<v1::Tag> tags;
  for (const std::string& value : values) {
    absl::string_view start = absl::StripLeadingAsciiWhitespace(value);
    if (absl::StartsWith(start, "[") || absl::StartsWith(start, "{")) {
      GANTRY_RETURN_IF_ERROR(AppendJsonTags(value, &tags));
      continue;
    }
    GANTRY_ASSIGN_OR_RETURN(v1::Tag tag, ParseTag(value));
    tags.push_back(std::move(tag));
  }
  return tags;
}

JsonSource ClassifyCliInputJson(std::string_view arg) {
  if (arg == "-") {
    return {JsonSource::Kind::kStdin, ""};
  }
  if (arg.starts_with("file://")) {
    return {JsonSource::Kind::kFile, std::string(arg.substr(7))};
  }
  return {JsonSource::Kind::kLiteral, std::string(arg)};
}

absl::StatusOr<v1::CreateClusterRequest> BuildCreateClusterRequest(const Invocation& inv) {
  v1::CreateClusterRequest request;
  if (inv.Has("cluster-name")) {
    request.set_cluster_name(inv.Value("cluster-name"));
  }
  GANTRY_ASSIGN_OR_RETURN(std::vector<v1::Tag> tags, ParseTags(inv.Values("tags")));
  for (v1::Tag& tag : tags) {
    *request.add_tags() = std::move(tag);
  }
  return request;
}

absl::StatusOr<v1::DescribeClustersRequest> BuildDescribeClustersRequest(const Invocation& inv) {
  v1::DescribeClustersRequest request;
  for (const std::string& cluster : inv.Values("clusters")) {
    request.add_clusters(cluster);
  }
  for (const std::string& include : inv.Values("include")) {
    request.add_include(include);
  }
  return request;
}

absl::StatusOr<v1::ListClustersRequest> BuildListClustersRequest(const Invocation& inv) {
  v1::ListClustersRequest request;
  GANTRY_RETURN_IF_ERROR(SetPaging(inv, &request));
  return request;
}

absl::StatusOr<v1::DescribeTaskDefinitionRequest> BuildDescribeTaskDefinitionRequest(
    const Invocation& inv) {
  v1::DescribeTaskDefinitionRequest request;
  request.set_task_definition(inv.Value("task-definition"));
  for (const std::string& include : inv.Values("include")) {
    request.add_include(include);
  }
  return request;
}

absl::StatusOr<v1::ListTaskDefinitionsRequest> BuildListTaskDefinitionsRequest(
    const Invocation& inv) {
  v1::ListTaskDefinitionsRequest request;
  if (inv.Has("family-prefix")) {
    request.set_family_prefix(inv.Value("family-prefix"));
  }
  if (inv.Has("status")) {
    request.set_status(inv.Value("status"));
  }
  if (inv.Has("sort")) {
    request.set_sort(inv.Value("sort"));
  }
  GANTRY_RETURN_IF_ERROR(SetPaging(inv, &request));
  return request;
}

absl::StatusOr<v1::ListTaskDefinitionFamiliesRequest> BuildListTaskDefinitionFamiliesRequest(
    const Invocation& inv) {
  v1::ListTaskDefinitionFamiliesRequest request;
  if (inv.Has("family-prefix")) {
    request.set_family_prefix(inv.Value("family-prefix"));
  }
  if (inv.Has("status")) {
    request.set_status(inv.Value("status"));
  }
  GANTRY_RETURN_IF_ERROR(SetPaging(inv, &request));
  return request;
}

absl::StatusOr<v1::DeregisterTaskDefinitionRequest> BuildDeregisterTaskDefinitionRequest(
    const Invocation& inv) {
  v1::DeregisterTaskDefinitionRequest request;
  request.set_task_definition(inv.Value("task-definition"));
  return request;
}

}  // namespace gantry::cli
