// Size-based rotation of the container log files the containerd shim writes
// (<task dir>/<container>.log). The shim keeps its file open in append mode, so a file
// is rotated by copying it aside and truncating it in place (copytruncate): the shim's
// next write lands at the start of the emptied file. Lines written between the copy
// and the truncation are lost; a pipe-based log driver (the FireLens seam) would not
// have that window.
//
// Thread-safety: calls on different files may run at once. Errors: INTERNAL with the
// file and the system error.
#pragma once

#include <cstdint>
#include <filesystem>

#include "absl/status/status.h"

namespace gantry::agent::containerd {

inline constexpr int64_t kDefaultLogMaxBytes = int64_t{10} << 20;
inline constexpr int kDefaultLogFiles = 3;  // the live file and two old ones

// When `log` is larger than `max_bytes`: log.(N-1) becomes log.N (the oldest beyond
// `files - 1` is dropped), the live file is copied to log.1 and truncated. No-op for a
// smaller or missing file; `files` of 1 keeps no old file (the live one is truncated).
absl::Status RotateIfLarger(const std::filesystem::path& log, int64_t max_bytes, int files);

}  // namespace gantry::agent::containerd
