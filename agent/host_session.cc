#include "agent/host_session.h"

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "absl/status/status.h"
#include "common/log.h"

namespace gantry::agent {
namespace {

constexpr char kUnknownOutcome[] = "UNKNOWN";
constexpr char kUnknownTaskReason[] = "Task unknown to the control plane";
constexpr char kHostUnknownReason[] = "Host unknown to the control plane";

const char* StateName(HostSession::State state) {
  switch (state) {
    case HostSession::State::kIdle:
      return "idle";
    case HostSession::State::kWaitingForSlot:
      return "waiting_for_slot";
    case HostSession::State::kRegistering:
      return "registering";
    case HostSession::State::kSavingId:
      return "saving_id";
    case HostSession::State::kPolling:
      return "polling";
    case HostSession::State::kBackingOff:
      return "backing_off";
    case HostSession::State::kStopped:
      return "stopped";
  }
  return "unknown";
}

std::string Code(const absl::Status& status) { return absl::StatusCodeToString(status.code()); }

// Codes a retry cannot fix: the request or the agent's configuration is wrong.
bool IsPermanent(absl::StatusCode code) {
  return code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kUnimplemented ||
         code == absl::StatusCode::kPermissionDenied || code == absl::StatusCode::kUnauthenticated;
}

}  // namespace

void CompactReports(std::deque<v1::TaskStateReport>& queue) {
  std::deque<v1::TaskStateReport> kept;
  std::unordered_set<std::string> seen;
  for (auto it = queue.rbegin(); it != queue.rend(); ++it) {
    bool newest = seen.insert(it->task_arn()).second;
    if (newest || it->status() == kStopped) kept.push_front(std::move(*it));
  }
  queue = std::move(kept);
}

HostSession::HostSession(SessionConfig config, std::string host_id, Loop* loop,
                         AgentTransport* transport, RegistrationGate* gate, SessionHooks hooks,
                         const RuntimeFactory& make_runtime)
    : config_(std::move(config)),
      loop_(loop),
      transport_(transport),
      gate_(gate),
      hooks_(std::move(hooks)),
      host_id_(std::move(host_id)),
      backoff_(config_.backoff_initial, config_.backoff_max, config_.seed),
      report_backoff_(config_.backoff_initial, config_.backoff_max, ~config_.seed) {
  runtime_ =
      make_runtime([this](v1::TaskStateReport report) { OnRuntimeReport(std::move(report)); });
}

void HostSession::Start() {
  loop_->Post([this] { RequestRegister(); });
}

void HostSession::Shutdown(std::function<void()> done) {
  loop_->Post([this, done = std::move(done)] {
    stopping_ = true;
    SetState(State::kStopped);
    for (AgentTransport::Cancel* cancel :
         {&register_cancel_, &poll_cancel_, &report_cancel_, &metrics_cancel_}) {
      if (*cancel) (*cancel)();
    }
    done();
  });
}

void HostSession::SetState(State state) {
  if (state == state_) return;
  log::Debug("host_session_state", {{"host", config_.host_name},
                                    {"host_id", host_id_},
                                    {"from", StateName(state_)},
                                    {"to", StateName(state)}});
  state_ = state;
}

void HostSession::RequestRegister() {
  if (stopping_) return;
  SetState(State::kWaitingForSlot);
  gate_->Acquire([this] { loop_->Post([this] { SendRegister(); }); });
}

void HostSession::SendRegister() {
  if (stopping_) {
    gate_->Release();
    return;
  }
  SetState(State::kRegistering);
  v1::RegisterHostRequest request;
  request.set_availability_zone(config_.availability_zone);
  request.set_cpu_units(config_.cpu_units);
  request.set_memory_mib(config_.memory_mib);
  request.set_ephemeral_storage_gib(config_.ephemeral_storage_gib);
  request.set_eni_slots(config_.eni_slots);
  request.set_agent_version(config_.agent_version);
  request.set_host_name(config_.host_name);
  request.set_host_id(host_id_);
  registering_stopped_.clear();
  if (!host_id_.empty()) AddSnapshot(request);
  register_cancel_ = transport_->RegisterHost(
      request, config_.call_timeout, [this](absl::StatusOr<v1::RegisterHostResponse> result) {
        loop_->Post([this, result = std::move(result)] { OnRegistered(result); });
      });
}

void HostSession::AddSnapshot(v1::RegisterHostRequest& request) {
  std::vector<v1::TaskStateReport> snapshot = runtime_->Snapshot();
  // Tasks the runtime took over at start report nothing until they change.
  for (const v1::TaskStateReport& report : snapshot) {
    if (report.status() != kStopped) running_.insert(report.task_arn());
  }
  size_t limit = static_cast<size_t>(config_.max_reconnect_tasks);
  if (snapshot.size() > limit) {
    // Live tasks first. What does not fit goes out as ordinary reports afterwards (a
    // live task left out counts as lost, and its report brings back a stop).
    std::stable_partition(snapshot.begin(), snapshot.end(), [](const v1::TaskStateReport& report) {
      return report.status() != kStopped;
    });
    log::Warning("host_reconnect_truncated",
                 {{"host", config_.host_name}, {"tasks", snapshot.size()}, {"sent", limit}});
    for (size_t i = limit; i < snapshot.size(); ++i) reports_.push_back(std::move(snapshot[i]));
    snapshot.resize(limit);
  }
  for (v1::TaskStateReport& report : snapshot) {
    if (report.status() == kStopped) registering_stopped_.push_back(report.task_arn());
    *request.add_tasks() = std::move(report);
  }
}

void HostSession::OnRegistered(absl::StatusOr<v1::RegisterHostResponse> result) {
  register_cancel_ = nullptr;
  gate_->Release();
  if (stopping_) return;
  if (result.ok() && result->host_id().empty()) {
    result = absl::InternalError("RegisterHost answered without a host id");
  }
  if (!result.ok()) {
    OnRegisterFailed(result.status());
    return;
  }
  const bool new_id = result->host_id() != host_id_;
  if (new_id) {
    host_id_ = result->host_id();
    log::Debug("host_registered", {{"host", config_.host_name}, {"host_id", host_id_}});
  } else if (!connected_ && ever_registered_) {
    log::Info("host_connection_restored", {{"host", config_.host_name}, {"host_id", host_id_}});
  }
  // A new host has its own sequence numbers; a reconnected one gets every pending
  // command again (applied idempotently). Starting from 0 also recovers from an
  // acknowledgement gantryd never issued (FAILED_PRECONDITION on the poll).
  acked_sequence_ = 0;
  connected_ = true;
  host_timeout_ = result->host_timeout_ms() > 0 ? absl::Milliseconds(result->host_timeout_ms())
                                                : absl::InfiniteDuration();
  for (const std::string& arn : result->stop_task_arns()) runtime_->Stop(arn, "");
  for (const std::string& arn : result->lost_task_arns()) {
    log::Debug("task_lost", {{"host", config_.host_name}, {"task", arn}});
  }
  // gantryd applied the STOPPED states sent with the registration: those tasks are
  // done, and older queued reports of them would only be answered STALE.
  if (!registering_stopped_.empty()) {
    std::unordered_set<std::string> done(registering_stopped_.begin(), registering_stopped_.end());
    for (const std::string& arn : done) runtime_->Forget(arn);
    std::erase_if(reports_, [&done](const v1::TaskStateReport& report) {
      return done.count(report.task_arn()) > 0;
    });
    registering_stopped_.clear();
  }
  if (new_id && hooks_.host_id_changed) {
    // Polling first would let a crash before the save leave gantryd a host that no
    // agent will ever reconnect as.
    SetState(State::kSavingId);
    hooks_.host_id_changed(config_.index, host_id_,
                           [this] { loop_->Post([this] { OnIdSaved(); }); });
    return;
  }
  StartPolling();
}

void HostSession::OnIdSaved() {
  if (stopping_ || state_ != State::kSavingId) return;
  StartPolling();
}

void HostSession::StartPolling() {
  if (stopping_) return;
  SetState(State::kPolling);
  if (!ever_registered_) {
    ever_registered_ = true;
    if (hooks_.registered) hooks_.registered(config_.index);
  }
  Poll();
  MaybeSendReports();
  if (!metrics_timer_started_ && config_.metrics_interval > absl::ZeroDuration()) {
    metrics_timer_started_ = true;
    loop_->After(config_.metrics_interval, [this] { ReportMetrics(); });
  }
}

void HostSession::ReportMetrics() {
  if (stopping_) return;
  loop_->After(config_.metrics_interval, [this] { ReportMetrics(); });
  // Read even when the call cannot go now, so that the next sample's rates cover one
  // interval, not two.
  std::vector<v1::TaskMetrics> samples = metrics_.Derive(runtime_->SampleUsage());
  if (metrics_in_flight_ || state_ != State::kPolling || samples.empty()) return;
  v1::ReportTaskMetricsRequest request;
  request.set_host_id(host_id_);
  // gantryd takes 1000 per call; a host runs far fewer tasks (one per ENI slot).
  for (size_t i = 0; i < samples.size() && i < 1000; ++i) {
    *request.add_tasks() = std::move(samples[i]);
  }
  metrics_in_flight_ = true;
  metrics_cancel_ = transport_->ReportTaskMetrics(
      request, config_.call_timeout, [this](absl::StatusOr<v1::ReportTaskMetricsResponse> result) {
        loop_->Post([this, status = result.status()] {
          metrics_cancel_ = nullptr;
          metrics_in_flight_ = false;
          if (!status.ok() && !stopping_) {
            log::Debug("task_metrics_not_reported",
                       {{"host", config_.host_name}, {"error", status.message()}});
          }
        });
      });
}

void HostSession::OnRegisterFailed(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kNotFound && !host_id_.empty()) {
    BecomeNewHost(status);
    RequestRegister();
    return;
  }
  if (IsPermanent(status.code())) {
    GiveUp("host_register_refused", status);
    return;
  }
  ConnectionLost(status);
  RetryLater(&HostSession::RequestRegister);
}

