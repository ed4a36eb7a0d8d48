// EmbeddedPostgres on its own data directories: first start, restart, stale pid files,
// a data directory already in use, unreachable directories, and adopting a server left
// running by a process that died without stopping it.
//
// Each test gets its own directory under /tmp, made world-searchable because tests run
// as root and PostgreSQL then runs as `postgres`. Every server a test starts is stopped
// by the test (or, when it fails midway, by TempDir's cleanup) before the directory is
// removed.
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "embedded_pg/embedded_pg.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace gantry::embedded_pg {
namespace {

namespace fs = std::filesystem;
using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// The pid on the first line of a postmaster.pid, or 0.
pid_t PostmasterPid(const fs::path& pgdata) {
  std::ifstream in(pgdata / "postmaster.pid");
  std::string line;
  if (!std::getline(in, line)) {
    return 0;
  }
  return static_cast<pid_t>(std::atoi(line.c_str()));
}

// Alive and not a zombie (an orphaned postmaster is reaped by whoever adopted it).
bool IsRunning(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) {
    return false;
  }
  size_t close_paren = stat.rfind(')');
  return close_paren != std::string::npos && close_paren + 2 < stat.size() &&
         stat[close_paren + 2] != 'Z';
}

bool IsPostgresProcess(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm.rfind("postgres", 0) == 0;
}

// Best-effort: fast-stops a server a failed test left running on `pgdata`.
void StopLeftoverServer(const fs::path& pgdata) {
  pid_t pid = PostmasterPid(pgdata);
  if (pid <= 0 || !IsPostgresProcess(pid)) {
    return;
  }
  ::kill(pid, SIGINT);
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (IsRunning(pid) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
}

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/gantry-epgtest-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) {
      std::abort();
    }
    // mkdtemp makes it 0700; `postgres` must be able to get through it.
    ::chmod(pattern, 0755);
    path_ = pattern;
  }
  ~TempDir() {
    // Collect first: a stopping server removes files under the iterator's feet.
    std::vector<fs::path> clusters;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(path_, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->path().filename() == "postgres" && it->is_directory(ec)) {
        clusters.push_back(it->path());
      }
    }
    for (const fs::path& pgdata : clusters) {
      StopLeftoverServer(pgdata);
    }
    fs::remove_all(path_, ec);
    for (const fs::path& extra : also_remove_) {
      fs::remove_all(extra, ec);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  // Removes `other` too (for what the code under test creates outside path()).
  void AlsoRemove(const fs::path& other) { also_remove_.push_back(other); }

 private:
  fs::path path_;
  std::vector<fs::path> also_remove_;
};

Options OptionsFor(const fs::path& data_dir) {
  Options options;
  options.data_dir = data_dir;
  options.database = "gantry_test";
  options.start_timeout = absl::Seconds(30);
  options.settings = {{"fsync", "off"}};
  return options;
}

void Exec(const std::string& conninfo, const std::string& sql) {
  pqxx::connection conn(conninfo);
  pqxx::work tx(conn);
  tx.exec(sql);
  tx.commit();
}

std::string QueryString(const std::string& conninfo, const std::string& sql) {
  pqxx::connection conn(conninfo);
  pqxx::nontransaction tx(conn);
  return tx.exec1(sql)[0].as<std::string>();
}

void WritePidFile(const fs::path& pgdata, pid_t pid) {
  std::ofstream out(pgdata / "postmaster.pid", std::ios::trunc);
  out << pid << "\n" << pgdata.string() << "\n";
}

