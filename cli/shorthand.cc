// The AWS CLI shorthand syntax (`a={b=[x,y],c=z}`) and flags whose value is a message
// in JSON or shorthand (--overrides, --network-configuration).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>

#include "gantry/v1/ecs_tasks.pb.h"
#include "google/protobuf/struct.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
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
  absl::Status ParseCommaList(pb::Value* value);
  absl::StatusOr<bool> ParseCommaListElement(pb::ListValue* list);
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
  pb::Value* value = &(*out->mutable_fields())[key];
  GANTRY_RETURN_IF_ERROR(ParseValue(value, depth));
  return value->has_string_value() ? ParseCommaList(value) : absl::OkStatus();
}

// The AWS CLI reads `subnets=a,b` as a list: a member's scalar followed by ',' and a
// value that is not the next member's `KEY=` starts a list without brackets. `value`
// becomes that list when at least one more element follows.
absl::Status ShorthandParser::ParseCommaList(pb::Value* value) {
  pb::ListValue list;
  *list.add_values() = *value;
  bool more = true;
  while (more) {
    GANTRY_ASSIGN_OR_RETURN(more, ParseCommaListElement(&list));
  }
  if (list.values_size() > 1) {
    *value->mutable_list_value() = std::move(list);
  }
  return absl::OkStatus();
}

// After an element of a comma list: `,VALUE` appends VALUE (bare or quoted) and
// returns true; anything else (the end, a close, `,KEY=`, `,{`, `,[`, `,,`) is left
// unread for the caller and returns false.
absl::StatusOr<bool> ShorthandParser::ParseCommaListElement(pb::ListValue* list) {
  const size_t comma = pos_;
  SkipBlanks();
  if (AtEnd() || Peek() != ',') {
    pos_ = comma;
    return false;
  }
  ++pos_;
  SkipBlanks();
  if (!AtEnd() && (Peek() == '"' || Peek() == '\'')) {
    GANTRY_ASSIGN_OR_RETURN(*list->add_values()->mutable_string_value(), ParseQuoted());
    return true;
  }
  if (AtEnd() || Peek() == '{' || Peek() == '[') {
    pos_ = comma;
    return false;
  }
  std::string element = ParseBare(",=}]");
  if (element.empty() || (!AtEnd() && Peek() == '=')) {
    pos_ = comma;  // the next member, or a mistake ParseSeparator or ParseMember names
    return false;
  }
  list->add_values()->set_string_value(std::move(element));
  return true;
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

void CoerceValue(const pb::FieldDescriptor& field, pb::Value* value);

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

std::string_view WithoutSign(std::string_view text) {
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    text.remove_prefix(1);
  }
  return text;
}

// An optional sign and digits: what the AWS CLI takes for an integer (no 1e3, 0x10,
// 1.5 or blanks, which strtod-style parsing would let through).
bool IsIntegerText(std::string_view text) { return AllDigits(WithoutSign(text)); }

// An optional sign, digits and at most one '.' with a digit on either side of it or
// both: 2, -0.5, 1., .25 (no exponent, hex, inf or nan).
bool IsDecimalText(std::string_view text) {
  text = WithoutSign(text);
  const size_t dot = text.find('.');
  if (dot == std::string_view::npos) {
    return AllDigits(text);
  }
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = text.substr(dot + 1);
  return (AllDigits(whole) || whole.empty()) && (AllDigits(fraction) || fraction.empty()) &&
         !(whole.empty() && fraction.empty());
}

