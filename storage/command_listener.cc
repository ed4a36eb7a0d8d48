// CommandListener: LISTEN on kCommandsChannel with a connection and thread of its own.
//
// The thread waits for notifications in short slices (kPollSlice) so that Stop() is
// prompt, and reconnects with exponential backoff when the connection breaks. A
// connection can die without a word (a middlebox forgets it, the server's host
// vanishes): after kProbeAfter without a notification the thread runs a query on it,
// which fails on such a connection, and TCP keepalives (internal::WithKeepalives) bound
// how long that takes. Only the thread touches the connection after Start() returns.
#include <algorithm>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "storage/internal/conninfo.h"
#include "storage/storage.h"

namespace gantry::storage {
namespace {

// How long one wait for a notification lasts: the bound on Stop()'s latency.
constexpr absl::Duration kPollSlice = absl::Milliseconds(200);
constexpr absl::Duration kMinBackoff = absl::Milliseconds(100);
constexpr absl::Duration kMaxBackoff = absl::Seconds(5);
// Quiet this long, the connection is probed.
constexpr absl::Duration kProbeAfter = absl::Seconds(5);

// The first line of a libpqxx message (it may quote the connection string after).
std::string FirstLine(const std::exception& error) {
  std::string what = error.what();
  return what.substr(0, what.find('\n'));
}

}  // namespace

class CommandListener::Impl {
 public:
  Impl(std::string conninfo, std::function<void(const std::vector<std::string>&)> on_hosts,
       std::function<void()> on_reset)
      : conninfo_(internal::WithKeepalives(conninfo)),
        on_hosts_(std::move(on_hosts)),
        on_reset_(std::move(on_reset)) {}

  ~Impl() { Stop(); }

  // Connects and listens; on success the thread takes over.
  absl::Status Start() {
    absl::Status connected = Connect();
    if (!connected.ok()) return connected;
    absl::MutexLock lock(&join_mu_);
    thread_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }

  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      if (!stop_.HasBeenNotified()) stop_.Notify();
    }
    absl::MutexLock lock(&join_mu_);
    if (thread_.joinable()) thread_.join();
  }

 private:
  class Receiver : public pqxx::notification_receiver {
   public:
    Receiver(pqxx::connection_base& connection, Impl* impl)
        : pqxx::notification_receiver(connection, kCommandsChannel), impl_(impl) {}
    void operator()(const std::string& payload, int /*backend_pid*/) override {
      std::vector<std::string> ids = absl::StrSplit(payload, ',', absl::SkipEmpty());
      if (!ids.empty()) impl_->on_hosts_(ids);
    }

   private:
    Impl* impl_;
  };

  absl::Status Connect() {
    try {
      auto connection = std::make_unique<pqxx::connection>(conninfo_);
      // Registering the receiver sends LISTEN.
      auto receiver = std::make_unique<Receiver>(*connection, this);
      connection_ = std::move(connection);
      receiver_ = std::move(receiver);
      return absl::OkStatus();
    } catch (const std::exception& error) {
      return absl::UnavailableError(
          absl::StrCat("command listener: cannot connect to the database: ", FirstLine(error)));
    }
  }

  void Disconnect() {
    // Closing first keeps the receiver's destructor from sending UNLISTEN (and libpqxx
    // from reconnecting to send it); the server forgets a closed session's LISTENs.
    if (connection_ != nullptr) connection_->disconnect();
    receiver_.reset();
    connection_.reset();
  }

  void Run() {
    // Notifications sent before LISTEN took effect were missed: the caller must
    // assume every host may have commands, after the first connection as after any.
    on_reset_();
    absl::Duration backoff = kMinBackoff;
    absl::Time last_heard = absl::Now();  // a notification or a probe answered
    while (!stop_.HasBeenNotified()) {
      if (connection_ == nullptr) {
        if (stop_.WaitForNotificationWithTimeout(backoff)) break;
        absl::Status connected = Connect();
        if (!connected.ok()) {
          backoff = std::min(backoff * 2, kMaxBackoff);
          log::Warning("command_listener_reconnect_failed",
                       {{"error", std::string(connected.message())},
                        {"retry_in", absl::FormatDuration(backoff)}});
          continue;
        }
        backoff = kMinBackoff;
        last_heard = absl::Now();
        log::Info("command_listener_reconnected", {{"channel", kCommandsChannel}});
        on_reset_();
      }
      try {
        const int received =
            connection_->await_notification(0, absl::ToInt64Microseconds(kPollSlice));
        // libpqxx reports a connection that broke while idle by no longer being open.
        if (!connection_->is_open()) throw pqxx::broken_connection("connection closed");
        if (received > 0) {
          last_heard = absl::Now();
        } else if (absl::Now() - last_heard >= kProbeAfter) {
          // Notifications that arrive during the probe wait in libpq for the next
          // await_notification: none is lost.
          pqxx::nontransaction probe(*connection_, "command listener probe");
          probe.exec("SELECT 1");
          last_heard = absl::Now();
        }
      } catch (const std::exception& error) {
        log::Warning("command_listener_disconnected", {{"error", FirstLine(error)}});
        Disconnect();
      }
    }
    Disconnect();
  }

  const std::string conninfo_;
  const std::function<void(const std::vector<std::string>&)> on_hosts_;
  const std::function<void()> on_reset_;

  absl::Mutex mu_;
  absl::Notification stop_;
  absl::Mutex join_mu_;
  std::thread thread_ ABSL_GUARDED_BY(join_mu_);
  // Touched by Start() before the thread exists, then only by the thread.
  std::unique_ptr<pqxx::connection> connection_;
  std::unique_ptr<Receiver> receiver_;
};

absl::StatusOr<std::unique_ptr<CommandListener>> CommandListener::Start(
    std::string conninfo, std::function<void(const std::vector<std::string>&)> on_hosts,
    std::function<void()> on_reset) {
  auto impl = std::make_unique<Impl>(std::move(conninfo), std::move(on_hosts), std::move(on_reset));
  absl::Status started = impl->Start();
  if (!started.ok()) return started;
  return std::unique_ptr<CommandListener>(new CommandListener(std::move(impl)));
}

CommandListener::CommandListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CommandListener::~CommandListener() { Stop(); }

void CommandListener::Stop() { impl_->Stop(); }

}  // namespace gantry::storage
