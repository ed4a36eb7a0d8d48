#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "storage/storage.h"

namespace gantry::storage {

Database::Database(Options options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const Options& options) {
  if (options.workers < 1 || options.queue_capacity < 1) {
    return absl::InvalidArgumentError("database pool needs at least one worker and queue slot");
  }
  auto database = std::unique_ptr<Database>(new Database(options));
  for (int i = 0; i < options.workers; ++i) {
    GANTRY_ASSIGN_OR_RETURN(auto connection, Connection::Open(options.conninfo));
    database->connections_.push_back(std::move(connection));
  }
  for (auto& connection : database->connections_) {
    database->workers_.emplace_back(
        [db = database.get(), conn = connection.get()] { db->WorkerLoop(conn); });
  }
  return database;
}

Database::~Database() { Shutdown(); }

absl::Status Database::Submit(std::function<void(Connection&)> work) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("the server is shutting down");
  if (queue_.size() >= static_cast<size_t>(options_.queue_capacity)) {
    return absl::UnavailableError(absl::StrCat("the database queue is full (",
                                               options_.queue_capacity,
                                               " requests waiting); retry later"));
  }
  queue_.push_back(std::move(work));
  return absl::OkStatus();
}

void Database::WorkerLoop(Connection* connection) {
  for (;;) {
    std::function<void(Connection&)> work;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Database* db) ABSL_EXCLUSIVE_LOCKS_REQUIRED(db->mu_) {
            return db->stopping_ || !db->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping and drained
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    work(*connection);
  }
}

void Database::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
}

}  // namespace gantry::storage
