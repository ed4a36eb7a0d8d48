#include "agent/backoff.h"

#include <algorithm>

namespace gantry::agent {

Backoff::Backoff(absl::Duration initial, absl::Duration max, uint64_t seed)
    : initial_(initial), max_(max), ceiling_(initial), random_(seed) {}

absl::Duration Backoff::Next() {
  double fraction = std::uniform_real_distribution<double>(0.5, 1.0)(random_);
  absl::Duration delay = ceiling_ * fraction;
  ceiling_ = std::min(ceiling_ * 2, max_);
  return delay;
}

void Backoff::Reset() { ceiling_ = initial_; }

}  // namespace gantry::agent
