#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/internal/errors.h"
#include "storage/internal/json.h"
#include "storage/internal/statements.h"
#include "storage/storage.h"

namespace gantry::storage {
namespace {

constexpr int32_t kMaxRevisions = 1000000;

#define GANTRY_TD_COLUMNS                                                \
  "family, revision, status, body::text, tags::text, "                   \
  "(extract(epoch FROM registered_at) * 1000000)::int8, registered_by, " \
  "(extract(epoch FROM deregistered_at) * 1000000)::int8"

// The family row is the revision counter; its row lock serialises registrations of one
// family, so revisions are gap-free: a rolled-back registration rolls the counter back.
constexpr char kBumpRevision[] = R"sql(
  INSERT INTO task_definition_families (account_id, family, last_revision) VALUES ($1, $2, 1)
  ON CONFLICT (account_id, family) DO UPDATE
    SET last_revision = task_definition_families.last_revision + 1
    WHERE task_definition_families.last_revision < $3
  RETURNING last_revision)sql";
constexpr char kInsert[] = R"sql(
  INSERT INTO task_definitions (account_id, family, revision, status, body, tags, registered_by)
  VALUES ($1, $2, $3, 'ACTIVE', $4::jsonb, $5::jsonb, $6)
  RETURNING )sql" GANTRY_TD_COLUMNS;
constexpr char kSelectRevision[] = "SELECT " GANTRY_TD_COLUMNS
                                   " FROM task_definitions"
                                   " WHERE account_id = $1 AND family = $2 AND revision = $3";
constexpr char kSelectLatestActive[] = "SELECT " GANTRY_TD_COLUMNS
                                       " FROM task_definitions"
                                       " WHERE account_id = $1 AND family = $2"
                                       " AND status = 'ACTIVE'"
                                       " ORDER BY revision DESC LIMIT 1";
constexpr char kDeregister[] = R"sql(
  UPDATE task_definitions SET status = 'INACTIVE', deregistered_at = now()
  WHERE account_id = $1 AND family = $2 AND revision = $3 AND status = 'ACTIVE'
  RETURNING )sql" GANTRY_TD_COLUMNS;
// $3 = '' means any family; $4 says whether ($5, $6) is a cursor to continue after.
constexpr char kListAscending[] = R"sql(
  SELECT family, revision FROM task_definitions
  WHERE account_id = $1 AND status = $2 AND ($3 = '' OR family = $3)
    AND (NOT $4::bool OR (family, revision) > ($5, $6))
  ORDER BY family, revision LIMIT $7)sql";
constexpr char kListDescending[] = R"sql(
  SELECT family, revision FROM task_definitions
  WHERE account_id = $1 AND status = $2 AND ($3 = '' OR family = $3)
    AND (NOT $4::bool OR (family, revision) < ($5, $6))
  ORDER BY family DESC, revision DESC LIMIT $7)sql";
constexpr char kListFamilies[] = R"sql(
  SELECT f.family FROM task_definition_families f
  WHERE f.account_id = $1 AND starts_with(f.family, $2) AND f.family > $3
    AND ($4 = 'ALL' OR ($4 = 'ACTIVE') = EXISTS (
          SELECT 1 FROM task_definitions t
          WHERE t.account_id = f.account_id AND t.family = f.family AND t.status = 'ACTIVE'))
  ORDER BY f.family LIMIT $5)sql";

#undef GANTRY_TD_COLUMNS

absl::StatusOr<TaskDefinitionRow> RowToTaskDefinition(std::string_view account_id,
                                                      const pqxx::row& row) {
  TaskDefinitionRow td;
  td.account_id = std::string(account_id);
  td.family = row[0].as<std::string>();
  td.revision = row[1].as<int32_t>();
  td.status = row[2].as<std::string>();
  GANTRY_RETURN_IF_ERROR(internal::FromSharedJsonText(row[3].as<std::string>(), &td.body));
  GANTRY_ASSIGN_OR_RETURN(td.tags, internal::TagsFromJsonText(row[4].as<std::string>()));
  td.registered_at = absl::FromUnixMicros(row[5].as<int64_t>());
  td.registered_by = row[6].as<std::string>();
  if (!row[7].is_null()) td.deregistered_at = absl::FromUnixMicros(row[7].as<int64_t>());
  return td;
}

absl::Status RevisionNotFound(std::string_view family, std::optional<int32_t> revision) {
  if (revision.has_value()) {
    return absl::NotFoundError(absl::StrCat("taskDefinition: \"", std::string(family), ":",
                                            *revision, "\" does not exist"));
  }
  return absl::NotFoundError(
      absl::StrCat("taskDefinition: family \"", std::string(family), "\" has no ACTIVE revision"));
}

}  // namespace

