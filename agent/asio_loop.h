// The production Loop: an Asio strand on a shared io_context, with steady_timer timers.
// Thread-safety: as Loop. The io_context must outlive the loop; timers still pending
// when the io_context is destroyed are dropped without running.
#pragma once

#include <functional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include "agent/loop.h"

namespace gantry::agent {

class AsioLoop final : public Loop {
 public:
  explicit AsioLoop(boost::asio::io_context& io);

  absl::Time Now() override;
  void Post(std::function<void()> fn) override;
  void After(absl::Duration delay, std::function<void()> fn) override;

 private:
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
};

}  // namespace gantry::agent
