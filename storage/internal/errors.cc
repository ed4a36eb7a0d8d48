#include "storage/internal/errors.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/log.h"

namespace gantry::storage::internal {

absl::Status FromException(const std::exception& error, const std::string& operation,
                           Connection& connection, bool* retryable) {
  *retryable = false;
  if (dynamic_cast<const pqxx::in_doubt_error*>(&error) != nullptr) {
    connection.MarkBroken();
    return absl::UnknownError(
        absl::StrCat(operation,
                     ": the database connection was lost while committing; the change may or may "
                     "not have been applied; re-read before retrying"));
  }
  if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr) {
    connection.MarkBroken();
    return absl::UnavailableError(absl::StrCat(operation, ": database unavailable; retry later"));
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error); sql != nullptr) {
    const std::string& state = sql->sqlstate();
    if (state == "40001" || state == "40P01") {
      *retryable = true;
      return absl::AbortedError(absl::StrCat(operation, ": conflicting concurrent change"));
    }
    if (state == "23505") {
      return absl::AlreadyExistsError(absl::StrCat(operation, ": already exists"));
    }
    if (state == "23503") {
      return absl::FailedPreconditionError(
          absl::StrCat(operation, ": refers to something that does not exist"));
    }
    if (state == "55P03") {
      return absl::UnavailableError(
          absl::StrCat(operation, ": timed out waiting for a lock; retry later"));
    }
    if (state == "57014") {
      return absl::DeadlineExceededError(absl::StrCat(operation, ": database statement timed out"));
    }
    if (state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03") {
      connection.MarkBroken();
      return absl::UnavailableError(absl::StrCat(operation, ": database unavailable; retry later"));
    }
    // The first line only: PostgreSQL's DETAIL line can quote the failing row, and rows
    // hold what must not reach a log (an access key's sealed secret, say).
    const std::string what = sql->what();
    log::Error("storage_sql_error", {{"operation", operation},
                                     {"sqlstate", state},
                                     {"error", what.substr(0, what.find('\n'))}});
    return absl::InternalError(absl::StrCat(operation, ": internal storage error"));
  }
  log::Error("storage_error", {{"operation", operation}, {"error", error.what()}});
  return absl::InternalError(absl::StrCat(operation, ": internal storage error"));
}

namespace {
void AppendQuoted(std::string& out, const std::string& value) {
  out.push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  out.push_back('"');
}
}  // namespace

std::string ToTextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) {
      out.push_back(',');
    }
    AppendQuoted(out, values[i]);
  }
  out.push_back('}');
  return out;
}

std::string ToNullableTextArray(const std::vector<std::optional<std::string>>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) {
      out.push_back(',');
    }
    if (values[i].has_value()) {
      AppendQuoted(out, *values[i]);
    } else {
      out += "NULL";
    }
  }
  out.push_back('}');
  return out;
}

std::string ToIntArray(const std::vector<int64_t>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) {
      out.push_back(',');
    }
    absl::StrAppend(&out, values[i]);
  }
  out.push_back('}');
  return out;
}

std::string ToFloatArray(const std::vector<double>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) {
      out.push_back(',');
    }
    // 17 significant digits: every double reads back as itself.
    absl::StrAppend(&out, absl::StrFormat("%.17g", values[i]));
  }
  out.push_back('}');
  return out;
}

pqxx::result ScanTable(pqxx::transaction_base& tx, const char* statement) {
  tx.exec0("SET LOCAL enable_seqscan = on");
  pqxx::result rows = tx.exec_prepared(statement);
  tx.exec0("SET LOCAL enable_seqscan = off");
  return rows;
}

std::string ToBoolArray(const std::vector<bool>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) {
      out.push_back(',');
    }
    out.push_back(values[i] ? 't' : 'f');
  }
  out.push_back('}');
  return out;
}

}  // namespace gantry::storage::internal