// Gives a shorthand scalar (always a string) the JSON type of the field it is for:
// a number for numeric fields, true/false for bool fields. Text that does not read
// as that type is left a string, so the strict reader names the field and the value.
// Bare scalars come without surrounding blanks; blanks inside quotes are kept, so
// `" 12"` is not a number.
void CoerceScalar(const pb::FieldDescriptor& field, pb::Value* value) {
  if (!value->has_string_value()) {
    return;
  }
  const std::string text = value->string_value();
  switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      if (absl::EqualsIgnoreCase(text, "true") || absl::EqualsIgnoreCase(text, "false")) {
        value->set_bool_value(absl::EqualsIgnoreCase(text, "true"));
      }
      return;
    case pb::FieldDescriptor::CPPTYPE_INT32:
    case pb::FieldDescriptor::CPPTYPE_INT64:
    case pb::FieldDescriptor::CPPTYPE_UINT32:
    case pb::FieldDescriptor::CPPTYPE_UINT64:
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
    case pb::FieldDescriptor::CPPTYPE_FLOAT: {
      const bool integral = field.cpp_type() != pb::FieldDescriptor::CPPTYPE_DOUBLE &&
                            field.cpp_type() != pb::FieldDescriptor::CPPTYPE_FLOAT;
      // Integers go through as doubles: the strict reader refuses values out of the
      // field's range (and 64-bit ones a double cannot hold exactly) with the path.
      double number = 0;
      if ((integral ? IsIntegerText(text) : IsDecimalText(text)) &&
          absl::SimpleAtod(text, &number) && std::isfinite(number)) {
        value->set_number_value(number);
      }
      return;
    }
    default:
      return;
  }
}

// The members of `object` that name fields of `descriptor`; unknown members are the
// strict reader's to report.
void CoerceStruct(const pb::Descriptor& descriptor, pb::Struct* object) {
  for (auto& [key, value] : *object->mutable_fields()) {
    for (int i = 0; i < descriptor.field_count(); ++i) {
      if (descriptor.field(i)->json_name() == key) {
        CoerceValue(*descriptor.field(i), &value);
      }
    }
  }
}

// One value of `field` (an element when the field is repeated).
void CoerceElement(const pb::FieldDescriptor& field, pb::Value* value) {
  if (field.cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
    CoerceScalar(field, value);
  } else if (value->has_struct_value()) {
    CoerceStruct(*field.message_type(), value->mutable_struct_value());
  }
}

void CoerceValue(const pb::FieldDescriptor& field, pb::Value* value) {
  if (field.is_map()) {
    if (value->has_struct_value()) {
      for (auto& [key, entry] : *value->mutable_struct_value()->mutable_fields()) {
        CoerceElement(*field.message_type()->map_value(), &entry);
      }
    }
    return;
  }
  if (!field.is_repeated()) {
    CoerceElement(field, value);
    return;
  }
  // Shorthand lets a single value stand for a one-element list; ECS JSON does not.
  const bool is_message = field.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE;
  if (value->has_string_value() || (is_message && value->has_struct_value())) {
    pb::Value single = std::move(*value);
    *value->mutable_list_value()->add_values() = std::move(single);
  }
  if (value->has_list_value()) {
    for (pb::Value& element : *value->mutable_list_value()->mutable_values()) {
      CoerceElement(field, &element);
    }
  }
}

}  // namespace

absl::StatusOr<google::protobuf::Value> ParseShorthand(std::string_view text,
                                                       std::string_view flag) {
  return ShorthandParser(text, flag).Parse();
}

absl::Status ShorthandToMessage(const google::protobuf::Value& tree, std::string_view flag,
                                google::protobuf::Message* message) {
  pb::Value coerced = tree;
  if (coerced.has_struct_value()) {
    CoerceStruct(*message->GetDescriptor(), coerced.mutable_struct_value());
  }
  absl::Status status = ecsjson::FromValue(coerced, message);
  if (!status.ok()) {
    return internal::FlagValueError(flag, status);
  }
  return absl::OkStatus();
}

absl::Status ParseStructuredFlag(std::string_view text, std::string_view flag,
                                 google::protobuf::Message* message) {
  // Shorthand never starts with a bracket, so "[...]" is JSON too: the reader then
  // says that an object was expected, which is more use than a shorthand error.
  const absl::string_view start = absl::StripLeadingAsciiWhitespace(Sv(text));
  if (!absl::StartsWith(start, "{") && !absl::StartsWith(start, "[")) {
    GANTRY_ASSIGN_OR_RETURN(pb::Value tree, ParseShorthand(text, flag));
    return ShorthandToMessage(tree, flag, message);
  }
  absl::Status status = ecsjson::ParseStrict(text, message);
  if (!status.ok()) {
    return internal::FlagValueError(flag, status);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::NetworkConfiguration> ParseNetworkConfiguration(std::string_view text) {
  v1::NetworkConfiguration configuration;
  GANTRY_RETURN_IF_ERROR(ParseStructuredFlag(text, "network-configuration", &configuration));
  return configuration;
}

}  // namespace gantry::cli
