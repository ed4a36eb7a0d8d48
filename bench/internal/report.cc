#include "bench/internal/report.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gantry::bench::internal {
namespace {

std::string FormatValue(const Measure& measure) {
  if (!std::isfinite(measure.value)) return "0";
  if (measure.integer) return absl::StrFormat("%.0f", measure.value);
  return absl::StrFormat("%.3f", measure.value);
}

}  // namespace

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double position = std::clamp(q, 0.0, 1.0) * static_cast<double>(values.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  const size_t above = static_cast<size_t>(std::ceil(position));
  return values[below] + (position - static_cast<double>(below)) * (values[above] - values[below]);
}

absl::StatusOr<double> ParsePgbenchTps(absl::string_view output) {
  constexpr absl::string_view kTps = "tps = ";
  const size_t at = output.find(kTps);
  if (at == absl::string_view::npos) {
    return absl::InvalidArgumentError("pgbench printed no \"tps = \" line");
  }
  absl::string_view rest = output.substr(at + kTps.size());
  rest = rest.substr(0, rest.find_first_of(" \n"));
  double tps = 0;
  if (!absl::SimpleAtod(absl::string_view(rest.data(), rest.size()), &tps) || tps < 0) {
    return absl::InvalidArgumentError(absl::StrCat("pgbench's tps \"", rest, "\" is not a number"));
  }
  return tps;
}

std::string ShortStatement(absl::string_view sql) {
  std::string squeezed;
  for (char c : sql) {
    const bool space = absl::ascii_isspace(static_cast<unsigned char>(c));
    if (space && (squeezed.empty() || squeezed.back() == ' ')) continue;
    squeezed += space ? ' ' : c;
  }
  while (!squeezed.empty() && squeezed.back() == ' ') squeezed.pop_back();
  if (squeezed.size() <= 90) return squeezed;
  const size_t where = squeezed.find(" WHERE ", 40);
  if (where == std::string::npos) return squeezed.substr(0, 90) + " ...";
  return absl::StrCat(squeezed.substr(0, 40), " ... ", squeezed.substr(where + 1, 50),
                      where + 51 < squeezed.size() ? " ..." : "");
}

void Report::Add(std::string key, double value, std::string unit, std::string label) {
  Measure measure{std::move(key), value, false, std::move(unit), std::move(label)};
  for (Measure& existing : measures_) {
    if (existing.key == measure.key) {
      existing = std::move(measure);
      return;
    }
  }
  measures_.push_back(std::move(measure));
}

void Report::AddCount(std::string key, double value, std::string label) {
  const std::string name = key;
  Add(std::move(key), value, "", std::move(label));
  for (Measure& existing : measures_) {
    if (existing.key == name) existing.integer = true;
  }
}

double Report::Get(absl::string_view key) const {
  for (const Measure& measure : measures_) {
    if (measure.key == key) return measure.value;
  }
  return 0;
}

std::string Report::Json() const {
  std::string json = "{";
  for (const Measure& measure : measures_) {
    absl::StrAppend(&json, json.size() > 1 ? "," : "", "\"", measure.key,
                    "\":", FormatValue(measure));
  }
  return json + "}";
}

std::string Report::Summary(absl::string_view title) const {
  size_t width = 0;
  for (const Measure& measure : measures_) width = std::max(width, measure.label.size());
  std::string text = absl::StrCat(title, "\n");
  for (const Measure& measure : measures_) {
    absl::StrAppend(&text, "  ", measure.label, std::string(width - measure.label.size() + 2, ' '),
                    absl::StrFormat("%14s", FormatValue(measure)), measure.unit.empty() ? "" : " ",
                    measure.unit, "\n");
  }
  return text;
}

}  // namespace gantry::bench::internal