void HostSession::GiveUp(const char* event, const absl::Status& status) {
  // Debug: every host gets the same refusal; the owner logs it once (hooks.fatal).
  log::Debug(event, {{"host", config_.host_name},
                     {"host_id", host_id_},
                     {"code", Code(status)},
                     {"error", status.message()}});
  stopping_ = true;
  SetState(State::kStopped);
  if (hooks_.fatal) hooks_.fatal(status);
}

void HostSession::BecomeNewHost(const absl::Status& status) {
  log::Info("host_unknown", {{"host", config_.host_name},
                             {"host_id", host_id_},
                             {"error", status.message()},
                             {"action", "register as a new host"}});
  host_id_.clear();
  acked_sequence_ = 0;
  host_status_.clear();
  // The tasks ran on the old host, which gantryd no longer knows: they cannot be
  // reconciled, so they stop here, and only the reports of that stop are worth sending
  // (the new host's gantryd answers them UNKNOWN, which ends them).
  reports_.clear();
  for (const v1::TaskStateReport& report : runtime_->Snapshot()) {
    if (report.status() == kStopped) {
      runtime_->Forget(report.task_arn());
    } else {
      runtime_->Stop(report.task_arn(), kHostUnknownReason);
    }
  }
}

void HostSession::Poll() {
  if (stopping_) return;
  absl::Duration wait = std::min(config_.poll_wait, host_timeout_ / 2);
  v1::PollCommandsRequest request;
  request.set_host_id(host_id_);
  request.set_acked_sequence(acked_sequence_);
  request.set_wait_ms(absl::ToInt64Milliseconds(wait));
  request.set_max_commands(config_.max_commands);
  poll_cancel_ = transport_->PollCommands(
      request, wait + config_.poll_slack, [this](absl::StatusOr<v1::PollCommandsResponse> result) {
        loop_->Post([this, result = std::move(result)] { OnPolled(result); });
      });
}

