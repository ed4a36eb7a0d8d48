#include "common/prometheus.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"

namespace gantry::prometheus {
namespace {

// Our Abseil's string_view is its own type, not std::string_view.
absl::string_view Absl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

// `text` in double quotes with quotes, backslashes and control bytes escaped, so a problem stays
// one readable line whatever the caller passed.
std::string Quote(std::string_view text) {
  return absl::StrCat("\"", absl::CHexEscape(Absl(text)), "\"");
}

bool IsNameStart(char c, bool allow_colon) {
  return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         (allow_colon && c == ':');
}

// Metric names are [a-zA-Z_:][a-zA-Z0-9_:]*; label names the same without ':'.
bool IsValidName(std::string_view name, bool allow_colon) {
  if (name.empty() || !IsNameStart(name[0], allow_colon)) {
    return false;
  }
  for (char c : name.substr(1)) {
    if (!IsNameStart(c, allow_colon) && !absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// HELP text escapes only backslash and newline in format 0.0.4 (a quote stays as it is).
std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Returns the problem with `labels` (a bad or repeated name), or "" when they may be written.
std::string LabelProblem(const Labels& labels) {
  for (size_t i = 0; i < labels.size(); ++i) {
    const std::string& name = labels[i].first;
    if (!IsValidName(name, /*allow_colon=*/false)) {
      return absl::StrCat("label name ", Quote(name), " is not valid; use [a-zA-Z_][a-zA-Z0-9_]*");
    }
    // Quadratic, but a sample has a handful of labels and this avoids allocating a set per line.
    for (size_t j = 0; j < i; ++j) {
      if (labels[j].first == name) {
        return absl::StrCat("label name ", Quote(name), " is given twice");
      }
    }
  }
  return "";
}

// /proc files are a few KiB (/proc/stat grows with CPUs and interrupts); anything this large is
// not the file we expect, so we stop instead of buffering it.
constexpr size_t kMaxProcFileBytes = 1 << 20;

absl::Status ErrnoError(int error_number, const std::string& path) {
  return absl::ErrnoToStatus(error_number, path);
}

absl::Status WithPath(const absl::Status& status, const std::string& path) {
  return absl::Status(status.code(), absl::StrCat(path, ": ", status.message()));
}

// Reads with open/read rather than ifstream: /proc files report size 0, and errno is what tells
// a vanished process (NOT_FOUND) from a permission problem.
absl::StatusOr<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return ErrnoError(errno, path);
  }
  std::string content;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      int error_number = errno;
      ::close(fd);
      return ErrnoError(error_number, path);
    }
    if (n == 0) {
      break;
    }
    content.append(buffer, static_cast<size_t>(n));
    if (content.size() > kMaxProcFileBytes) {
      ::close(fd);
      return absl::ResourceExhaustedError(
          absl::StrCat(path, ": larger than ", kMaxProcFileBytes, " bytes"));
    }
  }
  ::close(fd);
  return content;
}

// Number of entries of `dir` other than "." and "..".
absl::StatusOr<double> CountEntries(const std::string& dir) {
  DIR* stream = ::opendir(dir.c_str());
  if (stream == nullptr) {
    return ErrnoError(errno, dir);
  }
  double count = 0;
  for (;;) {
    // readdir returns null both at the end and on error; only errno tells them apart.
    errno = 0;
    const dirent* entry = ::readdir(stream);
    if (entry == nullptr) {
      break;
    }
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") {
      ++count;
    }
  }
  int error_number = errno;
  ::closedir(stream);
  if (error_number != 0) {
    return ErrnoError(error_number, dir);
  }
  return count;
}

// The directory holding `proc_dir` ("/proc/self" -> "/proc"), where /proc/stat lives.
std::string ProcRoot(std::string proc_dir) {
  while (proc_dir.size() > 1 && proc_dir.back() == '/') {
    proc_dir.pop_back();
  }
  size_t slash = proc_dir.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return proc_dir.substr(0, slash);
}

template <typename Int>
absl::StatusOr<Int> ParseStatField(const std::vector<absl::string_view>& fields, int field_number,
                                   absl::string_view field_name) {
  // `fields` starts at field 3 (state), the first one after the command name.
  absl::string_view text = fields[static_cast<size_t>(field_number - 3)];
  Int value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    return absl::InvalidArgumentError(absl::StrCat("field ", field_number, " (", field_name, ") \"",
                                                   absl::CHexEscape(text), "\" is not a number"));
  }
  return value;
}

void AppendUnlabelled(std::string_view name, Type type, std::string_view help, double value,
                      Exposition& exposition) {
  exposition.Family(name, type, help);
  exposition.Sample({}, value);
}

}  // namespace

