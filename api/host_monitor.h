// The host monitor: writes the heartbeats the poll hub collected and declares lost the
// hosts that stopped polling.
//
// One thread with its own storage::Connection. Every tick (a tenth of the host timeout,
// kept between 50 ms and 1 s) it writes the hub's heartbeats in one statement
// (storage::RecordHeartbeats; on failure they are kept for the next tick), then, once
// this gantryd has been up for a whole host timeout, declares lost every host not seen
// for that long (storage::MarkLostHosts): their tasks stop, their held polls are woken
// (to learn it), and `capacity_changed` is called when tasks were stopped. Several
// gantryd replicas may run monitors on one database: MarkLostHosts skips rows another
// one holds.
//
// Threading: Start and Stop from one owner thread; `capacity_changed` and the hub's
// methods are called on the monitor's thread. Database errors are logged and retried
// next tick; they never stop the monitor.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/storage.h"

namespace gantry::api {

class PollHub;

class HostMonitor {
 public:
  struct Options {
    std::string conninfo;
    // A host not seen for this long is lost. Must be positive.
    absl::Duration host_timeout = absl::Seconds(30);
    // Hosts declared lost per tick, at most (one transaction).
    int max_lost_per_tick = 1000;
  };

  // Connects and starts the thread. `hub` must outlive the monitor (or its Stop).
  // UNAVAILABLE when the database cannot be reached.
  static absl::StatusOr<std::unique_ptr<HostMonitor>> Start(Options options, PollHub* hub,
                                                            std::function<void()> capacity_changed);
  ~HostMonitor();  // Stop()
  HostMonitor(const HostMonitor&) = delete;
  HostMonitor& operator=(const HostMonitor&) = delete;

  // The tick interval for `host_timeout`: a tenth of it, between 50 ms and 1 s.
  static absl::Duration TickFor(absl::Duration host_timeout);

  // Ends the thread after its current tick and joins it. Idempotent.
  void Stop();

 private:
  HostMonitor(Options options, std::unique_ptr<storage::Connection> connection, PollHub* hub,
              std::function<void()> capacity_changed);
  void Loop();
  void FlushHeartbeats();
  void SweepLostHosts();

  const Options options_;
  const absl::Duration tick_;
  std::unique_ptr<storage::Connection> connection_;  // the monitor thread's
  PollHub* const hub_;
  const std::function<void()> capacity_changed_;
  // Heartbeats a failed write left for the next tick (the monitor thread's).
  std::vector<std::string> unwritten_;
  std::thread thread_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace gantry::api
