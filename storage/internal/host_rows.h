// Reading host rows. Storage-internal.
#pragma once

#include <pqxx/pqxx>

#include "storage/storage.h"

namespace gantry::storage::internal {

// Decodes a row of the "host_select_many" statement (every HostRow column, then the
// running and pending task counts).
HostRow RowToHost(const pqxx::row& row);

}  // namespace gantry::storage::internal
