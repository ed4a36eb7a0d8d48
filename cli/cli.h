// gantryctl: the command-line client of gantryd. It talks to four gRPC services:
// gantry.v1.Ecs (clusters, task definitions, tasks, container instances; commands
// and flags named as in `aws ecs ...`), gantry.v1.Network (VPCs, subnets, security
// groups, availability zones, task ENIs; named as in `aws ec2 ...`), gantry.v1.AgentControl
// (register-container-instance, which adds capacity the way gantry-agent does) and
// gantry.v1.Admin (capacity; accounts and access keys, named after `aws iam ...`).
// `--output json` prints exactly the response message in protobuf's JSON mapping,
// which is the AWS CLI's JSON because the protos carry ECS's and EC2's member
// names; `--output table` (the default) prints aligned human-readable tables;
// `--output text` prints tab-separated values as the AWS CLI does, and `--query`
// selects part of the response first (a JMESPath subset), for scripts. List
// commands without paging flags (list-tasks, list-container-instances) follow every
// page, as the AWS CLI does, and print one merged response. `run-task --wait` and
// `wait tasks-running|tasks-stopped` poll DescribeTasks until the tasks get there.
//
// Everything except Run() is pure: argument parsing, request building and table
// rendering take values and return values, with no I/O, clock or global state, and
// are safe to call from any thread. Run() is the shell: it reads --cli-input-json
// input, calls gantryd over gRPC with a deadline on every call, waits, and prints.
//
// Errors: parsing and request building return INVALID_ARGUMENT whose message is a
// usage error naming the offending command, flag or value (exit code kExitUsage).
// Server errors and local --cli-input-json errors exit with kExitError after printing
// `error: <CODE>: <message>` to stderr; so do waits that fail or time out, after
// printing `error: <what happened>`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gantry/v1/admin.pb.h"
#include "gantry/v1/agent.pb.h"
#include "gantry/v1/ecs.pb.h"
#include "gantry/v1/network.pb.h"
#include "google/protobuf/struct.pb.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/client.h"
#include "google/protobuf/message.h"
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

enum class OutputFormat { kTable, kJson, kText };

enum class FlagArity {
  kOne,   // exactly one value: --cluster-name prod
  kMany,  // one or more values up to the next flag: --clusters a b c
  kNone,  // a switch without a value: --watch (Invocation::Has tells it was given)
};

struct FlagSpec {
  std::string_view name;        // without the leading "--"
  std::string_view value_name;  // placeholder shown in help, e.g. "NAME"
  FlagArity arity = FlagArity::kOne;
  bool required = false;
  std::string_view help;
  std::string_view example;  // e.g. "--cluster-name prod"
};

// A command's name is one word (`run-task`) or, for commands of a group, the group's
// word and a sub-command word (`wait tasks-running`).
struct CommandSpec {
  std::string_view name;
  std::string_view summary;
  std::vector<FlagSpec> flags;
  std::string_view example;  // a whole command line
};

// Commands named `GROUP SUB-COMMAND`; `gantryctl GROUP --help` lists them.
struct CommandGroup {
  std::string_view name;  // the first word
  std::string_view summary;
};

// Every command gantryctl knows, in the order help lists them.
const std::vector<CommandSpec>& Commands();
// nullptr when `name` is not a command.
const CommandSpec* FindCommand(std::string_view name);
// nullptr when `name` is not a group's word.
const CommandGroup* FindCommandGroup(std::string_view name);

