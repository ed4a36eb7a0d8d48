#include "bench/internal/proc_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace gantry::bench::internal {
namespace {

std::optional<ProcStat> ReadStat(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  absl::StatusOr<ProcStat> stat = ParseProcStat(line);
  if (!stat.ok()) return std::nullopt;
  return *stat;
}

std::vector<pid_t> NumericEntries(const std::string& dir) {
  std::vector<pid_t> ids;
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) return ids;
  while (dirent* entry = ::readdir(handle)) {
    pid_t id = 0;
    if (absl::SimpleAtoi(entry->d_name, &id)) ids.push_back(id);
  }
  ::closedir(handle);
  return ids;
}

double SelfCpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace

absl::StatusOr<ProcStat> ParseProcStat(absl::string_view line) {
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split at the
  // last ')'. Fields after it start with state (field 3); utime is field 14.
  const size_t open = line.find('(');
  const size_t close = line.rfind(')');
  if (open == absl::string_view::npos || close == absl::string_view::npos || close < open) {
    return absl::InvalidArgumentError("not a /proc stat line");
  }
  ProcStat stat;
  absl::string_view head = absl::StripAsciiWhitespace(line.substr(0, open));
  std::vector<absl::string_view> fields =
      absl::StrSplit(line.substr(close + 1), ' ', absl::SkipEmpty());
  int64_t utime = 0, stime = 0, cutime = 0, cstime = 0;
  if (fields.size() < 15 || !absl::SimpleAtoi(head, &stat.pid) ||
      !absl::SimpleAtoi(fields[1], &stat.ppid) || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime) || !absl::SimpleAtoi(fields[13], &cutime) ||
      !absl::SimpleAtoi(fields[14], &cstime)) {
    return absl::InvalidArgumentError("not a /proc stat line");
  }
  stat.comm = std::string(line.substr(open + 1, close - open - 1));
  stat.cpu_ticks = utime + stime;
  stat.children_ticks = cutime + cstime;
  return stat;
}

double TicksToSeconds(int64_t ticks) {
  static const double kTicksPerSecond = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return static_cast<double>(ticks) / kTicksPerSecond;
}

double PeakRssMib(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, "VmHWM:")) {
      rest = absl::StripAsciiWhitespace(rest);
      absl::ConsumeSuffix(&rest, " kB");
      int64_t kib = 0;
      return absl::SimpleAtoi(rest, &kib) ? static_cast<double>(kib) / 1024 : 0;
    }
  }
  return 0;
}

double LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double load = 0;
  in >> load;
  return load;
}

CpuSample SampleCpu(pid_t gantryd, std::optional<pid_t> postmaster,
                    const std::vector<pid_t>& agents) {
  CpuSample sample;
  if (auto stat = ReadStat(absl::StrCat("/proc/", gantryd, "/stat"))) {
    sample.gantryd_s = TicksToSeconds(stat->cpu_ticks);
  }
  for (pid_t tid : NumericEntries(absl::StrCat("/proc/", gantryd, "/task"))) {
    if (auto stat = ReadStat(absl::StrCat("/proc/", gantryd, "/task/", tid, "/stat"))) {
      sample.gantryd_threads[tid] = *stat;
    }
  }
  for (pid_t agent : agents) {
    if (auto stat = ReadStat(absl::StrCat("/proc/", agent, "/stat"))) {
      sample.agents_s += TicksToSeconds(stat->cpu_ticks);
    }
  }
  if (postmaster.has_value()) {
    // Backends that ended were reaped by the postmaster: their time is in its
    // children_ticks. Live ones are found by their parent.
    if (auto stat = ReadStat(absl::StrCat("/proc/", *postmaster, "/stat"))) {
      sample.postgres_s = TicksToSeconds(stat->cpu_ticks + stat->children_ticks);
    }
    for (pid_t pid : NumericEntries("/proc")) {
      auto stat = ReadStat(absl::StrCat("/proc/", pid, "/stat"));
      if (stat && stat->ppid == *postmaster) {
        sample.postgres_s += TicksToSeconds(stat->cpu_ticks);
        sample.postgres_processes[pid] = *stat;
      }
    }
  }
  sample.bench_s = SelfCpuSeconds();
  return sample;
}

std::vector<CpuUser> TopCpuUsers(const std::map<pid_t, ProcStat>& before,
                                 const std::map<pid_t, ProcStat>& after, size_t n) {
  std::vector<CpuUser> users;
  for (const auto& [id, stat] : after) {
    auto it = before.find(id);
    const int64_t ticks = stat.cpu_ticks - (it == before.end() ? 0 : it->second.cpu_ticks);
    users.push_back({id, stat.comm, TicksToSeconds(ticks)});
  }
  std::sort(users.begin(), users.end(),
            [](const CpuUser& a, const CpuUser& b) { return a.seconds > b.seconds; });
  if (users.size() > n) users.resize(n);
  return users;
}

}  // namespace gantry::bench::internal
