// The API of gantryd: the ECS operations (one implementation per operation, shared
// by every front end: gRPC, and AWS's own protocols in api/aws/) and the gRPC server
// that serves them with health checking and reflection.
//
// Every operation is called for an authenticated Caller (its key's account and role;
// see api/key_ring.h) and answers for that account only: another account's resources
// are NOT_FOUND, and a call beyond the caller's role is PERMISSION_DENIED.
//
// Threading: the operations' methods never block. Each validates its request on the
// calling thread (pure and fast), then runs the database work on a storage::Database
// worker and calls `done` exactly once, from that worker, or from the calling thread
// when the request is refused before reaching the database. (PollCommands is held in a
// PollHub and may also be answered from the hub's thread; RunTask from the
// scheduler's.) Errors are absl::Status with the field path first (INVALID_ARGUMENT,
// NOT_FOUND, UNAVAILABLE, ...).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "gantry/v1/admin.pb.h"
#include "gantry/v1/agent.pb.h"
#include "gantry/v1/ecs.pb.h"
#include "gantry/v1/network.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/storage.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace gantry::auth {
class SecretBox;
}  // namespace gantry::auth

namespace gantry::scheduler {
class Scheduler;
}  // namespace gantry::scheduler

namespace gantry::api {

class KeyRing;
class LogRelay;
class PollHub;
class TaskMetricsBoard;

struct Config {
  std::string region = "us-east-1";
  // The provider's (admin) account. Operations run with a copy whose account_id is the
  // caller's: the account of the rows they touch and of the ARNs they print.
  std::string account_id = "000000000000";
};

// Who makes a request, as authentication established it (see api/key_ring.h).
struct Caller {
  enum class Role {
    kUser,   // an account's own key: that account's clusters, tasks and networks
    kAgent,  // a data-plane agent's key: registers hosts, polls and reports, nothing else
    kAdmin,  // a key of the provider's account: its own resources, plus the fleet, the
             // accounts and their keys; may act as an agent too
  };
  std::string account_id;
  Role role = Role::kUser;
  std::string access_key_id;  // for logs
};

// OK when `config` can appear in ARNs (region like us-east-1, 12-digit account id).
absl::Status ValidateConfig(const Config& config);

template <typename Response>
using Done = std::function<void(absl::StatusOr<Response>)>;

class EcsOperations {
 public:
  // `database`, `scheduler` and `log_relay` (may be null: no GetTaskLogs) must outlive
  // this object.
  EcsOperations(Config config, storage::Database* database, scheduler::Scheduler* scheduler,
                LogRelay* log_relay = nullptr);

  void CreateCluster(const Caller& caller, const v1::CreateClusterRequest& request,
                     Done<v1::CreateClusterResponse> done);
  void DescribeClusters(const Caller& caller, const v1::DescribeClustersRequest& request,
                        Done<v1::DescribeClustersResponse> done);
  void ListClusters(const Caller& caller, const v1::ListClustersRequest& request,
                    Done<v1::ListClustersResponse> done);

  void RegisterTaskDefinition(const Caller& caller,
                              const v1::RegisterTaskDefinitionRequest& request,
                              Done<v1::RegisterTaskDefinitionResponse> done);
  void DescribeTaskDefinition(const Caller& caller,
                              const v1::DescribeTaskDefinitionRequest& request,
                              Done<v1::DescribeTaskDefinitionResponse> done);
  void ListTaskDefinitions(const Caller& caller, const v1::ListTaskDefinitionsRequest& request,
                           Done<v1::ListTaskDefinitionsResponse> done);
  void ListTaskDefinitionFamilies(const Caller& caller,
                                  const v1::ListTaskDefinitionFamiliesRequest& request,
                                  Done<v1::ListTaskDefinitionFamiliesResponse> done);
  void DeregisterTaskDefinition(const Caller& caller,
                                const v1::DeregisterTaskDefinitionRequest& request,
                                Done<v1::DeregisterTaskDefinitionResponse> done);

  // Tasks (task_operations.cc).
  void RunTask(const Caller& caller, const v1::RunTaskRequest& request,
               Done<v1::RunTaskResponse> done);
  void StopTask(const Caller& caller, const v1::StopTaskRequest& request,
                Done<v1::StopTaskResponse> done);
  void DescribeTasks(const Caller& caller, const v1::DescribeTasksRequest& request,
                     Done<v1::DescribeTasksResponse> done);
  void ListTasks(const Caller& caller, const v1::ListTasksRequest& request,
                 Done<v1::ListTasksResponse> done);
  // The latest resource usage each task's agent reported (stored by ReportTaskMetrics),
  // with what the task reserved. A task not in the cluster is a MISSING failure, one
  // with no sample yet NO_DATA.
  void DescribeTaskMetrics(const Caller& caller, const v1::DescribeTaskMetricsRequest& request,
                           Done<v1::DescribeTaskMetricsResponse> done);
  // A piece of a container's log, fetched from the agent of the task's host
  // (task_log_operations.cc). NOT_FOUND for an unknown task or container;
  // FAILED_PRECONDITION when the task never got a host; DEADLINE_EXCEEDED when the agent
  // does not answer within the request's wait plus internal::kLogAnswerSlack.
  void GetTaskLogs(const Caller& caller, const v1::GetTaskLogsRequest& request,
                   Done<v1::GetTaskLogsResponse> done);

