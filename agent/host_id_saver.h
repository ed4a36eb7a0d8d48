// Group commit of host ids to the state directory (state_dir.h). A host session that
// got a new id waits, without polling, until a save that holds the id has succeeded
// (SessionHooks::host_id_changed), so a crash never leaves gantryd a host the agent
// forgot. Ids recorded while a save runs, or within `min_interval` of the previous
// save, share the next one: ten thousand hosts registering at once (at startup, or
// after gantryd's database was wiped) cost a few file rewrites, not one each, and a
// lone new id is saved at once. A failed save is logged (at most once a minute) and
// retried after `retry_delay`; its waiters keep waiting.
//
// Thread-safety: Record and ids() may be called from any thread. Saves run on `loop`
// one at a time; SaveNow and Close must be called on `loop`, or once nothing runs on it
// any more. `saved` callbacks run on the thread that completed the save, outside the
// saver's lock, so they should only post work elsewhere. Errors: SaveNow returns the
// save function's error.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/loop.h"

namespace gantry::agent {

class HostIdSaver {
 public:
  // Writes every id durably (HostIdStore::Save), index = host index.
  using SaveFn = std::function<absl::Status(const std::vector<std::string>& ids)>;

  struct Options {
    absl::Duration min_interval = absl::Milliseconds(200);
    absl::Duration retry_delay = absl::Seconds(1);
  };

  // `ids` are the ids already saved. `loop` must outlive the saver, and the saver every
  // timer it set on `loop` (destroy the loop's executor first, or stop it).
  HostIdSaver(std::vector<std::string> ids, SaveFn save, Loop* loop, Options options);
  HostIdSaver(const HostIdSaver&) = delete;
  HostIdSaver& operator=(const HostIdSaver&) = delete;

  // Host `index` got `id`: saved soon, then `saved` runs (see the file comment).
  void Record(int index, std::string id, std::function<void()> saved);

  // Saves now when anything changed since the last successful save, then runs the
  // waiters that save covered. OK when there was nothing to save.
  absl::Status SaveNow();

  // Forgets every waiter without running it (their sessions are going away) and sets
  // no more timers; later Records only update the ids. SaveNow still saves.
  void Close();

  // Every host's id ("" while it has none).
  std::vector<std::string> ids() const;

 private:
  void ScheduleLocked(absl::Duration delay) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void OnTimer();

  const SaveFn save_;
  Loop* const loop_;
  const Options options_;

  mutable absl::Mutex mutex_;
  // Invariants: saved_version_ <= version_; every waiter's id is in ids_, so the next
  // successful save covers it; waiters_ is empty when saved_version_ == version_.
  std::vector<std::string> ids_ ABSL_GUARDED_BY(mutex_);
  uint64_t version_ ABSL_GUARDED_BY(mutex_) = 0;  // grows with every Record
  uint64_t saved_version_ ABSL_GUARDED_BY(mutex_) = 0;
  std::vector<std::function<void()>> waiters_ ABSL_GUARDED_BY(mutex_);
  bool timer_set_ ABSL_GUARDED_BY(mutex_) = false;
  bool closed_ ABSL_GUARDED_BY(mutex_) = false;
  absl::Time next_save_at_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();

  absl::Time last_error_logged_ = absl::InfinitePast();  // SaveNow's caller only
};

}  // namespace gantry::agent
