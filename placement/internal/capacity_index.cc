#include "placement/internal/capacity_index.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>

#include "common/status_macros.h"

namespace gantry::placement::internal {

void CountedValues::Remove(int64_t value) {
  auto it = counts_.find(value);
  GANTRY_CHECK(it != counts_.end());
  if (--it->second == 0) {
    counts_.erase(it);
  }
}

void CapacityIndex::Insert(int64_t id, const Resources& capacity) {
  Bucket& bucket = PartFor(capacity)[capacity.cpu_units];
  const bool inserted = bucket.entries
                            .try_emplace({capacity.memory_mib, id},
                                         Slot{capacity.ephemeral_storage_gib, capacity.enis})
                            .second;
  GANTRY_CHECK(inserted);
  bucket.storage.Add(capacity.ephemeral_storage_gib);
  memory_.Add(capacity.memory_mib);
  storage_.Add(capacity.ephemeral_storage_gib);
  enis_.Add(capacity.enis);
  ++size_;
}

void CapacityIndex::Erase(int64_t id, const Resources& capacity) {
  Part& part = PartFor(capacity);
  auto bucket = part.find(capacity.cpu_units);
  GANTRY_CHECK(bucket != part.end());
  const size_t erased = bucket->second.entries.erase({capacity.memory_mib, id});
  GANTRY_CHECK(erased == 1);
  bucket->second.storage.Remove(capacity.ephemeral_storage_gib);
  if (bucket->second.entries.empty()) {
    part.erase(bucket);
  }
  memory_.Remove(capacity.memory_mib);
  storage_.Remove(capacity.ephemeral_storage_gib);
  enis_.Remove(capacity.enis);
  --size_;
}

std::optional<CapacityIndex::Fit> CapacityIndex::BestFitIn(const Part& part,
                                                           const Resources& needs) {
  for (auto it = part.lower_bound(needs.cpu_units); it != part.end(); ++it) {
    const Bucket& bucket = it->second;
    // Buckets are never empty (see Invariants), so the maxima exist.
    if (bucket.entries.rbegin()->first.first < needs.memory_mib ||
        bucket.storage.Max() < needs.ephemeral_storage_gib) {
      continue;
    }
    for (auto entry =
             bucket.entries.lower_bound({needs.memory_mib, std::numeric_limits<int64_t>::min()});
         entry != bucket.entries.end(); ++entry) {
      if (entry->second.storage >= needs.ephemeral_storage_gib &&
          entry->second.enis >= needs.enis) {
        return Fit{it->first, entry->first.first, entry->first.second};
      }
    }
  }
  return std::nullopt;
}

std::optional<CapacityIndex::Fit> CapacityIndex::BestFit(const Resources& needs) const {
  if (size_ == 0 || enis_.Max() < needs.enis || memory_.Max() < needs.memory_mib ||
      storage_.Max() < needs.ephemeral_storage_gib) {
    return std::nullopt;
  }
  std::optional<Fit> best = BestFitIn(with_eni_, needs);
  if (needs.enis <= 0) {
    // Entries without ENI slots fit too; the better of the two parts wins.
    std::optional<Fit> other = BestFitIn(without_eni_, needs);
    if (other.has_value() && (!best.has_value() || *other < *best)) {
      best = other;
    }
  }
  return best;
}

Resources CapacityIndex::Max() const {
  int64_t cpu = std::numeric_limits<int64_t>::min();
  if (!with_eni_.empty()) {
    cpu = std::max(cpu, with_eni_.rbegin()->first);
  }
  if (!without_eni_.empty()) {
    cpu = std::max(cpu, without_eni_.rbegin()->first);
  }
  return Resources{cpu, memory_.Max(), storage_.Max(), enis_.Max()};
}

}  // namespace gantry::placement::internal
