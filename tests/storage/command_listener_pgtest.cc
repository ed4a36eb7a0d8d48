// CommandListener against a real PostgreSQL: the NOTIFY that CommitRound and StopTask
// send reaches it, large notifications are chunked, and a broken connection is
// reconnected with on_reset called again. Waits have deadlines; nothing sleeps.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/storage/agent_fixture.h"
#include "tests/support/status_matchers.h"

namespace gantry::storage {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using testing::AgentTest;
using testing::kAccount;
using ::testing::SizeIs;

constexpr absl::Duration kDeadline = absl::Seconds(20);

// What the listener's callbacks saw.
class Inbox {
 public:
  void OnHosts(const std::vector<std::string>& ids) {
    absl::MutexLock lock(&mu_);
    notifications_.push_back(ids);
    for (const std::string& id : ids) hosts_.insert(id);
  }
  void OnReset() {
    absl::MutexLock lock(&mu_);
    ++resets_;
  }

  // Whether every id in `ids` arrived before the deadline.
  bool WaitForHosts(const std::vector<std::string>& ids) {
    absl::MutexLock lock(&mu_);
    auto all_seen = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      for (const std::string& id : ids) {
        if (!hosts_.contains(id)) return false;
      }
      return true;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&all_seen), kDeadline);
  }
  bool WaitForResets(int count) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return resets_ >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kDeadline);
  }
  int resets() {
    absl::MutexLock lock(&mu_);
    return resets_;
  }
  std::vector<std::vector<std::string>> notifications() {
    absl::MutexLock lock(&mu_);
    return notifications_;
  }
  void Clear() {
    absl::MutexLock lock(&mu_);
    notifications_.clear();
    hosts_.clear();
  }

 private:
  absl::Mutex mu_;
  std::vector<std::vector<std::string>> notifications_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> hosts_ ABSL_GUARDED_BY(mu_);
  int resets_ ABSL_GUARDED_BY(mu_) = 0;
};

class CommandListenerTest : public AgentTest {
 protected:
  std::unique_ptr<CommandListener> Listen() {
    auto listener = CommandListener::Start(
        conninfo_, [this](const std::vector<std::string>& ids) { inbox_.OnHosts(ids); },
        [this] { inbox_.OnReset(); });
    EXPECT_THAT(listener, IsOk());
    return listener.ok() ? *std::move(listener) : nullptr;
  }

  Inbox inbox_;
};

TEST_F(CommandListenerTest, CommitRoundAndStopTask_NotifyTheirHosts) {
  std::unique_ptr<CommandListener> listener = Listen();
  ASSERT_NE(listener, nullptr);
  ASSERT_TRUE(inbox_.WaitForResets(1));
  HostRow a = Host();
  HostRow b = Host();
  std::string on_a = Place(a, 2)[0];
  Place(b, 1);
  EXPECT_TRUE(inbox_.WaitForHosts({a.instance_id, b.instance_id}));

  inbox_.Clear();
  TakeAndAck(a);
  ASSERT_THAT(StopTask(*connection_, kAccount, "default", on_a, "UserInitiated", "done"), IsOk());
  EXPECT_TRUE(inbox_.WaitForHosts({a.instance_id}));
  for (const std::vector<std::string>& ids : inbox_.notifications()) {
    EXPECT_THAT(ids, ::testing::ElementsAre(a.instance_id));
  }
  listener->Stop();
  listener->Stop();  // idempotent
  EXPECT_EQ(inbox_.resets(), 1);
}

TEST_F(CommandListenerTest, ManyHostsInOneRound_ChunkedNotifications) {
  std::unique_ptr<CommandListener> listener = Listen();
  ASSERT_NE(listener, nullptr);
  Round round{.region = "us-east-1"};
  std::vector<std::string> instance_ids;
  for (int i = 0; i < 250; ++i) {
    HostRow host = Host("az-a", 1024, 2);
    instance_ids.push_back(host.instance_id);
    round.new_tasks.push_back(Task());
    round.placements.push_back({round.new_tasks.back().task_id, host.host_id, subnet_, "az-a"});
  }
  auto result = CommitRound(*connection_, round);
  ASSERT_THAT(result, IsOk());
  ASSERT_THAT(result->displaced_task_ids, ::testing::IsEmpty());
  EXPECT_TRUE(inbox_.WaitForHosts(instance_ids));
  std::vector<std::vector<std::string>> notifications = inbox_.notifications();
  EXPECT_THAT(notifications, SizeIs(2));
  for (const std::vector<std::string>& ids : notifications) EXPECT_LE(ids.size(), 200u);
}

TEST_F(CommandListenerTest, ConnectionKilled_ReconnectsAndResetsAgain) {
  std::unique_ptr<CommandListener> listener = Listen();
  ASSERT_NE(listener, nullptr);
  ASSERT_TRUE(inbox_.WaitForResets(1));
  pqxx::connection admin(conninfo_);
  pqxx::nontransaction tx(admin);
  pqxx::result killed = tx.exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()");
  ASSERT_THAT(killed, SizeIs(1));
  ASSERT_TRUE(inbox_.WaitForResets(2));
  HostRow host = Host();
  Place(host, 1);
  EXPECT_TRUE(inbox_.WaitForHosts({host.instance_id}));
}

TEST(CommandListenerStart, Unreachable_IsUnavailable) {
  EXPECT_THAT(CommandListener::Start(
                  "host=127.0.0.1 port=1 dbname=none connect_timeout=2",
                  [](const std::vector<std::string>&) {}, [] {}),
              StatusIs(absl::StatusCode::kUnavailable, "cannot connect"));
}

}  // namespace
}  // namespace gantry::storage
