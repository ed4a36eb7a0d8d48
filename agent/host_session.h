// One simulated host's side of the agent protocol (agent.proto): register (or reconnect
// with the tasks it holds), long-poll for commands and apply them to the host's
// Runtime in sequence order, and report every task state change. The registration at
// start (with the saved host id and every task held) is where gantryd reconciles after
// an agent restart. A new host id is persisted (hooks.host_id_changed) before the
// session polls with it. Recovery:
//
//   UNAVAILABLE, DEADLINE_EXCEEDED and other transient errors of a poll: exponential
//       backoff with jitter (100 ms doubling to 5 s), then poll again. No
//       re-registration: the poll is the heartbeat, commands are durable and reports
//       are retried from their queue, so nothing is lost, and a gantryd restart or an
//       overloaded database does not become a reconnect storm of every host.
//   The same errors of a registration: backoff, then register again.
//   NOT_FOUND on register or poll: gantryd no longer knows the host id (database
//       wiped). Stop every task locally, forget the id and the acknowledged sequence,
//       register as a new host.
//   FAILED_PRECONDITION on poll: the host was declared lost, or the acknowledged
//       sequence was never issued; re-register with the same id after a backoff step.
//   After every successful registration the acknowledged sequence starts again at 0:
//       gantryd redelivers what is pending and the session applies it idempotently,
//       which also recovers from a stale acknowledgement.
//   INVALID_ARGUMENT, UNIMPLEMENTED, PERMISSION_DENIED, UNAUTHENTICATED on register or
//       poll: retrying cannot help (every host sends the same kind of request); the
//       session stops and calls hooks.fatal.
//   ReportTaskState failures: the batch goes back to the front of the queue and is
//       retried after its own backoff. INVALID_ARGUMENT means some report can never be
//       accepted: the batch is resent one report per call and the refused report is
//       dropped (logged as an error). Reports wait while the host is not registered
//       (or its id not yet saved, or its poll backs off).
//   A reconnect carries at most max_reconnect_tasks tasks (gantryd's limit); the rest
//       are queued as ordinary reports.
//
// Reports are queued oldest first and sent in batches, one call in flight at a time.
// When more than `compact_reports_above` pile up, only the newest report per task is
// kept, plus every STOPPED report (CompactReports). A STOPPED task is forgotten by the
// runtime once gantryd answered its report; a task gantryd calls UNKNOWN, or wants
// STOPPED, is stopped locally.
//
// Thread-safety: everything runs on the session's Loop; Start and Shutdown may be
// called from any thread (they post). The transport's callbacks are posted onto the
// loop. The session must outlive every posted callback: shut it down, wait until the
// transport has no call in flight, stop the loop, then destroy the session.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gantry/v1/agent.pb.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/backoff.h"
#include "agent/loop.h"
#include "agent/registration_gate.h"
#include "agent/runtime.h"
#include "agent/task_metrics.h"
#include "agent/transport.h"

namespace gantry::agent {

struct SessionConfig {
  int index = 0;  // the host's index in the agent (state-dir line, name suffix)
  std::string host_name;
  std::string availability_zone;
  int64_t cpu_units = 0;
  int64_t memory_mib = 0;
  int64_t ephemeral_storage_gib = 0;
  int64_t eni_slots = 0;
  std::string agent_version;
  // The long-poll wait: min(poll_wait, host timeout / 2) so a poll doubles as heartbeat.
  absl::Duration poll_wait = absl::Seconds(20);
  // Deadline of RegisterHost and ReportTaskState; a poll gets its wait plus poll_slack.
  absl::Duration call_timeout = absl::Seconds(30);
  absl::Duration poll_slack = absl::Seconds(10);
  int max_commands = 100;
  int max_reports_per_call = 100;  // gantryd takes up to 1000
  int max_reconnect_tasks = 4096;  // gantryd's limit for RegisterHost.tasks
  size_t compact_reports_above = 1000;
  absl::Duration backoff_initial = absl::Milliseconds(100);
  absl::Duration backoff_max = absl::Seconds(5);
  uint64_t seed = 0;  // backoff jitter
  // How often the usage of running tasks is reported (ReportTaskMetrics); zero: never.
  absl::Duration metrics_interval = absl::Seconds(10);
};

// How a session tells its owner about events. Each runs on the session's loop and must
// not block; any may be empty.
struct SessionHooks {
  // The host got a new id (a registration as a new host). Persist it, then call `saved`
  // once, from any thread, when it is durable: the session neither polls nor reports
  // until then, so a crash cannot leave gantryd a host the agent forgot. `saved` must
  // not run after the session is destroyed (dropping it is fine). Without this hook the
  // session polls at once.
  std::function<void(int index, const std::string& host_id, std::function<void()> saved)>
      host_id_changed;
  // The first successful registration of the session (for a new host: once its id is
  // saved).
  std::function<void(int index)> registered;
  // gantryd refused a registration or poll in a way retrying cannot fix; the session
  // stopped.
  std::function<void(const absl::Status& status)> fatal;
  // A call failed and will be retried.
  std::function<void(const absl::Status& status)> call_failed;
};

// Makes the host's runtime; `report` is the session's report sink.
using RuntimeFactory = std::function<std::unique_ptr<Runtime>(ReportFn report)>;

// Keeps the newest report of each task and every STOPPED report, in queue order.
void CompactReports(std::deque<v1::TaskStateReport>& queue);

class HostSession {
 public:
  enum class State {
    kIdle,
    kWaitingForSlot,
    kRegistering,
    kSavingId,  // registered as a new host; waiting until its id is persisted
    kPolling,
    kBackingOff,
    kStopped
  };

