// agent/host_session: the protocol loop against a fake transport, on a fake clock, with
// the simulated runtime.
#include "agent/host_session.h"

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "agent/registration_gate.h"
#include "agent/sim_runtime.h"
#include "agent/transport.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/agent/fake_loop.h"
#include "tests/agent/launch_builder.h"

namespace gantry::agent {
namespace {

using ::gantry::agent::testing::FakeLoop;
using ::gantry::agent::testing::LaunchBuilder;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kHostId[] = "0123456789abcdef0123456789abcdef";
constexpr char kNewHostId[] = "fedcba9876543210fedcba9876543210";

// Records every call; the test answers them in any order.
class FakeTransport final : public AgentTransport {
 public:
  template <typename Request, typename Response>
  struct Pending {
    Request request;
    absl::Duration timeout;
    Done<Response> done;
  };

  Cancel RegisterHost(const v1::RegisterHostRequest& request, absl::Duration timeout,
                      Done<v1::RegisterHostResponse> done) override {
    registers.push_back({request, timeout, std::move(done)});
    return [this] { ++cancels; };
  }
  Cancel PollCommands(const v1::PollCommandsRequest& request, absl::Duration timeout,
                      Done<v1::PollCommandsResponse> done) override {
    polls.push_back({request, timeout, std::move(done)});
    return [this] { ++cancels; };
  }
  Cancel ReportTaskState(const v1::ReportTaskStateRequest& request, absl::Duration timeout,
                         Done<v1::ReportTaskStateResponse> done) override {
    reports.push_back({request, timeout, std::move(done)});
    return [this] { ++cancels; };
  }

  Cancel ReportTaskMetrics(const v1::ReportTaskMetricsRequest& request, absl::Duration timeout,
                           Done<v1::ReportTaskMetricsResponse> done) override {
    metrics.push_back({request, timeout, std::move(done)});
    return [this] { ++cancels; };
  }

  Cancel SubmitLogs(const v1::SubmitLogsRequest& request, absl::Duration timeout,
                    Done<v1::SubmitLogsResponse> done) override {
    logs.push_back({request, timeout, std::move(done)});
    return [this] { ++cancels; };
  }

  std::deque<Pending<v1::RegisterHostRequest, v1::RegisterHostResponse>> registers;
  std::deque<Pending<v1::PollCommandsRequest, v1::PollCommandsResponse>> polls;
  std::deque<Pending<v1::ReportTaskStateRequest, v1::ReportTaskStateResponse>> reports;
  std::deque<Pending<v1::ReportTaskMetricsRequest, v1::ReportTaskMetricsResponse>> metrics;
  std::deque<Pending<v1::SubmitLogsRequest, v1::SubmitLogsResponse>> logs;
  int cancels = 0;
};

template <typename P, typename R>
auto Answer(std::deque<P>& calls, R result) {
  P call = std::move(calls.front());
  calls.pop_front();
  call.done(std::move(result));
  return call.request;
}

v1::RegisterHostResponse Registered(const std::string& host_id) {
  v1::RegisterHostResponse response;
  response.set_host_id(host_id);
  response.set_host_timeout_ms(30000);
  return response;
}

v1::PollCommandsResponse Commands(std::vector<v1::Command> commands) {
  v1::PollCommandsResponse response;
  response.set_host_status("ACTIVE");
  for (v1::Command& command : commands) *response.add_commands() = std::move(command);
  return response;
}

v1::Command Launch(int64_t sequence, const std::string& arn) {
  v1::Command command;
  command.set_sequence(sequence);
  *command.mutable_launch() = LaunchBuilder(arn).Container("app").Build();
  return command;
}

v1::Command Stop(int64_t sequence, const std::string& arn) {
  v1::Command command;
  command.set_sequence(sequence);
  command.mutable_stop()->set_task_arn(arn);
  command.mutable_stop()->set_reason("Task stopped by user");
  return command;
}

// One result per reported task, each with `outcome`.
v1::ReportTaskStateResponse Results(const v1::ReportTaskStateRequest& request,
                                    const std::string& outcome) {
  v1::ReportTaskStateResponse response;
  for (const v1::TaskStateReport& report : request.tasks()) {
    v1::TaskReportResult* result = response.add_results();
    result->set_task_arn(report.task_arn());
    result->set_outcome(outcome);
    result->set_desired_status(outcome == "UNKNOWN" ? "STOPPED" : "RUNNING");
  }
  return response;
}

std::vector<std::string> Statuses(const v1::ReportTaskStateRequest& request) {
  std::vector<std::string> statuses;
  for (const v1::TaskStateReport& report : request.tasks()) {
    statuses.push_back(report.task_arn() + ":" + report.status());
  }
  return statuses;
}

class HostSessionTest : public ::testing::Test {
 protected:
  void Start(const std::string& saved_id = "") {
    SessionConfig config;
    config.index = 4;
    config.host_name = "sim-4";
    config.availability_zone = "us-east-1a";
    config.cpu_units = 4096;
    config.memory_mib = 8192;
    config.ephemeral_storage_gib = 200;
    config.eni_slots = 16;
    config.agent_version = "gantry-agent/0.1 sim";
    config.poll_wait = absl::Seconds(20);
    config.max_reconnect_tasks = max_reconnect_tasks_;
    // Off unless a test turns it on: its timer would keep the fake loop busy.
    config.metrics_interval = metrics_interval_;
    SessionHooks hooks;
    hooks.host_id_changed = [this](int index, const std::string& id, std::function<void()> saved) {
      saved_.push_back(absl::StrCat(index, "=", id));
      if (hold_saves_) {
        pending_saves_.push_back(std::move(saved));
      } else {
        saved();
      }
    };
    hooks.registered = [this](int) { ++registered_; };
    hooks.fatal = [this](const absl::Status& status) { fatal_ = status; };
    session_ = std::make_unique<HostSession>(
        config, saved_id, &loop_, &transport_, &gate_, hooks, [this](ReportFn report) {
          return std::make_unique<SimRuntime>(
              SimConfig{.launch_delay = absl::ZeroDuration(), .stop_delay = kStopDelay}, &loop_,
              std::move(report), 1);
        });
    session_->Start();
    loop_.RunUntilIdle();
  }