TEST(EmbeddedPostgres, FreshDirectory_CreatesClusterAndDatabase) {
  TempDir dir;
  Options options = OptionsFor(dir.path() / "data");
  options.settings.push_back({"max_connections", "37"});
  auto pg = EmbeddedPostgres::Start(options);
  ASSERT_THAT(pg, IsOk());
  EXPECT_FALSE((*pg)->adopted());
  EXPECT_TRUE(fs::exists(dir.path() / "data" / "postgres" / "PG_VERSION"));
  EXPECT_EQ((*pg)->socket_dir(), dir.path() / "data" / "run");

  std::string conninfo = (*pg)->ConnectionString();
  EXPECT_EQ(QueryString(conninfo, "SELECT current_database()"), "gantry_test");
  EXPECT_EQ(QueryString(conninfo, "SHOW max_connections"), "37");  // settings applied
  EXPECT_EQ(QueryString(conninfo, "SHOW listen_addresses"), "");   // Unix socket only
  EXPECT_EQ(QueryString((*pg)->ConnectionString("postgres"), "SELECT current_database()"),
            "postgres");
  EXPECT_THAT((*pg)->Stop(), IsOk());
}

TEST(EmbeddedPostgres, RestartOnSameDirectory_KeepsDataWithoutAdopting) {
  TempDir dir;
  Options options = OptionsFor(dir.path() / "data");
  {
    auto pg = EmbeddedPostgres::Start(options);
    ASSERT_THAT(pg, IsOk());
    Exec((*pg)->ConnectionString(),
         "CREATE TABLE kept (id int PRIMARY KEY, note text);"
         "INSERT INTO kept VALUES (1, 'one'), (2, 'two')");
    ASSERT_THAT((*pg)->Stop(), IsOk());
    EXPECT_FALSE(fs::exists(dir.path() / "data" / "postgres" / "postmaster.pid"));
  }
  auto again = EmbeddedPostgres::Start(options);
  ASSERT_THAT(again, IsOk());
  EXPECT_FALSE((*again)->adopted());
  EXPECT_EQ(QueryString((*again)->ConnectionString(),
                        "SELECT string_agg(note, ',' ORDER BY id) "
                        "FROM kept"),
            "one,two");
  EXPECT_THAT((*again)->Stop(), IsOk());
}

TEST(EmbeddedPostgres, Stop_IsIdempotentAndDestructorStops) {
  TempDir dir;
  Options options = OptionsFor(dir.path() / "data");
  fs::path pgdata = dir.path() / "data" / "postgres";
  {
    auto pg = EmbeddedPostgres::Start(options);
    ASSERT_THAT(pg, IsOk());
    EXPECT_THAT((*pg)->Stop(), IsOk());
    EXPECT_THAT((*pg)->Stop(), IsOk());
    EXPECT_FALSE(fs::exists(pgdata / "postmaster.pid"));
  }
  {
    auto pg = EmbeddedPostgres::Start(options);
    ASSERT_THAT(pg, IsOk());
    pid_t pid = PostmasterPid(pgdata);
    EXPECT_GT(pid, 0);
    EXPECT_TRUE(IsPostgresProcess(pid));
  }  // destroyed without Stop()
  EXPECT_FALSE(fs::exists(pgdata / "postmaster.pid"));
}

// postmaster.pid names a live process that is not PostgreSQL (the pid was reused after
// a crash): the file is stale and a fresh server starts.
TEST(EmbeddedPostgres, StalePidFileOfUnrelatedLiveProcess_StartsFresh) {
  TempDir dir;
  Options options = OptionsFor(dir.path() / "data");
  fs::path pgdata = dir.path() / "data" / "postgres";
  {
    auto pg = EmbeddedPostgres::Start(options);
    ASSERT_THAT(pg, IsOk());
    Exec((*pg)->ConnectionString(), "CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)");
    ASSERT_THAT((*pg)->Stop(), IsOk());
  }
  ASSERT_FALSE(IsPostgresProcess(::getpid()));
  WritePidFile(pgdata, ::getpid());

  auto pg = EmbeddedPostgres::Start(options);
  ASSERT_THAT(pg, IsOk());
  EXPECT_FALSE((*pg)->adopted());
  EXPECT_NE(PostmasterPid(pgdata), ::getpid());
  EXPECT_EQ(QueryString((*pg)->ConnectionString(), "SELECT x::text FROM kept"), "7");
  EXPECT_THAT((*pg)->Stop(), IsOk());
}

