// Reading a piece of a container's log for gantryctl logs (LogRequest in agent.proto):
// which bytes to read (pure) and reading them from a file. Offsets count bytes of the
// current log file. The containerd runtime rotates by copy and truncate, so a log that
// shrank below a reader's offset was rotated: the read starts again at 0.
//
// Thread-safety: stateless, any thread. Errors: a log file that does not exist is an
// empty chunk; other read failures are INTERNAL with the path.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "absl/status/statusor.h"

namespace gantry::agent {

struct LogChunk {
  std::string data;
  int64_t next_offset = 0;
};

struct LogWindow {
  int64_t begin = 0;
  int64_t end = 0;  // exclusive
};

// The bytes to read of a log of `size` bytes: from `start_offset` (-1: the last
// `max_bytes`), at most `max_bytes`; from 0 when `start_offset` lies past the end (the
// log was rotated).
LogWindow PlanLogRead(int64_t size, int64_t start_offset, int32_t max_bytes);

// The window of `log` (an in-memory log).
LogChunk SliceLog(const std::string& log, int64_t start_offset, int32_t max_bytes);

// The window of the file at `path`; an empty chunk when the file does not exist yet
// (the container has not written anything).
absl::StatusOr<LogChunk> ReadLogFile(const std::filesystem::path& path, int64_t start_offset,
                                     int32_t max_bytes);

}  // namespace gantry::agent
