// api::Server over loopback: the ECS service through the generated stub, status
// conversion on the wire, and grpc.health.v1.
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "gantry/v1/admin.grpc.pb.h"
#include "gantry/v1/agent.grpc.pb.h"
#include "gantry/v1/ecs.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "api/key_ring.h"
#include "api/poll_hub.h"
#include "auth/client.h"
#include "auth/grpc_signing.h"
#include "auth/secret_box.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "taskdef/taskdef.h"
#include "tests/support/pg_harness.h"
#include "tests/support/status_matchers.h"

namespace gantry::api {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::PgHarness;
using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

std::string ReadExample(const std::string& name) {
  std::ifstream in(std::string(GANTRY_SOURCE_DIR) + "/examples/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Keys of the test's key ring: the provider's admin, an account's own key, an agent key.
const auth::Credentials kAdminKey{"AKIAADMINADMINADMIN2",
                                  "admin-secret-admin-secret-admin-secret-1"};
const auth::Credentials kUserKey{"AKIAUSERUSERUSERUSE2",
                                 "user-secret-user-secret-user-secret-1234"};
const auth::Credentials kAgentKey{"AKIAAGENTAGENTAGENT2",
                                  "agent-secret-agent-secret-agent-secret-1"};
constexpr char kUserAccount[] = "111122223333";

void AddKey(KeyRing& keys, const auth::Credentials& credentials, std::string account,
            Caller::Role role) {
  keys.Put(
      {credentials.secret_access_key, Caller{std::move(account), role, credentials.access_key_id}});
}

auth::SecretBox TestSecrets() { return *auth::SecretBox::FromKey(std::string(32, 'k')); }

class GrpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AddKey(keys_, kAdminKey, "000000000000", Caller::Role::kAdmin);
    AddKey(keys_, kUserKey, kUserAccount, Caller::Role::kUser);
    AddKey(keys_, kAgentKey, "000000000000", Caller::Role::kAgent);
    storage::Database::Options options;
    options.conninfo = PgHarness::Get().NewDatabase();
    options.workers = 2;
    absl::StatusOr<std::unique_ptr<storage::Database>> database = storage::Database::Open(options);
    ASSERT_THAT(database, IsOk());
    database_ = *std::move(database);
    operations_ = std::make_unique<EcsOperations>(Config{}, database_.get(), nullptr);
    network_ = std::make_unique<NetworkOperations>(Config{}, database_.get());
    admin_ = std::make_unique<AdminOperations>(Config{}, database_.get(), &keys_, &secrets_);
    agent_ = std::make_unique<AgentOperations>(Config{}, database_.get(), hub_.get(),
                                               absl::Seconds(30), [] {});
    absl::StatusOr<std::unique_ptr<Server>> server =
        Server::Start("127.0.0.1:0",
                      Services{.ecs = operations_.get(),
                               .network = network_.get(),
                               .agent = agent_.get(),
                               .admin = admin_.get()},
                      &keys_);
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    channel_ = auth::CreateSignedChannel(server_->address(), kAdminKey);
    stub_ = v1::Ecs::NewStub(channel_);
  }

  // Answer held polls, stop serving, then drain the database (its queued work refers
  // to operations_).
  void TearDown() override {
    hub_->Shutdown();
    if (server_ != nullptr) {
      server_->Shutdown(absl::Seconds(5));
    }
    if (database_ != nullptr) {
      database_->Shutdown();
    }
  }

  // Every call has a deadline, so a server that never answers fails the test.
  static void SetDeadline(grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  }

  // The status of a CreateCluster call on `channel`.
  static grpc::Status CreateCluster(const std::shared_ptr<grpc::Channel>& channel) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::CreateClusterRequest request;
    request.set_cluster_name("auth");
    v1::CreateClusterResponse response;
    return v1::Ecs::NewStub(channel)->CreateCluster(&context, request, &response);
  }

  KeyRing keys_;
  auth::SecretBox secrets_ = TestSecrets();
  std::unique_ptr<storage::Database> database_;
  std::unique_ptr<PollHub> hub_ = PollHub::Start({});
  std::unique_ptr<EcsOperations> operations_;
  std::unique_ptr<NetworkOperations> network_;
  std::unique_ptr<AdminOperations> admin_;
  std::unique_ptr<AgentOperations> agent_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Ecs::Stub> stub_;
};

TEST_F(GrpcServerTest, Start_ReportsTheBoundPort) {
  const std::string& address = server_->address();
  ASSERT_TRUE(absl::StartsWith(address, "127.0.0.1:")) << address;
  EXPECT_NE(address, "127.0.0.1:0");
}

TEST_F(GrpcServerTest, UnsignedCall_IsUnauthenticated) {
  grpc::Status status =
      CreateCluster(grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("no credentials"));
}