// A parsed command line.
struct Invocation {
  std::string endpoint;
  // --credentials-file and --profile; where the key to sign calls with is looked for.
  auth::CredentialFlags credential_flags;
  // The key found by Run before the command runs, which signs every call; when none was
  // found, why (calls then go unsigned, and gantryd's refusal is reported with this).
  std::optional<auth::Credentials> credentials;
  std::string credentials_problem;
  OutputFormat output = OutputFormat::kTable;
  // --query's expression (already checked); empty when not given.
  std::string query;
  // The command to run, or (when `help` is set) the command or group to explain;
  // empty with `help` means general help.
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
//   [--endpoint HOST:PORT] [--output table|json|text] [--query EXPR]
//   [--credentials-file FILE] [--profile NAME] COMMAND [flags]
// Global flags may come before or after the command; `--flag=value` is accepted.
// The endpoint defaults to `env_endpoint` (GANTRY_ENDPOINT) when non-empty, then to
// kDefaultEndpoint. `--query` without `--output` means `--output json`; with
// `--output table` it is a usage error. `help [COMMAND]`, `--help` and `-h` ask for
// help (required flags are then not checked); `wait --help` explains the group.
// INVALID_ARGUMENT naming the unknown command or flag, the flag missing its value,
// the missing required flag, or what is wrong with the --query expression.
absl::StatusOr<Invocation> ParseArgs(const std::vector<std::string>& args,
                                     std::string_view env_endpoint);

// Help texts, ending with a newline.
std::string GeneralHelp();
std::string CommandHelp(const CommandSpec& spec);
std::string GroupHelp(const CommandGroup& group);

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

// Task and container-instance commands. Integer flags (--count, --cpu, --memory,
// ...) must be positive integers of the wire type; --overrides is a TaskOverride
// read by ParseStructuredFlag; --network-configuration by ParseNetworkConfiguration;
// run-task's --timeout must be a valid duration and comes only with --wait.
// Business limits (at most 10 tasks, valid CPU sizes) and references are the
// server's to check. INVALID_ARGUMENT naming the flag.
absl::StatusOr<v1::RunTaskRequest> BuildRunTaskRequest(const Invocation& inv);
absl::StatusOr<v1::StopTaskRequest> BuildStopTaskRequest(const Invocation& inv);
absl::StatusOr<v1::DescribeTasksRequest> BuildDescribeTasksRequest(const Invocation& inv);
absl::StatusOr<v1::ListTasksRequest> BuildListTasksRequest(const Invocation& inv);
absl::StatusOr<v1::DescribeTaskMetricsRequest> BuildDescribeTaskMetricsRequest(
    const Invocation& inv);
absl::StatusOr<v1::RegisterHostRequest> BuildRegisterHostRequest(const Invocation& inv);
absl::StatusOr<v1::ListContainerInstancesRequest> BuildListContainerInstancesRequest(
    const Invocation& inv);
absl::StatusOr<v1::DescribeContainerInstancesRequest> BuildDescribeContainerInstancesRequest(
    const Invocation& inv);
absl::StatusOr<v1::UpdateContainerInstancesStateRequest> BuildUpdateContainerInstancesStateRequest(
    const Invocation& inv);

// Network commands (gantry.v1.Network); flags map one to one onto the request.
absl::StatusOr<v1::CreateVpcRequest> BuildCreateVpcRequest(const Invocation& inv);
absl::StatusOr<v1::DescribeVpcsRequest> BuildDescribeVpcsRequest(const Invocation& inv);
absl::StatusOr<v1::CreateSubnetRequest> BuildCreateSubnetRequest(const Invocation& inv);
absl::StatusOr<v1::DescribeSubnetsRequest> BuildDescribeSubnetsRequest(const Invocation& inv);
absl::StatusOr<v1::DeleteSubnetRequest> BuildDeleteSubnetRequest(const Invocation& inv);
absl::StatusOr<v1::CreateSecurityGroupRequest> BuildCreateSecurityGroupRequest(
    const Invocation& inv);
absl::StatusOr<v1::DescribeSecurityGroupsRequest> BuildDescribeSecurityGroupsRequest(
    const Invocation& inv);
absl::StatusOr<v1::DescribeAvailabilityZonesRequest> BuildDescribeAvailabilityZonesRequest(
    const Invocation& inv);
absl::StatusOr<v1::DescribeNetworkInterfacesRequest> BuildDescribeNetworkInterfacesRequest(
    const Invocation& inv);

// Parses the AWS CLI shorthand syntax into a JSON-like tree of objects, lists and
// strings:
//   value  := scalar | '{' [member (',' member)*] '}' | '[' [value (',' value)*] ']'
//   member := key '=' value | key '=' scalar (',' scalar)+   (a list without brackets)
// and the whole text is a member list without braces. A scalar runs to the next ',',
// '}' or ']' (surrounding blanks dropped) unless it is quoted with " or ' (a
// backslash escapes the quote). As in the AWS CLI, `a=x,y,b=z` gives a = [x, y]: a
// list without brackets goes on while the text after a ',' is not `KEY=`. `flag`
// (without "--") names the flag in errors: INVALID_ARGUMENT `--FLAG: <what is wrong>
// at character N` (N counts from 1), e.g. a missing '=', an unclosed bracket, a
// repeated key.
absl::StatusOr<google::protobuf::Value> ParseShorthand(std::string_view text,
                                                       std::string_view flag);

// Fills `message` (which must be empty) from a shorthand tree (ParseShorthand's
// result), strictly, as the AWS CLI reads shorthand: each scalar, always a string in
// the tree, takes the type of the field it is for (a number for numeric fields:
// only an optional sign and digits for integers, plain decimals such as -0.5 for
// doubles; true/false for bool fields; other text stays a string and is refused),
// and a single value or object may stand for a one-element list. Member names are
// checked strictly (the messages' JSON names). INVALID_ARGUMENT from the ecsjson
// reader with every line starting `--FLAG: ` and the member's path.
absl::Status ShorthandToMessage(const google::protobuf::Value& tree, std::string_view flag,
                                google::protobuf::Message* message);

// The value of a flag that holds a whole message (--overrides,
// --network-configuration): JSON, read strictly by ecsjson, when it starts with '{'
// or '['; otherwise shorthand (ParseShorthand, then ShorthandToMessage).
// INVALID_ARGUMENT starting with `--FLAG: `.
absl::Status ParseStructuredFlag(std::string_view text, std::string_view flag,
                                 google::protobuf::Message* message);

// The value of --network-configuration by ParseStructuredFlag, e.g.
// `awsvpcConfiguration={subnets=[a,b],securityGroups=[sg],assignPublicIp=DISABLED}`.
absl::StatusOr<v1::NetworkConfiguration> ParseNetworkConfiguration(std::string_view text);

// One page of a List* call: its items, and the token of the next page (empty on
// the last page).
struct ListPage {
  std::vector<std::string> items;
  std::string next_token;
};
using FetchPage = std::function<absl::StatusOr<ListPage>(const std::string& next_token)>;
// Largest number of pages FetchAllPages asks for (100 items each at most on ECS).
inline constexpr int kMaxListPages = 1000;
// Follows a List* call as the AWS CLI does: fetches the first page (empty token),
// then each page's next_token until a page has none, and returns every item in
// order. Returns `fetch`'s first error unchanged; INTERNAL when the server hands
// back a token it handed back before (it would never end) or after kMaxListPages
// pages.
absl::StatusOr<std::vector<std::string>> FetchAllPages(const FetchPage& fetch);

// Parses --tags as the AWS CLI does: each value is shorthand `key=K,value=V` read by
// ParseShorthand (member names are case-insensitive; the value may be empty or
// quoted, `value="a,b"`; each must be one string) or JSON, a list of tags
// `[{"key": "K", "value": "V"}, ...]` or one tag object, read strictly. Every tag
// needs a key. INVALID_ARGUMENT naming --tags.
absl::StatusOr<std::vector<v1::Tag>> ParseTags(const std::vector<std::string>& values);

// Where the text of --cli-input-json comes from.
struct JsonSource {
  enum class Kind { kFile, kStdin, kLiteral };
  Kind kind = Kind::kLiteral;
  std::string value;  // the path for kFile, the JSON text for kLiteral
};
// `file://PATH` reads PATH, `-` reads standard input, anything else is JSON text.
JsonSource ClassifyCliInputJson(std::string_view arg);

// Columns a text takes on a terminal: its UTF-8 code points (tables hold no wide or
// combining characters).
size_t DisplayWidth(std::string_view text);
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

// Task and container-instance tables. Tasks show TASK (the ARN's last segment),
// DEFINITION (family:revision), LAST STATUS, DESIRED, ZONE, IP (the ENI's
// privateIPv4Address), HOST (the container instance's id), CPU and MEMORY; failures
// follow the table.
std::string FormatTable(const v1::RunTaskResponse& response);
std::string FormatTable(const v1::StopTaskResponse& response);
std::string FormatTable(const v1::DescribeTasksResponse& response);
std::string FormatTable(const v1::ListTasksResponse& response);
std::string FormatTable(const v1::DescribeTaskMetricsResponse& response);
std::string FormatTable(const v1::GetTaskLogsResponse& response);
std::string FormatTable(const v1::RegisterHostResponse& response);
std::string FormatTable(const v1::ListContainerInstancesResponse& response);
std::string FormatTable(const v1::DescribeContainerInstancesResponse& response);
// ID, STATUS and AGENT CONNECTED of each updated instance, then the failures.
std::string FormatTable(const v1::UpdateContainerInstancesStateResponse& response);

// Network tables.
std::string FormatTable(const v1::CreateVpcResponse& response);
std::string FormatTable(const v1::DescribeVpcsResponse& response);
std::string FormatTable(const v1::CreateSubnetResponse& response);
std::string FormatTable(const v1::DescribeSubnetsResponse& response);
// Empty: like the AWS CLI, delete-subnet prints nothing on success.
std::string FormatTable(const v1::DeleteSubnetResponse& response);
std::string FormatTable(const v1::CreateSecurityGroupResponse& response);
std::string FormatTable(const v1::DescribeSecurityGroupsResponse& response);
// ZONE and STATE of each zone.
std::string FormatTable(const v1::DescribeAvailabilityZonesResponse& response);
// ENI ID, SUBNET, ZONE, PRIVATE IP, MAC and STATUS of each network interface.
std::string FormatTable(const v1::DescribeNetworkInterfacesResponse& response);

// `capacity` (gantry.v1.Admin): the request, --watch's refresh interval (default 2s;
// a duration such as 500ms or 5s, or bare seconds; 100ms to 1h), and the table: per
// zone hosts, CPU and memory with utilisation bars (█/░, or #/. without `unicode`),
// storage and ENI slots used/total, task counts; a fleet row when there are several
// zones; subnets' addresses; why waiting tasks wait.
absl::StatusOr<v1::DescribeCapacityRequest> BuildDescribeCapacityRequest(const Invocation& inv);
absl::StatusOr<absl::Duration> CapacityInterval(const Invocation& inv);
std::string FormatCapacityTable(const v1::DescribeCapacityResponse& response, bool unicode);
std::string FormatTable(const v1::DescribeCapacityResponse& response);

// Accounts and access keys (gantry.v1.Admin, admin keys only): create-account,
// list-accounts, create-access-key, list-access-keys, delete-access-key. Flags map one
// to one onto the request; every value (name, account id, kind, key id) is the
// server's to check.
absl::StatusOr<v1::CreateAccountRequest> BuildCreateAccountRequest(const Invocation& inv);
absl::StatusOr<v1::ListAccountsRequest> BuildListAccountsRequest(const Invocation& inv);
absl::StatusOr<v1::CreateAccessKeyRequest> BuildCreateAccessKeyRequest(const Invocation& inv);
absl::StatusOr<v1::ListAccessKeysRequest> BuildListAccessKeysRequest(const Invocation& inv);
absl::StatusOr<v1::DeleteAccessKeyRequest> BuildDeleteAccessKeyRequest(const Invocation& inv);
std::string FormatTable(const v1::CreateAccountResponse& response);
// ID, NAME and ADMIN ("yes" on the provider's account, else blank).
std::string FormatTable(const v1::ListAccountsResponse& response);
// The key as a label/value block, secret included (the only time it is returned),
// then that it cannot be shown again and the key as a shared-credentials profile to
// paste, named after the account (`ACCOUNT-agent` for agent keys).
std::string FormatTable(const v1::CreateAccessKeyResponse& response);
// ACCESS KEY ID, ACCOUNT, KIND, STATUS and CREATED; never a secret.
std::string FormatTable(const v1::ListAccessKeysResponse& response);
// One line: `Deleted access key AKIA... of account 123456789012`.
std::string FormatTable(const v1::DeleteAccessKeyResponse& response);

// A response as --output json or text prints it after applying `query` (when not
// empty): pretty JSON of the selection, or the AWS CLI's text (see FormatText in
// cli/internal/query.h). JSON without a query is ecsjson::ToJson, and nothing for a
// response that has no members at all. INVALID_ARGUMENT when `query` is malformed
// (ParseArgs has checked it before) or `output` is kTable.
absl::StatusOr<std::string> FormatOutput(const google::protobuf::Message& response,
                                         OutputFormat output, std::string_view query);

// What to print on stderr for a failed RPC: `error: <CODE>: <message>` with every
// line of a multi-line message, or, when the channel never connected
// (`reached_server` false) and the code is UNAVAILABLE or DEADLINE_EXCEEDED, that
// `endpoint` could not be reached. Ends with a newline.
std::string FormatRpcError(const grpc::Status& status, std::string_view endpoint,
                           bool reached_server);

// Runs gantryctl with `args` (without the program name) and returns its exit code.
// Reads `in` only for `--cli-input-json -`; writes results to `out` and errors to
// `err`. Blocks for at most kRpcTimeout per RPC, and while waiting for tasks for at
// most --timeout (plus one RPC). A wait shows its progress on `err`, one line
// rewritten in place, only when `err_is_terminal`.
int Run(const std::vector<std::string>& args, std::string_view env_endpoint, std::istream& in,
        std::ostream& out, std::ostream& err, bool err_is_terminal = false);

}  // namespace gantry::cli
