#include "agent/asio_loop.h"

#include <chrono>
#include <memory>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/time/clock.h"

namespace gantry::agent {

AsioLoop::AsioLoop(boost::asio::io_context& io) : strand_(boost::asio::make_strand(io)) {}

absl::Time AsioLoop::Now() { return absl::Now(); }

void AsioLoop::Post(std::function<void()> fn) { boost::asio::post(strand_, std::move(fn)); }

void AsioLoop::After(absl::Duration delay, std::function<void()> fn) {
  if (delay <= absl::ZeroDuration()) {
    Post(std::move(fn));
    return;
  }
  // The handler owns its timer; an error means the io_context is going away.
  auto timer = std::make_shared<boost::asio::steady_timer>(strand_);
  timer->expires_after(absl::ToChronoNanoseconds(delay));
  timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& error) {
    if (!error) fn();
  });
}

}  // namespace gantry::agent
