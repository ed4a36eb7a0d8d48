// gantry-agent: the reference data-plane agent. One process plays `--hosts` hosts, each
// with its own protocol session (host_session.h) and runtime (runtime.h), all sharing a
// small Asio io_context (a strand per host) and a few gRPC channels (one per
// kHostsPerChannel hosts, each its own HTTP/2 connection). Host ids live in the state
// directory (state_dir.h) so that a restarted agent reconnects as the same hosts; a new
// id is saved before its host polls (host_id_saver.h batches the saves).
//
// Thread-safety: RunAgent blocks its caller until the agent stops; it owns every thread
// it starts. Errors: startup failures (state directory unusable, unknown runtime) and
// registrations gantryd refuses for good are logged and make RunAgent return 1.
#pragma once

#include <ostream>
#include <string>

#include "agent/options.h"

namespace gantry::agent {

inline constexpr int kHostsPerChannel = 500;
inline constexpr int kMaxRegistrationsInFlight = 64;
inline constexpr int kIoThreads = 2;
inline constexpr char kAgentVersion[] = "gantry-agent/0.1";

// Runs the agent: registers every host (64 registrations in flight at most, progress
// logged every 5 s), writes "gantry-agent ready hosts=N" and a newline to `ready_out`
// (flushed) once all have registered, then serves until SIGINT or SIGTERM. On a signal
// it cancels every call in flight, saves the host ids and returns 0; it returns 1 when
// it could not start or gantryd refused a registration for good.
int RunAgent(const Options& options, std::ostream& ready_out);

}  // namespace gantry::agent
