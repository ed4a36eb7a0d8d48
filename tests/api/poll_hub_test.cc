// PollHub with fake reads (no database): when polls are answered, held, woken, replaced
// and shut down, and that one thread holds 10,000 polls.
#include "api/poll_hub.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace gantry::api {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::testing::UnorderedElementsAre;
using Response = PollHub::Response;

// Bounds every wait of a test; a correct hub answers in milliseconds.
constexpr absl::Duration kTimeout = absl::Seconds(30);
// A wait no test reaches: a poll with it is answered only by a read or Shutdown.
constexpr absl::Duration kLongWait = absl::Hours(1);
constexpr char kHost[] = "0123456789abcdef0123456789abcdef";

// A read that found `count` commands (and says whether it left some behind).
PollHub::Read WithCommands(int count, bool more_pending = false) {
  PollHub::Read read;
  read.response.set_host_status("ACTIVE");
  for (int i = 0; i < count; ++i) read.response.add_commands()->set_sequence(i + 1);
  read.more_pending = more_pending;
  return read;
}

// The fake database: a read answers at once with `pending` commands, or (deferred) is
// kept for the test to answer.
class FakeReads {
 public:
  PollHub::Fetch Fetch() {
    return [this](PollHub::ReadReply reply) {
      int pending = 0;
      bool more = false;
      {
        absl::MutexLock lock(&mu_);
        ++calls_;
        if (defer_) {
          deferred_.push_back(std::move(reply));
          max_outstanding_ = std::max(max_outstanding_, static_cast<int>(deferred_.size()));
          return;
        }
        pending = pending_;
        more = more_pending_;
      }
      reply(WithCommands(pending, more));
    };
  }

  void SetPending(int commands, bool more_pending = false) {
    absl::MutexLock lock(&mu_);
    pending_ = commands;
    more_pending_ = more_pending;
  }
  void SetDeferred(bool defer) {
    absl::MutexLock lock(&mu_);
    defer_ = defer;
  }
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  int max_outstanding() {
    absl::MutexLock lock(&mu_);
    return max_outstanding_;
  }
  // Waits (bounded) until `count` reads were started.
  bool AwaitCalls(int count) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_ >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), kTimeout);
  }
  // The oldest deferred read, waiting (bounded) for one; null when none came.
  PollHub::ReadReply TakeDeferred() {
    absl::MutexLock lock(&mu_);
    auto any = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !deferred_.empty(); };
    if (!mu_.AwaitWithTimeout(absl::Condition(&any), kTimeout)) return nullptr;
    PollHub::ReadReply reply = std::move(deferred_.front());
    deferred_.pop_front();
    return reply;
  }

 private:
  absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  int pending_ ABSL_GUARDED_BY(mu_) = 0;
  bool more_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool defer_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<PollHub::ReadReply> deferred_ ABSL_GUARDED_BY(mu_);
  int max_outstanding_ ABSL_GUARDED_BY(mu_) = 0;
};

// What one poll was answered, and how often.
class Answer {
 public:
  PollHub::Reply Done() {
    return [this](absl::StatusOr<Response> result) {
      absl::MutexLock lock(&mu_);
      if (++calls_ == 1) result_ = std::move(result);
    };
  }
  // Waits (bounded) for the answer.
  absl::StatusOr<Response> Await() {
    absl::MutexLock lock(&mu_);
    auto answered = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_ > 0; };
    mu_.AwaitWithTimeout(absl::Condition(&answered), kTimeout);
    return result_;
  }
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  absl::StatusOr<Response> result_ ABSL_GUARDED_BY(mu_) =
      absl::DeadlineExceededError("not answered");
};

class PollHubTest : public ::testing::Test {
 protected:
  void Poll(const std::string& host, absl::Duration wait, Answer& answer, int64_t acked = 0) {
    hub_->Poll({.host_id = host, .acked_sequence = acked, .wait = wait}, reads_.Fetch(),
               answer.Done());
  }

  // A poll of kHost held after a read that found nothing.
  void HoldOne(Answer& answer) {
    Poll(kHost, kLongWait, answer);
    ASSERT_TRUE(reads_.AwaitCalls(1));
  }

  FakeReads reads_;
  std::unique_ptr<PollHub> hub_ = PollHub::Start({});
};

TEST_F(PollHubTest, CommandsPending_AnswersAtOnce) {
  reads_.SetPending(2);
  Answer answer;
  Poll(kHost, kLongWait, answer);
  absl::StatusOr<Response> got = answer.Await();
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->commands_size(), 2);
  EXPECT_EQ(got->host_status(), "ACTIVE");
  EXPECT_EQ(reads_.calls(), 1);
}

