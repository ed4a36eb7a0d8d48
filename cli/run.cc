// The I/O shell of gantryctl: reads --cli-input-json, calls gantryd, prints.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <istream>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "gantry/v1/admin.grpc.pb.h"
#include "gantry/v1/agent.grpc.pb.h"
#include "gantry/v1/ecs.grpc.pb.h"
#include "gantry/v1/network.grpc.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "cli/cli.h"
#include "cli/internal/shell.h"
#include "cli/internal/util.h"
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

using internal::Client;
using internal::Io;
using internal::PrintError;
using internal::PrintResponse;
using internal::PrintUsageError;
using internal::RpcMethod;

template <typename Request>
using Builder = absl::StatusOr<Request> (*)(const Invocation&);

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
template <typename Stub, typename Request, typename Response>
int CallAndPrint(const Invocation& inv, const Request& request,
                 RpcMethod<Stub, Request, Response> method, Io& io) {
  Client<Stub> client(inv);
  Response response;
  grpc::Status status = client.Call(method, request, &response);
  if (!status.ok()) {
    io.err << FormatRpcError(status, inv.endpoint, client.ReachedServer());
    return kExitError;
  }
  return PrintResponse(inv, response, io);
}

// Commands whose flags map straight onto the request.
template <typename Stub, typename Request, typename Response>
int RunSimple(const Invocation& inv, Io& io, Builder<Request> build,
              RpcMethod<Stub, Request, Response> method) {
  absl::StatusOr<Request> request = build(inv);
  if (!request.ok()) {
    return PrintUsageError(request.status(), inv.command, io.err);
  }
  return CallAndPrint(inv, *request, method, io);
}

// List commands that follow every page and print one merged response; `items`
// returns the response's repeated ARN field.
template <typename Stub, typename Request, typename Response>
int RunListAll(const Invocation& inv, Io& io, Builder<Request> build,
               RpcMethod<Stub, Request, Response> method,
               google::protobuf::RepeatedPtrField<std::string>* (*items)(Response*)) {
  absl::StatusOr<Request> request = build(inv);
  if (!request.ok()) {
    return PrintUsageError(request.status(), inv.command, io.err);
  }
  Client<Stub> client(inv);
  grpc::Status rpc_status;
  FetchPage fetch = [&](const std::string& next_token) -> absl::StatusOr<ListPage> {
    Request page_request = *request;
    if (!next_token.empty()) {
      page_request.set_next_token(next_token);
    }
    Response page;
    rpc_status = client.Call(method, page_request, &page);
    if (!rpc_status.ok()) {
      return absl::UnknownError("RPC failed");  // reported from rpc_status below
    }
    return ListPage{{items(&page)->begin(), items(&page)->end()}, page.next_token()};
  };
  absl::StatusOr<std::vector<std::string>> all = FetchAllPages(fetch);
  if (!rpc_status.ok()) {
    io.err << FormatRpcError(rpc_status, inv.endpoint, client.ReachedServer());
    return kExitError;
  }
  if (!all.ok()) {
    return PrintError(all.status(), io.err);
  }
  Response merged;
  items(&merged)->Assign(all->begin(), all->end());
  return PrintResponse(inv, merged, io);
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

// True when the locale's character set is UTF-8, so block characters draw bars.
bool Utf8Locale() {
  for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
      continue;
    }
    std::string lower = absl::AsciiStrToLower(value);
    return absl::StrContains(lower, "utf-8") || absl::StrContains(lower, "utf8");
  }
  return false;
}

// One --watch refresh of a capacity response in the output format asked for.
std::string CapacityFrame(const Invocation& inv, const v1::DescribeCapacityResponse& response,
                          bool unicode, Io& io) {
  if (inv.output == OutputFormat::kTable) {
    return FormatCapacityTable(response, unicode);
  }
  if (inv.output == OutputFormat::kJson && inv.query.empty()) {
    // JSON lines: one compact document per refresh.
    return absl::StrCat(ecsjson::ToJson(response, /*pretty=*/false, ecsjson::EmptyLists::kPrint),
                        "\n");
  }
  std::ostringstream structured;
  Io into_frame{io.in, structured, io.err};
  PrintStructured(inv, response, into_frame);
  return structured.str();
}

