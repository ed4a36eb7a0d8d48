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
  if (!text.empty() && text.back() == '.') text.pop_back();
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
    if (used > 0 && filled == 0) filled = 1;
    percent = absl::StrFormat("%3d%%", static_cast<int>(std::lround(share * 100)));
  }
  for (int i = 0; i < kBarCells; ++i) {
    absl::StrAppend(&bar, internal::Sv(i < filled ? full : empty));
  }
  return absl::StrCat(bar, " ", percent);
}

// "5/16": used and total in a unit `divisor` times the stored one (1024 units a vCPU,
// 1024 MiB a GiB).
std::string UsedOfTotal(const v1::ResourceCapacity& resource, double divisor) {
  return absl::StrCat(Amount(resource.used() / divisor), "/", Amount(resource.total() / divisor));
}

std::string Hosts(const v1::HostCounts& hosts) {
  std::string text = absl::StrCat(hosts.active());
  if (hosts.draining() > 0) absl::StrAppend(&text, " +", hosts.draining(), " draining");
  if (hosts.inactive() > 0) absl::StrAppend(&text, " +", hosts.inactive(), " inactive");
  if (hosts.lost() > 0) absl::StrAppend(&text, " +", hosts.lost(), " lost");
  return text;
}

std::vector<std::string> ZoneRow(const v1::ZoneCapacity& zone, bool unicode) {
  return {zone.name(),
          Hosts(zone.hosts()),
          Bar(zone.cpu().used(), zone.cpu().total(), unicode),
          UsedOfTotal(zone.cpu(), 1024),
          Bar(zone.memory().used(), zone.memory().total(), unicode),
          UsedOfTotal(zone.memory(), 1024),
          UsedOfTotal(zone.ephemeral_storage(), 1),
          UsedOfTotal(zone.eni_slots(), 1),
          absl::StrCat(zone.tasks().running()),
          absl::StrCat(zone.tasks().pending() + zone.tasks().stopping()),
          absl::StrCat(zone.tasks().waiting())};
}

std::string RenderZones(const v1::DescribeCapacityResponse& response, bool unicode) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::ZoneCapacity& zone : response.availability_zones()) {
    rows.push_back(ZoneRow(zone, unicode));
  }
  if (response.availability_zones_size() > 1) {
    rows.push_back(ZoneRow(response.fleet(), unicode));
  }
  return RenderTable({"ZONE", "HOSTS", "CPU", "vCPU", "MEMORY", "GiB", "STORAGE GiB", "ENIS",
                      "RUNNING", "PENDING", "WAITING"},
                     rows);
}

std::string RenderSubnets(const v1::DescribeCapacityResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::SubnetCapacity& subnet : response.subnets()) {
    rows.push_back({subnet.subnet_id(), subnet.availability_zone(), subnet.cidr_block(),
                    absl::StrCat(subnet.addresses().used()),
                    absl::StrCat(subnet.addresses().free()),
                    absl::StrCat(subnet.addresses().total())});
  }
  return RenderTable({"SUBNET", "ZONE", "CIDR", "ADDRESSES USED", "FREE", "TOTAL"}, rows);
}

std::string RenderWaiting(const v1::WaitingTasks& waiting) {
  std::string out = absl::StrCat("Waiting for capacity: ", waiting.total(),
                                 waiting.total() == 1 ? " task" : " tasks");
  if (waiting.explained() < waiting.total()) {
    absl::StrAppend(&out, " (the oldest ", waiting.explained(), " explained)");
  }
  absl::StrAppend(&out, "\n");
  std::vector<std::vector<std::string>> rows;
  for (const v1::WaitingReason& reason : waiting.reasons()) {
    rows.push_back({absl::StrCat(reason.tasks()), reason.reason(),
                    absl::StrCat(reason.detail(), reason.never() ? " (waiting cannot help)" : ""),
                    FormatEpochSeconds(reason.oldest_created_at())});
  }
  return absl::StrCat(out, RenderTable({"TASKS", "REASON", "WHY", "OLDEST"}, rows));
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
  if (inv.Has("cluster")) request.set_cluster(inv.Value("cluster"));
  return request;
}

absl::StatusOr<absl::Duration> CapacityInterval(const Invocation& inv) {
  if (!inv.Has("interval")) return absl::Seconds(2);
  std::string text = inv.Value("interval");
  absl::Duration interval;
  // A bare number means seconds, as `watch -n` takes it.
  if (!absl::ParseDuration(text, &interval) && !absl::ParseDuration(text + "s", &interval)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--interval: \"", text, "\" is not a duration such as 2s or 500ms"));
  }
  if (interval < absl::Milliseconds(100) || interval > absl::Hours(1)) {
    return absl::InvalidArgumentError(absl::StrCat("--interval: ", absl::FormatDuration(interval),
                                                   " is out of range; use 100ms to 1h"));
  }
  return interval;
}

std::string FormatCapacityTable(const v1::DescribeCapacityResponse& response, bool unicode) {
  std::string out =
      absl::StrCat("Capacity at ", FormatEpochSeconds(response.snapshot_at()), ", tasks of ",
                   response.cluster().empty() ? std::string("every cluster")
                                              : absl::StrCat("cluster ", response.cluster()),
                   "\n\n", RenderZones(response, unicode));
  if (response.subnets_size() > 0) {
    absl::StrAppend(&out, "\n", RenderSubnets(response));
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
