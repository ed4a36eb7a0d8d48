#include "ecsjson/ecsjson.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "google/protobuf/struct.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"

namespace gantry::ecsjson {
namespace {

namespace pb = google::protobuf;

// Helpers take absl::string_view, not std::string_view: Debian's Abseil is built
// with its own string_view type (ABSL_OPTION_USE_STD_STRING_VIEW 0), and
// absl::StrCat does not accept std::string_view there.

// STYLE.md section 4: at most 20 problems, then one summary line.
constexpr int kMaxProblems = 20;
// User-supplied strings are echoed back in messages; a 1 MiB string must not make
// a 1 MiB error message.
constexpr std::size_t kMaxQuotedBytes = 64;
// google::protobuf::Value keeps every number as a double, so integers beyond 2^53
// would arrive rounded. 64-bit fields refuse them rather than store a different value.
constexpr double kMaxExactInteger = 9007199254740991.0;  // 2^53 - 1

// Collects problem lines in the order they are found, keeping the first
// kMaxProblems and counting the rest. An internal error (a proto shape this codec
// does not support) wins over user problems: it is our bug, not the request's.
class Problems {
 public:
  void Add(absl::string_view path, absl::string_view what) {
    if (static_cast<int>(lines_.size()) >= kMaxProblems) {
      ++dropped_;
      return;
    }
    lines_.push_back(path.empty() ? std::string(what) : absl::StrCat(path, ": ", what));
  }

  void AddInternal(absl::string_view path, absl::string_view what) {
    if (internal_.empty()) {
      internal_ = absl::StrCat("ecsjson: ", path, ": ", what);
    }
  }

  absl::Status ToStatus() const {
    if (!internal_.empty()) {
      return absl::InternalError(internal_);
    }
    if (lines_.empty()) {
      return absl::OkStatus();
    }
    std::string message = absl::StrJoin(lines_, "\n");
    if (dropped_ > 0) {
      absl::StrAppend(&message, "\n... and ", dropped_, " more problem", dropped_ == 1 ? "" : "s");
    }
    return absl::InvalidArgumentError(message);
  }

 private:
  std::vector<std::string> lines_;
  int dropped_ = 0;
  std::string internal_;
};

// Quotes a user-supplied string JSON-style, cut at kMaxQuotedBytes (on a UTF-8
// character boundary) so the message stays readable.
std::string Quote(absl::string_view text) {
  bool truncated = false;
  if (text.size() > kMaxQuotedBytes) {
    std::size_t end = kMaxQuotedBytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      --end;
    }
    text = text.substr(0, end);
    truncated = true;
  }
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      out.push_back(c);
    }
  }
  absl::StrAppend(&out, truncated ? "...\"" : "\"");
  return out;
}

// Shortest text that reads back as the same double: 5, 1.5, 3000000000, 1e+300.
// Integral values are printed in full (std::to_chars alone picks "3e+09" because it
// is shorter, which hides why 3000000000 is out of range for an int32).
std::string FormatNumber(double number) {
  char buffer[64];
  const bool integral = std::trunc(number) == number && std::fabs(number) < 1e21;
  std::to_chars_result result =
      integral ? std::to_chars(buffer, buffer + sizeof(buffer), number, std::chars_format::fixed)
               : std::to_chars(buffer, buffer + sizeof(buffer), number);
  if (result.ec != std::errc()) {
    return absl::StrCat(number);
  }
  return std::string(buffer, result.ptr);
}

// What the user sent, for "expected X, got Y".
std::string Describe(const pb::Value& value) {
  switch (value.kind_case()) {
    case pb::Value::kNullValue:
      return "null";
    case pb::Value::kNumberValue:
      return absl::StrCat("number ", FormatNumber(value.number_value()));
    case pb::Value::kStringValue:
      return absl::StrCat("string ", Quote(value.string_value()));
    case pb::Value::kBoolValue:
      return value.bool_value() ? "true" : "false";
    case pb::Value::kStructValue:
      return "an object";
    case pb::Value::kListValue:
      return "an array";
    case pb::Value::KIND_NOT_SET:
      break;
  }
  return "nothing";
}