// `capacity`, once or (--watch) every --interval until interrupted. On a terminal each
// refresh redraws the screen; otherwise refreshes follow each other (tables separated by
// a blank line, or one compact JSON document per line). While watching, a failed call
// goes to stderr (on a terminal, under the last good refresh) and is retried at the
// next refresh, since gantryd may be restarting; the first call must succeed.
int RunCapacity(const Invocation& inv, Io& io) {
  absl::StatusOr<v1::DescribeCapacityRequest> request = BuildDescribeCapacityRequest(inv);
  if (!request.ok()) {
    return PrintUsageError(request.status(), inv.command, io.err);
  }
  absl::StatusOr<absl::Duration> interval = CapacityInterval(inv);
  if (!interval.ok()) {
    return PrintUsageError(interval.status(), inv.command, io.err);
  }
  bool watch = inv.Has("watch");
  bool terminal = &io.out == &std::cout && isatty(STDOUT_FILENO) == 1;
  bool unicode = Utf8Locale();
  Client<v1::Admin::Stub> client(inv);
  std::string last_frame;
  for (int refresh = 0;; ++refresh) {
    v1::DescribeCapacityResponse response;
    grpc::Status status = client.Call(&v1::Admin::Stub::DescribeCapacity, *request, &response);
    if (!status.ok() && (!watch || refresh == 0)) {
      io.err << FormatRpcError(status, inv.endpoint, client.ReachedServer());
      return kExitError;
    }
    if (!watch) {
      if (inv.output != OutputFormat::kTable) {
        return PrintStructured(inv, response, io);
      }
      io.out << FormatCapacityTable(response, unicode);
      return io.out.good() ? kExitOk : kExitError;
    }
    if (status.ok()) {
      last_frame = CapacityFrame(inv, response, unicode, io);
    }
    if (terminal) {
      // Home the cursor and clear the screen, then draw the whole refresh at once.
      io.out << "\x1b[H\x1b[2J"
             << "Every " << absl::FormatDuration(*interval) << " (Ctrl-C to stop)\n\n"
             << last_frame;
    } else if (status.ok()) {
      if (refresh > 0 && inv.output == OutputFormat::kTable) {
        io.out << "\n";
      }
      io.out << last_frame;
    }
    io.out << std::flush;
    if (!status.ok()) {
      io.err << FormatRpcError(status, inv.endpoint, client.ReachedServer()) << std::flush;
    }
    if (!io.out.good()) {
      return kExitError;
    }
    absl::SleepFor(*interval);
  }
}

using Handler = int (*)(const Invocation&, Io&);
using HandlerMap = std::map<std::string_view, Handler>;

void AddClusterHandlers(HandlerMap* h) {
  using Stub = v1::Ecs::Stub;
  (*h)["create-cluster"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildCreateClusterRequest, &Stub::CreateCluster);
  };
  (*h)["list-clusters"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildListClustersRequest, &Stub::ListClusters);
  };
  (*h)["describe-clusters"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildDescribeClustersRequest, &Stub::DescribeClusters);
  };
  (*h)["register-task-definition"] = &RunRegisterTaskDefinition;
  (*h)["describe-task-definition"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildDescribeTaskDefinitionRequest, &Stub::DescribeTaskDefinition);
  };
  (*h)["list-task-definitions"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildListTaskDefinitionsRequest, &Stub::ListTaskDefinitions);
  };
  (*h)["list-task-definition-families"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildListTaskDefinitionFamiliesRequest,
                     &Stub::ListTaskDefinitionFamilies);
  };
  (*h)["deregister-task-definition"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildDeregisterTaskDefinitionRequest,
                     &Stub::DeregisterTaskDefinition);
  };
}

void AddTaskHandlers(HandlerMap* h) {
  using Stub = v1::Ecs::Stub;
  (*h)["run-task"] = [](const Invocation& inv, Io& io) {
    if (inv.Has("wait")) {
      return internal::RunTaskAndWait(inv, io);
    }
    return RunSimple(inv, io, &BuildRunTaskRequest, &Stub::RunTask);
  };
  (*h)["describe-task-metrics"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildDescribeTaskMetricsRequest, &Stub::DescribeTaskMetrics);
  };
  (*h)["stop-task"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildStopTaskRequest, &Stub::StopTask);
  };
  (*h)["describe-tasks"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildDescribeTasksRequest, &Stub::DescribeTasks);
  };
  (*h)["wait tasks-running"] = &internal::RunWaitTasksRunning;
  (*h)["wait tasks-stopped"] = &internal::RunWaitTasksStopped;
  (*h)["list-tasks"] = [](const Invocation& inv, Io& io) {
    return RunListAll<Stub, v1::ListTasksRequest, v1::ListTasksResponse>(
        inv, io, &BuildListTasksRequest, &Stub::ListTasks,
        [](v1::ListTasksResponse* r) { return r->mutable_task_arns(); });
  };
  (*h)["register-container-instance"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildRegisterHostRequest, &v1::AgentControl::Stub::RegisterHost);
  };
  (*h)["list-container-instances"] = [](const Invocation& inv, Io& io) {
    return RunListAll<Stub, v1::ListContainerInstancesRequest, v1::ListContainerInstancesResponse>(
        inv, io, &BuildListContainerInstancesRequest, &Stub::ListContainerInstances,
        [](v1::ListContainerInstancesResponse* r) { return r->mutable_container_instance_arns(); });
  };
  (*h)["describe-container-instances"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildDescribeContainerInstancesRequest,
                     &Stub::DescribeContainerInstances);
  };
  (*h)["update-container-instances-state"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildUpdateContainerInstancesStateRequest,
                     &Stub::UpdateContainerInstancesState);
  };
}

