// Brute-force reference for placement tests: the rules of placement/placement.h written as
// plainly as possible (scan every host), so the indexed Placer can be compared against it.
// Decisions carry the exact Assignment; an Unplaced carries reason and never, detail left empty.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "placement/placement.h"

namespace gantry::placement::reference {

class ReferencePlacer {
 public:
  explicit ReferencePlacer(const Snapshot& snapshot);

  Decision Place(const TaskRequest& task);
  void Release(const TaskRequest& task, const Assignment& assignment);
  void UpsertHost(const Host& host) { hosts_[host.id] = host; }
  void RemoveHost(int64_t host_id) { hosts_.erase(host_id); }
  void UpsertSubnet(const Subnet& subnet) { subnets_[subnet.id] = subnet; }

  const std::map<int64_t, Host>& hosts() const { return hosts_; }
  const std::map<std::string, Subnet>& subnets() const { return subnets_; }
  // (group, zone) -> tasks, without zero entries.
  const std::map<std::pair<std::string, std::string>, int64_t>& group_tasks() const {
    return group_tasks_;
  }

 private:
  // Rule 5 and never, once no usable zone has a host that fits.
  Unplaced Explain(const TaskRequest& task, const std::map<std::string, Subnet*>& best_subnet,
                   const std::set<std::string>& usable) const;
  void AddGroupTasks(const std::string& group, const std::string& zone, int64_t delta);

  std::map<int64_t, Host> hosts_;
  std::map<std::string, Subnet> subnets_;
  std::map<std::pair<std::string, std::string>, int64_t> group_tasks_;
};

// True when needs <= capacity in all four dimensions.
bool FitsIn(const Resources& needs, const Resources& capacity);

}  // namespace gantry::placement::reference