TEST(EmbeddedPostgres, StalePidFileOfDeadProcess_StartsFresh) {
  TempDir dir;
  Options options = OptionsFor(dir.path() / "data");
  fs::path pgdata = dir.path() / "data" / "postgres";
  {
    auto pg = EmbeddedPostgres::Start(options);
    ASSERT_THAT(pg, IsOk());
    ASSERT_THAT((*pg)->Stop(), IsOk());
  }
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);  // reaped: the pid is now dead
  WritePidFile(pgdata, child);

  auto pg = EmbeddedPostgres::Start(options);
  ASSERT_THAT(pg, IsOk());
  EXPECT_FALSE((*pg)->adopted());
  EXPECT_THAT((*pg)->Stop(), IsOk());
}

TEST(EmbeddedPostgres, SecondStartWhileRunning_ReturnsFailedPreconditionInUse) {
  TempDir dir;
  Options options = OptionsFor(dir.path() / "data");
  auto first = EmbeddedPostgres::Start(options);
  ASSERT_THAT(first, IsOk());
  Exec((*first)->ConnectionString(), "CREATE TABLE t (x int)");

  auto second = EmbeddedPostgres::Start(options);
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kFailedPrecondition, "is in use"));
  EXPECT_THAT(second.status().message(), HasSubstr((dir.path() / "data").string()));
  EXPECT_THAT(second.status().message(), HasSubstr(std::to_string(::getpid())));

  // The refused start left the running server alone.
  EXPECT_EQ(QueryString((*first)->ConnectionString(), "SELECT count(*)::text FROM t"), "0");
  EXPECT_THAT((*first)->Stop(), IsOk());
}

TEST(EmbeddedPostgres, UnreachableParentWhenRoot_ReturnsFailedPreconditionNamingIt) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "only root hands the data directory to `postgres`";
  }
  TempDir dir;
  fs::path blocking = dir.path() / "private";
  fs::create_directory(blocking);
  ::chmod(blocking.c_str(), 0700);  // root-owned: `postgres` cannot enter it

  auto pg = EmbeddedPostgres::Start(OptionsFor(blocking / "data"));
  ASSERT_THAT(pg, StatusIs(absl::StatusCode::kFailedPrecondition, "cannot enter directory"));
  std::string message(pg.status().message());
  EXPECT_THAT(message, HasSubstr("directory " + blocking.string() + " (mode 0700, owner root)"));
  EXPECT_THAT(message, HasSubstr("chmod o+x " + blocking.string()));
  EXPECT_THAT(message, HasSubstr("\"postgres\""));
}

TEST(EmbeddedPostgres, NonClusterContent_ReturnsFailedPrecondition) {
  TempDir dir;
  fs::path pgdata = dir.path() / "data" / "postgres";
  fs::create_directories(pgdata);
  std::ofstream(pgdata / "stray.txt") << "not a cluster\n";
  auto pg = EmbeddedPostgres::Start(OptionsFor(dir.path() / "data"));
  EXPECT_THAT(pg, StatusIs(absl::StatusCode::kFailedPrecondition,
                           "is neither empty nor a PostgreSQL cluster"));
}

TEST(EmbeddedPostgres, LongDataDirPath_PutsTheSocketUnderTmp) {
  TempDir dir;
  fs::path data_dir = dir.path() / std::string(60, 'd') / std::string(60, 'e');
  auto pg = EmbeddedPostgres::Start(OptionsFor(data_dir));
  ASSERT_THAT(pg, IsOk());
  fs::path socket_dir = (*pg)->socket_dir();
  dir.AlsoRemove(socket_dir);
  EXPECT_THAT(socket_dir.string(), StartsWith("/tmp/gantry-pg-"));
  EXPECT_LE((socket_dir / ".s.PGSQL.5432").string().size(), 107u);
  EXPECT_EQ(QueryString((*pg)->ConnectionString(), "SELECT 'reachable'"), "reachable");
  EXPECT_THAT((*pg)->Stop(), IsOk());
}

