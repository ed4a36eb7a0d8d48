// The I/O shell of gantryctl: reads --cli-input-json, calls gantryd, prints.
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <istream>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "gantry/v1/ecs.grpc.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "cli/cli.h"
#include "ecsjson/ecsjson.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "taskdef/taskdef.h"

namespace gantry::cli {
namespace {

// Input larger than this is refused before parsing; the parser's own limit on the
// request (taskdef::kMaxTaskDefinitionBytes) is far lower, so this only stops a
// runaway read such as `file:///dev/zero`.
constexpr size_t kMaxInputBytes = 4 << 20;

struct Io {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
};

template <typename Request, typename Response>
using RpcMethod = grpc::Status (v1::Ecs::Stub::*)(grpc::ClientContext*, const Request&, Response*);

int PrintUsageError(const absl::Status& status, std::string_view command, std::ostream& err) {
  err << "gantryctl: " << status.message() << "\n";
  if (command.empty()) {
    err << "Run 'gantryctl help' for usage.\n";
  } else {
    err << "Run 'gantryctl " << command << " --help' for usage.\n";
  }
  return kExitUsage;
}

int PrintError(const absl::Status& status, std::ostream& err) {
  grpc::Status as_grpc(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
  err << FormatRpcError(as_grpc, "", /*reached_server=*/true);
  return kExitError;
}

// Reads at most kMaxInputBytes from `in`.
absl::StatusOr<std::string> ReadAll(std::istream& in, const std::string& what) {
  std::string text;
  char buffer[64 * 1024];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxInputBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("--cli-input-json: ", what, " is larger than ", kMaxInputBytes, " bytes"));
    }
  }
  if (in.bad()) {
    return absl::InvalidArgumentError(absl::StrCat("--cli-input-json: cannot read ", what));
  }
  return text;
}

absl::StatusOr<std::string> ReadCliInputJson(const JsonSource& source, std::istream& stdin_stream) {
  switch (source.kind) {
    case JsonSource::Kind::kStdin:
      return ReadAll(stdin_stream, "standard input");
    case JsonSource::Kind::kFile: {
      std::ifstream file(source.value, std::ios::binary);
      if (!file) {
        return absl::InvalidArgumentError(absl::StrCat("--cli-input-json: cannot read \"",
                                                       source.value, "\": ", std::strerror(errno)));
      }
      return ReadAll(file, absl::StrCat("\"", source.value, "\""));
    }
    case JsonSource::Kind::kLiteral:
      break;
  }
  return source.value;
}

// Calls `method` with a deadline and prints the response or the error.
template <typename Request, typename Response>
int CallAndPrint(const Invocation& inv, const Request& request, RpcMethod<Request, Response> method,
                 Io& io) {
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(inv.endpoint, grpc::InsecureChannelCredentials());
  std::unique_ptr<v1::Ecs::Stub> stub = v1::Ecs::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kRpcTimeout);
  Response response;
  grpc::Status status = ((*stub).*method)(&context, request, &response);
  if (!status.ok()) {
    // A channel that is not READY after a failed call never reached the server.
    bool reached_server = channel->GetState(/*try_to_connect=*/false) == GRPC_CHANNEL_READY;
    io.err << FormatRpcError(status, inv.endpoint, reached_server);
    return kExitError;
  }
  if (inv.output == OutputFormat::kJson) {
    std::string json = ecsjson::ToJson(response, /*pretty=*/true);
    io.out << json << (absl::EndsWith(json, "\n") ? "" : "\n");
  } else {
    io.out << FormatTable(response);
  }
  return io.out.good() ? kExitOk : kExitError;
}

// Commands whose flags map straight onto the request.
template <typename Request, typename Response>
int RunSimple(const Invocation& inv, Io& io, absl::StatusOr<Request> (*build)(const Invocation&),
              RpcMethod<Request, Response> method) {
  absl::StatusOr<Request> request = build(inv);
  if (!request.ok()) {
    return PrintUsageError(request.status(), inv.command, io.err);
  }
  return CallAndPrint(inv, *request, method, io);
}

