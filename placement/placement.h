// Pure placement: given a snapshot of hosts, subnets and per-zone group counts, choose a host
// and a subnet for each task, or explain why none fits. The Placer owns a private, mutable copy
// of the snapshot (its "view") and applies every placement to it, so a batch of tasks is decided
// against the capacity the earlier tasks of the batch left; the caller commits the result.
//
// Rules, in order: a task may run only in the zones of its known subnets that still have a free
// address; among those zones with a host that fits, the one with the fewest tasks of the task's
// group wins (ties by zone name), which keeps a group's skew across zones at most 1 while
// capacity allows; inside the zone the fullest accepting host that fits wins (best fit: least free
// CPU, then least free memory, then lowest id), and the task's subnet there with the most free
// addresses (ties by lowest id). A host never exceeds its total in any dimension. Same snapshot
// and same requests give the same decisions.
//
// Cost: a placement touches O(zones * (CPU buckets + log n)) index entries, not every host; see
// the "Invariants" block in placement/internal/capacity_index.h.
//
// No I/O, no clock, no threads, no global state. A Placer is not synchronised: use one from one
// thread at a time (distinct Placers are independent). Failures are not errors but Unplaced
// decisions that carry the ECS failure reason ("RESOURCE:CPU", "RESOURCE:MEMORY",
// "RESOURCE:EPHEMERAL_STORAGE", "RESOURCE:ENI", "MISSING"), a sentence naming the deciding
// constraint and whether waiting can help. Nothing here throws or crashes on its input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace gantry::placement {

struct Resources {
  int64_t cpu_units = 0;
  int64_t memory_mib = 0;
  int64_t ephemeral_storage_gib = 0;
  int64_t enis = 0;  // ENI slots
  friend bool operator==(const Resources&, const Resources&) = default;
};

struct Host {
  int64_t id = 0;  // unique
  std::string availability_zone;
  Resources total;
  Resources used;
  bool accepts_tasks = true;  // false: DRAINING/INACTIVE/lost, keeps its tasks, takes none
};

struct Subnet {
  std::string id;
  std::string availability_zone;
  int64_t free_addresses = 0;
};

struct GroupCount {  // tasks of a group already placed (not stopped) in a zone
  std::string group;
  std::string availability_zone;
  int64_t tasks = 0;
};

struct Snapshot {
  std::vector<Host> hosts;
  std::vector<Subnet> subnets;
  std::vector<GroupCount> group_counts;
};

struct TaskRequest {
  std::string group;
  Resources needs;                      // needs.enis is 1 for an awsvpc task
  std::vector<std::string> subnet_ids;  // 1..16 candidate subnets; their zones are the candidate
                                        // zones
};

struct Assignment {
  int64_t host_id = 0;
  std::string subnet_id;
  std::string availability_zone;
  friend bool operator==(const Assignment&, const Assignment&) = default;
};

struct Unplaced {
  // ECS failure reason: "RESOURCE:CPU", "RESOURCE:MEMORY", "RESOURCE:EPHEMERAL_STORAGE",
  // "RESOURCE:ENI" (no free address in any candidate subnet, or no ENI slot), "MISSING" (no
  // candidate subnet known).
  std::string reason;
  // Human sentence, e.g. "no host in us-east-1a or us-east-1b has 4096 CPU units free".
  std::string detail;
  // True when waiting cannot help: the candidate zones have accepting hosts but none of them
  // is big enough even when empty (total < needs in some dimension), or no candidate subnet is
  // known. The detail then says so, e.g. "the task needs 16384 CPU units; the largest host in
  // us-east-1a has 8192". The reason stays the one rule 5 picks from the current free capacity;
  // when no zone has an accepting host at all, never is false (hosts may register).
  bool never = false;
  friend bool operator==(const Unplaced&, const Unplaced&) = default;
};

using Decision = std::variant<Assignment, Unplaced>;

namespace internal {
struct PlacerState;
}  // namespace internal

// The mutable view plus its indexes. Copying a Placer copies the whole view (a cheap way to try a
// batch and throw it away); moving is O(1) and leaves the source fit only for assignment or
// destruction.
class Placer {
 public:
  // Later rows win when the snapshot repeats a host id or subnet id; repeated group counts add up.
  explicit Placer(const Snapshot& snapshot);
  ~Placer();
  Placer(const Placer& other);
  Placer& operator=(const Placer& other);
  Placer(Placer&& other) noexcept;
  Placer& operator=(Placer&& other) noexcept;

  // Decides one task against the current view and, when placed, applies it to the view
  // (host used += needs, subnet free_addresses -= 1, group count += 1).
  Decision Place(const TaskRequest& task);
  // Place() for each task in order.
  std::vector<Decision> PlaceAll(const std::vector<TaskRequest>& tasks);
  // Undoes a placement or releases a stopped task's share: the exact inverse of the apply above.
  // The host and subnet are looked up by id (an unknown one is skipped); the group count is taken
  // from assignment.availability_zone. Precondition: the share was applied (by Place() or in the
  // snapshot); releasing twice counts twice.
  void Release(const TaskRequest& task, const Assignment& assignment);
  // Inserts or replaces one host / subnet (registration, reload of a row after a lost race).
  void UpsertHost(const Host& host);
  // No-op for an unknown id.
  void RemoveHost(int64_t host_id);
  void UpsertSubnet(const Subnet& subnet);

  // Read access for tests and the capacity view. Pointers stay valid until the next non-const
  // call; nullptr for an unknown id.
  const Host* FindHost(int64_t host_id) const;
  const Subnet* FindSubnet(const std::string& subnet_id) const;
  int64_t GroupTasks(const std::string& group, const std::string& availability_zone) const;
  // Every known host, accepting or not.
  size_t host_count() const;

 private:
  std::unique_ptr<internal::PlacerState> state_;
};

}  // namespace gantry::placement
