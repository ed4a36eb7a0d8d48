// Responses as ordered JSON trees, printed as JSON or as the AWS CLI's text output
// (--output json with --query, --output text).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "google/protobuf/struct.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/cli.h"
#include "cli/internal/query.h"
#include "common/status_macros.h"
#include "ecsjson/ecsjson.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace gantry::cli::internal {
namespace {

namespace pb = google::protobuf;

JsonNode Scalar(JsonNode::Kind kind, std::string text) {
  JsonNode node;
  node.kind = kind;
  node.text = std::move(text);
  return node;
}

JsonNode Bool(bool value) {
  JsonNode node;
  node.kind = JsonNode::Kind::kBool;
  node.boolean = value;
  return node;
}

// The shorter of %.15g and %.17g (%.6g and %.9g for a float) that reads back as the
// same value, as protobuf's JSON printer writes them; non-finite values are strings
// there too.
JsonNode Double(double value, bool is_float) {
  if (std::isnan(value)) {
    return Scalar(JsonNode::Kind::kString, "NaN");
  }
  if (std::isinf(value)) {
    return Scalar(JsonNode::Kind::kString, value > 0 ? "Infinity" : "-Infinity");
  }
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%.*g", is_float ? 6 : 15, value);
  const bool exact = is_float ? std::strtof(buffer, nullptr) == static_cast<float>(value)
                              : std::strtod(buffer, nullptr) == value;
  if (!exact) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", is_float ? 9 : 17, value);
  }
  return Scalar(JsonNode::Kind::kNumber, buffer);
}

JsonNode FieldElement(const pb::Message& message, const pb::FieldDescriptor* field, int index);

// A map field as an object with its entries sorted by key (the wire keeps no order).
JsonNode MapField(const pb::Message& message, const pb::FieldDescriptor* field) {
  const pb::Reflection* r = message.GetReflection();
  const pb::FieldDescriptor* key_field = field->message_type()->map_key();
  const pb::FieldDescriptor* value_field = field->message_type()->map_value();
  JsonNode node;
  node.kind = JsonNode::Kind::kObject;
  for (int i = 0; i < r->FieldSize(message, field); ++i) {
    const pb::Message& entry = r->GetRepeatedMessage(message, field, i);
    JsonNode key = FieldElement(entry, key_field, -1);
    std::string name =
        key.kind == JsonNode::Kind::kBool ? (key.boolean ? "true" : "false") : std::move(key.text);
    node.members.emplace_back(std::move(name), FieldElement(entry, value_field, -1));
  }
  std::stable_sort(node.members.begin(), node.members.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return node;
}

// The value of a singular field (`index` -1) or of one element of a repeated field.
JsonNode FieldElement(const pb::Message& message, const pb::FieldDescriptor* field, int index) {
  const pb::Reflection* r = message.GetReflection();
  const bool one = index < 0;
  using K = JsonNode::Kind;
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32:
      return Scalar(K::kNumber, absl::StrCat(one ? r->GetInt32(message, field)
                                                 : r->GetRepeatedInt32(message, field, index)));
    case pb::FieldDescriptor::CPPTYPE_UINT32:
      return Scalar(K::kNumber, absl::StrCat(one ? r->GetUInt32(message, field)
                                                 : r->GetRepeatedUInt32(message, field, index)));
    // The proto3 JSON mapping prints 64-bit integers as strings.
    case pb::FieldDescriptor::CPPTYPE_INT64:
      return Scalar(K::kString, absl::StrCat(one ? r->GetInt64(message, field)
                                                 : r->GetRepeatedInt64(message, field, index)));
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      return Scalar(K::kString, absl::StrCat(one ? r->GetUInt64(message, field)
                                                 : r->GetRepeatedUInt64(message, field, index)));
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
      return Double(
          one ? r->GetDouble(message, field) : r->GetRepeatedDouble(message, field, index),
          /*is_float=*/false);
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
      return Double(one ? r->GetFloat(message, field) : r->GetRepeatedFloat(message, field, index),
                    /*is_float=*/true);
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      return Bool(one ? r->GetBool(message, field) : r->GetRepeatedBool(message, field, index));
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      int number =
          one ? r->GetEnumValue(message, field) : r->GetRepeatedEnumValue(message, field, index);
      const pb::EnumValueDescriptor* value = field->enum_type()->FindValueByNumber(number);
      return value == nullptr ? Scalar(K::kNumber, absl::StrCat(number))
                              : Scalar(K::kString, value->name());
    }
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      std::string text =
          one ? r->GetString(message, field) : r->GetRepeatedString(message, field, index);
      return Scalar(K::kString, field->type() == pb::FieldDescriptor::TYPE_BYTES
                                    ? absl::Base64Escape(text)
                                    : std::move(text));
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      return JsonTreeOf(one ? r->GetMessage(message, field)
                            : r->GetRepeatedMessage(message, field, index));
  }
  return JsonNode{};
}

