#include "agent/containerd/client.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"

namespace gantry::agent::containerd {
namespace {

// containerd reads the namespace and the lease of a call from these metadata keys.
constexpr char kNamespaceHeader[] = "containerd-namespace";
constexpr char kLeaseHeader[] = "containerd-lease";

}  // namespace

Client::Client(std::string socket_path, std::string containerd_namespace)
    : socket_path_(std::move(socket_path)),
      namespace_(std::move(containerd_namespace)),
      channel_(grpc::CreateChannel(absl::StrCat("unix://", socket_path_),
                                   grpc::InsecureChannelCredentials())),
      containers_(containers_api::Containers::NewStub(channel_)),
      content_(content_api::Content::NewStub(channel_)),
      diff_(diff_api::Diff::NewStub(channel_)),
      images_(images_api::Images::NewStub(channel_)),
      leases_(leases_api::Leases::NewStub(channel_)),
      snapshots_(snapshots_api::Snapshots::NewStub(channel_)),
      tasks_(tasks_api::Tasks::NewStub(channel_)),
      version_(version_api::Version::NewStub(channel_)) {}

std::unique_ptr<grpc::ClientContext> Client::Context(absl::Duration timeout,
                                                     std::string_view lease) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata(kNamespaceHeader, namespace_);
  if (!lease.empty()) {
    context->AddMetadata(kLeaseHeader, std::string(lease));
  }
  if (timeout != absl::InfiniteDuration()) {
    context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  }
  return context;
}

absl::Status FromGrpc(const grpc::Status& status, std::string_view call) {
  if (status.ok()) {
    return absl::OkStatus();
  }
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat("containerd ", std::string(call), ": ", status.error_message()));
}

}  // namespace gantry::agent::containerd
