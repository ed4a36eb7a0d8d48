#include "agent/containerd/log_rotation.h"

#include <system_error>

#include "absl/strings/str_cat.h"

namespace gantry::agent::containerd {
namespace {

namespace fs = std::filesystem;

fs::path Numbered(const fs::path& log, int number) {
  return fs::path(absl::StrCat(log.string(), ".", number));
}

absl::Status Failed(std::string_view what, const fs::path& path, const std::error_code& error) {
  return absl::InternalError(
      absl::StrCat("log rotation: ", std::string(what), " ", path.string(), ": ", error.message()));
}

}  // namespace

absl::Status RotateIfLarger(const fs::path& log, int64_t max_bytes, int files) {
  std::error_code error;
  const uintmax_t size = fs::file_size(log, error);
  if (error || static_cast<int64_t>(size) <= max_bytes) {
    return absl::OkStatus();  // missing (not started yet, or gone) or small enough
  }
  if (files > 1) {
    fs::remove(Numbered(log, files - 1), error);
    for (int number = files - 2; number >= 1; --number) {
      if (fs::exists(Numbered(log, number), error)) {
        fs::rename(Numbered(log, number), Numbered(log, number + 1), error);
        if (error) {
          return Failed("cannot rename", Numbered(log, number), error);
        }
      }
    }
    fs::copy_file(log, Numbered(log, 1), fs::copy_options::overwrite_existing, error);
    if (error) {
      return Failed("cannot copy", log, error);
    }
  }
  fs::resize_file(log, 0, error);
  if (error) {
    return Failed("cannot truncate", log, error);
  }
  return absl::OkStatus();
}

}  // namespace gantry::agent::containerd
