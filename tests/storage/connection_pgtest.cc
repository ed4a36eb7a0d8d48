// Connection loss and recovery. The tests break storage's connections from the server
// side (pg_terminate_backend, a renamed database) using connections of their own, and
// find storage's sessions by the application_name they give its conninfo.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/internal/errors.h"
#include "storage/storage.h"
#include "tests/storage/fixtures.h"
#include "tests/support/pg_harness.h"
#include "tests/support/status_matchers.h"

// libpqxx 6.4 leaks the PGresult of a query that finds its connection broken:
// connection_base::make_result() asks for the client encoding, which throws
// broken_connection, before pqxx::result takes ownership of the PGresult. These tests
// break connections on purpose, so in GANTRY_SANITIZE builds LeakSanitizer is told to
// ignore leaks allocated under libpqxx in this binary only.
extern "C" const char* __lsan_default_suppressions() { return "leak:libpqxx-6.4.so\n"; }

namespace gantry::storage {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::PgHarness;
using ::gantry::testing::StatusIs;

constexpr char kAccount[] = "000000000000";
constexpr char kVictim[] = "gantry-victim";
constexpr absl::Duration kWait = absl::Seconds(30);

using ::gantry::storage::testing::MinimalTaskDefinition;

// libpq lets a later keyword override an earlier one.
std::string WithKeyword(const std::string& conninfo, const std::string& keyword) {
  return conninfo + " " + keyword;
}

int64_t VictimSessions(pqxx::connection& observer, const std::string& extra_condition = "") {
  pqxx::nontransaction tx(observer);  // a fresh pg_stat_activity snapshot per statement
  return tx
      .exec_params1(
          "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
          "AND application_name = $1" +
              extra_condition,
          std::string(kVictim))[0]
      .as<int64_t>();
}

// Waits (bounded) until `observer` sees `want` victim sessions matching the condition.
bool AwaitVictimSessions(pqxx::connection& observer, int64_t want,
                         const std::string& extra_condition = "") {
  absl::Time deadline = absl::Now() + kWait;
  while (VictimSessions(observer, extra_condition) != want) {
    if (absl::Now() > deadline) {
      return false;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

// Terminates every victim session and waits until the server has let them go.
void TerminateVictims(pqxx::connection& observer) {
  {
    pqxx::nontransaction tx(observer);
    pqxx::result killed = tx.exec_params(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = $1",
        std::string(kVictim));
    EXPECT_FALSE(killed.empty()) << "no victim session to terminate";
  }
  EXPECT_TRUE(AwaitVictimSessions(observer, 0));
}

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = PgHarness::Get().NewDatabase();
    observer_ = std::make_unique<pqxx::connection>(conninfo_);
    auto victim =
        Connection::Open(WithKeyword(conninfo_, "application_name=" + std::string(kVictim)));
    ASSERT_THAT(victim, IsOk());
    victim_ = std::move(*victim);
  }

  absl::StatusOr<TaskDefinitionRow> Register(const std::string& family) {
    return RegisterTaskDefinition(*victim_, kAccount, MinimalTaskDefinition(family), {}, "x");
  }

  std::string conninfo_;
  std::unique_ptr<pqxx::connection> observer_;
  std::unique_ptr<Connection> victim_;
};

TEST(StorageConnection, Open_UnreachableServer_ReturnsUnavailableOnOneLine) {
  auto connection =
      Connection::Open("host=/nonexistent-gantry-socket-dir port=5432 dbname=x connect_timeout=5");
  ASSERT_THAT(connection,
              StatusIs(absl::StatusCode::kUnavailable, "cannot connect to the database: "));
  EXPECT_EQ(std::string(connection.status().message()).find('\n'), std::string::npos);
}

TEST_F(ConnectionTest, Get_ReturnsAnOpenConnection) {
  auto first = victim_->Get();
  ASSERT_THAT(first, IsOk());
  ASSERT_NE(*first, nullptr);
  auto again = victim_->Get();
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(*again, *first);  // no reconnect while healthy
  EXPECT_EQ(VictimSessions(*observer_), 1);
}

TEST_F(ConnectionTest, MarkBroken_NextUseReconnects) {
  ASSERT_THAT(Register("web"), IsOk());
  victim_->MarkBroken();
  ASSERT_TRUE(AwaitVictimSessions(*observer_, 0));  // the old session is closed
  auto row = Register("web");
  ASSERT_THAT(row, IsOk());
  EXPECT_EQ(row->revision, 2);
  EXPECT_EQ(VictimSessions(*observer_), 1);
}

// gantryd's statements are prepared on a fresh database, when every table is empty;
// a generic plan made then (a table scan is cheapest over one page) was kept until the
// next ANALYZE and scanned `tasks` on every lookup once it had grown.
TEST_F(ConnectionTest, LookupByIdsOnAnEmptyTable_IsPlannedAsAnIndexScan) {
  auto conn = victim_->Get();
  ASSERT_THAT(conn, IsOk());
  pqxx::nontransaction tx(**conn);
  EXPECT_EQ(tx.exec1("SHOW enable_seqscan")[0].as<std::string>(), "off");
  EXPECT_EQ(tx.exec1("SHOW jit")[0].as<std::string>(), "off");
  tx.exec0("SET plan_cache_mode = force_generic_plan");
  tx.exec0("PREPARE probe(text[]) AS SELECT task_id FROM tasks WHERE task_id = ANY($1)");
  std::string plan;
  for (const pqxx::row& row : tx.exec("EXPLAIN EXECUTE probe('{a}')")) {
    plan += row[0].as<std::string>() + "\n";
  }
  EXPECT_THAT(plan, ::testing::HasSubstr("tasks_pkey")) << plan;
  EXPECT_THAT(plan, ::testing::Not(::testing::HasSubstr("Seq Scan"))) << plan;
}

TEST_F(ConnectionTest, ScanTable_AllowsTheScanForItsStatementOnly) {
  auto conn = victim_->Get();
  ASSERT_THAT(conn, IsOk());
  pqxx::work tx(**conn);
  pqxx::result hosts = internal::ScanTable(tx, "placement_hosts");
  EXPECT_TRUE(hosts.empty());  // a fresh database has no hosts
  EXPECT_EQ(tx.exec1("SHOW enable_seqscan")[0].as<std::string>(), "off");
}

// The server ends an idle session (restart, failover, idle timeout, admin). libpq only
// notices on the next use, so that call fails with UNAVAILABLE (nothing was done, a
// retry is safe) and drops the connection; the call after it reconnects and works.
TEST_F(ConnectionTest, TerminatedWhileIdle_OneUnavailableThenReconnects) {
  ASSERT_THAT(Register("web"), IsOk());
  TerminateVictims(*observer_);

  EXPECT_THAT(Register("web"), StatusIs(absl::StatusCode::kUnavailable,
                                        "register task definition: database unavailable"));
  auto second = Register("web");
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->revision, 2);  // the failed call registered nothing
  auto latest = GetTaskDefinition(*victim_, kAccount, "web", std::nullopt);
  ASSERT_THAT(latest, IsOk());
  EXPECT_EQ(latest->revision, 2);
  EXPECT_EQ(VictimSessions(*observer_), 1);
}

// Reads recover the same way as writes.
TEST_F(ConnectionTest, TerminatedWhileIdle_ReadRecoversToo) {
  ASSERT_THAT(Register("web"), IsOk());
  TerminateVictims(*observer_);
  ListFamiliesQuery query;
  EXPECT_THAT(ListTaskDefinitionFamilies(*victim_, kAccount, query),
              StatusIs(absl::StatusCode::kUnavailable,
                       "list task definition families: database unavailable"));
  auto families = ListTaskDefinitionFamilies(*victim_, kAccount, query);
  ASSERT_THAT(families, IsOk());
  EXPECT_THAT(*families, ::testing::ElementsAre("web"));
}

// The session dies while a transaction waits on a row lock: the operation reports
// UNAVAILABLE, its transaction is gone, and the next call reconnects (re-preparing every
// statement) and works.
TEST_F(ConnectionTest, TerminatedMidTransaction_ReturnsUnavailableThenReconnects) {
  ASSERT_THAT(Register("web"), IsOk());

  // Hold the family row so that the next registration blocks inside its transaction.
  pqxx::connection locker(conninfo_);
  auto hold = std::make_unique<pqxx::work>(locker);
  hold->exec1("SELECT 1 FROM task_definition_families WHERE family = 'web' FOR UPDATE");

  absl::StatusOr<TaskDefinitionRow> blocked = absl::UnknownError("did not run");
  std::thread writer([&] { blocked = Register("web"); });
  bool waiting = AwaitVictimSessions(*observer_, 1, " AND wait_event_type = 'Lock'");
  EXPECT_TRUE(waiting) << "the registration never blocked on the family row";
  TerminateVictims(*observer_);
  writer.join();
  hold->abort();
  hold.reset();

  EXPECT_THAT(blocked, StatusIs(absl::StatusCode::kUnavailable,
                                "register task definition: database unavailable; retry later"));
  auto next = Register("web");
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->revision, 2);  // the lost registration left no gap
  EXPECT_EQ(VictimSessions(*observer_), 1);
}