bool IsIdentifier(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// `a.b` for identifiers; `a["awslogs-group"]` for names a reader could not split
// on dots (map keys such as Docker label names often contain dots themselves).
std::string MemberPath(absl::string_view path, absl::string_view name) {
  if (!IsIdentifier(name)) {
    return absl::StrCat(path, "[", Quote(name), "]");
  }
  return path.empty() ? std::string(name) : absl::StrCat(path, ".", name);
}

std::string IndexPath(absl::string_view path, int index) {
  return absl::StrCat(path, "[", index, "]");
}

bool IsWellKnownType(const pb::Descriptor* descriptor) {
  return absl::StartsWith(descriptor->file()->name(), "google/protobuf/");
}

// Matches on json_name() only: ECS documents are lowerCamelCase, and accepting the
// proto snake_case names too (as protobuf's parser does) would accept documents
// that ECS refuses.
const pb::FieldDescriptor* FindByJsonName(const pb::Descriptor* descriptor,
                                          absl::string_view name) {
  for (int i = 0; i < descriptor->field_count(); ++i) {
    if (descriptor->field(i)->json_name() == name) {
      return descriptor->field(i);
    }
  }
  return nullptr;
}

// Names the field a typo most likely meant: same letters ignoring case and
// underscores, which catches both `ContainerDefinitions` and `container_definitions`.
std::string UnknownFieldMessage(const pb::Descriptor* descriptor, absl::string_view name) {
  std::string wanted = absl::AsciiStrToLower(name);
  wanted.erase(std::remove(wanted.begin(), wanted.end(), '_'), wanted.end());
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const std::string& json_name = descriptor->field(i)->json_name();
    if (absl::AsciiStrToLower(json_name) == wanted) {
      return absl::StrCat("unknown field; did you mean \"", json_name, "\"?");
    }
  }
  return "unknown field";
}

// Reads an integral number within [min, max], or reports why not.
bool ReadInteger(const pb::Value& value, double min, double max, const std::string& path,
                 Problems* problems, double* out) {
  if (value.kind_case() != pb::Value::kNumberValue ||
      std::trunc(value.number_value()) != value.number_value()) {
    problems->Add(path, absl::StrCat("expected an integer, got ", Describe(value)));
    return false;
  }
  if (value.number_value() < min || value.number_value() > max) {
    problems->Add(path, absl::StrCat(FormatNumber(value.number_value()),
                                     " is out of range; use an integer from ", FormatNumber(min),
                                     " to ", FormatNumber(max)));
    return false;
  }
  *out = value.number_value();
  return true;
}

// Stores an already-checked number into a numeric field, appending when repeated.
void StoreNumber(double number, const pb::FieldDescriptor* field, pb::Message* message) {
  const pb::Reflection* r = message->GetReflection();
  const bool add = field->is_repeated();
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32:
      add ? r->AddInt32(message, field, static_cast<int32_t>(number))
          : r->SetInt32(message, field, static_cast<int32_t>(number));
      return;
    case pb::FieldDescriptor::CPPTYPE_INT64:
      add ? r->AddInt64(message, field, static_cast<int64_t>(number))
          : r->SetInt64(message, field, static_cast<int64_t>(number));
      return;
    case pb::FieldDescriptor::CPPTYPE_UINT32:
      add ? r->AddUInt32(message, field, static_cast<uint32_t>(number))
          : r->SetUInt32(message, field, static_cast<uint32_t>(number));
      return;
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      add ? r->AddUInt64(message, field, static_cast<uint64_t>(number))
          : r->SetUInt64(message, field, static_cast<uint64_t>(number));
      return;
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
      add ? r->AddFloat(message, field, static_cast<float>(number))
          : r->SetFloat(message, field, static_cast<float>(number));
      return;
    default:
      add ? r->AddDouble(message, field, number) : r->SetDouble(message, field, number);
      return;
  }
}

