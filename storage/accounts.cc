// Accounts and their access keys. Secrets arrive sealed (auth::SecretBox) and are stored
// as bytea without storage ever looking inside.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "storage/internal/commands.h"
#include "storage/internal/errors.h"
#include "storage/internal/json.h"
#include "storage/internal/statements.h"
#include "storage/storage.h"

namespace gantry::storage {
namespace {

#define GANTRY_ACCOUNT_COLUMNS \
  "account_id, name, is_admin, (extract(epoch FROM created_at) * 1000000)::int8"
#define GANTRY_KEY_COLUMNS                                   \
  "access_key_id, account_id, kind, sealed_secret, status, " \
  "(extract(epoch FROM created_at) * 1000000)::int8"

// No conflict target: a taken id and a taken name both come back as no row, and the
// caller tells them apart by looking the id up.
constexpr char kInsertAccount[] = R"sql(
  INSERT INTO accounts (account_id, name, is_admin) VALUES ($1, $2, $3)
  ON CONFLICT DO NOTHING
  RETURNING )sql" GANTRY_ACCOUNT_COLUMNS;
constexpr char kSelectAccount[] =
    "SELECT " GANTRY_ACCOUNT_COLUMNS " FROM accounts WHERE account_id = $1";
constexpr char kMakeAdmin[] = R"sql(
  UPDATE accounts SET is_admin = true WHERE account_id = $1
  RETURNING )sql" GANTRY_ACCOUNT_COLUMNS;
constexpr char kListAccounts[] =
    "SELECT " GANTRY_ACCOUNT_COLUMNS " FROM accounts ORDER BY account_id";

// Creating a key holds the account's row lock from its count to its insert, so that
// concurrent creations for one account queue up and each counts the others' keys.
constexpr char kLockAccount[] = "SELECT 1 FROM accounts WHERE account_id = $1 FOR UPDATE";
constexpr char kCountKeys[] = "SELECT count(*) FROM access_keys WHERE account_id = $1";
// $4 is sent in binary format (a pqxx::binarystring), so every byte value survives.
constexpr char kInsertKey[] = R"sql(
  INSERT INTO access_keys (access_key_id, account_id, kind, sealed_secret, status)
  VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (access_key_id) DO NOTHING
  RETURNING )sql" GANTRY_KEY_COLUMNS;
constexpr char kSelectKey[] =
    "SELECT " GANTRY_KEY_COLUMNS " FROM access_keys WHERE access_key_id = $1";
constexpr char kListKeys[] =
    "SELECT " GANTRY_KEY_COLUMNS " FROM access_keys WHERE account_id = $1 ORDER BY access_key_id";
constexpr char kListAllKeys[] =
    "SELECT " GANTRY_KEY_COLUMNS " FROM access_keys ORDER BY account_id, access_key_id";
constexpr char kDeleteKey[] = R"sql(
  DELETE FROM access_keys WHERE access_key_id = $1
  RETURNING )sql" GANTRY_KEY_COLUMNS;
constexpr char kRememberDeletedKey[] = R"sql(
  INSERT INTO deleted_access_keys (access_key_id, account_id) VALUES ($1, $2)
  ON CONFLICT DO NOTHING)sql";
constexpr char kKeyWasDeleted[] = "SELECT 1 FROM deleted_access_keys WHERE access_key_id = $1";

#undef GANTRY_ACCOUNT_COLUMNS
#undef GANTRY_KEY_COLUMNS

AccountRow RowToAccount(const pqxx::row& row) {
  AccountRow account;
  account.account_id = row[0].as<std::string>();
  account.name = row[1].as<std::string>();
  account.is_admin = row[2].as<bool>();
  account.created_at = absl::FromUnixMicros(row[3].as<int64_t>());
  return account;
}

AccessKeyRow RowToAccessKey(const pqxx::row& row) {
  AccessKeyRow key;
  key.access_key_id = row[0].as<std::string>();
  key.account_id = row[1].as<std::string>();
  key.kind = row[2].as<std::string>();
  // bytea comes back hex-escaped in text format; binarystring decodes it.
  key.sealed_secret = pqxx::binarystring(row[3]).str();
  key.status = row[4].as<std::string>();
  key.created_at = absl::FromUnixMicros(row[5].as<int64_t>());
  return key;
}

std::vector<AccessKeyRow> RowsToAccessKeys(const pqxx::result& rows) {
  std::vector<AccessKeyRow> keys;
  keys.reserve(rows.size());
  for (const pqxx::row& row : rows) {
    keys.push_back(RowToAccessKey(row));
  }
  return keys;
}

absl::Status AccountNotFound(std::string_view account_id) {
  return absl::NotFoundError(absl::StrCat("account ", std::string(account_id), " not found"));
}

absl::Status AccessKeyNotFound(std::string_view access_key_id) {
  return absl::NotFoundError(absl::StrCat("access key ", std::string(access_key_id), " not found"));
}

absl::Status KeyWasDeleted(std::string_view access_key_id) {
  return absl::FailedPreconditionError(absl::StrCat(
      "access key ", std::string(access_key_id), " was deleted; a deleted key never comes back"));
}

