// Container members that shape the running process: restartPolicy, linuxParameters
// (contract 1.6), start/stop timeouts, user, ulimits and healthCheck (contract 1.9).
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "taskdef/internal/problems.h"
#include "taskdef/internal/rules.h"

namespace gantry::taskdef::internal {
namespace {

constexpr int kMaxIgnoredExitCodes = 50;
constexpr int64_t kMaxNofile = 1048576;
constexpr uint32_t kMaxId = 4294967294u;  // 2^32 - 2; 2^32 - 1 is the kernel's "no id"

// Linux capability names as ECS's KernelCapabilities lists them.
const std::vector<absl::string_view>& CapabilityNames() {
  static const std::vector<absl::string_view> kNames = {
      "ALL",        "AUDIT_CONTROL",   "AUDIT_WRITE",      "BLOCK_SUSPEND",
      "CHOWN",      "DAC_OVERRIDE",    "DAC_READ_SEARCH",  "FOWNER",
      "FSETID",     "IPC_LOCK",        "IPC_OWNER",        "KILL",
      "LEASE",      "LINUX_IMMUTABLE", "MAC_ADMIN",        "MAC_OVERRIDE",
      "MKNOD",      "NET_ADMIN",       "NET_BIND_SERVICE", "NET_BROADCAST",
      "NET_RAW",    "SETFCAP",         "SETGID",           "SETPCAP",
      "SETUID",     "SYS_ADMIN",       "SYS_BOOT",         "SYS_CHROOT",
      "SYS_MODULE", "SYS_NICE",        "SYS_PACCT",        "SYS_PTRACE",
      "SYS_RAWIO",  "SYS_RESOURCE",    "SYS_TIME",         "SYS_TTY_CONFIG",
      "SYSLOG",     "WAKE_ALARM"};
  return kNames;
}

const std::vector<absl::string_view>& UlimitNames() {
  static const std::vector<absl::string_view> kNames = {
      "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
      "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};
  return kNames;
}

bool Contains(const std::vector<absl::string_view>& list, absl::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

void RefuseOnFargate(bool present, absl::string_view path, Problems* problems) {
  if (present) {
    problems->Add(path, "not supported on Fargate; remove it");
  }
}

void CheckCapabilities(const gantry::v1::KernelCapabilities& capabilities, absl::string_view path,
                       Problems* problems) {
  for (int k = 0; k < capabilities.add_size(); ++k) {
    if (capabilities.add(k) != "SYS_PTRACE") {
      problems->Add(Item(Field(path, "add"), k),
                    absl::StrCat(Quote(capabilities.add(k)),
                                 " is not allowed on Fargate; only SYS_PTRACE can be added"));
    }
  }
  // Any capability may be dropped; the name must still be one (our choice: the runtime
  // would refuse an unknown name when the task starts).
  for (int k = 0; k < capabilities.drop_size(); ++k) {
    if (!Contains(CapabilityNames(), capabilities.drop(k))) {
      problems->Add(Item(Field(path, "drop"), k),
                    absl::StrCat(Quote(capabilities.drop(k)),
                                 " is not a Linux capability; use a name such as NET_RAW, "
                                 "without the CAP_ prefix, or ALL"));
    }
  }
}

// A user or group part: a non-negative id, or a name of letters, digits, `_ . -`
// that does not start with `-`.
bool IsUserPart(absl::string_view part) {
  if (IsDigits(part)) {
    uint64_t id = 0;
    return part.size() <= 10 && absl::SimpleAtoi(part, &id) && id <= kMaxId;
  }
  if (part.empty() || part.front() == '-') {
    return false;
  }
  return std::all_of(part.begin(), part.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

void CheckHealthCommand(const gantry::v1::HealthCheck& check, absl::string_view path,
                        Problems* problems) {
  const std::string command_path = Field(path, "command");
  if (check.command_size() == 0) {
    problems->Add(command_path,
                  "missing; use [\"CMD\", executable, args...] or [\"CMD-SHELL\", command]");
  } else if (check.command(0) != "CMD" && check.command(0) != "CMD-SHELL") {
    problems->Add(Item(command_path, 0),
                  absl::StrCat(Quote(check.command(0)),
                               " must be \"CMD\" or \"CMD-SHELL\"; start the command with one"));
  } else if (check.command_size() < 2) {
    problems->Add(command_path, absl::StrCat("has only ", Quote(check.command(0)),
                                             "; give the command to run after it"));
  }
}

void CheckRange(bool present, int32_t value, int32_t min, int32_t max, absl::string_view unit,
                absl::string_view path, Problems* problems) {
  if (present && (value < min || value > max)) {
    problems->Add(path,
                  absl::StrCat(value, unit, " is out of range; use ", min, " to ", max, unit));
  }
}

}  // namespace

void CheckRestartPolicy(const gantry::v1::ContainerRestartPolicy& policy, absl::string_view path,
                        Problems* problems) {
  if (!policy.has_enabled()) {
    problems->Add(Field(path, "enabled"), "missing; use true or false");
  }
  if (policy.ignored_exit_codes_size() > kMaxIgnoredExitCodes) {
    // ECS developer guide limit; not in the contract.
    problems->Add(Field(path, "ignoredExitCodes"),
                  absl::StrCat(policy.ignored_exit_codes_size(),
                               " exit codes is more than the limit; use at most 50"));
  }
  CheckRange(policy.has_restart_attempt_period(), policy.restart_attempt_period(), 60, 1800, " s",
             Field(path, "restartAttemptPeriod"), problems);
}

void CheckLinuxParameters(const gantry::v1::LinuxParameters& params, absl::string_view path,
                          Problems* problems) {
  if (params.has_capabilities()) {
    CheckCapabilities(params.capabilities(), Field(path, "capabilities"), problems);
  }
  RefuseOnFargate(params.devices_size() > 0, Field(path, "devices"), problems);
  RefuseOnFargate(params.has_shared_memory_size(), Field(path, "sharedMemorySize"), problems);
  RefuseOnFargate(params.tmpfs_size() > 0, Field(path, "tmpfs"), problems);
  RefuseOnFargate(params.has_max_swap(), Field(path, "maxSwap"), problems);
  RefuseOnFargate(params.has_swappiness(), Field(path, "swappiness"), problems);
}

void CheckTimeout(const gantry::v1::ContainerDefinition& container, bool start,
                  absl::string_view path, Problems* problems) {
  if (start) {
    CheckRange(container.has_start_timeout(), container.start_timeout(), 2, 120, " s",
               Field(path, "startTimeout"), problems);
  } else {
    CheckRange(container.has_stop_timeout(), container.stop_timeout(), 2, 120, " s",
               Field(path, "stopTimeout"), problems);
  }
}

void CheckUser(absl::string_view user, absl::string_view path, Problems* problems) {
  const size_t colon = user.find(':');
  const bool valid = colon == absl::string_view::npos
                         ? IsUserPart(user)
                         : IsUserPart(user.substr(0, colon)) && IsUserPart(user.substr(colon + 1));
  if (!valid) {
    problems->Add(path, absl::StrCat(Quote(user),
                                     " is not a user; use user, user:group, uid, uid:gid, "
                                     "user:gid or uid:group"));
  }
}

void CheckUlimits(const gantry::v1::ContainerDefinition& container, absl::string_view path,
                  Problems* problems) {
  absl::flat_hash_map<std::string, int> seen;
  for (int k = 0; k < container.ulimits_size(); ++k) {
    const gantry::v1::Ulimit& ulimit = container.ulimits(k);
    const std::string item = Item(Field(path, "ulimits"), k);
    if (!Contains(UlimitNames(), ulimit.name())) {
      problems->Add(Field(item, "name"),
                    absl::StrCat(Quote(ulimit.name()), " is not a ulimit; use ",
                                 JoinAlternatives(UlimitNames(), /*quoted=*/false)));
    } else if (auto [it, inserted] = seen.try_emplace(ulimit.name(), k); !inserted) {
      // Our choice: Docker would silently keep only one of them.
      problems->Add(Field(item, "name"), absl::StrCat(Quote(ulimit.name()), " is already set by ",
                                                      Item(Field(path, "ulimits"), it->second),
                                                      "; set each ulimit once"));
    }
    if (!ulimit.has_soft_limit()) {
      problems->Add(Field(item, "softLimit"), "missing; give the soft limit");
    }
    if (!ulimit.has_hard_limit()) {
      problems->Add(Field(item, "hardLimit"), "missing; give the hard limit");
    } else if (ulimit.has_soft_limit() && ulimit.soft_limit() > ulimit.hard_limit()) {
      problems->Add(Field(item, "softLimit"),
                    absl::StrCat(ulimit.soft_limit(), " is above the hard limit (",
                                 ulimit.hard_limit(), "); use at most the hard limit"));
    }
    // Fargate's nofile ceiling (contract marks the value unverified; AWS documents it).
    if (ulimit.name() == "nofile" && ulimit.hard_limit() > kMaxNofile) {
      problems->Add(Field(item, "hardLimit"),
                    absl::StrCat(ulimit.hard_limit(),
                                 " is above Fargate's nofile limit; use at most 1048576"));
    }
  }
}

void CheckHealthCheck(const gantry::v1::HealthCheck& check, absl::string_view path,
                      Problems* problems) {
  CheckHealthCommand(check, path, problems);
  CheckRange(check.has_interval(), check.interval(), 5, 300, " s", Field(path, "interval"),
             problems);
  CheckRange(check.has_timeout(), check.timeout(), 2, 60, " s", Field(path, "timeout"), problems);
  CheckRange(check.has_retries(), check.retries(), 1, 10, "", Field(path, "retries"), problems);
  CheckRange(check.has_start_period(), check.start_period(), 0, 300, " s",
             Field(path, "startPeriod"), problems);
}

}  // namespace gantry::taskdef::internal
