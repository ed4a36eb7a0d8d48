#include "agent/containerd/task_usage.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <filesystem>
#include <limits>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace gantry::agent::containerd {
namespace {

namespace fs = std::filesystem;

// Cgroup control files are a few hundred bytes (blkio adds six lines per device); the
// bound keeps a wrong root pointing at a large regular file from being read whole.
constexpr size_t kMaxControlFileBytes = size_t{1} << 20;

// The absl::string_view of our Abseil is its own type, not std::string_view.
absl::string_view ToAbsl(std::string_view text) { return {text.data(), text.size()}; }

// Quoted and escaped, cut short: parse errors echo file text, which may be anything.
std::string Quote(absl::string_view text) {
  constexpr size_t kMaxQuoted = 64;
  const bool cut = text.size() > kMaxQuoted;
  return absl::StrCat("\"", absl::CHexEscape(text.substr(0, kMaxQuoted)), cut ? "...\"" : "\"");
}

// Digits only: SimpleAtoi alone would also take a sign and surrounding blanks.
bool ParseUnsigned(absl::string_view word, uint64_t& value) {
  if (word.empty()) {
    return false;
  }
  for (const char c : word) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return absl::SimpleAtoi(word, &value);  // false on overflow
}

// Counters are summed from files we do not control; saturating beats wrapping to a
// small number that a rate computation would take for a reset.
uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  return b > std::numeric_limits<uint64_t>::max() - a ? std::numeric_limits<uint64_t>::max()
                                                      : a + b;
}

std::vector<absl::string_view> Words(absl::string_view line) {
  return absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
}

// The whole file, read with open/read so that errno tells a missing cgroup (ENOENT; ENODEV
// when it was removed while open) from a real failure.
absl::StatusOr<std::string> ReadControlFile(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    const std::string message =
        absl::StrCat(path.string(), ": ", std::generic_category().message(error));
    return error == ENOENT || error == ENODEV ? absl::NotFoundError(message)
                                              : absl::InternalError(message);
  }
  std::string text;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return absl::InternalError(absl::StrCat("cannot read ", path.string(), ": ",
                                              std::generic_category().message(error)));
    }
    if (n == 0) {
      break;
    }
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxControlFileBytes) {
      ::close(fd);
      return absl::InternalError(absl::StrCat(path.string(), ": longer than ", kMaxControlFileBytes,
                                              " bytes; not a cgroup file"));
    }
  }
  ::close(fd);
  return text;
}

// A parse failure of a kernel file means the layout is not what we expect: INTERNAL.
absl::Status Unparsable(const fs::path& path, const absl::Status& status) {
  return absl::InternalError(absl::StrCat(path.string(), ": ", status.message()));
}

absl::StatusOr<uint64_t> ReadSingleValue(const fs::path& path) {
  GANTRY_ASSIGN_OR_RETURN(const std::string text, ReadControlFile(path));
  absl::StatusOr<uint64_t> value = ParseSingleValue(text);
  if (!value.ok()) {
    return Unparsable(path, value.status());
  }
  return *value;
}

absl::StatusOr<uint64_t> ReadKeyedValue(const fs::path& path, std::string_view key) {
  GANTRY_ASSIGN_OR_RETURN(const std::string text, ReadControlFile(path));
  absl::StatusOr<uint64_t> value = ParseKeyedValue(text, key);
  if (!value.ok()) {
    return Unparsable(path, value.status());
  }
  return *value;
}

// The first of `candidates` that exists, parsed; zero I/O when none does.
absl::StatusOr<IoBytes> ReadIoBytes(const std::vector<fs::path>& candidates,
                                    IoBytes (*parse)(std::string_view)) {
  for (const fs::path& path : candidates) {
    absl::StatusOr<std::string> text = ReadControlFile(path);
    if (absl::IsNotFound(text.status())) {
      continue;
    }
    if (!text.ok()) {
      return text.status();
    }
    return parse(*text);
  }
  return IoBytes{};
}

uint64_t WorkingSet(uint64_t usage, uint64_t inactive_file) {
  return usage > inactive_file ? usage - inactive_file : 0;
}

absl::StatusOr<bool> Exists(const fs::path& path) {
  std::error_code error;
  const bool exists = fs::exists(path, error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot stat ", path.string(), ": ", error.message()));
  }
  return exists;
}

// cpuacct has its own hierarchy, or is co-mounted with cpu as "cpu,cpuacct" (usually with
// "cpu" and "cpuacct" symlinks to it, which the first candidate already covers).
absl::StatusOr<fs::path> CpuacctHierarchy(const fs::path& root) {
  for (const char* name : {"cpuacct", "cpu,cpuacct", "cpu"}) {
    GANTRY_ASSIGN_OR_RETURN(const bool exists, Exists(root / name));
    if (exists) {
      return root / name;
    }
  }
  return absl::NotFoundError(absl::StrCat((root / "cpuacct").string(),
                                          ": no cpuacct hierarchy (nor cpu,cpuacct or cpu) under ",
                                          root.string()));
}