// JSON string escaping as protobuf's printer does it for ASCII (control characters,
// quotes, backslashes, < and >) plus the line and paragraph separators.
void AppendQuoted(std::string_view text, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '"':
        out->append("\\\"");
        continue;
      case '\\':
        out->append("\\\\");
        continue;
      case '\b':
        out->append("\\b");
        continue;
      case '\f':
        out->append("\\f");
        continue;
      case '\n':
        out->append("\\n");
        continue;
      case '\r':
        out->append("\\r");
        continue;
      case '\t':
        out->append("\\t");
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7f || c == '<' || c == '>') {
      absl::StrAppend(out, "\\u00", absl::Hex(c, absl::kZeroPad2));
    } else if (c == 0xE2 && i + 2 < text.size() && text[i + 1] == '\x80' &&
               (text[i + 2] == '\xA8' || text[i + 2] == '\xA9')) {
      out->append(text[i + 2] == '\xA8' ? "\\u2028" : "\\u2029");
      i += 2;
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
  out->push_back('"');
}

void AppendJson(const JsonNode& node, int depth, std::string* out) {
  const std::string indent(2 * (depth + 1), ' ');
  const std::string close_indent(2 * depth, ' ');
  switch (node.kind) {
    case JsonNode::Kind::kNull:
      out->append("null");
      return;
    case JsonNode::Kind::kBool:
      out->append(node.boolean ? "true" : "false");
      return;
    case JsonNode::Kind::kNumber:
      out->append(node.text);
      return;
    case JsonNode::Kind::kString:
      AppendQuoted(node.text, out);
      return;
    case JsonNode::Kind::kArray:
      if (node.elements.empty()) {
        out->append("[]");
        return;
      }
      out->append("[\n");
      for (size_t i = 0; i < node.elements.size(); ++i) {
        out->append(indent);
        AppendJson(node.elements[i], depth + 1, out);
        out->append(i + 1 < node.elements.size() ? ",\n" : "\n");
      }
      absl::StrAppend(out, close_indent, "]");
      return;
    case JsonNode::Kind::kObject:
      if (node.members.empty()) {
        out->append("{}");
        return;
      }
      out->append("{\n");
      for (size_t i = 0; i < node.members.size(); ++i) {
        out->append(indent);
        AppendQuoted(node.members[i].first, out);
        out->append(": ");
        AppendJson(node.members[i].second, depth + 1, out);
        out->append(i + 1 < node.members.size() ? ",\n" : "\n");
      }
      absl::StrAppend(out, close_indent, "}");
      return;
  }
}

// A scalar as the AWS CLI's text output shows it (Python's spelling of null and
// booleans).
std::string TextScalar(const JsonNode& node) {
  switch (node.kind) {
    case JsonNode::Kind::kNull:
      return "None";
    case JsonNode::Kind::kBool:
      return node.boolean ? "True" : "False";
    default:
      return node.text;
  }
}

void AppendText(const JsonNode& node, const std::string& label, std::string* out);

void AppendLine(const std::string& label, const std::vector<std::string>& cells, std::string* out) {
  absl::StrAppend(out, label, label.empty() ? "" : "\t", absl::StrJoin(cells, "\t"), "\n");
}

void AppendTextObject(const JsonNode& node, const std::string& label, std::string* out) {
  std::vector<const std::pair<std::string, JsonNode>*> members;
  for (const auto& member : node.members) {
    members.push_back(&member);
  }
  std::stable_sort(members.begin(), members.end(),
                   [](const auto* a, const auto* b) { return a->first < b->first; });
  std::vector<std::string> cells;
  for (const auto* member : members) {
    if (member->second.IsScalar()) {
      cells.push_back(TextScalar(member->second));
    }
  }
  if (!cells.empty()) {
    AppendLine(label, cells, out);
  }
  for (const auto* member : members) {
    if (!member->second.IsScalar()) {
      AppendText(member->second, absl::AsciiStrToUpper(member->first), out);
    }
  }
}