void HostSession::OnPolled(absl::StatusOr<v1::PollCommandsResponse> result) {
  poll_cancel_ = nullptr;
  if (stopping_) return;
  if (!result.ok()) {
    OnPollFailed(result.status());
    return;
  }
  backoff_.Reset();
  if (!connected_) {
    log::Info("host_connection_restored", {{"host", config_.host_name}, {"host_id", host_id_}});
    connected_ = true;
  }
  if (result->host_status() != host_status_) {
    log::Debug("host_status", {{"host", config_.host_name},
                               {"host_id", host_id_},
                               {"from", host_status_},
                               {"to", result->host_status()}});
    host_status_ = result->host_status();
  }
  for (const v1::Command& command : result->commands()) Apply(command);
  for (const v1::LogRequest& request : result->log_requests()) {
    AnswerLogRequest(request, loop_->Now() + absl::Milliseconds(request.wait_ms()));
  }
  Poll();
}

void HostSession::AnswerLogRequest(const v1::LogRequest& request, absl::Time wait_until) {
  if (stopping_) return;
  v1::SubmitLogsRequest answer;
  answer.set_host_id(host_id_);
  answer.set_request_id(request.request_id());
  absl::StatusOr<LogChunk> chunk =
      runtime_->ReadLogs(request.task_arn(), request.container_name(), request.start_offset(),
                         std::max(1, request.max_bytes()));
  // Only a task that still runs can write more.
  if (chunk.ok() && chunk->data.empty() && loop_->Now() < wait_until &&
      running_.contains(request.task_arn())) {
    // Nothing new yet (a follower): look again shortly, up to the request's wait.
    loop_->After(kLogRecheck,
                 [this, request, wait_until] { AnswerLogRequest(request, wait_until); });
    return;
  }
  if (chunk.ok()) {
    answer.set_data(std::move(chunk->data));
    answer.set_next_offset(chunk->next_offset);
  } else {
    answer.set_next_offset(std::max<int64_t>(0, request.start_offset()));
    answer.set_error(TruncatedReason(std::string(chunk.status().message())));
  }
  // Fire and forget: a lost answer times out for its caller, who asks again.
  transport_->SubmitLogs(
      answer, config_.call_timeout,
      [this, id = request.request_id()](absl::StatusOr<v1::SubmitLogsResponse> result) {
        if (!result.ok()) {
          loop_->Post([this, id, status = result.status()] {
            log::Debug("log_answer_failed",
                       {{"host", config_.host_name}, {"request", id}, {"error", status.message()}});
          });
        }
      });
}

