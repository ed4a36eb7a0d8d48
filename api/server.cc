#include <algorithm>
#include <chrono>
#include <string>
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
#include "api/status_convert.h"
#include "common/status_macros.h"

namespace gantry::api {

// Adapts gRPC callback calls to the operations. Each handler returns at once; the
// operation finishes the call from a database worker or the scheduler (or inline when
// refused early). The request and response stay valid until Finish, which is called
// exactly once.
#define GANTRY_UNARY(Method)                                                               \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context,                   \
                                   const v1::Method##Request* request,                     \
                                   v1::Method##Response* response) override {              \
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();                         \
    operations_->Method(*request,                                                          \
                        [reactor, response](absl::StatusOr<v1::Method##Response> result) { \
                          if (result.ok()) *response = *std::move(result);                 \
                          reactor->Finish(ToGrpcStatus(result.status()));                  \
                        });                                                                \
    return reactor;                                                                        \
  }

class EcsGrpcService final : public v1::Ecs::CallbackService {
 public:
  explicit EcsGrpcService(EcsOperations* operations) : operations_(operations) {}

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
  GANTRY_UNARY(ListContainerInstances)
  GANTRY_UNARY(DescribeContainerInstances)
  GANTRY_UNARY(UpdateContainerInstancesState)

 private:
  EcsOperations* const operations_;
};

class NetworkGrpcService final : public v1::Network::CallbackService {
 public:
  explicit NetworkGrpcService(NetworkOperations* operations) : operations_(operations) {}

  GANTRY_UNARY(CreateVpc)
  GANTRY_UNARY(DescribeVpcs)
  GANTRY_UNARY(CreateSubnet)
  GANTRY_UNARY(DescribeSubnets)
  GANTRY_UNARY(DeleteSubnet)
  GANTRY_UNARY(CreateSecurityGroup)
  GANTRY_UNARY(DescribeSecurityGroups)

 private:
  NetworkOperations* const operations_;
};

class AgentGrpcService final : public v1::AgentControl::CallbackService {
 public:
  explicit AgentGrpcService(AgentOperations* operations) : operations_(operations) {}

  GANTRY_UNARY(RegisterHost)
  // A long-poll too: the operation holds `done` in the PollHub, and the reactor is
  // finished when the hub answers (commands, its deadline, or the hub's Shutdown).
  GANTRY_UNARY(PollCommands)
  GANTRY_UNARY(Ack)
  GANTRY_UNARY(ReportTaskState)

 private:
  AgentOperations* const operations_;
};
class AdminGrpcService final : public v1::Admin::CallbackService {
 public:
  explicit AdminGrpcService(AdminOperations* operations) : operations_(operations) {}

  GANTRY_UNARY(DescribeCapacity)

 private:
  AdminOperations* const operations_;
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

bool IsAccountId(const std::string& account) {
  return account.size() == 12 && std::all_of(account.begin(), account.end(), absl::ascii_isdigit);
}

}  // namespace

absl::Status ValidateConfig(const Config& config) {
  if (!IsRegionName(config.region)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--region: \"", config.region, "\" is not a region name like us-east-1"));
  }
  if (!IsAccountId(config.account_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--account-id: \"", config.account_id, "\" is not a 12-digit account id"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const std::string& address,
                                                      const Services& services) {
  GANTRY_CHECK(services.ecs != nullptr && services.network != nullptr &&
               services.agent != nullptr && services.admin != nullptr);
  auto server = std::unique_ptr<Server>(new Server());
  server->ecs_service_ = std::make_unique<EcsGrpcService>(services.ecs);
  server->network_service_ = std::make_unique<NetworkGrpcService>(services.network);
  server->agent_service_ = std::make_unique<AgentGrpcService>(services.agent);
  server->admin_service_ = std::make_unique<AdminGrpcService>(services.admin);
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
