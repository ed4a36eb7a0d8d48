// The agent protocol's storage side under concurrency, against a real PostgreSQL: one
// lock order everywhere (tasks, host_commands, hosts, subnets), so reports, stops and
// polls on one host queue up instead of deadlocking, and the lost-host sweep and
// heartbeats never wait for a lock.
//
// The connections under test turn PostgreSQL's deadlock detection off (deadlock_timeout
// of an hour) and bound every lock wait (lock_timeout): a deadlock then surfaces as an
// error instead of being broken and retried inside storage, where no test could see it.
// Waits have deadlines; nothing sleeps in place of a condition.
#include <barrier>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/storage/agent_fixture.h"
#include "tests/support/status_matchers.h"

namespace gantry::storage {
namespace {

using ::gantry::testing::IsOk;
using testing::AgentTest;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::kAccount;
using ::testing::SizeIs;

constexpr absl::Duration kDeadline = absl::Seconds(20);
constexpr absl::Duration kLockTimeout = absl::Seconds(10);

class LockOrderTest : public AgentTest {
 protected:
  // A connection on which a deadlock, or any lock wait longer than kLockTimeout, is an
  // error (UNAVAILABLE) rather than something storage retries.
  std::unique_ptr<Connection> StrictConnection() {
    auto connection = Connection::Open(conninfo_ + " options='-c deadlock_timeout=3600000'",
                                       ConnectionLimits{.lock_timeout = kLockTimeout});
    EXPECT_THAT(connection, IsOk());
    return connection.ok() ? *std::move(connection) : nullptr;
  }

