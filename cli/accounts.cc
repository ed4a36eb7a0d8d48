// gantryctl's account and access-key commands (gantry.v1.Admin): their flags, requests
// and tables. Admin keys only; the server checks that and every value.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cli/cli.h"
#include "cli/internal/util.h"

namespace gantry::cli {
namespace {

using internal::OrNone;

// The name create-access-key's hint gives the key's profile: one per account and kind,
// so that an account's user and agent keys can sit in the same credentials file.
std::string ProfileName(const v1::AccessKey& key) {
  if (key.account_id().empty()) {
    return "default";
  }
  return key.kind() == "agent" ? absl::StrCat(key.account_id(), "-agent") : key.account_id();
}

// The secret is returned once, by CreateAccessKey: say so, and show the profile to
// paste rather than leave people to guess the file's format.
std::string SaveSecretHint(const v1::AccessKey& key) {
  return absl::StrCat(
      "\nThe secret access key cannot be shown again; save it now, e.g. in ~/.aws/credentials:\n"
      "\n[",
      ProfileName(key), "]\naws_access_key_id = ", key.access_key_id(),
      "\naws_secret_access_key = ", key.secret_access_key(), "\n");
}

}  // namespace

namespace internal {

void AddAccountCommands(std::vector<CommandSpec>* commands) {
  commands->push_back({"create-account",
                       "Create an account",
                       {One("name", "NAME", "Unique name, 1-64 of [A-Za-z0-9+=,.@_-]",
                            "--name team-web", /*required=*/true)},
                       "gantryctl create-account --name team-web"});
  commands->push_back({"list-accounts", "List accounts", {}, "gantryctl list-accounts"});
  commands->push_back(
      {"create-access-key",
       "Create an access key for an account (its secret is shown only once)",
       {One("account", "ACCOUNT_ID", "The account's 12-digit id", "--account 123456789012",
            /*required=*/true),
        One("kind", "user|agent",
            "user (default): the account's own key; agent: for gantry-agent, which may only "
            "register hosts, poll and report",
            "--kind agent")},
       "gantryctl create-access-key --account 123456789012"});
  commands->push_back(
      {"list-access-keys",
       "List access keys without their secrets (default: every account's)",
       {One("account", "ACCOUNT_ID", "Only this account's keys", "--account 123456789012")},
       "gantryctl list-access-keys --account 123456789012"});
  commands->push_back({"delete-access-key",
                       "Delete an access key; calls signed with it then fail",
                       {One("access-key-id", "ACCESS_KEY_ID", "The key's id",
                            "--access-key-id AKIAIOSFODNN7EXAMPLE", /*required=*/true)},
                       "gantryctl delete-access-key --access-key-id AKIAIOSFODNN7EXAMPLE"});
}

}  // namespace internal

absl::StatusOr<v1::CreateAccountRequest> BuildCreateAccountRequest(const Invocation& inv) {
  v1::CreateAccountRequest request;
  request.set_name(inv.Value("name"));
  return request;
}

absl::StatusOr<v1::ListAccountsRequest> BuildListAccountsRequest(const Invocation& /*inv*/) {
  return v1::ListAccountsRequest();
}

absl::StatusOr<v1::CreateAccessKeyRequest> BuildCreateAccessKeyRequest(const Invocation& inv) {
  v1::CreateAccessKeyRequest request;
  request.set_account_id(inv.Value("account"));
  // Unset, not "user": the server owns the default.
  if (inv.Has("kind")) {
    request.set_kind(inv.Value("kind"));
  }
  return request;
}

absl::StatusOr<v1::ListAccessKeysRequest> BuildListAccessKeysRequest(const Invocation& inv) {
  v1::ListAccessKeysRequest request;
  if (inv.Has("account")) {
    request.set_account_id(inv.Value("account"));
  }
  return request;
}

absl::StatusOr<v1::DeleteAccessKeyRequest> BuildDeleteAccessKeyRequest(const Invocation& inv) {
  v1::DeleteAccessKeyRequest request;
  request.set_access_key_id(inv.Value("access-key-id"));
  return request;
}

std::string FormatTable(const v1::CreateAccountResponse& response) {
  const v1::Account& account = response.account();
  return RenderTable({"ACCOUNT ID", "NAME"}, {{OrNone(account.has_id(), account.id()),
                                               OrNone(account.has_name(), account.name())}});
}

std::string FormatTable(const v1::ListAccountsResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::Account& a : response.accounts()) {
    rows.push_back(
        {OrNone(a.has_id(), a.id()), OrNone(a.has_name(), a.name()), a.admin() ? "yes" : ""});
  }
  return RenderTable({"ID", "NAME", "ADMIN"}, rows);
}

std::string FormatTable(const v1::CreateAccessKeyResponse& response) {
  const v1::AccessKey& key = response.access_key();
  // A block, not a row: the 40-character secret would push a one-row table past 100
  // columns.
  std::string block = internal::RenderBlock({
      {"Access key ID", OrNone(key.has_access_key_id(), key.access_key_id())},
      {"Secret access key", OrNone(key.has_secret_access_key(), key.secret_access_key())},
      {"Account", OrNone(key.has_account_id(), key.account_id())},
      {"Kind", OrNone(key.has_kind(), key.kind())},
      {"Status", OrNone(key.has_status(), key.status())},
      {"Created", OrNone(key.has_create_date(), key.create_date())},
  });
  if (!key.has_secret_access_key()) {
    return block;
  }
  return absl::StrCat(block, SaveSecretHint(key));
}

std::string FormatTable(const v1::ListAccessKeysResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::AccessKey& k : response.access_key_metadata()) {
    rows.push_back({OrNone(k.has_access_key_id(), k.access_key_id()),
                    OrNone(k.has_account_id(), k.account_id()), OrNone(k.has_kind(), k.kind()),
                    OrNone(k.has_status(), k.status()),
                    OrNone(k.has_create_date(), k.create_date())});
  }
  return RenderTable({"ACCESS KEY ID", "ACCOUNT", "KIND", "STATUS", "CREATED"}, rows);
}

std::string FormatTable(const v1::DeleteAccessKeyResponse& response) {
  const v1::AccessKey& key = response.access_key();
  std::string line =
      absl::StrCat("Deleted access key ", OrNone(key.has_access_key_id(), key.access_key_id()));
  if (key.has_account_id()) {
    absl::StrAppend(&line, " of account ", key.account_id());
  }
  return absl::StrCat(line, "\n");
}

}  // namespace gantry::cli