  // Container instances (container_instance_operations.cc), for admin keys only. Hosts
  // form one fleet shared by all clusters and accounts (as Fargate's); `cluster` must
  // name an existing cluster of the admin's account.
  void ListContainerInstances(const Caller& caller,
                              const v1::ListContainerInstancesRequest& request,
                              Done<v1::ListContainerInstancesResponse> done);
  void DescribeContainerInstances(const Caller& caller,
                                  const v1::DescribeContainerInstancesRequest& request,
                                  Done<v1::DescribeContainerInstancesResponse> done);
  // ACTIVE <-> DRAINING (a draining host keeps its tasks and gets no new ones). Setting
  // ACTIVE tells the scheduler that capacity may have appeared.
  void UpdateContainerInstancesState(const Caller& caller,
                                     const v1::UpdateContainerInstancesStateRequest& request,
                                     Done<v1::UpdateContainerInstancesStateResponse> done);

 private:
  const Config config_;
  storage::Database* const database_;
  scheduler::Scheduler* const scheduler_;
  LogRelay* const log_relay_;
};

// The EC2-like network API: VPCs, subnets, security groups, the zones and the task ENIs
// (network_operations.cc). The Describe calls apply the request's Filters (EC2's, see
// api/internal/ec2_filters.h) after the read: an id or name the request lists that does
// not exist is still NOT_FOUND, and filters only narrow what is found.
class NetworkOperations {
 public:
  // `database` must outlive this object.
  NetworkOperations(Config config, storage::Database* database);

  void CreateVpc(const Caller& caller, const v1::CreateVpcRequest& request,
                 Done<v1::CreateVpcResponse> done);
  void DescribeVpcs(const Caller& caller, const v1::DescribeVpcsRequest& request,
                    Done<v1::DescribeVpcsResponse> done);
  void CreateSubnet(const Caller& caller, const v1::CreateSubnetRequest& request,
                    Done<v1::CreateSubnetResponse> done);
  void DescribeSubnets(const Caller& caller, const v1::DescribeSubnetsRequest& request,
                       Done<v1::DescribeSubnetsResponse> done);
  void DeleteSubnet(const Caller& caller, const v1::DeleteSubnetRequest& request,
                    Done<v1::DeleteSubnetResponse> done);
  void CreateSecurityGroup(const Caller& caller, const v1::CreateSecurityGroupRequest& request,
                           Done<v1::CreateSecurityGroupResponse> done);
  void DescribeSecurityGroups(const Caller& caller,
                              const v1::DescribeSecurityGroupsRequest& request,
                              Done<v1::DescribeSecurityGroupsResponse> done);
  // The zones with a host (not INACTIVE) or a subnet of the caller's account, by name;
  // with ZoneNames only those, NOT_FOUND for a name that is not among them.
  void DescribeAvailabilityZones(const Caller& caller,
                                 const v1::DescribeAvailabilityZonesRequest& request,
                                 Done<v1::DescribeAvailabilityZonesResponse> done);
  // The ENIs of the caller's tasks that hold one now, by id; NOT_FOUND for an id that
  // is not one of them (another account's included).
  void DescribeNetworkInterfaces(const Caller& caller,
                                 const v1::DescribeNetworkInterfacesRequest& request,
                                 Done<v1::DescribeNetworkInterfacesResponse> done);

  // What the operations were built with (the EC2 front end validates DryRun requests,
  // which name zones of its region, without calling an operation).
  const Config& config() const { return config_; }

 private:
  const Config config_;
  storage::Database* const database_;
};

// What agents call (agent_operations.cc): registration and reconnection, the command
// long-poll, acknowledgements and task state reports (see agent.proto).
class AgentOperations {
 public:
  // `database` and `hub` must outlive this object, and `hub` must be shut down before
  // it is destroyed (held polls keep reads that use it). A host that does not poll for
  // `host_timeout` is declared lost (HostMonitor); agents are told so at registration,
  // and polls are held at most half of it. `capacity_changed` is called (from a database
  // worker) after a host registered or reconnected and after a report released a task's
  // resources, so waiting tasks get another chance.
  // `metrics_board` and `log_relay` (may be null) must outlive this object too. With a
  // relay, a poll read of a host it flags also hands out the host's log requests.
  AgentOperations(Config config, storage::Database* database, PollHub* hub,
                  absl::Duration host_timeout, std::function<void()> capacity_changed,
                  TaskMetricsBoard* metrics_board = nullptr, LogRelay* log_relay = nullptr);

