// A Loop for tests: nothing runs until the test says so, and time moves only when the
// test advances it. Single-threaded.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <utility>

#include "absl/time/time.h"
#include "agent/loop.h"

namespace gantry::agent::testing {

class FakeLoop final : public Loop {
 public:
  absl::Time Now() override { return now_; }
  void Post(std::function<void()> fn) override { After(absl::ZeroDuration(), std::move(fn)); }
  void After(absl::Duration delay, std::function<void()> fn) override {
    queue_.emplace(Key{now_ + std::max(delay, absl::ZeroDuration()), next_++}, std::move(fn));
  }

  // Runs everything due now, including what that posts.
  void RunUntilIdle() { Advance(absl::ZeroDuration()); }

  // Moves the clock forward by `delay`, running every timer in time (then posting) order.
  void Advance(absl::Duration delay) {
    absl::Time until = now_ + delay;
    while (!queue_.empty() && queue_.begin()->first.at <= until) {
      auto first = queue_.begin();
      now_ = std::max(now_, first->first.at);
      std::function<void()> fn = std::move(first->second);
      queue_.erase(first);
      fn();
    }
    now_ = until;
  }

  size_t pending() const { return queue_.size(); }

 private:
  struct Key {
    absl::Time at;
    uint64_t order;
    bool operator<(const Key& other) const {
      return at < other.at || (at == other.at && order < other.order);
    }
  };

  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  uint64_t next_ = 0;
  std::multimap<Key, std::function<void()>> queue_;
};

}  // namespace gantry::agent::testing
