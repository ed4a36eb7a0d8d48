// Exponential backoff with jitter for retrying calls to gantryd: the n-th delay is drawn
// uniformly from [d/2, d] where d = initial * 2^n, capped at `max`, so that thousands of
// simulated hosts that lost the same connection do not retry in lockstep.
// Not thread-safe (one per session, used on its loop). No errors.
#pragma once

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace gantry::agent {

class Backoff {
 public:
  Backoff(absl::Duration initial, absl::Duration max, uint64_t seed);

  // The next delay to wait; each call doubles the ceiling until `max`.
  absl::Duration Next();
  // Back to `initial` (after a call succeeded).
  void Reset();

 private:
  const absl::Duration initial_;
  const absl::Duration max_;
  absl::Duration ceiling_;
  std::mt19937_64 random_;
};

}  // namespace gantry::agent