  // A new host, or (hostId set) a known one reconnecting with the tasks it holds:
  // NOT_FOUND when the host is unknown (the agent then registers anew).
  void RegisterHost(const Caller& caller, const v1::RegisterHostRequest& request,
                    Done<v1::RegisterHostResponse> done);
  // Held in the hub until commands are pending or the wait ends. NOT_FOUND for an
  // unknown host; FAILED_PRECONDITION when the host was declared lost; UNAVAILABLE
  // while gantryd shuts down.
  void PollCommands(const Caller& caller, const v1::PollCommandsRequest& request,
                    Done<v1::PollCommandsResponse> done);
  void Ack(const Caller& caller, const v1::AckRequest& request, Done<v1::AckResponse> done);
  void ReportTaskState(const Caller& caller, const v1::ReportTaskStateRequest& request,
                       Done<v1::ReportTaskStateResponse> done);
  // Keeps the latest sample of each of the host's tasks (storage::StoreTaskMetrics) and
  // shows what was stored on `metrics_board`.
  void ReportTaskMetrics(const Caller& caller, const v1::ReportTaskMetricsRequest& request,
                         Done<v1::ReportTaskMetricsResponse> done);
  // An answer to a log request (task_log_operations.cc). NOT_FOUND when the request is
  // not pending for this host (its caller gave up).
  void SubmitLogs(const Caller& caller, const v1::SubmitLogsRequest& request,
                  Done<v1::SubmitLogsResponse> done);

 private:
  void Reconnect(const v1::RegisterHostRequest& request, Done<v1::RegisterHostResponse> done);
  // The host's log requests, added to a poll's answer; false when they could not be read.
  bool AddLogRequests(storage::Connection& connection, const std::string& host_id,
                      v1::PollCommandsResponse& response);

  const Config config_;
  storage::Database* const database_;
  PollHub* const hub_;
  const absl::Duration host_timeout_;
  const std::function<void()> capacity_changed_;
  TaskMetricsBoard* const metrics_board_;
  LogRelay* const log_relay_;
};

// The provider's operations, for admin keys only: the fleet's capacity
// (admin_operations.cc), accounts and their access keys (account_operations.cc).
class AdminOperations {
 public:
  // `database`, `keys` and `secrets` must outlive this object. Keys created and deleted
  // here are put in and taken out of `keys` once the change has committed; their secrets
  // are stored sealed by `secrets`.
  AdminOperations(Config config, storage::Database* database, KeyRing* keys,
                  const auth::SecretBox* secrets);

  // Capacity per zone and subnet and why waiting tasks wait, from one consistent
  // snapshot. NOT_FOUND for an unknown cluster.
  void DescribeCapacity(const Caller& caller, const v1::DescribeCapacityRequest& request,
                        Done<v1::DescribeCapacityResponse> done);

  // A new account with a new 12-digit id and its `default` cluster. ALREADY_EXISTS when
  // the name is taken.
  void CreateAccount(const Caller& caller, const v1::CreateAccountRequest& request,
                     Done<v1::CreateAccountResponse> done);
  void ListAccounts(const Caller& caller, const v1::ListAccountsRequest& request,
                    Done<v1::ListAccountsResponse> done);
  // The secret is in this answer only. NOT_FOUND for an unknown account;
  // RESOURCE_EXHAUSTED beyond storage::kMaxAccessKeysPerAccount.
  void CreateAccessKey(const Caller& caller, const v1::CreateAccessKeyRequest& request,
                       Done<v1::CreateAccessKeyResponse> done);
  void ListAccessKeys(const Caller& caller, const v1::ListAccessKeysRequest& request,
                      Done<v1::ListAccessKeysResponse> done);
  // The key stops working at once. NOT_FOUND for an unknown key.
  void DeleteAccessKey(const Caller& caller, const v1::DeleteAccessKeyRequest& request,
                       Done<v1::DeleteAccessKeyResponse> done);

 private:
  const Config config_;
  storage::Database* const database_;
  KeyRing* const keys_;
  const auth::SecretBox* const secrets_;
};

// The operations a Server serves; all must outlive it.
struct Services {
  EcsOperations* ecs = nullptr;
  NetworkOperations* network = nullptr;
  AgentOperations* agent = nullptr;
  AdminOperations* admin = nullptr;
};

// Makes sure the cluster named `default` exists (idempotent). Blocking; for startup.
absl::Status EnsureDefaultCluster(storage::Connection& connection, const Config& config);

class Server {
 public:
  // Listens on `address` (HOST:PORT; port 0 picks a free one) and serves the ECS,
  // Network, AgentControl and Admin services, grpc.health.v1 and server reflection.
  // Every call of the four services must be signed by a key of `keys` (see
  // auth/grpc_signing.h), which must outlive the server; health and reflection are open.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const std::string& address,
                                                       const Services& services,
                                                       const KeyRing* keys);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The address actually bound, with the chosen port.
  const std::string& address() const { return address_; }

  // Stops accepting calls and waits up to `grace` for running ones. Idempotent. Shut
  // the PollHub down first: it answers the held PollCommands calls, which otherwise run
  // until their wait ends.
  void Shutdown(absl::Duration grace);

 private:
  Server() = default;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<class EcsGrpcService> ecs_service_;
  std::unique_ptr<class NetworkGrpcService> network_service_;
  std::unique_ptr<class AgentGrpcService> agent_service_;
  std::unique_ptr<class AdminGrpcService> admin_service_;
  std::string address_;
};

}  // namespace gantry::api
