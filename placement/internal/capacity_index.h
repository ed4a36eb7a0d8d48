// Best-fit index over a set of hosts keyed by a four-dimensional capacity (free or total
// resources). Used per availability zone: once for free capacity (placement), once for total
// capacity (can the task ever fit here?).
#pragma once

#include <cstdint>
#include <optional>
#include <tuple>
#include <utility>

#include "absl/container/btree_map.h"
#include "placement/placement.h"

namespace gantry::placement::internal {

// Multiset of int64 values with O(log n) insert, erase and maximum.
class CountedValues {
 public:
  void Add(int64_t value) { ++counts_[value]; }
  // Precondition: value was added and not yet removed.
  void Remove(int64_t value);
  // Precondition: !empty().
  int64_t Max() const { return counts_.rbegin()->first; }
  bool empty() const { return counts_.empty(); }

 private:
  absl::btree_map<int64_t, int64_t> counts_;  // value -> multiplicity (> 0)
};

// Hosts indexed by capacity for best-fit queries.
//
// Layout: two parts, one for entries with no ENI slot (capacity.enis <= 0) and one for the
// rest, so an awsvpc task never walks past hosts that ran out of ENI slots while CPU and memory
// remain (the usual way a host fills up). Each part maps CPU -> bucket; a bucket holds its entries
// ordered by (memory, id) with their storage and ENI slots, plus the multiset of their storage.
//
// Invariants:
//   - Every inserted id appears in exactly one bucket, under the capacity it was inserted with;
//     the caller erases with that same capacity before changing it.
//   - No bucket is empty (an emptied bucket is erased), so walking buckets in CPU order meets
//     only buckets that hold hosts.
//   - bucket.storage is the multiset of storage over the bucket's entries; memory_, storage_
//     and enis_ are the multisets of those dimensions over all entries; size_ counts entries.
//
// Cost: Insert/Erase are O(log n). BestFit walks the buckets with CPU >= needed (at most the
// number of distinct CPU values; a few dozen when sizes are multiples of 256), skips a bucket in
// O(1) when its largest memory or storage is too small, and otherwise seeks to the first entry
// with enough memory in O(log n). Only entries that have the CPU and memory but lack storage or
// ENI slots in a bucket that also holds a fit are stepped over one by one.
class CapacityIndex {
 public:
  struct Fit {
    int64_t cpu = 0;
    int64_t memory = 0;
    int64_t id = 0;
    friend bool operator<(const Fit& a, const Fit& b) {
      return std::tie(a.cpu, a.memory, a.id) < std::tie(b.cpu, b.memory, b.id);
    }
  };

  void Insert(int64_t id, const Resources& capacity);
  // Precondition: (id, capacity) was inserted and not yet erased.
  void Erase(int64_t id, const Resources& capacity);

  // The entry with capacity >= needs in all four dimensions that has the least CPU, then the
  // least memory, then the lowest id; nullopt when none has.
  std::optional<Fit> BestFit(const Resources& needs) const;

  bool empty() const { return size_ == 0; }
  // Largest value of each dimension separately (possibly from different entries).
  // Precondition: !empty().
  Resources Max() const;

 private:
  struct Slot {
    int64_t storage = 0;
    int64_t enis = 0;
  };
  struct Bucket {
    absl::btree_map<std::pair<int64_t, int64_t>, Slot> entries;  // (memory, id) -> rest
    CountedValues storage;
  };
  using Part = absl::btree_map<int64_t, Bucket>;  // CPU -> bucket

  static std::optional<Fit> BestFitIn(const Part& part, const Resources& needs);
  Part& PartFor(const Resources& capacity) { return capacity.enis > 0 ? with_eni_ : without_eni_; }

  Part with_eni_;
  Part without_eni_;
  CountedValues memory_;
  CountedValues storage_;
  CountedValues enis_;
  int64_t size_ = 0;
};

}  // namespace gantry::placement::internal
