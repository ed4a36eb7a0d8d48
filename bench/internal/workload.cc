#include "bench/internal/workload.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gantry::bench::internal {
namespace {

// Share of calls asking for 1, 2, ... 10 tasks (percent).
constexpr int kCountPercent[10] = {30, 20, 15, 8, 7, 5, 4, 3, 3, 5};
// Zipf exponent of group popularity: the biggest group gets ~19% of the tasks, the
// smallest ~0.2%.
constexpr double kZipfExponent = 1.0;
// Fill limits CheckCapacity keeps to: best fit with zone spread packs well, but a full
// fleet would leave 4-vCPU tasks waiting.
constexpr double kMaxCpuFill = 0.75;
constexpr double kMaxEniFill = 0.9;
constexpr double kMaxSubnetFill = 0.9;

double MeanTaskCpu() {
  double sum = 0;
  for (const Family& family : Families()) sum += family.percent * family.cpu_units / 100.0;
  return sum;
}

}  // namespace

const std::vector<Family>& Families() {
  static const std::vector<Family> kFamilies = {
      {"bench-256", 256, 512, 40},    {"bench-512", 512, 1024, 30},  {"bench-1024", 1024, 2048, 15},
      {"bench-2048", 2048, 4096, 10}, {"bench-4096", 4096, 8192, 5},
  };
  return kFamilies;
}

std::string ZoneName(int zone) { return absl::StrCat("us-east-1", std::string(1, 'a' + zone)); }

std::string VpcCidr(int vpc) { return absl::StrFormat("10.%d.0.0/16", vpc); }

std::string SubnetCidr(int vpc, int zone) {
  return absl::StrFormat("10.%d.%d.0/18", vpc, 64 * zone);
}

std::string GroupName(int group) { return absl::StrFormat("g-%02d", group); }

std::vector<double> GroupWeights() {
  std::vector<double> weights(kGroups);
  double sum = 0;
  for (int g = 0; g < kGroups; ++g) {
    weights[g] = 1.0 / std::pow(g + 1, kZipfExponent);
    sum += weights[g];
  }
  for (double& w : weights) w /= sum;
  return weights;
}

int VpcOfGroup(int group) {
  static const std::vector<int> kVpcOf = [] {
    std::vector<double> weights = GroupWeights();  // decreasing
    std::vector<int> vpc_of(kGroups);
    double load[kVpcs] = {};
    for (int g = 0; g < kGroups; ++g) {
      vpc_of[g] = static_cast<int>(std::min_element(std::begin(load), std::end(load)) - load);
      load[vpc_of[g]] += weights[g];
    }
    return vpc_of;
  }();
  return kVpcOf[group];
}

int HostsInZone(int hosts, int zone) { return hosts / kZones + (zone < hosts % kZones ? 1 : 0); }

std::vector<Call> PlanCalls(int64_t tasks, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::discrete_distribution<int> count(std::begin(kCountPercent), std::end(kCountPercent));
  std::vector<int> family_percent;
  for (const Family& family : Families()) family_percent.push_back(family.percent);
  std::discrete_distribution<int> family(family_percent.begin(), family_percent.end());
  std::vector<double> weights = GroupWeights();
  std::discrete_distribution<int> group(weights.begin(), weights.end());
  std::vector<Call> calls;
  for (int64_t left = tasks; left > 0;) {
    Call call;
    call.count = static_cast<int32_t>(std::min<int64_t>(count(rng) + 1, left));
    call.family = family(rng);
    call.group = group(rng);
    left -= call.count;
    calls.push_back(call);
  }
  return calls;
}

std::vector<absl::Duration> PacingOffsets(const std::vector<Call>& calls, double tasks_per_second) {
  std::vector<absl::Duration> offsets;
  offsets.reserve(calls.size());
  int64_t offered = 0;
  for (const Call& call : calls) {
    offsets.push_back(absl::Seconds(static_cast<double>(offered) / tasks_per_second));
    offered += call.count;
  }
  return offsets;
}

absl::Status CheckCapacity(int hosts, int64_t tasks) {
  const double cpu_needed = MeanTaskCpu() * static_cast<double>(tasks);
  const double cpu_usable = kMaxCpuFill * kHostCpuUnits * static_cast<double>(hosts);
  if (cpu_needed > cpu_usable) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--tasks: %d tasks need about %.0f CPU units, more than %.0f%% of %d hosts (%.0f); "
        "use more --hosts or fewer tasks",
        tasks, cpu_needed, 100 * kMaxCpuFill, hosts, cpu_usable));
  }
  if (static_cast<double>(tasks) > kMaxEniFill * kHostEnis * hosts) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--tasks: %d tasks need an ENI slot each; %d hosts have %d; use more --hosts", tasks, hosts,
        kHostEnis * hosts));
  }
  std::vector<double> weights = GroupWeights();
  double vpc_share[kVpcs] = {};
  for (int g = 0; g < kGroups; ++g) vpc_share[VpcOfGroup(g)] += weights[g];
  const double busiest = *std::max_element(std::begin(vpc_share), std::end(vpc_share));
  // A group's tasks are spread evenly over the three zones, so over its VPC's subnets.
  const double per_subnet = busiest * static_cast<double>(tasks) / kZones;
  if (per_subnet > kMaxSubnetFill * kSubnetAddresses) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--tasks: %d tasks would need about %.0f addresses in one /18 subnet (%d usable); "
        "use fewer tasks",
        tasks, per_subnet, kSubnetAddresses));
  }
  return absl::OkStatus();
}

}  // namespace gantry::bench::internal
