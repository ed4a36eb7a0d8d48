#include "storage/internal/conninfo.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include <libpq-fe.h>

namespace gantry::storage::internal {
namespace {

// Idle 10 s before the first probe, then every 5 s, given up after 3 unanswered: a
// silent peer is found after about 25 s. Data left unacknowledged for 30 s (a query
// sent to a peer that vanished) fails the connection too.
const std::pair<const char*, const char*> kKeepalives[] = {
    {"keepalives", "1"},       {"keepalives_idle", "10"},     {"keepalives_interval", "5"},
    {"keepalives_count", "3"}, {"tcp_user_timeout", "30000"},
};

// Every keyword libpq knows for `conninfo`, with its value when the string sets it;
// nullopt when libpq cannot parse it.
std::optional<std::map<std::string, std::optional<std::string>>> Parse(
    const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (error != nullptr) PQfreemem(error);
  if (options == nullptr) return std::nullopt;
  std::map<std::string, std::optional<std::string>> parsed;
  for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    parsed[option->keyword] =
        option->val == nullptr ? std::nullopt : std::optional<std::string>(option->val);
  }
  PQconninfoFree(options);
  return parsed;
}

bool IsUri(const std::string& conninfo) {
  return absl::StartsWith(conninfo, "postgresql://") || absl::StartsWith(conninfo, "postgres://");
}

}  // namespace

std::string WithKeepalives(const std::string& conninfo) {
  std::optional<std::map<std::string, std::optional<std::string>>> before = Parse(conninfo);
  if (!before.has_value()) return conninfo;
  std::vector<std::pair<const char*, const char*>> added;
  for (const auto& [key, value] : kKeepalives) {
    auto it = before->find(key);
    if (it != before->end() && !it->second.has_value()) added.emplace_back(key, value);
  }
  if (added.empty()) return conninfo;
  std::string result = conninfo;
  const bool uri = IsUri(conninfo);
  for (const auto& [key, value] : added) {
    if (uri) {
      result.push_back(absl::StrContains(result, '?') ? '&' : '?');
    } else if (!result.empty()) {
      result.push_back(' ');
    }
    absl::StrAppend(&result, key, "=", value);
  }
  // Safety net: the result must say exactly what the original said, plus the additions.
  std::optional<std::map<std::string, std::optional<std::string>>> after = Parse(result);
  if (!after.has_value()) return conninfo;
  std::map<std::string, std::optional<std::string>> want = *before;
  for (const auto& [key, value] : added) want[key] = value;
  return *after == want ? result : conninfo;
}

}  // namespace gantry::storage::internal
