// The access keys gantryd accepts, in memory: each key's secret and the caller it makes.
// Loaded from the database at startup and kept in step by the operations that create and
// delete keys; read on every request by both front ends (gRPC and AWS), so lookups take
// a shared lock only. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "auth/secret_box.h"
#include "auth/sigv4.h"
#include "storage/storage.h"

namespace gantry::api {

struct AccessKey {
  std::string secret;
  Caller caller;  // caller.access_key_id is the key's id
};

class KeyRing {
 public:
  // Replaces every key.
  void Replace(const std::vector<AccessKey>& keys);
  void Put(const AccessKey& key);
  void Remove(std::string_view access_key_id);
  std::optional<AccessKey> Find(std::string_view access_key_id) const;
  size_t size() const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, AccessKey> keys_ ABSL_GUARDED_BY(mu_);
};

// The caller of a gRPC call of `method` (full path, e.g. /gantry.v1.Ecs/RunTask) that
// carried these metadata values (empty when absent; see auth/grpc_signing.h), at `now`.
// UNAUTHENTICATED with the reason (never the secret) when the call is not signed by a key
// of `keys`.
absl::StatusOr<Caller> AuthenticateGrpcCall(const KeyRing& keys, std::string_view method,
                                            std::string_view authorization,
                                            std::string_view amz_date, absl::Time now);

// Makes sure the provider's account (`config.account_id`) exists and that `credentials`
// (the key of DATA_DIR/admin-credentials) is one of its keys. FAILED_PRECONDITION when
// that key id is stored with another secret. Blocking; for startup.
absl::Status EnsureAdminKey(storage::Connection& connection, const Config& config,
                            const auth::SecretBox& secrets, const auth::Credentials& credentials);

// Every stored key with its secret opened, for a KeyRing. A key whose secret does not
// open (sealed under another secrets key) is left out and logged. Blocking; for startup.
absl::StatusOr<std::vector<AccessKey>> LoadAccessKeys(storage::Connection& connection,
                                                      const auth::SecretBox& secrets);

}  // namespace gantry::api
