// Running an operation's database work on a storage::Database worker.
#pragma once

#include <functional>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/storage.h"

namespace gantry::api::internal {

// Runs `work` on a worker of `database` and hands its result to `done`, exactly once;
// `done` gets UNAVAILABLE at once (on the calling thread) when the queue refuses.
template <typename Response>
void RunOnDatabase(storage::Database* database,
                   std::function<absl::StatusOr<Response>(storage::Connection&)> work,
                   std::function<void(absl::StatusOr<Response>)> done) {
  // `done` is shared between the queued closure and the refusal path below: Submit
  // drops the closure without calling it when it refuses.
  auto shared_done =
      std::make_shared<std::function<void(absl::StatusOr<Response>)>>(std::move(done));
  absl::Status queued =
      database->Submit([work = std::move(work), shared_done](storage::Connection& connection) {
        (*shared_done)(work(connection));
      });
  if (!queued.ok()) (*shared_done)(queued);
}

}  // namespace gantry::api::internal
