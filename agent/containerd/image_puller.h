// Pulls an image into containerd, as containerd's own Go client does (containerd 1.6
// has no server-side pull): resolves the reference at the registry (an index is
// narrowed to this machine's platform), writes the manifest, the config and every
// layer into the content store (blobs containerd already has are not downloaded
// again), unpacks the layers into committed snapshots named by their chain ids, and
// records the image. Everything written is held by a lease until the image record
// and the garbage-collection labels reference it.
//
// Like ECS's default pull behaviour, every pull asks the registry for the manifest:
// a tag that moved gets the new image; an unchanged one costs a manifest and a config
// request and nothing else.
//
// Thread-safety: Pull may be called from several threads; pulls are serialised (two
// pulls of one blob would contend for containerd's write lock of that blob). Errors:
// those of RegistryClient and containerd, prefixed with the step that failed.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "agent/containerd/client.h"
#include "agent/containerd/oci_spec.h"
#include "agent/containerd/registry_client.h"

namespace gantry::agent::containerd {

struct PulledImage {
  std::string name;             // containerd's image name (ImageRef::Name)
  std::string manifest_digest;  // the platform manifest's digest (reported imageDigest)
  ImageConfig config;
  std::string top_chain_id;  // the committed snapshot a container's rootfs starts from
};

class ImagePuller {
 public:
  // Both must outlive the puller.
  ImagePuller(const Client* client, const RegistryClient* registry);

  absl::StatusOr<PulledImage> Pull(std::string_view reference);

 private:
  const Client* const client_;
  const RegistryClient* const registry_;
  absl::Mutex mutex_;  // one pull at a time
};

}  // namespace gantry::agent::containerd
