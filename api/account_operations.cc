#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/api.h"
#include "api/internal/access.h"
#include "api/internal/accounts.h"
#include "api/internal/resources.h"
#include "api/internal/run_on_database.h"
#include "api/key_ring.h"
#include "auth/credentials.h"
#include "auth/secret_box.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace gantry::api {
namespace {

using internal::RunOnDatabase;

constexpr char kAccounts[] = "Accounts and access keys";
constexpr char kAdminAccountName[] = "admin";
// A drawn account id that is taken is drawn again; among 9e11 ids, more than a retry
// or two means something else is wrong.
constexpr int kAccountIdAttempts = 3;

absl::StatusOr<storage::AccountRow> CreateAccountWithFreshId(storage::Connection& connection,
                                                             const std::string& name) {
  absl::StatusOr<storage::AccountRow> row = absl::UnknownError("no attempt made");
  for (int attempt = 0; attempt < kAccountIdAttempts; ++attempt) {
    row = storage::CreateAccount(connection, ids::NewAccountId(), name, /*is_admin=*/false,
                                 internal::DefaultClusterSpec());
    // ALREADY_EXISTS is for the name or the id; only a taken id is worth another draw.
    if (row.ok() || !absl::IsAlreadyExists(row.status()) ||
        absl::StrContains(row.status().message(), "name")) {
      return row;
    }
  }
  return row;
}

// A stored key, sealed, for `plan`; and the secret to hand out once.
struct NewKey {
  storage::AccessKeyRow row;
  std::string secret;
};
absl::StatusOr<NewKey> MakeKey(const auth::SecretBox& secrets, const internal::NewKeyPlan& plan) {
  GANTRY_ASSIGN_OR_RETURN(auth::Credentials credentials, auth::NewCredentials());
  NewKey key;
  key.row.access_key_id = credentials.access_key_id;
  key.row.account_id = plan.account_id;
  key.row.kind = plan.kind;
  // The key id is the associated data: a sealed secret moved to another key's row does
  // not open.
  GANTRY_ASSIGN_OR_RETURN(key.row.sealed_secret,
                          secrets.Seal(credentials.secret_access_key, credentials.access_key_id));
  key.secret = std::move(credentials.secret_access_key);
  return key;
}

}  // namespace

AdminOperations::AdminOperations(Config config, storage::Database* database, KeyRing* keys,
                                 const auth::SecretBox* secrets)
    : config_(std::move(config)), database_(database), keys_(keys), secrets_(secrets) {}

void AdminOperations::CreateAccount(const Caller& caller, const v1::CreateAccountRequest& request,
                                    Done<v1::CreateAccountResponse> done) {
  GANTRY_RETURN_DONE_IF_ERROR(internal::RequireAdmin(caller, kAccounts), done);
  GANTRY_ASSIGN_OR_DONE(std::string name, internal::ParseAccountName(request), done);
  RunOnDatabase<v1::CreateAccountResponse>(
      database_,
      [name](storage::Connection& connection) -> absl::StatusOr<v1::CreateAccountResponse> {
        GANTRY_ASSIGN_OR_RETURN(storage::AccountRow row,
                                CreateAccountWithFreshId(connection, name));
        log::Info("account_created", {{"account", row.account_id}, {"name", row.name}});
        v1::CreateAccountResponse response;
        *response.mutable_account() = internal::ToAccount(row);
        return response;
      },
      std::move(done));
}

void AdminOperations::ListAccounts(const Caller& caller, const v1::ListAccountsRequest& /*request*/,
                                   Done<v1::ListAccountsResponse> done) {
  GANTRY_RETURN_DONE_IF_ERROR(internal::RequireAdmin(caller, kAccounts), done);
  RunOnDatabase<v1::ListAccountsResponse>(
      database_,
      [](storage::Connection& connection) -> absl::StatusOr<v1::ListAccountsResponse> {
        GANTRY_ASSIGN_OR_RETURN(std::vector<storage::AccountRow> rows,
                                storage::ListAccounts(connection));
        v1::ListAccountsResponse response;
        for (const storage::AccountRow& row : rows) {
          *response.add_accounts() = internal::ToAccount(row);
        }
        return response;
      },
      std::move(done));
}

void AdminOperations::CreateAccessKey(const Caller& caller,
                                      const v1::CreateAccessKeyRequest& request,
                                      Done<v1::CreateAccessKeyResponse> done) {
  GANTRY_RETURN_DONE_IF_ERROR(internal::RequireAdmin(caller, kAccounts), done);
  GANTRY_ASSIGN_OR_DONE(internal::NewKeyPlan plan, internal::ParseCreateAccessKey(config_, request),
                        done);
  GANTRY_ASSIGN_OR_DONE(NewKey key, MakeKey(*secrets_, plan), done);
  RunOnDatabase<v1::CreateAccessKeyResponse>(
      database_,
      [this, key = std::move(key)](
          storage::Connection& connection) -> absl::StatusOr<v1::CreateAccessKeyResponse> {
        GANTRY_ASSIGN_OR_RETURN(storage::AccountRow account,
                                storage::GetAccount(connection, key.row.account_id));
        GANTRY_ASSIGN_OR_RETURN(storage::AccessKeyRow row,
                                storage::CreateAccessKey(connection, key.row));
        // Committed: the key works from now on.
        keys_->Put({key.secret, internal::CallerOf(account, row)});
        log::Info("access_key_created",
                  {{"account", row.account_id}, {"key", row.access_key_id}, {"kind", row.kind}});
        v1::CreateAccessKeyResponse response;
        *response.mutable_access_key() = internal::ToAccessKey(row);
        response.mutable_access_key()->set_secret_access_key(key.secret);
        return response;
      },
      std::move(done));
}