void HostSession::OnPollFailed(const absl::Status& status) {
  if (IsPermanent(status.code())) {
    GiveUp("host_poll_refused", status);
    return;
  }
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      BecomeNewHost(status);
      RequestRegister();
      return;
    case absl::StatusCode::kFailedPrecondition:
      // Declared lost, or an acknowledgement gantryd never issued: only a reconnect
      // (which reconciles the tasks and restarts the sequence) fixes either.
      log::Info("host_reconnect_required", {{"host", config_.host_name},
                                            {"host_id", host_id_},
                                            {"error", status.message()},
                                            {"action", "reconnect"}});
      connected_ = false;
      RetryLater(&HostSession::RequestRegister);
      return;
    default:
      // Transient (gantryd restarting, database overloaded): poll again. The poll is
      // the heartbeat, commands are durable and reports wait in their queue, so a
      // reconnect would only add a reconciliation per host to an overloaded gantryd.
      ConnectionLost(status);
      RetryLater(&HostSession::StartPolling);
      return;
  }
}

void HostSession::Apply(const v1::Command& command) {
  // At-least-once delivery: a command seen before (e.g. its acknowledgement was lost
  // with a failed poll) is skipped.
  if (command.sequence() <= acked_sequence_) return;
  switch (command.kind_case()) {
    case v1::Command::kLaunch:
      log::Debug("command_launch", {{"host", config_.host_name},
                                    {"sequence", command.sequence()},
                                    {"task", command.launch().task_arn()}});
      runtime_->Launch(command.launch());
      break;
    case v1::Command::kStop:
      log::Debug("command_stop", {{"host", config_.host_name},
                                  {"sequence", command.sequence()},
                                  {"task", command.stop().task_arn()}});
      runtime_->Stop(command.stop().task_arn(), command.stop().reason());
      break;
    default:
      // A newer gantryd; nothing to do, and holding the sequence back would block the
      // queue forever.
      log::Warning("command_unknown",
                   {{"host", config_.host_name}, {"sequence", command.sequence()}});
      break;
  }
  acked_sequence_ = command.sequence();
}

void HostSession::OnRuntimeReport(v1::TaskStateReport report) {
  log::Debug("task_state", {{"host", config_.host_name},
                            {"task", report.task_arn()},
                            {"status", report.status()},
                            {"reason", report.reason()}});
  if (stopping_) return;
  if (report.status() == kStopped) {
    running_.erase(report.task_arn());
  } else {
    running_.insert(report.task_arn());
  }
  reports_.push_back(std::move(report));
  if (reports_.size() > config_.compact_reports_above) CompactReports(reports_);
  MaybeSendReports();
}

