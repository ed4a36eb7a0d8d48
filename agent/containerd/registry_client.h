// The client side of the OCI distribution protocol (the registry HTTP API v2): fetches
// manifests and blobs of an image reference, the pull half containerd 1.6 leaves to
// its clients. Plain HTTP, and only for registries named as insecure (--insecure-registry
// HOST:PORT): TLS and registry token authentication are not built yet, so any other
// registry is refused with UNIMPLEMENTED.
//
// Thread-safety: const methods, no shared state: safe from any thread. Each call opens
// its own connection. Errors: UNAVAILABLE when the registry cannot be reached or times
// out; NOT_FOUND for a manifest or blob it does not have; UNAUTHENTICATED when it asks
// for credentials; INTERNAL for a malformed answer or a digest that does not match.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/containerd/image_ref.h"

namespace gantry::agent::containerd {

inline constexpr char kOciIndexType[] = "application/vnd.oci.image.index.v1+json";
inline constexpr char kOciManifestType[] = "application/vnd.oci.image.manifest.v1+json";
inline constexpr char kDockerListType[] =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr char kDockerManifestType[] =
    "application/vnd.docker.distribution.manifest.v2+json";

struct Manifest {
  std::string media_type;  // the Content-Type the registry gave (one of the four above)
  std::string digest;      // "sha256:..." of `body`
  std::string body;
};

class RegistryClient {
 public:
  // `insecure_registries`: "host:port" names served over plain HTTP.
  RegistryClient(std::set<std::string> insecure_registries, absl::Duration timeout);

  // The manifest or index `reference` (a tag or a digest) of `image`'s repository. When
  // `reference` is a digest, the body must hash to it.
  absl::StatusOr<Manifest> GetManifest(const ImageRef& image, std::string_view reference) const;

  // Streams blob `digest` of `image`'s repository to `sink`, chunk by chunk, and checks
  // that the bytes hash to the digest. A sink error stops the download and is returned.
  absl::Status GetBlob(const ImageRef& image, std::string_view digest,
                       const std::function<absl::Status(std::string_view chunk)>& sink) const;

 private:
  absl::Status CheckServed(const ImageRef& image) const;

  const std::set<std::string> insecure_registries_;
  const absl::Duration timeout_;
};

}  // namespace gantry::agent::containerd