TEST_F(PollHubTest, NothingPending_HeldUntilWokenThenReadsAgain) {
  Answer answer;
  HoldOne(answer);
  reads_.SetPending(1);
  hub_->Wake({kHost});
  absl::StatusOr<Response> got = answer.Await();
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->commands_size(), 1) << "answered before the wake-up";
  EXPECT_EQ(reads_.calls(), 2);
  EXPECT_EQ(answer.calls(), 1);
}

TEST_F(PollHubTest, WaitEnds_AnswersEmptyWithHostStatus) {
  Answer answer;
  Poll(kHost, absl::Milliseconds(20), answer);
  absl::StatusOr<Response> got = answer.Await();
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->commands_size(), 0);
  EXPECT_EQ(got->host_status(), "ACTIVE");
  EXPECT_EQ(reads_.calls(), 1);
}

TEST_F(PollHubTest, WakeDuringRead_ReadsAgain) {
  reads_.SetDeferred(true);
  Answer answer;
  Poll(kHost, kLongWait, answer);
  PollHub::ReadReply first = reads_.TakeDeferred();
  ASSERT_NE(first, nullptr);
  // The command commits while the read is in flight; the read saw nothing.
  hub_->Wake({kHost});
  first(WithCommands(0));
  PollHub::ReadReply second = reads_.TakeDeferred();
  ASSERT_NE(second, nullptr) << "the wake-up during the read was lost";
  second(WithCommands(1));
  absl::StatusOr<Response> got = answer.Await();
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->commands_size(), 1);
}

TEST_F(PollHubTest, SecondPollOfHost_AnswersFirstEmptyAndHoldsWithoutRead) {
  Answer first, second;
  HoldOne(first);
  Poll(kHost, kLongWait, second);
  absl::StatusOr<Response> got = first.Await();
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->commands_size(), 0);
  hub_->Shutdown();
  EXPECT_EQ(second.calls(), 1);
  EXPECT_EQ(first.calls(), 1);
  EXPECT_EQ(reads_.calls(), 1) << "a clean host was read again";
  EXPECT_THAT(hub_->TakeHeartbeats(), UnorderedElementsAre(kHost));
  EXPECT_TRUE(hub_->TakeHeartbeats().empty());
}

TEST_F(PollHubTest, CleanHost_ReadsOnlyWhenTheAckIsNew) {
  struct Case {
    std::string name;
    int64_t acked;
    int want_reads;
  };
  const Case cases[] = {
      {"same ack", 3, 1},
      {"older ack", 1, 1},
      {"new ack", 4, 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FakeReads reads;
    std::unique_ptr<PollHub> hub = PollHub::Start({});
    Answer first, second;
    hub->Poll({kHost, 3, kLongWait}, reads.Fetch(), first.Done());
    ASSERT_TRUE(reads.AwaitCalls(1));
    hub->Poll({kHost, c.acked, kLongWait}, reads.Fetch(), second.Done());
    EXPECT_THAT(first.Await(), IsOk());
    hub->Shutdown();
    EXPECT_EQ(reads.calls(), c.want_reads);
    EXPECT_EQ(second.calls(), 1);
  }
}

TEST_F(PollHubTest, ZeroWait_ReadsWhenDirtyAndAnswersAtOnceWhenClean) {
  Answer held;
  HoldOne(held);
  Answer zero;
  Poll(kHost, absl::ZeroDuration(), zero);
  absl::StatusOr<Response> got = zero.Await();
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->commands_size(), 0);
  EXPECT_EQ(reads_.calls(), 1);

  Answer other;
  Poll("ffffffffffffffffffffffffffffffff", absl::ZeroDuration(), other);
  ASSERT_THAT(other.Await(), IsOk());
  EXPECT_EQ(reads_.calls(), 2);
  hub_->Shutdown();  // answers `held` while it still exists
}

TEST_F(PollHubTest, ReadFails_AnswersTheErrorAndReadsNextTime) {
  reads_.SetDeferred(true);
  Answer failed;
  Poll(kHost, kLongWait, failed);
  PollHub::ReadReply reply = reads_.TakeDeferred();
  ASSERT_NE(reply, nullptr);
  reply(absl::FailedPreconditionError("host was declared lost"));
  EXPECT_THAT(failed.Await(), StatusIs(absl::StatusCode::kFailedPrecondition, "declared lost"));

  Answer next;
  Poll(kHost, kLongWait, next);
  PollHub::ReadReply again = reads_.TakeDeferred();
  ASSERT_NE(again, nullptr) << "a host whose read failed was trusted as clean";
  again(WithCommands(1));
  ASSERT_THAT(next.Await(), IsOk());
}

