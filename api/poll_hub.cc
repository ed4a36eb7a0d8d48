#include "api/poll_hub.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace gantry::api {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// Longest hold the hub accepts; callers cap far below (half the host timeout).
constexpr absl::Duration kMaxWait = absl::Hours(24);
// Distinct hosts remembered between two TakeHeartbeats calls. Mostly hosts the database
// already knows get here (a held poll follows a successful read); while reads fail, any
// well-formed id a client polls with may, so this also bounds what clients send (the
// writer ignores unknown ids).
constexpr size_t kMaxHeartbeats = 1 << 20;

Clock::duration ToClock(absl::Duration duration) {
  return std::chrono::duration_cast<Clock::duration>(absl::ToChronoNanoseconds(duration));
}

absl::Status ShuttingDown() {
  return absl::UnavailableError("gantryd is shutting down; poll again after reconnecting");
}

}  // namespace

class PollHub::Core : public std::enable_shared_from_this<PollHub::Core> {
 public:
  explicit Core(Options options)
      : max_fetches_(std::max(1, options.max_fetches_in_flight)),
        max_gap_(ToClock(options.max_poll_gap)),
        work_(asio::make_work_guard(io_)),
        prune_timer_(io_) {}

  void Run() {
    SchedulePrune();
    io_.run();
  }

  // Posts `handler` to the hub's thread; false (and `handler` untouched) once closed.
  template <typename Handler>
  bool Post(Handler&& handler) {
    absl::MutexLock lock(&post_mu_);
    if (!accepting_) return false;
    asio::post(io_, std::forward<Handler>(handler));
    return true;
  }

  // Stops accepting posts, then answers every held poll on the hub's thread and lets
  // the thread's run() return. Idempotent.
  void Close() {
    {
      absl::MutexLock lock(&post_mu_);
      if (!accepting_) return;
      accepting_ = false;
    }
    asio::post(io_, [this] { OnClose(); });
  }

  std::vector<std::string> TakeHeartbeats() {
    absl::flat_hash_set<std::string> taken;
    {
      absl::MutexLock lock(&heartbeats_mu_);
      taken.swap(heartbeats_);
    }
    return std::vector<std::string>(taken.begin(), taken.end());
  }

  // ---- Everything below runs on the hub's thread only. ----

  struct PendingPoll {
    PollRequest request;
    Fetch fetch;
    Reply done;
  };

  void OnPoll(PendingPoll& poll) {
    if (closed_) return poll.done(ShuttingDown());
    const Clock::time_point now = Clock::now();
    auto it = hosts_.try_emplace(poll.request.host_id).first;
    const std::string& key = it->first;
    Host& host = it->second;
    if (host.last_poll.has_value() && now - *host.last_poll > max_gap_) {
      host.clean_generation.reset();
    }
    host.last_poll = now;
    // One poll per host: the agent gave up on the older one.
    if (host.waiter.has_value()) Answer(key, host, EmptyResponse(host));
    Waiter& waiter = host.waiter.emplace();
    waiter.id = ++next_id_;
    waiter.acked_sequence = poll.request.acked_sequence;
    waiter.answer_when_empty = poll.request.wait <= absl::ZeroDuration();
    waiter.fetch = std::move(poll.fetch);
    waiter.done = std::move(poll.done);
    if (!waiter.answer_when_empty) {
      waiter.timer =
          std::make_unique<asio::steady_timer>(io_, ToClock(std::min(poll.request.wait, kMaxWait)));
      waiter.timer->async_wait([this, key, id = waiter.id](const boost::system::error_code& error) {
        if (!error) OnDeadline(key, id);
      });
    }
    Advance(key, host);
  }

  void OnWake(const std::vector<std::string>& host_ids) {
    if (closed_) return;
    for (const std::string& id : host_ids) {
      auto it = hosts_.find(id);
      if (it == hosts_.end()) continue;  // no record: dirty already, nothing held
      ++it->second.generation;
      Advance(it->first, it->second);
    }
  }

  void OnReset() {
    if (closed_) return;
    for (auto& [key, host] : hosts_) {
      ++host.generation;
      Advance(key, host);
    }
  }

