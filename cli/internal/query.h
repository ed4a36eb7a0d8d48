// What --query and --output text work on: a response as an ordered JSON tree, a
// subset of JMESPath over that tree, and the AWS CLI's text rendering of it. Not for
// use outside cli/. Pure functions: no I/O, no global state; safe from any thread.
// Errors are INVALID_ARGUMENT starting with `--query: ` (usage errors).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "google/protobuf/struct.pb.h"

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace gantry::cli::internal {

// A JSON value whose objects keep their members in order (a response's members in
// field-number order, as --output json prints them).
struct JsonNode {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  // kNumber: the number as JSON text ("256", "1718000000.123"); kString: the string.
  std::string text;
  std::vector<JsonNode> elements;                         // kArray
  std::vector<std::pair<std::string, JsonNode>> members;  // kObject

  bool IsScalar() const { return kind != Kind::kArray && kind != Kind::kObject; }
};

// `message` in protobuf's JSON mapping as ecsjson::ToJson prints it: members by
// json_name in field-number order, only present fields, int64 as strings, enums by
// name; map entries sorted by key.
JsonNode JsonTreeOf(const google::protobuf::Message& message);
// A google.protobuf.Value as a tree; object members sorted by name (a Struct keeps
// no order). Integral numbers print without a fraction.
JsonNode JsonTreeOf(const google::protobuf::Value& value);

// Pretty JSON with two-space indentation, ending with a newline.
std::string FormatJsonTree(const JsonNode& node);

// The AWS CLI's --output text: a scalar prints as is (null as None, booleans as True
// and False); a list of scalars prints tab-separated on one line; other lists print
// each element in turn (a list of lists: one line each). An object prints its scalar
// members tab-separated on one line, in name order, then each list or object member
// with its lines prefixed by the member name in capitals and a tab. Every line ends
// with a newline; an empty list prints nothing.
std::string FormatText(const JsonNode& node);

// A parsed --query expression: the JMESPath subset of field access (`a.b`, `"a-b"`),
// indexes (`a[0]`, `a[-1]`), list projections (`a[*].b`) and flatten projections
// (`a[].b`), nested. Evaluation follows JMESPath: a name or index that does not apply
// gives null, and a projection drops the nulls its elements give.
class Query {
 public:
  // INVALID_ARGUMENT `--query: <what> at character N` (N counts from 1), or naming
  // the unsupported JMESPath feature (filters, pipes, functions, ...).
  static absl::StatusOr<Query> Parse(std::string_view expression);

  Query(Query&& other) noexcept;
  Query& operator=(Query&& other) noexcept;
  ~Query();

  JsonNode Evaluate(const JsonNode& root) const;

  // The syntax tree; defined in query.cc.
  struct Node;

 private:
  explicit Query(std::unique_ptr<Node> root);
  std::unique_ptr<Node> root_;
};

}  // namespace gantry::cli::internal
