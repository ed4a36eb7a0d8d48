#include "api/internal/capacity.h"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "api/internal/resources.h"
#include "placement/placement.h"
#include "scheduler/scheduler.h"

namespace gantry::api::internal {
namespace {

void AddResource(v1::ResourceCapacity* resource, int64_t total, int64_t used, bool schedulable) {
  resource->set_total(resource->total() + static_cast<double>(total));
  resource->set_used(resource->used() + static_cast<double>(used));
  resource->set_free(resource->free() + static_cast<double>(total - used));
  if (schedulable) {
    resource->set_schedulable(resource->schedulable() + static_cast<double>(total - used));
  }
}

void AddResource(v1::ResourceCapacity* sum, const v1::ResourceCapacity& part) {
  sum->set_total(sum->total() + part.total());
  sum->set_used(sum->used() + part.used());
  sum->set_free(sum->free() + part.free());
  sum->set_schedulable(sum->schedulable() + part.schedulable());
}

// A zone with every member present (zeros included), so JSON shows them all.
v1::ZoneCapacity EmptyZone(std::string name) {
  v1::ZoneCapacity zone;
  zone.set_name(std::move(name));
  v1::HostCounts* hosts = zone.mutable_hosts();
  hosts->set_active(0);
  hosts->set_draining(0);
  hosts->set_lost(0);
  hosts->set_inactive(0);
  for (v1::ResourceCapacity* resource :
       {zone.mutable_cpu(), zone.mutable_memory(), zone.mutable_ephemeral_storage(),
        zone.mutable_eni_slots()}) {
    resource->set_total(0);
    resource->set_used(0);
    resource->set_free(0);
    resource->set_schedulable(0);
  }
  v1::TaskCounts* tasks = zone.mutable_tasks();
  tasks->set_running(0);
  tasks->set_pending(0);
  tasks->set_stopping(0);
  tasks->set_waiting(0);
  return zone;
}

void AddHost(v1::ZoneCapacity* zone, const storage::FleetHost& host) {
  v1::HostCounts* counts = zone->mutable_hosts();
  if (!host.agent_connected) {
    // A lost host's tasks were stopped and its share released when it was lost.
    counts->set_lost(counts->lost() + 1);
    return;
  }
  if (host.status == "ACTIVE") {
    counts->set_active(counts->active() + 1);
  } else if (host.status == "DRAINING") {
    counts->set_draining(counts->draining() + 1);
  } else {
    counts->set_inactive(counts->inactive() + 1);
  }
  bool schedulable = host.status == "ACTIVE";
  AddResource(zone->mutable_cpu(), host.total.cpu_units, host.used.cpu_units, schedulable);
  AddResource(zone->mutable_memory(), host.total.memory_mib, host.used.memory_mib, schedulable);
  AddResource(zone->mutable_ephemeral_storage(), host.total.ephemeral_storage_gib,
              host.used.ephemeral_storage_gib, schedulable);
  AddResource(zone->mutable_eni_slots(), host.total.enis, host.used.enis, schedulable);
}

void AddPlacedTasks(v1::TaskCounts* counts, const storage::ZoneStatusCount& placed) {
  const std::string& status = placed.last_status;
  if (status == "RUNNING") {
    counts->set_running(counts->running() + placed.tasks);
  } else if (status == "DEACTIVATING" || status == "STOPPING" || status == "DEPROVISIONING") {
    counts->set_stopping(counts->stopping() + placed.tasks);
  } else {
    counts->set_pending(counts->pending() + placed.tasks);
  }
}

void AddZone(v1::ZoneCapacity* sum, const v1::ZoneCapacity& zone) {
  v1::HostCounts* hosts = sum->mutable_hosts();
  hosts->set_active(hosts->active() + zone.hosts().active());
  hosts->set_draining(hosts->draining() + zone.hosts().draining());
  hosts->set_lost(hosts->lost() + zone.hosts().lost());
  hosts->set_inactive(hosts->inactive() + zone.hosts().inactive());
  AddResource(sum->mutable_cpu(), zone.cpu());
  AddResource(sum->mutable_memory(), zone.memory());
  AddResource(sum->mutable_ephemeral_storage(), zone.ephemeral_storage());
  AddResource(sum->mutable_eni_slots(), zone.eni_slots());
  v1::TaskCounts* tasks = sum->mutable_tasks();
  tasks->set_running(tasks->running() + zone.tasks().running());
  tasks->set_pending(tasks->pending() + zone.tasks().pending());
  tasks->set_stopping(tasks->stopping() + zone.tasks().stopping());
  // Not summed: a waiting task counts in each of its zones. Set by the caller.
}

placement::Resources ToPlacement(const storage::HostResources& resources) {
  return {resources.cpu_units, resources.memory_mib, resources.ephemeral_storage_gib,
          resources.enis};
}

// The placement view of the snapshot: connected hosts (only ACTIVE ones take tasks)
// and subnets with their free addresses.
placement::Snapshot ToPlacementSnapshot(const storage::FleetSnapshot& fleet) {
  placement::Snapshot snapshot;
  for (const storage::FleetHost& host : fleet.hosts) {
    if (!host.agent_connected) {
      continue;
    }
    snapshot.hosts.push_back({host.host_id, host.availability_zone, ToPlacement(host.total),
                              ToPlacement(host.used), host.status == "ACTIVE"});
  }
  for (const storage::FleetSubnet& subnet : fleet.subnets) {
    snapshot.subnets.push_back({subnet.subnet_id, subnet.availability_zone,
                                subnet.usable_addresses - subnet.addresses_in_use});
  }
  for (const storage::GroupZoneCount& count : fleet.group_counts) {
    snapshot.group_counts.push_back(
        {scheduler::SpreadGroupKey(count.account_id, count.cluster, count.group),
         count.availability_zone, count.tasks});
  }
  return snapshot;
}

constexpr char kPlaceable[] = "PLACEABLE";
constexpr char kPlaceableDetail[] =
    "capacity is free now; the scheduler places the task in one of its next rounds";

v1::WaitingTasks ExplainWaiting(const storage::FleetSnapshot& fleet) {
  v1::WaitingTasks waiting;
  waiting.set_total(fleet.waiting_total);
  int32_t explained = 0;
  placement::Placer placer(ToPlacementSnapshot(fleet));
  // (reason, detail, never) -> index into waiting.reasons, in order of first appearance.
  std::map<std::tuple<std::string, std::string, bool>, int> index;
  for (const storage::WaitingTask& task : fleet.waiting) {
    // Every task ahead in the queue takes its room, counted or not.
    placement::TaskRequest request{
        scheduler::SpreadGroupKey(task.account_id, task.cluster, task.group),
        ToPlacement(task.needs), task.subnet_ids};
    placement::Decision decision = placer.Place(request);
    if (!task.counted) {
      continue;
    }
    ++explained;
    std::tuple<std::string, std::string, bool> key{kPlaceable, kPlaceableDetail, false};
    if (const auto* unplaced = std::get_if<placement::Unplaced>(&decision)) {
      key = {unplaced->reason, unplaced->detail, unplaced->never};
    }
    auto [it, inserted] = index.try_emplace(key, waiting.reasons_size());
    if (inserted) {
      v1::WaitingReason* reason = waiting.add_reasons();
      reason->set_reason(std::get<0>(key));
      reason->set_detail(std::get<1>(key));
      reason->set_never(std::get<2>(key));
      reason->set_tasks(0);
      reason->set_oldest_created_at(EpochSeconds(task.created_at));
    }
    v1::WaitingReason* reason = waiting.mutable_reasons(it->second);
    reason->set_tasks(reason->tasks() + 1);
  }
  waiting.set_explained(explained);
  return waiting;
}

}  // namespace

v1::DescribeCapacityResponse BuildCapacityResponse(const storage::FleetSnapshot& snapshot,
                                                   std::string_view cluster) {
  std::map<std::string, v1::ZoneCapacity> zones;
  auto zone = [&zones](const std::string& name) -> v1::ZoneCapacity* {
    auto it = zones.find(name);
    if (it == zones.end()) {
      it = zones.emplace(name, EmptyZone(name)).first;
    }
    return &it->second;
  };
  for (const storage::FleetHost& host : snapshot.hosts) {
    AddHost(zone(host.availability_zone), host);
  }
  for (const storage::ZoneStatusCount& placed : snapshot.placed_tasks) {
    AddPlacedTasks(zone(placed.availability_zone)->mutable_tasks(), placed);
  }
  for (const auto& [name, waiting] : snapshot.waiting_by_zone) {
    v1::TaskCounts* tasks = zone(name)->mutable_tasks();
    tasks->set_waiting(tasks->waiting() + waiting);
  }

  v1::DescribeCapacityResponse response;
  for (const storage::FleetSubnet& row : snapshot.subnets) {
    zone(row.availability_zone);
    v1::SubnetCapacity* subnet = response.add_subnets();
    subnet->set_subnet_id(row.subnet_id);
    subnet->set_vpc_id(row.vpc_id);
    subnet->set_availability_zone(row.availability_zone);
    subnet->set_cidr_block(row.cidr_block);
    v1::AddressCounts* addresses = subnet->mutable_addresses();
    addresses->set_total(row.usable_addresses);
    addresses->set_used(row.addresses_in_use);
    addresses->set_free(row.usable_addresses - row.addresses_in_use);
  }
  v1::ZoneCapacity fleet = EmptyZone("all");
  for (auto& [name, capacity] : zones) {
    AddZone(&fleet, capacity);
    *response.add_availability_zones() = std::move(capacity);
  }
  fleet.mutable_tasks()->set_waiting(snapshot.waiting_total);
  *response.mutable_fleet() = std::move(fleet);
  *response.mutable_waiting() = ExplainWaiting(snapshot);
  response.set_cluster(std::string(cluster));
  response.set_snapshot_at(EpochSeconds(snapshot.taken_at));
  return response;
}

}  // namespace gantry::api::internal