// A read that fails because the database is overloaded or down still counts the poll
// as a heartbeat; one that finds the host unknown or lost does not. Either way the
// error reaches the agent unchanged.
TEST(PollHub, ReadFails_HeartbeatUnlessHostUnknownOrLost) {
  struct Case {
    std::string name;
    absl::Status status;
    bool want_heartbeat;
  };
  const Case cases[] = {
      {"unavailable", absl::UnavailableError("database queue is full"), true},
      {"deadline", absl::DeadlineExceededError("statement timeout"), true},
      {"internal", absl::InternalError("corrupt command"), true},
      {"unknown host", absl::NotFoundError("hostId: host is not registered"), false},
      {"lost host", absl::FailedPreconditionError("hostId: host was declared lost"), false},
      {"ack never issued",
       absl::FailedPreconditionError("ackedSequence: 9 was never issued; register again"), false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FakeReads reads;
    reads.SetDeferred(true);
    Answer answer;  // outlives the hub, which answers it at the latest when shut down
    std::unique_ptr<PollHub> hub = PollHub::Start({});
    hub->Poll({kHost, 9, kLongWait}, reads.Fetch(), answer.Done());
    PollHub::ReadReply reply = reads.TakeDeferred();
    ASSERT_NE(reply, nullptr);
    reply(c.status);
    EXPECT_THAT(answer.Await(), StatusIs(c.status.code(), std::string(c.status.message())));
    if (c.want_heartbeat) {
      EXPECT_THAT(hub->TakeHeartbeats(), UnorderedElementsAre(kHost));
    } else {
      EXPECT_TRUE(hub->TakeHeartbeats().empty());
    }
    hub->Shutdown();
  }
}

// A read cut by its limit (or that dropped stopped tasks' launches) may find nothing
// and still leave commands behind: the held poll reads again at once.
TEST_F(PollHubTest, MorePendingWithoutCommands_HeldPollReadsAgainAtOnce) {
  reads_.SetDeferred(true);
  Answer answer;
  Poll(kHost, kLongWait, answer);
  PollHub::ReadReply first = reads_.TakeDeferred();
  ASSERT_NE(first, nullptr);
  first(WithCommands(0, /*more_pending=*/true));
  PollHub::ReadReply second = reads_.TakeDeferred();
  ASSERT_NE(second, nullptr) << "the host was trusted as clean with commands left behind";
  second(WithCommands(1));
  absl::StatusOr<Response> got = answer.Await();
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->commands_size(), 1);
}

TEST_F(PollHubTest, MorePending_NextPollWithTheSameAckReads) {
  reads_.SetPending(0, /*more_pending=*/true);
  Answer first;
  Poll(kHost, absl::ZeroDuration(), first, 5);
  ASSERT_THAT(first.Await(), IsOk());
  EXPECT_EQ(reads_.calls(), 1);
  reads_.SetPending(1);
  Answer second;
  Poll(kHost, kLongWait, second, 5);
  absl::StatusOr<Response> got = second.Await();
  hub_->Shutdown();  // answers `second` if it is still held
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->commands_size(), 1) << "held without a read";
  EXPECT_EQ(reads_.calls(), 2);
}

TEST_F(PollHubTest, Reset_EveryHeldPollReadsAgain) {
  Answer a, b;
  Poll("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", kLongWait, a);
  Poll("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", kLongWait, b);
  ASSERT_TRUE(reads_.AwaitCalls(2));
  reads_.SetPending(1);
  hub_->Reset();
  for (Answer* answer : {&a, &b}) {
    absl::StatusOr<Response> got = answer->Await();
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(got->commands_size(), 1);
  }
}

TEST_F(PollHubTest, WakeOfUnknownHost_IsIgnored) {
  hub_->Wake({"cccccccccccccccccccccccccccccccc"});
  Answer answer;
  Poll(kHost, absl::Milliseconds(10), answer);
  ASSERT_THAT(answer.Await(), IsOk());
  EXPECT_EQ(reads_.calls(), 1);
}

