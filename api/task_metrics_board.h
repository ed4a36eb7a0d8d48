// The task metrics this gantryd received lately, for its Prometheus endpoint.
//
// Agents report every few seconds to whichever gantryd they reach; each replica shows
// the samples it received, so scraping every replica gives each task once (an agent
// that moves to another replica moves its tasks' series with it, and the old replica
// forgets them after `keep`). The database keeps the latest sample of every task too,
// for DescribeTaskMetrics from any replica; serving the endpoint from there would make
// every replica show every task, each scrape a read of the whole table.
//
// Thread-safety: every method may be called from any thread (one mutex). Errors: none.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/prometheus.h"
#include "storage/storage.h"

namespace gantry::api {

class TaskMetricsBoard {
 public:
  // A task not reported for `keep` is left out (its agent went elsewhere, or it
  // stopped without a last sample).
  explicit TaskMetricsBoard(absl::Duration keep = absl::Minutes(1)) : keep_(keep) {}

  // The samples just stored, with their tasks. A STOPPED task is dropped.
  void Update(const std::vector<storage::TaskMetricsRow>& rows, absl::Time now);

  // These tasks stopped: their series end now.
  void Forget(const std::vector<std::string>& task_ids);

  // Appends the gantry_task_* families: one series per task, labelled with its account,
  // cluster, family and task id. Forgets entries older than `keep`.
  void AppendTo(prometheus::Exposition& exposition, absl::Time now);

  size_t size() const;

 private:
  struct Entry {
    storage::TaskMetricsRow row;  // with its sample
    absl::Time received_at;
  };

  const absl::Duration keep_;
  mutable absl::Mutex mutex_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mutex_);  // by task id
};

}  // namespace gantry::api
