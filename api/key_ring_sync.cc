#include "api/key_ring_sync.h"

#include <utility>

#include "api/internal/accounts.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace gantry::api {

KeyRingSync::KeyRingSync(storage::Database* database, const auth::SecretBox* secrets, KeyRing* keys)
    : database_(database), secrets_(secrets), keys_(keys) {}

void KeyRingSync::Changed(const std::vector<std::string>& access_key_ids) {
  if (access_key_ids.empty()) {
    return;
  }
  absl::MutexLock lock(&mu_);
  pending_.insert(access_key_ids.begin(), access_key_ids.end());
  arrived_during_batch_ = true;
  ScheduleLocked();
}

void KeyRingSync::ReloadAll() {
  absl::MutexLock lock(&mu_);
  reload_all_ = true;
  arrived_during_batch_ = true;
  ScheduleLocked();
}

int64_t KeyRingSync::batches_done() const {
  absl::MutexLock lock(&mu_);
  return batches_done_;
}

void KeyRingSync::ScheduleLocked() {
  if (scheduled_) {
    return;
  }
  absl::Status queued =
      database_->Submit([this](storage::Connection& connection) { RunBatch(connection); });
  if (!queued.ok()) {
    // Shutting down, or the queue is full: what is pending waits for the next change.
    log::Warning("access_key_sync_not_queued", {{"error", std::string(queued.message())}});
    return;
  }
  scheduled_ = true;
}

void KeyRingSync::RunBatch(storage::Connection& connection) {
  absl::flat_hash_set<std::string> ids;
  bool reload_all = false;
  {
    absl::MutexLock lock(&mu_);
    ids.swap(pending_);
    reload_all = std::exchange(reload_all_, false);
    arrived_during_batch_ = false;
  }
  absl::Status status = absl::OkStatus();
  std::vector<std::string> unread;
  if (reload_all) {
    absl::StatusOr<std::vector<AccessKey>> loaded = LoadAccessKeys(connection, *secrets_);
    if (loaded.ok()) {
      // Read after every notification of `ids` arrived, so it covers them.
      keys_->Replace(*loaded);
      ids.clear();
      log::Info("access_keys_reloaded", {{"keys", static_cast<int64_t>(loaded->size())}});
    } else {
      status = loaded.status();
    }
  }
  for (const std::string& id : ids) {
    if (!status.ok()) {
      unread.push_back(id);
      continue;
    }
    status = Refresh(connection, id);
    if (!status.ok()) {
      unread.push_back(id);
    }
  }
  if (!status.ok()) {
    log::Warning("access_key_sync_failed", {{"error", std::string(status.message())}});
  }

  absl::MutexLock lock(&mu_);
  ++batches_done_;
  scheduled_ = false;
  if (!status.ok()) {
    pending_.insert(unread.begin(), unread.end());
    reload_all_ = reload_all_ || reload_all;
    // Tried again only when something new arrives: a database that keeps failing is not
    // read in a loop.
    if (!arrived_during_batch_) {
      return;
    }
  }
  if (reload_all_ || !pending_.empty()) {
    ScheduleLocked();
  }
}

absl::Status KeyRingSync::Refresh(storage::Connection& connection,
                                  const std::string& access_key_id) {
  absl::StatusOr<storage::AccessKeyRow> row = storage::GetAccessKey(connection, access_key_id);
  if (absl::IsNotFound(row.status())) {
    keys_->Remove(access_key_id);
    log::Info("access_key_sync", {{"key", access_key_id}, {"state", "gone"}});
    return absl::OkStatus();
  }
  GANTRY_RETURN_IF_ERROR(row.status());
  absl::StatusOr<storage::AccountRow> account = storage::GetAccount(connection, row->account_id);
  if (!account.ok() && !absl::IsNotFound(account.status())) {
    return account.status();
  }
  absl::StatusOr<std::string> secret = secrets_->Open(row->sealed_secret, access_key_id);
  if (!account.ok() || !secret.ok() || row->status != "Active") {
    keys_->Remove(access_key_id);
    log::Warning("access_key_unusable",
                 {{"key", access_key_id},
                  {"status", row->status},
                  {"error", secret.ok() ? "" : std::string(secret.status().message())}});
    return absl::OkStatus();
  }
  keys_->Put({*std::move(secret), internal::CallerOf(*account, *row)});
  log::Info("access_key_sync", {{"key", access_key_id}, {"state", "usable"}});
  return absl::OkStatus();
}

}  // namespace gantry::api
