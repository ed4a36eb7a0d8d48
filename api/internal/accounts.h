// Accounts and access keys: request validation, response shapes, and the caller a
// stored key makes. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "gantry/v1/admin.pb.h"

#include "absl/status/statusor.h"
#include "api/api.h"
#include "storage/storage.h"

namespace gantry::api::internal {

inline constexpr char kUserKey[] = "user";
inline constexpr char kAgentKey[] = "agent";

// name: required, 1-64 of [A-Za-z0-9+=,.@_-] (IAM's user-name alphabet).
absl::StatusOr<std::string> ParseAccountName(const v1::CreateAccountRequest& request);

struct NewKeyPlan {
  std::string account_id;
  std::string kind;  // kUserKey or kAgentKey
};
// accountId: required, 12 digits; kind: "user" (default) or "agent", and agent keys only
// in the provider's account (`config.account_id`): hosts are the provider's.
absl::StatusOr<NewKeyPlan> ParseCreateAccessKey(const Config& config,
                                                const v1::CreateAccessKeyRequest& request);

// accountId, when given, is 12 digits.
absl::Status ValidateListAccessKeys(const v1::ListAccessKeysRequest& request);
// accessKeyId: required, AKIA + 16 of [A-Z2-7].
absl::Status ValidateDeleteAccessKey(const v1::DeleteAccessKeyRequest& request);

v1::Account ToAccount(const storage::AccountRow& row);
// Without the secret, which only CreateAccessKey's answer carries.
v1::AccessKey ToAccessKey(const storage::AccessKeyRow& row);

// The caller a key of `kind` in `account` makes.
Caller CallerOf(const storage::AccountRow& account, const storage::AccessKeyRow& key);

}  // namespace gantry::api::internal
