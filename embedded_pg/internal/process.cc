#include "embedded_pg/internal/process.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace gantry::embedded_pg::internal {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

// In the child after fork(): only async-signal-safe calls until exec.
[[noreturn]] void ExecChild(const RunAs& who, char* const* argv, const char* cwd, int out_fd) {
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
  ::dup2(out_fd, STDOUT_FILENO);
  ::dup2(out_fd, STDERR_FILENO);
  // A new session keeps a terminal's Ctrl-C away from PostgreSQL: gantryd stops it in
  // order instead.
  ::setsid();
  if (who.gid.has_value()) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(*who.gid) != 0) ::_exit(126);
  }
  if (who.uid.has_value() && ::setuid(*who.uid) != 0) ::_exit(126);
  if (::chdir(cwd) != 0) ::_exit(126);
  ::execv(argv[0], argv);
  ::_exit(127);
}

// Runs `check` in a child that has taken `who`'s identity; true when it returns true.
template <typename Check>
bool CheckAs(const RunAs& who, Check check) {
  if (!who.uid.has_value()) return check();
  pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    if (who.gid.has_value() && (::setgroups(0, nullptr) != 0 || ::setgid(*who.gid) != 0)) {
      ::_exit(2);
    }
    if (::setuid(*who.uid) != 0) ::_exit(2);
    ::_exit(check() ? 0 : 1);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string OwnerAndMode(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "cannot stat";
  std::string owner = absl::StrCat(st.st_uid);
  if (const passwd* pw = ::getpwuid(st.st_uid); pw != nullptr) owner = pw->pw_name;
  return absl::StrFormat("mode %04o, owner %s", st.st_mode & 07777, owner);
}

}  // namespace

absl::StatusOr<RunAs> ResolveRunAs() {
  if (::geteuid() != 0) return RunAs{std::nullopt, std::nullopt, "the current user"};
  const passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr) {
    return absl::FailedPreconditionError(
        "embedded PostgreSQL: gantryd runs as root and PostgreSQL refuses to run as root, but "
        "there is no \"postgres\" user to run it as; install the postgresql package "
        "(scripts/install-deps), run gantryd as an ordinary user, or pass --database-url");
  }
  return RunAs{pw->pw_uid, pw->pw_gid, "postgres"};
}

absl::StatusOr<int> Run(const RunAs& who, const std::vector<std::string>& argv,
                        const std::filesystem::path& cwd, const std::filesystem::path& output) {
  int out_fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out_fd < 0) {
    return absl::InternalError(
        absl::StrCat("cannot open ", output.string(), ": ", ErrnoText(errno)));
  }
  if (who.uid.has_value()) (void)::fchown(out_fd, *who.uid, who.gid.value_or(-1));
  // Build argv before fork: the child may only make async-signal-safe calls.
  std::vector<std::string> args = argv;
  std::vector<char*> raw;
  for (std::string& arg : args) raw.push_back(arg.data());
  raw.push_back(nullptr);
  std::string cwd_text = cwd.string();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out_fd);
    return absl::InternalError(absl::StrCat("fork: ", ErrnoText(errno)));
  }
  if (pid == 0) ExecChild(who, raw.data(), cwd_text.c_str(), out_fd);
  ::close(out_fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return absl::InternalError(absl::StrCat("waitpid: ", ErrnoText(errno)));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

absl::Status GiveTo(const RunAs& who, const std::filesystem::path& path) {
  if (!who.uid.has_value()) return absl::OkStatus();
  if (::chown(path.c_str(), *who.uid, who.gid.value_or(-1)) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot give ", path.string(), " to user ", who.name, ": ", ErrnoText(errno)));
  }
  return absl::OkStatus();
}

absl::Status CheckReachable(const RunAs& who, const std::filesystem::path& dir) {
  std::filesystem::path walked;
  for (const auto& part : dir) {
    walked /= part;
    std::string text = walked.string();
    bool is_target = walked == dir;
    int mode = is_target ? (R_OK | W_OK | X_OK) : X_OK;
    if (CheckAs(who, [&] { return ::access(text.c_str(), mode) == 0; })) continue;
    return absl::FailedPreconditionError(absl::StrFormat(
        "embedded PostgreSQL runs as user \"%s\" (PostgreSQL refuses to run as root), and that "
        "user cannot %s directory %s (%s), so it cannot use %s; choose a --data-dir that user "
        "can reach (for example under /var/lib/gantry or /tmp), allow it with `chmod o+x %s`, "
        "or pass --database-url",
        who.name, is_target ? "write to" : "enter", text, OwnerAndMode(walked), dir.string(),
        text));
  }
  return absl::OkStatus();
}

std::string Tail(const std::filesystem::path& file, int max_lines) {
  std::ifstream in(file);
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(std::move(line));
    if (static_cast<int>(lines.size()) > max_lines) lines.pop_front();
  }
  return absl::StrJoin(lines, "\n");
}

}  // namespace gantry::embedded_pg::internal
