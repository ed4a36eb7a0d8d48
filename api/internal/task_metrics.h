// DescribeTaskMetrics' answer: a stored task sample as Container Insights names its
// metrics. Pure; safe from any thread.
#pragma once

#include "gantry/v1/ecs.pb.h"

#include "api/api.h"
#include "storage/storage.h"

namespace gantry::api::internal {

// `row` must have a sample. Metrics in Container Insights' order and units: CPU in
// units (1024 per vCPU), memory in MiB ("Megabytes"), network in bytes per second over
// the agent's interval, storage I/O in cumulative bytes, ephemeral storage in GiB.
v1::TaskMetricsRecord ToTaskMetricsRecord(const Config& config, const storage::TaskMetricsRow& row);

}  // namespace gantry::api::internal