  // Whether at least `count` sessions of this database wait for a lock before the
  // deadline (polled: PostgreSQL offers no way to be told).
  bool WaitForLockWaiters(int count) {
    pqxx::connection admin(conninfo_);
    const absl::Time deadline = absl::Now() + kDeadline;
    while (absl::Now() < deadline) {
      pqxx::nontransaction tx(admin);
      const int waiting =
          tx.exec1(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'")[0]
              .as<int>();
      if (waiting >= count) return true;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return false;
  }

  // A task on `host` that the agent runs and that is being stopped through the agent:
  // its STOP command handed out and not yet acknowledged. Returns the task id and the
  // STOP's sequence number.
  std::pair<std::string, int64_t> TaskWithStopHandedOut(const HostRow& host) {
    std::string id = Place(host, 1)[0];
    TakeAndAck(host);
    Apply(host, {Report(id, "RUNNING", 10)});
    EXPECT_THAT(StopTask(*connection_, kAccount, "default", id, "UserInitiated", "done"), IsOk());
    PolledCommands polled = Take(host);
    EXPECT_THAT(polled.commands, SizeIs(1));
    return {id, polled.commands.empty() ? 0 : polled.commands.back().sequence};
  }

  void ExpectStoppedAndReleased(const std::string& id, const HostRow& host) {
    TaskRow task = Get(id);
    EXPECT_EQ(task.last_status, "STOPPED");
    EXPECT_FALSE(task.holds_resources);
    EXPECT_EQ(CountCommands(id), 0);
    EXPECT_EQ(Reload(host).used.cpu_units, 0);
  }
};

// The interleaving that deadlocked when a report released the host before deleting the
// task's commands while TakeCommands deleted the acknowledged commands before marking
// the host seen: the report waits for the host (held here), then the poll acknowledging
// the task's STOP queues behind it. Released, both must finish.
TEST_F(LockOrderTest, ReportStoppedQueuedBeforeTakeCommandsAckingItsStop_BothFinish) {
  HostRow host = Host();
  auto [id, stop_sequence] = TaskWithStopHandedOut(host);
  std::unique_ptr<Connection> reporter_connection = StrictConnection();
  std::unique_ptr<Connection> poller_connection = StrictConnection();
  ASSERT_NE(reporter_connection, nullptr);
  ASSERT_NE(poller_connection, nullptr);

  pqxx::connection blocker_connection(conninfo_);
  pqxx::work blocker(blocker_connection);
  blocker.exec_params("SELECT 1 FROM hosts WHERE host_id = $1 FOR NO KEY UPDATE", host.host_id);

  absl::Status reported, polled;
  std::thread reporter([&] {
    reported = ApplyTaskReports(*reporter_connection, host.instance_id, {Report(id, "STOPPED", 30)})
                   .status();
  });
  const bool reporter_waits = WaitForLockWaiters(1);
  std::thread poller;
  if (reporter_waits) {
    poller = std::thread([&] {
      polled = TakeCommands(*poller_connection, host.instance_id, stop_sequence, 10).status();
    });
  }
  const bool both_wait = reporter_waits && WaitForLockWaiters(2);
  blocker.commit();
  reporter.join();
  if (poller.joinable()) poller.join();
  ASSERT_TRUE(reporter_waits) << "the report did not wait for the host";
  EXPECT_TRUE(both_wait) << "the poll did not wait";
  EXPECT_THAT(reported, IsOk());
  EXPECT_THAT(polled, IsOk());
  ExpectStoppedAndReleased(id, host);
}

// The same race left to chance, many times: an agent reports a task STOPPED while its
// next poll acknowledges the task's STOP command.
TEST_F(LockOrderTest, ReportStoppedRacingTakeCommandsAckingItsStop_NoAbortNoDeadlock) {
  constexpr int kRounds = 40;
  HostRow host = Host();
  std::unique_ptr<Connection> reporter_connection = StrictConnection();
  std::unique_ptr<Connection> poller_connection = StrictConnection();
  ASSERT_NE(reporter_connection, nullptr);
  ASSERT_NE(poller_connection, nullptr);

  std::string task_id;
  int64_t stop_sequence = 0;
  std::vector<absl::Status> reported(kRounds), polled(kRounds);
  // Three parties: this thread prepares each round, the two others race in it.
  std::barrier sync(3);
  std::thread reporter([&] {
    for (int round = 0; round < kRounds; ++round) {
      sync.arrive_and_wait();
      reported[round] =
          ApplyTaskReports(*reporter_connection, host.instance_id, {Report(task_id, "STOPPED", 30)})
              .status();
      sync.arrive_and_wait();
    }
  });
  std::thread poller([&] {
    for (int round = 0; round < kRounds; ++round) {
      sync.arrive_and_wait();
      // A few reads first, more in some rounds than in others, so that the two
      // transactions overlap differently from round to round.
      for (int i = 0; i < round % 6; ++i) (void)GetHosts(*poller_connection, {host.instance_id});
      polled[round] =
          TakeCommands(*poller_connection, host.instance_id, stop_sequence, 10).status();
      sync.arrive_and_wait();
    }
  });
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    std::tie(task_id, stop_sequence) = TaskWithStopHandedOut(host);
    sync.arrive_and_wait();  // go
    sync.arrive_and_wait();  // both done
    EXPECT_THAT(reported[round], IsOk());
    EXPECT_THAT(polled[round], IsOk());
    ExpectStoppedAndReleased(task_id, host);
  }
  reporter.join();
  poller.join();
}

// StopTask of tasks never handed out (their LAUNCH deleted, then the host released)
// racing polls that hand launches out and acknowledge them: every call finishes.
TEST_F(LockOrderTest, StopBeforeDeliveryRacingTakeCommands_NoAbortNoDeadlock) {
  constexpr int kRounds = 40;
  HostRow host = Host("az-a", 16384, 64);
  std::unique_ptr<Connection> stopper_connection = StrictConnection();
  std::unique_ptr<Connection> poller_connection = StrictConnection();
  ASSERT_NE(stopper_connection, nullptr);
  ASSERT_NE(poller_connection, nullptr);
  std::vector<std::string> ids = Place(host, kRounds);
  std::vector<absl::Status> stopped(kRounds), polled(kRounds);
  std::barrier sync(2);
  std::thread stopper([&] {
    for (int round = 0; round < kRounds; ++round) {
      sync.arrive_and_wait();
      stopped[round] = StopTask(*stopper_connection, kAccount, "default", ids[kRounds - 1 - round],
                                "UserInitiated", "race")
                           .status();
    }
  });
  int64_t acked = 0;
  for (int round = 0; round < kRounds; ++round) {
    sync.arrive_and_wait();
    auto taken = TakeCommands(*poller_connection, host.instance_id, acked, 1);
    polled[round] = taken.status();
    if (taken.ok() && !taken->commands.empty()) acked = taken->commands.back().sequence;
  }
  stopper.join();
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    EXPECT_THAT(stopped[round], IsOk());
    EXPECT_THAT(polled[round], IsOk());
  }
}

using NoWaitTest = LockOrderTest;

TEST_F(NoWaitTest, MarkLostHosts_CommandLockedElsewhere_HostLeftForNextCallWithoutWaiting) {
  HostRow host = Host();
  std::string id = Place(host, 1)[0];
  Exec("UPDATE hosts SET last_seen_at = now() - interval '1 minute'");
  std::unique_ptr<Connection> sweeper = StrictConnection();
  ASSERT_NE(sweeper, nullptr);
  pqxx::connection other(conninfo_);
  auto holder = std::make_unique<pqxx::work>(other);
  holder->exec_params("SELECT 1 FROM host_commands WHERE task_id = $1 FOR UPDATE", id);

  auto lost = MarkLostHosts(*sweeper, absl::Seconds(30), 10);
  ASSERT_THAT(lost, IsOk());
  EXPECT_THAT(*lost, IsEmpty());
  EXPECT_TRUE(Reload(host).agent_connected);
  EXPECT_EQ(Get(id).last_status, "PROVISIONING");
  holder->commit();

  lost = MarkLostHosts(*sweeper, absl::Seconds(30), 10);
  ASSERT_THAT(lost, IsOk());
  ASSERT_THAT(*lost, SizeIs(1));
  EXPECT_THAT(lost->at(0).stopped_task_ids, ElementsAre(id));
  EXPECT_EQ(CountCommands(id), 0);
  EXPECT_EQ(Get(id).last_status, "STOPPED");
}

class HeartbeatTest : public LockOrderTest {
 protected:
  std::string Xmin(const HostRow& host) {
    pqxx::connection admin(conninfo_);
    pqxx::read_transaction tx(admin);
    return tx.exec_params1("SELECT xmin::text FROM hosts WHERE host_id = $1", host.host_id)[0]
        .as<std::string>();
  }
  void Age(const HostRow& host) {
    Exec(absl::StrCat("UPDATE hosts SET last_seen_at = now() - interval '1 hour' WHERE host_id = ",
                      host.host_id));
  }
};

TEST_F(HeartbeatTest, FreshRow_NotRewritten_StaleRowWritten) {
  HostRow host = Host();
  const std::string registered = Xmin(host);
  std::vector<std::string> locked = {"stale entry"};
  ASSERT_THAT(RecordHeartbeats(*connection_, {host.instance_id}, absl::Seconds(1), &locked),
              IsOk());
  EXPECT_THAT(locked, IsEmpty());
  EXPECT_EQ(Xmin(host), registered) << "a heartbeat a moment after the last one writes nothing";

  Age(host);
  const std::string aged = Xmin(host);
  ASSERT_THAT(RecordHeartbeats(*connection_, {host.instance_id}), IsOk());
  EXPECT_NE(Xmin(host), aged);
  EXPECT_GT(Reload(host).last_seen_at, absl::Now() - absl::Minutes(1));
}

TEST_F(HeartbeatTest, LockedRow_SkippedWithoutWaitingAndListed) {
  HostRow busy = Host();
  HostRow idle = Host();
  Age(busy);
  Age(idle);
  std::unique_ptr<Connection> monitor = StrictConnection();
  ASSERT_NE(monitor, nullptr);
  pqxx::connection other(conninfo_);
  auto holder = std::make_unique<pqxx::work>(other);
  holder->exec_params("SELECT 1 FROM hosts WHERE host_id = $1 FOR NO KEY UPDATE", busy.host_id);

  std::vector<std::string> locked;
  ASSERT_THAT(RecordHeartbeats(*monitor, {busy.instance_id, idle.instance_id, std::string(32, '0')},
                               absl::Seconds(1), &locked),
              IsOk());
  EXPECT_THAT(locked, ElementsAre(busy.instance_id));
  EXPECT_LT(Reload(busy).last_seen_at, absl::Now() - absl::Minutes(30));
  EXPECT_GT(Reload(idle).last_seen_at, absl::Now() - absl::Minutes(1));
  holder->commit();

  ASSERT_THAT(RecordHeartbeats(*monitor, locked, absl::Seconds(1), &locked), IsOk());
  EXPECT_THAT(locked, IsEmpty());
  EXPECT_GT(Reload(busy).last_seen_at, absl::Now() - absl::Minutes(1));
}

}  // namespace
}  // namespace gantry::storage
