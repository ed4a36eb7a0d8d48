// The log relay: where GetTaskLogs calls wait for their agent's answer, and where
// gantryd remembers which hosts' next poll must hand out log requests. Both are driven
// by notifications on the commands channel (storage::kLogRequestToken and
// kLogAnswerToken), which reach every gantryd sharing the database: the agent may poll
// one replica while the caller waits on another.
//
//   Await(id, deadline, wake): `wake` runs on the relay's thread with kAnswered when
//       Answered(id) comes, kRecheck after Reset (notifications may have been missed
//       while the listener reconnected), and kDeadline once at `deadline`; it is not
//       called after Forget(id) has run. A wake already under way when another thread
//       calls Forget may still run: callers that finish from several threads keep their
//       own once-flag.
//   RequestedFor(host) / PendingFor(host) / Consumed(host, n): a log request for the host
//       committed; poll reads of that host take its requests until a read that saw n
//       pending ones took them (requests that come meanwhile stay pending). After Reset
//       every host counts as requested for a while (kResetWindow), since its
//       notification may be lost.
//
// No thread per call: one Boost.Asio thread owns the waiters and their timers. Every
// method may be called from any thread and never blocks, except Shutdown, which wakes
// every waiter with kDeadline and joins the thread; an Await after Shutdown wakes its
// waiter with kDeadline at once, on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace gantry::api {

class LogRelay {
 public:
  enum class Wake { kAnswered, kRecheck, kDeadline };
  // How long after a Reset every host's poll reads its log requests.
  static constexpr absl::Duration kResetWindow = absl::Seconds(60);

  static std::unique_ptr<LogRelay> Start();
  ~LogRelay();  // Shutdown()
  LogRelay(const LogRelay&) = delete;
  LogRelay& operator=(const LogRelay&) = delete;

  void Await(const std::string& request_id, absl::Time deadline, std::function<void(Wake)> wake);
  void Forget(const std::string& request_id);
  void Answered(const std::string& request_id);

  void RequestedFor(const std::string& instance_id);
  // How many requests the host's read must take (0: none); pass it to Consumed once
  // they were taken.
  uint64_t PendingFor(const std::string& instance_id);
  void Consumed(const std::string& instance_id, uint64_t pending);

  // Notifications may have been lost: every waiter rechecks, every host counts as
  // requested for kResetWindow.
  void Reset();

  void Shutdown();

 private:
  class Core;
  explicit LogRelay(std::shared_ptr<Core> core);

  std::shared_ptr<Core> core_;
  std::thread thread_;

  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, uint64_t> requested_ ABSL_GUARDED_BY(mutex_);
  absl::Time everyone_until_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
  bool closed_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace gantry::api
