// A client of one containerd daemon's gRPC API (its unix socket), bound to one
// containerd namespace: the generated stubs of the services the runtime uses, and
// contexts that carry the namespace, an optional lease and a deadline.
//
// Thread-safety: safe from any thread (gRPC stubs are). Every call blocks its thread;
// the runtime makes them from its worker threads, never from its Loop. Errors:
// FromGrpc turns a gRPC status into an absl::Status with the same code and a message
// that says which call failed.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "github.com/containerd/containerd/api/services/containers/v1/containers.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/content/v1/content.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/diff/v1/diff.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/images/v1/images.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/leases/v1/leases.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/snapshots/v1/snapshots.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/tasks/v1/tasks.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/version/v1/version.grpc.pb.h"
#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace gantry::agent::containerd {

namespace containers_api = ::containerd::services::containers::v1;
namespace content_api = ::containerd::services::content::v1;
namespace diff_api = ::containerd::services::diff::v1;
namespace images_api = ::containerd::services::images::v1;
namespace leases_api = ::containerd::services::leases::v1;
namespace snapshots_api = ::containerd::services::snapshots::v1;
namespace tasks_api = ::containerd::services::tasks::v1;
namespace version_api = ::containerd::services::version::v1;

inline constexpr char kDefaultAddress[] = "/run/containerd/containerd.sock";
inline constexpr char kNamespace[] = "gantry";
inline constexpr char kSnapshotter[] = "overlayfs";
inline constexpr char kRuncRuntime[] = "io.containerd.runc.v2";

// Deadlines of the calls that answer at once (not Wait, not content streams).
inline constexpr absl::Duration kCallTimeout = absl::Seconds(30);

class Client {
 public:
  // Connects lazily to `socket_path` (a path, not a URI).
  Client(std::string socket_path, std::string containerd_namespace);

  // A context for one call: the namespace header, the lease (when not empty) and a
  // deadline `timeout` from now (none for an infinite duration).
  std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = kCallTimeout,
                                               std::string_view lease = {}) const;

  const std::string& socket_path() const { return socket_path_; }
  containers_api::Containers::Stub& containers() const { return *containers_; }
  content_api::Content::Stub& content() const { return *content_; }
  diff_api::Diff::Stub& diff() const { return *diff_; }
  images_api::Images::Stub& images() const { return *images_; }
  leases_api::Leases::Stub& leases() const { return *leases_; }
  snapshots_api::Snapshots::Stub& snapshots() const { return *snapshots_; }
  tasks_api::Tasks::Stub& tasks() const { return *tasks_; }
  version_api::Version::Stub& version() const { return *version_; }

 private:
  const std::string socket_path_;
  const std::string namespace_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<containers_api::Containers::Stub> containers_;
  std::unique_ptr<content_api::Content::Stub> content_;
  std::unique_ptr<diff_api::Diff::Stub> diff_;
  std::unique_ptr<images_api::Images::Stub> images_;
  std::unique_ptr<leases_api::Leases::Stub> leases_;
  std::unique_ptr<snapshots_api::Snapshots::Stub> snapshots_;
  std::unique_ptr<tasks_api::Tasks::Stub> tasks_;
  std::unique_ptr<version_api::Version::Stub> version_;
};

// `status` as an absl::Status of the same code, its message prefixed with `call`
// (e.g. "containerd Tasks.Start: ...").
absl::Status FromGrpc(const grpc::Status& status, std::string_view call);

}  // namespace gantry::agent::containerd
