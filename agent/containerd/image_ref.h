// Image references and content addresses, as the OCI distribution spec and Docker
// define them. Pure: no I/O, safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace gantry::agent::containerd {

// A parsed image reference: `[registry/]repository[:tag][@digest]`.
struct ImageRef {
  // "host[:port]"; Docker Hub's "registry-1.docker.io" when the reference names none
  // (the first component is a registry only when it has a '.' or ':' or is
  // "localhost").
  std::string registry;
  // e.g. "library/busybox" (Docker Hub's official images get "library/").
  std::string repository;
  std::string tag;     // "latest" when neither tag nor digest is given
  std::string digest;  // "sha256:<64 hex>" or empty
  // The normalised name containerd records the image under:
  // "registry/repository:tag" or, when a digest is given (with or without a tag),
  // "registry/repository@digest", as containerd's ParseDockerRef does ("docker.io"
  // for Hub).
  std::string Name() const;
  // What the manifest is fetched by: the digest when given, else the tag.
  std::string Reference() const;
};

// INVALID_ARGUMENT naming what is wrong (empty, upper-case repository, bad tag or
// digest) for a reference that does not parse.
absl::StatusOr<ImageRef> ParseImageRef(std::string_view reference);

// "sha256:" + the lowercase hex SHA-256 of `bytes`.
std::string Sha256Digest(std::string_view bytes);

// The chain ids of a layer stack, bottom first, from its diff ids (uncompressed layer
// digests, the image config's rootfs.diff_ids): chain[0] = diff[0],
// chain[i] = Sha256Digest(chain[i-1] + " " + diff[i]).
std::vector<std::string> ChainIds(const std::vector<std::string>& diff_ids);

}  // namespace gantry::agent::containerd
