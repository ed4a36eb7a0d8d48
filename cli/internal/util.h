// Helpers shared by the gantryctl source files (command table, request building and
// rendering split by resource); not for use outside cli/. Pure functions only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gantry/v1/ecs.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cli/cli.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace gantry::cli::internal {

// --- Command table ---

constexpr FlagSpec One(std::string_view name, std::string_view value_name, std::string_view help,
                       std::string_view example, bool required = false) {
  return {name, value_name, FlagArity::kOne, required, help, example};
}

constexpr FlagSpec Many(std::string_view name, std::string_view value_name, std::string_view help,
                        std::string_view example, bool required = false) {
  return {name, value_name, FlagArity::kMany, required, help, example};
}

constexpr FlagSpec Switch(std::string_view name, std::string_view help, std::string_view example) {
  return {name, "", FlagArity::kNone, false, help, example};
}

// --cluster as every task and container-instance command takes it.
constexpr FlagSpec kClusterFlag =
    One("cluster", "CLUSTER", "Cluster name or ARN (default \"default\")", "--cluster prod");

// Append the commands of one resource family, in the order help lists them.
void AddTaskCommands(std::vector<CommandSpec>* commands);
void AddContainerInstanceCommands(std::vector<CommandSpec>* commands);
void AddNetworkCommands(std::vector<CommandSpec>* commands);
void AddCapacityCommands(std::vector<CommandSpec>* commands);
void AddAccountCommands(std::vector<CommandSpec>* commands);

// True when Run() has a handler for `command` (every entry of Commands() must).
bool HasHandler(std::string_view command);

// --- Strings ---

// Our Abseil's string_view is not std::string_view; StrCat needs this bridge.
inline absl::string_view Sv(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

// What an absent value renders as in tables.
inline constexpr std::string_view kNone = "-";

template <typename T>
std::string OrNone(bool has, const T& value) {
  return has ? absl::StrCat(value) : std::string(kNone);
}

// The part of an ARN after its last '/' (`arn:...:task/default/abc` -> `abc`); the
// whole text when there is no '/'; "-" when empty.
std::string LastArnSegment(std::string_view arn);

// --- Requests ---

// The value of kOne flag `flag` as an integer in [min, max]. INVALID_ARGUMENT
// `--flag: "text" is not an integer ...` otherwise.
absl::StatusOr<int64_t> IntFlag(const Invocation& inv, std::string_view flag, int64_t min,
                                int64_t max);

// `status`'s message with every line prefixed by `--flag: `, as INVALID_ARGUMENT
// (for ecsjson's one-problem-per-line messages about a flag's JSON value).
absl::Status FlagValueError(std::string_view flag, const absl::Status& status);

// --- Tables ---

// "Label  value" lines with the values aligned; rows with an empty value are skipped.
std::string RenderBlock(const std::vector<std::pair<std::string, std::string>>& rows);
// One item per row under `header`.
std::string RenderList(std::string_view header,
                       const google::protobuf::RepeatedPtrField<std::string>& items);
// "\nFailures:\n" and an ARN/REASON/DETAIL table; empty when there are none.
std::string RenderFailures(const google::protobuf::RepeatedPtrField<v1::Failure>& failures);

}  // namespace gantry::cli::internal
