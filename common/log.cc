#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status_macros.h"

namespace gantry {
namespace internal_check {
void Fail(const char* file, int line, const char* condition) {
  std::fprintf(stderr, "FATAL %s:%d: check failed: %s\n", file, line, condition);
  std::abort();
}
}  // namespace internal_check

namespace log {
namespace {

Level LevelFromEnvironment() {
  const char* env = std::getenv("GANTRY_LOG_LEVEL");
  if (env == nullptr) return Level::kInfo;
  std::string value = absl::AsciiStrToLower(env);
  if (value == "debug") return Level::kDebug;
  if (value == "warning" || value == "warn") return Level::kWarning;
  if (value == "error") return Level::kError;
  return Level::kInfo;
}

// Relaxed is enough: the level is a filter, not a synchronisation point.
std::atomic<int>& MinLevel() {
  static std::atomic<int> level{static_cast<int>(LevelFromEnvironment())};
  return level;
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "DEBUG";
    case Level::kInfo:
      return "INFO";
    case Level::kWarning:
      return "WARN";
    case Level::kError:
      return "ERROR";
  }
  return "INFO";
}

bool NeedsQuotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\n' || c == '\t' || c == '\\') return true;
  }
  return false;
}

void AppendValue(std::string& out, std::string_view value) {
  if (!NeedsQuotes(value)) {
    out.append(value);
    return;
  }
  out.push_back('"');
  for (char c : value) {
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        out.push_back(c);
    }
  }
  out.push_back('"');
}

}  // namespace

void SetMinLevel(Level level) {
  MinLevel().store(static_cast<int>(level), std::memory_order_relaxed);
}

bool Enabled(Level level) {
  return static_cast<int>(level) >= MinLevel().load(std::memory_order_relaxed);
}

std::string Format(Level level, std::string_view event, std::initializer_list<Field> fields) {
  std::string line = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  // absl::string_view is not std::string_view in Debian's Abseil, so append directly.
  line.append(" ").append(LevelName(level)).append(" event=").append(event);
  for (const Field& field : fields) {
    line.append(" ").append(field.key).append("=");
    AppendValue(line, field.value);
  }
  line.push_back('\n');
  return line;
}

void Write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  std::string line = Format(level, event, fields);
  // One write(2) per line keeps lines from different threads whole.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace log
}  // namespace gantry
