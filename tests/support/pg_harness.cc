#include "tests/support/pg_harness.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "embedded_pg/embedded_pg.h"
#include "storage/storage.h"

namespace gantry::testing {
namespace {

constexpr char kTemplate[] = "gantry_template";

// Owns the server for the life of the process; the static destructor stops it.
struct Server {
  std::unique_ptr<embedded_pg::EmbeddedPostgres> pg;
  std::filesystem::path root;
  ~Server() {
    pg.reset();
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
};

Server& TheServer() {
  static Server server;
  return server;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "pg_harness: %s\n", what.c_str());
  std::abort();
}

}  // namespace

PgHarness& PgHarness::Get() {
  static std::once_flag once;
  static PgHarness* harness = nullptr;
  std::call_once(once, [] {
    harness = new PgHarness();
    char pattern[] = "/tmp/gantry-pgtest-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) Die("mkdtemp failed");
    // mkdtemp makes it 0700; PostgreSQL runs as `postgres` when tests run as root.
    ::chmod(pattern, 0755);
    harness->root_ = pattern;
    Server& server = TheServer();
    server.root = pattern;
    embedded_pg::Options options;
    options.data_dir = harness->root_ / "data";
    options.database = kTemplate;
    options.settings = {{"fsync", "off"}, {"max_connections", "200"}};
    auto pg = embedded_pg::EmbeddedPostgres::Start(options);
    if (!pg.ok()) Die(pg.status().ToString());
    server.pg = std::move(*pg);
    auto connection = storage::Connection::Open(server.pg->ConnectionString(kTemplate));
    if (!connection.ok()) Die(connection.status().ToString());
    auto migrated = storage::Migrate(**connection, storage::BuiltinMigrations());
    if (!migrated.ok()) Die(migrated.status().ToString());
  });
  return *harness;
}

std::string PgHarness::CreateDatabase(bool from_template) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::string name = absl::StrCat("test_", ::getpid(), "_", next_database_++);
  pqxx::connection admin(TheServer().pg->ConnectionString("postgres"));
  std::string sql = absl::StrCat("CREATE DATABASE ", name,
                                 from_template ? absl::StrCat(" TEMPLATE ", kTemplate) : "");
  // A backend of the migration connection may outlive its client by a moment, and
  // PostgreSQL refuses to copy a template that still has a session.
  for (int attempt = 0;; ++attempt) {
    try {
      pqxx::nontransaction tx(admin);
      tx.exec0(sql);
      return TheServer().pg->ConnectionString(name);
    } catch (const pqxx::sql_error& error) {
      if (attempt >= 100) Die(error.what());
      ::usleep(50 * 1000);
    }
  }
}

std::string PgHarness::NewDatabase() { return CreateDatabase(true); }
std::string PgHarness::NewEmptyDatabase() { return CreateDatabase(false); }

}  // namespace gantry::testing