// Integer range of a numeric field; 64-bit fields are limited to what a double
// holds exactly (see kMaxExactInteger).
void IntegerRange(const pb::FieldDescriptor* field, double* min, double* max) {
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32:
      *min = std::numeric_limits<int32_t>::min();
      *max = std::numeric_limits<int32_t>::max();
      return;
    case pb::FieldDescriptor::CPPTYPE_UINT32:
      *min = 0;
      *max = std::numeric_limits<uint32_t>::max();
      return;
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      *min = 0;
      *max = kMaxExactInteger;
      return;
    default:
      *min = -kMaxExactInteger;
      *max = kMaxExactInteger;
      return;
  }
}

void ReadNumberField(const pb::Value& value, const pb::FieldDescriptor* field, pb::Message* message,
                     const std::string& path, Problems* problems) {
  const auto type = field->cpp_type();
  if (type == pb::FieldDescriptor::CPPTYPE_DOUBLE || type == pb::FieldDescriptor::CPPTYPE_FLOAT) {
    if (value.kind_case() != pb::Value::kNumberValue) {
      problems->Add(path, absl::StrCat("expected a number, got ", Describe(value)));
      return;
    }
    const double limit = type == pb::FieldDescriptor::CPPTYPE_FLOAT
                             ? std::numeric_limits<float>::max()
                             : std::numeric_limits<double>::max();
    if (std::fabs(value.number_value()) > limit) {
      problems->Add(path, absl::StrCat(FormatNumber(value.number_value()),
                                       " is out of range; use a number from ", FormatNumber(-limit),
                                       " to ", FormatNumber(limit)));
      return;
    }
    StoreNumber(value.number_value(), field, message);
    return;
  }
  double min = 0;
  double max = 0;
  IntegerRange(field, &min, &max);
  double number = 0;
  if (ReadInteger(value, min, max, path, problems, &number)) {
    StoreNumber(number, field, message);
  }
}

void ReadStringField(const pb::Value& value, const pb::FieldDescriptor* field, pb::Message* message,
                     const std::string& path, Problems* problems) {
  if (value.kind_case() != pb::Value::kStringValue) {
    problems->Add(path, absl::StrCat("expected a string, got ", Describe(value)));
    return;
  }
  const pb::Reflection* r = message->GetReflection();
  field->is_repeated() ? r->AddString(message, field, value.string_value())
                       : r->SetString(message, field, value.string_value());
}

void ReadBoolField(const pb::Value& value, const pb::FieldDescriptor* field, pb::Message* message,
                   const std::string& path, Problems* problems) {
  if (value.kind_case() != pb::Value::kBoolValue) {
    problems->Add(path, absl::StrCat("expected true or false, got ", Describe(value)));
    return;
  }
  const pb::Reflection* r = message->GetReflection();
  field->is_repeated() ? r->AddBool(message, field, value.bool_value())
                       : r->SetBool(message, field, value.bool_value());
}

// Enums are matched by value name only, like ECS's own enum strings.
void ReadEnumField(const pb::Value& value, const pb::FieldDescriptor* field, pb::Message* message,
                   const std::string& path, Problems* problems) {
  const pb::EnumDescriptor* type = field->enum_type();
  const pb::EnumValueDescriptor* found = nullptr;
  if (value.kind_case() == pb::Value::kStringValue) {
    found = type->FindValueByName(value.string_value());
  }
  if (found == nullptr) {
    std::vector<std::string> names;
    for (int i = 0; i < type->value_count(); ++i) {
      names.push_back(absl::StrCat("\"", type->value(i)->name(), "\""));
    }
    problems->Add(path, absl::StrCat("expected one of ", absl::StrJoin(names, ", "), ", got ",
                                     Describe(value)));
    return;
  }
  const pb::Reflection* r = message->GetReflection();
  field->is_repeated() ? r->AddEnumValue(message, field, found->number())
                       : r->SetEnumValue(message, field, found->number());
}

