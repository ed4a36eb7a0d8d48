// The scheduler's invariants, checked in SQL against a live database: what tests of
// placement, stopping and concurrency assert after the fact, whatever path wrote the
// rows.
#pragma once

#include <string>
#include <vector>

namespace gantry::testing {

// One line per violation (empty when all hold):
// - every host's used CPU, memory, storage and ENIs equal the sums over the tasks that
//   hold resources on it, and never exceed its totals;
// - every task holding resources has exactly one ENI, whose address is its own, inside
//   its subnet, not reserved (not the first four or the last), and in the same zone as
//   its host; no address is held twice;
// - every subnet's addresses_in_use equals its ENI count; no address is both free and
//   in use; free offsets lie below the high-water mark;
// - stopped tasks hold nothing and have no pending commands;
// - every command is for a task on the command's host, numbered below the host's
//   next_command_seq;
// - a lost host (agent not connected) has no task that is not STOPPED and no pending
//   command.
std::vector<std::string> SchedulerInvariantViolations(const std::string& conninfo);

}  // namespace gantry::testing
