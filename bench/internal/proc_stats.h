// What the processes of a bench run cost, read from Linux's /proc: CPU time of gantryd
// (and of each of its threads), of the PostgreSQL server (postmaster and backends), of
// the agents and of the bench itself; gantryd's peak RSS; the load average.
// Reading never fails loudly: a process that is gone counts as 0. Thread-compatible.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gantry::bench::internal {

// The fields of /proc/PID/stat (or /proc/PID/task/TID/stat) the bench uses.
struct ProcStat {
  pid_t pid = 0;
  pid_t ppid = 0;
  std::string comm;
  int64_t cpu_ticks = 0;       // utime + stime
  int64_t children_ticks = 0;  // cutime + cstime: reaped children
};

// Parses one stat line (pure). INVALID_ARGUMENT when it is not one.
absl::StatusOr<ProcStat> ParseProcStat(absl::string_view line);

double TicksToSeconds(int64_t ticks);

// gantryd's VmHWM (peak resident set) in MiB; 0 when unknown.
double PeakRssMib(pid_t pid);
// The 1-minute load average; 0 when unknown.
double LoadAverage();

struct CpuSample {
  double gantryd_s = 0;
  double postgres_s = 0;  // 0 when the postmaster is unknown (--database-url)
  double agents_s = 0;
  double bench_s = 0;  // this process, all threads
  std::map<pid_t, ProcStat> gantryd_threads;
  std::map<pid_t, ProcStat> postgres_processes;  // the postmaster's live children
};

CpuSample SampleCpu(pid_t gantryd, std::optional<pid_t> postmaster,
                    const std::vector<pid_t>& agents);

// The `n` threads or processes that used the most CPU between two samples of one map.
struct CpuUser {
  pid_t id = 0;
  std::string comm;
  double seconds = 0;
};
std::vector<CpuUser> TopCpuUsers(const std::map<pid_t, ProcStat>& before,
                                 const std::map<pid_t, ProcStat>& after, size_t n);

}  // namespace gantry::bench::internal
