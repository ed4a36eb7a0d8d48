// Reading task rows: the column list every task query selects and its decoding.
// Storage-internal.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "storage/storage.h"

namespace gantry::storage::internal {

// "SELECT <kTaskSelect> WHERE ..." reads rows RowToTask decodes; the task table is `t`.
extern const char kTaskSelect[];

absl::StatusOr<TaskRow> RowToTask(const pqxx::row& row);

// The elements of an array_to_string(ids, ',') column; none for "".
std::vector<std::string> SplitList(const std::string& joined);

// Returns a placed task's host share and address (ENI deleted, address to the free
// list). The caller has locked the task row, has already deleted its pending commands
// (internal::DeleteTaskCommands) and clears holds_resources in the same transaction.
// Lock order everywhere: task, host_commands, host, subnet (internal/commands.h). A
// task that holds nothing (by `task.holds_resources`, as the caller read it) is
// skipped.
absl::Status ReleaseTaskResources(pqxx::work& tx, const TaskRow& task);
// The same for many tasks, in three statements; hosts and subnets are locked in id
// order.
absl::Status ReleaseTasksResources(pqxx::work& tx, const std::vector<const TaskRow*>& tasks);

// The JSON text stored in tasks.containers, and back.
std::string ContainersToJsonText(const std::vector<gantry::v1::Container>& containers);

}  // namespace gantry::storage::internal
