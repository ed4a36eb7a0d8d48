#include "api/internal/accounts.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/internal/access.h"
#include "api/internal/resources.h"

namespace gantry::api::internal {
namespace {

constexpr size_t kMaxAccountName = 64;
constexpr size_t kAccessKeyIdLength = 20;

bool IsNameChar(char c) { return absl::ascii_isalnum(c) || absl::StrContains("+=,.@_-", c); }

bool IsAccessKeyId(std::string_view id) {
  if (id.size() != kAccessKeyIdLength || id.substr(0, 4) != "AKIA") {
    return false;
  }
  for (char c : id.substr(4)) {
    if (!absl::ascii_isupper(c) && !(c >= '2' && c <= '7')) {
      return false;
    }
  }
  return true;
}

absl::Status CheckAccountId(std::string_view field, std::string_view id) {
  if (IsAccountId(id)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), ": ", Quote(id), " is not an account id (12 digits)"));
}

}  // namespace

absl::StatusOr<std::string> ParseAccountName(const v1::CreateAccountRequest& request) {
  const std::string& name = request.name();
  if (name.empty()) {
    return absl::InvalidArgumentError("name: required; use 1-64 of A-Z a-z 0-9 + = , . @ _ -");
  }
  if (name.size() > kMaxAccountName) {
    return absl::InvalidArgumentError(absl::StrCat(
        "name: ", name.size(), " characters is too long; use at most ", kMaxAccountName));
  }
  for (char c : name) {
    if (!IsNameChar(c)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "name: ", Quote(name), " has a character outside A-Z a-z 0-9 + = , . @ _ -"));
    }
  }
  return name;
}

absl::StatusOr<NewKeyPlan> ParseCreateAccessKey(const Config& config,
                                                const v1::CreateAccessKeyRequest& request) {
  if (request.account_id().empty()) {
    return absl::InvalidArgumentError("accountId: required; name the account (12 digits)");
  }
  if (absl::Status id = CheckAccountId("accountId", request.account_id()); !id.ok()) {
    return id;
  }
  NewKeyPlan plan{request.account_id(), request.has_kind() ? request.kind() : kUserKey};
  if (plan.kind != kUserKey && plan.kind != kAgentKey) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind: ", Quote(plan.kind), " is not a key kind; use user or agent"));
  }
  if (plan.kind == kAgentKey && plan.account_id != config.account_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("kind: agent keys belong to the provider's account ", config.account_id,
                     ", which owns the hosts; account ", plan.account_id, " cannot have one"));
  }
  return plan;
}

absl::Status ValidateListAccessKeys(const v1::ListAccessKeysRequest& request) {
  if (!request.has_account_id()) {
    return absl::OkStatus();
  }
  return CheckAccountId("accountId", request.account_id());
}

absl::Status ValidateDeleteAccessKey(const v1::DeleteAccessKeyRequest& request) {
  if (request.access_key_id().empty()) {
    return absl::InvalidArgumentError("accessKeyId: required");
  }
  if (!IsAccessKeyId(request.access_key_id())) {
    return absl::InvalidArgumentError(
        absl::StrCat("accessKeyId: ", Quote(request.access_key_id()),
                     " is not an access key id (AKIA and 16 of A-Z 2-7)"));
  }
  return absl::OkStatus();
}

v1::Account ToAccount(const storage::AccountRow& row) {
  v1::Account account;
  account.set_id(row.account_id);
  account.set_name(row.name);
  if (row.is_admin) {
    account.set_admin(true);
  }
  return account;
}

v1::AccessKey ToAccessKey(const storage::AccessKeyRow& row) {
  v1::AccessKey key;
  key.set_access_key_id(row.access_key_id);
  key.set_status(row.status);
  key.set_create_date(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", row.created_at, absl::UTCTimeZone()));
  key.set_account_id(row.account_id);
  key.set_kind(row.kind);
  return key;
}

Caller CallerOf(const storage::AccountRow& account, const storage::AccessKeyRow& key) {
  Caller caller;
  caller.account_id = key.account_id;
  caller.access_key_id = key.access_key_id;
  if (key.kind == kAgentKey) {
    caller.role = Caller::Role::kAgent;
  } else {
    caller.role = account.is_admin ? Caller::Role::kAdmin : Caller::Role::kUser;
  }
  return caller;
}

}  // namespace gantry::api::internal
