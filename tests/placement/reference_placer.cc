#include "tests/placement/reference_placer.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace gantry::placement::reference {
namespace {

Resources Free(const Host& host) {
  return Resources{host.total.cpu_units - host.used.cpu_units,
                   host.total.memory_mib - host.used.memory_mib,
                   host.total.ephemeral_storage_gib - host.used.ephemeral_storage_gib,
                   host.total.enis - host.used.enis};
}

}  // namespace

bool FitsIn(const Resources& needs, const Resources& capacity) {
  return needs.cpu_units <= capacity.cpu_units && needs.memory_mib <= capacity.memory_mib &&
         needs.ephemeral_storage_gib <= capacity.ephemeral_storage_gib &&
         needs.enis <= capacity.enis;
}

ReferencePlacer::ReferencePlacer(const Snapshot& snapshot) {
  for (const Host& host : snapshot.hosts) {
    UpsertHost(host);
  }
  for (const Subnet& subnet : snapshot.subnets) {
    UpsertSubnet(subnet);
  }
  for (const GroupCount& count : snapshot.group_counts) {
    AddGroupTasks(count.group, count.availability_zone, count.tasks);
  }
}

void ReferencePlacer::AddGroupTasks(const std::string& group, const std::string& zone,
                                    int64_t delta) {
  int64_t& tasks = group_tasks_[{group, zone}];
  tasks += delta;
  if (tasks == 0) {
    group_tasks_.erase({group, zone});
  }
}

Decision ReferencePlacer::Place(const TaskRequest& task) {
  // zone -> best subnet (most free addresses, then lowest id).
  std::map<std::string, Subnet*> best_subnet;
  for (const std::string& id : task.subnet_ids) {
    auto it = subnets_.find(id);
    if (it == subnets_.end()) {
      continue;
    }
    Subnet*& best = best_subnet[it->second.availability_zone];
    if (best == nullptr || it->second.free_addresses > best->free_addresses ||
        (it->second.free_addresses == best->free_addresses && it->second.id < best->id)) {
      best = &it->second;
    }
  }
  if (best_subnet.empty()) {
    return Unplaced{"MISSING", "", true};
  }
  std::set<std::string> usable;
  for (const auto& [zone, subnet] : best_subnet) {
    if (subnet->free_addresses > 0) {
      usable.insert(zone);
    }
  }
  // Zone order: fewest tasks of the group, then name.
  std::vector<std::pair<int64_t, std::string>> order;
  for (const std::string& zone : usable) {
    auto count = group_tasks_.find({task.group, zone});
    order.emplace_back(count == group_tasks_.end() ? 0 : count->second, zone);
  }
  std::sort(order.begin(), order.end());
  for (const auto& [tasks, zone] : order) {
    Host* best = nullptr;
    for (auto& [id, host] : hosts_) {
      if (!host.accepts_tasks || host.availability_zone != zone ||
          !FitsIn(task.needs, Free(host))) {
        continue;
      }
      const Resources free = Free(host);
      if (best == nullptr) {
        best = &host;
        continue;
      }
      const Resources best_free = Free(*best);
      if (std::make_tuple(free.cpu_units, free.memory_mib, host.id) <
          std::make_tuple(best_free.cpu_units, best_free.memory_mib, best->id)) {
        best = &host;
      }
    }
    if (best != nullptr) {
      Subnet* subnet = best_subnet[zone];
      best->used.cpu_units += task.needs.cpu_units;
      best->used.memory_mib += task.needs.memory_mib;
      best->used.ephemeral_storage_gib += task.needs.ephemeral_storage_gib;
      best->used.enis += task.needs.enis;
      subnet->free_addresses -= 1;
      AddGroupTasks(task.group, zone, 1);
      return Assignment{best->id, subnet->id, zone};
    }
  }
  return Explain(task, best_subnet, usable);
}

Unplaced ReferencePlacer::Explain(const TaskRequest& task,
                                  const std::map<std::string, Subnet*>& best_subnet,
                                  const std::set<std::string>& usable) const {
  // never: candidate zones have accepting hosts and none holds the task when empty.
  bool any_candidate_host = false;
  bool ever_fits = false;
  bool any_usable_host = false;
  std::optional<Resources> max_free;
  for (const auto& [id, host] : hosts_) {
    if (!host.accepts_tasks || best_subnet.count(host.availability_zone) == 0) {
      continue;
    }
    any_candidate_host = true;
    ever_fits = ever_fits || FitsIn(task.needs, host.total);
    if (usable.count(host.availability_zone) == 0) {
      continue;
    }
    any_usable_host = true;
    const Resources free = Free(host);
    max_free =
        !max_free.has_value()
            ? free
            : Resources{std::max(max_free->cpu_units, free.cpu_units),
                        std::max(max_free->memory_mib, free.memory_mib),
                        std::max(max_free->ephemeral_storage_gib, free.ephemeral_storage_gib),
                        std::max(max_free->enis, free.enis)};
  }
  const bool never = any_candidate_host && !ever_fits;
  if (usable.empty()) {
    return Unplaced{"RESOURCE:ENI", "", never};
  }
  if (!any_usable_host) {
    return Unplaced{"RESOURCE:CPU", "", false};
  }
  std::string reason = "RESOURCE:CPU";
  if (max_free->cpu_units < task.needs.cpu_units) {
    reason = "RESOURCE:CPU";
  } else if (max_free->memory_mib < task.needs.memory_mib) {
    reason = "RESOURCE:MEMORY";
  } else if (max_free->ephemeral_storage_gib < task.needs.ephemeral_storage_gib) {
    reason = "RESOURCE:EPHEMERAL_STORAGE";
  } else if (max_free->enis < task.needs.enis) {
    reason = "RESOURCE:ENI";
  }
  return Unplaced{reason, "", never};
}

void ReferencePlacer::Release(const TaskRequest& task, const Assignment& assignment) {
  auto host = hosts_.find(assignment.host_id);
  if (host != hosts_.end()) {
    host->second.used.cpu_units -= task.needs.cpu_units;
    host->second.used.memory_mib -= task.needs.memory_mib;
    host->second.used.ephemeral_storage_gib -= task.needs.ephemeral_storage_gib;
    host->second.used.enis -= task.needs.enis;
  }
  auto subnet = subnets_.find(assignment.subnet_id);
  if (subnet != subnets_.end()) {
    subnet->second.free_addresses += 1;
  }
  AddGroupTasks(task.group, assignment.availability_zone, -1);
}

}  // namespace gantry::placement::reference
