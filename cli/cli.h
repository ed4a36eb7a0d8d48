// gantryctl: the command-line client of gantryd's ECS API (service gantry.v1.Ecs).
// Commands and flags are named as in `aws ecs ...`; `--output json` prints exactly
// the response message as ECS JSON, `--output table` (the default) prints aligned
// human-readable tables.
//
// Everything except Run() is pure: argument parsing, request building and table
// rendering take values and return values, with no I/O, clock or global state, and
// are safe to call from any thread. Run() is the shell: it reads --cli-input-json
// input, calls gantryd over gRPC with a deadline on every call, and prints.
//
// Errors: parsing and request building return INVALID_ARGUMENT whose message is a
// usage error naming the offending command, flag or value (exit code kExitUsage).
// Server errors and local --cli-input-json errors exit with kExitError after printing
// `error: <CODE>: <message>` to stderr.
#pragma once

#include <chrono>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gantry/v1/ecs.pb.h"

#include "absl/status/statusor.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "grpcpp/support/status.h"

namespace gantry::cli {

inline constexpr int kExitOk = 0;
// The server refused the call, it could not be reached, or local input was invalid.
inline constexpr int kExitError = 1;
// Unknown command or flag, missing required flag, malformed flag value.
inline constexpr int kExitUsage = 2;

inline constexpr std::string_view kDefaultEndpoint = "127.0.0.1:50051";
// Deadline of every RPC.
inline constexpr std::chrono::seconds kRpcTimeout{30};

enum class OutputFormat { kTable, kJson };

enum class FlagArity {
  kOne,   // exactly one value: --cluster-name prod
  kMany,  // one or more values up to the next flag: --clusters a b c
};

struct FlagSpec {
  std::string_view name;        // without the leading "--"
  std::string_view value_name;  // placeholder shown in help, e.g. "NAME"
  FlagArity arity = FlagArity::kOne;
  bool required = false;
  std::string_view help;
  std::string_view example;  // e.g. "--cluster-name prod"
};

struct CommandSpec {
  std::string_view name;
  std::string_view summary;
  std::vector<FlagSpec> flags;
  std::string_view example;  // a whole command line
};

// Every command gantryctl knows, in the order help lists them.
const std::vector<CommandSpec>& Commands();
// nullptr when `name` is not a command.
const CommandSpec* FindCommand(std::string_view name);

// A parsed command line.
struct Invocation {
  std::string endpoint;
  OutputFormat output = OutputFormat::kTable;
  // The command to run, or (when `help` is set) the command to explain; empty with
  // `help` means general help.
  std::string command;
  bool help = false;
  // Command flags by name without "--"; kOne flags hold exactly one value.
  std::map<std::string, std::vector<std::string>, std::less<>> flags;

  bool Has(std::string_view flag) const { return flags.find(flag) != flags.end(); }
  // The value of a kOne flag; empty when absent.
  std::string Value(std::string_view flag) const;
  // The values of a kMany flag; empty when absent.
  std::vector<std::string> Values(std::string_view flag) const;
};

// Parses the arguments after the program name:
//   [--endpoint HOST:PORT] [--output table|json] COMMAND [flags]
// Global flags may come before or after the command; `--flag=value` is accepted.
// The endpoint defaults to `env_endpoint` (GANTRY_ENDPOINT) when non-empty, then to
// kDefaultEndpoint. `help [COMMAND]`, `--help` and `-h` ask for help (required flags
// are then not checked). INVALID_ARGUMENT naming the unknown command or flag, the
// flag missing its value, or the missing required flag.
absl::StatusOr<Invocation> ParseArgs(const std::vector<std::string>& args,
                                     std::string_view env_endpoint);

// Help texts, ending with a newline.
std::string GeneralHelp();
std::string CommandHelp(const CommandSpec& spec);

// Request builders for the commands whose flags map one to one onto the request.
// INVALID_ARGUMENT naming the flag when a value is malformed (a non-integer
// --max-results, a tag that is not key=K,value=V).
absl::StatusOr<v1::CreateClusterRequest> BuildCreateClusterRequest(const Invocation& inv);
absl::StatusOr<v1::DescribeClustersRequest> BuildDescribeClustersRequest(const Invocation& inv);
absl::StatusOr<v1::ListClustersRequest> BuildListClustersRequest(const Invocation& inv);
absl::StatusOr<v1::DescribeTaskDefinitionRequest> BuildDescribeTaskDefinitionRequest(
    const Invocation& inv);
absl::StatusOr<v1::ListTaskDefinitionsRequest> BuildListTaskDefinitionsRequest(
    const Invocation& inv);
absl::StatusOr<v1::ListTaskDefinitionFamiliesRequest> BuildListTaskDefinitionFamiliesRequest(
    const Invocation& inv);
absl::StatusOr<v1::DeregisterTaskDefinitionRequest> BuildDeregisterTaskDefinitionRequest(
    const Invocation& inv);

// Parses AWS CLI shorthand tags: each value is `key=K,value=V` (member names are
// case-insensitive; the value may be empty). INVALID_ARGUMENT naming --tags.
absl::StatusOr<std::vector<v1::Tag>> ParseTags(const std::vector<std::string>& values);

// Where the text of --cli-input-json comes from.
struct JsonSource {
  enum class Kind { kFile, kStdin, kLiteral };
  Kind kind = Kind::kLiteral;
  std::string value;  // the path for kFile, the JSON text for kLiteral
};
// `file://PATH` reads PATH, `-` reads standard input, anything else is JSON text.
JsonSource ClassifyCliInputJson(std::string_view arg);

// Aligned columns separated by two spaces, header first, no trailing blanks.
std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);
// ISO 8601 in UTC with milliseconds: 2024-06-10T06:13:20.123Z.
std::string FormatEpochSeconds(double epoch_seconds);
// A container's port mappings: "80/tcp, 8080:9090/udp, 7000-7010/tcp"; "-" when none.
std::string FormatPorts(const v1::ContainerDefinition& container);

// Table output of each response.
std::string FormatTable(const v1::CreateClusterResponse& response);
std::string FormatTable(const v1::DescribeClustersResponse& response);
std::string FormatTable(const v1::ListClustersResponse& response);
std::string FormatTable(const v1::RegisterTaskDefinitionResponse& response);
std::string FormatTable(const v1::DescribeTaskDefinitionResponse& response);
std::string FormatTable(const v1::ListTaskDefinitionsResponse& response);
std::string FormatTable(const v1::ListTaskDefinitionFamiliesResponse& response);
std::string FormatTable(const v1::DeregisterTaskDefinitionResponse& response);
// A task definition's summary block, its containers and its volumes.
std::string FormatTaskDefinition(const v1::TaskDefinition& definition,
                                 const google::protobuf::RepeatedPtrField<v1::Tag>& tags);

// What to print on stderr for a failed RPC: `error: <CODE>: <message>` with every
// line of a multi-line message, or, when the channel never connected
// (`reached_server` false) and the code is UNAVAILABLE or DEADLINE_EXCEEDED, that
// `endpoint` could not be reached. Ends with a newline.
std::string FormatRpcError(const grpc::Status& status, std::string_view endpoint,
                           bool reached_server);

// Runs gantryctl with `args` (without the program name) and returns its exit code.
// Reads `in` only for `--cli-input-json -`; writes results to `out` and errors to
// `err`. Blocks for at most kRpcTimeout per RPC.
int Run(const std::vector<std::string>& args, std::string_view env_endpoint, std::istream& in,
        std::ostream& out, std::ostream& err);

}  // namespace gantry::cli
