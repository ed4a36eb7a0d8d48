// gantryd's Prometheus endpoint (--metrics-listen): GET /metrics answers the text
// exposition (format 0.0.4) of the process (CPU, memory, file descriptors), the
// scheduler (rounds, placements, queue) and the tasks whose agents reported to this
// gantryd lately (TaskMetricsBoard). Anything else is 404 (405 for another method on
// /metrics).
//
// Unauthenticated, as Prometheus scrapes are: it shows task ids and usage, no secrets
// or request contents; keep it on a private address (the default is loopback).
//
// Thread-safety: the handler may run on any thread; what it reads is thread-safe.
// Errors: a /proc read that fails leaves the process families out.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "api/aws/http_server.h"
#include "api/task_metrics_board.h"
#include "scheduler/scheduler.h"

namespace gantry::api {

struct MetricsSources {
  scheduler::Scheduler* scheduler = nullptr;  // may be null
  TaskMetricsBoard* board = nullptr;          // may be null
};

// The whole exposition at `now`.
std::string RenderMetrics(const MetricsSources& sources, absl::Time now);

// Serves RenderMetrics; `sources` must outlive the server.
aws::HttpHandler MakeMetricsHandler(MetricsSources sources);

}  // namespace gantry::api
