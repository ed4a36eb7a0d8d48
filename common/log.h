// Structured logging to stderr: one line per event, a level, a fixed event name and
// key=value fields, e.g.
//   2026-11-25T16:00:00.123Z INFO event=migration_applied version=1 name=init
// Thread-safe (each line is written with one write(2) call). Values containing spaces,
// quotes or '=' are quoted. Never log credentials, task environments or request bodies.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"

namespace gantry::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Lines below `level` are dropped. Default kInfo; GANTRY_LOG_LEVEL=debug|info|warning|error
// in the environment overrides it at first use.
void SetMinLevel(Level level);
bool Enabled(Level level);

struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  template <typename T>
  Field(std::string_view k, T v) : key(k), value(absl::StrCat(v)) {}
  std::string_view key;
  std::string value;
};

void Write(Level level, std::string_view event, std::initializer_list<Field> fields);

// Formats one line without writing it (for tests and for capture).
std::string Format(Level level, std::string_view event, std::initializer_list<Field> fields);

inline void Debug(std::string_view event, std::initializer_list<Field> fields = {}) {
  if (Enabled(Level::kDebug)) Write(Level::kDebug, event, fields);
}
inline void Info(std::string_view event, std::initializer_list<Field> fields = {}) {
  Write(Level::kInfo, event, fields);
}
inline void Warning(std::string_view event, std::initializer_list<Field> fields = {}) {
  Write(Level::kWarning, event, fields);
}
inline void Error(std::string_view event, std::initializer_list<Field> fields = {}) {
  Write(Level::kError, event, fields);
}

}  // namespace gantry::log
