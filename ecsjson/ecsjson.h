// ECS JSON codec: converts between JSON text and the protobuf messages that mirror
// ECS's shapes (api/proto/gantry/v1/ecs_types.proto), with ECS's typing rules
// rather than protobuf's lenient ones.
//
// Parsing is strict the way the AWS CLI is: an unknown member is refused, a string
// where ECS wants a number (or the reverse) is refused, a fractional or out-of-range
// number for an integer member is refused, and a JSON `null` member means absent.
// Every problem is reported with its field path in the request's own JSON names
// (`containerDefinitions[0].portMappings[1].containerPort`), one per line, in
// document order, capped at 20. Malformed text is reported as invalid JSON with
// the place where parsing stopped.
//
// Pure functions: no I/O, no global state; safe to call from any thread.
// Errors are INVALID_ARGUMENT.
#pragma once

#include <string>
#include <string_view>

#include "google/protobuf/struct.pb.h"

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace gantry::ecsjson {

struct ParseOptions {
  // Member names of the top-level object that are accepted and dropped without
  // looking at their values (read-only fields a describe call printed, say).
  absl::flat_hash_set<std::string> ignored_top_level_members;
};

// Parses JSON text into a generic tree. INVALID_ARGUMENT "invalid JSON: ..." with
// the place where parsing stopped when the text is malformed or has duplicate keys.
absl::StatusOr<google::protobuf::Value> ParseJson(std::string_view json);

// Fills `message` (which must be empty) from a parsed JSON object, strictly.
// `path_prefix` is prepended to field paths in messages (empty for a top-level
// document). INVALID_ARGUMENT listing every problem found.
absl::Status FromValue(const google::protobuf::Value& value, google::protobuf::Message* message,
                       const ParseOptions& options = {}, std::string_view path_prefix = "");

// ParseJson followed by FromValue.
absl::Status ParseStrict(std::string_view json, google::protobuf::Message* message,
                         const ParseOptions& options = {});

// Whether a repeated member with no elements is printed (as []) or left out.
enum class EmptyLists { kOmit, kPrint };

// Prints `message` as ECS JSON: lowerCamelCase member names, unset members left out,
// numbers as numbers (int32/double), two-space indentation when `pretty`. AWS's
// services answer with every list member, empty ones as [] (SDK code indexes
// `response["taskArns"]`), so responses print with EmptyLists::kPrint.
std::string ToJson(const google::protobuf::Message& message, bool pretty = false,
                   EmptyLists empty_lists = EmptyLists::kOmit);

}  // namespace gantry::ecsjson
