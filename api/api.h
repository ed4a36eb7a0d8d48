// The API of gantryd: the ECS operations (one implementation per operation, shared
// by every front end: gRPC now, AWS's JSON 1.1 protocol later) and the gRPC server
// that serves them with health checking and reflection.
//
// Threading: EcsOperations methods never block. Each validates its request on the
// calling thread (pure and fast), then runs the database work on a storage::Database
// worker and calls `done` exactly once, from that worker, or from the calling thread
// when the request is refused before reaching the database. Errors are absl::Status
// with the field path first (INVALID_ARGUMENT, NOT_FOUND, UNAVAILABLE, ...).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "gantry/v1/ecs.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/storage.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace gantry::api {

struct Config {
  std::string region = "us-east-1";
  // The account every resource belongs to until accounts arrive with authentication.
  std::string account_id = "000000000000";
};

// OK when `config` can appear in ARNs (region like us-east-1, 12-digit account id).
absl::Status ValidateConfig(const Config& config);

template <typename Response>
using Done = std::function<void(absl::StatusOr<Response>)>;

class EcsOperations {
 public:
  // `database` must outlive this object.
  EcsOperations(Config config, storage::Database* database);

  void CreateCluster(const v1::CreateClusterRequest& request, Done<v1::CreateClusterResponse> done);
  void DescribeClusters(const v1::DescribeClustersRequest& request,
                        Done<v1::DescribeClustersResponse> done);
  void ListClusters(const v1::ListClustersRequest& request, Done<v1::ListClustersResponse> done);

  void RegisterTaskDefinition(const v1::RegisterTaskDefinitionRequest& request,
                              Done<v1::RegisterTaskDefinitionResponse> done);
  void DescribeTaskDefinition(const v1::DescribeTaskDefinitionRequest& request,
                              Done<v1::DescribeTaskDefinitionResponse> done);
  void ListTaskDefinitions(const v1::ListTaskDefinitionsRequest& request,
                           Done<v1::ListTaskDefinitionsResponse> done);
  void ListTaskDefinitionFamilies(const v1::ListTaskDefinitionFamiliesRequest& request,
                                  Done<v1::ListTaskDefinitionFamiliesResponse> done);
  void DeregisterTaskDefinition(const v1::DeregisterTaskDefinitionRequest& request,
                                Done<v1::DeregisterTaskDefinitionResponse> done);

 private:
  // Runs `work` on a database worker and hands its result to `done`; `done` gets
  // UNAVAILABLE at once when the database queue refuses the work.
  template <typename Response>
  void RunOnDatabase(std::function<absl::StatusOr<Response>(storage::Connection&)> work,
                     Done<Response> done);

  const Config config_;
  storage::Database* const database_;
};

// Makes sure the cluster named `default` exists (idempotent). Blocking; for startup.
absl::Status EnsureDefaultCluster(storage::Connection& connection, const Config& config);

class Server {
 public:
  // Listens on `address` (HOST:PORT; port 0 picks a free one) and serves the ECS
  // service, grpc.health.v1 and server reflection. `operations` must outlive the server.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const std::string& address,
                                                       EcsOperations* operations);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The address actually bound, with the chosen port.
  const std::string& address() const { return address_; }

  // Stops accepting calls and waits up to `grace` for running ones. Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  Server() = default;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<class EcsGrpcService> service_;
  std::string address_;
};

}  // namespace gantry::api
