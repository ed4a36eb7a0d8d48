// Who may call what, and in which account an operation runs. Pure functions.
//
// Every account-scoped operation (ECS, network) runs with a copy of the server's Config
// whose account_id is the caller's, so its rows, ARNs and not-found answers are those of
// the caller's account only. The fleet (hosts, capacity) and the accounts themselves are
// the provider's: only admin keys reach them. Agent keys reach the agent protocol and
// nothing else.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/api.h"
#include "common/status_macros.h"

namespace gantry::api::internal {

// Twelve decimal digits, as AWS account ids are.
bool IsAccountId(std::string_view account_id);

// `base` with `account_id` as the account of rows and ARNs.
Config WithAccount(const Config& base, std::string_view account_id);

// The Config of an account-scoped request of `caller`. PERMISSION_DENIED for an agent key.
absl::StatusOr<Config> AccountScope(const Config& base, const Caller& caller);

// OK for admin keys; PERMISSION_DENIED naming `what` otherwise.
absl::Status RequireAdmin(const Caller& caller, std::string_view what);

// OK for agent and admin keys; PERMISSION_DENIED otherwise.
absl::Status RequireAgent(const Caller& caller);

}  // namespace gantry::api::internal

// For operations that answer through a `done` callback: evaluates `rexpr` (an
// absl::StatusOr<T>); on error calls done(status) and returns, otherwise moves the value
// into `lhs`.
#define GANTRY_ASSIGN_OR_DONE(lhs, rexpr, done) \
  GANTRY_ASSIGN_OR_DONE_IMPL_(GANTRY_STATUS_CONCAT_(gantry_statusor_, __LINE__), lhs, rexpr, done)

#define GANTRY_ASSIGN_OR_DONE_IMPL_(statusor, lhs, rexpr, done)    \
  auto statusor = (rexpr);                                         \
  if (!statusor.ok()) return (done)(std::move(statusor).status()); \
  lhs = std::move(statusor).value()

// Evaluates `expr` (an absl::Status); on error calls done(status) and returns.
#define GANTRY_RETURN_DONE_IF_ERROR(expr, done)              \
  do {                                                       \
    ::absl::Status gantry_status_ = (expr);                  \
    if (!gantry_status_.ok()) return (done)(gantry_status_); \
  } while (0)