void AdminOperations::ListAccessKeys(const Caller& caller, const v1::ListAccessKeysRequest& request,
                                     Done<v1::ListAccessKeysResponse> done) {
  GANTRY_RETURN_DONE_IF_ERROR(internal::RequireAdmin(caller, kAccounts), done);
  GANTRY_RETURN_DONE_IF_ERROR(internal::ValidateListAccessKeys(request), done);
  RunOnDatabase<v1::ListAccessKeysResponse>(
      database_,
      [account = request.account_id()](
          storage::Connection& connection) -> absl::StatusOr<v1::ListAccessKeysResponse> {
        if (!account.empty()) {
          // An unknown account is NOT_FOUND, not an empty list.
          GANTRY_RETURN_IF_ERROR(storage::GetAccount(connection, account).status());
        }
        GANTRY_ASSIGN_OR_RETURN(std::vector<storage::AccessKeyRow> rows,
                                storage::ListAccessKeys(connection, account));
        v1::ListAccessKeysResponse response;
        for (const storage::AccessKeyRow& row : rows) {
          *response.add_access_key_metadata() = internal::ToAccessKey(row);
        }
        return response;
      },
      std::move(done));
}

void AdminOperations::DeleteAccessKey(const Caller& caller,
                                      const v1::DeleteAccessKeyRequest& request,
                                      Done<v1::DeleteAccessKeyResponse> done) {
  GANTRY_RETURN_DONE_IF_ERROR(internal::RequireAdmin(caller, kAccounts), done);
  GANTRY_RETURN_DONE_IF_ERROR(internal::ValidateDeleteAccessKey(request), done);
  RunOnDatabase<v1::DeleteAccessKeyResponse>(
      database_,
      [this, id = request.access_key_id()](
          storage::Connection& connection) -> absl::StatusOr<v1::DeleteAccessKeyResponse> {
        GANTRY_ASSIGN_OR_RETURN(storage::AccessKeyRow row,
                                storage::DeleteAccessKey(connection, id));
        keys_->Remove(id);
        log::Info("access_key_deleted", {{"account", row.account_id}, {"key", id}});
        v1::DeleteAccessKeyResponse response;
        *response.mutable_access_key() = internal::ToAccessKey(row);
        return response;
      },
      std::move(done));
}

// ---- Startup -------------------------------------------------------------------

absl::Status EnsureAdminKey(storage::Connection& connection, const Config& config,
                            const auth::SecretBox& secrets, const auth::Credentials& credentials) {
  GANTRY_RETURN_IF_ERROR(
      storage::EnsureAccount(connection, config.account_id, kAdminAccountName, /*is_admin=*/true)
          .status());
  storage::AccessKeyRow key;
  key.access_key_id = credentials.access_key_id;
  key.account_id = config.account_id;
  key.kind = internal::kUserKey;
  GANTRY_ASSIGN_OR_RETURN(key.sealed_secret,
                          secrets.Seal(credentials.secret_access_key, credentials.access_key_id));
  GANTRY_ASSIGN_OR_RETURN(storage::AccessKeyRow stored, storage::EnsureAccessKey(connection, key));
  absl::StatusOr<std::string> secret = secrets.Open(stored.sealed_secret, stored.access_key_id);
  if (stored.account_id != config.account_id || !secret.ok() ||
      *secret != credentials.secret_access_key) {
    return absl::FailedPreconditionError(absl::StrCat(
        "admin-credentials: access key ", credentials.access_key_id, " is stored for account ",
        stored.account_id,
        " with another secret, or one this secrets key cannot open; restore the matching "
        "admin-credentials and secrets key files, or remove the file to get a new key"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<AccessKey>> LoadAccessKeys(storage::Connection& connection,
                                                      const auth::SecretBox& secrets) {
  GANTRY_ASSIGN_OR_RETURN(std::vector<storage::AccountRow> accounts,
                          storage::ListAccounts(connection));
  absl::flat_hash_map<std::string, storage::AccountRow> by_id;
  for (storage::AccountRow& account : accounts) {
    by_id.emplace(account.account_id, std::move(account));
  }
  GANTRY_ASSIGN_OR_RETURN(std::vector<storage::AccessKeyRow> rows,
                          storage::ListAccessKeys(connection, ""));
  std::vector<AccessKey> keys;
  for (const storage::AccessKeyRow& row : rows) {
    absl::StatusOr<std::string> secret = secrets.Open(row.sealed_secret, row.access_key_id);
    auto account = by_id.find(row.account_id);
    if (!secret.ok() || account == by_id.end() || row.status != "Active") {
      log::Warning("access_key_unusable",
                   {{"key", row.access_key_id},
                    {"status", row.status},
                    {"error", secret.ok() ? "" : std::string(secret.status().message())}});
      continue;
    }
    keys.push_back({*std::move(secret), internal::CallerOf(account->second, row)});
  }
  return keys;
}

}  // namespace gantry::api