  void OnFetched(const std::string& key, uint64_t fetch_id, absl::StatusOr<Read> result) {
    auto it = hosts_.find(key);
    if (it == hosts_.end()) return;
    Host& host = it->second;
    if (!host.fetching || host.fetch_id != fetch_id) return;
    host.fetching = false;
    --fetches_in_flight_;
    bool has_commands = false;
    if (result.ok()) {
      // Log requests are handed out once, so a read that took some must answer too.
      has_commands =
          !result->response.commands().empty() || !result->response.log_requests().empty();
      host.acked_sequence = std::max(host.acked_sequence, host.fetch_acked);
      host.status = result->response.host_status();
      // The generation seen *before* the read: a Wake that raced it leaves the host
      // dirty, so the poll reads again instead of sleeping on a missed command. A read
      // that left commands behind leaves it dirty too.
      if (!has_commands && !result->more_pending) {
        host.clean_generation = host.fetch_generation;
      } else {
        host.clean_generation.reset();
      }
    } else {
      host.clean_generation.reset();
      // The agent polled, so it is alive (a database hiccup must not become host loss),
      // unless the database does not know the host or declared it lost.
      absl::StatusCode code = result.status().code();
      if (code == absl::StatusCode::kNotFound || code == absl::StatusCode::kFailedPrecondition) {
        if (host.waiter.has_value()) {
          host.waiter->heartbeat_due = false;
        }
      } else {
        RecordHeartbeat(key);
      }
    }
    bool own = host.waiter.has_value() && host.waiter->id == host.fetch_waiter;
    if (!own && result.ok() && !result->response.log_requests().empty()) {
      // The read's poll was replaced: its commands will be read again, but its log
      // requests were taken once and go out with the host's next answer.
      for (v1::LogRequest& request : *result->response.mutable_log_requests()) {
        host.carried_logs.push_back(std::move(request));
      }
      result->response.clear_log_requests();
      host.clean_generation.reset();
    }
    has_commands = has_commands || !host.carried_logs.empty();
    if (own && (!result.ok() || has_commands || host.waiter->answer_when_empty)) {
      if (result.ok()) {
        Answer(key, host, std::move(result->response));
      } else {
        Answer(key, host, result.status());
      }
    } else {
      // Held, read again (a Wake raced the read, or more is pending), or the poll this
      // read was for was replaced and the newer one decides afresh.
      Advance(key, host);
    }
    StartQueuedFetches();
    MaybeForget(it);
  }

 private:
  struct Waiter {
    uint64_t id = 0;
    int64_t acked_sequence = 0;
    bool answer_when_empty = false;  // wait 0: answer after one read
    // This poll has not been recorded as a heartbeat yet.
    bool heartbeat_due = true;
    Fetch fetch;
    Reply done;
    std::unique_ptr<asio::steady_timer> timer;  // the deadline; null when wait is 0
  };

  // Invariants: `fetching` and `fetch_queued` are never both true; a host with either
  // set, or with a waiter, stays in hosts_; fetches_in_flight_ counts hosts with
  // `fetching`; fetch_queue_ holds every host with `fetch_queued` (and maybe stale keys).
  struct Host {
    uint64_t generation = 0;
    std::optional<uint64_t> clean_generation;  // unset: dirty
    int64_t acked_sequence = 0;                // the highest a read passed to the database
    std::string status;                        // host_status of the last read
    std::optional<Clock::time_point> last_poll;
    std::optional<Waiter> waiter;
    bool fetching = false;
    bool fetch_queued = false;
    // The read in flight: its id, the generation before it, its poll, its ack.
    uint64_t fetch_id = 0;
    uint64_t fetch_generation = 0;
    uint64_t fetch_waiter = 0;
    int64_t fetch_acked = 0;
    // Log requests a dropped read took (its poll was replaced), for the next answer.
    std::vector<v1::LogRequest> carried_logs;
  };
  using HostMap = absl::node_hash_map<std::string, Host>;

  static Response EmptyResponse(const Host& host) {
    Response response;
    response.set_host_status(host.status);
    return response;
  }

  void Answer(const std::string& key, Host& host, absl::StatusOr<Response> result) {
    if (result.ok()) {
      for (v1::LogRequest& request : host.carried_logs) {
        *result->add_log_requests() = std::move(request);
      }
      host.carried_logs.clear();
    }
    Waiter waiter = std::move(*host.waiter);
    host.waiter.reset();
    waiter.timer.reset();  // cancels the deadline; its handler sees operation_aborted
    if (waiter.heartbeat_due) RecordHeartbeat(key);
    waiter.done(std::move(result));
  }

  // Decides for the host's held poll: hold it, answer it (wait 0), or read.
  void Advance(const std::string& key, Host& host) {
    if (!host.waiter.has_value() || host.fetching || host.fetch_queued) return;
    Waiter& waiter = *host.waiter;
    bool clean = host.clean_generation.has_value() && *host.clean_generation == host.generation &&
                 waiter.acked_sequence <= host.acked_sequence;
    if (!clean) return StartFetch(key, host);
    if (waiter.heartbeat_due) {
      RecordHeartbeat(key);
      waiter.heartbeat_due = false;
    }
    if (waiter.answer_when_empty) Answer(key, host, EmptyResponse(host));
  }

  void StartFetch(const std::string& key, Host& host) {
    if (fetches_in_flight_ >= max_fetches_) {
      host.fetch_queued = true;
      fetch_queue_.push_back(key);
      return;
    }
    host.fetching = true;
    host.fetch_id = ++next_id_;
    host.fetch_generation = host.generation;
    host.fetch_waiter = host.waiter->id;
    host.fetch_acked = host.waiter->acked_sequence;
    ++fetches_in_flight_;
    std::weak_ptr<Core> weak = weak_from_this();
    ReadReply reply = [weak, key, fetch_id = host.fetch_id](absl::StatusOr<Read> result) {
      std::shared_ptr<Core> core = weak.lock();
      if (core == nullptr) return;
      Core* self = core.get();
      core->Post([self, key, fetch_id, result = std::move(result)]() mutable {
        self->OnFetched(key, fetch_id, std::move(result));
      });
    };
    // A copy: the reply may be handled before this returns, replacing nothing here, but
    // the waiter owning `fetch` must not be relied on across the call.
    Fetch fetch = host.waiter->fetch;
    fetch(std::move(reply));
  }

