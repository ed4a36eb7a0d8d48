#include "agent/registration_gate.h"

#include <utility>

namespace gantry::agent {

RegistrationGate::RegistrationGate(int slots) : slots_(slots) {}

void RegistrationGate::Acquire(std::function<void()> granted) {
  {
    absl::MutexLock lock(&mutex_);
    if (in_use_ >= slots_) {
      waiting_.push_back(std::move(granted));
      return;
    }
    ++in_use_;
  }
  granted();
}

void RegistrationGate::Release() {
  std::function<void()> next;
  {
    absl::MutexLock lock(&mutex_);
    if (waiting_.empty()) {
      --in_use_;
      return;
    }
    // The slot passes straight to the next waiter.
    next = std::move(waiting_.front());
    waiting_.pop_front();
  }
  next();
}

}  // namespace gantry::agent
