#include <map>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "storage/internal/errors.h"
#include "storage/storage.h"

namespace gantry::storage {
namespace {

// Transaction-scoped, so a crashed migrator releases it. The key is "gantry" + 1.
constexpr int64_t kMigrationLockKey = 0x67616e7472790001;

constexpr char kLock[] = "SELECT pg_advisory_xact_lock($1)";
constexpr char kCreateTable[] = R"sql(
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer     PRIMARY KEY,
    name        text        NOT NULL,
    checksum    text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
  ))sql";
constexpr char kApplied[] = "SELECT version, name, checksum FROM schema_migrations";
// PostgreSQL computes the SHA-256, so Gantry needs no crypto library for it.
constexpr char kChecksum[] = "SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')";
constexpr char kRecord[] =
    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)";

struct Applied {
  std::string name;
  std::string checksum;
};

std::map<int32_t, Applied> ReadApplied(pqxx::work& tx) {
  std::map<int32_t, Applied> applied;
  for (const auto& row : tx.exec(kApplied)) {
    applied[row[0].as<int32_t>()] = Applied{row[1].as<std::string>(), row[2].as<std::string>()};
  }
  return applied;
}

std::string Checksum(pqxx::work& tx, const Migration& migration) {
  return tx.exec_params1(kChecksum, migration.sql)[0].as<std::string>();
}

// Under the lock: refuses a database whose applied migrations differ from ours.
absl::Status CheckApplied(pqxx::work& tx, const std::vector<Migration>& migrations) {
  std::map<int32_t, Applied> applied = ReadApplied(tx);
  std::vector<std::string> problems;
  for (const Migration& migration : migrations) {
    auto it = applied.find(migration.version);
    if (it == applied.end()) continue;
    if (it->second.checksum != Checksum(tx, migration)) {
      problems.push_back(absl::StrCat(
          "migration ", migration.version, "_", migration.name,
          " was changed after it was applied (checksum ", it->second.checksum.substr(0, 12),
          "... in the database); applied migrations must never be edited: restore the file and "
          "add a new migration instead"));
    }
    applied.erase(it);
  }
  for (const auto& [version, row] : applied) {
    problems.push_back(absl::StrCat("the database has migration ", version, "_", row.name,
                                    " which this gantryd does not know; run a newer gantryd"));
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrJoin(problems, "\n"));
}

}  // namespace

absl::StatusOr<std::vector<int32_t>> Migrate(Connection& connection,
                                             const std::vector<Migration>& migrations) {
  GANTRY_RETURN_IF_ERROR(
      internal::InTransaction(connection, "migrate", [&](pqxx::work& tx) -> absl::Status {
        tx.exec_params(kLock, kMigrationLockKey);
        tx.exec0(kCreateTable);
        return CheckApplied(tx, migrations);
      }));
  std::vector<int32_t> applied_now;
  for (const Migration& migration : migrations) {
    GANTRY_ASSIGN_OR_RETURN(
        bool applied,
        internal::InTransaction(connection, "migrate", [&](pqxx::work& tx) -> absl::StatusOr<bool> {
          tx.exec_params(kLock, kMigrationLockKey);
          // Another gantryd may have applied it while we waited for the lock.
          if (ReadApplied(tx).contains(migration.version)) return false;
          tx.exec(migration.sql);
          tx.exec_params(kRecord, migration.version, migration.name, Checksum(tx, migration));
          return true;
        }));
    if (applied) {
      applied_now.push_back(migration.version);
      log::Info("migration_applied", {{"version", migration.version}, {"name", migration.name}});
    }
  }
  return applied_now;
}

}  // namespace gantry::storage
