// gantry-bench's results: percentiles, the measures in the order they are reported, and
// their two renderings (a human summary, one JSON object). Also parses pgbench's summary.
// Pure: no I/O; a Report is built by one thread.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gantry::bench::internal {

// The q-quantile (0 <= q <= 1) of `values` with linear interpolation between the closest
// ranks, as PostgreSQL's percentile_cont computes it; 0 for no values.
double Percentile(std::vector<double> values, double q);

// The `tps = ...` figure of pgbench's summary. INVALID_ARGUMENT when there is none.
absl::StatusOr<double> ParsePgbenchTps(absl::string_view output);

// A SQL statement shortened for a one-line summary: whitespace squeezed, its first 40
// characters, then the first 50 of its WHERE clause (statements that share a long
// column list differ there); statements up to 90 characters are kept whole.
std::string ShortStatement(absl::string_view sql);

struct Measure {
  std::string key;  // JSON member name
  double value = 0;
  bool integer = false;
  std::string unit;   // shown in the summary ("/s", "ms", "MiB", ...)
  std::string label;  // what it is, for the summary
};

class Report {
 public:
  // Adds a measure (keys are unique; adding a key again replaces its value).
  void Add(std::string key, double value, std::string unit, std::string label);
  void AddCount(std::string key, double value, std::string label);

  // 0 when absent.
  double Get(absl::string_view key) const;
  const std::vector<Measure>& measures() const { return measures_; }

  // One JSON object on one line, members in the order added; reals with 3 decimals.
  std::string Json() const;
  // `title`, then one line per measure: label, value, unit.
  std::string Summary(absl::string_view title) const;

 private:
  std::vector<Measure> measures_;
};

}  // namespace gantry::bench::internal