// A statement cut off by statement_timeout is DEADLINE_EXCEEDED; the session itself is
// fine, so the connection is kept rather than re-established.
TEST_F(ConnectionTest, StatementTimeout_ReturnsDeadlineExceededAndKeepsTheConnection) {
  auto impatient = Connection::Open(
      WithKeyword(conninfo_, "options='-c statement_timeout=200' application_name=impatient"));
  ASSERT_THAT(impatient, IsOk());
  ASSERT_THAT(RegisterTaskDefinition(**impatient, kAccount, MinimalTaskDefinition("web"), {}, "x"),
              IsOk());
  auto before = (*impatient)->Get();
  ASSERT_THAT(before, IsOk());

  {
    pqxx::connection locker(conninfo_);
    pqxx::work hold(locker);
    hold.exec1("SELECT 1 FROM task_definition_families WHERE family = 'web' FOR UPDATE");
    EXPECT_THAT(
        RegisterTaskDefinition(**impatient, kAccount, MinimalTaskDefinition("web"), {}, "x"),
        StatusIs(absl::StatusCode::kDeadlineExceeded,
                 "register task definition: database statement timed out"));
  }  // rolls back, releasing the row

  auto after = (*impatient)->Get();
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(*after, *before);
  auto next = RegisterTaskDefinition(**impatient, kAccount, MinimalTaskDefinition("web"), {}, "x");
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->revision, 2);
}

