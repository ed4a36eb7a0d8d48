// The agent's event-loop seam: a serial executor with a clock and timers. Everything of
// one simulated host (its protocol session and its runtime) runs on one Loop, so that
// state is never touched by two threads at once and needs no lock. The production Loop
// is an Asio strand (asio_loop.h); tests use a fake whose clock they advance by hand.
//
// Thread-safety: Post and After may be called from any thread; the functions they are
// given run one at a time, never inline, in posting order for Post. Errors: none.
#pragma once

#include <functional>

#include "absl/time/time.h"

namespace gantry::agent {

class Loop {
 public:
  virtual ~Loop() = default;

  // The current time (wall clock: reports carry epoch milliseconds).
  virtual absl::Time Now() = 0;
  // Runs `fn` on the loop soon.
  virtual void Post(std::function<void()> fn) = 0;
  // Runs `fn` on the loop once `delay` has passed (a zero or negative delay posts).
  // There is no cancellation: callers make a stale timer a no-op (e.g. a generation
  // number). Pending timers are dropped without running when the loop is destroyed.
  virtual void After(absl::Duration delay, std::function<void()> fn) = 0;
};

}  // namespace gantry::agent