  // `host_id` is the saved id ("" registers a new host). `loop`, `transport` and `gate`
  // must outlive the session.
  HostSession(SessionConfig config, std::string host_id, Loop* loop, AgentTransport* transport,
              RegistrationGate* gate, SessionHooks hooks, const RuntimeFactory& make_runtime);
  HostSession(const HostSession&) = delete;
  HostSession& operator=(const HostSession&) = delete;

  // Starts registering (posts).
  void Start();
  // Stops the session and cancels its calls in flight (posts); `done` then runs on the
  // loop. After it the session starts no call and reports nothing more.
  void Shutdown(std::function<void()> done);

  // Observers, for tests; call on the loop.
  State state() const { return state_; }
  const std::string& host_id() const { return host_id_; }
  int64_t acked_sequence() const { return acked_sequence_; }
  size_t queued_reports() const { return reports_.size(); }
  Runtime& runtime() { return *runtime_; }

 private:
  void SetState(State state);
  void RequestRegister();
  void SendRegister();
  void AddSnapshot(v1::RegisterHostRequest& request);
  void OnRegistered(absl::StatusOr<v1::RegisterHostResponse> result);
  void OnRegisterFailed(const absl::Status& status);
  void GiveUp(const char* event, const absl::Status& status);
  void BecomeNewHost(const absl::Status& status);
  void OnIdSaved();
  void StartPolling();
  void Poll();
  void OnPolled(absl::StatusOr<v1::PollCommandsResponse> result);
  void OnPollFailed(const absl::Status& status);
  void Apply(const v1::Command& command);
  void OnRuntimeReport(v1::TaskStateReport report);
  void MaybeSendReports();
  void OnReported(absl::StatusOr<v1::ReportTaskStateResponse> result);
  void DropRefused(const v1::TaskStateReport& report, const absl::Status& status);
  void HandleResult(const v1::TaskStateReport& report, const v1::TaskReportResult* result);
  void ConnectionLost(const absl::Status& status);
  void ReportMetrics();
  // Reads the log piece a request asks for and answers it (SubmitLogs); when there is
  // nothing yet, reads again every kLogRecheck until `wait_until`.
  void AnswerLogRequest(const v1::LogRequest& request, absl::Time wait_until);
  static constexpr absl::Duration kLogRecheck = absl::Milliseconds(250);
  void RetryLater(void (HostSession::*retry)());

  const SessionConfig config_;
  Loop* const loop_;
  AgentTransport* const transport_;
  RegistrationGate* const gate_;
  const SessionHooks hooks_;
  std::unique_ptr<Runtime> runtime_;

  State state_ = State::kIdle;
  bool stopping_ = false;
  std::string host_id_;
  // Invariant: every command with sequence <= acked_sequence_ has been applied; the
  // next poll acknowledges them. Reset to 0 by every registration (sequences are per
  // host, and a reconnect redelivers what is pending).
  int64_t acked_sequence_ = 0;
  absl::Duration host_timeout_ = absl::InfiniteDuration();
  std::string host_status_;
  bool ever_registered_ = false;
  // false from a failed call until the next successful registration or poll
  bool connected_ = false;
  Backoff backoff_;
  // STOPPED tasks sent with the registration in flight: forgotten once it succeeds.
  std::vector<std::string> registering_stopped_;

  // Reports not yet sent, oldest first, and the batch in flight (at most one).
  std::deque<v1::TaskStateReport> reports_;
  std::vector<v1::TaskStateReport> reports_in_flight_;
  bool report_in_flight_ = false;
  bool report_retry_pending_ = false;
  size_t send_singly_ = 0;  // reports still to send one per call (isolating a refusal)
  Backoff report_backoff_;

  AgentTransport::Cancel register_cancel_;
  AgentTransport::Cancel poll_cancel_;
  AgentTransport::Cancel report_cancel_;

  // Per-task metrics: a timer every metrics_interval once registered, at most one call
  // in flight; a reading taken while one is in flight is skipped, and a failed call is
  // not retried (the next reading supersedes it).
  MetricsDeriver metrics_;
  // Tasks whose last report (or registration snapshot) was not STOPPED: a log request
  // waits for more only there.
  std::set<std::string> running_;
  bool metrics_timer_started_ = false;
  bool metrics_in_flight_ = false;
  AgentTransport::Cancel metrics_cancel_;
};

}  // namespace gantry::agent
