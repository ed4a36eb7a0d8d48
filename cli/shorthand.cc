// The AWS CLI shorthand syntax (`a={b=[x,y],c=z}`) and --network-configuration.
#include <cstddef>
#include <string>
#include <string_view>

#include "gantry/v1/ecs_tasks.pb.h"
#include "google/protobuf/struct.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/cli.h"
#include "cli/internal/util.h"
#include "common/status_macros.h"
#include "ecsjson/ecsjson.h"
#include "google/protobuf/descriptor.h"

namespace gantry::cli {
namespace {

namespace pb = google::protobuf;

using internal::Sv;

// Deeper nesting is refused, so a hostile value cannot exhaust the stack.
constexpr int kMaxDepth = 32;

// Recursive descent over the text; `pos_` is the next unread character.
class ShorthandParser {
 public:
  ShorthandParser(std::string_view text, std::string_view flag) : text_(text), flag_(flag) {}

  absl::StatusOr<pb::Value> Parse() {
    SkipBlanks();
    if (AtEnd()) {
      return absl::InvalidArgumentError(absl::StrCat("--", Sv(flag_), ": the value is empty"));
    }
    pb::Value value;
    GANTRY_RETURN_IF_ERROR(ParseMembers(/*close=*/'\0', value.mutable_struct_value(), 0));
    return value;
  }

 private:
  absl::Status ParseMembers(char close, pb::Struct* out, int depth);
  absl::Status ParseMember(pb::Struct* out, int depth);
  absl::Status ParseValue(pb::Value* out, int depth);
  absl::Status ParseList(pb::ListValue* out, int depth);
  absl::StatusOr<std::string> ParseQuoted();
  std::string ParseBare(std::string_view stops);
  // After a member or element: ',' (true: another follows) or `close` (false).
  absl::StatusOr<bool> ParseSeparator(char close);

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  void SkipBlanks() {
    while (!AtEnd() && absl::ascii_isspace(static_cast<unsigned char>(Peek()))) {
      ++pos_;
    }
  }
  absl::Status Error(std::string_view what, size_t pos) const {
    std::string where = pos >= text_.size() ? "at the end" : absl::StrCat("at character ", pos + 1);
    return absl::InvalidArgumentError(absl::StrCat("--", Sv(flag_), ": ", Sv(what), " ", where));
  }