void AppendText(const JsonNode& node, const std::string& label, std::string* out) {
  if (node.IsScalar()) {
    AppendLine(label, {TextScalar(node)}, out);
    return;
  }
  if (node.kind == JsonNode::Kind::kObject) {
    AppendTextObject(node, label, out);
    return;
  }
  const bool all_scalars = std::all_of(node.elements.begin(), node.elements.end(),
                                       [](const JsonNode& e) { return e.IsScalar(); });
  if (all_scalars) {
    if (!node.elements.empty()) {
      std::vector<std::string> cells;
      for (const JsonNode& element : node.elements) {
        cells.push_back(TextScalar(element));
      }
      AppendLine(label, cells, out);
    }
    return;
  }
  for (const JsonNode& element : node.elements) {
    AppendText(element, label, out);
  }
}

}  // namespace

JsonNode JsonTreeOf(const pb::Message& message) {
  JsonNode node;
  node.kind = JsonNode::Kind::kObject;
  const pb::Reflection* r = message.GetReflection();
  // Present fields and every repeated one (empty lists print as [], as the aws CLI
  // shows AWS's answers), in field-number order.
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(message, &fields);
  const pb::Descriptor* descriptor = message.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const pb::FieldDescriptor* field = descriptor->field(i);
    if (field->is_repeated() && r->FieldSize(message, field) == 0) {
      fields.push_back(field);
    }
  }
  std::sort(fields.begin(), fields.end(),
            [](const pb::FieldDescriptor* a, const pb::FieldDescriptor* b) {
              return a->number() < b->number();
            });
  for (const pb::FieldDescriptor* field : fields) {
    JsonNode value;
    if (field->is_map()) {
      value = MapField(message, field);
    } else if (field->is_repeated()) {
      value.kind = JsonNode::Kind::kArray;
      for (int i = 0; i < r->FieldSize(message, field); ++i) {
        value.elements.push_back(FieldElement(message, field, i));
      }
    } else {
      value = FieldElement(message, field, -1);
    }
    node.members.emplace_back(field->json_name(), std::move(value));
  }
  return node;
}

JsonNode JsonTreeOf(const pb::Value& value) {
  JsonNode node;
  switch (value.kind_case()) {
    case pb::Value::kNullValue:
    case pb::Value::KIND_NOT_SET:
      return node;
    case pb::Value::kBoolValue:
      return Bool(value.bool_value());
    case pb::Value::kNumberValue:
      return Double(value.number_value(), /*is_float=*/false);
    case pb::Value::kStringValue:
      return Scalar(JsonNode::Kind::kString, value.string_value());
    case pb::Value::kListValue:
      node.kind = JsonNode::Kind::kArray;
      for (const pb::Value& element : value.list_value().values()) {
        node.elements.push_back(JsonTreeOf(element));
      }
      return node;
    case pb::Value::kStructValue:
      node.kind = JsonNode::Kind::kObject;
      for (const auto& [name, member] : value.struct_value().fields()) {
        node.members.emplace_back(name, JsonTreeOf(member));
      }
      std::sort(node.members.begin(), node.members.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      return node;
  }
  return node;
}

std::string FormatJsonTree(const JsonNode& node) {
  std::string out;
  AppendJson(node, 0, &out);
  out.push_back('\n');
  return out;
}

std::string FormatText(const JsonNode& node) {
  std::string out;
  AppendText(node, "", &out);
  return out;
}

}  // namespace gantry::cli::internal

namespace gantry::cli {

absl::StatusOr<std::string> FormatOutput(const google::protobuf::Message& response,
                                         OutputFormat output, std::string_view query) {
  if (output == OutputFormat::kTable) {
    return absl::InvalidArgumentError("FormatOutput: tables are FormatTable's");
  }
  if (output == OutputFormat::kJson && query.empty()) {
    // A response with no members at all (DeleteSubnet) prints nothing, as the AWS CLI does.
    if (response.GetDescriptor()->field_count() == 0) {
      return "";
    }
    std::string json = ecsjson::ToJson(response, /*pretty=*/true, ecsjson::EmptyLists::kPrint);
    return absl::EndsWith(json, "\n") ? json : absl::StrCat(json, "\n");
  }
  internal::JsonNode tree = internal::JsonTreeOf(response);
  if (!query.empty()) {
    GANTRY_ASSIGN_OR_RETURN(internal::Query parsed, internal::Query::Parse(query));
    tree = parsed.Evaluate(tree);
  }
  return output == OutputFormat::kJson ? internal::FormatJsonTree(tree)
                                       : internal::FormatText(tree);
}

}  // namespace gantry::cli
