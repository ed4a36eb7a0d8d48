// Turning libpqxx exceptions into absl::Status, and running one transaction with
// bounded retries. Storage-internal.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "storage/storage.h"

namespace gantry::storage::internal {

// How many times a transaction that lost a serialization race or a deadlock is tried.
inline constexpr int kMaxAttempts = 4;

// Maps an exception thrown by libpqxx while running `operation`. Sets `*retryable` for
// serialization failures and deadlocks; marks the connection broken when it was lost.
absl::Status FromException(const std::exception& error, const std::string& operation,
                           Connection& connection, bool* retryable);

// Runs `body(pqxx::work&)` in one READ COMMITTED transaction and commits when it returns
// OK. `body` returns absl::Status or absl::StatusOr<T>; a non-OK result rolls back.
// Serialization failures and deadlocks are retried up to kMaxAttempts, then ABORTED.
template <typename Body>
auto InTransaction(Connection& connection, const std::string& operation, Body&& body)
    -> decltype(body(std::declval<pqxx::work&>())) {
  using Result = decltype(body(std::declval<pqxx::work&>()));
  absl::Status last;
  for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
    absl::StatusOr<pqxx::connection_base*> conn = connection.Get();
    if (!conn.ok()) return Result(conn.status());
    bool retryable = false;
    try {
      pqxx::work tx(**conn, std::string(operation));
      Result result = body(tx);
      if (!result.ok()) return result;  // ~work rolls back
      tx.commit();
      return result;
    } catch (const std::exception& error) {
      last = FromException(error, operation, connection, &retryable);
    }
    if (!retryable) return Result(last);
  }
  return Result(absl::AbortedError(
      absl::StrCat(operation, ": gave up after ", kMaxAttempts, " conflicting attempts; retry")));
}

// Runs `body(pqxx::transaction_base&)`, which must run exactly one read-only
// statement, outside a transaction block: the statement is its own snapshot, and the
// BEGIN and COMMIT round trips a pqxx::work costs are saved (RunTask resolves its
// references with several such reads per call). Nothing to retry: a lone read never
// loses a serialization race.
template <typename Body>
auto InSingleRead(Connection& connection, const std::string& operation, Body&& body)
    -> decltype(body(std::declval<pqxx::transaction_base&>())) {
  using Result = decltype(body(std::declval<pqxx::transaction_base&>()));
  absl::StatusOr<pqxx::connection_base*> conn = connection.Get();
  if (!conn.ok()) return Result(conn.status());
  try {
    pqxx::nontransaction tx(**conn, std::string(operation));
    return body(tx);
  } catch (const std::exception& error) {
    bool retryable = false;
    return Result(FromException(error, operation, connection, &retryable));
  }
}

// Runs a prepared statement without parameters that reads a whole table (the
// scheduler's view of hosts, the capacity snapshot), letting it scan the table, which
// gantryd's connections otherwise plan away (Connection: enable_seqscan is off so that
// lookups by key never scan). Only for the statement itself: the setting is restored
// after it, so the transaction's other statements keep their index plans. Each such
// statement must always run through this, since a statement keeps the plan of its
// first uses.
pqxx::result ScanTable(pqxx::transaction_base& tx, const char* statement);

// A PostgreSQL text[] literal ({"a","b"}) for a parameter.
std::string ToTextArray(const std::vector<std::string>& values);
// The same with NULL elements for unset values.
std::string ToNullableTextArray(const std::vector<std::optional<std::string>>& values);
// A PostgreSQL integer array literal ({1,2,3}).
std::string ToIntArray(const std::vector<int64_t>& values);
// A PostgreSQL double precision array literal, each value exact (round-trips).
std::string ToFloatArray(const std::vector<double>& values);
// A PostgreSQL boolean array literal ({t,f}).
std::string ToBoolArray(const std::vector<bool>& values);

}  // namespace gantry::storage::internal