absl::StatusOr<CgroupUsage> ReadV1(const std::string& task_id, const fs::path& root) {
  CgroupUsage usage;
  const fs::path memory = root / "memory" / "gantry" / task_id;
  GANTRY_ASSIGN_OR_RETURN(const uint64_t memory_usage,
                          ReadSingleValue(memory / "memory.usage_in_bytes"));
  // total_ (not plain) inactive_file: the task's pages sit in its containers' cgroups.
  GANTRY_ASSIGN_OR_RETURN(const uint64_t inactive_file,
                          ReadKeyedValue(memory / "memory.stat", "total_inactive_file"));
  usage.memory_used_bytes = WorkingSet(memory_usage, inactive_file);

  GANTRY_ASSIGN_OR_RETURN(const fs::path cpuacct, CpuacctHierarchy(root));
  GANTRY_ASSIGN_OR_RETURN(usage.cpu_usage_ns,
                          ReadSingleValue(cpuacct / "gantry" / task_id / "cpuacct.usage"));

  // The non-recursive file only counts I/O of processes in the task cgroup itself (none:
  // they live in the containers' cgroups), but kernels before the recursive files have
  // nothing better.
  const fs::path blkio = root / "blkio" / "gantry" / task_id;
  GANTRY_ASSIGN_OR_RETURN(const IoBytes io,
                          ReadIoBytes({blkio / "blkio.throttle.io_service_bytes_recursive",
                                       blkio / "blkio.throttle.io_service_bytes"},
                                      &ParseBlkioServiceBytes));
  usage.storage_read_bytes = io.read;
  usage.storage_write_bytes = io.write;
  return usage;
}

absl::StatusOr<CgroupUsage> ReadV2(const std::string& task_id, const fs::path& root) {
  CgroupUsage usage;
  const fs::path task = root / "gantry" / task_id;
  GANTRY_ASSIGN_OR_RETURN(const uint64_t memory_usage, ReadSingleValue(task / "memory.current"));
  // v2's memory.stat is hierarchical already; there is no total_ prefix.
  GANTRY_ASSIGN_OR_RETURN(const uint64_t inactive_file,
                          ReadKeyedValue(task / "memory.stat", "inactive_file"));
  usage.memory_used_bytes = WorkingSet(memory_usage, inactive_file);

  GANTRY_ASSIGN_OR_RETURN(const uint64_t usage_usec,
                          ReadKeyedValue(task / "cpu.stat", "usage_usec"));
  constexpr uint64_t kNsPerUs = 1000;
  usage.cpu_usage_ns = usage_usec > std::numeric_limits<uint64_t>::max() / kNsPerUs
                           ? std::numeric_limits<uint64_t>::max()
                           : usage_usec * kNsPerUs;

  GANTRY_ASSIGN_OR_RETURN(const IoBytes io, ReadIoBytes({task / "io.stat"}, &ParseIoStat));
  usage.storage_read_bytes = io.read;
  usage.storage_write_bytes = io.write;
  return usage;
}

}  // namespace

absl::StatusOr<uint64_t> ParseSingleValue(std::string_view text) {
  const absl::string_view value = absl::StripAsciiWhitespace(ToAbsl(text));
  uint64_t number = 0;
  if (!ParseUnsigned(value, number)) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected one unsigned 64-bit number, got ", Quote(value)));
  }
  return number;
}

absl::StatusOr<uint64_t> ParseKeyedValue(std::string_view text, std::string_view key) {
  for (const absl::string_view line : absl::StrSplit(ToAbsl(text), '\n')) {
    const std::vector<absl::string_view> words = Words(line);
    if (words.empty() || words[0] != ToAbsl(key)) {
      continue;
    }
    uint64_t number = 0;
    if (words.size() != 2 || !ParseUnsigned(words[1], number)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "key \"", ToAbsl(key), "\": expected one unsigned 64-bit number, got ", Quote(line)));
    }
    return number;
  }
  return absl::NotFoundError(absl::StrCat("key \"", ToAbsl(key), "\" not found"));
}

IoBytes ParseBlkioServiceBytes(std::string_view text) {
  IoBytes io;
  for (const absl::string_view line : absl::StrSplit(ToAbsl(text), '\n')) {
    // "<major>:<minor> <operation> <bytes>"; the closing "Total <bytes>" has two words.
    const std::vector<absl::string_view> words = Words(line);
    uint64_t bytes = 0;
    if (words.size() != 3 || !ParseUnsigned(words[2], bytes)) {
      continue;
    }
    if (words[1] == "Read") {
      io.read = SaturatingAdd(io.read, bytes);
    } else if (words[1] == "Write") {
      io.write = SaturatingAdd(io.write, bytes);
    }
  }
  return io;
}

IoBytes ParseIoStat(std::string_view text) {
  IoBytes io;
  for (const absl::string_view line : absl::StrSplit(ToAbsl(text), '\n')) {
    const std::vector<absl::string_view> words = Words(line);
    // words[0] is the device.
    for (size_t i = 1; i < words.size(); ++i) {
      absl::string_view field = words[i];
      uint64_t bytes = 0;
      if (absl::ConsumePrefix(&field, "rbytes=") && ParseUnsigned(field, bytes)) {
        io.read = SaturatingAdd(io.read, bytes);
      } else if (absl::ConsumePrefix(&field, "wbytes=") && ParseUnsigned(field, bytes)) {
        io.write = SaturatingAdd(io.write, bytes);
      }
    }
  }
  return io;
}

absl::StatusOr<CgroupUsage> ReadTaskCgroupUsage(const std::string& task_id,
                                                const std::string& cgroup_root) {
  // The id becomes a path component; "..", "." or a "/" would read some other cgroup.
  if (task_id.empty() || task_id == "." || task_id == ".." ||
      task_id.find_first_of(std::string_view("/\0", 2)) != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("task id ", Quote(task_id), ": must be one path component"));
  }
  const fs::path root = cgroup_root;
  GANTRY_ASSIGN_OR_RETURN(const bool unified, Exists(root / "cgroup.controllers"));
  return unified ? ReadV2(task_id, root) : ReadV1(task_id, root);
}

}  // namespace gantry::agent::containerd
