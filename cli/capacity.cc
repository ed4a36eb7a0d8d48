// `gantryctl capacity`: the fleet's capacity per zone and subnet (gantry.v1.Admin).
#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "cli/cli.h"
#include "cli/internal/util.h"

namespace gantry::cli {
namespace {

constexpr int kBarCells = 10;

// 16 -> "16", 6.5 -> "6.5", 0.25 -> "0.25": at most two decimals, no trailing zeros.
std::string Amount(double value) {
  std::string text = absl::StrFormat("%.2f", value);
  text.erase(text.find_last_not_of('0') + 1);
  if (!text.empty() && text.back() == '.') {
    text.pop_back();
  }
  return text;
}

// "███░░░░░░░  31%": the used share of `total` (an empty bar and "-" without capacity).
std::string Bar(double used, double total, bool unicode) {
  std::string_view full = unicode ? "█" : "#";
  std::string_view empty = unicode ? "░" : ".";
  std::string bar;
  int filled = 0;
  std::string percent = "   -";
  if (total > 0) {
    double share = std::clamp(used / total, 0.0, 1.0);
    filled = static_cast<int>(std::lround(share * kBarCells));
    // Any use shows: a sliver of a large fleet is not an empty bar.
    if (used > 0 && filled == 0) {
      filled = 1;
    }
    percent = absl::StrFormat("%3d%%", static_cast<int>(std::lround(share * 100)));
  }
  for (int i = 0; i < kBarCells; ++i) {
    absl::StrAppend(&bar, internal::Sv(i < filled ? full : empty));
  }
  return absl::StrCat(bar, " ", percent);
}

// Right-aligns column `column` of `rows` under its header (numbers read best that way).
void AlignRight(const std::vector<std::string>& header, std::vector<std::vector<std::string>>& rows,
                size_t column) {
  size_t width = DisplayWidth(header[column]);
  for (const std::vector<std::string>& row : rows) {
    width = std::max(width, DisplayWidth(row[column]));
  }
  for (std::vector<std::string>& row : rows) {
    row[column].insert(0, width - DisplayWidth(row[column]), ' ');
  }
}

std::string HostCountsText(const v1::HostCounts& hosts) {
  std::string text = absl::StrCat(hosts.active(), " active");
  if (hosts.draining() > 0) {
    absl::StrAppend(&text, ", ", hosts.draining(), " draining");
  }
  if (hosts.inactive() > 0) {
    absl::StrAppend(&text, ", ", hosts.inactive(), " inactive");
  }
  if (hosts.lost() > 0) {
    absl::StrAppend(&text, ", ", hosts.lost(), " lost");
  }
  return text;
}

// The zones, then the fleet when there are several.
std::vector<const v1::ZoneCapacity*> ZonesToShow(const v1::DescribeCapacityResponse& response) {
  std::vector<const v1::ZoneCapacity*> zones;
  for (const v1::ZoneCapacity& zone : response.availability_zones()) {
    zones.push_back(&zone);
  }
  if (response.availability_zones_size() > 1) {
    zones.push_back(&response.fleet());
  }
  return zones;
}

// Per zone: hosts and tasks.
std::string RenderZones(const std::vector<const v1::ZoneCapacity*>& zones) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::ZoneCapacity* zone : zones) {
    const v1::TaskCounts& tasks = zone->tasks();
    rows.push_back({zone->name(), HostCountsText(zone->hosts()), absl::StrCat(tasks.running()),
                    absl::StrCat(tasks.pending()), absl::StrCat(tasks.stopping()),
                    absl::StrCat(tasks.waiting())});
  }
  const std::vector<std::string> header = {"ZONE",    "HOSTS",    "RUNNING",
                                           "PENDING", "STOPPING", "WAITING"};
  for (size_t column = 2; column < 6; ++column) {
    AlignRight(header, rows, column);
  }
  return RenderTable(header, rows);
}

struct ResourceRow {
  std::string_view label;  // with its unit
  const v1::ResourceCapacity& (v1::ZoneCapacity::*get)() const;
  double divisor;  // stored unit per shown unit
};

// Per zone and resource: used, free and total in people's units, and a bar.
std::string RenderResources(const std::vector<const v1::ZoneCapacity*>& zones, bool unicode) {
  const ResourceRow kResources[] = {
      {"CPU (vCPU)", &v1::ZoneCapacity::cpu, 1024},
      {"MEMORY (GiB)", &v1::ZoneCapacity::memory, 1024},
      {"STORAGE (GiB)", &v1::ZoneCapacity::ephemeral_storage, 1},
      {"ENI SLOTS", &v1::ZoneCapacity::eni_slots, 1},
  };
  std::vector<std::vector<std::string>> rows;
  for (const v1::ZoneCapacity* zone : zones) {
    bool first = true;
    for (const ResourceRow& resource : kResources) {
      const v1::ResourceCapacity& r = ((*zone).*resource.get)();
      rows.push_back({first ? zone->name() : "", std::string(resource.label),
                      Amount(r.used() / resource.divisor), Amount(r.free() / resource.divisor),
                      Amount(r.total() / resource.divisor), Bar(r.used(), r.total(), unicode)});
      first = false;
    }
  }
  const std::vector<std::string> header = {"ZONE", "RESOURCE", "USED",
                                           "FREE", "TOTAL",    "UTILISATION"};
  for (size_t column = 2; column < 5; ++column) {
    AlignRight(header, rows, column);
  }
  return RenderTable(header, rows);
}