  void StartQueuedFetches() {
    while (fetches_in_flight_ < max_fetches_ && !fetch_queue_.empty()) {
      std::string key = std::move(fetch_queue_.front());
      fetch_queue_.pop_front();
      auto it = hosts_.find(key);
      if (it == hosts_.end() || !it->second.fetch_queued) continue;
      it->second.fetch_queued = false;
      Advance(it->first, it->second);
      MaybeForget(it);
    }
  }

  void OnDeadline(const std::string& key, uint64_t waiter_id) {
    auto it = hosts_.find(key);
    if (it == hosts_.end()) return;
    Host& host = it->second;
    if (!host.waiter.has_value() || host.waiter->id != waiter_id) return;
    Answer(key, host, EmptyResponse(host));
    MaybeForget(it);
  }

  // Drops a host the hub has nothing to remember about.
  void MaybeForget(HostMap::iterator it) {
    const Host& host = it->second;
    if (!host.waiter.has_value() && !host.fetching && !host.fetch_queued &&
        !host.clean_generation.has_value() && host.carried_logs.empty()) {
      hosts_.erase(it);
    }
  }

  // Every max_gap_, forgets idle hosts whose last poll is older than that: the gap rule
  // makes their clean record worthless, so lost or retired hosts do not pile up.
  void SchedulePrune() {
    prune_timer_.expires_after(max_gap_);
    prune_timer_.async_wait([this](const boost::system::error_code& error) {
      if (error || closed_) return;
      const Clock::time_point now = Clock::now();
      for (auto it = hosts_.begin(); it != hosts_.end();) {
        const Host& host = it->second;
        bool idle = !host.waiter.has_value() && !host.fetching && !host.fetch_queued &&
                    (!host.last_poll.has_value() || now - *host.last_poll > max_gap_);
        if (idle) {
          hosts_.erase(it++);
        } else {
          ++it;
        }
      }
      SchedulePrune();
    });
  }

  void RecordHeartbeat(const std::string& key) {
    absl::MutexLock lock(&heartbeats_mu_);
    if (heartbeats_.size() < kMaxHeartbeats) heartbeats_.insert(key);
  }

  void OnClose() {
    closed_ = true;
    for (auto& [key, host] : hosts_) {
      if (host.waiter.has_value()) Answer(key, host, EmptyResponse(host));
    }
    hosts_.clear();
    fetch_queue_.clear();
    prune_timer_.cancel();
    work_.reset();  // run() returns once the cancelled timers' handlers have run
  }

  const int max_fetches_;
  const Clock::duration max_gap_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;

  absl::Mutex post_mu_;
  bool accepting_ ABSL_GUARDED_BY(post_mu_) = true;

  absl::Mutex heartbeats_mu_;
  absl::flat_hash_set<std::string> heartbeats_ ABSL_GUARDED_BY(heartbeats_mu_);

  // The hub thread's state.
  asio::steady_timer prune_timer_;
  HostMap hosts_;
  std::deque<std::string> fetch_queue_;
  int fetches_in_flight_ = 0;
  uint64_t next_id_ = 0;
  bool closed_ = false;
};

PollHub::PollHub(std::shared_ptr<Core> core) : core_(std::move(core)) {}

std::unique_ptr<PollHub> PollHub::Start(Options options) {
  auto hub = std::unique_ptr<PollHub>(new PollHub(std::make_shared<Core>(options)));
  hub->thread_ = std::thread([core = hub->core_.get()] { core->Run(); });
  return hub;
}

PollHub::~PollHub() { Shutdown(); }

void PollHub::Poll(PollRequest request, Fetch fetch, Reply done) {
  auto poll = std::make_shared<Core::PendingPoll>(
      Core::PendingPoll{std::move(request), std::move(fetch), std::move(done)});
  Core* core = core_.get();
  if (!core_->Post([core, poll] { core->OnPoll(*poll); })) poll->done(ShuttingDown());
}

void PollHub::Wake(const std::vector<std::string>& host_ids) {
  Core* core = core_.get();
  core_->Post([core, host_ids] { core->OnWake(host_ids); });
}

void PollHub::Reset() {
  Core* core = core_.get();
  core_->Post([core] { core->OnReset(); });
}

std::vector<std::string> PollHub::TakeHeartbeats() { return core_->TakeHeartbeats(); }

void PollHub::Shutdown() {
  if (!thread_.joinable()) return;
  core_->Close();
  thread_.join();
}

}  // namespace gantry::api
