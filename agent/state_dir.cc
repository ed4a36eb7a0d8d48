#include "agent/state_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace gantry::agent {
namespace {

constexpr size_t kHostIdLength = 32;
constexpr char kHostsFile[] = "hosts";
constexpr char kTempFile[] = "hosts.tmp";
constexpr char kLockFile[] = "lock";

// gantryd's container instance ids: 32 lowercase hex digits (it refuses anything else).
bool IsHostId(std::string_view id) {
  if (id.size() != kHostIdLength) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::Status Errno(const std::string& what, const std::filesystem::path& path) {
  return absl::InternalError(absl::StrCat(what, " ", path.string(), ": ", std::strerror(errno)));
}

// Writes all of `data` to `fd`, retrying short writes.
bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    data.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

}  // namespace

std::string FormatHostIds(const std::vector<std::string>& ids) {
  std::string text;
  for (const std::string& id : ids) absl::StrAppend(&text, id, "\n");
  return text;
}

absl::StatusOr<std::vector<std::string>> ParseHostIds(std::string_view text) {
  std::vector<std::string> ids = absl::StrSplit(std::string(text), '\n');
  // "a\nb\n" splits into a, b, "": the final newline ends the last line.
  if (!ids.empty() && ids.back().empty()) ids.pop_back();
  std::vector<std::string> problems;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!ids[i].empty() && !IsHostId(ids[i])) {
      problems.push_back(absl::StrCat(kHostsFile, " line ", i + 1, ": \"", ids[i].substr(0, 40),
                                      "\" is not a host id; use ", kHostIdLength,
                                      " lowercase hex digits, or an empty line"));
      if (problems.size() == 20) break;
    }
  }
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
  return ids;
}

absl::StatusOr<std::unique_ptr<HostIdStore>> HostIdStore::Open(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("create state directory ", dir.string(), ": ", error.message()));
  }
  std::filesystem::path lock_path = dir / kLockFile;
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("open", lock_path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int saved = errno;
    ::close(fd);
    if (saved == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("state directory ", dir.string(),
                       " is in use by another gantry-agent; give each agent its own --state-dir"));
    }
    errno = saved;
    return Errno("lock", lock_path);
  }
  return std::unique_ptr<HostIdStore>(new HostIdStore(dir, fd));
}

HostIdStore::~HostIdStore() { ::close(lock_fd_); }  // closing releases the flock

absl::StatusOr<std::vector<std::string>> HostIdStore::Load() const {
  std::filesystem::path path = dir_ / kHostsFile;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::vector<std::string>{};
    return Errno("open", path);
  }
  std::string text;
  char buffer[65536];
  while (true) {
    ssize_t got = ::read(fd, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      absl::Status status = Errno("read", path);
      ::close(fd);
      return status;
    }
    if (got == 0) break;
    text.append(buffer, static_cast<size_t>(got));
  }
  ::close(fd);
  absl::StatusOr<std::vector<std::string>> ids = ParseHostIds(text);
  if (!ids.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("state directory ", dir_.string(), ": ", ids.status().message()));
  }
  return ids;
}

absl::Status HostIdStore::Save(const std::vector<std::string>& ids) const {
  std::filesystem::path temp = dir_ / kTempFile;
  std::filesystem::path path = dir_ / kHostsFile;
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("open", temp);
  bool written = WriteAll(fd, FormatHostIds(ids)) && ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!written) {
    errno = saved;
    return Errno("write", temp);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) return Errno("rename to", path);
  // The rename itself is durable only once the directory is synced.
  int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return absl::OkStatus();
}

}  // namespace gantry::agent
