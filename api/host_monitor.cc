#include "api/host_monitor.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"
#include "api/poll_hub.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace gantry::api {
namespace {

// Heartbeats kept across failed writes, at most; beyond that the oldest are dropped
// (their hosts poll again long before the timeout, and the write is likely to fail
// for as long as the database is down anyway).
constexpr size_t kMaxUnwritten = 1 << 20;

// The monitor's statements are small; a stuck one must not stall heartbeats forever.
constexpr storage::ConnectionLimits kLimits{.statement_timeout = absl::Seconds(30),
                                            .lock_timeout = absl::Seconds(5)};

}  // namespace

absl::Duration HostMonitor::TickFor(absl::Duration host_timeout) {
  return std::clamp(host_timeout / 10, absl::Milliseconds(50), absl::Seconds(1));
}

absl::StatusOr<std::unique_ptr<HostMonitor>> HostMonitor::Start(
    Options options, PollHub* hub, std::function<void()> capacity_changed) {
  if (options.host_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("host timeout: must be positive");
  }
  GANTRY_ASSIGN_OR_RETURN(std::unique_ptr<storage::Connection> connection,
                          storage::Connection::Open(options.conninfo, kLimits));
  auto monitor = std::unique_ptr<HostMonitor>(
      new HostMonitor(std::move(options), std::move(connection), hub, std::move(capacity_changed)));
  monitor->thread_ = std::thread([raw = monitor.get()] { raw->Loop(); });
  return monitor;
}

HostMonitor::HostMonitor(Options options, std::unique_ptr<storage::Connection> connection,
                         PollHub* hub, std::function<void()> capacity_changed)
    : options_(std::move(options)),
      tick_(TickFor(options_.host_timeout)),
      connection_(std::move(connection)),
      hub_(hub),
      capacity_changed_(std::move(capacity_changed)) {}

HostMonitor::~HostMonitor() { Stop(); }

void HostMonitor::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void HostMonitor::Loop() {
  // No host is declared lost before this gantryd has been up for a whole host timeout.
  // After a restart every host looks silent: its agent polled the old process (whose
  // collected heartbeats were never written) or could not reach any gantryd while this
  // one was starting. Agents notice the restart on their next poll and reconnect within
  // half a timeout, so waiting one timeout lets them prove they are alive first instead
  // of having all their tasks stopped.
  const absl::Time sweep_from = absl::Now() + options_.host_timeout;
  log::Info("host_monitor_started", {{"host_timeout", absl::FormatDuration(options_.host_timeout)},
                                     {"tick", absl::FormatDuration(tick_)}});
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), tick_)) break;
    }
    FlushHeartbeats();
    if (absl::Now() >= sweep_from) SweepLostHosts();
  }
  // What was collected since the last tick still counts (another replica may sweep).
  FlushHeartbeats();
}

void HostMonitor::FlushHeartbeats() {
  std::vector<std::string> seen = hub_->TakeHeartbeats();
  if (seen.empty() && unwritten_.empty()) return;
  if (!unwritten_.empty()) {
    absl::flat_hash_set<std::string> all(seen.begin(), seen.end());
    for (std::string& id : unwritten_) {
      if (all.insert(id).second) seen.push_back(std::move(id));
    }
    unwritten_.clear();
  }
  // A row written less than a tenth of the timeout ago is fresh enough; rows another
  // transaction holds are skipped (never waited for) and recorded again next tick.
  std::vector<std::string> locked;
  absl::Status written = storage::RecordHeartbeats(
      *connection_, seen, std::min(absl::Seconds(1), options_.host_timeout / 10), &locked);
  if (written.ok()) {
    unwritten_ = std::move(locked);
    return;
  }
  log::Warning("heartbeats_not_written",
               {{"hosts", seen.size()}, {"error", std::string(written.message())}});
  if (seen.size() > kMaxUnwritten) seen.resize(kMaxUnwritten);
  unwritten_ = std::move(seen);
}

void HostMonitor::SweepLostHosts() {
  absl::StatusOr<std::vector<storage::LostHost>> lost =
      storage::MarkLostHosts(*connection_, options_.host_timeout, options_.max_lost_per_tick);
  if (!lost.ok()) {
    log::Warning("lost_host_sweep_failed", {{"error", std::string(lost.status().message())}});
    return;
  }
  if (lost->empty()) return;
  std::vector<std::string> ids;
  bool stopped_any = false;
  // storage::MarkLostHosts logs each lost host.
  for (const storage::LostHost& host : *lost) {
    ids.push_back(host.instance_id);
    stopped_any = stopped_any || !host.stopped_task_ids.empty();
  }
  // A lost host's held poll reads again and learns it was declared lost.
  hub_->Wake(ids);
  if (stopped_any && capacity_changed_) capacity_changed_();
}

}  // namespace gantry::api
