#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "gantry/v1/admin.grpc.pb.h"
#include "gantry/v1/agent.grpc.pb.h"
#include "gantry/v1/ecs.grpc.pb.h"
#include "gantry/v1/network.grpc.pb.h"
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/api.h"
#include "api/internal/access.h"
#include "api/key_ring.h"
#include "api/status_convert.h"
#include "auth/grpc_signing.h"
#include "common/status_macros.h"

namespace gantry::api {

namespace {

std::string_view MetadataValue(const grpc::CallbackServerContext& context, const char* key) {
  auto it = context.client_metadata().find(key);
  if (it == context.client_metadata().end()) {
    return {};
  }
  return std::string_view(it->second.data(), it->second.size());
}

// The caller of a call to `service`/`method`, from the signature in its metadata.
absl::StatusOr<Caller> Authenticate(const KeyRing& keys, const grpc::CallbackServerContext& context,
                                    std::string_view service, std::string_view method) {
  return AuthenticateGrpcCall(keys, "/" + std::string(service) + "/" + std::string(method),
                              MetadataValue(context, auth::kGrpcAuthorizationKey),
                              MetadataValue(context, auth::kGrpcDateKey), absl::Now());
}

}  // namespace

// Adapts gRPC callback calls to the operations. Each handler authenticates the call,
// then returns at once; the operation finishes the call from a database worker or the
// scheduler (or inline when refused early). The request and response stay valid until
// Finish, which is called exactly once.
#define GANTRY_UNARY(Method)                                                               \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context,                   \
                                   const v1::Method##Request* request,                     \
                                   v1::Method##Response* response) override {              \
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();                         \
    absl::StatusOr<Caller> caller =                                                        \
        Authenticate(*keys_, *context, Protocol::service_full_name(), #Method);            \
    if (!caller.ok()) {                                                                    \
      reactor->Finish(ToGrpcStatus(caller.status()));                                      \
      return reactor;                                                                      \
    }                                                                                      \
    operations_->Method(*caller, *request,                                                 \
                        [reactor, response](absl::StatusOr<v1::Method##Response> result) { \
                          if (result.ok()) *response = *std::move(result);                 \
                          reactor->Finish(ToGrpcStatus(result.status()));                  \
                        });                                                                \
    return reactor;                                                                        \
  }

class EcsGrpcService final : public v1::Ecs::CallbackService {
 public:
  using Protocol = v1::Ecs;
  EcsGrpcService(EcsOperations* operations, const KeyRing* keys)
      : operations_(operations), keys_(keys) {}

  GANTRY_UNARY(CreateCluster)
  GANTRY_UNARY(DescribeClusters)
  GANTRY_UNARY(ListClusters)
  GANTRY_UNARY(RegisterTaskDefinition)
  GANTRY_UNARY(DescribeTaskDefinition)
  GANTRY_UNARY(ListTaskDefinitions)
  GANTRY_UNARY(ListTaskDefinitionFamilies)
  GANTRY_UNARY(DeregisterTaskDefinition)
  GANTRY_UNARY(RunTask)
  GANTRY_UNARY(StopTask)
  GANTRY_UNARY(DescribeTasks)
  GANTRY_UNARY(ListTasks)
  GANTRY_UNARY(DescribeTaskMetrics)
  GANTRY_UNARY(GetTaskLogs)
  GANTRY_UNARY(ListContainerInstances)
  GANTRY_UNARY(DescribeContainerInstances)
  GANTRY_UNARY(UpdateContainerInstancesState)

 private:
  EcsOperations* const operations_;
  const KeyRing* const keys_;
};

class NetworkGrpcService final : public v1::Network::CallbackService {
 public:
  using Protocol = v1::Network;
  NetworkGrpcService(NetworkOperations* operations, const KeyRing* keys)
      : operations_(operations), keys_(keys) {}

  GANTRY_UNARY(CreateVpc)
  GANTRY_UNARY(DescribeVpcs)
  GANTRY_UNARY(CreateSubnet)
  GANTRY_UNARY(DescribeSubnets)
  GANTRY_UNARY(DeleteSubnet)
  GANTRY_UNARY(CreateSecurityGroup)
  GANTRY_UNARY(DescribeSecurityGroups)
  GANTRY_UNARY(DescribeAvailabilityZones)
  GANTRY_UNARY(DescribeNetworkInterfaces)

