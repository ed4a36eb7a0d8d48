// The Database worker pool: bounded queue, one connection per worker, orderly shutdown.
#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/storage/fixtures.h"
#include "tests/support/pg_harness.h"
#include "tests/support/status_matchers.h"

namespace gantry::storage {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::PgHarness;
using ::gantry::testing::StatusIs;

constexpr char kAccount[] = "000000000000";
// Long enough never to fire on a healthy machine; short enough that a broken pool
// fails the test instead of hanging it.
constexpr absl::Duration kWait = absl::Seconds(30);

using ::gantry::storage::testing::MinimalTaskDefinition;

std::unique_ptr<Database> OpenPool(const std::string& conninfo, int workers, int capacity) {
  Database::Options options;
  options.conninfo = conninfo;
  options.workers = workers;
  options.queue_capacity = capacity;
  auto database = Database::Open(options);
  EXPECT_THAT(database, IsOk());
  return database.ok() ? std::move(*database) : nullptr;
}

// Work that parks its worker until released. Releases on destruction, so a failing test
// never leaves a worker parked; the state is shared with the work, which may still be
// waking up when the Blocker goes away.
class Blocker {
 public:
  ~Blocker() { Release(); }
  std::function<void(Connection&)> Work() {
    return [state = state_](Connection&) {
      state->started.Notify();
      state->release.WaitForNotificationWithTimeout(kWait);
    };
  }
  bool WaitStarted() { return state_->started.WaitForNotificationWithTimeout(kWait); }
  void Release() {
    if (!state_->release.HasBeenNotified()) {
      state_->release.Notify();
    }
  }

