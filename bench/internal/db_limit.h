// The database's own limit for placements, measured on the server gantryd used: pgbench
// runs bench/db_limit.sql (the SQL a placement round minimally needs, batched as gantryd
// batched) against tables shaped like Gantry's in a schema of their own.
//
// Prepare() makes the schema (hosts rows, empty tasks and ENI tables, a sample containers
// JSON), Run() runs pgbench for a while with some clients, Drop() removes the schema.
// Used from one thread; blocking. Errors: FAILED_PRECONDITION (no pgbench), UNAVAILABLE
// (database), INTERNAL (pgbench failed; the message has its output), CANCELLED.
#pragma once

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"
#include "bench/internal/db.h"

namespace gantry::bench::internal {

struct DbLimitOptions {
  std::string conninfo;
  int hosts = 0;
  int batch = 1;  // placements per transaction
  int seconds = 10;
  std::string containers_json;     // one real task's containers column
  std::filesystem::path work_dir;  // the script and pgbench's log go here
};

struct DbLimitResult {
  int clients = 0;
  double transactions_per_s = 0;
  double placements_per_s = 0;  // transactions_per_s * batch
};

absl::Status PrepareDbLimit(BenchDb& db, const DbLimitOptions& options);
absl::StatusOr<DbLimitResult> RunDbLimit(BenchDb& db, const DbLimitOptions& options, int clients);
absl::Status DropDbLimit(BenchDb& db);

}  // namespace gantry::bench::internal