  // Registers as `host_id` and answers nothing else.
  void Register(const std::string& host_id = kHostId) {
    ASSERT_EQ(transport_.registers.size(), 1u);
    Answer(transport_.registers, Registered(host_id));
    loop_.RunUntilIdle();
  }

  // Answers the outstanding poll; returns its request.
  v1::PollCommandsRequest AnswerPoll(absl::StatusOr<v1::PollCommandsResponse> result) {
    EXPECT_EQ(transport_.polls.size(), 1u);
    v1::PollCommandsRequest request = Answer(transport_.polls, std::move(result));
    loop_.RunUntilIdle();
    return request;
  }

  static constexpr absl::Duration kStopDelay = absl::Milliseconds(100);

  FakeLoop loop_;
  FakeTransport transport_;
  RegistrationGate gate_{64};
  std::unique_ptr<HostSession> session_;
  std::vector<std::string> saved_;
  // When set, ids are "saved" only when the test runs pending_saves_.
  bool hold_saves_ = false;
  std::vector<std::function<void()>> pending_saves_;
  int registered_ = 0;
  absl::Status fatal_;
  int max_reconnect_tasks_ = 4096;
  absl::Duration metrics_interval_ = absl::ZeroDuration();
};

TEST_F(HostSessionTest, Metrics_RunningTasksReportedEveryIntervalWithRates) {
  metrics_interval_ = absl::Seconds(10);
  Start();
  Register();
  loop_.Advance(absl::Seconds(10));
  EXPECT_THAT(transport_.metrics, IsEmpty()) << "nothing runs: nothing to report";
  AnswerPoll(Commands({Launch(1, "t1")}));
  loop_.Advance(absl::Seconds(10));
  ASSERT_EQ(transport_.metrics.size(), 1u);
  const v1::ReportTaskMetricsRequest first = transport_.metrics.front().request;
  EXPECT_EQ(first.host_id(), kHostId);
  ASSERT_EQ(first.tasks_size(), 1);
  EXPECT_EQ(first.tasks(0).task_arn(), "t1");
  EXPECT_EQ(first.tasks(0).interval_ms(), 0) << "a first sample has no interval";
  EXPECT_EQ(first.tasks(0).network_rx_bytes_per_second(), 0);
  EXPECT_EQ(first.tasks(0).ephemeral_storage_utilized_mib(), 64);

  // Another tick while the call is in flight reads but does not send.
  loop_.Advance(absl::Seconds(10));
  EXPECT_EQ(transport_.metrics.size(), 1u);
  Answer(transport_.metrics, v1::ReportTaskMetricsResponse());
  loop_.RunUntilIdle();
  loop_.Advance(absl::Seconds(10));
  ASSERT_EQ(transport_.metrics.size(), 1u);
  const v1::TaskMetrics& later = transport_.metrics.front().request.tasks(0);
  EXPECT_EQ(later.interval_ms(), 10'000) << "rates cover the last interval, not two";
  EXPECT_DOUBLE_EQ(later.network_rx_bytes_per_second(), 10'000);
  EXPECT_DOUBLE_EQ(later.network_tx_bytes_per_second(), 5'000);
  EXPECT_GT(later.network_rx_bytes(), first.tasks(0).network_rx_bytes());
}

v1::PollCommandsResponse LogRequests(std::vector<v1::LogRequest> requests) {
  v1::PollCommandsResponse response = Commands({});
  for (v1::LogRequest& request : requests) *response.add_log_requests() = std::move(request);
  return response;
}

v1::LogRequest LogRequestFor(const std::string& id, const std::string& arn,
                             const std::string& container, int64_t offset, int32_t wait_ms) {
  v1::LogRequest request;
  request.set_request_id(id);
  request.set_task_arn(arn);
  request.set_container_name(container);
  request.set_start_offset(offset);
  request.set_max_bytes(1000);
  request.set_wait_ms(wait_ms);
  return request;
}

TEST_F(HostSessionTest, LogRequests_AnsweredAtOnce_OrAfterWaitingForMore_OrWithAnError) {
  Start();
  Register();
  AnswerPoll(Commands({Launch(1, "t1")}));
  AnswerPoll(LogRequests(
      {LogRequestFor("r1", "t1", "app", 0, 0), LogRequestFor("r2", "t9", "app", 0, 0)}));
  ASSERT_EQ(transport_.logs.size(), 2u);
  const v1::SubmitLogsRequest first = transport_.logs[0].request;
  EXPECT_EQ(first.host_id(), kHostId);
  EXPECT_EQ(first.request_id(), "r1");
  EXPECT_THAT(first.data(), ::testing::HasSubstr("container app is RUNNING\n"));
  EXPECT_EQ(first.next_offset(), static_cast<int64_t>(first.data().size()));
  EXPECT_EQ(transport_.logs[1].request.request_id(), "r2");
  EXPECT_THAT(transport_.logs[1].request.error(), ::testing::HasSubstr("no log"));
  transport_.logs.clear();

  // Nothing past the end: the answer waits until something is written, or the wait ends.
  AnswerPoll(LogRequests({LogRequestFor("r3", "t1", "app", first.next_offset(), 5000)}));
  loop_.Advance(absl::Seconds(1));
  EXPECT_THAT(transport_.logs, IsEmpty());
  AnswerPoll(Commands({Stop(2, "t1")}));
  loop_.Advance(absl::Seconds(1));
  ASSERT_EQ(transport_.logs.size(), 1u);
  EXPECT_THAT(transport_.logs[0].request.data(), ::testing::HasSubstr("is STOPPED"));
  const int64_t end = transport_.logs[0].request.next_offset();
  transport_.logs.clear();
  AnswerPoll(LogRequests({LogRequestFor("r5", "t1", "app", end, 5000)}));
  ASSERT_EQ(transport_.logs.size(), 1u) << "a stopped task writes nothing more: no wait";
  EXPECT_EQ(transport_.logs[0].request.data(), "");
  EXPECT_EQ(transport_.logs[0].request.next_offset(), end);
  transport_.logs.clear();
  AnswerPoll(LogRequests({LogRequestFor("r4", "t1", "app", 1 << 20, 0)}));
  ASSERT_EQ(transport_.logs.size(), 1u);
  EXPECT_EQ(transport_.logs[0].request.data().substr(0, first.data().size()), first.data())
      << "an offset past the end reads from the start (the log was rotated)";
}

TEST_F(HostSessionTest, Metrics_FailedCallNotRetriedAndShutdownCancels) {
  metrics_interval_ = absl::Seconds(5);
  Start();
  Register();
  AnswerPoll(Commands({Launch(1, "t1")}));
  loop_.Advance(absl::Seconds(5));
  ASSERT_EQ(transport_.metrics.size(), 1u);
  Answer(transport_.metrics,
         absl::StatusOr<v1::ReportTaskMetricsResponse>(absl::UnavailableError("gantryd away")));
  loop_.Advance(absl::Seconds(4));
  EXPECT_THAT(transport_.metrics, IsEmpty()) << "telemetry is not retried";
  loop_.Advance(absl::Seconds(1));
  ASSERT_EQ(transport_.metrics.size(), 1u);
  const int cancels = transport_.cancels;
  session_->Shutdown([] {});
  loop_.RunUntilIdle();
  EXPECT_GT(transport_.cancels, cancels);
  transport_.metrics.clear();
  loop_.Advance(absl::Seconds(20));
  EXPECT_THAT(transport_.metrics, IsEmpty()) << "nothing after shutdown";
}

TEST_F(HostSessionTest, NewHost_RegistersSavesIdAndPolls) {
  Start();
  ASSERT_EQ(transport_.registers.size(), 1u);
  const v1::RegisterHostRequest& request = transport_.registers.front().request;
  EXPECT_EQ(request.host_id(), "");
  EXPECT_EQ(request.availability_zone(), "us-east-1a");
  EXPECT_EQ(request.cpu_units(), 4096);
  EXPECT_EQ(request.memory_mib(), 8192);
  EXPECT_EQ(request.ephemeral_storage_gib(), 200);
  EXPECT_EQ(request.eni_slots(), 16);
  EXPECT_EQ(request.agent_version(), "gantry-agent/0.1 sim");
  EXPECT_EQ(request.host_name(), "sim-4");
  Register();
  EXPECT_THAT(saved_, ElementsAre(absl::StrCat("4=", kHostId)));
  EXPECT_EQ(registered_, 1);
  EXPECT_EQ(session_->state(), HostSession::State::kPolling);
  ASSERT_EQ(transport_.polls.size(), 1u);
  const v1::PollCommandsRequest& poll = transport_.polls.front().request;
  EXPECT_EQ(poll.host_id(), kHostId);
  EXPECT_EQ(poll.acked_sequence(), 0);
  EXPECT_EQ(poll.wait_ms(), 15000);  // min(20 s, host timeout 30 s / 2)
  EXPECT_EQ(poll.max_commands(), 100);
  EXPECT_EQ(transport_.polls.front().timeout, absl::Seconds(25));
}

// A crash between registering and saving the id would leave gantryd a host no agent
// reconnects as: the session polls only once the id is durable.
TEST_F(HostSessionTest, NewHost_PollsOnlyOnceItsIdIsSaved) {
  hold_saves_ = true;
  Start();
  Register();
  EXPECT_THAT(saved_, ElementsAre(absl::StrCat("4=", kHostId)));
  EXPECT_EQ(session_->state(), HostSession::State::kSavingId);
  EXPECT_THAT(transport_.polls, IsEmpty());
  EXPECT_EQ(registered_, 0);
  loop_.Advance(absl::Minutes(1));
  EXPECT_THAT(transport_.polls, IsEmpty());
  ASSERT_EQ(pending_saves_.size(), 1u);
  pending_saves_[0]();
  loop_.RunUntilIdle();
  EXPECT_EQ(session_->state(), HostSession::State::kPolling);
  ASSERT_EQ(transport_.polls.size(), 1u);
  EXPECT_EQ(transport_.polls.front().request.host_id(), kHostId);
  EXPECT_EQ(registered_, 1);
}

TEST_F(HostSessionTest, SavedHostId_PollsWithoutSaving) {
  hold_saves_ = true;
  Start(kHostId);
  Register();
  EXPECT_THAT(saved_, IsEmpty());
  EXPECT_EQ(transport_.polls.size(), 1u);
}

TEST_F(HostSessionTest, ShutdownWhileSaving_SavedLaterStartsNothing) {
  hold_saves_ = true;
  Start();
  Register();
  session_->Shutdown([] {});
  loop_.RunUntilIdle();
  ASSERT_EQ(pending_saves_.size(), 1u);
  pending_saves_[0]();
  loop_.RunUntilIdle();
  EXPECT_THAT(transport_.polls, IsEmpty());
  EXPECT_EQ(session_->state(), HostSession::State::kStopped);
}

TEST_F(HostSessionTest, Commands_AppliedInOrderAckedAndReported) {
  Start();
  Register();
  AnswerPoll(Commands({Launch(1, "t1"), Launch(2, "t2")}));
  EXPECT_EQ(transport_.polls.front().request.acked_sequence(), 2);
  ASSERT_EQ(transport_.reports.size(), 1u);  // one batch in flight at a time
  EXPECT_EQ(transport_.reports.front().request.host_id(), kHostId);
  EXPECT_THAT(Statuses(transport_.reports.front().request), ElementsAre("t1:RUNNING"));
  Answer(transport_.reports, Results(transport_.reports.front().request, "APPLIED"));
  loop_.RunUntilIdle();
  ASSERT_EQ(transport_.reports.size(), 1u);
  EXPECT_THAT(Statuses(transport_.reports.front().request), ElementsAre("t2:RUNNING"));
}

TEST_F(HostSessionTest, RepeatedSequence_SkippedNotApplied) {
  Start();
  Register();
  AnswerPoll(Commands({Launch(1, "t1")}));
  // The acknowledgement was lost: gantryd sends 1 again, this time after a stop with 2.
  AnswerPoll(Commands({Stop(1, "t1"), Stop(2, "other")}));
  EXPECT_EQ(transport_.polls.front().request.acked_sequence(), 2);
  std::vector<v1::TaskStateReport> snapshot = session_->runtime().Snapshot();
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_EQ(snapshot[0].status(), "RUNNING");
}

TEST_F(HostSessionTest, StoppedReportAnswered_TaskForgotten) {
  Start();
  Register();
  AnswerPoll(Commands({Launch(1, "t1")}));
  Answer(transport_.reports, Results(transport_.reports.front().request, "APPLIED"));
  AnswerPoll(Commands({Stop(2, "t1")}));
  loop_.Advance(kStopDelay);
  // STOPPING went out alone; DEPROVISIONING and STOPPED queue behind it.
  EXPECT_THAT(Statuses(transport_.reports.front().request), ElementsAre("t1:STOPPING"));
  Answer(transport_.reports, Results(transport_.reports.front().request, "APPLIED"));
  loop_.RunUntilIdle();
  EXPECT_THAT(Statuses(transport_.reports.front().request),
              ElementsAre("t1:DEPROVISIONING", "t1:STOPPED"));
  EXPECT_EQ(session_->runtime().Snapshot().size(), 1u);
  Answer(transport_.reports, Results(transport_.reports.front().request, "APPLIED"));
  loop_.RunUntilIdle();
  EXPECT_THAT(session_->runtime().Snapshot(), IsEmpty());
}

TEST_F(HostSessionTest, UnknownOutcome_TaskStoppedLocally) {
  Start();
  Register();
  AnswerPoll(Commands({Launch(1, "t1")}));
  Answer(transport_.reports, Results(transport_.reports.front().request, "UNKNOWN"));
  loop_.RunUntilIdle();
  EXPECT_THAT(Statuses(transport_.reports.front().request), ElementsAre("t1:STOPPING"));
  // The STOPPED report answered UNKNOWN too is the end of it: no stop loop.
  Answer(transport_.reports, Results(transport_.reports.front().request, "UNKNOWN"));
  loop_.Advance(kStopDelay);
  EXPECT_THAT(Statuses(transport_.reports.front().request), ElementsAre("t1:DEPROVISIONING"));
  Answer(transport_.reports, Results(transport_.reports.front().request, "UNKNOWN"));
  loop_.RunUntilIdle();
  EXPECT_THAT(Statuses(transport_.reports.front().request), ElementsAre("t1:STOPPED"));
  Answer(transport_.reports, Results(transport_.reports.front().request, "UNKNOWN"));
  loop_.Advance(absl::Seconds(10));
  EXPECT_THAT(transport_.reports, IsEmpty());
  EXPECT_THAT(session_->runtime().Snapshot(), IsEmpty());
}

TEST_F(HostSessionTest, ReportFails_RetriedAfterBackoffInOrder) {
  Start();
  Register();
  AnswerPoll(Commands({Launch(1, "t1")}));
  Answer(transport_.reports, absl::UnavailableError("down"));
  loop_.RunUntilIdle();
  EXPECT_THAT(transport_.reports, IsEmpty());
  EXPECT_EQ(session_->queued_reports(), 1u);
  loop_.Advance(absl::Milliseconds(100));  // the first backoff step is 50-100 ms
  ASSERT_EQ(transport_.reports.size(), 1u);
  EXPECT_THAT(Statuses(transport_.reports.front().request), ElementsAre("t1:RUNNING"));
}

TEST_F(HostSessionTest, RefusedBatch_ResentOneByOneAndOnlyTheRefusedDropped) {
  Start();
  Register();
  AnswerPoll(Commands({Launch(1, "t1"), Launch(2, "t2"), Launch(3, "t3")}));
  Answer(transport_.reports, Results(transport_.reports.front().request, "APPLIED"));
  loop_.RunUntilIdle();
  EXPECT_THAT(Statuses(transport_.reports.front().request),
              ElementsAre("t2:RUNNING", "t3:RUNNING"));
  Answer(transport_.reports, absl::InvalidArgumentError("tasks[1].reason: too long"));
  loop_.Advance(absl::Milliseconds(100));
  EXPECT_THAT(Statuses(transport_.reports.front().request), ElementsAre("t2:RUNNING"));
  Answer(transport_.reports, Results(transport_.reports.front().request, "APPLIED"));
  loop_.RunUntilIdle();
  EXPECT_THAT(Statuses(transport_.reports.front().request), ElementsAre("t3:RUNNING"));
  Answer(transport_.reports, absl::InvalidArgumentError("tasks[0].reason: too long"));
  loop_.RunUntilIdle();
  EXPECT_THAT(transport_.reports, IsEmpty());
  EXPECT_EQ(session_->queued_reports(), 0u);
  // Batching resumes.
  AnswerPoll(Commands({Stop(4, "t1"), Stop(5, "t2")}));
  EXPECT_THAT(Statuses(transport_.reports.front().request), ElementsAre("t1:STOPPING"));
  Answer(transport_.reports, Results(transport_.reports.front().request, "APPLIED"));
  loop_.RunUntilIdle();
  EXPECT_THAT(Statuses(transport_.reports.front().request), ElementsAre("t2:STOPPING"));
}

TEST_F(HostSessionTest, ManyTasks_ReconnectCarriesLiveOnesUpToTheLimit) {
  max_reconnect_tasks_ = 2;
  Start();
  Register();
  AnswerPoll(Commands({Launch(1, "t1"), Launch(2, "t2"), Launch(3, "t3"), Stop(4, "t1")}));
  loop_.Advance(kStopDelay);  // t1 STOPPED
  AnswerPoll(absl::FailedPreconditionError("host was declared lost"));
  loop_.Advance(absl::Milliseconds(100));
  ASSERT_EQ(transport_.registers.size(), 1u);
  const v1::RegisterHostRequest& request = transport_.registers.front().request;
  ASSERT_EQ(request.tasks_size(), 2);
  EXPECT_EQ(request.tasks(0).task_arn(), "t2");
  EXPECT_EQ(request.tasks(1).task_arn(), "t3");
  Register();
  // t1's STOPPED state was not in the registration: it stays queued as a report.
  EXPECT_EQ(session_->runtime().Snapshot().size(), 3u);
  Answer(transport_.reports, Results(transport_.reports.front().request, "APPLIED"));
  loop_.RunUntilIdle();
  bool stopped_sent = false;
  while (!transport_.reports.empty()) {
    for (const std::string& status : Statuses(transport_.reports.front().request)) {
      stopped_sent |= status == "t1:STOPPED";
    }
    Answer(transport_.reports, Results(transport_.reports.front().request, "APPLIED"));
    loop_.RunUntilIdle();
  }
  EXPECT_TRUE(stopped_sent);
  EXPECT_EQ(session_->runtime().Snapshot().size(), 2u);
}

// A gantryd restart or an overloaded database must not turn into a reconnect (and a
// reconciliation) of every host: the session backs off and polls again.
TEST_F(HostSessionTest, PollUnavailable_BacksOffAndPollsAgainWithoutReconnecting) {
  Start();
  Register();
  AnswerPoll(Commands({Launch(1, "t1")}));
  AnswerPoll(absl::UnavailableError("connection refused"));
  EXPECT_EQ(session_->state(), HostSession::State::kBackingOff);
  EXPECT_THAT(transport_.polls, IsEmpty());
  loop_.Advance(absl::Milliseconds(100));
  EXPECT_THAT(transport_.registers, IsEmpty());
  ASSERT_EQ(transport_.polls.size(), 1u);
  EXPECT_EQ(session_->state(), HostSession::State::kPolling);
  EXPECT_EQ(transport_.polls.front().request.host_id(), kHostId);
  EXPECT_EQ(transport_.polls.front().request.acked_sequence(), 1);
  // Still failing: each retry waits longer, and never registers.
  for (int i = 0; i < 10; ++i) {
    AnswerPoll(absl::DeadlineExceededError("slow"));
    loop_.Advance(absl::Seconds(5));
  }
  EXPECT_THAT(transport_.registers, IsEmpty());
  AnswerPoll(Commands({Launch(1, "t1"), Launch(2, "t2")}));
  EXPECT_EQ(transport_.polls.front().request.acked_sequence(), 2);
  std::vector<v1::TaskStateReport> snapshot = session_->runtime().Snapshot();
  EXPECT_EQ(snapshot.size(), 2u) << "the repeated launch of t1 was applied twice";
  EXPECT_EQ(registered_, 1);
  EXPECT_EQ(saved_.size(), 1u);
}

// Reports queued while the poll backs off go out once it polls again.
TEST_F(HostSessionTest, PollUnavailable_ReportsResumeWithThePoll) {
  Start();
  Register();
  AnswerPoll(Commands({Launch(1, "t1")}));
  Answer(transport_.reports, Results(transport_.reports.front().request, "APPLIED"));
  AnswerPoll(absl::UnavailableError("down"));
  session_->runtime().Stop("t1", "");
  loop_.RunUntilIdle();
  EXPECT_THAT(transport_.reports, IsEmpty());
  EXPECT_EQ(session_->queued_reports(), 1u);
  loop_.Advance(absl::Milliseconds(100));
  ASSERT_EQ(transport_.polls.size(), 1u);
  ASSERT_EQ(transport_.reports.size(), 1u);
  EXPECT_THAT(Statuses(transport_.reports.front().request), ElementsAre("t1:STOPPING"));
}

// FAILED_PRECONDITION (declared lost, or an acknowledgement gantryd never issued):
// reconnect with the same id and every task, then poll from sequence 0 again.
TEST_F(HostSessionTest, PollFailedPrecondition_ReconnectsWithTasksAndAcksFromZero) {
  Start();
  Register();
  AnswerPoll(Commands({Launch(1, "t1"), Launch(2, "t2")}));
  AnswerPoll(absl::FailedPreconditionError("ackedSequence: 2 was never issued"));
  EXPECT_EQ(session_->state(), HostSession::State::kBackingOff);
  EXPECT_THAT(transport_.registers, IsEmpty());
  loop_.Advance(absl::Milliseconds(100));
  ASSERT_EQ(transport_.registers.size(), 1u);
  const v1::RegisterHostRequest& request = transport_.registers.front().request;
  EXPECT_EQ(request.host_id(), kHostId);
  ASSERT_EQ(request.tasks_size(), 2);
  EXPECT_EQ(request.tasks(0).task_arn(), "t1");
  EXPECT_EQ(request.tasks(0).status(), "RUNNING");
  Register();
  EXPECT_EQ(registered_, 1);     // only the first registration counts
  EXPECT_EQ(saved_.size(), 1u);  // same id: nothing new to save
  ASSERT_EQ(transport_.polls.size(), 1u);
  EXPECT_EQ(transport_.polls.front().request.acked_sequence(), 0);
  // gantryd redelivers from its own numbering: applied idempotently, acknowledged.
  AnswerPoll(Commands({Launch(1, "t1"), Launch(2, "t3")}));
  EXPECT_EQ(transport_.polls.front().request.acked_sequence(), 2);
  std::vector<v1::TaskStateReport> snapshot = session_->runtime().Snapshot();
  ASSERT_EQ(snapshot.size(), 3u);
}

TEST_F(HostSessionTest, PollFailedPrecondition_ReconnectsAndStopsWhatGantrydSays) {
  Start();
  Register();
  AnswerPoll(Commands({Launch(1, "t1"), Launch(2, "t2")}));
  AnswerPoll(absl::FailedPreconditionError("host was declared lost"));
  loop_.Advance(absl::Milliseconds(100));
  ASSERT_EQ(transport_.registers.size(), 1u);
  EXPECT_EQ(transport_.registers.front().request.host_id(), kHostId);
  EXPECT_EQ(transport_.registers.front().request.tasks_size(), 2);
  v1::RegisterHostResponse response = Registered(kHostId);
  response.add_stop_task_arns("t2");
  response.add_lost_task_arns("t9");
  Answer(transport_.registers, response);
  loop_.Advance(kStopDelay);
  std::vector<v1::TaskStateReport> snapshot = session_->runtime().Snapshot();
  ASSERT_EQ(snapshot.size(), 2u);
  EXPECT_EQ(snapshot[0].status(), "RUNNING");
  EXPECT_EQ(snapshot[1].status(), "STOPPED");
}

TEST_F(HostSessionTest, ReconnectWithStoppedTask_ForgetsItAndItsQueuedReports) {
  Start();
  Register();
  AnswerPoll(Commands({Launch(1, "t1"), Stop(2, "t1")}));
  loop_.Advance(kStopDelay);
  EXPECT_EQ(session_->queued_reports(), 3u);  // STOPPING, DEPROVISIONING, STOPPED
  AnswerPoll(absl::FailedPreconditionError("host was declared lost"));
  loop_.Advance(absl::Milliseconds(100));
  ASSERT_EQ(transport_.registers.size(), 1u);
  ASSERT_EQ(transport_.registers.front().request.tasks_size(), 1);
  EXPECT_EQ(transport_.registers.front().request.tasks(0).status(), "STOPPED");
  Register();
  EXPECT_EQ(session_->queued_reports(), 0u);
  EXPECT_THAT(session_->runtime().Snapshot(), IsEmpty());
}

TEST_F(HostSessionTest, NotFound_RegistersAsNewHostAndStopsOldTasks) {
  Start(kHostId);
  EXPECT_EQ(transport_.registers.front().request.host_id(), kHostId);
  Register();
  AnswerPoll(Commands({Launch(7, "t1")}));
  AnswerPoll(absl::NotFoundError("no such host"));
  ASSERT_EQ(transport_.registers.size(), 1u);  // at once, no backoff
  EXPECT_EQ(transport_.registers.front().request.host_id(), "");
  EXPECT_EQ(transport_.registers.front().request.tasks_size(), 0);
  EXPECT_EQ(session_->runtime().Snapshot()[0].status(), "STOPPING");
  Register(kNewHostId);
  EXPECT_THAT(saved_, ElementsAre(absl::StrCat("4=", kNewHostId)));
  EXPECT_EQ(transport_.polls.front().request.host_id(), kNewHostId);
  EXPECT_EQ(transport_.polls.front().request.acked_sequence(), 0);
}

TEST_F(HostSessionTest, RegisterNotFound_ForgetsSavedIdAndRegistersNew) {
  Start(kHostId);
  Answer(transport_.registers, absl::NotFoundError("unknown host id"));
  loop_.RunUntilIdle();
  ASSERT_EQ(transport_.registers.size(), 1u);
  EXPECT_EQ(transport_.registers.front().request.host_id(), "");
  Register(kNewHostId);
  EXPECT_THAT(saved_, ElementsAre(absl::StrCat("4=", kNewHostId)));
}

TEST_F(HostSessionTest, RegisterErrors_RetryOrGiveUp) {
  struct Case {
    const char* name;
    absl::Status status;
    bool want_fatal;
  };
  const Case cases[] = {
      {"unavailable", absl::UnavailableError("down"), false},
      {"deadline", absl::DeadlineExceededError("slow"), false},
      {"internal", absl::InternalError("oops"), false},
      {"invalid argument", absl::InvalidArgumentError("cpuUnits: too small"), true},
      {"unimplemented", absl::UnimplementedError("no agent service"), true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    transport_.registers.clear();
    fatal_ = absl::OkStatus();
    Start();
    Answer(transport_.registers, c.status);
    loop_.Advance(absl::Seconds(1));
    if (c.want_fatal) {
      EXPECT_EQ(fatal_, c.status);
      EXPECT_EQ(session_->state(), HostSession::State::kStopped);
      EXPECT_THAT(transport_.registers, IsEmpty());
    } else {
      EXPECT_TRUE(fatal_.ok());
      EXPECT_EQ(transport_.registers.size(), 1u);
    }
    EXPECT_EQ(loop_.pending(), 0u);  // nothing of this session outlives it
  }
}

TEST_F(HostSessionTest, PollErrors_PollAgainReconnectRegisterAnewOrGiveUp) {
  enum class Want { kPollAgain, kReconnect, kRegisterAnew, kGiveUp };
  struct Case {
    const char* name;
    absl::Status status;
    Want want;
  };
  const Case cases[] = {
      {"unavailable", absl::UnavailableError("down"), Want::kPollAgain},
      {"deadline", absl::DeadlineExceededError("slow"), Want::kPollAgain},
      {"resource exhausted", absl::ResourceExhaustedError("busy"), Want::kPollAgain},
      {"internal", absl::InternalError("request id 7"), Want::kPollAgain},
      {"aborted", absl::AbortedError("conflict"), Want::kPollAgain},
      {"lost", absl::FailedPreconditionError("host was declared lost"), Want::kReconnect},
      {"ack never issued", absl::FailedPreconditionError("ackedSequence: 9"), Want::kReconnect},
      {"unknown host", absl::NotFoundError("hostId: not registered"), Want::kRegisterAnew},
      {"invalid argument", absl::InvalidArgumentError("maxCommands: too many"), Want::kGiveUp},
      {"unimplemented", absl::UnimplementedError("old gantryd"), Want::kGiveUp},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    transport_.polls.clear();
    transport_.registers.clear();
    fatal_ = absl::OkStatus();
    Start(kHostId);
    Register();
    AnswerPoll(c.status);
    loop_.Advance(absl::Seconds(1));
    EXPECT_EQ(fatal_.ok(), c.want != Want::kGiveUp);
    switch (c.want) {
      case Want::kPollAgain:
        EXPECT_THAT(transport_.registers, IsEmpty());
        ASSERT_EQ(transport_.polls.size(), 1u);
        EXPECT_EQ(transport_.polls.front().request.host_id(), kHostId);
        break;
      case Want::kReconnect:
        EXPECT_THAT(transport_.polls, IsEmpty());
        ASSERT_EQ(transport_.registers.size(), 1u);
        EXPECT_EQ(transport_.registers.front().request.host_id(), kHostId);
        break;
      case Want::kRegisterAnew:
        EXPECT_THAT(transport_.polls, IsEmpty());
        ASSERT_EQ(transport_.registers.size(), 1u);
        EXPECT_EQ(transport_.registers.front().request.host_id(), "");
        break;
      case Want::kGiveUp:
        EXPECT_EQ(fatal_, c.status);
        EXPECT_EQ(session_->state(), HostSession::State::kStopped);
        EXPECT_THAT(transport_.registers, IsEmpty());
        EXPECT_THAT(transport_.polls, IsEmpty());
        break;
    }
    session_->Shutdown([] {});
    loop_.RunUntilIdle();
    EXPECT_EQ(loop_.pending(), 0u);
  }
}

TEST_F(HostSessionTest, Backoff_GrowsToFiveSecondsThenResetsOnPoll) {
  Start();
  for (int i = 0; i < 12; ++i) {
    ASSERT_EQ(transport_.registers.size(), 1u) << i;
    Answer(transport_.registers, absl::UnavailableError("down"));
    loop_.RunUntilIdle();
    loop_.Advance(absl::Seconds(5));
  }
  // After many failures a retry still comes within 5 s, and no sooner than 2.5 s.
  Answer(transport_.registers, absl::UnavailableError("down"));
  loop_.Advance(absl::Milliseconds(2400));
  EXPECT_THAT(transport_.registers, IsEmpty());
  loop_.Advance(absl::Milliseconds(2600));
  Register();
  AnswerPoll(Commands({}));
  AnswerPoll(absl::UnavailableError("down"));
  loop_.Advance(absl::Milliseconds(100));
  EXPECT_THAT(transport_.registers, IsEmpty());
  EXPECT_EQ(transport_.polls.size(), 1u);
}

TEST_F(HostSessionTest, Shutdown_CancelsCallsAndStartsNoMore) {
  Start();
  Register();
  AnswerPoll(Commands({Launch(1, "t1")}));
  bool done = false;
  session_->Shutdown([&done] { done = true; });
  loop_.RunUntilIdle();
  EXPECT_TRUE(done);
  EXPECT_EQ(transport_.cancels, 2);  // the poll and the report
  Answer(transport_.polls, absl::CancelledError("cancelled"));
  Answer(transport_.reports, absl::CancelledError("cancelled"));
  loop_.Advance(absl::Minutes(1));
  EXPECT_THAT(transport_.polls, IsEmpty());
  EXPECT_THAT(transport_.reports, IsEmpty());
  EXPECT_THAT(transport_.registers, IsEmpty());
}

TEST_F(HostSessionTest, RegistrationGate_BoundsRegistrationsInFlight) {
  RegistrationGate gate(1);
  std::vector<std::string> order;
  gate.Acquire([&] { order.push_back("a"); });
  gate.Acquire([&] { order.push_back("b"); });
  gate.Acquire([&] { order.push_back("c"); });
  EXPECT_THAT(order, ElementsAre("a"));
  gate.Release();
  EXPECT_THAT(order, ElementsAre("a", "b"));
  gate.Release();
  gate.Release();
  EXPECT_THAT(order, ElementsAre("a", "b", "c"));
  gate.Acquire([&] { order.push_back("d"); });
  EXPECT_THAT(order, ElementsAre("a", "b", "c", "d"));
}

v1::TaskStateReport Report(const std::string& arn, const std::string& status) {
  v1::TaskStateReport report;
  report.set_task_arn(arn);
  report.set_status(status);
  return report;
}

TEST(CompactReports, KeepsNewestPerTaskAndEveryStopped) {
  struct Case {
    const char* name;
    std::vector<std::pair<const char*, const char*>> in;
    std::vector<std::string> want;
  };
  const Case cases[] = {
      {"empty", {}, {}},
      {"distinct tasks kept in order",
       {{"a", "PENDING"}, {"b", "RUNNING"}},
       {"a:PENDING", "b:RUNNING"}},
      {"older states dropped",
       {{"a", "PENDING"}, {"b", "PENDING"}, {"a", "RUNNING"}, {"a", "STOPPING"}},
       {"b:PENDING", "a:STOPPING"}},
      {"stopped never dropped",
       {{"a", "STOPPED"}, {"a", "PENDING"}, {"b", "RUNNING"}, {"a", "RUNNING"}},
       {"a:STOPPED", "b:RUNNING", "a:RUNNING"}},
      {"stopped last",
       {{"a", "RUNNING"}, {"a", "DEPROVISIONING"}, {"a", "STOPPED"}},
       {"a:STOPPED"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::deque<v1::TaskStateReport> queue;
    for (const auto& [arn, status] : c.in) queue.push_back(Report(arn, status));
    CompactReports(queue);
    std::vector<std::string> got;
    for (const v1::TaskStateReport& report : queue) {
      got.push_back(report.task_arn() + ":" + report.status());
    }
    EXPECT_EQ(got, c.want);
  }
}

}  // namespace
}  // namespace gantry::agent
