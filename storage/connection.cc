#include <string>
#include <utility>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "storage/internal/statements.h"
#include "storage/storage.h"

namespace gantry::storage {

namespace {

void ApplySessionSettings(pqxx::connection& conn, const ConnectionLimits& limits) {
  pqxx::nontransaction session(conn, "session settings");
  // Every statement gantryd prepares finds rows by key or by a short index range. A
  // prepared statement's generic plan is made once, from the table's size at that
  // moment, and kept until the table is next analyzed: planned while `tasks` was
  // nearly empty, a lookup by ids would scan the whole table for minutes after it
  // had grown (measured: two full scans per placement round, a quarter of the
  // database's CPU, in gantry-bench). Index paths win wherever one exists; scans
  // with no index to use still run.
  session.exec("SET enable_seqscan = off");
  // Those scans now carry the planner's disable cost, far above JIT's thresholds: JIT
  // compiled each one (60 ms for a nine-row table). gantryd's statements are short; none
  // gains from JIT.
  session.exec("SET jit = off");
  // Only limits that were asked for: zero leaves what the connection string set.
  if (limits.statement_timeout > absl::ZeroDuration()) {
    session.exec(absl::StrCat("SET statement_timeout = ",
                              absl::ToInt64Milliseconds(limits.statement_timeout)));
  }
  if (limits.lock_timeout > absl::ZeroDuration()) {
    session.exec(
        absl::StrCat("SET lock_timeout = ", absl::ToInt64Milliseconds(limits.lock_timeout)));
  }
}

}  // namespace

Connection::Connection(std::string conninfo, ConnectionLimits limits)
    : conninfo_(std::move(conninfo)), limits_(limits) {}

Connection::~Connection() = default;

void Connection::Deleter::operator()(pqxx::connection_base* conn) const {
  delete static_cast<pqxx::connection*>(conn);
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(std::string conninfo,
                                                             ConnectionLimits limits) {
  auto connection = std::unique_ptr<Connection>(new Connection(std::move(conninfo), limits));
  absl::StatusOr<pqxx::connection_base*> conn = connection->Get();
  if (!conn.ok()) {
    return conn.status();
  }
  return connection;
}

absl::StatusOr<pqxx::connection_base*> Connection::Get() {
  if (conn_ != nullptr && conn_->is_open()) {
    return conn_.get();
  }
  conn_.reset();
  try {
    auto conn = std::make_unique<pqxx::connection>(conninfo_);
    for (const internal::Statement& statement : internal::AllStatements()) {
      conn->prepare(statement.name, statement.sql);
    }
    ApplySessionSettings(*conn, limits_);
    conn_.reset(conn.release());
    return conn_.get();
  } catch (const std::exception& error) {
    // The message may quote the connection string; keep only the first line.
    std::string what = error.what();
    what = what.substr(0, what.find('\n'));
    log::Warning("storage_connect_failed", {{"error", what}});
    return absl::UnavailableError(absl::StrCat("cannot connect to the database: ", what));
  }
}

void Connection::MarkBroken() { conn_.reset(); }

}  // namespace gantry::storage
