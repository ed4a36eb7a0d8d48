// The capacity view's response, built from a fleet snapshot. Pure functions.
#pragma once

#include <string_view>

#include "gantry/v1/admin.pb.h"

#include "storage/storage.h"

namespace gantry::api::internal {

// How many waiting tasks DescribeCapacity reads to explain (the oldest of every
// cluster); later ones are counted only.
inline constexpr int kMaxExplainedWaitingTasks = 10000;

// Per-zone sums over the snapshot (every zone that has hosts, subnets or tasks, by
// name; resources over connected hosts, so used + free = total), the fleet's sums,
// each subnet's addresses, and why the waiting tasks are not placed: the placement
// rules run over the snapshot's free capacity and spread counts with the waiting tasks
// in queue order (every cluster's: earlier ones take room first), as the scheduler's
// next round would, and the counted tasks with the same outcome are counted together
// (in order of their oldest task). `cluster` is echoed in the response.
v1::DescribeCapacityResponse BuildCapacityResponse(const storage::FleetSnapshot& snapshot,
                                                   std::string_view cluster);

}  // namespace gantry::api::internal