TEST_F(GrpcServerTest, WrongSecretOrUnknownKey_IsUnauthenticated) {
  grpc::Status wrong_secret = CreateCluster(
      auth::CreateSignedChannel(server_->address(), {kAdminKey.access_key_id, "not-the-secret"}));
  EXPECT_EQ(wrong_secret.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(wrong_secret.error_message(), HasSubstr("signature"));
  grpc::Status unknown = CreateCluster(
      auth::CreateSignedChannel(server_->address(), {"AKIAUNKNOWNUNKNOWN22", "secret"}));
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // A deleted key stops working at once.
  keys_.Remove(kUserKey.access_key_id);
  EXPECT_EQ(CreateCluster(auth::CreateSignedChannel(server_->address(), kUserKey)).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

// The signature names the method: one made for another method does not verify.
TEST_F(GrpcServerTest, SignatureOfAnotherMethod_IsUnauthenticated) {
  grpc::ClientContext context;
  SetDeadline(&context);
  for (auto& [key, value] :
       auth::SignGrpcCall("/gantry.v1.Ecs/ListClusters", kAdminKey, absl::Now())) {
    context.AddMetadata(key, value);
  }
  v1::CreateClusterRequest request;
  v1::CreateClusterResponse response;
  auto unsigned_stub =
      v1::Ecs::NewStub(grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  grpc::Status status = unsigned_stub->CreateCluster(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(GrpcServerTest, Roles_AgentKeyOnlyForAgents_UserKeyNotForTheFleet) {
  auto user = auth::CreateSignedChannel(server_->address(), kUserKey);
  auto agent = auth::CreateSignedChannel(server_->address(), kAgentKey);
  // An account's own key works on its own account's resources...
  grpc::Status created = CreateCluster(user);
  EXPECT_TRUE(created.ok()) << created.error_message();
  // ...but not on the provider's: capacity and the accounts.
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::DescribeCapacityResponse capacity;
  grpc::Status denied = v1::Admin::NewStub(user)->DescribeCapacity(
      &context, v1::DescribeCapacityRequest(), &capacity);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(denied.error_message(), HasSubstr("admin key"));
  // An agent key reaches nothing but the agent protocol.
  grpc::Status agent_ecs = CreateCluster(agent);
  EXPECT_EQ(agent_ecs.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext poll_context;
  SetDeadline(&poll_context);
  v1::PollCommandsRequest poll;
  poll.set_host_id(std::string(32, 'a'));
  v1::PollCommandsResponse polled;
  grpc::Status agent_poll =
      v1::AgentControl::NewStub(agent)->PollCommands(&poll_context, poll, &polled);
  EXPECT_EQ(agent_poll.error_code(), grpc::StatusCode::NOT_FOUND) << agent_poll.error_message();
  // And a user key cannot act as an agent.
  grpc::ClientContext user_poll_context;
  SetDeadline(&user_poll_context);
  grpc::Status user_poll =
      v1::AgentControl::NewStub(user)->PollCommands(&user_poll_context, poll, &polled);
  EXPECT_EQ(user_poll.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(GrpcServerTest, RegisterTaskDefinition_Valid_ReturnsRevisionOne) {
  absl::StatusOr<v1::RegisterTaskDefinitionRequest> request =
      taskdef::ParseRegisterRequestJson(ReadExample("web-service.json"));
  ASSERT_THAT(request, IsOk());
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::RegisterTaskDefinitionResponse response;
  grpc::Status status = stub_->RegisterTaskDefinition(&context, *request, &response);
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(response.task_definition().task_definition_arn(),
            "arn:aws:ecs:us-east-1:000000000000:task-definition/web-service:1");
  EXPECT_EQ(response.task_definition().status(), "ACTIVE");
  EXPECT_EQ(response.tags_size(), 2);
}

TEST_F(GrpcServerTest, RegisterTaskDefinition_Invalid_IsInvalidArgumentWithPath) {
  absl::StatusOr<v1::RegisterTaskDefinitionRequest> request =
      taskdef::ParseRegisterRequestJson(ReadExample("web-service.json"));
  ASSERT_THAT(request, IsOk());
  request->set_network_mode("bridge");
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::RegisterTaskDefinitionResponse response;
  grpc::Status status = stub_->RegisterTaskDefinition(&context, *request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("networkMode: must be \"awsvpc\" on Fargate"));
  EXPECT_FALSE(response.has_task_definition());
}

TEST_F(GrpcServerTest, DescribeTaskDefinition_Unknown_IsNotFound) {
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::DescribeTaskDefinitionRequest request;
  request.set_task_definition("nope:1");
  v1::DescribeTaskDefinitionResponse response;
  grpc::Status status = stub_->DescribeTaskDefinition(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("nope:1"));
}

TEST_F(GrpcServerTest, CreateThenDescribeCluster) {
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::CreateClusterRequest request;
    request.set_cluster_name("prod");
    v1::CreateClusterResponse response;
    grpc::Status status = stub_->CreateCluster(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.cluster().cluster_arn(), "arn:aws:ecs:us-east-1:000000000000:cluster/prod");
  }
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::DescribeClustersRequest request;
  request.add_clusters("prod");
  request.add_clusters("gone");
  v1::DescribeClustersResponse response;
  grpc::Status status = stub_->DescribeClusters(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.clusters_size(), 1);
  EXPECT_EQ(response.clusters(0).cluster_name(), "prod");
  ASSERT_EQ(response.failures_size(), 1);
  EXPECT_EQ(response.failures(0).reason(), "MISSING");
}

TEST_F(GrpcServerTest, HealthCheck_IsServing) {
  std::unique_ptr<Health::Stub> health = Health::NewStub(channel_);
  for (const char* service : {"", "gantry.v1.Ecs"}) {
    SCOPED_TRACE(service);
    grpc::ClientContext context;
    SetDeadline(&context);
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    grpc::Status status = health->Check(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
    EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  }
  grpc::ClientContext context;
  SetDeadline(&context);
  HealthCheckRequest request;
  request.set_service("no.such.Service");
  HealthCheckResponse response;
  EXPECT_EQ(health->Check(&context, request, &response).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcServerTest, Shutdown_IsIdempotentAndRefusesNewCalls) {
  server_->Shutdown(absl::Seconds(1));
  server_->Shutdown(absl::Seconds(1));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::ListClustersResponse response;
  grpc::Status status = stub_->ListClusters(&context, v1::ListClustersRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

// A poll held in the hub is answered (empty, OK) when the hub shuts down, so the
// server's Shutdown that follows finds no call left running.
TEST_F(GrpcServerTest, HeldPoll_AnsweredAtHubShutdown_ThenServerStops) {
  std::unique_ptr<v1::AgentControl::Stub> agent = v1::AgentControl::NewStub(channel_);
  v1::RegisterHostRequest host;
  host.set_availability_zone("us-east-1a");
  host.set_cpu_units(4096);
  host.set_memory_mib(16384);
  host.set_ephemeral_storage_gib(200);
  host.set_eni_slots(16);
  v1::RegisterHostResponse registered;
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    grpc::Status status = agent->RegisterHost(&context, host, &registered);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(registered.host_timeout_ms(), 30000);
  v1::PollCommandsRequest poll;
  poll.set_host_id(registered.host_id());
  {
    // Answered at once (wait 0); the host is now known to have nothing pending.
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::PollCommandsResponse response;
    grpc::Status status = agent->PollCommands(&context, poll, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.commands_size(), 0);
    EXPECT_EQ(response.host_status(), "ACTIVE");
  }
  // That poll counted as a heartbeat too; forget it, so the next one signals the hold.
  hub_->TakeHeartbeats();
  poll.set_wait_ms(20000);
  grpc::Status held_status;
  v1::PollCommandsResponse held_response;
  std::thread poller([&] {
    grpc::ClientContext context;
    SetDeadline(&context);
    held_status = agent->PollCommands(&context, poll, &held_response);
  });
  // A poll held without a read is recorded as the host's heartbeat: then it is held.
  bool held = false;
  for (absl::Time deadline = absl::Now() + absl::Seconds(20); !held && absl::Now() < deadline;) {
    for (const std::string& id : hub_->TakeHeartbeats()) held = held || id == registered.host_id();
    if (!held) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(held) << "the poll was never held";
  const absl::Time start = absl::Now();
  hub_->Shutdown();
  server_->Shutdown(absl::Seconds(5));
  poller.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_TRUE(held_status.ok()) << held_status.error_message();
  EXPECT_EQ(held_response.commands_size(), 0);
}

// A second server on a port that is already serving must fail to start (server.cc's
// own message says "in use"), or two gantryd processes would silently share one port.
// gRPC's default SO_REUSEPORT would let the second bind succeed silently.
TEST(GrpcServer, Start_AddressInUse_IsUnavailable) {
  storage::Database::Options options;
  options.conninfo = PgHarness::Get().NewDatabase();
  options.workers = 1;
  absl::StatusOr<std::unique_ptr<storage::Database>> database = storage::Database::Open(options);
  ASSERT_THAT(database, IsOk());
  EcsOperations operations(Config{}, database->get(), nullptr);
  NetworkOperations network(Config{}, database->get());
  std::unique_ptr<PollHub> hub = PollHub::Start({});
  AgentOperations agent(Config{}, database->get(), hub.get(), absl::Seconds(30), [] {});
  KeyRing keys;
  auth::SecretBox secrets = TestSecrets();
  AdminOperations admin(Config{}, database->get(), &keys, &secrets);
  Services services{.ecs = &operations, .network = &network, .agent = &agent, .admin = &admin};
  absl::StatusOr<std::unique_ptr<Server>> first = Server::Start("127.0.0.1:0", services, &keys);
  ASSERT_THAT(first, IsOk());
  absl::StatusOr<std::unique_ptr<Server>> second =
      Server::Start((*first)->address(), services, &keys);
  EXPECT_THAT(second, ::gantry::testing::StatusIs(absl::StatusCode::kUnavailable, "--listen: "));
  (*first)->Shutdown(absl::Seconds(1));
  (*database)->Shutdown();
}

}  // namespace
}  // namespace gantry::api
