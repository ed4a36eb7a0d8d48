#include "agent/host_id_saver.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "common/log.h"

namespace gantry::agent {
namespace {

constexpr absl::Duration kErrorLogInterval = absl::Minutes(1);

}  // namespace

HostIdSaver::HostIdSaver(std::vector<std::string> ids, SaveFn save, Loop* loop, Options options)
    : save_(std::move(save)), loop_(loop), options_(options), ids_(std::move(ids)) {}

void HostIdSaver::Record(int index, std::string id, std::function<void()> saved) {
  absl::MutexLock lock(&mutex_);
  if (static_cast<size_t>(index) >= ids_.size()) ids_.resize(static_cast<size_t>(index) + 1);
  ids_[static_cast<size_t>(index)] = std::move(id);
  ++version_;
  if (closed_) return;
  waiters_.push_back(std::move(saved));
  ScheduleLocked(next_save_at_ - loop_->Now());
}

absl::Status HostIdSaver::SaveNow() {
  std::vector<std::string> ids;
  std::vector<std::function<void()>> waiters;
  uint64_t version = 0;
  {
    absl::MutexLock lock(&mutex_);
    if (version_ == saved_version_) return absl::OkStatus();
    ids = ids_;
    version = version_;
    waiters.swap(waiters_);
    next_save_at_ = loop_->Now() + options_.min_interval;
  }
  absl::Status status = save_(ids);
  if (status.ok()) {
    {
      absl::MutexLock lock(&mutex_);
      saved_version_ = std::max(saved_version_, version);
    }
    for (std::function<void()>& saved : waiters) saved();
    return status;
  }
  {
    absl::MutexLock lock(&mutex_);
    if (!closed_) {
      // Oldest first, as they came.
      waiters_.insert(waiters_.begin(), std::make_move_iterator(waiters.begin()),
                      std::make_move_iterator(waiters.end()));
      next_save_at_ = loop_->Now() + options_.retry_delay;
      ScheduleLocked(options_.retry_delay);
    }
  }
  if (loop_->Now() - last_error_logged_ >= kErrorLogInterval) {
    last_error_logged_ = loop_->Now();
    log::Error("host_ids_save_failed",
               {{"error", status.message()}, {"action", "hosts with new ids wait; retrying"}});
  }
  return status;
}

void HostIdSaver::Close() {
  absl::MutexLock lock(&mutex_);
  closed_ = true;
  waiters_.clear();
}

std::vector<std::string> HostIdSaver::ids() const {
  absl::MutexLock lock(&mutex_);
  return ids_;
}

void HostIdSaver::ScheduleLocked(absl::Duration delay) {
  if (timer_set_ || closed_) return;
  timer_set_ = true;
  loop_->After(delay, [this] { OnTimer(); });
}

void HostIdSaver::OnTimer() {
  {
    absl::MutexLock lock(&mutex_);
    timer_set_ = false;
    if (closed_) return;
  }
  SaveNow().IgnoreError();  // logged and retried there
}

}  // namespace gantry::agent
