#include "agent/log_reader.h"

#include <algorithm>
#include <fstream>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace gantry::agent {

LogWindow PlanLogRead(int64_t size, int64_t start_offset, int32_t max_bytes) {
  const int64_t limit = std::max<int64_t>(0, max_bytes);
  int64_t begin = start_offset;
  if (begin < 0) {
    begin = std::max<int64_t>(0, size - limit);
  } else if (begin > size) {
    begin = 0;  // rotated
  }
  return {begin, std::min(size, begin + limit)};
}

LogChunk SliceLog(const std::string& log, int64_t start_offset, int32_t max_bytes) {
  const LogWindow window = PlanLogRead(static_cast<int64_t>(log.size()), start_offset, max_bytes);
  return {
      log.substr(static_cast<size_t>(window.begin), static_cast<size_t>(window.end - window.begin)),
      window.end};
}

absl::StatusOr<LogChunk> ReadLogFile(const std::filesystem::path& path, int64_t start_offset,
                                     int32_t max_bytes) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error) {
    if (error == std::errc::no_such_file_or_directory) {
      return LogChunk{};
    }
    return absl::InternalError(absl::StrCat(path.string(), ": ", error.message()));
  }
  const LogWindow window = PlanLogRead(static_cast<int64_t>(size), start_offset, max_bytes);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InternalError(absl::StrCat(path.string(), ": cannot open"));
  }
  LogChunk chunk;
  chunk.data.resize(static_cast<size_t>(window.end - window.begin));
  in.seekg(window.begin);
  in.read(chunk.data.data(), static_cast<std::streamsize>(chunk.data.size()));
  // The file may have been truncated (rotated) between the size and the read.
  chunk.data.resize(static_cast<size_t>(std::max<std::streamsize>(0, in.gcount())));
  chunk.next_offset = window.begin + static_cast<int64_t>(chunk.data.size());
  return chunk;
}

}  // namespace gantry::agent
