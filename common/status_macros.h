// Early-return helpers for absl::Status / absl::StatusOr, which Abseil 20220623
// does not provide itself. Header-only; no state.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define GANTRY_STATUS_CONCAT_INNER_(a, b) a##b
#define GANTRY_STATUS_CONCAT_(a, b) GANTRY_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the current function if not OK.
#define GANTRY_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status gantry_status_ = (expr);          \
    if (!gantry_status_.ok()) return gantry_status_; \
  } while (0)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, otherwise
// moves the value into `lhs` (which may be a declaration such as `auto x`).
#define GANTRY_ASSIGN_OR_RETURN(lhs, rexpr) \
  GANTRY_ASSIGN_OR_RETURN_IMPL_(GANTRY_STATUS_CONCAT_(gantry_statusor_, __LINE__), lhs, rexpr)

#define GANTRY_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()

// Crashes with a message on a state that must never happen (never on external input).
#define GANTRY_CHECK(cond)                                                  \
  do {                                                                      \
    if (!(cond)) ::gantry::internal_check::Fail(__FILE__, __LINE__, #cond); \
  } while (0)

namespace gantry::internal_check {
[[noreturn]] void Fail(const char* file, int line, const char* condition);
}  // namespace gantry::internal_check