std::string RenderSubnets(const v1::DescribeCapacityResponse& response, bool unicode) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::SubnetCapacity& subnet : response.subnets()) {
    const v1::AddressCounts& addresses = subnet.addresses();
    rows.push_back({subnet.subnet_id(), subnet.availability_zone(), subnet.cidr_block(),
                    absl::StrCat(addresses.used()), absl::StrCat(addresses.free()),
                    absl::StrCat(addresses.total()),
                    Bar(addresses.used(), addresses.total(), unicode)});
  }
  const std::vector<std::string> header = {"SUBNET", "ZONE",      "CIDR",       "USED",
                                           "FREE",   "ADDRESSES", "UTILISATION"};
  for (size_t column = 3; column < 6; ++column) {
    AlignRight(header, rows, column);
  }
  return RenderTable(header, rows);
}

std::string RenderWaiting(const v1::WaitingTasks& waiting) {
  std::string out = absl::StrCat("Waiting for capacity: ", waiting.total(),
                                 waiting.total() == 1 ? " task" : " tasks");
  if (waiting.explained() < waiting.total()) {
    absl::StrAppend(&out, " (", waiting.explained(), " explained)");
  }
  absl::StrAppend(&out, "\n");
  std::vector<std::vector<std::string>> rows;
  for (const v1::WaitingReason& reason : waiting.reasons()) {
    rows.push_back({absl::StrCat(reason.tasks()), reason.reason(),
                    absl::StrCat(reason.detail(), reason.never() ? " (waiting cannot help)" : ""),
                    FormatEpochSeconds(reason.oldest_created_at())});
  }
  const std::vector<std::string> header = {"TASKS", "REASON", "WHY", "OLDEST"};
  AlignRight(header, rows, 0);
  return absl::StrCat(out, RenderTable(header, rows));
}

}  // namespace

namespace internal {

void AddCapacityCommands(std::vector<CommandSpec>* commands) {
  commands->push_back(
      {"capacity",
       "Show the fleet's capacity per zone (hosts, CPU, memory, storage, ENI slots, tasks) and "
       "per subnet (addresses), and why waiting tasks wait",
       {One("cluster", "CLUSTER",
            "Count only this cluster's tasks (hosts are shared by all clusters; default: all "
            "tasks)",
            "--cluster prod"),
        Switch("watch", "Refresh until interrupted (Ctrl-C)", "--watch"),
        One("interval", "DURATION", "How often --watch refreshes (default 2s)", "--interval 5s")},
       "gantryctl capacity --watch"});
}

}  // namespace internal

absl::StatusOr<v1::DescribeCapacityRequest> BuildDescribeCapacityRequest(const Invocation& inv) {
  v1::DescribeCapacityRequest request;
  if (inv.Has("cluster")) {
    request.set_cluster(inv.Value("cluster"));
  }
  return request;
}

absl::StatusOr<absl::Duration> CapacityInterval(const Invocation& inv) {
  if (!inv.Has("interval")) {
    return absl::Seconds(2);
  }
  if (!inv.Has("watch")) {
    return absl::InvalidArgumentError("--interval: only with --watch");
  }
  std::string text = inv.Value("interval");
  absl::Duration interval;
  // A bare number means seconds, as `watch -n` takes it.
  if (!absl::ParseDuration(text, &interval) && !absl::ParseDuration(text + "s", &interval)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--interval: \"", text, "\" is not a duration such as 2s or 500ms"));
  }
  if (interval < absl::Milliseconds(100) || interval > absl::Hours(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--interval: \"", text, "\" is out of range; use 100ms to 1h"));
  }
  return interval;
}

std::string FormatCapacityTable(const v1::DescribeCapacityResponse& response, bool unicode) {
  std::vector<const v1::ZoneCapacity*> zones = ZonesToShow(response);
  std::string out =
      absl::StrCat("Capacity at ", FormatEpochSeconds(response.snapshot_at()), ", tasks of ",
                   response.cluster().empty() ? std::string("every cluster")
                                              : absl::StrCat("cluster ", response.cluster()),
                   "\n\n", RenderZones(zones), "\n", RenderResources(zones, unicode));
  if (response.subnets_size() > 0) {
    absl::StrAppend(&out, "\n", RenderSubnets(response, unicode));
  }
  if (response.waiting().total() > 0) {
    absl::StrAppend(&out, "\n", RenderWaiting(response.waiting()));
  }
  return out;
}

std::string FormatTable(const v1::DescribeCapacityResponse& response) {
  return FormatCapacityTable(response, /*unicode=*/true);
}

}  // namespace gantry::cli