void HostSession::MaybeSendReports() {
  if (stopping_ || report_in_flight_ || report_retry_pending_ || reports_.empty() ||
      state_ != State::kPolling) {
    return;
  }
  v1::ReportTaskStateRequest request;
  request.set_host_id(host_id_);
  // While isolating a refused batch, one report per call.
  size_t per_call = send_singly_ > 0 ? 1 : static_cast<size_t>(config_.max_reports_per_call);
  size_t count = std::min(reports_.size(), per_call);
  for (size_t i = 0; i < count; ++i) {
    *request.add_tasks() = reports_.front();
    reports_in_flight_.push_back(std::move(reports_.front()));
    reports_.pop_front();
  }
  report_in_flight_ = true;
  report_cancel_ = transport_->ReportTaskState(
      request, config_.call_timeout, [this](absl::StatusOr<v1::ReportTaskStateResponse> result) {
        loop_->Post([this, result = std::move(result)] { OnReported(result); });
      });
}

void HostSession::OnReported(absl::StatusOr<v1::ReportTaskStateResponse> result) {
  report_cancel_ = nullptr;
  report_in_flight_ = false;
  std::vector<v1::TaskStateReport> batch = std::move(reports_in_flight_);
  reports_in_flight_.clear();
  if (stopping_) return;
  bool refused = !result.ok() && result.status().code() == absl::StatusCode::kInvalidArgument;
  if (refused && batch.size() == 1) {
    DropRefused(batch.front(), result.status());
    MaybeSendReports();
    return;
  }
  if (!result.ok()) {
    if (refused) {
      // Some report of the batch can never be accepted: resend them one by one so
      // that only that one is dropped.
      send_singly_ = batch.size();
      log::Warning("task_reports_refused", {{"host", config_.host_name},
                                            {"reports", batch.size()},
                                            {"error", result.status().message()},
                                            {"action", "resend one by one"}});
    }
    // Back to the front, oldest first: nothing is lost, order is kept.
    reports_.insert(reports_.begin(), std::make_move_iterator(batch.begin()),
                    std::make_move_iterator(batch.end()));
    if (reports_.size() > config_.compact_reports_above) CompactReports(reports_);
    if (hooks_.call_failed) hooks_.call_failed(result.status());
    report_retry_pending_ = true;
    loop_->After(report_backoff_.Next(), [this] {
      report_retry_pending_ = false;
      MaybeSendReports();
    });
    return;
  }
  report_backoff_.Reset();
  if (send_singly_ > 0) --send_singly_;
  const auto& results = result->results();
  for (size_t i = 0; i < batch.size(); ++i) {
    const v1::TaskReportResult* match = nullptr;
    if (i < static_cast<size_t>(results.size()) &&
        results[static_cast<int>(i)].task_arn() == batch[i].task_arn()) {
      match = &results[static_cast<int>(i)];
    }
    HandleResult(batch[i], match);
  }
  MaybeSendReports();
}

void HostSession::DropRefused(const v1::TaskStateReport& report, const absl::Status& status) {
  // Retrying the same report cannot succeed; keeping it would block every later one.
  log::Error("task_report_dropped", {{"host", config_.host_name},
                                     {"task", report.task_arn()},
                                     {"status", report.status()},
                                     {"error", status.message()}});
  if (send_singly_ > 0) --send_singly_;
  if (report.status() == kStopped) runtime_->Forget(report.task_arn());
}

void HostSession::HandleResult(const v1::TaskStateReport& report,
                               const v1::TaskReportResult* result) {
  if (report.status() == kStopped) {
    // gantryd has it (or never knew the task): nothing left to tell.
    runtime_->Forget(report.task_arn());
    return;
  }
  if (result == nullptr) return;
  if (result->outcome() == kUnknownOutcome) {
    runtime_->Stop(report.task_arn(), kUnknownTaskReason);
  } else if (result->desired_status() == kStopped) {
    runtime_->Stop(report.task_arn(), "");
  }
}

void HostSession::ConnectionLost(const absl::Status& status) {
  if (hooks_.call_failed) hooks_.call_failed(status);
  if (connected_) {
    log::Info("host_connection_lost", {{"host", config_.host_name},
                                       {"host_id", host_id_},
                                       {"code", Code(status)},
                                       {"error", status.message()}});
    connected_ = false;
  } else {
    log::Debug("host_call_failed",
               {{"host", config_.host_name}, {"code", Code(status)}, {"error", status.message()}});
  }
}

void HostSession::RetryLater(void (HostSession::*retry)()) {
  SetState(State::kBackingOff);
  loop_->After(backoff_.Next(), [this, retry] {
    if (!stopping_) (this->*retry)();
  });
}

}  // namespace gantry::agent
