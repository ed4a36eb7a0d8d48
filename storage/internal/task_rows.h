// Reading task rows: the column list every task query selects and its decoding.
// Storage-internal.
#pragma once

#include <string>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "storage/storage.h"

namespace gantry::storage::internal {

// "SELECT <kTaskSelect> WHERE ..." reads rows RowToTask decodes; the task table is `t`.
extern const char kTaskSelect[];

absl::StatusOr<TaskRow> RowToTask(const pqxx::row& row);

// Returns a placed task's host share and address (ENI deleted, address to the free
// list). The caller has locked the task row and clears holds_resources in the same
// transaction. Lock order everywhere: task, host, subnet.
absl::Status ReleaseTaskResources(pqxx::work& tx, const TaskRow& task);

// The JSON text stored in tasks.containers, and back.
std::string ContainersToJsonText(const std::vector<gantry::v1::Container>& containers);

}  // namespace gantry::storage::internal
