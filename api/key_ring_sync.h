// Keeps this gantryd's KeyRing in step with the access keys in the database when other
// replicas create or delete them: each such transaction notifies kAccessKeyToken + the
// key id (storage.h), and the notification router calls Changed; after the listener
// (re)connects, when notifications may have been missed, ReloadAll.
//
// The database reads run on the Database's workers, one batch at a time: a batch that
// starts after a notification reads what that notification's transaction committed,
// and no older read can land after a newer one (a key deleted on another replica cannot
// come back here). When a read fails the keys stay pending until the next notification
// or reload; a database that went away also breaks the listener, whose reconnection
// asks for a whole reload. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "api/key_ring.h"
#include "auth/secret_box.h"
#include "storage/storage.h"

namespace gantry::api {

class KeyRingSync {
 public:
  // Every pointer must outlive the work this queues on `database` (Database::Shutdown
  // runs what is queued).
  KeyRingSync(storage::Database* database, const auth::SecretBox* secrets, KeyRing* keys);
  KeyRingSync(const KeyRingSync&) = delete;
  KeyRingSync& operator=(const KeyRingSync&) = delete;

  // These keys were stored or deleted: read them again.
  void Changed(const std::vector<std::string>& access_key_ids);
  // Read every key again.
  void ReloadAll();

  // Batches read so far (successful or not); for tests to wait on.
  int64_t batches_done() const;

 private:
  // Queues a batch unless one is queued or running.
  void ScheduleLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RunBatch(storage::Connection& connection);
  // Puts or removes one key as the database has it.
  absl::Status Refresh(storage::Connection& connection, const std::string& access_key_id);

  storage::Database* const database_;
  const auth::SecretBox* const secrets_;
  KeyRing* const keys_;

  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> pending_ ABSL_GUARDED_BY(mu_);
  bool reload_all_ ABSL_GUARDED_BY(mu_) = false;
  bool scheduled_ ABSL_GUARDED_BY(mu_) = false;
  // Set by Changed and ReloadAll, cleared when a batch starts.
  bool arrived_during_batch_ ABSL_GUARDED_BY(mu_) = false;
  int64_t batches_done_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace gantry::api