 private:
  NetworkOperations* const operations_;
  const KeyRing* const keys_;
};

class AgentGrpcService final : public v1::AgentControl::CallbackService {
 public:
  using Protocol = v1::AgentControl;
  AgentGrpcService(AgentOperations* operations, const KeyRing* keys)
      : operations_(operations), keys_(keys) {}

  GANTRY_UNARY(RegisterHost)
  // A long-poll too: the operation holds `done` in the PollHub, and the reactor is
  // finished when the hub answers (commands, its deadline, or the hub's Shutdown).
  GANTRY_UNARY(PollCommands)
  GANTRY_UNARY(Ack)
  GANTRY_UNARY(ReportTaskState)
  GANTRY_UNARY(ReportTaskMetrics)
  GANTRY_UNARY(SubmitLogs)

 private:
  AgentOperations* const operations_;
  const KeyRing* const keys_;
};
class AdminGrpcService final : public v1::Admin::CallbackService {
 public:
  using Protocol = v1::Admin;
  AdminGrpcService(AdminOperations* operations, const KeyRing* keys)
      : operations_(operations), keys_(keys) {}

  GANTRY_UNARY(DescribeCapacity)
  GANTRY_UNARY(CreateAccount)
  GANTRY_UNARY(ListAccounts)
  GANTRY_UNARY(CreateAccessKey)
  GANTRY_UNARY(ListAccessKeys)
  GANTRY_UNARY(DeleteAccessKey)

 private:
  AdminOperations* const operations_;
  const KeyRing* const keys_;
};
#undef GANTRY_UNARY

namespace {

// "us-east-1", "eu-central-2", "us-gov-west-1": lowercase words joined by '-', ending
// in a number.
bool IsRegionName(const std::string& region) {
  std::vector<std::string> parts = absl::StrSplit(region, '-');
  if (parts.size() < 3) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    bool last = i + 1 == parts.size();
    if (part.empty()) return false;
    for (char c : part) {
      if (last ? !absl::ascii_isdigit(c) : !absl::ascii_islower(c)) return false;
    }
  }
  return true;
}

}  // namespace

absl::Status ValidateConfig(const Config& config) {
  if (!IsRegionName(config.region)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--region: \"", config.region, "\" is not a region name like us-east-1"));
  }
  if (!internal::IsAccountId(config.account_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--account-id: \"", config.account_id, "\" is not a 12-digit account id"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const std::string& address,
                                                      const Services& services,
                                                      const KeyRing* keys) {
  GANTRY_CHECK(services.ecs != nullptr && services.network != nullptr &&
               services.agent != nullptr && services.admin != nullptr && keys != nullptr);
  auto server = std::unique_ptr<Server>(new Server());
  server->ecs_service_ = std::make_unique<EcsGrpcService>(services.ecs, keys);
  server->network_service_ = std::make_unique<NetworkGrpcService>(services.network, keys);
  server->agent_service_ = std::make_unique<AgentGrpcService>(services.agent, keys);
  server->admin_service_ = std::make_unique<AdminGrpcService>(services.admin, keys);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  // gRPC enables SO_REUSEPORT by default, which would let a second gantryd share the
  // port silently; an address in use must be an error.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Held PollCommands calls are streams that stay open for up to half the host timeout,
  // and an agent simulating many hosts sends them all on one connection. gRPC sets no
  // limit on concurrent streams per connection unless GRPC_ARG_MAX_CONCURRENT_STREAMS is
  // given (12,000 held calls on one channel were measured with gRPC 1.51), and callback
  // reactors take no thread while held, so neither needs a setting here.
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(server->ecs_service_.get());
  builder.RegisterService(server->network_service_.get());
  builder.RegisterService(server->agent_service_.get());
  builder.RegisterService(server->admin_service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("--listen: cannot listen on ", address, " (in use, or not a local address)"));
  }
  std::string host = address.substr(0, address.rfind(':'));
  server->address_ = absl::StrCat(host, ":", port);
  if (auto* health = server->server_->GetHealthCheckService(); health != nullptr) {
    health->SetServingStatus(v1::Ecs::service_full_name(), true);
    health->SetServingStatus(v1::Network::service_full_name(), true);
    health->SetServingStatus(v1::AgentControl::service_full_name(), true);
    health->SetServingStatus(v1::Admin::service_full_name(), true);
  }
  return server;
}

Server::~Server() { Shutdown(absl::Seconds(5)); }

void Server::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  if (auto* health = server_->GetHealthCheckService(); health != nullptr) {
    health->Shutdown();
  }
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  server_.reset();
}

}  // namespace gantry::api
