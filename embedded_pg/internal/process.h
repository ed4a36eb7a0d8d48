// Running PostgreSQL's command-line tools, optionally as another user, and checking
// what that user can reach. Blocking; used only during startup and shutdown.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gantry::embedded_pg::internal {

// The identity PostgreSQL runs as: the current user, or `postgres` when we are root.
struct RunAs {
  std::optional<uid_t> uid;  // unset: keep the current identity
  std::optional<gid_t> gid;
  std::string name;  // for messages
};

// Resolves the identity to run PostgreSQL as. FAILED_PRECONDITION when running as
// root and no `postgres` user exists.
absl::StatusOr<RunAs> ResolveRunAs();

// Runs argv[0] (an absolute path) with `argv` as `who`, in a new session, with cwd
// `cwd`, stdin from /dev/null and stdout+stderr appended to `output`. Returns the exit
// code (128+signal when killed). INTERNAL when the process cannot be started.
absl::StatusOr<int> Run(const RunAs& who, const std::vector<std::string>& argv,
                        const std::filesystem::path& cwd, const std::filesystem::path& output);

// Gives `path` to `who` (no-op when `who` keeps the current identity).
absl::Status GiveTo(const RunAs& who, const std::filesystem::path& path);

// OK when `who` can search every directory on the way to `dir` and read, write and
// search `dir` itself; otherwise FAILED_PRECONDITION naming the first directory that
// blocks it, its mode and owner.
absl::Status CheckReachable(const RunAs& who, const std::filesystem::path& dir);

// The last `max_lines` lines of a text file (empty when it cannot be read).
std::string Tail(const std::filesystem::path& file, int max_lines);

}  // namespace gantry::embedded_pg::internal
