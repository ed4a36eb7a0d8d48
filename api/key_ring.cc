#include "api/key_ring.h"

#include "absl/strings/str_cat.h"
#include "auth/grpc_signing.h"

namespace gantry::api {

void KeyRing::Replace(const std::vector<AccessKey>& keys) {
  absl::flat_hash_map<std::string, AccessKey> fresh;
  for (const AccessKey& key : keys) {
    fresh[key.caller.access_key_id] = key;
  }
  absl::WriterMutexLock lock(&mu_);
  keys_.swap(fresh);
}

void KeyRing::Put(const AccessKey& key) {
  absl::WriterMutexLock lock(&mu_);
  keys_[key.caller.access_key_id] = key;
}

void KeyRing::Remove(std::string_view access_key_id) {
  absl::WriterMutexLock lock(&mu_);
  keys_.erase(std::string(access_key_id));
}

std::optional<AccessKey> KeyRing::Find(std::string_view access_key_id) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = keys_.find(std::string(access_key_id));
  if (it == keys_.end()) {
    return std::nullopt;
  }
  return it->second;
}

size_t KeyRing::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return keys_.size();
}

absl::StatusOr<Caller> AuthenticateGrpcCall(const KeyRing& keys, std::string_view method,
                                            std::string_view authorization,
                                            std::string_view amz_date, absl::Time now) {
  // The key as looked up during verification: a key deleted right after cannot turn the
  // verified call into an unknown caller.
  std::optional<AccessKey> found;
  const auth::Verdict verdict = auth::VerifyGrpcCall(
      method, authorization, amz_date, now,
      [&keys, &found](std::string_view access_key_id) -> std::optional<std::string> {
        found = keys.Find(access_key_id);
        if (!found.has_value()) {
          return std::nullopt;
        }
        return found->secret;
      });
  if (verdict.kind == auth::Verdict::Kind::kOk && found.has_value()) {
    return found->caller;
  }
  if (verdict.kind == auth::Verdict::Kind::kMissing) {
    return absl::UnauthenticatedError(
        "no credentials: sign calls with an access key (gantryctl and gantry-agent find one "
        "as the aws CLI does, or in ./.gantry/admin-credentials)");
  }
  return absl::UnauthenticatedError(verdict.message);
}

}  // namespace gantry::api