// Walks a JSON tree against a message Descriptor. Problems are reported in walk
// order, which is deterministic but not document order: google::protobuf::Struct
// keeps members in a hash map and forgets the order they were written in. Within
// one object, known members are visited in field-number order (our protos number
// fields in ECS's documentation order, which is how people usually write them),
// then unknown members alphabetically; map entries alphabetically; array elements
// by index. Keeping true document order would need a second, hand-written parser.
class Reader {
 public:
  Reader(const ParseOptions& options, Problems* problems)
      : options_(options), problems_(problems) {}

  void ReadObject(const pb::Struct& object, pb::Message* message, const std::string& path,
                  bool top_level);

 private:
  struct Member {
    const std::string* name;
    const pb::Value* value;
    const pb::FieldDescriptor* field;  // null when unknown
  };

  std::vector<Member> SortedMembers(const pb::Struct& object, const pb::Descriptor* descriptor,
                                    bool top_level) const;
  bool OneofAlreadySet(const pb::FieldDescriptor* field, const pb::Message& message,
                       const std::string& path);
  void ReadMember(const pb::Value& value, const pb::FieldDescriptor* field, pb::Message* message,
                  const std::string& path);
  void ReadList(const pb::Value& value, const pb::FieldDescriptor* field, pb::Message* message,
                const std::string& path);
  void ReadMap(const pb::Value& value, const pb::FieldDescriptor* field, pb::Message* message,
               const std::string& path);
  void ReadOne(const pb::Value& value, const pb::FieldDescriptor* field, pb::Message* message,
               const std::string& path);
  void ReadMessageField(const pb::Value& value, const pb::FieldDescriptor* field,
                        pb::Message* message, const std::string& path);

  const ParseOptions& options_;
  Problems* problems_;
};

std::vector<Reader::Member> Reader::SortedMembers(const pb::Struct& object,
                                                  const pb::Descriptor* descriptor,
                                                  bool top_level) const {
  std::vector<Member> members;
  members.reserve(object.fields().size());
  for (const auto& [name, value] : object.fields()) {
    if (top_level && options_.ignored_top_level_members.contains(name)) {
      continue;
    }
    members.push_back({&name, &value, FindByJsonName(descriptor, name)});
  }
  std::sort(members.begin(), members.end(), [](const Member& a, const Member& b) {
    if ((a.field == nullptr) != (b.field == nullptr)) {
      return a.field != nullptr;
    }
    if (a.field != nullptr) {
      return a.field->number() < b.field->number();
    }
    return *a.name < *b.name;
  });
  return members;
}

void Reader::ReadObject(const pb::Struct& object, pb::Message* message, const std::string& path,
                        bool top_level) {
  const pb::Descriptor* descriptor = message->GetDescriptor();
  for (const Member& member : SortedMembers(object, descriptor, top_level)) {
    const std::string member_path = MemberPath(path, *member.name);
    if (member.field == nullptr) {
      problems_->Add(member_path, UnknownFieldMessage(descriptor, *member.name));
      continue;
    }
    // JSON null means "absent", as in the AWS CLI.
    if (member.value->kind_case() == pb::Value::kNullValue) {
      continue;
    }
    if (OneofAlreadySet(member.field, *message, member_path)) {
      continue;
    }
    ReadMember(*member.value, member.field, message, member_path);
  }
}

