// Migrate() against real, initially empty PostgreSQL databases. Everything the tests
// check about the database itself is read back through a pqxx connection of their own.
#include <cstdint>
#include <latch>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/support/pg_harness.h"
#include "tests/support/status_matchers.h"

namespace gantry::storage {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::PgHarness;
using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Not;

// schema_migrations as version -> name, read with the test's own connection.
std::map<int32_t, std::string> AppliedRows(const std::string& conninfo) {
  pqxx::connection conn(conninfo);
  pqxx::nontransaction tx(conn);
  std::map<int32_t, std::string> rows;
  for (const auto& row : tx.exec("SELECT version, name FROM schema_migrations ORDER BY version")) {
    rows[row[0].as<int32_t>()] = row[1].as<std::string>();
  }
  return rows;
}

int64_t QueryInt(const std::string& conninfo, const std::string& sql) {
  pqxx::connection conn(conninfo);
  pqxx::nontransaction tx(conn);
  return tx.exec1(sql)[0].as<int64_t>();
}

bool TableExists(const std::string& conninfo, const std::string& table) {
  return QueryInt(conninfo,
                  "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND "
                  "tablename = '" +
                      table + "'") == 1;
}

std::vector<int32_t> Versions(const std::vector<Migration>& migrations) {
  std::vector<int32_t> versions;
  for (const Migration& migration : migrations) {
    versions.push_back(migration.version);
  }
  return versions;
}

// The builtin migrations followed by `extra`.
std::vector<Migration> BuiltinPlus(const std::vector<Migration>& extra) {
  std::vector<Migration> all = BuiltinMigrations();
  all.insert(all.end(), extra.begin(), extra.end());
  return all;
}

std::unique_ptr<Connection> Open(const std::string& conninfo) {
  auto connection = Connection::Open(conninfo);
  EXPECT_THAT(connection, IsOk());
  return connection.ok() ? std::move(*connection) : nullptr;
}

TEST(BuiltinMigrations, AreOrderedFromOneAndNamed) {
  const std::vector<Migration>& migrations = BuiltinMigrations();
  ASSERT_THAT(migrations, Not(IsEmpty()));
  EXPECT_EQ(migrations[0].version, 1);
  EXPECT_EQ(migrations[0].name, "init");
  for (size_t i = 0; i < migrations.size(); ++i) {
    SCOPED_TRACE(migrations[i].name);
    if (i > 0) {
      EXPECT_GT(migrations[i].version, migrations[i - 1].version);
    }
    EXPECT_THAT(migrations[i].name, MatchesRegex("[a-z0-9_]+"));
    EXPECT_THAT(migrations[i].sql, Not(IsEmpty()));
  }
}

TEST(Migrate, EmptyDatabase_AppliesEveryBuiltinMigration) {
  std::string conninfo = PgHarness::Get().NewEmptyDatabase();
  auto connection = Open(conninfo);
  ASSERT_NE(connection, nullptr);

  auto applied = Migrate(*connection, BuiltinMigrations());
  ASSERT_THAT(applied, IsOk());
  EXPECT_THAT(*applied, ElementsAreArray(Versions(BuiltinMigrations())));

  std::map<int32_t, std::string> rows = AppliedRows(conninfo);
  ASSERT_EQ(rows.size(), BuiltinMigrations().size());
  for (const Migration& migration : BuiltinMigrations()) {
    EXPECT_EQ(rows[migration.version], migration.name);
  }
  EXPECT_EQ(QueryInt(conninfo,
                     "SELECT count(*) FROM schema_migrations "
                     "WHERE checksum ~ '^[0-9a-f]{64}$' AND applied_at <= now()"),
            static_cast<int64_t>(BuiltinMigrations().size()));
  for (const char* table : {"clusters", "task_definition_families", "task_definitions"}) {
    EXPECT_TRUE(TableExists(conninfo, table)) << table;
  }
}

TEST(Migrate, SecondRun_AppliesNothing) {
  std::string conninfo = PgHarness::Get().NewEmptyDatabase();
  auto connection = Open(conninfo);
  ASSERT_NE(connection, nullptr);
  ASSERT_THAT(Migrate(*connection, BuiltinMigrations()), IsOk());
  auto before = AppliedRows(conninfo);

  auto again = Migrate(*connection, BuiltinMigrations());
  ASSERT_THAT(again, IsOk());
  EXPECT_THAT(*again, IsEmpty());
  EXPECT_EQ(AppliedRows(conninfo), before);

  // A second process (a fresh connection) sees the same.
  auto other = Open(conninfo);
  ASSERT_NE(other, nullptr);
  auto from_other = Migrate(*other, BuiltinMigrations());
  ASSERT_THAT(from_other, IsOk());
  EXPECT_THAT(*from_other, IsEmpty());
}

TEST(Migrate, HarnessTemplateDatabase_IsUpToDate) {
  auto connection = Open(PgHarness::Get().NewDatabase());
  ASSERT_NE(connection, nullptr);
  auto applied = Migrate(*connection, BuiltinMigrations());
  ASSERT_THAT(applied, IsOk());
  EXPECT_THAT(*applied, IsEmpty());
}

TEST(Migrate, NewMigration_AppliesOnlyTheNewOne) {
  std::string conninfo = PgHarness::Get().NewEmptyDatabase();
  auto connection = Open(conninfo);
  ASSERT_NE(connection, nullptr);
  ASSERT_THAT(Migrate(*connection, BuiltinMigrations()), IsOk());

  auto applied =
      Migrate(*connection, BuiltinPlus({{9001, "add_notes", "CREATE TABLE notes (x int)"}}));
  ASSERT_THAT(applied, IsOk());
  EXPECT_THAT(*applied, ElementsAre(9001));
  EXPECT_TRUE(TableExists(conninfo, "notes"));
  EXPECT_EQ(AppliedRows(conninfo)[9001], "add_notes");
}

TEST(Migrate, ChangedAppliedMigration_ReturnsFailedPreconditionNamingIt) {
  std::string conninfo = PgHarness::Get().NewEmptyDatabase();
  auto connection = Open(conninfo);
  ASSERT_NE(connection, nullptr);
  ASSERT_THAT(Migrate(*connection, BuiltinMigrations()), IsOk());

  std::vector<Migration> edited = BuiltinMigrations();
  edited[0].sql += "\n-- an innocent-looking edit\n";
  edited.push_back({9002, "after_edit", "CREATE TABLE after_edit (x int)"});
  auto applied = Migrate(*connection, edited);
  EXPECT_THAT(applied, StatusIs(absl::StatusCode::kFailedPrecondition,
                                "migration 1_init was changed after it was applied"));
  // Nothing after the refusal runs.
  EXPECT_FALSE(TableExists(conninfo, "after_edit"));
  EXPECT_EQ(AppliedRows(conninfo).count(9002), 0u);
}

TEST(Migrate, UnknownAppliedVersion_ReturnsFailedPrecondition) {
  std::string conninfo = PgHarness::Get().NewEmptyDatabase();
  auto newer = Open(conninfo);
  ASSERT_NE(newer, nullptr);
  // A newer gantryd applied a migration this binary does not have.
  ASSERT_THAT(Migrate(*newer, BuiltinPlus({{9003, "from_the_future", "SELECT 1"}})), IsOk());

  auto older = Open(conninfo);
  ASSERT_NE(older, nullptr);
  EXPECT_THAT(Migrate(*older, BuiltinMigrations()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "the database has migration 9003_from_the_future which this gantryd does "
                       "not know"));
}

TEST(Migrate, SeveralProblems_ReportsEachOnItsOwnLine) {
  std::string conninfo = PgHarness::Get().NewEmptyDatabase();
  auto connection = Open(conninfo);
  ASSERT_NE(connection, nullptr);
  ASSERT_THAT(Migrate(*connection, BuiltinPlus({{9004, "later", "SELECT 1"}})), IsOk());

  std::vector<Migration> edited = BuiltinMigrations();
  edited[0].sql += " ";
  auto applied = Migrate(*connection, edited);
  ASSERT_THAT(applied, StatusIs(absl::StatusCode::kFailedPrecondition, "1_init"));
  std::string message(applied.status().message());
  EXPECT_THAT(message, MatchesRegex("[^\n]*1_init was changed[^\n]*\n[^\n]*9004_later[^\n]*"));
}

TEST(Migrate, FailingMigration_RollsBackAndCanBeRetriedOnceFixed) {
  std::string conninfo = PgHarness::Get().NewEmptyDatabase();
  auto connection = Open(conninfo);
  ASSERT_NE(connection, nullptr);
  std::vector<Migration> broken = {
      {1, "first", "CREATE TABLE first (x int)"},
      {2, "second", "CREATE TABLE second (x int); SELECT 1 / 0"},
      {3, "third", "CREATE TABLE third (x int)"},
  };
  auto applied = Migrate(*connection, broken);
  EXPECT_THAT(applied, StatusIs(absl::StatusCode::kInternal, "migrate"));
  EXPECT_THAT(AppliedRows(conninfo), ElementsAre(::testing::Pair(1, "first")));
  EXPECT_TRUE(TableExists(conninfo, "first"));
  EXPECT_FALSE(TableExists(conninfo, "second"));  // its transaction rolled back
  EXPECT_FALSE(TableExists(conninfo, "third"));   // never attempted

  // Not yet applied, so fixing the file is allowed; the same connection keeps working.
  broken[1].sql = "CREATE TABLE second (x int)";
  auto fixed = Migrate(*connection, broken);
  ASSERT_THAT(fixed, IsOk());
  EXPECT_THAT(*fixed, ElementsAre(2, 3));
  EXPECT_TRUE(TableExists(conninfo, "second"));
  EXPECT_TRUE(TableExists(conninfo, "third"));
}

// Several gantryd replicas starting at once against one empty database.
TEST(Migrate, ConcurrentMigrators_ApplyEachMigrationExactlyOnce) {
  constexpr int kMigrators = 4;
  constexpr int kRounds = 3;
  // Each extra migration appends a row, so running one twice would show.
  std::vector<Migration> migrations = BuiltinPlus({
      {9010, "runs", "CREATE TABLE runs (version int NOT NULL); INSERT INTO runs VALUES (9010)"},
      {9011, "run_two", "INSERT INTO runs VALUES (9011)"},
      {9012, "run_three", "INSERT INTO runs VALUES (9012)"},
  });
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(::testing::Message() << "round " << round);
    std::string conninfo = PgHarness::Get().NewEmptyDatabase();
    std::vector<absl::StatusOr<std::vector<int32_t>>> results(kMigrators);
    std::latch ready(kMigrators);
    std::vector<std::thread> threads;
    for (int i = 0; i < kMigrators; ++i) {
      threads.emplace_back([&, i] {
        auto connection = Connection::Open(conninfo);
        ready.arrive_and_wait();
        results[i] = connection.ok() ? Migrate(**connection, migrations) : connection.status();
      });
    }
    for (auto& thread : threads) {
      thread.join();
    }

    std::multiset<int32_t> applied_by_anyone;
    for (const auto& result : results) {
      ASSERT_THAT(result, IsOk());
      applied_by_anyone.insert(result->begin(), result->end());
    }
    std::vector<int32_t> want = Versions(migrations);
    EXPECT_THAT(applied_by_anyone, ElementsAreArray(want));
    std::map<int32_t, std::string> rows = AppliedRows(conninfo);
    EXPECT_EQ(rows.size(), migrations.size());
    EXPECT_EQ(QueryInt(conninfo, "SELECT count(*) FROM runs"), 3);
    EXPECT_EQ(QueryInt(conninfo, "SELECT count(DISTINCT version) FROM runs"), 3);
  }
}

}  // namespace
}  // namespace gantry::storage
