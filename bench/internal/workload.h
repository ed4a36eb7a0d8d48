// The workload gantry-bench offers: task sizes, placement groups, RunTask call sizes, the
// network they use and the pacing of an open-loop phase. Pure: no I/O, no clock; the same
// seed gives the same calls. Safe to call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace gantry::bench::internal {

// One task definition family and its share of the tasks.
struct Family {
  std::string name;
  int32_t cpu_units = 0;
  int32_t memory_mib = 0;
  int percent = 0;
};

// Many small tasks, some large: 256/512 (40%), 512/1024 (30%), 1024/2048 (15%),
// 2048/4096 (10%), 4096/8192 (5%).
const std::vector<Family>& Families();

inline constexpr int kZones = 3;
inline constexpr int kVpcs = 3;
inline constexpr int kGroups = 100;
// Each simulated host, as the agents are told.
inline constexpr int32_t kHostCpuUnits = 16384;
inline constexpr int32_t kHostMemoryMib = 65536;
inline constexpr int32_t kHostStorageGib = 2000;
inline constexpr int32_t kHostEnis = 32;
// Usable addresses of one /18 subnet (5 reserved, as in AWS).
inline constexpr int64_t kSubnetAddresses = (int64_t{1} << 14) - 5;

// Zone z's name: us-east-1a, us-east-1b, us-east-1c (gantryd's default region; subnets
// must be in zones of the region).
std::string ZoneName(int zone);
// VPC v is 10.v.0.0/16; its subnet in zone z is 10.v.(64 z).0/18.
std::string VpcCidr(int vpc);
std::string SubnetCidr(int vpc, int zone);
// Group g's RunTask group name (g-00 .. g-99).
std::string GroupName(int group);
// The VPC whose three subnets group g's tasks use. Groups are dealt out most popular
// first, each to the VPC with the least expected load so far, so the VPCs (and their
// address space) fill evenly despite the skewed popularity.
int VpcOfGroup(int group);

// Zipf-like popularity of the groups (a few big services, a long tail), summing to 1.
std::vector<double> GroupWeights();

// Hosts of zone z when `hosts` are split evenly over the zones.
int HostsInZone(int hosts, int zone);

// One RunTask call.
struct Call {
  int32_t count = 0;  // 1..10, mostly 1-3
  int family = 0;     // index into Families()
  int group = 0;      // 0..kGroups-1
};

// Calls whose counts add up to exactly `tasks` (the last one is cut short if needed).
std::vector<Call> PlanCalls(int64_t tasks, uint64_t seed);

// When each call of an open-loop phase is due, from the phase's start: call i is sent
// once the tasks of calls 0..i-1 have been offered at `tasks_per_second`.
std::vector<absl::Duration> PacingOffsets(const std::vector<Call>& calls, double tasks_per_second);

// OK when `tasks` of the mix fit comfortably on `hosts` hosts and in the subnets (with
// this group popularity); otherwise INVALID_ARGUMENT saying what to change. Waiting
// tasks would make the placement rate meaningless, so the bench refuses to start.
absl::Status CheckCapacity(int hosts, int64_t tasks);

}  // namespace gantry::bench::internal