namespace internal {
const std::vector<Statement>& TaskDefinitionStatements() {
  static const std::vector<Statement> kStatements = {
      {"td_bump_revision", kBumpRevision},     {"td_insert", kInsert},
      {"td_select_revision", kSelectRevision}, {"td_select_latest_active", kSelectLatestActive},
      {"td_deregister", kDeregister},          {"td_list_asc", kListAscending},
      {"td_list_desc", kListDescending},       {"td_list_families", kListFamilies},
  };
  return kStatements;
}
}  // namespace internal

absl::StatusOr<TaskDefinitionRow> RegisterTaskDefinition(Connection& connection,
                                                         std::string_view account_id,
                                                         const gantry::v1::TaskDefinition& body,
                                                         const std::vector<gantry::v1::Tag>& tags,
                                                         std::string_view registered_by) {
  const std::string account(account_id);
  const std::string body_json = internal::ToJsonText(body);
  const std::string tags_json = internal::TagsToJsonText(tags);
  return internal::InTransaction(
      connection, "register task definition",
      [&](pqxx::work& tx) -> absl::StatusOr<TaskDefinitionRow> {
        pqxx::result bumped =
            tx.exec_prepared("td_bump_revision", account, body.family(), kMaxRevisions);
        if (bumped.empty()) {
          return absl::ResourceExhaustedError(absl::StrCat("family: \"", body.family(),
                                                           "\" has reached the limit of ",
                                                           kMaxRevisions, " revisions"));
        }
        int32_t revision = bumped[0][0].as<int32_t>();
        pqxx::result inserted = tx.exec_prepared("td_insert", account, body.family(), revision,
                                                 body_json, tags_json, std::string(registered_by));
        return RowToTaskDefinition(account_id, inserted[0]);
      });
}

absl::StatusOr<TaskDefinitionRow> GetTaskDefinition(Connection& connection,
                                                    std::string_view account_id,
                                                    std::string_view family,
                                                    std::optional<int32_t> revision) {
  return internal::InSingleRead(
      connection, "describe task definition",
      [&](pqxx::transaction_base& tx) -> absl::StatusOr<TaskDefinitionRow> {
        pqxx::result found = revision.has_value()
                                 ? tx.exec_prepared("td_select_revision", std::string(account_id),
                                                    std::string(family), *revision)
                                 : tx.exec_prepared("td_select_latest_active",
                                                    std::string(account_id), std::string(family));
        if (found.empty()) return RevisionNotFound(family, revision);
        return RowToTaskDefinition(account_id, found[0]);
      });
}

absl::StatusOr<TaskDefinitionRow> DeregisterTaskDefinition(Connection& connection,
                                                           std::string_view account_id,
                                                           std::string_view family,
                                                           int32_t revision) {
  return internal::InTransaction(
      connection, "deregister task definition",
      [&](pqxx::work& tx) -> absl::StatusOr<TaskDefinitionRow> {
        const std::string account(account_id), name(family);
        pqxx::result updated = tx.exec_prepared("td_deregister", account, name, revision);
        if (!updated.empty()) return RowToTaskDefinition(account_id, updated[0]);
        // Already INACTIVE (deregistering twice returns it as is) or missing.
        pqxx::result found = tx.exec_prepared("td_select_revision", account, name, revision);
        if (found.empty()) return RevisionNotFound(family, revision);
        return RowToTaskDefinition(account_id, found[0]);
      });
}

absl::StatusOr<std::vector<TaskDefinitionKey>> ListTaskDefinitions(
    Connection& connection, std::string_view account_id, const ListTaskDefinitionsQuery& query) {
  return internal::InTransaction(
      connection, "list task definitions",
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<TaskDefinitionKey>> {
        TaskDefinitionKey after = query.after.value_or(TaskDefinitionKey{});
        pqxx::result rows =
            tx.exec_prepared(query.descending ? "td_list_desc" : "td_list_asc",
                             std::string(account_id), query.status, query.family.value_or(""),
                             query.after.has_value(), after.family, after.revision, query.limit);
        std::vector<TaskDefinitionKey> keys;
        for (const auto& row : rows) {
          keys.push_back({row[0].as<std::string>(), row[1].as<int32_t>()});
        }
        return keys;
      });
}

absl::StatusOr<std::vector<std::string>> ListTaskDefinitionFamilies(
    Connection& connection, std::string_view account_id, const ListFamiliesQuery& query) {
  return internal::InTransaction(
      connection, "list task definition families",
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<std::string>> {
        std::string status = query.status.empty() ? "ALL" : query.status;
        std::vector<std::string> families;
        for (const auto& row : tx.exec_prepared("td_list_families", std::string(account_id),
                                                query.prefix, query.after, status, query.limit)) {
          families.push_back(row[0].as<std::string>());
        }
        return families;
      });
}

}  // namespace gantry::storage
