// Prometheus text exposition (format 0.0.4) for a `/metrics` endpoint, and a reader of a
// process's standard metrics (CPU, memory, file descriptors, threads, start time) from Linux
// /proc. Generic: it knows the text format and /proc, not which metrics Gantry exports.
//
// Thread-safety: an Exposition is not thread-safe; build one per scrape on one thread. The free
// functions keep no state and are safe to call from any thread.
//
// Errors: Exposition never fails or crashes on bad names (they may come from configuration);
// it leaves the offending family or sample out of the text and records a one-line problem the
// caller can log. The /proc parsers return INVALID_ARGUMENT saying what was malformed;
// ReadProcessStats returns the read or parse error prefixed with the file's path (NOT_FOUND
// when the file does not exist, e.g. the process is gone).
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gantry::prometheus {

// Label name/value pairs of one sample, written in this order.
using Labels = std::vector<std::pair<std::string, std::string>>;

enum class Type { kCounter, kGauge };

// Builds exposition text family by family:
//
//   Exposition e;
//   e.Family("jobs_total", Type::kCounter, "Jobs run.");
//   e.Sample({{"result", "ok"}}, 3);
//   std::string body = e.Take();
//
// Invariants: every family in the text has a valid name that appears once, and every sample
// line belongs to the family started just before it.
class Exposition {
 public:
  // Starts a family: "# HELP <name> <escaped help>\n# TYPE <name> counter|gauge\n". An invalid
  // name ([a-zA-Z_:][a-zA-Z0-9_:]* is allowed) or one already used since the last Take() is
  // recorded in problems(), and the family and its samples are left out.
  void Family(std::string_view name, Type type, std::string_view help);

  // Appends "name{k="v",...} value\n" (no braces when `labels` is empty) to the current family.
  // A sample with an invalid label name ([a-zA-Z_][a-zA-Z0-9_]*) or a label name given twice is
  // recorded in problems() and left out; so is a sample before any Family().
  void Sample(const Labels& labels, double value);

  // Returns the text so far and empties the exposition, so family names may be used again.
  // problems() are kept: the caller usually logs them after serving the text.
  std::string Take();

  // One line per family or sample left out, in the order they were found.
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::string text_;
  // Names of the families accepted since the last Take(), to reject repeats.
  std::set<std::string, std::less<>> family_names_;
  // Name of the family that samples go to; empty when they are to be dropped.
  std::string current_family_;
  // True once Family() has been called since the last Take(), to tell "sample before any
  // family" from "sample of a rejected family" (already reported).
  bool family_started_ = false;
  std::vector<std::string> problems_;
};

// A sample value as Prometheus writes it: integral values with |v| < 2^53 as plain integers
// ("42", "-3", "0"), "NaN", "+Inf", "-Inf", anything else with the fewest significant digits
// (15, 16 or 17) that read back as the same double ("0.5", "0.1", "1e-07"). Independent of the
// C locale.
std::string FormatValue(double value);

// `value` with backslash, double quote and newline escaped as \\, \" and \n.
std::string EscapeLabelValue(std::string_view value);

// What /proc says about a process.
struct ProcessStats {
  double cpu_seconds = 0;            // utime + stime, in seconds
  double start_time_seconds = 0;     // since the Unix epoch
  double virtual_memory_bytes = 0;   // vsize
  double resident_memory_bytes = 0;  // rss pages * page size
  double open_fds = 0;               // entries of /proc/<pid>/fd
  double max_fds = 0;                // soft "Max open files" limit; +Inf when unlimited
  double threads = 0;                // num_threads
};

// Fills every field of `stats` but open_fds and max_fds from one /proc/<pid>/stat line.
// `clock_ticks` is sysconf(_SC_CLK_TCK), `page_size` sysconf(_SC_PAGESIZE) and
// `boot_time_seconds` the btime of /proc/stat. The command name may contain spaces and ')', so
// fields are counted from the last ')'. INVALID_ARGUMENT on a malformed or truncated line or a
// non-positive `clock_ticks`/`page_size`; `stats` is then unchanged.
absl::Status ParseProcStat(std::string_view stat_line, long clock_ticks, long page_size,
                           double boot_time_seconds, ProcessStats& stats);

// The "btime <seconds>" line of /proc/stat's text. INVALID_ARGUMENT when it is missing or not
// a number.
absl::StatusOr<double> ParseBootTime(std::string_view proc_stat);

// The soft limit of the "Max open files" row of /proc/<pid>/limits' text; +Inf for
// "unlimited". INVALID_ARGUMENT when the row is missing or the limit is not a number.
absl::StatusOr<double> ParseMaxOpenFiles(std::string_view limits);

// Reads <proc_dir>/stat, <proc_dir>/limits, <proc_dir>/fd and the /proc/stat next to
// `proc_dir` (its parent directory, so "/proc/1234" reads "/proc/stat"). Blocking file I/O,
// small and local. Errors name the file: NOT_FOUND when it does not exist, other read errors by
// errno, parse errors as INVALID_ARGUMENT. The count of open fds includes the one used to list
// <proc_dir>/fd when reading this process, as the Prometheus client libraries' count does.
absl::StatusOr<ProcessStats> ReadProcessStats(const std::string& proc_dir = "/proc/self");

// Appends the families the Prometheus client libraries use for `stats`:
// process_cpu_seconds_total (counter), process_start_time_seconds,
// process_virtual_memory_bytes, process_resident_memory_bytes, process_open_fds,
// process_max_fds and process_threads (gauges), one unlabelled sample each.
void AppendProcessMetrics(const ProcessStats& stats, Exposition& exposition);

}  // namespace gantry::prometheus
