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
//   RequestedFor(host) / TakeRequested(host): a log request for the host committed; the
//       next poll read of that host takes its requests. After Reset every host counts as
//       requested for a while (kResetWindow), since its notification may be lost.
//
// No thread per call: one Boost.Asio thread owns the waiters and their timers. Every
// method may be called from any thread and never blocks, except Shutdown, which wakes
// every waiter with kDeadline and joins the thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
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
  // Whether the host's next read must take its log requests; clears its flag.
  bool TakeRequested(const std::string& instance_id);

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
  absl::flat_hash_set<std::string> requested_ ABSL_GUARDED_BY(mutex_);
  absl::Time everyone_until_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
};

}  // namespace gantry::api
