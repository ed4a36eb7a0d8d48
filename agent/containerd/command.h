// Runs a host tool (iproute2's `ip`, mkfs, mount) and collects what it printed. The
// containerd runtime uses it for host set-up that containerd does not do; containerd
// itself is only ever reached through its gRPC API.
//
// Thread-safety: safe from any thread (posix_spawn; no shared state). Errors: INTERNAL
// when the tool cannot be started or exits non-zero (the message has its command line
// and what it printed); DEADLINE_EXCEEDED when it runs past `timeout` (it is killed).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gantry::agent::containerd {

inline constexpr absl::Duration kCommandTimeout = absl::Seconds(30);

// Runs argv[0] (looked up in PATH) with no shell; returns stdout and stderr together.
absl::StatusOr<std::string> RunCommand(const std::vector<std::string>& argv,
                                       absl::Duration timeout = kCommandTimeout);

}  // namespace gantry::agent::containerd