  std::string_view text_;
  std::string_view flag_;
  size_t pos_ = 0;
};

absl::Status ShorthandParser::ParseMembers(char close, pb::Struct* out, int depth) {
  SkipBlanks();
  if (close != '\0' && !AtEnd() && Peek() == close) {
    ++pos_;
    return absl::OkStatus();
  }
  bool more = true;
  while (more) {
    GANTRY_RETURN_IF_ERROR(ParseMember(out, depth));
    GANTRY_ASSIGN_OR_RETURN(more, ParseSeparator(close));
  }
  return absl::OkStatus();
}

absl::Status ShorthandParser::ParseMember(pb::Struct* out, int depth) {
  SkipBlanks();
  size_t key_pos = pos_;
  std::string key = ParseBare("=,{}[]");
  if (key.empty()) {
    return Error("expected KEY=VALUE", key_pos);
  }
  if (AtEnd() || Peek() != '=') {
    return Error(absl::StrCat("expected \"=\" after \"", key, "\""), pos_);
  }
  ++pos_;
  if (out->fields().count(key) > 0) {
    return Error(absl::StrCat("\"", key, "\" is given more than once"), key_pos);
  }
  return ParseValue(&(*out->mutable_fields())[key], depth);
}

absl::Status ShorthandParser::ParseValue(pb::Value* out, int depth) {
  SkipBlanks();
  if (!AtEnd() && (Peek() == '{' || Peek() == '[')) {
    if (depth + 1 > kMaxDepth) {
      return Error(absl::StrCat("nested more than ", kMaxDepth, " levels deep"), pos_);
    }
    if (text_[pos_++] == '{') {
      return ParseMembers('}', out->mutable_struct_value(), depth + 1);
    }
    return ParseList(out->mutable_list_value(), depth + 1);
  }
  if (!AtEnd() && (Peek() == '"' || Peek() == '\'')) {
    GANTRY_ASSIGN_OR_RETURN(*out->mutable_string_value(), ParseQuoted());
    return absl::OkStatus();
  }
  out->set_string_value(ParseBare(",}]"));
  return absl::OkStatus();
}

absl::Status ShorthandParser::ParseList(pb::ListValue* out, int depth) {
  SkipBlanks();
  if (!AtEnd() && Peek() == ']') {
    ++pos_;
    return absl::OkStatus();
  }
  bool more = true;
  while (more) {
    GANTRY_RETURN_IF_ERROR(ParseValue(out->add_values(), depth));
    GANTRY_ASSIGN_OR_RETURN(more, ParseSeparator(']'));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ShorthandParser::ParseQuoted() {
  size_t start = pos_;
  char quote = text_[pos_++];
  std::string value;
  while (!AtEnd() && Peek() != quote) {
    if (Peek() == '\\' && pos_ + 1 < text_.size() &&
        (text_[pos_ + 1] == quote || text_[pos_ + 1] == '\\')) {
      ++pos_;
    }
    value.push_back(text_[pos_++]);
  }
  if (AtEnd()) {
    return Error(absl::StrCat("the quote opened at character ", start + 1, " is not closed"), pos_);
  }
  ++pos_;
  return value;
}

std::string ShorthandParser::ParseBare(std::string_view stops) {
  size_t start = pos_;
  while (!AtEnd() && stops.find(Peek()) == std::string_view::npos) {
    ++pos_;
  }
  return std::string(
      absl::StripAsciiWhitespace(absl::string_view(text_.data() + start, pos_ - start)));
}

absl::StatusOr<bool> ShorthandParser::ParseSeparator(char close) {
  SkipBlanks();
  if (AtEnd()) {
    if (close == '\0') {
      return false;
    }
    return Error(absl::StrCat("missing \"", std::string(1, close), "\""), pos_);
  }
  char c = Peek();
  if (c == ',') {
    ++pos_;
    return true;
  }
  if (close != '\0' && c == close) {
    ++pos_;
    return false;
  }
  std::string expected =
      close == '\0' ? "\",\"" : absl::StrCat("\",\" or \"", std::string(1, close), "\"");
  return Error(absl::StrCat("unexpected \"", std::string(1, c), "\" (expected ", expected, ")"),
               pos_);
}

void NormalizeValue(const pb::FieldDescriptor& field, pb::Value* value);

// Shorthand lets a single value stand for a one-element list; ECS JSON does not.
// Wraps such values so that the strict JSON reader accepts them.
void NormalizeStruct(const pb::Descriptor& descriptor, pb::Struct* object) {
  for (auto& [key, value] : *object->mutable_fields()) {
    for (int i = 0; i < descriptor.field_count(); ++i) {
      if (descriptor.field(i)->json_name() == key) {
        NormalizeValue(*descriptor.field(i), &value);
      }
    }
  }
}

void NormalizeValue(const pb::FieldDescriptor& field, pb::Value* value) {
  if (field.is_repeated() && !field.is_map() && value->has_string_value()) {
    pb::Value single = std::move(*value);
    *value->mutable_list_value()->add_values() = std::move(single);
  }
  if (field.message_type() == nullptr || field.is_map()) {
    return;
  }
  if (value->has_struct_value()) {
    NormalizeStruct(*field.message_type(), value->mutable_struct_value());
  } else if (value->has_list_value()) {
    for (pb::Value& element : *value->mutable_list_value()->mutable_values()) {
      if (element.has_struct_value()) {
        NormalizeStruct(*field.message_type(), element.mutable_struct_value());
      }
    }
  }
}

}  // namespace

absl::StatusOr<google::protobuf::Value> ParseShorthand(std::string_view text,
                                                       std::string_view flag) {
  return ShorthandParser(text, flag).Parse();
}

absl::StatusOr<v1::NetworkConfiguration> ParseNetworkConfiguration(std::string_view text) {
  constexpr std::string_view kFlag = "network-configuration";
  pb::Value value;
  if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(Sv(text)), "{")) {
    absl::StatusOr<pb::Value> json = ecsjson::ParseJson(text);
    if (!json.ok()) {
      return internal::FlagValueError(kFlag, json.status());
    }
    value = *std::move(json);
  } else {
    GANTRY_ASSIGN_OR_RETURN(value, ParseShorthand(text, kFlag));
    NormalizeStruct(*v1::NetworkConfiguration::descriptor(), value.mutable_struct_value());
  }
  v1::NetworkConfiguration configuration;
  absl::Status status = ecsjson::FromValue(value, &configuration);
  if (!status.ok()) {
    return internal::FlagValueError(kFlag, status);
  }
  return configuration;
}

}  // namespace gantry::cli