void Exposition::Family(std::string_view name, Type type, std::string_view help) {
  family_started_ = true;
  current_family_.clear();
  if (!IsValidName(name, /*allow_colon=*/true)) {
    problems_.push_back(absl::StrCat("family ", Quote(name),
                                     ": not a valid metric name, use [a-zA-Z_:][a-zA-Z0-9_:]*; "
                                     "left out with its samples"));
    return;
  }
  if (!family_names_.emplace(name).second) {
    problems_.push_back(absl::StrCat("family ", Quote(name),
                                     ": repeats an earlier family; left out with its samples"));
    return;
  }
  current_family_ = name;
  absl::StrAppend(&text_, "# HELP ", current_family_, " ", EscapeHelp(help), "\n# TYPE ",
                  current_family_, " ", type == Type::kCounter ? "counter" : "gauge", "\n");
}

void Exposition::Sample(const Labels& labels, double value) {
  if (!family_started_) {
    problems_.push_back("sample before any family: left out");
    return;
  }
  if (current_family_.empty()) {
    // The rejected family was reported once; one line per dropped sample would only add noise.
    return;
  }
  if (std::string problem = LabelProblem(labels); !problem.empty()) {
    problems_.push_back(
        absl::StrCat("family ", Quote(current_family_), ": sample left out: ", problem));
    return;
  }
  text_ += current_family_;
  if (!labels.empty()) {
    text_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      absl::StrAppend(&text_, i == 0 ? "" : ",", labels[i].first, "=\"",
                      EscapeLabelValue(labels[i].second), "\"");
    }
    text_ += '}';
  }
  absl::StrAppend(&text_, " ", FormatValue(value), "\n");
}

std::string Exposition::Take() {
  std::string text = std::move(text_);
  text_.clear();
  family_names_.clear();
  current_family_.clear();
  family_started_ = false;
  return text;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  // Below 2^53 every integral double is exact in an int64, so it prints without exponent.
  constexpr double kTwoTo53 = 9007199254740992.0;
  if (std::fabs(value) < kTwoTo53 && value == std::trunc(value)) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  // to_chars/from_chars rather than printf/strtod: they ignore the C locale, whose decimal
  // comma would break the format. 17 digits always round-trip, so the loop returns by then.
  char buffer[32];
  for (int precision : {15, 16, 17}) {
    std::to_chars_result written = std::to_chars(buffer, buffer + sizeof(buffer), value,
                                                 std::chars_format::general, precision);
    double parsed = 0;
    std::from_chars(buffer, written.ptr, parsed);
    if (parsed == value || precision == 17) {
      return std::string(buffer, written.ptr);
    }
  }
  return "NaN";  // Unreachable: precision 17 returns above.
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

absl::Status ParseProcStat(std::string_view stat_line, long clock_ticks, long page_size,
                           double boot_time_seconds, ProcessStats& stats) {
  if (clock_ticks <= 0 || page_size <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "clock ticks (", clock_ticks, ") and page size (", page_size, ") must be positive"));
  }
  // The command name (field 2) is in parentheses and may itself contain spaces and ')', but
  // nothing after it can contain ')', so the last one ends it.
  size_t close_paren = stat_line.rfind(')');
  if (close_paren == std::string_view::npos) {
    return absl::InvalidArgumentError("no ')' closing the command name");
  }
  std::vector<absl::string_view> fields = absl::StrSplit(
      Absl(stat_line.substr(close_paren + 1)), absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
  // Fields 3 (state) to 24 (rss).
  constexpr size_t kWantFields = 22;
  if (fields.size() < kWantFields) {
    return absl::InvalidArgumentError(absl::StrCat("has ", fields.size(),
                                                   " fields after the command name; want at least ",
                                                   kWantFields, " (up to rss)"));
  }
  GANTRY_ASSIGN_OR_RETURN(uint64_t utime, ParseStatField<uint64_t>(fields, 14, "utime"));
  GANTRY_ASSIGN_OR_RETURN(uint64_t stime, ParseStatField<uint64_t>(fields, 15, "stime"));
  GANTRY_ASSIGN_OR_RETURN(int64_t threads, ParseStatField<int64_t>(fields, 20, "num_threads"));
  GANTRY_ASSIGN_OR_RETURN(uint64_t start_ticks, ParseStatField<uint64_t>(fields, 22, "starttime"));
  GANTRY_ASSIGN_OR_RETURN(uint64_t vsize, ParseStatField<uint64_t>(fields, 23, "vsize"));
  GANTRY_ASSIGN_OR_RETURN(int64_t rss_pages, ParseStatField<int64_t>(fields, 24, "rss"));

  const double ticks = static_cast<double>(clock_ticks);
  stats.cpu_seconds = static_cast<double>(utime + stime) / ticks;
  stats.start_time_seconds = boot_time_seconds + static_cast<double>(start_ticks) / ticks;
  stats.virtual_memory_bytes = static_cast<double>(vsize);
  stats.resident_memory_bytes = static_cast<double>(rss_pages) * static_cast<double>(page_size);
  stats.threads = static_cast<double>(threads);
  return absl::OkStatus();
}

