// The log relay on its real thread: which wake each waiter gets, and the per-host
// pending counts that tell poll reads to take log requests.
#include "api/log_relay.h"

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gantry::api {
namespace {

using Wake = LogRelay::Wake;
using ::testing::ElementsAre;

// Collects the wakes of one waiter.
struct Wakes {
  absl::Mutex mutex;
  std::vector<Wake> seen ABSL_GUARDED_BY(mutex);

  std::function<void(Wake)> Sink() {
    return [this](Wake why) {
      absl::MutexLock lock(&mutex);
      seen.push_back(why);
    };
  }
  // Waits until `count` wakes came (or `timeout` passed); returns them.
  std::vector<Wake> Await(size_t count, absl::Duration timeout = absl::Seconds(5)) {
    absl::MutexLock lock(&mutex);
    auto enough = [this, count]()
                      ABSL_SHARED_LOCKS_REQUIRED(mutex) { return seen.size() >= count; };
    mutex.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return seen;
  }
};

TEST(LogRelay, AnsweredRecheckedForgottenOrDeadline) {
  std::unique_ptr<LogRelay> relay = LogRelay::Start();
  Wakes answered, reset, expired;
  relay->Await("a", absl::Now() + absl::Minutes(1), answered.Sink());
  relay->Await("b", absl::Now() + absl::Minutes(1), reset.Sink());
  relay->Await("c", absl::Now() + absl::Milliseconds(100), expired.Sink());
  relay->Answered("a");
  relay->Answered("unknown");  // ignored
  EXPECT_THAT(answered.Await(1), ElementsAre(Wake::kAnswered));
  relay->Forget("a");
  relay->Reset();
  EXPECT_THAT(reset.Await(1), ElementsAre(Wake::kRecheck));
  EXPECT_THAT(expired.Await(2), ElementsAre(Wake::kRecheck, Wake::kDeadline))
      << "every waiter rechecks after a reset; the deadline comes once";
  relay->Answered("a");  // forgotten: no wake
  relay->Forget("b");
  relay->Shutdown();
  // A second wake would come within milliseconds on the relay's thread.
  EXPECT_THAT(answered.Await(2, absl::Milliseconds(300)), ElementsAre(Wake::kAnswered))
      << "nothing after Forget";
  EXPECT_THAT(reset.Await(2, absl::Milliseconds(300)), ElementsAre(Wake::kRecheck));
}

TEST(LogRelay, ShutdownWakesWaitersAndLaterAwaitsAtOnce) {
  std::unique_ptr<LogRelay> relay = LogRelay::Start();
  Wakes held, late;
  relay->Await("a", absl::Now() + absl::Minutes(1), held.Sink());
  relay->Shutdown();
  EXPECT_THAT(held.Await(1), ElementsAre(Wake::kDeadline));
  relay->Await("b", absl::Now() + absl::Minutes(1), late.Sink());
  EXPECT_THAT(late.Await(1), ElementsAre(Wake::kDeadline)) << "inline, not lost";
  relay->Shutdown();  // idempotent
}

TEST(LogRelay, PendingCounts_ConsumedOnlyWhatAReadSaw_ResetWindowCountsEveryHost) {
  std::unique_ptr<LogRelay> relay = LogRelay::Start();
  EXPECT_EQ(relay->PendingFor("h1"), 0u);
  relay->RequestedFor("h1");
  relay->RequestedFor("h1");
  const uint64_t seen = relay->PendingFor("h1");
  EXPECT_EQ(seen, 2u);
  relay->RequestedFor("h1");  // comes while the read runs
  relay->Consumed("h1", seen);
  EXPECT_EQ(relay->PendingFor("h1"), 1u) << "the newer request stays pending";
  relay->Consumed("h1", 1);
  EXPECT_EQ(relay->PendingFor("h1"), 0u);
  relay->Consumed("h1", 5);  // nothing pending: no-op
  relay->Reset();
  EXPECT_EQ(relay->PendingFor("never-requested"), 1u) << "notifications may have been lost";
}

}  // namespace
}  // namespace gantry::api