TEST_F(PollHubTest, Shutdown_AnswersEveryHeldPollAndRefusesLaterOnes) {
  std::vector<std::unique_ptr<Answer>> answers;
  for (int i = 0; i < 3; ++i) {
    answers.push_back(std::make_unique<Answer>());
    Poll(absl::StrCat(std::string(31, '0'), i), kLongWait, *answers.back());
  }
  ASSERT_TRUE(reads_.AwaitCalls(3));
  hub_->Shutdown();
  for (const std::unique_ptr<Answer>& answer : answers) {
    EXPECT_EQ(answer->calls(), 1);
    absl::StatusOr<Response> got = answer->Await();
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(got->commands_size(), 0);
  }
  Answer late;
  Poll(kHost, kLongWait, late);
  EXPECT_EQ(late.calls(), 1) << "a refused poll is answered on the calling thread";
  EXPECT_THAT(late.Await(), StatusIs(absl::StatusCode::kUnavailable, "shutting down"));
  hub_->Shutdown();  // idempotent
}

TEST_F(PollHubTest, ReadReplyAfterShutdown_IsDropped) {
  reads_.SetDeferred(true);
  Answer answer;
  Poll(kHost, kLongWait, answer);
  PollHub::ReadReply reply = reads_.TakeDeferred();
  ASSERT_NE(reply, nullptr);
  hub_->Shutdown();
  reply(WithCommands(1));
  hub_.reset();
  EXPECT_EQ(answer.calls(), 1);
}

TEST(PollHub, ReadsInFlight_AreBounded) {
  FakeReads reads;
  reads.SetDeferred(true);
  std::unique_ptr<PollHub> hub = PollHub::Start({.max_fetches_in_flight = 2});
  constexpr int kPolls = 20;
  std::vector<std::unique_ptr<Answer>> answers;
  for (int i = 0; i < kPolls; ++i) {
    answers.push_back(std::make_unique<Answer>());
    hub->Poll({absl::StrCat(std::string(30, 'a'), 10 + i), 0, absl::ZeroDuration()}, reads.Fetch(),
              answers.back()->Done());
  }
  for (int i = 0; i < kPolls; ++i) {
    PollHub::ReadReply reply = reads.TakeDeferred();
    ASSERT_NE(reply, nullptr) << "read " << i << " never started";
    reply(WithCommands(0));
  }
  for (const std::unique_ptr<Answer>& answer : answers) ASSERT_THAT(answer->Await(), IsOk());
  EXPECT_LE(reads.max_outstanding(), 2);
  EXPECT_EQ(reads.calls(), kPolls);
}

// 10,000 held polls on the hub's one thread, all woken: each answered exactly once,
// with the command the wake-up announced.
TEST(PollHub, TenThousandHeldPolls_OneThread_EachAnsweredOnce) {
  constexpr int kHosts = 10000;
  std::vector<std::string> hosts;
  for (int i = 0; i < kHosts; ++i)
    hosts.push_back(absl::StrCat(100000000 + i, std::string(23, 'e')));
  std::atomic<bool> pending{false};
  std::atomic<int> reads{0};
  std::vector<std::atomic<int>> calls(kHosts);
  std::vector<std::atomic<int>> commands(kHosts);
  std::atomic<int> answered{0};
  absl::Notification all_answered;
  std::unique_ptr<PollHub> hub = PollHub::Start({.max_fetches_in_flight = 64});
  for (int i = 0; i < kHosts; ++i) {
    hub->Poll(
        {hosts[i], 0, kLongWait},
        [&](PollHub::ReadReply reply) {
          reads.fetch_add(1);
          reply(WithCommands(pending.load() ? 1 : 0));
        },
        [&, i](absl::StatusOr<Response> result) {
          calls[i].fetch_add(1);
          if (result.ok()) commands[i].store(result->commands_size());
          if (answered.fetch_add(1) + 1 == kHosts) all_answered.Notify();
        });
  }
  absl::Time deadline = absl::Now() + kTimeout;
  while (reads.load() < kHosts && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_EQ(reads.load(), kHosts);
  EXPECT_EQ(answered.load(), 0) << "a poll was answered before anything was pending";
  pending.store(true);
  hub->Wake(hosts);
  ASSERT_TRUE(all_answered.WaitForNotificationWithTimeout(kTimeout))
      << answered.load() << " of " << kHosts << " answered";
  hub->Shutdown();
  for (int i = 0; i < kHosts; ++i) {
    ASSERT_EQ(calls[i].load(), 1) << hosts[i];
    ASSERT_EQ(commands[i].load(), 1) << hosts[i];
  }
}

}  // namespace
}  // namespace gantry::api
