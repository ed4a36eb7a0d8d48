#include "api/metrics_endpoint.h"

#include <utility>

#include "common/log.h"
#include "common/prometheus.h"

namespace gantry::api {

namespace {

constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

void AppendSchedulerMetrics(const scheduler::SchedulerStats& stats,
                            prometheus::Exposition& exposition) {
  using prometheus::Type;
  auto one = [&exposition](const char* name, Type type, const char* help, double value) {
    exposition.Family(name, type, help);
    exposition.Sample({}, value);
  };
  one("gantry_scheduler_rounds_total", Type::kCounter, "Placement rounds that committed.",
      static_cast<double>(stats.rounds));
  one("gantry_scheduler_failed_rounds_total", Type::kCounter,
      "Placement rounds whose commit failed.", static_cast<double>(stats.failed_rounds));
  one("gantry_scheduler_tasks_created_total", Type::kCounter, "Tasks RunTask calls created.",
      static_cast<double>(stats.tasks_created));
  one("gantry_scheduler_tasks_placed_total", Type::kCounter,
      "Tasks placed on a host (new ones and ones that waited for capacity).",
      static_cast<double>(stats.tasks_placed));
  one("gantry_scheduler_tasks_displaced_total", Type::kCounter,
      "Placements the database refused because this gantryd's view was stale.",
      static_cast<double>(stats.tasks_displaced));
  one("gantry_scheduler_round_seconds_total", Type::kCounter,
      "Time spent in placement rounds, commits included.", stats.round_seconds);
  one("gantry_scheduler_queued_tasks", Type::kGauge,
      "Tasks accepted by RunTask and not yet taken by a round.",
      static_cast<double>(stats.queued_tasks));
}

}  // namespace

std::string RenderMetrics(const MetricsSources& sources, absl::Time now) {
  prometheus::Exposition exposition;
  if (absl::StatusOr<prometheus::ProcessStats> process = prometheus::ReadProcessStats();
      process.ok()) {
    prometheus::AppendProcessMetrics(*process, exposition);
  } else {
    log::Warning("process_metrics_unreadable", {{"error", process.status().message()}});
  }
  if (sources.scheduler != nullptr) {
    AppendSchedulerMetrics(sources.scheduler->stats(), exposition);
  }
  if (sources.board != nullptr) {
    sources.board->AppendTo(exposition, now);
  }
  std::string text = exposition.Take();
  for (const std::string& problem : exposition.problems()) {
    log::Error("metrics_exposition_problem", {{"problem", problem}});
  }
  return text;
}

aws::HttpHandler MakeMetricsHandler(MetricsSources sources) {
  return [sources](auth::HttpRequest request, std::function<void(aws::AwsResponse)> respond) {
    if (request.path != "/metrics") {
      respond({404, "text/plain; charset=utf-8", "not found: metrics are at /metrics\n"});
      return;
    }
    if (request.method != "GET") {
      respond({405, "text/plain; charset=utf-8", "method not allowed: use GET /metrics\n"});
      return;
    }
    respond({200, kContentType, RenderMetrics(sources, absl::Now())});
  };
}

}  // namespace gantry::api