void AddAdminHandlers(HandlerMap* h) {
  using Stub = v1::Admin::Stub;
  (*h)["capacity"] = &RunCapacity;
  (*h)["logs"] = &internal::RunLogs;
  (*h)["create-account"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildCreateAccountRequest, &Stub::CreateAccount);
  };
  (*h)["list-accounts"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildListAccountsRequest, &Stub::ListAccounts);
  };
  (*h)["create-access-key"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildCreateAccessKeyRequest, &Stub::CreateAccessKey);
  };
  (*h)["list-access-keys"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildListAccessKeysRequest, &Stub::ListAccessKeys);
  };
  (*h)["delete-access-key"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildDeleteAccessKeyRequest, &Stub::DeleteAccessKey);
  };
}

void AddNetworkHandlers(HandlerMap* h) {
  using Stub = v1::Network::Stub;
  (*h)["create-vpc"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildCreateVpcRequest, &Stub::CreateVpc);
  };
  (*h)["describe-vpcs"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildDescribeVpcsRequest, &Stub::DescribeVpcs);
  };
  (*h)["create-subnet"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildCreateSubnetRequest, &Stub::CreateSubnet);
  };
  (*h)["describe-subnets"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildDescribeSubnetsRequest, &Stub::DescribeSubnets);
  };
  (*h)["delete-subnet"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildDeleteSubnetRequest, &Stub::DeleteSubnet);
  };
  (*h)["create-security-group"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildCreateSecurityGroupRequest, &Stub::CreateSecurityGroup);
  };
  (*h)["describe-security-groups"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildDescribeSecurityGroupsRequest, &Stub::DescribeSecurityGroups);
  };
  (*h)["describe-availability-zones"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildDescribeAvailabilityZonesRequest,
                     &Stub::DescribeAvailabilityZones);
  };
  (*h)["describe-network-interfaces"] = [](const Invocation& inv, Io& io) {
    return RunSimple(inv, io, &BuildDescribeNetworkInterfacesRequest,
                     &Stub::DescribeNetworkInterfaces);
  };
}

// Every command's handler, by command name.
const HandlerMap& Handlers() {
  static const HandlerMap* const handlers = [] {
    auto* all = new HandlerMap();
    AddClusterHandlers(all);
    AddTaskHandlers(all);
    AddNetworkHandlers(all);
    AddAdminHandlers(all);
    return all;
  }();
  return *handlers;
}

// The command a usage hint should name when the command word (or a group's word and
// its sub-command word) itself was fine: "run-task", "wait tasks-running", "wait";
// empty when there is none.
std::string CommandNamedIn(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (FindCommand(args[i]) != nullptr) {
      return args[i];
    }
    if (FindCommandGroup(args[i]) != nullptr) {
      if (i + 1 < args.size()) {
        std::string name = absl::StrCat(args[i], " ", args[i + 1]);
        if (FindCommand(name) != nullptr) {
          return name;
        }
      }
      return args[i];
    }
  }
  return "";
}

int Dispatch(const Invocation& inv, Io& io) {
  auto it = Handlers().find(inv.command);
  if (it == Handlers().end()) {
    // ParseArgs accepts only commands from Commands(); HandlersCoverEveryCommand
    // checks that each has a handler.
    return PrintUsageError(
        absl::InvalidArgumentError(absl::StrCat("unknown command \"", inv.command, "\"")), "",
        io.err);
  }
  return it->second(inv, io);
}

}  // namespace

namespace internal {

bool HasHandler(std::string_view command) { return Handlers().count(command) > 0; }

}  // namespace internal

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
        std::ostream& out, std::ostream& err, bool err_is_terminal) {
  absl::StatusOr<Invocation> inv = ParseArgs(args, env_endpoint);
  if (!inv.ok()) {
    return PrintUsageError(inv.status(), CommandNamedIn(args), err);
  }
  if (inv->help) {
    const CommandSpec* spec = FindCommand(inv->command);
    const CommandGroup* group = FindCommandGroup(inv->command);
    out << (spec != nullptr    ? CommandHelp(*spec)
            : group != nullptr ? GroupHelp(*group)
                               : GeneralHelp());
    return kExitOk;
  }
  absl::StatusOr<auth::Credentials> credentials = auth::FindCredentials(inv->credential_flags);
  if (credentials.ok()) {
    inv->credentials = *std::move(credentials);
  } else {
    inv->credentials_problem = std::string(credentials.status().message());
  }
  Io io{in, out, err, err_is_terminal};
  return Dispatch(*inv, io);
}

}  // namespace gantry::cli