// A real oneof (not a proto3 `optional`) holds one member; a second one would
// silently replace the first, so it is refused instead.
bool Reader::OneofAlreadySet(const pb::FieldDescriptor* field, const pb::Message& message,
                             const std::string& path) {
  const pb::OneofDescriptor* oneof = field->real_containing_oneof();
  if (oneof == nullptr || !message.GetReflection()->HasOneof(message, oneof)) {
    return false;
  }
  const pb::FieldDescriptor* other =
      message.GetReflection()->GetOneofFieldDescriptor(message, oneof);
  problems_->Add(path, absl::StrCat("cannot be given together with \"", other->json_name(),
                                    "\"; give only one"));
  return true;
}

void Reader::ReadMember(const pb::Value& value, const pb::FieldDescriptor* field,
                        pb::Message* message, const std::string& path) {
  if (field->is_map()) {
    ReadMap(value, field, message, path);
  } else if (field->is_repeated()) {
    ReadList(value, field, message, path);
  } else {
    ReadOne(value, field, message, path);
  }
}

void Reader::ReadList(const pb::Value& value, const pb::FieldDescriptor* field,
                      pb::Message* message, const std::string& path) {
  if (value.kind_case() != pb::Value::kListValue) {
    problems_->Add(path, absl::StrCat("expected an array, got ", Describe(value)));
    return;
  }
  const auto& elements = value.list_value().values();
  for (int i = 0; i < elements.size(); ++i) {
    // A null element is a type error, not "absent": dropping it would shift the
    // indexes of everything after it.
    ReadOne(elements[i], field, message, IndexPath(path, i));
  }
}

void Reader::ReadMap(const pb::Value& value, const pb::FieldDescriptor* field, pb::Message* message,
                     const std::string& path) {
  const pb::FieldDescriptor* key_field = field->message_type()->map_key();
  const pb::FieldDescriptor* value_field = field->message_type()->map_value();
  if (key_field->cpp_type() != pb::FieldDescriptor::CPPTYPE_STRING) {
    problems_->AddInternal(path, "maps with non-string keys are not supported");
    return;
  }
  if (value.kind_case() != pb::Value::kStructValue) {
    problems_->Add(path, absl::StrCat("expected an object, got ", Describe(value)));
    return;
  }
  std::vector<const std::string*> keys;
  for (const auto& entry : value.struct_value().fields()) {
    keys.push_back(&entry.first);
  }
  std::sort(keys.begin(), keys.end(),
            [](const std::string* a, const std::string* b) { return *a < *b; });
  for (const std::string* key : keys) {
    pb::Message* entry = message->GetReflection()->AddMessage(message, field);
    entry->GetReflection()->SetString(entry, key_field, *key);
    ReadOne(value.struct_value().fields().at(*key), value_field, entry, MemberPath(path, *key));
  }
}

void Reader::ReadOne(const pb::Value& value, const pb::FieldDescriptor* field, pb::Message* message,
                     const std::string& path) {
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING:
      if (field->type() == pb::FieldDescriptor::TYPE_BYTES) {
        problems_->AddInternal(path, "bytes fields are not supported");
        return;
      }
      ReadStringField(value, field, message, path, problems_);
      return;
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      ReadBoolField(value, field, message, path, problems_);
      return;
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      ReadEnumField(value, field, message, path, problems_);
      return;
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      ReadMessageField(value, field, message, path);
      return;
    default:
      ReadNumberField(value, field, message, path, problems_);
      return;
  }
}

void Reader::ReadMessageField(const pb::Value& value, const pb::FieldDescriptor* field,
                              pb::Message* message, const std::string& path) {
  if (IsWellKnownType(field->message_type())) {
    problems_->AddInternal(
        path,
        absl::StrCat("well-known type ", field->message_type()->full_name(), " is not supported"));
    return;
  }
  if (value.kind_case() != pb::Value::kStructValue) {
    problems_->Add(path, absl::StrCat("expected an object, got ", Describe(value)));
    return;
  }
  const pb::Reflection* r = message->GetReflection();
  pb::Message* child =
      field->is_repeated() ? r->AddMessage(message, field) : r->MutableMessage(message, field);
  ReadObject(value.struct_value(), child, path, /*top_level=*/false);
}