// A gantryd that was SIGKILLed leaves its PostgreSQL running; the next gantryd on the
// same data directory adopts that server instead of starting a second one.
TEST(EmbeddedPostgres, ServerLeftRunningByDeadProcess_IsAdopted) {
  TempDir dir;
  Options options = OptionsFor(dir.path() / "data");
  fs::path pgdata = dir.path() / "data" / "postgres";

  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Only _exit from here: the child must not run the parent's test machinery.
    auto pg = EmbeddedPostgres::Start(options);
    if (!pg.ok()) {
      ::_exit(1);
    }
    try {
      Exec((*pg)->ConnectionString(),
           "CREATE TABLE survivor (x text); INSERT INTO survivor VALUES ('from the child')");
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(0);  // without Stop(): PostgreSQL keeps running
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  pid_t orphan = PostmasterPid(pgdata);
  ASSERT_GT(orphan, 0);
  ASSERT_TRUE(IsPostgresProcess(orphan));

  auto pg = EmbeddedPostgres::Start(options);
  ASSERT_THAT(pg, IsOk());
  EXPECT_TRUE((*pg)->adopted());
  EXPECT_EQ(PostmasterPid(pgdata), orphan);  // the same server, not a new one
  EXPECT_EQ(QueryString((*pg)->ConnectionString(), "SELECT x FROM survivor"), "from the child");
  Exec((*pg)->ConnectionString(), "INSERT INTO survivor VALUES ('from the parent')");
  EXPECT_EQ(QueryString((*pg)->ConnectionString(), "SELECT count(*)::text FROM survivor"), "2");

  ASSERT_THAT((*pg)->Stop(), IsOk());
  EXPECT_FALSE(fs::exists(pgdata / "postmaster.pid"));
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (IsRunning(orphan) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_FALSE(IsRunning(orphan)) << "the adopted server is still running";
}

// postmaster.pid names a live PostgreSQL process of ANOTHER cluster (pids are reused
// after a crash or reboot, and hosts run several PostgreSQL servers). That server is not
// ours: Start clears the stale file and starts our own, and leaves the other one alone.
// (Regression test: ReadPostmaster() used to accept any process whose comm starts with
// "postgres", so Start() "adopted" the other server, timed out as UNAVAILABLE, and its
// cleanup ran `pg_ctl stop` on our data directory, which shut the other server down.)
TEST(EmbeddedPostgres, StalePidFileOfAnotherClustersPostgres_StartsOwnServer) {
  TempDir dir;
  Options ours = OptionsFor(dir.path() / "ours");
  ours.start_timeout = absl::Seconds(5);
  Options theirs = OptionsFor(dir.path() / "theirs");
  {
    auto pg = EmbeddedPostgres::Start(ours);
    ASSERT_THAT(pg, IsOk());
    ASSERT_THAT((*pg)->Stop(), IsOk());
  }
  auto other = EmbeddedPostgres::Start(theirs);
  ASSERT_THAT(other, IsOk());
  pid_t other_pid = PostmasterPid(dir.path() / "theirs" / "postgres");
  ASSERT_TRUE(IsPostgresProcess(other_pid));
  WritePidFile(dir.path() / "ours" / "postgres", other_pid);

  auto pg = EmbeddedPostgres::Start(ours);
  EXPECT_THAT(pg, IsOk());
  if (pg.ok()) {
    EXPECT_FALSE((*pg)->adopted());
    EXPECT_THAT((*pg)->Stop(), IsOk());
  }
  // Whatever happened, the other cluster's server must be untouched.
  EXPECT_EQ(PostmasterPid(dir.path() / "theirs" / "postgres"), other_pid);
  EXPECT_TRUE(IsRunning(other_pid)) << "the other cluster's server was stopped";
  EXPECT_THAT((*other)->Stop(), IsOk());
}

}  // namespace
}  // namespace gantry::embedded_pg
