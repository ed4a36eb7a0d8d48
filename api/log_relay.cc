#include "api/log_relay.h"

#include <chrono>
#include <map>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/time/clock.h"

namespace gantry::api {

// Owns the waiters; touched only on the io_context's thread.
class LogRelay::Core {
 public:
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};

  struct Waiter {
    std::function<void(Wake)> wake;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  std::map<std::string, Waiter> waiters;
  bool stopped = false;

  void Add(const std::string& id, absl::Time deadline, std::function<void(Wake)> wake) {
    if (stopped) {
      wake(Wake::kDeadline);
      return;
    }
    Waiter& waiter = waiters[id];
    waiter.wake = std::move(wake);
    waiter.timer = std::make_unique<boost::asio::steady_timer>(io);
    waiter.timer->expires_after(
        std::chrono::milliseconds(absl::ToInt64Milliseconds(deadline - absl::Now())));
    waiter.timer->async_wait([this, id](const boost::system::error_code& error) {
      if (error) {
        return;  // cancelled: forgotten
      }
      auto it = waiters.find(id);
      if (it == waiters.end()) {
        return;
      }
      std::function<void(Wake)> wake = std::move(it->second.wake);
      waiters.erase(it);
      wake(Wake::kDeadline);
    });
  }

  void Remove(const std::string& id) {
    auto it = waiters.find(id);
    if (it != waiters.end()) {
      it->second.timer->cancel();
      waiters.erase(it);
    }
  }

  void WakeOne(const std::string& id, Wake why) {
    auto it = waiters.find(id);
    if (it != waiters.end()) {
      // A copy: the wake may Forget (erase) its own waiter.
      std::function<void(Wake)> wake = it->second.wake;
      wake(why);
    }
  }

  void WakeAll(Wake why) {
    std::vector<std::string> ids;
    for (const auto& [id, waiter] : waiters) {
      ids.push_back(id);
    }
    for (const std::string& id : ids) {
      WakeOne(id, why);
    }
  }

  void Stop() {
    stopped = true;
    std::map<std::string, Waiter> left = std::move(waiters);
    waiters.clear();
    for (auto& [id, waiter] : left) {
      waiter.timer->cancel();
      waiter.wake(Wake::kDeadline);
    }
    work.reset();
  }
};

std::unique_ptr<LogRelay> LogRelay::Start() {
  auto relay = std::unique_ptr<LogRelay>(new LogRelay(std::make_shared<Core>()));
  relay->thread_ = std::thread([core = relay->core_] { core->io.run(); });
  return relay;
}

LogRelay::LogRelay(std::shared_ptr<Core> core) : core_(std::move(core)) {}

LogRelay::~LogRelay() { Shutdown(); }

void LogRelay::Await(const std::string& request_id, absl::Time deadline,
                     std::function<void(Wake)> wake) {
  {
    // Posted under the lock: Shutdown's stop is posted after it, so it finds the waiter.
    absl::MutexLock lock(&mutex_);
    if (!closed_) {
      boost::asio::post(
          core_->io, [core = core_.get(), request_id, deadline, wake = std::move(wake)]() mutable {
            core->Add(request_id, deadline, std::move(wake));
          });
      return;
    }
  }
  // Nobody runs the relay's thread any more.
  wake(Wake::kDeadline);
}

void LogRelay::Forget(const std::string& request_id) {
  boost::asio::post(core_->io, [core = core_.get(), request_id] { core->Remove(request_id); });
}

void LogRelay::Answered(const std::string& request_id) {
  boost::asio::post(
      core_->io, [core = core_.get(), request_id] { core->WakeOne(request_id, Wake::kAnswered); });
}

void LogRelay::RequestedFor(const std::string& instance_id) {
  absl::MutexLock lock(&mutex_);
  ++requested_[instance_id];
}

uint64_t LogRelay::PendingFor(const std::string& instance_id) {
  absl::MutexLock lock(&mutex_);
  auto it = requested_.find(instance_id);
  const uint64_t pending = it == requested_.end() ? 0 : it->second;
  // Within the window after a reset a host may have requests nobody told us about.
  return pending > 0 ? pending : (absl::Now() < everyone_until_ ? 1 : 0);
}

void LogRelay::Consumed(const std::string& instance_id, uint64_t pending) {
  absl::MutexLock lock(&mutex_);
  auto it = requested_.find(instance_id);
  if (it == requested_.end()) {
    return;
  }
  if (it->second <= pending) {
    requested_.erase(it);
  } else {
    it->second -= pending;
  }
}

void LogRelay::Reset() {
  {
    absl::MutexLock lock(&mutex_);
    everyone_until_ = absl::Now() + kResetWindow;
  }
  boost::asio::post(core_->io, [core = core_.get()] { core->WakeAll(Wake::kRecheck); });
}

void LogRelay::Shutdown() {
  {
    absl::MutexLock lock(&mutex_);
    if (closed_) {
      return;
    }
    closed_ = true;
    boost::asio::post(core_->io, [core = core_.get()] { core->Stop(); });
  }
  thread_.join();
}

}  // namespace gantry::api