// The database cannot be reached for a while (here: renamed away), then comes back.
TEST_F(ConnectionTest, DatabaseUnreachable_UnavailableUntilItIsBack) {
  ASSERT_THAT(Register("web"), IsOk());
  std::string name;
  {
    pqxx::nontransaction tx(*observer_);
    name = tx.exec1("SELECT current_database()")[0].as<std::string>();
  }
  observer_.reset();  // RENAME needs the database to have no sessions
  pqxx::connection admin(WithKeyword(conninfo_, "dbname=postgres"));
  auto run_admin = [&](const std::string& sql) {
    pqxx::nontransaction tx(admin);
    tx.exec(sql);
  };
  run_admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = " +
            admin.quote(name));
  // Terminated backends take a moment to go; RENAME refuses while any remains.
  absl::Time deadline = absl::Now() + kWait;
  for (;;) {
    try {
      run_admin("ALTER DATABASE " + admin.quote_name(name) + " RENAME TO " +
                admin.quote_name(name + "_away"));
      break;
    } catch (const pqxx::sql_error& error) {
      ASSERT_LT(absl::Now(), deadline) << error.what();
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  EXPECT_THAT(Register("web"), StatusIs(absl::StatusCode::kUnavailable,
                                        "register task definition: database unavailable"));
  EXPECT_THAT(Register("web"),
              StatusIs(absl::StatusCode::kUnavailable, "cannot connect to the database"));
  EXPECT_THAT(GetTaskDefinition(*victim_, kAccount, "web", std::nullopt),
              StatusIs(absl::StatusCode::kUnavailable, "cannot connect to the database"));

  run_admin("ALTER DATABASE " + admin.quote_name(name + "_away") + " RENAME TO " +
            admin.quote_name(name));
  auto back = Register("web");
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->revision, 2);
}

// A pool worker whose session was terminated recovers on its own.
TEST(StorageConnectionPool, TerminatedWorkerConnection_RecoversForLaterWork) {
  std::string conninfo = PgHarness::Get().NewDatabase();
  pqxx::connection observer(conninfo);
  Database::Options options;
  options.conninfo = WithKeyword(conninfo, "application_name=" + std::string(kVictim));
  options.workers = 1;
  auto database = Database::Open(options);
  ASSERT_THAT(database, IsOk());
  auto run = [&](const std::string& family) {
    auto done = std::make_shared<absl::Notification>();
    auto result = std::make_shared<absl::StatusOr<TaskDefinitionRow>>(absl::UnknownError("?"));
    absl::Status submitted = (*database)->Submit([=](Connection& connection) {
      *result =
          RegisterTaskDefinition(connection, kAccount, MinimalTaskDefinition(family), {}, "pool");
      done->Notify();
    });
    if (!submitted.ok()) {
      return absl::StatusOr<TaskDefinitionRow>(submitted);
    }
    if (!done->WaitForNotificationWithTimeout(kWait)) {
      return absl::StatusOr<TaskDefinitionRow>(absl::DeadlineExceededError("work never ran"));
    }
    return *result;
  };
  ASSERT_THAT(run("web"), IsOk());
  TerminateVictims(observer);
  EXPECT_THAT(run("web"), StatusIs(absl::StatusCode::kUnavailable, "database unavailable"));
  auto later = run("web");
  ASSERT_THAT(later, IsOk());
  EXPECT_EQ(later->revision, 2);
}

}  // namespace
}  // namespace gantry::storage