// Inserts the account unless its id or name is taken; nullopt then.
std::optional<AccountRow> InsertAccount(pqxx::work& tx, std::string_view account_id,
                                        std::string_view name, bool is_admin) {
  pqxx::result inserted =
      tx.exec_prepared("account_insert", std::string(account_id), std::string(name), is_admin);
  if (inserted.empty()) {
    return std::nullopt;
  }
  return RowToAccount(inserted[0]);
}

// After InsertAccount found a conflict: the account of that id, or ALREADY_EXISTS for
// the name. A conflicting row is committed by then (ON CONFLICT waited for it), so this
// statement's snapshot sees it.
absl::StatusOr<AccountRow> ConflictingAccount(pqxx::work& tx, std::string_view account_id,
                                              std::string_view name) {
  pqxx::result existing = tx.exec_prepared("account_select", std::string(account_id));
  if (existing.empty()) {
    return absl::AlreadyExistsError(
        absl::StrCat("account name \"", std::string(name), "\" already exists"));
  }
  return RowToAccount(existing[0]);
}

// Inserts `key` under its account's row lock unless its id is taken (nullopt then).
// NOT_FOUND when the account does not exist; RESOURCE_EXHAUSTED when it is at the limit.
absl::StatusOr<std::optional<AccessKeyRow>> InsertAccessKey(pqxx::work& tx,
                                                            const AccessKeyRow& key) {
  if (!tx.exec_prepared("access_key_was_deleted", key.access_key_id).empty()) {
    return KeyWasDeleted(key.access_key_id);
  }
  if (tx.exec_prepared("account_lock", key.account_id).empty()) {
    return AccountNotFound(key.account_id);
  }
  const int64_t count = tx.exec_prepared1("access_key_count", key.account_id)[0].as<int64_t>();
  if (count >= kMaxAccessKeysPerAccount) {
    return absl::ResourceExhaustedError(
        absl::StrCat("account ", key.account_id, " already has ", count,
                     " access keys, the most an account may have (", kMaxAccessKeysPerAccount,
                     "); delete one first"));
  }
  pqxx::result inserted =
      tx.exec_prepared("access_key_insert", key.access_key_id, key.account_id, key.kind,
                       pqxx::binarystring(key.sealed_secret), key.status);
  if (inserted.empty()) {
    return std::optional<AccessKeyRow>();
  }
  internal::NotifyHosts(tx, {kAccessKeyToken + key.access_key_id});
  return std::optional<AccessKeyRow>(RowToAccessKey(inserted[0]));
}

}  // namespace

namespace internal {
const std::vector<Statement>& AccountStatements() {
  static const std::vector<Statement> kStatements = {
      {"account_insert", kInsertAccount},
      {"account_select", kSelectAccount},
      {"account_make_admin", kMakeAdmin},
      {"account_list", kListAccounts},
      {"account_lock", kLockAccount},
      {"access_key_count", kCountKeys},
      {"access_key_insert", kInsertKey},
      {"access_key_select", kSelectKey},
      {"access_key_list", kListKeys},
      {"access_key_list_all", kListAllKeys},
      {"access_key_delete", kDeleteKey},
      {"access_key_remember_deleted", kRememberDeletedKey},
      {"access_key_was_deleted", kKeyWasDeleted},
  };
  return kStatements;
}
}  // namespace internal

absl::StatusOr<AccountRow> CreateAccount(Connection& connection, std::string_view account_id,
                                         std::string_view name, bool is_admin,
                                         const gantry::v1::Cluster& default_cluster) {
  return internal::InTransaction(
      connection, "create account", [&](pqxx::work& tx) -> absl::StatusOr<AccountRow> {
        std::optional<AccountRow> inserted = InsertAccount(tx, account_id, name, is_admin);
        if (inserted.has_value()) {
          tx.exec_prepared("cluster_insert", std::string(account_id), "default",
                           internal::ToJsonText(default_cluster));
          return *inserted;
        }
        GANTRY_RETURN_IF_ERROR(ConflictingAccount(tx, account_id, name).status());
        return absl::AlreadyExistsError(
            absl::StrCat("account ", std::string(account_id), " already exists"));
      });
}

absl::StatusOr<AccountRow> EnsureAccount(Connection& connection, std::string_view account_id,
                                         std::string_view name, bool is_admin) {
  return internal::InTransaction(
      connection, "ensure account", [&](pqxx::work& tx) -> absl::StatusOr<AccountRow> {
        std::optional<AccountRow> inserted = InsertAccount(tx, account_id, name, is_admin);
        if (inserted.has_value()) {
          return *inserted;
        }
        GANTRY_ASSIGN_OR_RETURN(AccountRow existing, ConflictingAccount(tx, account_id, name));
        // Only ever granted here, never revoked: a restart with another admin setting
        // must not silently demote the provider's account.
        if (is_admin && !existing.is_admin) {
          return RowToAccount(tx.exec_prepared1("account_make_admin", std::string(account_id)));
        }
        return existing;
      });
}

