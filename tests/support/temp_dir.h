// A temporary directory for one test or test suite, removed with everything in it when
// the owner goes away. Set GANTRY_KEEP_TEST_DIRS=1 to keep it for a post-mortem (its
// path is printed to stderr then).
//
// Not thread-safe; errors are INTERNAL with the failing call and errno text.
#pragma once

#include <filesystem>
#include <string>
#include <utility>

#include "absl/status/statusor.h"

namespace gantry::testing {

class TempDir {
 public:
  // Creates `$TMPDIR/<prefix>-XXXXXX` (/tmp when TMPDIR is unset) with mode 0755, so
  // that PostgreSQL, which runs as the `postgres` user when tests run as root, can
  // reach data directories below it.
  static absl::StatusOr<TempDir> Create(const std::string& prefix);

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }

 private:
  explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
  void Remove();

  std::filesystem::path path_;  // empty once moved from
};

}  // namespace gantry::testing