absl::StatusOr<double> ParseBootTime(std::string_view proc_stat) {
  for (absl::string_view line : absl::StrSplit(Absl(proc_stat), '\n')) {
    if (!absl::StartsWith(line, "btime ")) {
      continue;
    }
    absl::string_view text = absl::StripAsciiWhitespace(line.substr(6));
    int64_t seconds = 0;
    if (!absl::SimpleAtoi(text, &seconds)) {
      return absl::InvalidArgumentError(
          absl::StrCat("btime \"", absl::CHexEscape(text), "\" is not a number"));
    }
    return static_cast<double>(seconds);
  }
  return absl::InvalidArgumentError("no \"btime\" line");
}

absl::StatusOr<double> ParseMaxOpenFiles(std::string_view limits) {
  constexpr absl::string_view kRow = "Max open files";
  for (absl::string_view line : absl::StrSplit(Absl(limits), '\n')) {
    if (!absl::StartsWith(line, kRow)) {
      continue;
    }
    std::vector<absl::string_view> columns =
        absl::StrSplit(line.substr(kRow.size()), absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (columns.empty()) {
      return absl::InvalidArgumentError("\"Max open files\" row has no soft limit");
    }
    if (columns[0] == "unlimited") {
      return std::numeric_limits<double>::infinity();
    }
    uint64_t soft_limit = 0;
    if (!absl::SimpleAtoi(columns[0], &soft_limit)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"Max open files\" soft limit \"", absl::CHexEscape(columns[0]), "\" is not a number"));
    }
    return static_cast<double>(soft_limit);
  }
  return absl::InvalidArgumentError("no \"Max open files\" row");
}

absl::StatusOr<ProcessStats> ReadProcessStats(const std::string& proc_dir) {
  const long clock_ticks = ::sysconf(_SC_CLK_TCK);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (clock_ticks <= 0 || page_size <= 0) {
    return absl::InternalError("sysconf cannot tell the clock tick rate or the page size");
  }
  ProcessStats stats;

  // The process's own stat first, so a wrong or vanished process is reported on its file.
  const std::string stat_path = proc_dir + "/stat";
  GANTRY_ASSIGN_OR_RETURN(std::string stat_line, ReadFile(stat_path));

  const std::string proc_stat_path = ProcRoot(proc_dir) + "/stat";
  GANTRY_ASSIGN_OR_RETURN(std::string proc_stat, ReadFile(proc_stat_path));
  absl::StatusOr<double> boot_time = ParseBootTime(proc_stat);
  if (!boot_time.ok()) {
    return WithPath(boot_time.status(), proc_stat_path);
  }
  if (absl::Status parsed = ParseProcStat(stat_line, clock_ticks, page_size, *boot_time, stats);
      !parsed.ok()) {
    return WithPath(parsed, stat_path);
  }

  const std::string limits_path = proc_dir + "/limits";
  GANTRY_ASSIGN_OR_RETURN(std::string limits, ReadFile(limits_path));
  absl::StatusOr<double> max_fds = ParseMaxOpenFiles(limits);
  if (!max_fds.ok()) {
    return WithPath(max_fds.status(), limits_path);
  }
  stats.max_fds = *max_fds;

  GANTRY_ASSIGN_OR_RETURN(stats.open_fds, CountEntries(proc_dir + "/fd"));
  return stats;
}

void AppendProcessMetrics(const ProcessStats& stats, Exposition& exposition) {
  AppendUnlabelled("process_cpu_seconds_total", Type::kCounter,
                   "Total user and system CPU time spent in seconds.", stats.cpu_seconds,
                   exposition);
  AppendUnlabelled("process_start_time_seconds", Type::kGauge,
                   "Start time of the process since unix epoch in seconds.",
                   stats.start_time_seconds, exposition);
  AppendUnlabelled("process_virtual_memory_bytes", Type::kGauge, "Virtual memory size in bytes.",
                   stats.virtual_memory_bytes, exposition);
  AppendUnlabelled("process_resident_memory_bytes", Type::kGauge, "Resident memory size in bytes.",
                   stats.resident_memory_bytes, exposition);
  AppendUnlabelled("process_open_fds", Type::kGauge, "Number of open file descriptors.",
                   stats.open_fds, exposition);
  AppendUnlabelled("process_max_fds", Type::kGauge, "Maximum number of open file descriptors.",
                   stats.max_fds, exposition);
  AppendUnlabelled("process_threads", Type::kGauge, "Number of OS threads in the process.",
                   stats.threads, exposition);
}

}  // namespace gantry::prometheus
