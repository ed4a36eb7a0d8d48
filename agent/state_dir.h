// gantry-agent's state directory (--state-dir): the host id gantryd gave each simulated
// host, so that a restarted agent reconnects as the same hosts instead of registering
// new ones. Layout:
//   DIR/hosts  one host id per line; line i+1 holds host index i; an empty line means
//              that host has no id yet. Replaced atomically (DIR/hosts.tmp, fsync,
//              rename), so a crash leaves the old or the new file, never a torn one.
//   DIR/lock   flock()ed while an agent uses the directory: two agents never share ids.
//
// Thread-safety: a HostIdStore is not thread-safe; the caller serialises Save calls.
// Errors: FAILED_PRECONDITION when another agent holds the directory, INVALID_ARGUMENT
// for a malformed hosts file (with its line number), INTERNAL for I/O failures (with
// the path and errno text).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace gantry::agent {

// The file's text for `ids` (pure).
std::string FormatHostIds(const std::vector<std::string>& ids);
// The ids in `text`, index = line number - 1 (pure). A host id is 32 lowercase hex
// digits, as gantryd hands them out.
absl::StatusOr<std::vector<std::string>> ParseHostIds(std::string_view text);

class HostIdStore {
 public:
  // Creates `dir` (and parents) when missing and locks it.
  static absl::StatusOr<std::unique_ptr<HostIdStore>> Open(const std::filesystem::path& dir);
  ~HostIdStore();  // releases the lock
  HostIdStore(const HostIdStore&) = delete;
  HostIdStore& operator=(const HostIdStore&) = delete;

  // The saved ids; empty when nothing was saved yet (no hosts file).
  absl::StatusOr<std::vector<std::string>> Load() const;
  // Replaces the saved ids atomically (see file comment).
  absl::Status Save(const std::vector<std::string>& ids) const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  HostIdStore(std::filesystem::path dir, int lock_fd) : dir_(std::move(dir)), lock_fd_(lock_fd) {}

  const std::filesystem::path dir_;
  const int lock_fd_;
};

}  // namespace gantry::agent