absl::StatusOr<AccountRow> GetAccount(Connection& connection, std::string_view account_id) {
  return internal::InSingleRead(
      connection, "get account", [&](pqxx::transaction_base& tx) -> absl::StatusOr<AccountRow> {
        pqxx::result found = tx.exec_prepared("account_select", std::string(account_id));
        if (found.empty()) {
          return AccountNotFound(account_id);
        }
        return RowToAccount(found[0]);
      });
}

absl::StatusOr<std::vector<AccountRow>> ListAccounts(Connection& connection) {
  return internal::InTransaction(
      connection, "list accounts", [&](pqxx::work& tx) -> absl::StatusOr<std::vector<AccountRow>> {
        std::vector<AccountRow> accounts;
        for (const pqxx::row& row : internal::ScanTable(tx, "account_list")) {
          accounts.push_back(RowToAccount(row));
        }
        return accounts;
      });
}

absl::StatusOr<AccessKeyRow> CreateAccessKey(Connection& connection, const AccessKeyRow& key) {
  return internal::InTransaction(
      connection, "create access key", [&](pqxx::work& tx) -> absl::StatusOr<AccessKeyRow> {
        GANTRY_ASSIGN_OR_RETURN(std::optional<AccessKeyRow> inserted, InsertAccessKey(tx, key));
        if (!inserted.has_value()) {
          return absl::AlreadyExistsError(
              absl::StrCat("access key ", key.access_key_id, " already exists"));
        }
        return *inserted;
      });
}

absl::StatusOr<AccessKeyRow> EnsureAccessKey(Connection& connection, const AccessKeyRow& key) {
  return internal::InTransaction(
      connection, "ensure access key", [&](pqxx::work& tx) -> absl::StatusOr<AccessKeyRow> {
        // Looked up first, so that a key that exists is returned without taking its
        // account's lock or counting against the limit.
        pqxx::result existing = tx.exec_prepared("access_key_select", key.access_key_id);
        if (!existing.empty()) {
          return RowToAccessKey(existing[0]);
        }
        GANTRY_ASSIGN_OR_RETURN(std::optional<AccessKeyRow> inserted, InsertAccessKey(tx, key));
        if (inserted.has_value()) {
          return *inserted;
        }
        // Another transaction stored the id in between; ON CONFLICT waited for its commit.
        existing = tx.exec_prepared("access_key_select", key.access_key_id);
        if (existing.empty()) {
          return absl::AbortedError(
              absl::StrCat("access key ", key.access_key_id, " changed concurrently; retry"));
        }
        return RowToAccessKey(existing[0]);
      });
}

absl::StatusOr<AccessKeyRow> GetAccessKey(Connection& connection, std::string_view access_key_id) {
  return internal::InSingleRead(connection, "get access key",
                                [&](pqxx::transaction_base& tx) -> absl::StatusOr<AccessKeyRow> {
                                  pqxx::result found = tx.exec_prepared("access_key_select",
                                                                        std::string(access_key_id));
                                  if (found.empty()) {
                                    return AccessKeyNotFound(access_key_id);
                                  }
                                  return RowToAccessKey(found[0]);
                                });
}

absl::StatusOr<bool> AccessKeyWasDeleted(Connection& connection, std::string_view access_key_id) {
  return internal::InSingleRead(
      connection, "access key deleted", [&](pqxx::transaction_base& tx) -> absl::StatusOr<bool> {
        return !tx.exec_prepared("access_key_was_deleted", std::string(access_key_id)).empty();
      });
}

absl::StatusOr<std::vector<AccessKeyRow>> ListAccessKeys(Connection& connection,
                                                         std::string_view account_id) {
  // Every key is a whole-table read, so it goes through ScanTable, which needs a
  // transaction block for its SET LOCAL.
  if (account_id.empty()) {
    return internal::InTransaction(
        connection, "list access keys",
        [&](pqxx::work& tx) -> absl::StatusOr<std::vector<AccessKeyRow>> {
          return RowsToAccessKeys(internal::ScanTable(tx, "access_key_list_all"));
        });
  }
  return internal::InSingleRead(
      connection, "list access keys",
      [&](pqxx::transaction_base& tx) -> absl::StatusOr<std::vector<AccessKeyRow>> {
        return RowsToAccessKeys(tx.exec_prepared("access_key_list", std::string(account_id)));
      });
}

absl::StatusOr<AccessKeyRow> DeleteAccessKey(Connection& connection,
                                             std::string_view access_key_id) {
  return internal::InTransaction(
      connection, "delete access key", [&](pqxx::work& tx) -> absl::StatusOr<AccessKeyRow> {
        pqxx::result deleted = tx.exec_prepared("access_key_delete", std::string(access_key_id));
        if (deleted.empty()) {
          return AccessKeyNotFound(access_key_id);
        }
        AccessKeyRow row = RowToAccessKey(deleted[0]);
        tx.exec_prepared0("access_key_remember_deleted", row.access_key_id, row.account_id);
        internal::NotifyHosts(tx, {absl::StrCat(kAccessKeyToken, std::string(access_key_id))});
        return row;
      });
}

}  // namespace gantry::storage