 private:
  struct State {
    absl::Notification started;
    absl::Notification release;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

TEST(DatabasePool, Open_InvalidOptions_ReturnsInvalidArgument) {
  Database::Options options;
  options.conninfo = "host=/nonexistent";
  options.workers = 0;
  EXPECT_THAT(Database::Open(options),
              StatusIs(absl::StatusCode::kInvalidArgument, "at least one worker"));
  options.workers = 1;
  options.queue_capacity = 0;
  EXPECT_THAT(Database::Open(options), StatusIs(absl::StatusCode::kInvalidArgument, "queue slot"));
}

TEST(DatabasePool, Open_UnreachableServer_ReturnsUnavailable) {
  Database::Options options;
  options.conninfo = "host=/nonexistent-gantry-socket-dir port=5432 dbname=x connect_timeout=5";
  options.workers = 2;
  EXPECT_THAT(Database::Open(options),
              StatusIs(absl::StatusCode::kUnavailable, "cannot connect to the database"));
}

TEST(DatabasePool, Submit_RunsWorkOnAWorkerWithAWorkingConnection) {
  // Declared before the pool, so that they outlive its workers.
  absl::Notification done;
  absl::StatusOr<TaskDefinitionRow> registered = absl::UnknownError("did not run");
  std::thread::id worker_thread;
  std::string conninfo = PgHarness::Get().NewDatabase();
  auto database = OpenPool(conninfo, 2, 16);
  ASSERT_NE(database, nullptr);

  auto work = [&](Connection& connection) {
    worker_thread = std::this_thread::get_id();
    registered =
        RegisterTaskDefinition(connection, kAccount, MinimalTaskDefinition("pooled"), {}, "pool");
    done.Notify();
  };
  ASSERT_THAT(database->Submit(work), IsOk());
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  ASSERT_THAT(registered, IsOk());
  EXPECT_EQ(registered->revision, 1);
  EXPECT_NE(worker_thread, std::this_thread::get_id());

  // Committed: visible from an unrelated connection.
  auto own = Connection::Open(conninfo);
  ASSERT_THAT(own, IsOk());
  auto read = GetTaskDefinition(**own, kAccount, "pooled", 1);
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->registered_by, "pool");
}

TEST(DatabasePool, Workers_RunInParallelEachWithItsOwnConnection) {
  constexpr int kWorkers = 4;
  absl::Mutex mu;
  int arrived = 0;
  int met_everyone = 0;
  std::set<Connection*> connections;
  std::set<std::thread::id> threads;
  std::vector<absl::Status> statuses;
  std::string conninfo = PgHarness::Get().NewDatabase();
  auto database = OpenPool(conninfo, kWorkers, 16);
  ASSERT_NE(database, nullptr);
  for (int i = 0; i < kWorkers; ++i) {
    auto work = [&, i](Connection& connection) {
      absl::Status status =
          RegisterTaskDefinition(connection, kAccount,
                                 MinimalTaskDefinition("f" + std::to_string(i)), {}, "pool")
              .status();
      absl::MutexLock lock(&mu);
      statuses.push_back(status);
      connections.insert(&connection);
      threads.insert(std::this_thread::get_id());
      ++arrived;
      // Only possible when all kWorkers items run at the same time.
      auto everyone_arrived = [](int* count) { return *count >= kWorkers; };
      if (mu.AwaitWithTimeout(absl::Condition(+everyone_arrived, &arrived), kWait)) {
        ++met_everyone;
      }
    };
    ASSERT_THAT(database->Submit(work), IsOk());
  }
  database->Shutdown();  // runs everything queued, then joins
  absl::MutexLock lock(&mu);
  EXPECT_EQ(met_everyone, kWorkers);
  EXPECT_EQ(connections.size(), static_cast<size_t>(kWorkers));
  EXPECT_EQ(threads.size(), static_cast<size_t>(kWorkers));
  ASSERT_EQ(statuses.size(), static_cast<size_t>(kWorkers));
  for (const absl::Status& status : statuses) {
    EXPECT_THAT(status, IsOk());
  }
}

TEST(DatabasePool, Submit_FullQueue_ReturnsUnavailableAndDropsTheWork) {
  std::atomic<int> queued_ran{0};
  std::atomic<int> refused_ran{0};
  auto database = OpenPool(PgHarness::Get().NewDatabase(), 1, 1);
  ASSERT_NE(database, nullptr);
  Blocker blocker;
  ASSERT_THAT(database->Submit(blocker.Work()), IsOk());
  ASSERT_TRUE(blocker.WaitStarted());  // the worker is busy and the queue is empty

  EXPECT_THAT(database->Submit([&](Connection&) { queued_ran.fetch_add(1); }), IsOk());
  EXPECT_THAT(database->Submit([&](Connection&) { refused_ran.fetch_add(1); }),
              StatusIs(absl::StatusCode::kUnavailable, "the database queue is full (1 requests"));
  EXPECT_THAT(database->Submit([&](Connection&) { refused_ran.fetch_add(1); }),
              StatusIs(absl::StatusCode::kUnavailable, "retry later"));

  blocker.Release();
  database->Shutdown();
  EXPECT_EQ(queued_ran.load(), 1);
  EXPECT_EQ(refused_ran.load(), 0);
}

TEST(DatabasePool, Submit_AfterQueueDrains_IsAcceptedAgain) {
  auto database = OpenPool(PgHarness::Get().NewDatabase(), 1, 1);
  ASSERT_NE(database, nullptr);
  for (int round = 0; round < 3; ++round) {
    Blocker blocker;
    ASSERT_THAT(database->Submit(blocker.Work()), IsOk());
    ASSERT_TRUE(blocker.WaitStarted());
    auto ran = std::make_shared<absl::Notification>();
    ASSERT_THAT(database->Submit([ran](Connection&) { ran->Notify(); }), IsOk());
    EXPECT_THAT(database->Submit([](Connection&) {}),
                StatusIs(absl::StatusCode::kUnavailable, "queue is full"));
    blocker.Release();
    ASSERT_TRUE(ran->WaitForNotificationWithTimeout(kWait));
  }
}

TEST(DatabasePool, Submit_AfterShutdown_ReturnsUnavailable) {
  std::atomic<bool> ran{false};
  auto database = OpenPool(PgHarness::Get().NewDatabase(), 2, 16);
  ASSERT_NE(database, nullptr);
  database->Shutdown();
  EXPECT_THAT(database->Submit([&](Connection&) { ran = true; }),
              StatusIs(absl::StatusCode::kUnavailable, "shutting down"));
  database->Shutdown();  // idempotent
  EXPECT_THAT(database->Submit([&](Connection&) { ran = true; }),
              StatusIs(absl::StatusCode::kUnavailable, "shutting down"));
  database.reset();  // the destructor shuts down again
  EXPECT_FALSE(ran.load());
}

TEST(DatabasePool, Shutdown_RunsQueuedWorkBeforeJoining) {
  constexpr int kQueued = 5;
  std::atomic<int> ran{0};
  std::atomic<int> late_ran{0};
  std::string conninfo = PgHarness::Get().NewDatabase();
  auto database = OpenPool(conninfo, 1, 100000);
  ASSERT_NE(database, nullptr);
  Blocker blocker;
  ASSERT_THAT(database->Submit(blocker.Work()), IsOk());
  ASSERT_TRUE(blocker.WaitStarted());
  for (int i = 0; i < kQueued; ++i) {
    // Real database work, so that the worker's connection must still be usable.
    auto work = [&, i](Connection& connection) {
      std::string family = "drain-" + std::to_string(i);
      if (RegisterTaskDefinition(connection, kAccount, MinimalTaskDefinition(family), {}, "pool")
              .ok()) {
        ran.fetch_add(1);
      }
    };
    ASSERT_THAT(database->Submit(work), IsOk());
  }

  std::thread shutdown([&] { database->Shutdown(); });
  // Shutdown is in progress once Submit says so; whatever got in before that is queued
  // too and must run as well.
  int late_accepted = 0;
  absl::Time deadline = absl::Now() + kWait;
  auto late_work = [&](Connection&) { late_ran.fetch_add(1); };
  absl::Status status;
  while ((status = database->Submit(late_work)).ok() && absl::Now() < deadline) {
    ++late_accepted;
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable, "shutting down"));
  EXPECT_EQ(ran.load(), 0);  // still parked behind the blocker

  blocker.Release();
  shutdown.join();
  EXPECT_EQ(ran.load(), kQueued);
  EXPECT_EQ(late_ran.load(), late_accepted);

  auto own = Connection::Open(conninfo);
  ASSERT_THAT(own, IsOk());
  ListFamiliesQuery query;
  auto families = ListTaskDefinitionFamilies(**own, kAccount, query);
  ASSERT_THAT(families, IsOk());
  EXPECT_EQ(families->size(), static_cast<size_t>(kQueued));
}

TEST(DatabasePool, Destructor_RunsQueuedWork) {
  std::atomic<int> ran{0};
  auto database = OpenPool(PgHarness::Get().NewDatabase(), 1, 16);
  ASSERT_NE(database, nullptr);
  {
    Blocker blocker;
    ASSERT_THAT(database->Submit(blocker.Work()), IsOk());
    ASSERT_TRUE(blocker.WaitStarted());
    for (int i = 0; i < 3; ++i) {
      ASSERT_THAT(database->Submit([&](Connection&) { ran.fetch_add(1); }), IsOk());
    }
  }  // releases the blocker
  database.reset();
  EXPECT_EQ(ran.load(), 3);
}

}  // namespace
}  // namespace gantry::storage
