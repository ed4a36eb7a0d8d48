#include "api/internal/access.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace gantry::api::internal {

bool IsAccountId(std::string_view account_id) {
  return account_id.size() == 12 &&
         std::all_of(account_id.begin(), account_id.end(), absl::ascii_isdigit);
}

Config WithAccount(const Config& base, std::string_view account_id) {
  Config config = base;
  config.account_id = std::string(account_id);
  return config;
}

absl::StatusOr<Config> AccountScope(const Config& base, const Caller& caller) {
  if (caller.role == Caller::Role::kAgent) {
    return absl::PermissionDeniedError(
        absl::StrCat("access key ", caller.access_key_id,
                     " is an agent key: it may register hosts, poll and report, nothing else"));
  }
  return WithAccount(base, caller.account_id);
}

absl::Status RequireAdmin(const Caller& caller, std::string_view what) {
  if (caller.role == Caller::Role::kAdmin) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      std::string(what), " belong to the provider: only an admin key may use them (access key ",
      caller.access_key_id, " is not one)"));
}

absl::Status RequireAgent(const Caller& caller) {
  if (caller.role != Caller::Role::kUser) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("the agent protocol needs an agent or admin key; access key ",
                   caller.access_key_id, " is an account's own key"));
}

}  // namespace gantry::api::internal