int RunRegisterTaskDefinition(const Invocation& inv, Io& io) {
  std::string arg = inv.Value("cli-input-json");
  JsonSource source = ClassifyCliInputJson(arg);
  absl::StatusOr<std::string> text = ReadCliInputJson(source, io.in);
  if (!text.ok()) {
    return PrintError(text.status(), io.err);
  }
  absl::StatusOr<v1::RegisterTaskDefinitionRequest> request =
      taskdef::ParseRegisterRequestJson(*text);
  if (!request.ok()) {
    PrintError(request.status(), io.err);
    if (source.kind == JsonSource::Kind::kLiteral &&
        !absl::StartsWith(absl::StripLeadingAsciiWhitespace(arg), "{")) {
      io.err << "(--cli-input-json takes file://PATH, - for standard input, or JSON text)\n";
    }
    return kExitError;
  }
  return CallAndPrint(inv, *request, &v1::Ecs::Stub::RegisterTaskDefinition, io);
}

int Dispatch(const Invocation& inv, Io& io) {
  using Stub = v1::Ecs::Stub;
  const std::string& c = inv.command;
  if (c == "create-cluster") {
    return RunSimple(inv, io, &BuildCreateClusterRequest, &Stub::CreateCluster);
  }
  if (c == "list-clusters") {
    return RunSimple(inv, io, &BuildListClustersRequest, &Stub::ListClusters);
  }
  if (c == "describe-clusters") {
    return RunSimple(inv, io, &BuildDescribeClustersRequest, &Stub::DescribeClusters);
  }
  if (c == "register-task-definition") {
    return RunRegisterTaskDefinition(inv, io);
  }
  if (c == "describe-task-definition") {
    return RunSimple(inv, io, &BuildDescribeTaskDefinitionRequest, &Stub::DescribeTaskDefinition);
  }
  if (c == "list-task-definitions") {
    return RunSimple(inv, io, &BuildListTaskDefinitionsRequest, &Stub::ListTaskDefinitions);
  }
  if (c == "list-task-definition-families") {
    return RunSimple(inv, io, &BuildListTaskDefinitionFamiliesRequest,
                     &Stub::ListTaskDefinitionFamilies);
  }
  if (c == "deregister-task-definition") {
    return RunSimple(inv, io, &BuildDeregisterTaskDefinitionRequest,
                     &Stub::DeregisterTaskDefinition);
  }
  // ParseArgs accepts only commands from Commands(), and each has a branch above.
  return PrintUsageError(absl::InvalidArgumentError(absl::StrCat("unknown command \"", c, "\"")),
                         "", io.err);
}

}  // namespace

std::string FormatRpcError(const grpc::Status& status, std::string_view endpoint,
                           bool reached_server) {
  std::string code = absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
  bool unreachable =
      !reached_server && (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                          status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
  if (unreachable) {
    return absl::StrCat("error: could not reach gantryd at ", std::string(endpoint), " (", code,
                        ": ", status.error_message(),
                        ")\nIs gantryd running there? Set --endpoint or GANTRY_ENDPOINT.\n");
  }
  // Continuation lines of a multi-line message are indented under the first.
  std::string message = absl::StrReplaceAll(
      absl::StripTrailingAsciiWhitespace(status.error_message()), {{"\n", "\n  "}});
  return absl::StrCat("error: ", code, ": ", message, "\n");
}

int Run(const std::vector<std::string>& args, std::string_view env_endpoint, std::istream& in,
        std::ostream& out, std::ostream& err) {
  absl::StatusOr<Invocation> inv = ParseArgs(args, env_endpoint);
  if (!inv.ok()) {
    // Name the command in the hint when the command word itself was fine.
    std::string command;
    for (const std::string& arg : args) {
      if (FindCommand(arg) != nullptr) {
        command = arg;
        break;
      }
    }
    return PrintUsageError(inv.status(), command, err);
  }
  if (inv->help) {
    const CommandSpec* spec = FindCommand(inv->command);
    out << (spec == nullptr ? GeneralHelp() : CommandHelp(*spec));
    return kExitOk;
  }
  Io io{in, out, err};
  return Dispatch(*inv, io);
}

}  // namespace gantry::cli
