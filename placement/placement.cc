#include "placement/placement.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "placement/internal/capacity_index.h"
#include "placement/internal/explain.h"

namespace gantry::placement {
namespace internal {

// The two indexes of one availability zone. Hosts that do not accept tasks are in neither.
struct ZoneIndex {
  CapacityIndex free;   // accepting hosts keyed by total - used
  CapacityIndex total;  // accepting hosts keyed by total (for Unplaced::never)
};

// Invariants:
//   - A host is in zones[host.availability_zone] (both indexes, free keyed by its current
//     total - used) iff host.accepts_tasks; every indexed id is in `hosts`.
//   - group_tasks holds no zero counts (a count that returns to zero is erased).
// zones is ordered by name and never shrinks: a zone's entry outlives its last host, which costs
// two empty indexes and keeps zone lookups free of erase/insert churn.
struct PlacerState {
  absl::flat_hash_map<int64_t, Host> hosts;
  absl::flat_hash_map<std::string, Subnet> subnets;
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, int64_t>> group_tasks;
  std::map<std::string, ZoneIndex, std::less<>> zones;
};

}  // namespace internal

namespace {

using internal::CapacityIndex;
using internal::Dimension;
using internal::PlacerState;
using internal::ZoneIndex;

Resources Plus(const Resources& a, const Resources& b) {
  return Resources{a.cpu_units + b.cpu_units, a.memory_mib + b.memory_mib,
                   a.ephemeral_storage_gib + b.ephemeral_storage_gib, a.enis + b.enis};
}

Resources Minus(const Resources& a, const Resources& b) {
  return Resources{a.cpu_units - b.cpu_units, a.memory_mib - b.memory_mib,
                   a.ephemeral_storage_gib - b.ephemeral_storage_gib, a.enis - b.enis};
}

Resources ElementwiseMax(const Resources& a, const Resources& b) {
  return Resources{std::max(a.cpu_units, b.cpu_units), std::max(a.memory_mib, b.memory_mib),
                   std::max(a.ephemeral_storage_gib, b.ephemeral_storage_gib),
                   std::max(a.enis, b.enis)};
}

Resources Free(const Host& host) { return Minus(host.total, host.used); }

void IndexHost(PlacerState& state, const Host& host) {
  if (!host.accepts_tasks) {
    return;
  }
  auto zone = state.zones.find(host.availability_zone);
  if (zone == state.zones.end()) {
    zone = state.zones.emplace(host.availability_zone, ZoneIndex{}).first;
  }
  zone->second.free.Insert(host.id, Free(host));
  zone->second.total.Insert(host.id, host.total);
}

void UnindexHost(PlacerState& state, const Host& host) {
  if (!host.accepts_tasks) {
    return;
  }
  auto zone = state.zones.find(host.availability_zone);
  GANTRY_CHECK(zone != state.zones.end());
  zone->second.free.Erase(host.id, Free(host));
  zone->second.total.Erase(host.id, host.total);
}

// Changes a host's used capacity, keeping its free-capacity index entry in step.
void AddUsed(PlacerState& state, Host& host, const Resources& delta) {
  ZoneIndex* zone = nullptr;
  if (host.accepts_tasks) {
    auto it = state.zones.find(host.availability_zone);
    GANTRY_CHECK(it != state.zones.end());
    zone = &it->second;
    zone->free.Erase(host.id, Free(host));
  }
  host.used = Plus(host.used, delta);
  if (zone != nullptr) {
    zone->free.Insert(host.id, Free(host));
  }
}

void AddGroupTasks(PlacerState& state, const std::string& group, absl::string_view zone,
                   int64_t delta) {
  auto& by_zone = state.group_tasks[group];
  auto it = by_zone.find(zone);
  if (it == by_zone.end()) {
    it = by_zone.emplace(std::string(zone), 0).first;
  }
  it->second += delta;
  if (it->second == 0) {
    by_zone.erase(it);
    if (by_zone.empty()) {
      state.group_tasks.erase(group);
    }
  }
}

// One candidate zone of a task.
struct ZoneChoice {
  absl::string_view name;
  Subnet* subnet = nullptr;          // the task's subnet here with the most free addresses
  const ZoneIndex* index = nullptr;  // nullptr when no accepting host was ever seen here
  int64_t group_tasks = 0;
};
using ZoneChoices = absl::InlinedVector<ZoneChoice, 4>;
using KnownSubnets = absl::InlinedVector<Subnet*, 16>;

// The task's known subnets in request order, without repeats.
KnownSubnets FindKnownSubnets(PlacerState& state, const TaskRequest& task) {
  KnownSubnets known;
  for (const std::string& id : task.subnet_ids) {
    auto it = state.subnets.find(id);
    if (it != state.subnets.end() &&
        std::find(known.begin(), known.end(), &it->second) == known.end()) {
      known.push_back(&it->second);
    }
  }
  return known;
}

bool BetterSubnet(const Subnet& a, const Subnet& b) {
  return a.free_addresses > b.free_addresses ||
         (a.free_addresses == b.free_addresses && a.id < b.id);
}

// The candidate zones, by name, each with its best subnet.
ZoneChoices CandidateZones(const PlacerState& state, const KnownSubnets& known,
                           const std::string& group) {
  ZoneChoices zones;
  for (Subnet* subnet : known) {
    auto it = std::find_if(zones.begin(), zones.end(), [&](const ZoneChoice& z) {
      return z.name == subnet->availability_zone;
    });
    if (it == zones.end()) {
      zones.push_back(ZoneChoice{subnet->availability_zone, subnet});
    } else if (BetterSubnet(*subnet, *it->subnet)) {
      it->subnet = subnet;
    }
  }
  std::sort(zones.begin(), zones.end(),
            [](const ZoneChoice& a, const ZoneChoice& b) { return a.name < b.name; });
  auto counts = state.group_tasks.find(group);
  for (ZoneChoice& zone : zones) {
    auto index = state.zones.find(zone.name);
    if (index != state.zones.end()) {
      zone.index = &index->second;
    }
    if (counts != state.group_tasks.end()) {
      auto count = counts->second.find(zone.name);
      zone.group_tasks = count == counts->second.end() ? 0 : count->second;
    }
  }
  return zones;
}

std::string ZoneNames(const ZoneChoices& zones) {
  absl::InlinedVector<absl::string_view, 4> names;
  for (const ZoneChoice& zone : zones) {
    names.push_back(zone.name);
  }
  return internal::JoinOr(names);
}

// Largest per-dimension value over the zones' entries of `which` index; nullopt when the zones
// hold no accepting host.
std::optional<Resources> ZoneMax(const ZoneChoices& zones, CapacityIndex ZoneIndex::*which) {
  std::optional<Resources> max;
  for (const ZoneChoice& zone : zones) {
    if (zone.index == nullptr || (zone.index->*which).empty()) {
      continue;
    }
    const Resources zone_max = (zone.index->*which).Max();
    max = max.has_value() ? ElementwiseMax(*max, zone_max) : zone_max;
  }
  return max;
}

// Rule 5 over the usable zones (all have a free address but no host that fits).
Unplaced ExplainResources(const ZoneChoices& usable, const Resources& needs) {
  const std::string names = ZoneNames(usable);
  const std::optional<Resources> max_free = ZoneMax(usable, &ZoneIndex::free);
  if (!max_free.has_value()) {
    return Unplaced{internal::kReasonCpu, absl::StrCat("no host is registered in ", names)};
  }
  for (Dimension dimension : internal::kDimensions) {
    if (internal::Get(*max_free, dimension) < internal::Get(needs, dimension)) {
      return Unplaced{internal::ReasonFor(dimension),
                      internal::NoFreeSentence(names, dimension, internal::Get(needs, dimension))};
    }
  }
  return Unplaced{internal::kReasonCpu, internal::NoFreeTogetherSentence(names, needs)};
}

// Sets never (and extends the detail) when the candidate zones have accepting hosts but none of
// them could hold the task even when empty.
void ExplainNever(const ZoneChoices& candidates, const Resources& needs, Unplaced& out) {
  ZoneChoices with_hosts;
  for (const ZoneChoice& zone : candidates) {
    if (zone.index != nullptr && !zone.index->total.empty()) {
      if (zone.index->total.BestFit(needs).has_value()) {
        return;
      }
      with_hosts.push_back(zone);
    }
  }
  if (with_hosts.empty()) {
    return;
  }
  const std::string names = ZoneNames(with_hosts);
  const Resources max_total = *ZoneMax(with_hosts, &ZoneIndex::total);
  std::string sentence = internal::NeverTogetherSentence(names, needs);
  for (Dimension dimension : internal::kDimensions) {
    if (internal::Get(max_total, dimension) < internal::Get(needs, dimension)) {
      sentence = internal::NeverSentence(names, dimension, internal::Get(needs, dimension),
                                         internal::Get(max_total, dimension));
      break;
    }
  }
  out.never = true;
  absl::StrAppend(&out.detail, "; ", sentence);
}

Unplaced Explain(const TaskRequest& task, const KnownSubnets& known, const ZoneChoices& candidates,
                 const ZoneChoices& usable) {
  if (usable.empty()) {
    std::vector<absl::string_view> ids;
    for (const Subnet* subnet : known) {
      ids.push_back(subnet->id);
    }
    Unplaced out{internal::kReasonEni,
                 absl::StrCat("no free address in ", absl::StrJoin(ids, ", "))};
    ExplainNever(candidates, task.needs, out);
    return out;
  }
  Unplaced out = ExplainResources(usable, task.needs);
  if (ZoneMax(usable, &ZoneIndex::free).has_value()) {
    ExplainNever(candidates, task.needs, out);
  }
  return out;
}

Unplaced Missing(const TaskRequest& task) {
  if (task.subnet_ids.empty()) {
    return Unplaced{internal::kReasonMissing, "the task names no subnet", /*never=*/true};
  }
  return Unplaced{
      internal::kReasonMissing,
      absl::StrCat("none of the task's subnets is known: ", absl::StrJoin(task.subnet_ids, ", ")),
      /*never=*/true};
}

}  // namespace

Placer::Placer(const Snapshot& snapshot) : state_(std::make_unique<PlacerState>()) {
  state_->hosts.reserve(snapshot.hosts.size());
  for (const Host& host : snapshot.hosts) {
    UpsertHost(host);
  }
  for (const Subnet& subnet : snapshot.subnets) {
    UpsertSubnet(subnet);
  }
  for (const GroupCount& count : snapshot.group_counts) {
    if (count.tasks != 0) {
      AddGroupTasks(*state_, count.group, count.availability_zone, count.tasks);
    }
  }
}

Placer::~Placer() = default;
Placer::Placer(const Placer& other) : state_(std::make_unique<PlacerState>(*other.state_)) {}
Placer& Placer::operator=(const Placer& other) {
  if (this != &other) {
    state_ = std::make_unique<PlacerState>(*other.state_);
  }
  return *this;
}
Placer::Placer(Placer&& other) noexcept = default;
Placer& Placer::operator=(Placer&& other) noexcept = default;

Decision Placer::Place(const TaskRequest& task) {
  const KnownSubnets known = FindKnownSubnets(*state_, task);
  if (known.empty()) {
    return Missing(task);
  }
  const ZoneChoices candidates = CandidateZones(*state_, known, task.group);
  ZoneChoices usable;
  for (const ZoneChoice& zone : candidates) {
    if (zone.subnet->free_addresses > 0) {
      usable.push_back(zone);
    }
  }
  // Spread first (fewest tasks of the group), then name; candidates are already by name.
  ZoneChoices by_spread = usable;
  std::stable_sort(
      by_spread.begin(), by_spread.end(),
      [](const ZoneChoice& a, const ZoneChoice& b) { return a.group_tasks < b.group_tasks; });
  for (const ZoneChoice& zone : by_spread) {
    if (zone.index == nullptr) {
      continue;
    }
    const std::optional<CapacityIndex::Fit> fit = zone.index->free.BestFit(task.needs);
    if (!fit.has_value()) {
      continue;
    }
    Host& host = state_->hosts.find(fit->id)->second;
    AddUsed(*state_, host, task.needs);
    zone.subnet->free_addresses -= 1;
    AddGroupTasks(*state_, task.group, zone.name, 1);
    return Assignment{host.id, zone.subnet->id, std::string(zone.name)};
  }
  return Explain(task, known, candidates, usable);
}

std::vector<Decision> Placer::PlaceAll(const std::vector<TaskRequest>& tasks) {
  std::vector<Decision> decisions;
  decisions.reserve(tasks.size());
  for (const TaskRequest& task : tasks) {
    decisions.push_back(Place(task));
  }
  return decisions;
}

void Placer::Release(const TaskRequest& task, const Assignment& assignment) {
  auto host = state_->hosts.find(assignment.host_id);
  if (host != state_->hosts.end()) {
    AddUsed(*state_, host->second, Minus(Resources{}, task.needs));
  }
  auto subnet = state_->subnets.find(assignment.subnet_id);
  if (subnet != state_->subnets.end()) {
    subnet->second.free_addresses += 1;
  }
  AddGroupTasks(*state_, task.group, assignment.availability_zone, -1);
}

void Placer::UpsertHost(const Host& host) {
  auto it = state_->hosts.find(host.id);
  if (it == state_->hosts.end()) {
    it = state_->hosts.emplace(host.id, host).first;
  } else {
    UnindexHost(*state_, it->second);
    it->second = host;
  }
  IndexHost(*state_, it->second);
}

void Placer::RemoveHost(int64_t host_id) {
  auto it = state_->hosts.find(host_id);
  if (it == state_->hosts.end()) {
    return;
  }
  UnindexHost(*state_, it->second);
  state_->hosts.erase(it);
}

void Placer::UpsertSubnet(const Subnet& subnet) { state_->subnets[subnet.id] = subnet; }

const Host* Placer::FindHost(int64_t host_id) const {
  auto it = state_->hosts.find(host_id);
  return it == state_->hosts.end() ? nullptr : &it->second;
}

const Subnet* Placer::FindSubnet(const std::string& subnet_id) const {
  auto it = state_->subnets.find(subnet_id);
  return it == state_->subnets.end() ? nullptr : &it->second;
}

int64_t Placer::GroupTasks(const std::string& group, const std::string& availability_zone) const {
  auto counts = state_->group_tasks.find(group);
  if (counts == state_->group_tasks.end()) {
    return 0;
  }
  auto count = counts->second.find(availability_zone);
  return count == counts->second.end() ? 0 : count->second;
}

size_t Placer::host_count() const { return state_->hosts.size(); }

}  // namespace gantry::placement
