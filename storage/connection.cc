#include <string>
#include <utility>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "storage/internal/statements.h"
#include "storage/storage.h"

namespace gantry::storage {

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
  if (!conn.ok()) return conn.status();
  return connection;
}

absl::StatusOr<pqxx::connection_base*> Connection::Get() {
  if (conn_ != nullptr && conn_->is_open()) return conn_.get();
  conn_.reset();
  try {
    auto conn = std::make_unique<pqxx::connection>(conninfo_);
    for (const internal::Statement& statement : internal::AllStatements()) {
      conn->prepare(statement.name, statement.sql);
    }
    // Only limits that were asked for: zero leaves what the connection string set.
    if (limits_.statement_timeout > absl::ZeroDuration() ||
        limits_.lock_timeout > absl::ZeroDuration()) {
      pqxx::nontransaction session(*conn, "session limits");
      if (limits_.statement_timeout > absl::ZeroDuration()) {
        session.exec(absl::StrCat("SET statement_timeout = ",
                                  absl::ToInt64Milliseconds(limits_.statement_timeout)));
      }
      if (limits_.lock_timeout > absl::ZeroDuration()) {
        session.exec(
            absl::StrCat("SET lock_timeout = ", absl::ToInt64Milliseconds(limits_.lock_timeout)));
      }
    }
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
