// A private containerd and a private image registry for tests that run real containers:
// both started by the test below a directory it owns, on sockets and ports nobody else
// uses, and stopped (with every containerd shim they left) when the test is done. Tiny
// busybox images are built locally (umoci) and pushed to the registry (skopeo), so no
// test needs the internet.
//
// containerd listens on a unix socket below the directory (CRI plugin disabled, own
// root and state); docker-registry serves plain HTTP on 127.0.0.1 and a free port with
// filesystem storage and no auth. Readiness is learnt by asking (containerd's Version
// RPC, the registry's GET /v2/), polling up to a deadline; nothing sleeps a fixed time.
// Children get PR_SET_PDEATHSIG (tests/support/process.h), so a crashed test does not
// leave the servers behind.
//
// One ContainerdEnv is used from one thread at a time. Errors are absl::Status:
// FAILED_PRECONDITION when the machine cannot run containers (see
// CheckContainerdPrerequisites), DEADLINE_EXCEEDED or UNAVAILABLE when a server does not
// come up (with the tail of its log), INTERNAL when a tool fails (with its stderr).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/process.h"

namespace gantry::testing {

// The absolute path of the executable `name`: the first match in $PATH, then in
// /usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin and /bin (runc lives in
// sbin, which a non-login PATH may lack). NOT_FOUND when there is none.
absl::StatusOr<std::filesystem::path> FindExecutable(std::string_view name);

// What the machine lacks to run real containers: FAILED_PRECONDITION naming it when the
// process is not root, when one of containerd, containerd-shim-runc-v2, runc,
// docker-registry, umoci, skopeo or busybox is missing, or when busybox is dynamically
// linked (it must run alone in an image; install busybox-static). OK when all is there.
absl::Status CheckContainerdPrerequisites();

class ContainerdEnv {
 public:
  // Starts containerd (config, root, state and socket below `dir`) and docker-registry
  // (config and storage below `dir`, 127.0.0.1 and a free port), and waits until both
  // answer. `dir` must exist, and be at most 84 bytes long (unix socket paths are short).
  // FAILED_PRECONDITION when CheckContainerdPrerequisites fails; INVALID_ARGUMENT for a
  // missing or too long `dir`; DEADLINE_EXCEEDED when
  // a server does not answer within 30 s; UNAVAILABLE when one exits first; INTERNAL
  // when a file cannot be written. Blocks until ready or failed.
  static absl::StatusOr<std::unique_ptr<ContainerdEnv>> Start(const std::filesystem::path& dir);

  ContainerdEnv(const ContainerdEnv&) = delete;
  ContainerdEnv& operator=(const ContainerdEnv&) = delete;
  // Stops both servers (SIGTERM, SIGKILL after 5 s), SIGKILLs the containerd shims
  // started for our socket and the container processes under them, and lazily unmounts
  // whatever is still mounted below `dir`, so that the directory can be removed.
  ~ContainerdEnv();

  // containerd's gRPC unix socket path (without a "unix://" scheme).
  const std::string& containerd_address() const { return containerd_address_; }
  // The registry as "127.0.0.1:PORT".
  const std::string& registry() const { return registry_; }
  const std::filesystem::path& dir() const { return dir_; }

  // Builds a one-layer image holding static busybox (every applet linked in /bin),
  // /etc/passwd and /etc/group with root and nobody (65534), and /tmp (mode 1777), with
  // config Cmd `cmd` (none when empty) and Env PATH=/bin, pushes it to the registry as
  // NAME:TAG and returns "127.0.0.1:PORT/NAME:TAG". The same name, tag and cmd again
  // return at once; a different cmd under the same name and tag rebuilds and overwrites
  // the tag. INVALID_ARGUMENT for a name or tag the registry would refuse (name: lower
  // case letters, digits, '.', '_', '-' and '/' separated components; tag:
  // [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}); INTERNAL with the tool's stderr when umoci or
  // skopeo fails. Blocks for the build and push (about a second).
  absl::StatusOr<std::string> PushBusyboxImage(const std::string& name, const std::string& tag,
                                               const std::vector<std::string>& cmd);

  // The last `max_bytes` of containerd's and the registry's logs (files below `dir`).
  std::string ContainerdLogTail(size_t max_bytes = 4000) const;
  std::string RegistryLogTail(size_t max_bytes = 4000) const;

 private:
  // Absolute paths of the tools, resolved once by CheckContainerdPrerequisites.
  struct Tools {
    std::filesystem::path containerd;
    std::filesystem::path shim;
    std::filesystem::path runc;
    std::filesystem::path registry;
    std::filesystem::path umoci;
    std::filesystem::path skopeo;
    std::filesystem::path busybox;
  };

  friend absl::Status CheckContainerdPrerequisites();

  ContainerdEnv(std::filesystem::path dir, Tools tools);
  // CheckContainerdPrerequisites, keeping what it found.
  static absl::StatusOr<Tools> FindTools();

  absl::Status StartContainerd();
  absl::Status StartRegistry();
  // One attempt on one port; `port_taken` is set when the registry lost a race for it.
  absl::Status StartRegistryOnce(int port, bool* port_taken);
  absl::Status WaitForContainerd(absl::Duration timeout);
  absl::Status WaitForRegistry(int port, absl::Duration timeout);
  void StopServers();
  void KillShims();
  void UnmountBelowDir();

  absl::Status BuildImage(const std::filesystem::path& work, const std::string& tag,
                          const std::vector<std::string>& cmd);
  absl::Status PopulateRootfs(const std::filesystem::path& rootfs);
  // Runs `argv`; INTERNAL with the command and its stderr unless it exits with 0.
  absl::StatusOr<CommandResult> Run(const std::vector<std::string>& argv);

  std::filesystem::path dir_;
  Tools tools_;
  std::string containerd_address_;
  std::string registry_;
  std::filesystem::path containerd_log_;
  std::filesystem::path registry_log_;
  std::unique_ptr<Subprocess> containerd_;
  std::unique_ptr<Subprocess> registry_process_;
  // "NAME:TAG" -> the cmd it was pushed with.
  std::map<std::string, std::vector<std::string>> pushed_;
};

}  // namespace gantry::testing