// protobuf's pretty printer indents by one space per level; the contract is two.
// Doubling each line's leading spaces is safe because the printer escapes newlines
// inside strings, so every line break in its output is structural.
std::string DoubleIndentation(absl::string_view json) {
  std::string out;
  out.reserve(json.size() * 2);
  bool at_line_start = true;
  for (char c : json) {
    if (at_line_start && c == ' ') {
      out.append("  ");
      continue;
    }
    at_line_start = c == '\n';
    out.push_back(c);
  }
  return out;
}

// No ECS request nests deeper than about six levels. protobuf's parser caps objects at
// 100 levels but not arrays, and its cost grows with the square of the depth: 20 KB of
// "[[[..." took seconds. So the depth is checked first, in one pass.
constexpr int kMaxDepth = 32;

bool NestedTooDeep(std::string_view json) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : json) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) {
        return true;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<pb::Value> ParseJson(std::string_view json) {
  if (NestedTooDeep(json)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON: nested deeper than ", kMaxDepth, " levels"));
  }
  pb::Value value;
  // protobuf's message already names where parsing stopped (a snippet of the text
  // with a caret under the offending character), and refuses duplicate keys.
  const pb::util::Status status =
      pb::util::JsonStringToMessage(pb::StringPiece(json.data(), json.size()), &value);
  if (!status.ok()) {
    const pb::StringPiece message = status.message();
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON: ", absl::string_view(message.data(), message.size())));
  }
  return value;
}

absl::Status FromValue(const pb::Value& value, pb::Message* message, const ParseOptions& options,
                       std::string_view path_prefix) {
  const std::string path(path_prefix);
  if (IsWellKnownType(message->GetDescriptor())) {
    return absl::InternalError(absl::StrCat(
        "ecsjson: well-known type ", message->GetDescriptor()->full_name(), " is not supported"));
  }
  if (value.kind_case() != pb::Value::kStructValue) {
    return absl::InvalidArgumentError(absl::StrCat(path.empty() ? "" : absl::StrCat(path, ": "),
                                                   "expected a JSON object, got ",
                                                   Describe(value)));
  }
  Problems problems;
  Reader(options, &problems).ReadObject(value.struct_value(), message, path, /*top_level=*/true);
  absl::Status status = problems.ToStatus();
  if (!status.ok()) {
    // Never hand back a half-filled message that a careless caller might use.
    message->Clear();
  }
  return status;
}

absl::Status ParseStrict(std::string_view json, pb::Message* message, const ParseOptions& options) {
  GANTRY_ASSIGN_OR_RETURN(pb::Value value, ParseJson(json));
  return FromValue(value, message, options);
}

std::string ToJson(const pb::Message& message, bool pretty, EmptyLists empty_lists) {
  pb::util::JsonPrintOptions print_options;
  print_options.add_whitespace = pretty;
  print_options.preserve_proto_field_names = false;
  // Unset members stay out. Fields are proto3 `optional`, so a member explicitly set
  // to 0, false or "" is still printed: presence, not value, decides. Turning
  // "primitive fields" on adds the members without presence, which in these messages
  // are the repeated ones (and maps): unset optional members still stay out.
  print_options.always_print_primitive_fields = empty_lists == EmptyLists::kPrint;
  // Note: protobuf prints int64/uint64 as JSON strings ("5"), per the proto3 JSON
  // mapping, and FromValue refuses strings for integers, so such a field would not
  // round-trip. Our ECS protos use only int32 and double, which print as numbers.
  std::string out;
  const pb::util::Status status = pb::util::MessageToJsonString(message, &out, print_options);
  // Printing fails only for google.protobuf.Any with an unknown type, which ECS
  // messages never contain.
  GANTRY_CHECK(status.ok());
  return pretty ? DoubleIndentation(out) : out;
}

}  // namespace gantry::ecsjson
