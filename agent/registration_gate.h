// Bounds how many RegisterHost calls are in flight across all simulated hosts, so that
// starting (or reconnecting) ten thousand hosts does not fire ten thousand registrations
// at gantryd at once. Waiters are served in arrival order.
//
// Thread-safety: all methods may be called from any thread. `granted` runs on the thread
// that frees the slot (or inline in Acquire), outside the gate's lock, so it must only
// post work elsewhere. No errors.
#pragma once

#include <deque>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace gantry::agent {

class RegistrationGate {
 public:
  explicit RegistrationGate(int slots);

  // Calls `granted` once a slot is free; the holder must call Release exactly once.
  void Acquire(std::function<void()> granted);
  void Release();

 private:
  const int slots_;
  absl::Mutex mutex_;
  int in_use_ ABSL_GUARDED_BY(mutex_) = 0;
  std::deque<std::function<void()>> waiting_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace gantry::agent
