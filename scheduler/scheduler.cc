#include "scheduler/scheduler.h"

#include <utility>

namespace gantry::scheduler {

class Scheduler::Loop {};

Scheduler::Scheduler(std::unique_ptr<Loop> loop) : loop_(std::move(loop)) {}
Scheduler::~Scheduler() { Shutdown(); }

absl::StatusOr<std::unique_ptr<Scheduler>> Scheduler::Start(Options /*options*/) {
  return std::unique_ptr<Scheduler>(new Scheduler(std::make_unique<Loop>()));
}

void Scheduler::Submit(RunRequest /*request*/,
                       std::function<void(absl::StatusOr<RunOutcome>)> done) {
  done(absl::UnimplementedError("RunTask is not implemented yet"));
}

void Scheduler::CapacityChanged() {}
void Scheduler::Shutdown() {}

}  // namespace gantry::scheduler
