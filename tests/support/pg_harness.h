// A real PostgreSQL for *_pgtest.cc tests: one embedded server per test process in a
// temporary directory (started on first use, stopped and removed at exit), a template
// database migrated once, and a fresh database cloned from it for each caller.
#pragma once

#include <filesystem>
#include <string>

namespace gantry::testing {

class PgHarness {
 public:
  // Starts the server on first call; aborts the test process if it cannot.
  static PgHarness& Get();

  // A new, migrated, empty database; returns its libpq connection string.
  std::string NewDatabase();
  // A new database without migrations (for migration tests).
  std::string NewEmptyDatabase();

  // Temporary directory owned by this harness (removed at exit), for tests that need
  // their own files.
  const std::filesystem::path& root() const { return root_; }

 private:
  PgHarness() = default;
  std::string CreateDatabase(bool from_template);
  std::filesystem::path root_;
  int next_database_ = 0;
};

}  // namespace gantry::testing
